# Activation functions and their derivatives
#
# Fill in every function below: replace each `raise NotImplementedError()`
# with your code. Keep the names and the signatures.
#
# Check your work before you submit:
#
#     autograder check activations.py
#
# or, in this folder: pytest --submission activations.py tests/
# The grader runs more tests than the ones you were given.

import numpy as np


def sigmoid(x):
    """Logistic sigmoid 1 / (1 + exp(-x)), elementwise.

    Args:
        x: numpy array of any shape, or a Python scalar (int or float).

    Returns:
        float64 array of x's shape with values in [0, 1]; finite and free of
        overflow for |x| <= 1000. The input is not modified.
    """
    x = np.asarray(x, dtype=np.float64)
    half = 0.5 * x
    return 0.5 * (1.0 + np.tanh(half))


def sigmoid_derivative(x):
    """d sigmoid / dx = sigmoid(x) (1 - sigmoid(x)), elementwise.

    Returns a float64 array of x's shape with values in [0, 1/4]; finite and
    free of overflow for |x| <= 1000. The input is not modified.
    """
    c = np.cosh(0.5 * np.clip(np.asarray(x, dtype=np.float64), -700, 700))
    return 0.25 / (c * c)


def tanh(x):
    """Hyperbolic tangent, elementwise.

    Returns a float64 array of x's shape with values in [-1, 1]; finite for
    |x| <= 1000. The input is not modified.
    """
    return np.tanh(np.asarray(x, dtype=np.float64))


def tanh_derivative(x):
    """d tanh / dx = 1 - tanh(x)**2, elementwise.

    Returns a float64 array of x's shape with values in [0, 1]. The input is
    not modified.
    """
    return 1.0 - np.tanh(np.asarray(x, dtype=np.float64)) ** 2


def relu(x):
    """max(0, x), elementwise.

    Returns a float64 array of x's shape (also for integer input). The input
    is not modified.
    """
    x = np.asarray(x, dtype=np.float64)
    return x * np.heaviside(x, 0.0)


def relu_derivative(x):
    """d relu / dx: 1.0 where x > 0, else 0.0. At the kink, relu_derivative(0) = 0
    (rule `kink-takes-the-left-branch`).

    Returns a float64 array of x's shape. The input is not modified.
    """
    return np.heaviside(np.asarray(x, dtype=np.float64), 0.0)


def leaky_relu(x, alpha=0.01):
    """x where x > 0, else alpha * x, elementwise (alpha is a float, 0 < alpha < 1).

    Returns a float64 array of x's shape. The input is not modified.
    """
    x = np.asarray(x, dtype=np.float64)
    h = np.heaviside(x, 0.0)
    return x * (h + alpha * (1.0 - h))


def leaky_relu_derivative(x, alpha=0.01):
    """d leaky_relu / dx: 1.0 where x > 0, else alpha. At the kink the value is alpha
    (rule `kink-takes-the-left-branch`).

    Returns a float64 array of x's shape. The input is not modified.
    """
    h = np.heaviside(np.asarray(x, dtype=np.float64), 0.0)
    return h + alpha * (1.0 - h)


def prelu(x, a):
    """x where x > 0, else a * x, elementwise; a is a float (any real value).

    Returns a float64 array of x's shape. The input is not modified.
    """
    x = np.asarray(x, dtype=np.float64)
    h = np.heaviside(x, 0.0)
    return x * (h + a * (1.0 - h))


def prelu_derivative(x, a):
    """d prelu / dx: 1.0 where x > 0, else a. At the kink the value is a
    (rule `kink-takes-the-left-branch`).

    Returns a float64 array of x's shape. The input is not modified.
    """
    h = np.heaviside(np.asarray(x, dtype=np.float64), 0.0)
    return h + a * (1.0 - h)


def prelu_grad_a(x, a):
    """d prelu / da, elementwise: x where x <= 0 (the kink too), else 0.0
    (rule `kink-takes-the-left-branch`).

    Returns a float64 array of x's shape. The input is not modified.
    """
    x = np.asarray(x, dtype=np.float64)
    return x * (1.0 - np.heaviside(x, 0.0))


def elu(x, alpha=1.0):
    """x where x > 0, else alpha * (exp(x) - 1), elementwise (alpha > 0).

    Returns a float64 array of x's shape; finite and free of overflow for
    |x| <= 1000. The input is not modified.
    """
    x = np.asarray(x, dtype=np.float64)
    h = np.heaviside(x, 0.0)
    return h * x + (1.0 - h) * alpha * np.expm1(np.fmin(x, 0.0))


def elu_derivative(x, alpha=1.0):
    """d elu / dx: 1.0 where x > 0, else alpha * exp(x). At the kink the value is alpha
    (rule `kink-takes-the-left-branch`).

    Returns a float64 array of x's shape; finite and free of overflow for
    |x| <= 1000. The input is not modified.
    """
    x = np.asarray(x, dtype=np.float64)
    h = np.heaviside(x, 0.0)
    return h + (1.0 - h) * alpha * np.exp(np.fmin(x, 0.0))


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
    z = np.asarray(z, dtype=np.float64)
    m = np.max(z, axis=axis, keepdims=True)
    w = np.exp(z - m)
    return w / w.sum(axis=axis, keepdims=True)


def softmax_jacobian(z):
    """The (n, n) Jacobian of softmax at a 1-D z of length n: diag(s) - s s^T.

    Entry [i, j] is d softmax(z)_i / d z_j. Returns a float64 array of shape
    (n, n). The input is not modified.
    """
    s = softmax(z)
    n = s.shape[0]
    return s.reshape(n, 1) * np.identity(n) - np.outer(s, s)
