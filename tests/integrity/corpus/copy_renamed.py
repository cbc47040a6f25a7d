# Deep learning -- activation functions homework
# (all written by me)
import numpy as np


def sigmoid(x):
    # work on a float copy of the input
    arr = np.asarray(x, dtype=np.float64).copy()
    res = np.zeros_like(arr)
    pos_mask = arr >= 0  # positive side is safe
    res[pos_mask] = 1.0 / (1.0 + np.exp(-arr[pos_mask]))
    neg_mask = ~pos_mask
    e = np.exp(arr[neg_mask])  # small exponent only
    res[neg_mask] = e / (e + 1.0)
    return res


def sigmoid_derivative(x):
    # derivative = s - s^2
    sv = sigmoid(x)
    return sv - sv * sv


def tanh(x):
    return np.tanh(np.asarray(x, dtype=np.float64))


def tanh_derivative(x):
    t = tanh(x)
    return 1.0 - t ** 2


def relu(x):
    arr = np.asarray(x, dtype=np.float64).copy()
    arr[arr < 0] = 0.0  # clamp negatives
    return arr


def relu_derivative(x):
    arr = np.asarray(x, dtype=np.float64)
    d = np.zeros_like(arr)
    d[arr > 0] = 1.0
    return d


def leaky_relu(x, alpha=0.01):
    arr = np.asarray(x, dtype=np.float64).copy()
    m = arr <= 0
    arr[m] = arr[m] * alpha
    return arr


def leaky_relu_derivative(x, alpha=0.01):
    arr = np.asarray(x, dtype=np.float64)
    d = np.ones_like(arr)
    d[arr <= 0] = alpha
    return d


def prelu(x, a):
    arr = np.asarray(x, dtype=np.float64).copy()
    m = arr <= 0
    arr[m] = a * arr[m]
    return arr


def prelu_derivative(x, a):
    arr = np.asarray(x, dtype=np.float64)
    d = np.ones_like(arr)
    d[arr <= 0] = a
    return d


def prelu_grad_a(x, a):
    arr = np.asarray(x, dtype=np.float64).copy()
    arr[arr > 0] = 0.0
    return arr


def elu(x, alpha=1.0):
    arr = np.asarray(x, dtype=np.float64).copy()
    m = arr <= 0
    arr[m] = alpha * (np.exp(arr[m]) - 1.0)
    return arr


def elu_derivative(x, alpha=1.0):
    arr = np.asarray(x, dtype=np.float64)
    d = np.ones_like(arr)
    m = arr <= 0
    d[m] = alpha * np.exp(arr[m])
    return d


def softmax(z, axis=-1):
    # subtract the max for stability
    arr = np.asarray(z, dtype=np.float64)
    arr = arr - arr.max(axis=axis, keepdims=True)
    ex = np.exp(arr)
    s = ex.sum(axis=axis, keepdims=True)
    return ex / s


def softmax_jacobian(z):
    probs = softmax(z)
    return np.diag(probs) - np.outer(probs, probs)
