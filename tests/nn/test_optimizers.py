"""Update rules against values derived by hand over two steps."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknn_scratch.nn.optimizers import (
    OPTIMIZERS,
    SGD,
    Adagrad,
    Adam,
    AdamW,
    RMSprop,
    get_optimizer,
)

W0 = np.array([1.0, -2.0])
G1 = np.array([0.5, -1.0])
G2 = np.array([0.25, 2.0])
LR = 0.1


def two_steps(optimizer):
    w = W0.copy()
    optimizer.init_state(w)
    optimizer.step(w, G1.copy(), LR)  # a step may clobber its gradient
    first = w.copy()
    optimizer.step(w, G2.copy(), LR)
    return first, w


def test_plain_sgd():
    first, second = two_steps(SGD(momentum=0.0))
    assert_allclose(first, [0.95, -1.9])
    assert_allclose(second, [0.925, -2.1])


def test_classical_momentum():
    # v1 = -lr g1 = [-0.05, 0.1]; w1 = w0 + v1
    # v2 = 0.9 v1 - lr g2 = [-0.045 - 0.025, 0.09 - 0.2] = [-0.07, -0.11]
    first, second = two_steps(SGD(momentum=0.9, nesterov=False))
    assert_allclose(first, [0.95, -1.9])
    assert_allclose(second, [0.88, -2.01])


def test_nesterov_momentum():
    # step 1: v1 = [-0.05, 0.1]; update = 0.9 v1 - lr g1 = [-0.095, 0.19]
    # step 2: v2 = [-0.07, -0.11]; update = 0.9 v2 - lr g2 = [-0.088, -0.299]
    first, second = two_steps(SGD(momentum=0.9, nesterov=True))
    assert_allclose(first, [0.905, -1.81])
    assert_allclose(second, [0.817, -2.109])


def test_adam():
    b1, b2, eps = 0.9, 0.999, 1e-8
    m1, v1 = 0.1 * G1, 0.001 * G1**2
    w1 = W0 - LR * math.sqrt(1 - b2) / (1 - b1) * m1 / (np.sqrt(v1) + eps)
    m2, v2 = b1 * m1 + 0.1 * G2, b2 * v1 + 0.001 * G2**2
    w2 = w1 - LR * math.sqrt(1 - b2**2) / (1 - b1**2) * m2 / (np.sqrt(v2) + eps)
    first, second = two_steps(Adam(b1, b2, eps))
    # the first Adam step moves every weight by about lr against its gradient sign
    assert_allclose(first, W0 - LR * np.sign(G1), rtol=1e-6)
    assert_allclose(first, w1, rtol=1e-14)
    assert_allclose(second, w2, rtol=1e-14)


def test_adagrad():
    # G1 = g1^2 = [0.25, 1]; w1 = w0 - 0.1 * g1 / sqrt(G1) = w0 - 0.1 * sign(g1)
    # G2 = [0.3125, 5]; w2 = w1 - 0.1 * g2 / sqrt(G2)
    first, second = two_steps(Adagrad(epsilon=0.0))
    assert_allclose(first, [0.9, -1.9])
    assert_allclose(second, [0.9 - 0.025 / np.sqrt(0.3125), -1.9 - 0.2 / np.sqrt(5.0)])


def test_rmsprop():
    # v1 = 0.1 g1^2; w1 = w0 - 0.1 g1 / sqrt(0.1 g1^2) = w0 - 0.1 sign(g1) / sqrt(0.1)
    # v2 = 0.9 v1 + 0.1 g2^2
    first, second = two_steps(RMSprop(rho=0.9, epsilon=0.0))
    step1 = 0.1 / np.sqrt(0.1)
    assert_allclose(first, [1 - step1, -2 + step1])
    v2 = 0.9 * 0.1 * G1**2 + 0.1 * G2**2
    assert_allclose(second, first - 0.1 * G2 / np.sqrt(v2))


def test_adamw_decays_only_the_leading_weights_before_adam():
    """Each step: the first entry (a weight) shrinks by lr * decay, then Adam."""
    w = W0.copy()
    adamw = AdamW(weight_decay=0.5)
    adamw.init_state(w, n_decayed=1)
    manual, adam = W0.copy(), Adam()
    adam.init_state(manual)
    for g in (G1, G2):
        adamw.step(w, g.copy(), LR)
        manual[0] *= 1 - LR * 0.5
        adam.step(manual, g.copy(), LR)
    assert_allclose(w, manual, rtol=1e-14)
    assert w[1] == two_steps(Adam())[1][1]  # the "bias" is not decayed
    assert w[0] != two_steps(Adam())[1][0]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_float32_state_stays_float32(name):
    w = W0.astype(np.float32)
    optimizer = get_optimizer(name)
    optimizer.init_state(w)
    optimizer.step(w, G1.astype(np.float32), LR)
    assert w.dtype == np.float32
    assert all(
        getattr(optimizer, s).dtype == np.float32 for s in optimizer._state_names
    )


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_pickled_state_has_no_scratch_buffers(name):
    import pickle

    optimizer = get_optimizer(name)
    w = W0.copy()
    optimizer.init_state(w)
    optimizer.step(w, G1.copy(), LR)
    restored = pickle.loads(pickle.dumps(optimizer))
    assert not hasattr(restored, "_buffers")
    w_copy = w.copy()
    optimizer.step(w, G2.copy(), LR)
    restored.step(w_copy, G2.copy(), LR)
    assert_allclose(w, w_copy, rtol=0)


def test_unknown_solver():
    with pytest.raises(ValueError, match="Unknown solver 'newton'"):
        get_optimizer("newton")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blas_updates_match_numpy_across_chunks(dtype):
    """axpy and scal work in place, chunk by chunk, on long and strided vectors."""
    from sknn_scratch.nn import _blas

    rng = np.random.default_rng(0)
    n = 2 * _blas.CHUNK + 123
    x, y = rng.standard_normal((2, 2 * n)).astype(dtype)
    expected = y + dtype(0.5) * x
    _blas.axpy(0.5, x[:n], y[:n])
    _blas.axpy(0.5, x[n:], y[n:][::-1][::-1])
    assert_allclose(y, expected, rtol=1e-6 if dtype == np.float32 else 1e-15)
    z = y.copy()
    _blas.scal(3.0, y[::2])
    assert_allclose(y[::2], 3 * z[::2], rtol=1e-6)
    assert_array_equal(y[1::2], z[1::2])
