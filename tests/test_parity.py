"""Parity of the scratch estimators with scikit-learn's MLPClassifier/MLPRegressor.

With the same parameters and ``random_state``, ``ScratchMLPX(**p).fit(X, y)`` must
reproduce ``MLPX(**p).fit(X, y)``: the same weights, loss curve, iteration count and
predictions. The one deliberate difference, the multi-output squared-error gradient
(scikit-learn issue 8349), is tested at the end of this file.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor

# Float64 parity tolerance. Both implementations do the same arithmetic in a different
# order (one flat parameter vector, fused updates), so they differ by rounding errors
# that training amplifies a little. 1e-6 relative leaves many orders of magnitude of
# room for that and still catches any real difference (a missing term, a wrong
# constant, a different RNG draw). ATOL only matters for entries that are near zero,
# where a relative bound means nothing.
RTOL = 1e-6
ATOL = 1e-9

# float32 input: ours stays in float32 while sklearn upcasts some operations (Adam's
# step, the regressor's float64 targets, lbfgs's returned weights), so only ~3 digits
# can agree.
RTOL_F32 = 1e-3
ATOL_F32 = 1e-6

# Gradient check of the multi-output squared error: central differences with step
# GRAD_EPS have an error of about 1e-10 here, far below GRAD_RTOL; the factor being
# tested (n_outputs = 2 or 3) is far above it.
GRAD_EPS = 1e-6
GRAD_RTOL = 1e-5

SOLVERS = ["sgd", "adam", "lbfgs"]
STOCHASTIC_SOLVERS = ["sgd", "adam"]
ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]
TASKS = ["binary", "multiclass", "multilabel", "regression", "poisson"]
LEARNING_RATE_INIT = {"sgd": 0.01, "adam": 0.01, "lbfgs": 0.001}
# L-BFGS amplifies rounding differences much faster than sgd/adam: on this data a
# relative input perturbation of 1e-15 grows to at most ~1e-11 in the weights after
# 10 iterations, but to over 1e-4 after 40. Keep its fits short so that the comparison
# at RTOL tests the implementation, not the chaos.
MAX_ITER = {"sgd": 40, "adam": 40, "lbfgs": 10}

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# --------------------------------------------------------------------------- helpers
def _standardize(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)


def make_task(task, n_samples=100, n_features=5, seed=0):
    """Return ``X, y, (reference class, our class), loss params`` for a task."""
    rng = np.random.RandomState(seed)
    if task in ("binary", "multiclass"):
        X, y = make_classification(
            n_samples=n_samples,
            n_features=n_features,
            n_informative=3,
            n_redundant=0,
            n_classes=2 if task == "binary" else 3,
            random_state=seed,
        )
        return X, y, (MLPClassifier, ScratchMLPClassifier), {}
    if task == "multilabel":
        X, y = make_multilabel_classification(
            n_samples=n_samples,
            n_features=n_features,
            n_classes=3,
            n_labels=2,
            random_state=seed,
        )
        assert (0 < y.mean(axis=0)).all() and (y.mean(axis=0) < 1).all()
        return _standardize(X), y, (MLPClassifier, ScratchMLPClassifier), {}
    if task == "regression":
        X, y = make_regression(
            n_samples=n_samples, n_features=n_features, noise=5.0, random_state=seed
        )
        return X, y / y.std(), (MLPRegressor, ScratchMLPRegressor), {}
    if task == "poisson":
        X = rng.normal(size=(n_samples, n_features))
        w = rng.normal(scale=0.3, size=n_features)
        y = rng.poisson(np.exp(X @ w + 0.3)).astype(np.float64)
        return X, y, (MLPRegressor, ScratchMLPRegressor), {"loss": "poisson"}
    raise ValueError(task)


def make_params(solver, **overrides):
    """Small, quick estimator parameters that still exercise minibatches and L2."""
    params = dict(
        hidden_layer_sizes=(6, 4),
        solver=solver,
        alpha=1e-3,
        batch_size=25,
        learning_rate_init=LEARNING_RATE_INIT[solver],
        max_iter=MAX_ITER[solver],
        random_state=0,
    )
    params.update(overrides)
    return params


def fit_pair(classes, params, X, y, **fit_params):
    """Fit the reference and our estimator with the same parameters and data."""
    ref_cls, our_cls = classes
    ref = ref_cls(**params).fit(X, y, **fit_params)
    ours = our_cls(**params).fit(X, y, **fit_params)
    return ref, ours


def _assert_arrays_close(ours, ref, name, rtol, atol):
    assert len(ours) == len(ref), name
    for i, (a, b) in enumerate(zip(ours, ref, strict=True)):
        assert a.shape == b.shape, f"{name}[{i}]"
        assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{name}[{i}]")


def assert_same_model(ours, ref, X, rtol=RTOL, atol=ATOL, check_n_iter=True):
    """Assert that ``ours`` reproduces the fitted reference estimator ``ref``."""
    if check_n_iter:
        assert ours.n_iter_ == ref.n_iter_
    assert ours.n_layers_ == ref.n_layers_
    assert ours.n_outputs_ == ref.n_outputs_
    assert ours.out_activation_ == ref.out_activation_
    _assert_arrays_close(ours.coefs_, ref.coefs_, "coefs_", rtol, atol)
    _assert_arrays_close(ours.intercepts_, ref.intercepts_, "intercepts_", rtol, atol)
    assert_allclose(ours.loss_, ref.loss_, rtol=rtol, atol=atol, err_msg="loss_")
    if hasattr(ref, "loss_curve_"):
        assert len(ours.loss_curve_) == len(ref.loss_curve_)
        assert_allclose(
            ours.loss_curve_, ref.loss_curve_, rtol=rtol, atol=atol, err_msg="loss_"
        )
        assert ours.t_ == ref.t_
    else:
        # lbfgs: sklearn has no loss curve, and neither do we.
        assert not hasattr(ours, "loss_curve_")

    if hasattr(ref, "classes_"):
        assert_array_equal(ours.classes_, ref.classes_)
        assert_array_equal(ours.predict(X), ref.predict(X))
        assert_allclose(
            ours.predict_proba(X),
            ref.predict_proba(X),
            rtol=rtol,
            atol=atol,
            err_msg="predict_proba",
        )
    else:
        y_ours, y_ref = ours.predict(X), ref.predict(X)
        assert y_ours.shape == y_ref.shape
        assert_allclose(y_ours, y_ref, rtol=rtol, atol=atol, err_msg="predict")


# ---------------------------------------------------------------------- the grid
@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_parity_grid(solver, activation, task):
    """Every solver x activation x task reproduces sklearn's fit."""
    X, y, classes, loss_params = make_task(task)
    params = make_params(solver, activation=activation, **loss_params)
    ref, ours = fit_pair(classes, params, X, y)
    assert_same_model(ours, ref, X)


# ------------------------------------------------------------ minibatch options
@pytest.mark.parametrize("task", ["multiclass", "regression"])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_parity_small_minibatches(solver, shuffle, task):
    """batch_size=8 (100 samples: a short last batch), shuffled or not."""
    X, y, classes, loss_params = make_task(task)
    params = make_params(
        solver, batch_size=8, shuffle=shuffle, max_iter=20, **loss_params
    )
    ref, ours = fit_pair(classes, params, X, y)
    assert_same_model(ours, ref, X)


@pytest.mark.parametrize("nesterovs_momentum", [True, False])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("learning_rate", ["invscaling", "adaptive"])
def test_parity_sgd_schedules(learning_rate, momentum, nesterovs_momentum):
    """sgd with the invscaling and adaptive schedules and each momentum variant."""
    X, y, classes, _ = make_task("multiclass")
    params = make_params(
        "sgd",
        activation="tanh",
        learning_rate=learning_rate,
        learning_rate_init=0.2,
        power_t=0.25,
        momentum=momentum,
        nesterovs_momentum=nesterovs_momentum,
        # Loose stopping so that 'adaptive' divides its rate several times.
        tol=1e-2,
        n_iter_no_change=2,
        max_iter=40,
    )
    ref, ours = fit_pair(classes, params, X, y)
    if learning_rate == "adaptive":
        # Guard that the data really exercises the schedule (reference side only).
        assert ref._optimizer.learning_rate < params["learning_rate_init"]
    assert_same_model(ours, ref, X)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression", "poisson"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_parity_sample_weight(solver, task):
    """Positive float sample weights, some of them zero, for each solver."""
    X, y, classes, loss_params = make_task(task)
    rng = np.random.RandomState(1)
    sample_weight = rng.uniform(0.2, 3.0, size=X.shape[0])
    sample_weight[rng.choice(X.shape[0], size=10, replace=False)] = 0.0
    params = make_params(solver, activation="relu", **loss_params)
    ref, ours = fit_pair(classes, params, X, y, sample_weight=sample_weight)
    assert_same_model(ours, ref, X)


# ------------------------------------------------------ warm start, partial_fit
@pytest.mark.parametrize("task", ["multiclass", "regression"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_parity_warm_start(solver, task):
    """A second fit with warm_start=True continues from the first, as in sklearn."""
    X, y, (ref_cls, our_cls), loss_params = make_task(task)
    max_iter = MAX_ITER[solver] // 2
    params = make_params(
        solver, activation="tanh", warm_start=True, max_iter=max_iter, **loss_params
    )
    ref, ours = ref_cls(**params), our_cls(**params)
    ref.fit(X, y)
    ours.fit(X, y)
    assert_same_model(ours, ref, X)
    first_coefs = [c.copy() for c in ours.coefs_]
    first_n_iter, first_loss = ours.n_iter_, ours.loss_

    ref.fit(X, y)
    ours.fit(X, y)
    assert_same_model(ours, ref, X)
    # It continued rather than restarted.
    assert not np.allclose(ours.coefs_[0], first_coefs[0])
    assert ours.loss_ < first_loss
    if solver != "lbfgs":
        assert len(ours.loss_curve_) == first_n_iter + ours.n_iter_


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_parity_warm_start_after_stopping(solver):
    """Warm-starting a fit that stopped keeps sklearn's stopping state."""
    X, y, (ref_cls, our_cls), _ = make_task("multiclass")
    params = make_params(
        solver, warm_start=True, tol=5e-3, n_iter_no_change=3, max_iter=300
    )
    ref, ours = ref_cls(**params), our_cls(**params)
    ref.fit(X, y)
    ours.fit(X, y)
    assert ref.n_iter_ < params["max_iter"]
    assert_same_model(ours, ref, X)
    ref.fit(X, y)
    ours.fit(X, y)
    assert_same_model(ours, ref, X)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_parity_partial_fit(solver, task):
    """Several partial_fit calls; the first chunk lacks a class (classes= given)."""
    X, y, (ref_cls, our_cls), loss_params = make_task(task)
    params = make_params(solver, activation="logistic", **loss_params)
    ref, ours = ref_cls(**params), our_cls(**params)
    fit_params = {}
    if ref_cls is MLPClassifier:
        fit_params["classes"] = np.unique(y)
        order = np.argsort(y == y.max(), kind="stable")  # largest class last
    else:
        order = np.arange(X.shape[0])
    for i, idx in enumerate(np.array_split(order, 4)):
        if i == 0 and ref_cls is MLPClassifier:
            assert y.max() not in y[idx]
        ref.partial_fit(X[idx], y[idx], **fit_params)
        ours.partial_fit(X[idx], y[idx], **fit_params)
        assert_same_model(ours, ref, X)
    # A few more passes over all of the data.
    for _ in range(3):
        ref.partial_fit(X, y)
        ours.partial_fit(X, y)
    assert_same_model(ours, ref, X)


# ------------------------------------------------------------ input variants
@pytest.mark.parametrize("task", ["multiclass", "regression"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_parity_sparse_csr(solver, task):
    """CSR input (about 60% zeros) gives sklearn's model."""
    X, y, classes, loss_params = make_task(task)
    rng = np.random.RandomState(2)
    X[rng.uniform(size=X.shape) < 0.6] = 0.0
    X_csr = sp.csr_matrix(X)
    params = make_params(solver, activation="relu", **loss_params)
    ref, ours = fit_pair(classes, params, X_csr, y)
    assert_same_model(ours, ref, X_csr)


@pytest.mark.parametrize(
    "solver, extra",
    [
        ("sgd", {}),
        ("sgd", {"learning_rate": "adaptive", "learning_rate_init": 0.1}),
        ("adam", {}),
        ("lbfgs", {"tol": 1e-2}),  # gtol; converges in about 20 iterations
    ],
    ids=["sgd", "sgd-adaptive", "adam", "lbfgs"],
)
@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_parity_stopping(task, solver, extra):
    """n_iter_no_change/tol (gtol for lbfgs) stop the fit before max_iter."""
    X, y, classes, loss_params = make_task(task)
    params = make_params(
        solver,
        activation="tanh",
        tol=1e-3,
        n_iter_no_change=3,
        max_iter=400,
        **loss_params,
    )
    params.update(extra)
    ref, ours = fit_pair(classes, params, X, y)
    assert ref.n_iter_ < params["max_iter"]
    assert_same_model(ours, ref, X)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_parity_float32(solver, task):
    """float32 input stays float32 and matches sklearn to about 3 digits."""
    X, y, classes, loss_params = make_task(task)
    X = X.astype(np.float32)
    # float32 rounding is amplified like any other difference (see MAX_ITER); these
    # fits stay about 50x inside RTOL_F32 when sklearn is compared with itself on
    # float32 versus float64 input.
    max_iter = 5 if solver == "lbfgs" else 15
    params = make_params(solver, activation="tanh", max_iter=max_iter, **loss_params)
    ref, ours = fit_pair(classes, params, X, y)
    for a in ours.coefs_ + ours.intercepts_:
        assert a.dtype == np.float32
    assert_same_model(
        ours,
        ref,
        X,
        rtol=RTOL_F32,
        atol=ATOL_F32,
        check_n_iter=solver != "lbfgs",
    )


# ------------------------------------- the deliberate difference: issue 8349
HIDDEN_ACTIVATIONS = {
    "identity": lambda Z: Z,
    "logistic": lambda Z: 1.0 / (1.0 + np.exp(-Z)),
    "tanh": np.tanh,
    "relu": lambda Z: np.maximum(Z, 0.0),
}


def squared_error_objective(coefs, intercepts, X, Y, activation):
    """Reported loss with alpha=0: 0.5 * mean over outputs of the MSE."""
    A = X
    for i, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        Z = A @ W + b
        A = Z if i == len(coefs) - 1 else HIDDEN_ACTIVATIONS[activation](Z)
    return 0.5 * np.mean(np.mean((Y - A) ** 2, axis=0))


def numerical_gradient(fun, arrays, eps=GRAD_EPS):
    """Central differences of ``fun(arrays)`` with respect to each array entry."""
    arrays = [a.astype(np.float64, copy=True) for a in arrays]
    grads = []
    for a in arrays:
        g = np.empty_like(a)
        for i in np.ndindex(a.shape):
            old = a[i]
            a[i] = old + eps
            f_plus = fun(arrays)
            a[i] = old - eps
            f_minus = fun(arrays)
            a[i] = old
            g[i] = (f_plus - f_minus) / (2 * eps)
        grads.append(g)
    return grads


def one_full_batch_step(est_cls, activation, X, Y, learning_rate_init):
    """Initial weights, weights after one plain gradient step, and the estimator."""
    params = dict(
        hidden_layer_sizes=(6, 4),
        activation=activation,
        solver="sgd",
        momentum=0.0,
        batch_size=X.shape[0],
        shuffle=False,
        alpha=0.0,
        max_iter=1,
        random_state=0,
    )
    # A step of 1e-300 * grad leaves the weights at their initial values exactly.
    init = est_cls(learning_rate_init=1e-300, **params).fit(X, Y)
    est = est_cls(learning_rate_init=learning_rate_init, **params).fit(X, Y)
    return init.coefs_ + init.intercepts_, est.coefs_ + est.intercepts_, est


def multioutput_data(n_outputs):
    X, Y = make_regression(
        n_samples=80, n_features=4, n_targets=n_outputs, noise=1.0, random_state=0
    )
    return X, Y / Y.std(axis=0)


@pytest.mark.parametrize("n_outputs", [2, 3])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_multioutput_step_is_gradient_of_reported_loss(activation, n_outputs):
    """Ours: one sgd step on multi-output squared error descends the reported loss."""
    X, Y = multioutput_data(n_outputs)
    lr = 0.01
    w0, w1, ours = one_full_batch_step(ScratchMLPRegressor, activation, X, Y, lr)
    n_layers = len(ours.coefs_)

    def loss(ws):
        return squared_error_objective(ws[:n_layers], ws[n_layers:], X, Y, activation)

    assert_allclose(ours.loss_curve_[0], loss(w0), rtol=RTOL)
    grad = numerical_gradient(loss, w0)
    scale = max(np.abs(g).max() for g in grad)
    for a0, a1, g in zip(w0, w1, grad, strict=True):
        assert_allclose(a1 - a0, -lr * g, rtol=GRAD_RTOL, atol=GRAD_RTOL * lr * scale)


@pytest.mark.parametrize("n_outputs", [2, 3])
@pytest.mark.parametrize("activation", ["identity", "relu"])
def test_multioutput_sklearn_step_is_n_outputs_times_ours(activation, n_outputs):
    """Documents issue 8349: sklearn's step is n_outputs times ours, same loss."""
    X, Y = multioutput_data(n_outputs)
    lr = 0.01
    w0_ref, w1_ref, ref = one_full_batch_step(MLPRegressor, activation, X, Y, lr)
    w0, w1, ours = one_full_batch_step(ScratchMLPRegressor, activation, X, Y, lr)
    _assert_arrays_close(w0, w0_ref, "initial weights", RTOL, ATOL)
    # Both report the same loss at the initial weights ...
    assert_allclose(ours.loss_curve_[0], ref.loss_curve_[0], rtol=RTOL)
    # ... but sklearn steps along n_outputs times its gradient.
    for a0, a1, r0, r1 in zip(w0, w1, w0_ref, w1_ref, strict=True):
        assert_allclose(r1 - r0, n_outputs * (a1 - a0), rtol=GRAD_RTOL, atol=1e-12)


def test_single_output_regression_step_matches_sklearn():
    """With one output there is no difference: the same single step as sklearn."""
    X, Y = multioutput_data(1)
    w0_ref, w1_ref, _ = one_full_batch_step(MLPRegressor, "tanh", X, Y, 0.01)
    _, w1, _ = one_full_batch_step(ScratchMLPRegressor, "tanh", X, Y, 0.01)
    for a0, a1, r1 in zip(w0_ref, w1, w1_ref, strict=True):
        assert_allclose(a1 - a0, r1 - a0, rtol=GRAD_RTOL, atol=1e-12)
