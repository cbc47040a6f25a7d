import numpy as np


def _neg_exp(x):
    return np.exp(np.clip(x, -1000, 0))


def _pos_exp(x):
    return np.exp(-np.clip(x, 0, 1000))


def sigmoid(x):
    x = np.asarray(x, dtype=float)
    neg_part = _neg_exp(x)
    pos_part = _pos_exp(x)
    return np.where(x < 0, neg_part / (1 + neg_part), 1 / (1 + pos_part))


def sigmoid_derivative(x):
    y = sigmoid(x)
    return y * (1 - y)


def tanh(x):
    x = np.asarray(x, dtype=float)
    return 2 * sigmoid(2 * x) - 1


def tanh_derivative(x):
    return 1 - np.square(tanh(x))


def relu(x):
    return np.clip(np.asarray(x, dtype=float), 0, None)


def _step(x):
    return np.clip(np.sign(x), 0, 1)


def relu_derivative(x):
    return _step(np.asarray(x, dtype=float))


def _leaky(x, slope):
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0) + slope * np.minimum(x, 0)


def _leaky_grad(x, slope):
    x = np.asarray(x, dtype=float)
    step = _step(x)
    return step + slope * (1 - step)


def leaky_relu(x, alpha=0.01):
    return _leaky(x, alpha)


def leaky_relu_derivative(x, alpha=0.01):
    return _leaky_grad(x, alpha)


def prelu(x, a):
    return _leaky(x, a)


def prelu_derivative(x, a):
    return _leaky_grad(x, a)


def prelu_grad_a(x, a):
    return np.minimum(np.asarray(x, dtype=float), 0)


def elu(x, alpha=1.0):
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0))


def elu_derivative(x, alpha=1.0):
    x = np.asarray(x, dtype=float)
    step = _step(x)
    return step + (1 - step) * alpha * np.exp(np.minimum(x, 0))


def _shift(z, axis):
    z = np.asarray(z, dtype=float)
    return z - np.amax(z, axis=axis, keepdims=True)


def softmax(z, axis=-1):
    z = _shift(z, axis)
    return np.exp(z) / np.sum(np.exp(z), axis=axis, keepdims=True)


def softmax_jacobian(z):
    s = softmax(z).reshape(-1, 1)
    return np.diagflat(s) - s @ s.T
