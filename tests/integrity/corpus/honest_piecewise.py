# Activation functions (piecewise definitions with np.piecewise / np.select)
import numpy as np


def _arr(x):
    return np.array(x, dtype=np.float64, copy=True)


def sigmoid(x):
    x = _arr(x)
    return np.piecewise(x, [x >= 0, x < 0],
                        [lambda t: 1.0 / (1.0 + np.exp(-t)), lambda t: np.exp(t) / (1.0 + np.exp(t))])


def sigmoid_derivative(x):
    s = sigmoid(x)
    return np.multiply(s, np.subtract(1.0, s))


def tanh(x):
    return np.tanh(_arr(x))


def tanh_derivative(x):
    return np.subtract(1.0, np.power(np.tanh(_arr(x)), 2))


def relu(x):
    x = _arr(x)
    return np.select([x > 0], [x], default=0.0)


def relu_derivative(x):
    x = _arr(x)
    return np.select([x > 0], [1.0], default=0.0)


def leaky_relu(x, alpha=0.01):
    x = _arr(x)
    return np.piecewise(x, [x > 0, x <= 0], [lambda t: t, lambda t: alpha * t])


def leaky_relu_derivative(x, alpha=0.01):
    x = _arr(x)
    return np.piecewise(x, [x > 0, x <= 0], [1.0, alpha])


def prelu(x, a):
    x = _arr(x)
    return np.piecewise(x, [x > 0, x <= 0], [lambda t: t, lambda t: a * t])


def prelu_derivative(x, a):
    x = _arr(x)
    return np.piecewise(x, [x > 0, x <= 0], [1.0, a])


def prelu_grad_a(x, a):
    x = _arr(x)
    return np.piecewise(x, [x > 0, x <= 0], [0.0, lambda t: t])


def elu(x, alpha=1.0):
    x = _arr(x)
    return np.piecewise(x, [x > 0, x <= 0], [lambda t: t, lambda t: alpha * (np.exp(t) - 1.0)])


def elu_derivative(x, alpha=1.0):
    x = _arr(x)
    return np.piecewise(x, [x > 0, x <= 0], [1.0, lambda t: alpha * np.exp(t)])


def softmax(z, axis=-1):
    z = _arr(z)
    shifted = np.subtract(z, np.max(z, axis=axis, keepdims=True))
    numerator = np.exp(shifted)
    denominator = np.sum(numerator, axis=axis, keepdims=True)
    return np.divide(numerator, denominator)


def softmax_jacobian(z):
    s = softmax(z)
    identity = np.eye(s.size)
    return s[:, None] * (identity - s[None, :])
