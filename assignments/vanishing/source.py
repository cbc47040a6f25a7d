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
# # The vanishing gradient problem
#
# Say we have a very deep neural network, trained with the mean squared error
#
# $$L = \frac{1}{n} \sum_{i=1}^{n} (y_i - \hat y_i)^2$$
#
# and the update rule $w_{\text{new}} = w_{\text{old}} - \eta\, \partial L / \partial w_{\text{old}}$.
# To update the first weight, backpropagation multiplies one factor per layer,
# from the output back to the input:
#
# $$\frac{\partial L}{\partial w_{\text{old}}} = \frac{\partial L}{\partial o_5} \times
# \frac{\partial o_5}{\partial o_4} \times \frac{\partial o_4}{\partial o_3} \times
# \frac{\partial o_3}{\partial o_2} \times \frac{\partial o_2}{\partial w_{\text{old}}}.$$
#
# Every node applies the activation on top of a weighted sum, e.g.
# $0.5 = \sigma(0.4\, w_4 + b)$, so every factor contains the activation's
# derivative. In this assignment you build a deep chain of one-neuron layers,
# compute the gradient of its output with respect to every weight, and see how
# fast it shrinks with the sigmoid, and why ReLU does not shrink it.
#
# **Rules for every function you write**
#
# * Convert inputs with `np.asarray(value, dtype=np.float64)`; results are `float64`.
# * Never modify an input (`weights` may be a list or an array: do not write into it).
# * Stay finite and warning-free for pre-activations as large as $|z| \le 1000$:
#   the grader runs your code under
#   `np.errstate(over="raise", invalid="raise", divide="raise")`.
# * Activation names are `"sigmoid"`, `"tanh"`, `"relu"`, `"leaky_relu"`
#   (slope $0.01$) and `"elu"` ($\alpha = 1$); anything else is a `ValueError`.
#
# Check your work at any time with `autograder check vanishing.py`.

# %%
import numpy as np

# %% [markdown]
# ## 1. Activations and their derivatives
#
# The same two helpers as in the backprop assignment (copy yours). At the kink
# $z = 0$ the $z \le 0$ branch owns the derivative: $\mathrm{relu}'(0) = 0$,
# $\mathrm{leaky\_relu}'(0) = 0.01$, $\mathrm{elu}'(0) = 1$.
#
# | name | $f(z)$ | $f'(z)$ | largest $\lvert f'\rvert$ |
# |---|---|---|---|
# | sigmoid | $\frac{1}{1 + e^{-z}}$ | $\sigma(z)(1 - \sigma(z))$ | $\frac14$ at $z = 0$ |
# | tanh | $\frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}$ | $1 - \tanh^2 z$ | $1$ at $z = 0$ |
# | relu | $\max(0, z)$ | $1$ if $z > 0$ else $0$ | $1$ for every $z > 0$ |
# | leaky_relu | $\max(0.01 z, z)$ | $1$ if $z > 0$ else $0.01$ | $1$ |
# | elu | $z$ if $z > 0$ else $e^{z} - 1$ | $1$ if $z > 0$ else $e^{z}$ | $1$ |

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


# %% tags=["tests"] points=1
_z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
assert np.allclose(activate(_z, "sigmoid"), 1.0 / (1.0 + np.exp(-_z)))
assert np.isclose(activate_derivative(0.0, "sigmoid"), 0.25)
assert activate_derivative(0.0, "relu") == 0.0
### BEGIN HIDDEN TESTS
with np.errstate(over="raise", invalid="raise", divide="raise"):
    for _name in ("sigmoid", "tanh", "relu", "leaky_relu", "elu"):
        assert np.all(np.isfinite(activate_derivative(np.array([-1000.0, 1000.0]), _name)))
### END HIDDEN TESTS

# %% [markdown]
# ## 2. A deep chain
#
# The deepest network with the simplest structure: $n$ layers of one neuron
# each, no biases, input $h_0 = x$ (a scalar) and
#
# $$z_k = w_k\, h_{k-1}, \qquad h_k = f(z_k), \qquad k = 1, \dots, n.$$
#
# `weights` is the sequence $w_1, \dots, w_n$ (a list or a 1-D array).

# %%
def deep_chain_forward(x, weights, activation="sigmoid"):
    """Every value of the chain: the list [h_0, h_1, ..., h_n] of n + 1 floats.

    x: a scalar input (h_0 = x, as a float). weights: w_1 .. w_n (n >= 1).
    h_k = f(w_k h_{k-1}) with f = activate(., activation).
    """
    ### BEGIN SOLUTION
    values = [float(x)]
    for w in np.asarray(weights, dtype=np.float64).reshape(-1):
        values.append(float(activate(w * values[-1], activation)))
    return values
    ### END SOLUTION


# %% [markdown]
# ## 3. The gradient with respect to every weight
#
# $h_n$ depends on $w_k$ only through $z_k$, and from there through every later
# layer. The chain rule multiplies one local derivative per step:
#
# $$\frac{\partial h_n}{\partial w_k} =
# \underbrace{f'(z_n)\, w_n}_{\partial h_n / \partial h_{n-1}} \cdots
# \underbrace{f'(z_{k+1})\, w_{k+1}}_{\partial h_{k+1} / \partial h_k}\;
# \underbrace{f'(z_k)\, h_{k-1}}_{\partial h_k / \partial w_k}
# = f'(z_k)\, h_{k-1} \prod_{j = k+1}^{n} w_j\, f'(z_j).$$
#
# Compute them all in one backward sweep: start with
# $\delta = \partial h_n / \partial h_n = 1$ at the output; at layer $k$ (from $n$
# down to 1) the gradient for $w_k$ is $\delta\, f'(z_k)\, h_{k-1}$, and then
# $\delta \leftarrow \delta\, f'(z_k)\, w_k$ carries the signal one layer back.

# %%
def deep_chain_gradients(x, weights, activation="sigmoid"):
    """g[k] = d h_n / d w_{k+1} for k = 0 .. n-1, as a float64 array of shape (n,).

    g[0] belongs to the first layer (closest to the input), g[n-1] to the last.
    """
    ### BEGIN SOLUTION
    weights = np.asarray(weights, dtype=np.float64).reshape(-1)
    h = deep_chain_forward(x, weights, activation)
    grads = np.empty(weights.size, dtype=np.float64)
    delta = 1.0
    for k in range(weights.size - 1, -1, -1):
        slope = float(activate_derivative(weights[k] * h[k], activation))
        grads[k] = delta * slope * h[k]
        delta = delta * slope * weights[k]
    return grads
    ### END SOLUTION


# %% tags=["tests"] points=2
_w = np.array([0.8, -1.2, 1.5, 0.6])
_h = deep_chain_forward(0.7, _w)
assert len(_h) == 5 and _h[0] == 0.7
assert np.isclose(_h[1], 1.0 / (1.0 + np.exp(-0.8 * 0.7)))


def _numeric_gradients(x, weights, activation, eps=1e-6):
    """Central differences of h_n in each weight."""
    out = []
    for k in range(len(weights)):
        ahead, behind = np.array(weights, dtype=float), np.array(weights, dtype=float)
        ahead[k] += eps
        behind[k] -= eps
        out.append((deep_chain_forward(x, ahead, activation)[-1]
                    - deep_chain_forward(x, behind, activation)[-1]) / (2 * eps))
    return np.array(out)


assert deep_chain_gradients(0.7, _w).shape == (4,)
assert np.allclose(deep_chain_gradients(0.7, _w), _numeric_gradients(0.7, _w, "sigmoid"), rtol=1e-5, atol=1e-9)
### BEGIN HIDDEN TESTS
for _name in ("tanh", "leaky_relu", "elu"):
    assert np.allclose(deep_chain_gradients(0.7, _w, _name), _numeric_gradients(0.7, _w, _name),
                       rtol=1e-5, atol=1e-9)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Why the sigmoid makes gradients vanish
#
# The important property of the sigmoid: its derivative always lies between 0
# and 0.25,
#
# $$\sigma'(z) = \sigma(z)\,\bigl(1 - \sigma(z)\bigr) \in \left(0, \tfrac14\right],
# \qquad \sigma'(0) = \sigma(0)\,(1 - \sigma(0)) = 0.5 \times 0.5 = 0.25,$$
#
# because $\sigma(z)(1 - \sigma(z)) = \tfrac14 - (\sigma(z) - \tfrac12)^2$. Every
# layer of the chain contributes one such factor, so for the first weight
#
# $$\lvert g_0 \rvert = \Bigl\lvert \frac{\partial h_n}{\partial w_1} \Bigr\rvert
# = \lvert x \rvert\, \sigma'(z_1) \prod_{k=2}^{n} \lvert w_k \rvert\, \sigma'(z_k)
# \;\le\; \lvert x \rvert \left(\tfrac14\right)^{n} \prod_{k=2}^{n} \lvert w_k \rvert .$$
#
# The lecture's example multiplies factors like
# $0.25 \times 0.15 \times 0.10 \times 0.05 \times 0.02 \approx 4 \times 10^{-7}$:
# the further back the weight, the smaller its gradient. Then
# $w_{\text{new}} = w_{\text{old}} - \eta \cdot (\text{small number}) \approx w_{\text{old}}$:
# the early weights hardly change, and the network stops learning there. This
# is the **vanishing gradient problem**.

# %%
def vanishing_bound(x, weights):
    """The bound |x| (1/4)^n prod_{k>=2} |w_k| on |g[0]| = |d h_n / d w_1| for the sigmoid chain.

    n = len(weights); the product over w_2 .. w_n is 1 when n = 1. Returns a float.
    """
    ### BEGIN SOLUTION
    weights = np.asarray(weights, dtype=np.float64).reshape(-1)
    return float(abs(float(x)) * 0.25 ** weights.size * np.prod(np.abs(weights[1:])))
    ### END SOLUTION


# %% tags=["tests"] points=1
_w = np.full(12, 1.0)
_g = deep_chain_gradients(1.0, _w, "sigmoid")
assert abs(_g[0]) <= vanishing_bound(1.0, _w)
assert abs(_g[0]) < 1e-3 * abs(_g[-1])
### BEGIN HIDDEN TESTS
assert np.isclose(vanishing_bound(-2.0, [3.0, -0.5]), 2.0 * 0.25 ** 2 * 0.5)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Other activations
#
# * **tanh** is zero-centred and its derivative reaches 1 at $z = 0$, but it
#   saturates like the sigmoid: in a deep enough network the vanishing gradient
#   problem may still appear.
# * **ReLU** has derivative exactly 1 for every positive input: along a path of
#   active units the factors $f'(z_k)$ are all 1 and the gradient does not
#   shrink (with positive weights and input, $g_0 = x \prod_{k \ge 2} w_k$). It
#   is also fast: no exponent to compute. Its weakness is the negative side:
#   there the gradient is exactly 0 and the unit is "dead".
# * **Leaky ReLU** ($\max(0.01 z, z)$) and **PReLU** (a learned slope $a$) keep a
#   small gradient for $z \le 0$; **ELU** ($\alpha(e^z - 1)$ for $z \le 0$) is
#   close to zero-centred and has no dead units either.
#
# ![The gradient reaching layer 1 against depth, on a log scale, for sigmoid, tanh, ReLU, Leaky ReLU and ELU chains, with the (1/4)^n bound](vanishing_gradient.png)
#
# The figure shows $\lvert g_0 \rvert$ by depth for chains with $x = 1$ and every
# $w_k = 1$, computed by the course's reference: the sigmoid's gradient stays
# under the bound $(\tfrac14)^n$, tanh's shrinks more slowly, and ReLU, Leaky
# ReLU and ELU pass it on unchanged.
#
# Run the cell below to compare $\lvert g_0 \rvert$ and $\lvert g_{n-1} \rvert$ by depth.

# %%
if __name__ == "__main__":
    for depth in (2, 5, 10, 20):
        chain = np.full(depth, 1.0)
        for name in ("sigmoid", "tanh", "relu"):
            grads = np.abs(deep_chain_gradients(1.0, chain, name))
            print(f"depth {depth:2d} {name:>7}: |g[0]| = {grads[0]:.3e}, |g[-1]| = {grads[-1]:.3e}")

# %% [markdown]
# **Think about it.** With the sigmoid and all weights equal to 1, by how many
# orders of magnitude does $\lvert g_0 \rvert$ fall per extra layer? What would
# the weights have to be for the sigmoid chain *not* to vanish, and what does
# that do to the pre-activations $z_k$ (and so to $\sigma'(z_k)$)?

# %% [markdown]
# ## 6. Which activation where?
#
# The lecture's guidance:
#
# * **hidden layers**: ReLU (or a variant: PReLU, ELU), because it does not
#   make the gradient vanish;
# * **output layer**: follows the task. Binary classification: **sigmoid**
#   (one probability in $(0, 1)$); multi-class classification: **softmax**
#   (a probability per class); regression: **linear** (the identity, any real
#   value).
#
# `task` is one of `"binary"`, `"multiclass"`, `"regression"` and `layer` is
# `"hidden"` or `"output"`; anything else is a `ValueError`.

# %%
def choose_activation(task, layer):
    """The activation name the lecture recommends for ``layer`` of a ``task`` network.

    Returns "relu" for a hidden layer, and for the output layer "sigmoid"
    (task "binary"), "softmax" ("multiclass") or "linear" ("regression").
    Raises ValueError for any other task, and for a layer other than "hidden"
    and "output" (rule `raises-on-unknown-name`).
    """
    ### BEGIN SOLUTION
    outputs = {"binary": "sigmoid", "multiclass": "softmax", "regression": "linear"}
    if task not in outputs:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(outputs)}")
    if layer == "hidden":
        return "relu"
    if layer == "output":
        return outputs[task]
    raise ValueError(f"unknown layer {layer!r}; expected 'hidden' or 'output'")
    ### END SOLUTION


# %% tags=["tests"] points=1
assert choose_activation("binary", "hidden") == "relu"
assert choose_activation("binary", "output") == "sigmoid"
### BEGIN HIDDEN TESTS
assert choose_activation("multiclass", "output") == "softmax"
assert choose_activation("regression", "output") == "linear"
### END HIDDEN TESTS
