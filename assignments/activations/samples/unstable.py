# Activations: straight from the formulas in the lecture.
import numpy as np


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return 1 / (1 + np.exp(-x))


def sigmoid_derivative(x):
    return sigmoid(x) * (1 - sigmoid(x))


def tanh(x):
    x = np.asarray(x, dtype=np.float64)
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))


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
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


def elu_derivative(x, alpha=1.0):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 1.0, alpha * np.exp(x))


def softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_jacobian(z):
    s = softmax(z)
    return np.diag(s) - np.outer(s, s)
