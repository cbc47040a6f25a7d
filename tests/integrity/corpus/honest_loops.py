"""Activations with plain Python math, one element at a time."""
import math

import numpy as np


def _each(x, f):
    arr = np.asarray(x, dtype=np.float64)
    flat = [f(float(item)) for item in arr.ravel()]
    return np.array(flat, dtype=np.float64).reshape(arr.shape)


def _sig(t):
    if t >= 0:
        return 1 / (1 + math.exp(-t))
    e = math.exp(t)
    return e / (1 + e)


def sigmoid(x):
    return _each(x, _sig)


def sigmoid_derivative(x):
    return _each(x, lambda t: _sig(t) * (1 - _sig(t)))


def tanh(x):
    return _each(x, math.tanh)


def tanh_derivative(x):
    return _each(x, lambda t: 1 - math.tanh(t) ** 2)


def relu(x):
    return _each(x, lambda t: t if t > 0 else 0.0)


def relu_derivative(x):
    return _each(x, lambda t: 1.0 if t > 0 else 0.0)


def leaky_relu(x, alpha=0.01):
    return _each(x, lambda t: t if t > 0 else alpha * t)


def leaky_relu_derivative(x, alpha=0.01):
    return _each(x, lambda t: 1.0 if t > 0 else alpha)


def prelu(x, a):
    return _each(x, lambda t: t if t > 0 else a * t)


def prelu_derivative(x, a):
    return _each(x, lambda t: 1.0 if t > 0 else a)


def prelu_grad_a(x, a):
    return _each(x, lambda t: 0.0 if t > 0 else t)


def elu(x, alpha=1.0):
    return _each(x, lambda t: t if t > 0 else alpha * math.expm1(t))


def elu_derivative(x, alpha=1.0):
    return _each(x, lambda t: 1.0 if t > 0 else alpha * math.exp(t))


def softmax(z, axis=-1):
    arr = np.asarray(z, dtype=np.float64)
    moved = np.moveaxis(arr, axis, -1)
    out = np.empty_like(moved)
    for index in np.ndindex(moved.shape[:-1]):
        row = moved[index]
        top = max(row)
        exps = [math.exp(value - top) for value in row]
        total = sum(exps)
        out[index] = [value / total for value in exps]
    return np.moveaxis(out, -1, axis)


def softmax_jacobian(z):
    s = softmax(z)
    n = len(s)
    jac = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            delta = 1.0 if i == j else 0.0
            jac[i][j] = s[i] * (delta - s[j])
    return jac
