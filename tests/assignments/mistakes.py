"""Known-wrong submissions of each assignment and the hidden tests each must fail.

Each mistake is the instructor's solution with one deliberate error (so it
follows ``source.py``), and each must fail EXACTLY the tests listed for it,
listed by hand, which is the point: the suite's partial credit is fair only if
a mistake costs the tests that check it and nothing else.
"""

from __future__ import annotations

from autograder.suite.shared_tests import ACTIVATIONS_BY_NAME
from tests.assignments.harness import Mistake

ACTIVATIONS: dict[str, Mistake] = {
    # Every value of the derivative is wrong (one case: all points in one array); its contract
    # checks still pass, but earn nothing while the values are wrong (the credit model).
    "sigmoid_derivative_is_sigmoid": Mistake.redefine("""
        def sigmoid_derivative(x):
            return sigmoid(x)
        """, {"sigmoid_derivative[values]"}),
    # relu'(0) = 1: only the kink test sees it (0 is left out of the value points).
    "relu_derivative_one_at_zero": Mistake.redefine("""
        def relu_derivative(x):
            x = np.asarray(x, dtype=np.float64)
            return np.where(x >= 0, 1.0, 0.0)
        """, {"kink_convention[relu_derivative]"}),
    # 1/(1+exp(-x)) gives right values (exp(1000) = inf, 1/inf = 0) but overflows:
    # only the errstate tests see it, for sigmoid and the derivative built on it.
    "sigmoid_overflows": Mistake.redefine("""
        def sigmoid(x):
            x = np.asarray(x, dtype=np.float64)
            return 1.0 / (1.0 + np.exp(-x))
        """, {
        # sigmoid_derivative's own check is judged again with sigmoid substituted: charged to sigmoid once
        "no_floating_point_errors[sigmoid]",
    }),
    # float32 values pass the value checks (within tolerance) but not the float64 contract; the
    # derivative built on it returns float32 too, and is charged nothing for it: it is judged
    # again with sigmoid substituted, and its values' consistency stands (returns-float64-array
    # changes values, autograder/grading/credit.py).
    "sigmoid_float32": Mistake.redefine("""
        def sigmoid(x):
            x = np.asarray(x, dtype=np.float32)
            e = np.exp(-np.abs(x))
            return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(np.float32)
        """, {
        "accepts_int_input[sigmoid-array]", "accepts_int_input[sigmoid-scalar]", "finite_at_large_inputs[sigmoid]",
        "no_floating_point_errors[sigmoid]", "returns_array_of_input_shape[sigmoid-shape=()]",
        "returns_array_of_input_shape[sigmoid-shape=(2,3)]", "returns_array_of_input_shape[sigmoid-shape=(5,)]",
    }),
    "elu_derivative_where_overflows": Mistake.redefine("""
        def elu_derivative(x, alpha=1.0):
            x = np.asarray(x, dtype=np.float64)
            return np.where(x > 0, 1.0, alpha * np.exp(x))
        """, {
        "no_floating_point_errors[elu_derivative]",
    }),
    # Normalising over axis 0 is right for 1-D logits and for axis=0 only.
    "softmax_ignores_axis": Mistake.redefine("""
        def softmax(z, axis=-1):
            z = np.asarray(z, dtype=np.float64)
            e = np.exp(z - np.max(z))
            return e / np.sum(e, axis=0, keepdims=True)
        """, {
        "softmax[batch(4,6)]", "softmax[batch-far-apart]", "softmax_axis[shape=(2,3)-axis=-1]",
        "softmax_axis[shape=(2,3)-axis=1]", "softmax_axis[shape=(3,2)-axis=-1]",
        "softmax_axis[shape=(3,2)-axis=default]",
        "softmax_sums_to_one[shape=(2,3)-axis=-1]", "softmax_sums_to_one[shape=(3,2)-axis=-1]",
    }),
}


_ACTIVATIONS = ACTIVATIONS_BY_NAME
_STEP_CASES = ("grad>0 lowers w", "grad<0 raises w", "lr=0.01", "lr=1", "lr=3.5", "scalar w", "shape=(2,3)")


def _per_activation(name: str, suffix: str = "") -> set[str]:
    return {f"{name}[{act}{suffix}]" for act in _ACTIVATIONS}


BACKPROP: dict[str, Mistake] = {
    # w + lr * grad: every value of the update (lr=0 is not a case). train passes by
    # consistency: it is the student's own backward + (wrong) update run in the test, and the
    # credit model grants that because update fails its own checks. The contract checks
    # (int input, read-only input) compare the update with itself, so they pass.
    "update_with_plus": Mistake.replace(
        "np.asarray(w, dtype=np.float64) - float(lr)",
        "np.asarray(w, dtype=np.float64) + float(lr)",
        {f"gradient_descent_step[{case}]" for case in _STEP_CASES},
    ),
    # dL/dw1 (and dL/db1) through o2_1 only: the lecture's second path is dropped. Each backward
    # case holds all nine gradients, so every one fails, keeping the 7/9 of them that are right;
    # the two-path test gives sum_over_paths its own paths, and train agrees with the student's
    # own backward (consistency, charged to backward), so neither is affected.
    "one_path_only": Mistake.replace(
        'sum_over_paths([[dL_dz2_1, params["w2"]], [dL_dz2_2, params["w3"]]])',
        'sum_over_paths([[dL_dz2_1, params["w2"]]])',
        _per_activation("backward") | _per_activation("backward_scalar_x"),
    ),
    # relu'(0) = 1: only the kink test sees it (no network input puts a pre-activation at 0).
    "relu_kink_is_one": Mistake.replace(
        "return np.where(z > 0, 1.0, 0.0)",
        "return np.where(z >= 0, 1.0, 0.0)",
        {"activate_derivative_at_kink[relu]"},
    ),
    # sigmoid'(z) = sigmoid(z): the derivative's own value check only. backward[sigmoid] agrees
    # with the backward pass built from the student's own activate_derivative (charged to
    # activations), and train with the student's own backward.
    "sigmoid_derivative_is_sigmoid": Mistake.replace(
        "return e / (1.0 + e) ** 2",
        "return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
        {"activate_derivative[sigmoid]"},
    ),
}


_GRADIENT_DEPTHS = (2, 4, 5, 12)

VANISHING: dict[str, Mistake] = {
    # sigmoid'(z) = sigmoid(z): the derivative's own value check only. The sigmoid gradients
    # (and the deep sigmoid chains of the vanishing property) agree with the backward sweep
    # built from the student's own activate_derivative: charged to activations, once.
    "sigmoid_derivative_is_sigmoid": Mistake.replace(
        "return e / (1.0 + e) ** 2",
        "return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
        {"activate_derivative[sigmoid]"},
    ),
    # g returned last layer first: wrong for every chain deeper than 1 (except the dead relu
    # unit, where every gradient is 0), and the vanishing lands on the wrong end, so the
    # sigmoid half of every vanishing_property case fails too. The contract checks (int input,
    # read-only weights, stability) compare shapes and the function with itself: unaffected.
    "gradients_reversed": Mistake.replace(
        "    return grads\n",
        "    return grads[::-1].copy()\n",
        {f"deep_chain_gradients[{act}-depth={d}]" for act in _ACTIVATIONS for d in _GRADIENT_DEPTHS},
    ),  # vanishing_property is judged on the reference chain where the gradients are wrong: charged once
    # |w_1| included in the product: only vanishing_bound itself (the property tests use the
    # reference's bound, so they are not charged for it).
    "bound_includes_w1": Mistake.replace(
        "np.prod(np.abs(weights[1:]))",
        "np.prod(np.abs(weights))",
        {f"vanishing_bound[depth={d}]" for d in (1, 5, 12, 20)},
    ),
}

#: assignment id -> its known mistakes, by name
MISTAKES: dict[str, dict[str, Mistake]] = {
    "activations": ACTIVATIONS,
    "backprop": BACKPROP,
    "vanishing": VANISHING,
}
