# Activations -- ran out of time, the rest is still to do.
import numpy as np


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_derivative(x):
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x):
    return np.tanh(np.asarray(x, dtype=np.float64))


def tanh_derivative(x):
    return 1 - np.tanh(np.asarray(x, dtype=np.float64)) ** 2


def relu(x):
    return np.maximum(np.asarray(x, dtype=np.float64), 0)


def relu_derivative(x):
    return np.where(np.asarray(x) > 0, 1.0, 0.0)


def leaky_relu(x, alpha=0.01):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, alpha * x)
