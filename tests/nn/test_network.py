"""The flat-vector network: layout, initialization, forward and gradient."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from sknn_scratch.nn.activations import ACTIVATIONS
from sknn_scratch.nn.gradcheck import numerical_gradient, relative_error
from sknn_scratch.nn.losses import LOSSES
from sknn_scratch.nn.network import Workspace, build_mlp

GRADIENT_TOLERANCE = 1e-6  # relative, float64 central differences with h=1e-6


def make_problem(loss, n_samples=7, n_features=4, n_outputs=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n_samples, n_features))
    if loss == "log_loss":
        Y = np.eye(n_outputs)[rng.randint(n_outputs, size=n_samples)]
    elif loss == "binary_log_loss":
        Y = rng.randint(2, size=(n_samples, n_outputs)).astype(float)
    elif loss == "poisson":
        Y = rng.poisson(1.5, size=(n_samples, n_outputs)).astype(float)
    else:
        Y = rng.standard_normal((n_samples, n_outputs))
    return X, Y


GRID = list(
    itertools.product(
        sorted(ACTIVATIONS),
        sorted(LOSSES),
        [(), (5,), (5, 4)],  # hidden layers
        [0.0, 0.3],  # alpha
        [False, True],  # sample weights
    )
)


@pytest.mark.parametrize(("activation", "loss", "hidden", "alpha", "weighted"), GRID)
def test_gradient_matches_central_differences(
    activation, loss, hidden, alpha, weighted
):
    X, Y = make_problem(loss)
    net = build_mlp([X.shape[1], *hidden, Y.shape[1]], activation, loss)
    params = net.init_params(np.random.RandomState(1))
    w = np.random.RandomState(2).uniform(0, 2, X.shape[0]) if weighted else None

    def objective(p):
        return net.loss_and_grad(p, X, Y, w, alpha)[0]

    _, grad = net.loss_and_grad(params, X, Y, w, alpha)
    assert relative_error(grad, numerical_gradient(objective, params)) < (
        GRADIENT_TOLERANCE
    )


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_gives_the_dense_loss_and_gradient(fmt):
    X, Y = make_problem("log_loss")
    X[X < 0.3] = 0.0
    net = build_mlp([4, 5, 3], "tanh", "log_loss")
    params = net.init_params(np.random.RandomState(0))
    dense = net.loss_and_grad(params, X, Y, alpha=0.1)
    sparse = net.loss_and_grad(params, sp.csr_matrix(X).asformat(fmt), Y, alpha=0.1)
    assert_allclose(sparse[0], dense[0], rtol=1e-12)
    assert_allclose(sparse[1], dense[1], rtol=1e-12)


def test_layout_is_weights_then_biases_as_views():
    net = build_mlp([3, 4, 2])
    params = np.arange(net.n_params, dtype=float)
    coefs, intercepts = net.unpack(params).values()
    assert [c.shape for c in coefs] == [(3, 4), (4, 2)]
    assert [b.shape for b in intercepts] == [(4,), (2,)]
    assert coefs[0][0, 0] == 0 and coefs[1][0, 0] == 12 and intercepts[0][0] == 20
    params[:] = -1
    assert all((a == -1).all() for a in [*coefs, *intercepts])
    packed, stats = net.pack({"coefs_": coefs, "intercepts_": intercepts})
    assert_array_equal(packed, params)
    assert stats.shape == (0,)


def test_l2_penalty_covers_weights_only():
    X, Y = make_problem("squared_error")
    net = build_mlp([4, 5, 3], "relu")
    params = net.init_params(np.random.RandomState(0))
    _, g0 = net.loss_and_grad(params, X, Y, alpha=0.0)
    _, g1 = net.loss_and_grad(params, X, Y, alpha=2.0)
    n_w = net.n_weights
    assert_allclose(g1[:n_w] - g0[:n_w], 2.0 * params[:n_w] / X.shape[0], atol=1e-12)
    assert_array_equal(g1[n_w:], g0[n_w:])


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_initialization_is_sklearns_glorot_uniform(activation):
    """Hand-drawn: W then b per layer from U(-r, r), r = sqrt(c / (in + out))."""
    sizes = [4, 6, 3]
    params = build_mlp(sizes, activation).init_params(np.random.RandomState(42))
    rng = np.random.RandomState(42)
    factor = 2.0 if activation == "logistic" else 6.0
    expected_w, expected_b = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = np.sqrt(factor / (fan_in + fan_out))
        expected_w.append(rng.uniform(-bound, bound, (fan_in, fan_out)).ravel())
        expected_b.append(rng.uniform(-bound, bound, fan_out))
    assert_array_equal(params, np.concatenate(expected_w + expected_b))


def test_float32_stays_float32():
    X, Y = make_problem("binary_log_loss")
    net = build_mlp([4, 5, 3], "logistic", "binary_log_loss")
    params = net.init_params(np.random.RandomState(0), np.float32)
    loss, grad = net.loss_and_grad(
        params, X.astype(np.float32), Y.astype(np.float32), alpha=0.1
    )
    assert params.dtype == grad.dtype == np.float32
    assert net.predict(params, X.astype(np.float32)).dtype == np.float32
    loss64, grad64 = net.loss_and_grad(params.astype(float), X, Y, alpha=0.1)
    assert_allclose(grad, grad64, rtol=1e-4, atol=1e-6)


def test_workspace_reuse_gives_the_same_gradient_for_smaller_batches():
    X, Y = make_problem("squared_error", n_samples=9)
    net = build_mlp([4, 5, 3], "tanh")
    params = net.init_params(np.random.RandomState(0))
    ws = Workspace(9, np.float64)
    net.loss_and_grad(params, X, Y, workspace=ws)
    loss, grad = net.loss_and_grad(params, X[:4], Y[:4], workspace=ws)
    fresh = net.loss_and_grad(params, X[:4], Y[:4])
    assert loss == fresh[0]
    assert_array_equal(grad, fresh[1])


def test_predict_equals_the_last_training_activation():
    X, Y = make_problem("log_loss")
    net = build_mlp([4, 5, 3], "relu", "log_loss")
    params = net.init_params(np.random.RandomState(0))
    P = net.predict(params, X)
    assert_allclose(P.sum(axis=1), 1.0)
    assert_allclose(net.forward(params, X), P)


@pytest.mark.parametrize(
    ("name", "std"),
    [
        ("glorot_normal", np.sqrt(2 / (300 + 200))),
        ("he_normal", np.sqrt(2 / 300)),
        ("lecun_normal", np.sqrt(1 / 300)),
        ("he_uniform", np.sqrt(6 / 300) / np.sqrt(3)),
    ],
)
def test_other_initializers_have_their_variance_and_zero_biases(name, std):
    net = build_mlp([300, 200, 1], initializer=name)
    coefs, intercepts = net.unpack(net.init_params(np.random.RandomState(0))).values()
    assert coefs[0].std() == pytest.approx(std, rel=0.02)
    assert abs(coefs[0].mean()) < 0.05 * std
    assert all((b == 0).all() for b in intercepts)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_dropout_masks_keep_each_unit_with_probability_one_minus_rate(rate):
    """Masks are 0 or 1/(1-p); the kept fraction is 1-p within 5 standard errors."""
    net = build_mlp([3, 400, 2], "relu", "log_loss", dropout=rate)
    ws = Workspace(500, np.float64)
    net.draw(ws, np.random.RandomState(0), 500)
    (mask,) = ws.masks.values()
    assert mask.shape == (500, 400)
    assert set(np.unique(mask)) <= {0.0, 1.0 / (1.0 - rate)}
    kept = np.mean(mask > 0)
    assert abs(kept - (1 - rate)) < 5 * np.sqrt(rate * (1 - rate) / mask.size)
    # fresh masks on every draw, from the generator given
    again = Workspace(500, np.float64)
    net.draw(again, np.random.RandomState(0), 500)
    assert_array_equal(next(iter(again.masks.values())), mask)
    net.draw(again, np.random.RandomState(1), 500)
    assert not np.array_equal(next(iter(again.masks.values())), mask)
