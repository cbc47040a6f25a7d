import numpy as np

# I used clip, maximum and minimum instead of where.


def sigmoid(x):
    x = np.asarray(x, dtype=float)
    neg_part = np.exp(np.clip(x, -1000, 0))
    pos_part = np.exp(-np.clip(x, 0, 1000))
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


def relu_derivative(x):
    return np.clip(np.sign(np.asarray(x, dtype=float)), 0, 1)


def leaky_relu(x, alpha=0.01):
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0) + alpha * np.minimum(x, 0)


def leaky_relu_derivative(x, alpha=0.01):
    x = np.asarray(x, dtype=float)
    step = np.clip(np.sign(x), 0, 1)
    return step + alpha * (1 - step)


def prelu(x, a):
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0) + a * np.minimum(x, 0)


def prelu_derivative(x, a):
    x = np.asarray(x, dtype=float)
    step = np.clip(np.sign(x), 0, 1)
    return step + a * (1 - step)


def prelu_grad_a(x, a):
    return np.minimum(np.asarray(x, dtype=float), 0)


def elu(x, alpha=1.0):
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0))


def elu_derivative(x, alpha=1.0):
    x = np.asarray(x, dtype=float)
    step = np.clip(np.sign(x), 0, 1)
    return step + (1 - step) * alpha * np.exp(np.minimum(x, 0))


def softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    z = z - np.amax(z, axis=axis, keepdims=True)
    return np.exp(z) / np.sum(np.exp(z), axis=axis, keepdims=True)


def softmax_jacobian(z):
    s = softmax(z).reshape(-1, 1)
    return np.diagflat(s) - s @ s.T
