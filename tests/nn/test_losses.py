"""Losses against independent references and central differences."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknn_scratch.nn.activations import get_output_activation
from sknn_scratch.nn.gradcheck import numerical_gradient
from sknn_scratch.nn.losses import LOSSES, get_loss

rng = np.random.RandomState(0)
N, K = 6, 3
WEIGHTS = rng.uniform(0.5, 2.0, N)


def make_targets(name, n_outputs=K):
    if name == "log_loss":
        return np.eye(n_outputs)[rng.randint(n_outputs, size=N)]
    if name == "binary_log_loss":
        return rng.randint(2, size=(N, n_outputs)).astype(float)
    if name == "poisson":
        return rng.poisson(2.0, size=(N, n_outputs)).astype(float)
    return 1.5 * rng.standard_normal((N, n_outputs))


def reference_per_sample(name, Y, P):
    """Per-sample losses, written independently of the package."""
    if name == "squared_error":
        return 0.5 * np.mean((Y - P) ** 2, axis=1)
    if name == "log_loss":
        return -np.sum(Y * np.log(P), axis=1)
    if name == "binary_log_loss":
        return -np.sum(Y * np.log(P) + (1 - Y) * np.log(1 - P), axis=1)
    if name == "absolute_error":
        return np.mean(np.abs(Y - P), axis=1)
    if name == "huber":  # delta = 1
        r = np.abs(Y - P)
        return np.mean(np.where(r <= 1, r**2 / 2, r - 0.5), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogy = np.where(Y > 0, Y * np.log(Y / P), 0.0)
    return np.sum(ylogy - Y + P, axis=1)


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("weighted", [False, True])
def test_value_matches_reference(name, weighted):
    loss = get_loss(name)
    Y = make_targets(name)
    Z = rng.standard_normal((N, K))
    P = get_output_activation(loss.output_activation)(Z)
    w = WEIGHTS if weighted else np.ones(N)
    expected = np.sum(w * reference_per_sample(name, Y, P)) / w.sum()
    got = loss.value(Y, P, WEIGHTS if weighted else None)
    assert_allclose(got, expected, rtol=1e-12)


# Softmax needs at least two outputs; every other loss is tried with one and K.
DELTA_CASES = [(name, k) for name in sorted(LOSSES) for k in (1, K)]
DELTA_CASES.remove(("log_loss", 1))


@pytest.mark.parametrize(("name", "n_outputs"), DELTA_CASES)
def test_delta_is_the_gradient_at_the_pre_activation(name, n_outputs):
    """N * dL/dZ by central differences equals the unweighted per-sample delta."""
    loss = get_loss(name)
    output = get_output_activation(loss.output_activation)
    Y = make_targets(name, n_outputs)
    Z = rng.standard_normal((N, n_outputs))

    def objective(z):
        return loss.value(Y, output(z.reshape(Z.shape)))

    expected = N * numerical_gradient(objective, Z.ravel()).reshape(Z.shape)
    got = loss.delta(Y, output(Z), out=np.empty_like(Z))
    assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["log_loss", "binary_log_loss"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bool_targets_give_the_numeric_value(name, weighted):
    """Classifiers pass bool indicators, which take a faster path."""
    loss = get_loss(name)
    Y = make_targets(name)
    P = get_output_activation(loss.output_activation)(rng.standard_normal((N, K)))
    P[0, 0], P[1, 1] = 0.0, 1.0  # clipped the same way on both paths
    w = WEIGHTS if weighted else None
    assert_allclose(loss.value(Y.astype(bool), P, w), loss.value(Y, P, w), rtol=1e-14)


def test_log_losses_clip_probabilities():
    Y = np.array([[1.0, 0.0, 0.0]])
    value = get_loss("log_loss").value(Y, np.array([[0.0, 0.5, 0.5]]))
    assert np.isfinite(value) and value == pytest.approx(-np.log(np.finfo(float).eps))


def test_unknown_loss_is_refused():
    with pytest.raises(ValueError, match="Unknown loss 'hinge'"):
        get_loss("hinge")


def test_huber_with_a_large_delta_is_squared_error():
    Y, P = rng.standard_normal((N, K)), rng.standard_normal((N, K))
    huber = get_loss("huber", delta=1e6)
    squared = get_loss("squared_error")
    assert huber.value(Y, P, WEIGHTS) == pytest.approx(squared.value(Y, P, WEIGHTS))
    assert_allclose(
        huber.delta(Y, P, np.empty_like(P)), squared.delta(Y, P, np.empty_like(P))
    )


def test_huber_is_linear_beyond_delta():
    huber = get_loss("huber", delta=0.5)
    Y = np.zeros((1, 1))
    assert huber.value(Y, np.array([[3.0]])) == pytest.approx(0.5 * (3.0 - 0.25))
    assert huber.delta(Y, np.array([[3.0]]), np.empty((1, 1)))[0, 0] == 0.5


def test_absolute_error_subgradient_is_zero_at_zero():
    Y = np.array([[1.0, 2.0]])
    delta = get_loss("absolute_error").delta(Y, Y.copy(), np.empty((1, 2)))
    assert_array_equal(delta, [[0.0, 0.0]])
