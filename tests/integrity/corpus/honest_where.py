# Activations assignment
import numpy as np


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    ez = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + ez), ez / (1 + ez))


def sigmoid_derivative(x):
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x):
    return np.tanh(np.asarray(x, dtype=np.float64))


def tanh_derivative(x):
    return 1 - tanh(x) ** 2


def relu(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, 0.0)


def relu_derivative(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 1.0, 0.0)


def leaky_relu(x, alpha=0.01):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, alpha * x)


def leaky_relu_derivative(x, alpha=0.01):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 1.0, alpha)


def prelu(x, a):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, a * x)


def prelu_derivative(x, a):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 1.0, a)


def prelu_grad_a(x, a):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 0.0, x)


def elu(x, alpha=1.0):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0.0)) - 1))


def elu_derivative(x, alpha=1.0):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_jacobian(z):
    s = softmax(z)
    return np.diag(s) - np.outer(s, s)
