# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Backpropagation through the lecture's network
#
# Training a network means nudging every weight against its gradient. The
# lecture's update rule, with learning rate $\eta$, is
#
# $$w_{\text{new}} = w_{\text{old}} - \eta \, \frac{\partial L}{\partial w_{\text{old}}}.$$
#
# Everything in this notebook is about computing $\partial L / \partial w$ for
# every weight $w$: the loss, the chain rule along one path, the sum over all
# paths, a forward pass, a backward pass, and finally gradient descent.
#
# **Rules for every function you write**
#
# * Inputs may be numpy arrays of any shape or Python scalars; convert with
#   `np.asarray(value, dtype=np.float64)`. Results are `float64`.
# * Never modify an input (no `x += ...` on an argument, no writing into a
#   `params` dict you were given): build new arrays and new dicts.
# * Stay finite and warning-free for inputs as large as $|z| \le 1000$: the
#   grader runs your code under
#   `np.errstate(over="raise", invalid="raise", divide="raise")`.
# * Activation names are `"sigmoid"`, `"tanh"`, `"relu"`, `"leaky_relu"`
#   (slope $0.01$) and `"elu"` ($\alpha = 1$); anything else is a `ValueError`.
#
# Check your work at any time with `autograder check backprop.py`.

# %%
import numpy as np

# %% [markdown]
# ## 1. Activations and their derivatives
#
# You wrote these in the activations assignment; here one function serves every
# activation by name. Derivatives at the kink $z = 0$ follow the lecture's
# convention that the $z \le 0$ branch owns the kink:
# $\mathrm{relu}'(0) = 0$, $\mathrm{leaky\_relu}'(0) = 0.01$, $\mathrm{elu}'(0) = \alpha = 1$.
#
# | name | $f(z)$ | $f'(z)$ |
# |---|---|---|
# | sigmoid | $\sigma(z) = \frac{1}{1 + e^{-z}}$ | $\sigma(z)\,(1 - \sigma(z))$ |
# | tanh | $\frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}$ | $1 - \tanh^2 z$ |
# | relu | $\max(0, z)$ | $1$ if $z > 0$ else $0$ |
# | leaky_relu | $\max(0.01 z, z)$ | $1$ if $z > 0$ else $0.01$ |
# | elu | $z$ if $z > 0$ else $\alpha (e^{z} - 1)$ | $1$ if $z > 0$ else $\alpha e^{z}$ |
#
# A stable sigmoid never evaluates $e^{-z}$ for a very negative $z$ (it would
# overflow at $z = -1000$): with $e = e^{-|z|} \le 1$, $\sigma(z) = 1/(1+e)$ for
# $z \ge 0$ and $e/(1+e)$ for $z < 0$.

# %%
def activate(z, activation="sigmoid"):
    """The activation ``activation`` applied elementwise to ``z``.

    z: array of any shape, or a Python scalar.
    activation: "sigmoid", "tanh", "relu", "leaky_relu" (slope 0.01) or "elu" (alpha 1.0).
    Returns a float64 ndarray of z's shape (0-d for a scalar). Raises ValueError
    for an unknown name (rule `raises-on-unknown-name`). Finite and warning-free for |z| <= 1000.
    """
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=np.float64)
    if activation == "sigmoid":
        e = np.exp(-np.abs(z))  # in (0, 1]: cannot overflow
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    if activation == "tanh":
        return np.tanh(z)
    if activation == "relu":
        return np.where(z > 0, z, 0.0)
    if activation == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    if activation == "elu":
        return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))
    raise ValueError(f"unknown activation {activation!r}")
    ### END SOLUTION


def activate_derivative(z, activation="sigmoid"):
    """d activation / dz elementwise at ``z`` (same names and shapes as ``activate``).

    Kink conventions at z = 0: relu'(0) = 0, leaky_relu'(0) = 0.01, elu'(0) = 1
    (rule `kink-takes-the-left-branch`).
    """
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=np.float64)
    if activation == "sigmoid":
        e = np.exp(-np.abs(z))  # sigma(z) sigma(-z) = e / (1 + e)^2, symmetric in z
        return e / (1.0 + e) ** 2
    if activation == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if activation == "relu":
        return np.where(z > 0, 1.0, 0.0)
    if activation == "leaky_relu":
        return np.where(z > 0, 1.0, 0.01)
    if activation == "elu":
        return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0)))
    raise ValueError(f"unknown activation {activation!r}")
    ### END SOLUTION


# %% tags=["tests"] points=2
_z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
assert np.allclose(activate(_z, "sigmoid"), 1.0 / (1.0 + np.exp(-_z)))
assert np.allclose(activate_derivative(_z, "tanh"), 1.0 - np.tanh(_z) ** 2)
assert np.array_equal(activate(_z, "relu"), np.maximum(_z, 0.0))
assert activate_derivative(0.0, "relu") == 0.0 and activate_derivative(0.0, "leaky_relu") == 0.01
### BEGIN HIDDEN TESTS
with np.errstate(over="raise", invalid="raise", divide="raise"):
    _far = np.array([-1000.0, 1000.0])
    for _name in ("sigmoid", "tanh", "relu", "leaky_relu", "elu"):
        assert np.all(np.isfinite(activate(_far, _name)))
        assert np.all(np.isfinite(activate_derivative(_far, _name)))
assert activate_derivative(0.0, "elu") == 1.0
assert activate(np.arange(3), "relu").dtype == np.float64
### END HIDDEN TESTS

# %% [markdown]
# ## 2. The loss: mean squared error
#
# For targets $y_1, \dots, y_n$ and predictions $\hat y_1, \dots, \hat y_n$
#
# $$L = \mathrm{MSE}(y, \hat y) = \frac{1}{n} \sum_{i=1}^{n} (y_i - \hat y_i)^2,
# \qquad \frac{\partial L}{\partial \hat y_i} = \frac{2\,(\hat y_i - y_i)}{n}.$$
#
# `n` is the number of elements (after broadcasting `y` against `y_hat`); a
# scalar counts as one element.

# %%
def mse_loss(y, y_hat):
    """Mean squared error mean((y - y_hat)^2) over all elements, as a Python float.

    y, y_hat: arrays of the same (or broadcastable) shape, or scalars.
    """
    ### BEGIN SOLUTION
    y = np.asarray(y, dtype=np.float64)
    y_hat = np.asarray(y_hat, dtype=np.float64)
    return float(np.mean((y - y_hat) ** 2))
    ### END SOLUTION


def mse_loss_derivative(y, y_hat):
    """d mse_loss(y, y_hat) / d y_hat = 2 (y_hat - y) / n, elementwise.

    Returns a float64 ndarray of the broadcast shape of y and y_hat (0-d for
    scalars); n is its number of elements.
    """
    ### BEGIN SOLUTION
    y, y_hat = np.broadcast_arrays(np.asarray(y, dtype=np.float64),
                                   np.asarray(y_hat, dtype=np.float64))
    return np.asarray(2.0 * (y_hat - y) / y_hat.size)
    ### END SOLUTION


# %% tags=["tests"] points=1
assert np.isclose(mse_loss(np.array([1.0, 0.0]), np.array([0.5, 0.5])), 0.25)
assert np.allclose(mse_loss_derivative(np.array([1.0, 0.0]), np.array([0.5, 0.5])), [-0.5, 0.5])
### BEGIN HIDDEN TESTS
assert isinstance(mse_loss(1.0, 0.0), float)
assert mse_loss_derivative(np.zeros((2, 3)), np.ones((2, 3))).shape == (2, 3)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The chain rule, one path at a time
#
# The lecture's network has one input $x$, one hidden node $O1_1$, two nodes
# $O2_1, O2_2$ in the second layer that both read $O1_1$, and one output $O3_1$
# that reads both of them:
#
# $$
# \begin{aligned}
# o_1 &= f(w_1 x + b_1) \\
# o_{2,1} &= f(w_2 o_1 + b_2) & o_{2,2} &= f(w_3 o_1 + b_3) \\
# o_3 &= f(w_4 o_{2,1} + w_5 o_{2,2} + b_4) & L &= \mathrm{MSE}(y, o_3)
# \end{aligned}
# $$
#
# The loss depends on $w_1$ along **two paths**, and the lecture spells both out:
#
# 1. loss depends on $O3_1$, $O3_1$ depends on $O2_1$, $O2_1$ on $O1_1$, $O1_1$ on $w_1$;
# 2. loss depends on $O3_1$, $O3_1$ depends on $O2_2$, $O2_2$ on $O1_1$, $O1_1$ on $w_1$.
#
# Along one path the derivative is the **product** of the local derivatives
# (the chain rule); over several paths the contributions **add up**:
#
# $$
# \frac{\partial L}{\partial w_1} =
# \underbrace{\frac{\partial L}{\partial O3_1}\,\frac{\partial O3_1}{\partial O2_1}\,
# \frac{\partial O2_1}{\partial O1_1}\,\frac{\partial O1_1}{\partial w_1}}_{\text{path through } O2_1}
# \;+\;
# \underbrace{\frac{\partial L}{\partial O3_1}\,\frac{\partial O3_1}{\partial O2_2}\,
# \frac{\partial O2_2}{\partial O1_1}\,\frac{\partial O1_1}{\partial w_1}}_{\text{path through } O2_2}.
# $$
#
# Each local derivative is the activation's slope times one weight, for example
# $\partial O3_1 / \partial O2_1 = f'(z_3)\, w_4$ and $\partial O1_1 / \partial w_1 = f'(z_1)\, x$,
# where $z$ is the node's pre-activation.

# %%
def chain_rule(local_derivatives):
    """The product of the local derivatives along one path.

    local_derivatives: a non-empty sequence of numbers (a Python float is
    returned) or of equally shaped arrays (a float64 array of that shape is
    returned, e.g. one entry per sample of a batch).
    """
    ### BEGIN SOLUTION
    product = np.ones((), dtype=np.float64)
    for factor in local_derivatives:
        product = product * np.asarray(factor, dtype=np.float64)
    return float(product) if product.ndim == 0 else product
    ### END SOLUTION


def sum_over_paths(paths):
    """The sum over paths of each path's chain-rule product.

    paths: a sequence of paths, each a sequence of local derivatives as for
    ``chain_rule`` (paths may have different lengths). For the lecture's dL/dw1
    pass the two paths through O2_1 and O2_2.
    """
    ### BEGIN SOLUTION
    total = np.zeros((), dtype=np.float64)
    for path in paths:
        total = total + np.asarray(chain_rule(path), dtype=np.float64)
    return float(total) if total.ndim == 0 else total
    ### END SOLUTION


# %% tags=["tests"] points=1
assert np.isclose(chain_rule([0.25, 0.15, 0.10, 0.05, 0.02]), 0.25 * 0.15 * 0.10 * 0.05 * 0.02)
assert np.isclose(sum_over_paths([[2.0, 3.0], [4.0, 0.5, 0.5]]), 7.0)
### BEGIN HIDDEN TESTS
assert np.allclose(chain_rule([np.array([1.0, 2.0]), np.array([3.0, 4.0])]), [3.0, 8.0])
assert np.isclose(sum_over_paths([[5.0]]), 5.0)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The update rule
#
# $$w_{\text{new}} = w_{\text{old}} - \eta\, \frac{\partial L}{\partial w_{\text{old}}}$$
#
# The minus sign moves $w$ **downhill**: where the loss grows with $w$
# ($\partial L / \partial w > 0$) the weight decreases. The learning rate $\eta$
# scales the step. Return a new array; the caller's `w` must keep its value.

# %%
def gradient_descent_step(w, grad, lr):
    """One gradient-descent step: a NEW float64 array w - lr * grad (shape of w)."""
    ### BEGIN SOLUTION
    return np.asarray(np.asarray(w, dtype=np.float64) - float(lr) * np.asarray(grad, dtype=np.float64))
    ### END SOLUTION


# %% tags=["tests"] points=1
_w = np.array([1.0, -2.0])
assert np.allclose(gradient_descent_step(_w, np.array([0.5, -0.5]), 0.1), [0.95, -1.95])
assert np.array_equal(_w, [1.0, -2.0])
### BEGIN HIDDEN TESTS
assert gradient_descent_step(_w, np.array([0.5, -0.5]), 0.1) is not _w
assert np.allclose(gradient_descent_step(_w, np.array([1.0, 1.0]), 0.0), _w)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Forward pass
#
# `params` is a dict of floats with keys `w1` ... `w5` and `b1` ... `b4`. `x`
# is a scalar or a 1-D batch of inputs; every node then holds one value per
# sample, so each result has the shape of `x`.

# %%
def forward(params, x, activation="sigmoid"):
    """The lecture network's node values for input ``x``.

    Returns a dict with keys "o1", "o2_1", "o2_2", "o3", each a float64 ndarray
    of x's shape (0-d for a scalar x):
    o1 = f(w1 x + b1), o2_1 = f(w2 o1 + b2), o2_2 = f(w3 o1 + b3),
    o3 = f(w4 o2_1 + w5 o2_2 + b4), with f = activate(., activation).
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    o1 = activate(params["w1"] * x + params["b1"], activation)
    o2_1 = activate(params["w2"] * o1 + params["b2"], activation)
    o2_2 = activate(params["w3"] * o1 + params["b3"], activation)
    o3 = activate(params["w4"] * o2_1 + params["w5"] * o2_2 + params["b4"], activation)
    return {"o1": o1, "o2_1": o2_1, "o2_2": o2_2, "o3": o3}
    ### END SOLUTION


# %% [markdown]
# ## 6. Backward pass
#
# With $L = \mathrm{MSE}(y, o_3)$ over the batch, compute $\partial L / \partial p$
# for all nine parameters. Work backwards from the output, reusing what you
# already have: the error signal at a node, times the local derivative of one
# edge, is the error signal one step further back. At $O1_1$ the signals of the
# **two** paths (through $O2_1$ and through $O2_2$) add up, exactly as in
# `sum_over_paths`. A weight's gradient sums over the samples of the batch
# (the $1/n$ of the mean is already in $\partial L / \partial o_3$).

# %%
def backward(params, x, y, activation="sigmoid"):
    """dL/dp for every parameter p of ``params``, with L = mse_loss(y, o3) over the batch.

    Returns a dict with the keys of params ("w1".."w5", "b1".."b4"), each a
    Python float. x and y: scalars, or 1-D batches of the same length.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    z1 = params["w1"] * x + params["b1"]
    o1 = activate(z1, activation)
    z2_1 = params["w2"] * o1 + params["b2"]
    z2_2 = params["w3"] * o1 + params["b3"]
    o2_1 = activate(z2_1, activation)
    o2_2 = activate(z2_2, activation)
    z3 = params["w4"] * o2_1 + params["w5"] * o2_2 + params["b4"]
    o3 = activate(z3, activation)

    dL_do3 = mse_loss_derivative(y, o3)
    dL_dz3 = dL_do3 * activate_derivative(z3, activation)
    dL_dz2_1 = dL_dz3 * params["w4"] * activate_derivative(z2_1, activation)
    dL_dz2_2 = dL_dz3 * params["w5"] * activate_derivative(z2_2, activation)
    # Two paths meet at o1: through o2_1 and through o2_2.
    dL_dz1 = sum_over_paths([[dL_dz2_1, params["w2"]], [dL_dz2_2, params["w3"]]]) \
        * activate_derivative(z1, activation)

    grads = {
        "w1": dL_dz1 * x, "b1": dL_dz1,
        "w2": dL_dz2_1 * o1, "b2": dL_dz2_1,
        "w3": dL_dz2_2 * o1, "b3": dL_dz2_2,
        "w4": dL_dz3 * o2_1, "w5": dL_dz3 * o2_2, "b4": dL_dz3,
    }
    return {name: float(np.sum(grads[name])) for name in params}
    ### END SOLUTION


# %% tags=["tests"] points=3
_params = {"w1": 0.5, "w2": -0.3, "w3": 0.8, "w4": 0.6, "w5": -0.4,
           "b1": 0.1, "b2": 0.05, "b3": -0.1, "b4": 0.2}
_x, _y = np.array([-1.0, 0.3, 1.2]), np.array([0.2, 0.5, 0.9])
assert set(forward(_params, _x)) == {"o1", "o2_1", "o2_2", "o3"}
assert forward(_params, _x)["o3"].shape == (3,)


def _numeric_gradient(name, activation, eps=1e-6):
    """Central difference of mse_loss(y, forward(params, x)["o3"]) in one parameter."""
    ahead, behind = dict(_params), dict(_params)
    ahead[name] += eps
    behind[name] -= eps
    return (mse_loss(_y, forward(ahead, _x, activation)["o3"])
            - mse_loss(_y, forward(behind, _x, activation)["o3"])) / (2 * eps)


_grads = backward(_params, _x, _y)
assert set(_grads) == set(_params)
for _name in _params:
    assert np.isclose(_grads[_name], _numeric_gradient(_name, "sigmoid"), rtol=1e-5, atol=1e-8), _name
### BEGIN HIDDEN TESTS
for _activation in ("tanh", "elu"):
    _grads = backward(_params, _x, _y, _activation)
    for _name in _params:
        assert np.isclose(_grads[_name], _numeric_gradient(_name, _activation), rtol=1e-5, atol=1e-8)
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Training
#
# Plain gradient descent: at each of `steps` steps, record the current loss,
# compute all gradients with `backward`, and update every parameter with
# `gradient_descent_step`. So `losses[0]` is the loss of the parameters you were
# given and `len(losses) == steps`. Build a new dict: the caller's `params` must
# not change.

# %%
def train(params, x, y, lr=0.5, steps=100, activation="sigmoid"):
    """Run ``steps`` steps of gradient descent on mse_loss(y, forward(params, x)["o3"]).

    Returns (new_params, losses): new_params is a new dict of floats with the
    keys of params; losses is a list of ``steps`` floats, losses[i] being the
    loss before step i.
    """
    ### BEGIN SOLUTION
    current = {name: float(value) for name, value in params.items()}
    losses = []
    for _ in range(steps):
        losses.append(mse_loss(y, forward(current, x, activation)["o3"]))
        grads = backward(current, x, y, activation)
        current = {name: float(gradient_descent_step(current[name], grads[name], lr))
                   for name in current}
    return current, losses
    ### END SOLUTION


# %% tags=["tests"] points=2
_start = dict(_params)
_fitted, _losses = train(_params, _x, _y, lr=0.5, steps=20)
assert len(_losses) == 20 and _losses[-1] < _losses[0]
assert np.isclose(_losses[0], mse_loss(_y, forward(_params, _x)["o3"]))
assert _params == _start
### BEGIN HIDDEN TESTS
assert np.isclose(_losses[1], mse_loss(_y, forward(train(_params, _x, _y, lr=0.5, steps=1)[0], _x)["o3"]))
### END HIDDEN TESTS

# %% [markdown]
# ## 8. Try it
#
# Fit the network to a small batch and watch the loss go down. With the sigmoid
# every local derivative is at most $1/4$, so the gradients reaching $w_1$ are
# smaller than those at $w_4$: the first hint of the vanishing-gradient problem
# that the next assignment studies.

# %%
if __name__ == "__main__":
    start = {"w1": 0.5, "w2": -0.3, "w3": 0.8, "w4": 0.6, "w5": -0.4,
             "b1": 0.1, "b2": 0.0, "b3": -0.1, "b4": 0.2}
    inputs = np.linspace(-1.0, 1.0, 8)
    targets = 0.5 + 0.3 * inputs
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "elu"):
        fitted, history = train(start, inputs, targets, lr=0.5, steps=200, activation=name)
        print(f"{name:>10}: loss {history[0]:.4f} -> {history[-1]:.4f}")
