# activations -- boolean masks everywhere
import numpy as np


def sigmoid(x):
    v = np.asarray(x, dtype=np.float64).copy()
    result = np.zeros_like(v)
    positive = v >= 0
    result[positive] = 1.0 / (1.0 + np.exp(-v[positive]))
    negative = ~positive
    exp_v = np.exp(v[negative])
    result[negative] = exp_v / (exp_v + 1.0)
    return result


def sigmoid_derivative(x):
    sig = sigmoid(x)
    return sig - sig * sig


def tanh(x):
    return np.tanh(np.asarray(x, dtype=np.float64))


def tanh_derivative(x):
    th = tanh(x)
    return 1.0 - th ** 2


def relu(x):
    v = np.asarray(x, dtype=np.float64).copy()
    v[v < 0] = 0.0
    return v


def relu_derivative(x):
    v = np.asarray(x, dtype=np.float64)
    grad = np.zeros_like(v)
    grad[v > 0] = 1.0
    return grad


def leaky_relu(x, alpha=0.01):
    v = np.asarray(x, dtype=np.float64).copy()
    mask = v <= 0
    v[mask] = v[mask] * alpha
    return v


def leaky_relu_derivative(x, alpha=0.01):
    v = np.asarray(x, dtype=np.float64)
    grad = np.ones_like(v)
    grad[v <= 0] = alpha
    return grad


def prelu(x, a):
    v = np.asarray(x, dtype=np.float64).copy()
    mask = v <= 0
    v[mask] = a * v[mask]
    return v


def prelu_derivative(x, a):
    v = np.asarray(x, dtype=np.float64)
    grad = np.ones_like(v)
    grad[v <= 0] = a
    return grad


def prelu_grad_a(x, a):
    v = np.asarray(x, dtype=np.float64).copy()
    v[v > 0] = 0.0
    return v


def elu(x, alpha=1.0):
    v = np.asarray(x, dtype=np.float64).copy()
    mask = v <= 0
    v[mask] = alpha * (np.exp(v[mask]) - 1.0)
    return v


def elu_derivative(x, alpha=1.0):
    v = np.asarray(x, dtype=np.float64)
    grad = np.ones_like(v)
    mask = v <= 0
    grad[mask] = alpha * np.exp(v[mask])
    return grad


def softmax(z, axis=-1):
    v = np.asarray(z, dtype=np.float64)
    v = v - v.max(axis=axis, keepdims=True)
    ex = np.exp(v)
    total = ex.sum(axis=axis, keepdims=True)
    return ex / total


def softmax_jacobian(z):
    p = softmax(z)
    return np.diag(p) - np.outer(p, p)
