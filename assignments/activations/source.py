# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Activation functions and their derivatives
#
# Training a network means repeating the **weight update**
#
# $$w_{\text{new}} = w_{\text{old}} - \eta \, \frac{\partial L}{\partial w_{\text{old}}}$$
#
# where $\eta$ is the learning rate. Backpropagation computes
# $\partial L / \partial w$ with the chain rule, and every neuron the signal
# passes through contributes one factor: the **derivative of its activation
# function**. In the lecture's small network the loss reaches $w_1$ along two
# paths (through $O2_1$ and through $O2_2$), and the two products are added:
#
# $$\frac{\partial L}{\partial w_1} =
#   \frac{\partial L}{\partial O3_1}\,\frac{\partial O3_1}{\partial O2_1}\,
#   \frac{\partial O2_1}{\partial O1_1}\,\frac{\partial O1_1}{\partial w_1}
# + \frac{\partial L}{\partial O3_1}\,\frac{\partial O3_1}{\partial O2_2}\,
#   \frac{\partial O2_2}{\partial O1_1}\,\frac{\partial O1_1}{\partial w_1}$$
#
# So the activation and its derivative decide how well gradients flow. In this
# assignment you implement the activations of the lecture and their
# derivatives in numpy: sigmoid, tanh, ReLU, Leaky ReLU, PReLU, ELU and
# softmax.
#
# ![Each activation of the lecture beside its derivative; the sigmoid's derivative never exceeds 1/4](activations.png)
#
# Each activation (blue) beside its derivative (red, all derivatives on the
# same scale). The sigmoid's derivative never exceeds $\tfrac14$, reached at
# $x = 0$: every sigmoid layer multiplies the gradient by at most $\tfrac14$.
#
# ## Rules for every function
#
# * Inputs are numpy arrays of **any shape** or Python scalars (ints too).
#   Return a **float64** numpy array of the **same shape** (for a scalar input
#   a 0-d array or a numpy float is fine).
# * Never modify the input array: build and return a new one.
# * Stay finite and warning-free for every $|x| \le 1000$. The grader runs
#   your code under `np.errstate(over="raise", invalid="raise", divide="raise")`,
#   so an overflow in `np.exp` is an error even when the final value would be
#   right. Underflow (a tiny number rounded to 0) is fine.
# * Beware of `np.where(cond, a, b)`: it evaluates **both** `a` and `b` on
#   every element, so `np.where(x > 0, 1.0, np.exp(x))` still overflows at
#   $x = 1000$. Clamp the argument first (`np.exp(np.minimum(x, 0.0))`).
#
# Check your work with `autograder check activations.py` (or
# `pytest --submission activations.py tests/` in the release folder).

# %%
import numpy as np

# %% [markdown]
# ## 1. Sigmoid
#
# $$\sigma(x) = \frac{1}{1 + e^{-x}}, \qquad \sigma'(x) = \sigma(x)\,\bigl(1 - \sigma(x)\bigr)$$
#
# Sigmoid was the activation used most frequently in the beginning of deep
# learning.
#
# **Advantages**
# 1. Smooth gradient, preventing "jumps" in the output value.
# 2. Output bounded between 0 and 1, normalising the output of each neuron.
# 3. Clear predictions: outputs very close to 0 or 1.
#
# **Disadvantages**
# 1. Prone to vanishing gradients: $0 \le \sigma'(x) \le \tfrac14$, with the
#    maximum $\sigma'(0) = \tfrac14$. A deep chain multiplies one such factor per
#    layer, e.g. $0.25 \times 0.15 \times 0.10 \times 0.05 \times 0.02$, so the
#    gradient reaching the first layers is tiny,
#    $w_{\text{new}} = w_{\text{old}} - \eta\,(\text{small number}) \approx w_{\text{old}}$,
#    and the early weights hardly change.
# 2. The output is not zero-centred.
# 3. The exponential is relatively expensive to compute.
#
# **Numerical stability.** $e^{-x}$ overflows for $x < -709$. For $x < 0$ use
# the equal form $\sigma(x) = \frac{e^{x}}{1 + e^{x}}$, whose exponential is
# at most 1.

# %%
def sigmoid(x):
    """Logistic sigmoid 1 / (1 + exp(-x)), elementwise.

    Args:
        x: numpy array of any shape, or a Python scalar (int or float).

    Returns:
        float64 array of x's shape with values in [0, 1]; finite and free of
        overflow for |x| <= 1000. The input is not modified.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    decay = np.exp(-np.abs(x))  # in (0, 1]: cannot overflow
    return np.where(x >= 0, 1.0 / (1.0 + decay), decay / (1.0 + decay))
    ### END SOLUTION


# %%
def sigmoid_derivative(x):
    """d sigmoid / dx = sigmoid(x) (1 - sigmoid(x)), elementwise.

    Returns a float64 array of x's shape with values in [0, 1/4]; finite and
    free of overflow for |x| <= 1000. The input is not modified.
    """
    ### BEGIN SOLUTION
    s = sigmoid(x)
    return s * (1.0 - s)
    ### END SOLUTION


# %% [markdown]
# ## 2. Tanh
#
# $$\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}, \qquad \tanh'(x) = 1 - \tanh^2(x)$$
#
# The output ranges from $-1$ to $+1$: the function is **zero-centred**, which
# is better than sigmoid. Its derivative reaches 1 at $x = 0$ but still
# saturates for large $|x|$, so in a deep network the vanishing gradient
# problem can still appear. In a binary classification problem tanh is often
# used in the hidden layers and sigmoid in the output layer.
#
# Note: $e^{x}$ overflows for $x > 709$; numpy's `np.tanh` does not.

# %%
def tanh(x):
    """Hyperbolic tangent, elementwise.

    Returns a float64 array of x's shape with values in [-1, 1]; finite for
    |x| <= 1000. The input is not modified.
    """
    ### BEGIN SOLUTION
    return np.tanh(np.asarray(x, dtype=np.float64))
    ### END SOLUTION


# %%
def tanh_derivative(x):
    """d tanh / dx = 1 - tanh(x)**2, elementwise.

    Returns a float64 array of x's shape with values in [0, 1]. The input is
    not modified.
    """
    ### BEGIN SOLUTION
    t = tanh(x)
    return 1.0 - t * t
    ### END SOLUTION


# %% tags=["tests"] points=2
_x = np.linspace(-8.0, 8.0, 33)
assert np.allclose(sigmoid(-_x), 1.0 - sigmoid(_x))
assert np.allclose(sigmoid_derivative(_x), sigmoid(_x) * (1.0 - sigmoid(_x)))
assert np.all(sigmoid_derivative(_x) <= sigmoid_derivative(0.0))
assert np.allclose(tanh(_x), 2.0 * sigmoid(2.0 * _x) - 1.0)
assert np.allclose(tanh_derivative(_x), 1.0 - np.tanh(_x) ** 2)
### BEGIN HIDDEN TESTS
with np.errstate(over="raise", invalid="raise", divide="raise"):
    _far = np.array([-1000.0, -30.0, 30.0, 1000.0])
    assert np.all(np.isfinite(sigmoid(_far))) and np.all(np.isfinite(sigmoid_derivative(_far)))
    assert np.all(np.isfinite(tanh(_far))) and np.all(np.isfinite(tanh_derivative(_far)))
assert sigmoid(np.arange(3)).dtype == np.float64
### END HIDDEN TESTS

# %% [markdown]
# ## 3. ReLU
#
# $$\mathrm{ReLU}(x) = \max(0, x), \qquad
#   \mathrm{ReLU}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}$$
#
# The Rectified Linear Unit is the most popular activation function.
#
# **Advantages**
# * When the input is positive there is no gradient saturation problem.
# * Much faster to compute than sigmoid and tanh: only a linear relationship,
#   in the forward and the backward pass, no exponential.
#
# **Disadvantages**
# * When the input is negative ReLU is completely inactive: the gradient is
#   exactly zero, so a neuron that only receives negative inputs stops
#   learning ("dead ReLU").
# * The output is 0 or positive, so ReLU is not zero-centred.
#
# **Kink convention.** ReLU has no derivative at $x = 0$. Like PyTorch and JAX,
# we let the $x \le 0$ branch own the kink: $\mathrm{ReLU}'(0) = 0$.

# %%
def relu(x):
    """max(0, x), elementwise.

    Returns a float64 array of x's shape (also for integer input). The input
    is not modified.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, 0.0)
    ### END SOLUTION


# %%
def relu_derivative(x):
    """d relu / dx: 1.0 where x > 0, else 0.0. At the kink, relu_derivative(0) = 0
    (rule `kink-takes-the-left-branch`).

    Returns a float64 array of x's shape. The input is not modified.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 1.0, 0.0)
    ### END SOLUTION


# %% [markdown]
# ## 4. Leaky ReLU
#
# $$f(x) = \max(0.01\,x,\ x), \qquad
#   f'(x) = \begin{cases} 1 & x > 0 \\ \alpha & x \le 0 \end{cases}$$
#
# To solve the dead ReLU problem, the negative half of ReLU is set to
# $\alpha x$ with a small slope $\alpha = 0.01$ instead of 0. In theory Leaky
# ReLU has all the advantages of ReLU and no dead ReLU problem, but it has not
# been fully proved that it is always better than ReLU in practice.
#
# **Kink convention:** the $x \le 0$ branch owns the kink, so $f'(0) = \alpha$.

# %%
def leaky_relu(x, alpha=0.01):
    """x where x > 0, else alpha * x, elementwise (alpha is a float, 0 < alpha < 1).

    Returns a float64 array of x's shape. The input is not modified.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, alpha * x)
    ### END SOLUTION


# %%
def leaky_relu_derivative(x, alpha=0.01):
    """d leaky_relu / dx: 1.0 where x > 0, else alpha. At the kink the value is alpha
    (rule `kink-takes-the-left-branch`).

    Returns a float64 array of x's shape. The input is not modified.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 1.0, alpha)
    ### END SOLUTION


# %% tags=["tests"] points=2
_x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
assert np.array_equal(relu(_x), np.maximum(_x, 0.0))
assert relu_derivative(0.0) == 0.0
assert np.array_equal(leaky_relu(_x), np.maximum(0.01 * _x, _x))
assert leaky_relu_derivative(0.0, alpha=0.2) == 0.2
### BEGIN HIDDEN TESTS
assert relu(np.arange(-2, 3)).dtype == np.float64
assert np.array_equal(relu_derivative(_x), (_x > 0).astype(float))
assert np.allclose(leaky_relu_derivative(_x, 0.3), np.where(_x > 0, 1.0, 0.3))
### END HIDDEN TESTS

# %% [markdown]
# ## 5. PReLU (parametric ReLU)
#
# Another intuitive idea is a parameter-based method: the slope of the
# negative branch becomes a parameter $a$ that is **learned by
# backpropagation**,
#
# $$f(y_i) = \begin{cases} y_i & y_i > 0 \\ a_i\, y_i & y_i \le 0 \end{cases}$$
#
# Its derivatives are
#
# $$\frac{\partial f}{\partial y} = \begin{cases} 1 & y > 0 \\ a & y \le 0 \end{cases},
#   \qquad
#   \frac{\partial f}{\partial a} = \begin{cases} 0 & y > 0 \\ y & y \le 0 \end{cases}$$
#
# and $\partial L / \partial a$ (by the chain rule through
# $\partial f / \partial a$) is what updates $a$. Use the two-branch definition:
# $\max(a y, y)$ only equals it when $a \le 1$.
#
# **Kink convention:** $\partial f / \partial y$ at $0$ is $a$.

# %%
def prelu(x, a):
    """x where x > 0, else a * x, elementwise; a is a float (any real value).

    Returns a float64 array of x's shape. The input is not modified.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, a * x)
    ### END SOLUTION


# %%
def prelu_derivative(x, a):
    """d prelu / dx: 1.0 where x > 0, else a. At the kink the value is a
    (rule `kink-takes-the-left-branch`).

    Returns a float64 array of x's shape. The input is not modified.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 1.0, a)
    ### END SOLUTION


# %%
def prelu_grad_a(x, a):
    """d prelu / da, elementwise: x where x <= 0 (the kink too), else 0.0
    (rule `kink-takes-the-left-branch`).

    Returns a float64 array of x's shape. The input is not modified.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 0.0, x)
    ### END SOLUTION


# %% [markdown]
# ## 6. ELU (Exponential Linear Unit)
#
# $$f(x) = \begin{cases} x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0 \end{cases},
#   \qquad
#   f'(x) = \begin{cases} 1 & x > 0 \\ \alpha\, e^{x} & x \le 0 \end{cases}$$
#
# ELU is also proposed to solve the problems of ReLU and has all its
# advantages, plus
# * no dead ReLU issues,
# * the mean of the output is close to zero: it is (almost) zero-centred.
#
# One small problem is that it is slightly more computationally intensive.
# Like Leaky ReLU, although it is theoretically better than ReLU, there is no
# conclusive evidence in practice that ELU is always better than ReLU.
#
# **Kink convention:** $f'(0) = \alpha$ (the left derivative $\alpha e^{0}$).
# Remember that `np.where` evaluates both branches: `np.exp(x)` at $x = 1000$
# overflows even where it is not selected.

# %%
def elu(x, alpha=1.0):
    """x where x > 0, else alpha * (exp(x) - 1), elementwise (alpha > 0).

    Returns a float64 array of x's shape; finite and free of overflow for
    |x| <= 1000. The input is not modified.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))
    ### END SOLUTION


# %%
def elu_derivative(x, alpha=1.0):
    """d elu / dx: 1.0 where x > 0, else alpha * exp(x). At the kink the value is alpha
    (rule `kink-takes-the-left-branch`).

    Returns a float64 array of x's shape; finite and free of overflow for
    |x| <= 1000. The input is not modified.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))
    ### END SOLUTION


# %% tags=["tests"] points=2
_x = np.array([-3.0, -0.5, 0.5, 3.0])
assert np.array_equal(prelu(_x, 0.25), np.where(_x > 0, _x, 0.25 * _x))
assert prelu_derivative(0.0, 0.25) == 0.25
assert np.array_equal(prelu_grad_a(_x, 0.25), np.minimum(_x, 0.0))
assert np.allclose(elu(_x), np.where(_x > 0, _x, np.exp(_x) - 1.0))
assert elu_derivative(0.0, alpha=0.5) == 0.5
### BEGIN HIDDEN TESTS
with np.errstate(over="raise", invalid="raise", divide="raise"):
    assert np.all(np.isfinite(elu_derivative(np.array([-1000.0, 1000.0]))))
assert np.allclose(prelu(_x, 1.5), np.where(_x > 0, _x, 1.5 * _x))
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Softmax
#
# For a vector of logits $z \in \mathbb{R}^n$
#
# $$\operatorname{softmax}(z)_i = s_i = \frac{e^{z_i}}{\sum_{j} e^{z_j}},$$
#
# so the outputs are positive and add up to 1: a probability distribution over
# $n$ classes. Softmax is used in the **output layer of a multiclass
# classifier** (sigmoid for binary classification, ReLU in the hidden layers).
#
# **Numerical stability.** Softmax does not change when the same constant is
# subtracted from every $z_i$. Subtracting $\max_j z_j$ makes every exponent
# $\le 0$, so nothing overflows.
#
# **Batches.** `softmax(z, axis)` normalises along `axis`: for a batch of
# shape `(batch, classes)` use `axis=-1` (the default), so each row sums to 1.
#
# **Jacobian.** Softmax is not elementwise: every $s_i$ depends on every $z_j$,
#
# $$\frac{\partial s_i}{\partial z_j} = s_i\,(\delta_{ij} - s_j), \qquad
#   J = \operatorname{diag}(s) - s\,s^{\top}.$$

# %%
def softmax(z, axis=-1):
    """Softmax of z along `axis`: exp(z) / sum(exp(z)), normalised along that axis.

    Args:
        z: numpy array with at least one dimension (int or float).
        axis: the axis that sums to 1 (default: the last one); every slice of the
            result along it sums to 1 (rule `softmax-sums-to-one`).

    Returns:
        float64 array of z's shape; finite and free of overflow for
        |z| <= 1000. The input is not modified.
    """
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=np.float64)
    shifted = z - np.max(z, axis=axis, keepdims=True)  # every exponent <= 0
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)
    ### END SOLUTION


# %%
def softmax_jacobian(z):
    """The (n, n) Jacobian of softmax at a 1-D z of length n: diag(s) - s s^T.

    Entry [i, j] is d softmax(z)_i / d z_j. Returns a float64 array of shape
    (n, n). The input is not modified.
    """
    ### BEGIN SOLUTION
    s = softmax(np.asarray(z, dtype=np.float64))
    return np.diag(s) - np.outer(s, s)
    ### END SOLUTION


# %% tags=["tests"] points=2
_z = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
assert softmax(_z).shape == (2, 3)
assert np.allclose(softmax(_z).sum(axis=-1), 1.0)
assert np.allclose(softmax(_z, axis=0).sum(axis=0), 1.0)
assert softmax_jacobian(_z[0]).shape == (3, 3)
assert np.allclose(softmax_jacobian(_z[0]).sum(axis=0), 0.0)
### BEGIN HIDDEN TESTS
with np.errstate(over="raise", invalid="raise", divide="raise"):
    assert np.allclose(softmax(np.array([1000.0, -1000.0, 1000.0])), [0.5, 0.0, 0.5])
_s = softmax(_z[1])
assert np.allclose(softmax_jacobian(_z[1]), np.diag(_s) - np.outer(_s, _s))
### END HIDDEN TESTS
