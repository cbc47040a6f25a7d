# Activations: log-space where I could (logaddexp never overflows)
import numpy as np

LEAK = 0.01


def as_float(values):
    return np.array(values, dtype=np.float64)


def sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -as_float(x)))


def sigmoid_derivative(x):
    x = as_float(x)
    return np.exp(-np.logaddexp(0.0, -x) - np.logaddexp(0.0, x))


def tanh(x):
    return np.tanh(as_float(x))


def tanh_derivative(x):
    cosh_inv = 1.0 / np.cosh(np.clip(as_float(x), -350.0, 350.0))
    return cosh_inv * cosh_inv


def relu(x):
    x = as_float(x)
    return x * (x > 0)


def relu_derivative(x):
    return (as_float(x) > 0).astype(np.float64)


def leaky_relu(x, alpha=LEAK):
    x = as_float(x)
    return x * ((x > 0) + alpha * (x <= 0))


def leaky_relu_derivative(x, alpha=LEAK):
    x = as_float(x)
    return (x > 0) + alpha * (x <= 0)


def prelu(x, a):
    x = as_float(x)
    return x * ((x > 0) + a * (x <= 0))


def prelu_derivative(x, a):
    x = as_float(x)
    return (x > 0) * 1.0 + (x <= 0) * a


def prelu_grad_a(x, a):
    x = as_float(x)
    return x * (x <= 0)


def elu(x, alpha=1.0):
    x = as_float(x)
    return (x > 0) * x + (x <= 0) * alpha * np.expm1(np.fmin(x, 0.0))


def elu_derivative(x, alpha=1.0):
    x = as_float(x)
    return (x > 0) * 1.0 + (x <= 0) * alpha * np.exp(np.fmin(x, 0.0))


def softmax(z, axis=-1):
    z = as_float(z)
    log_norm = np.logaddexp.reduce(z, axis=axis, keepdims=True)
    return np.exp(z - log_norm)


def softmax_jacobian(z):
    probs = softmax(z)
    return np.einsum("i,ij->ij", probs, np.eye(len(probs))) - np.einsum("i,j->ij", probs, probs)
