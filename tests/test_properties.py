"""Property tests: any shape, dtype, option mix and target either fits cleanly or
fails with a clear ValueError/TypeError.

For random data (1-40 samples, 1-8 features; float32, float64 or int64),
random parameters (solver, activation, hidden sizes, alpha, batch_size,
dropout, batch_norm, early_stopping, ...) and random targets (binary,
multiclass, multilabel or regression, possibly constant), ``fit`` and the
prediction methods must either

- succeed with finite outputs of the right shape, ``predict_proba`` rows
  summing to 1 within 1e-5 (multilabel: each probability in [0, 1]), or
- raise ``ValueError``/``TypeError`` with one of the package's documented
  messages (the allowlist below), so that a stray NumPy error can never hide
  behind "ValueError is allowed";

and they never give a warning other than ``ConvergenceWarning`` or a plain
``UserWarning`` (the ones sknn_scratch gives: small validation set, clipped
batch size).

Hypothesis runs derandomized, so CI sees the same examples every time: 300 in
all (120 + 100 + 50 + 30), counted in ``EXAMPLES`` and printed at teardown.
"""

import re
import warnings
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknn_scratch.nn.activations import ACTIVATIONS

from ._registries import FULL_BATCH_SOLVERS, MINIBATCH_SOLVERS, REGRESSION_LOSSES

SOLVERS = FULL_BATCH_SOLVERS + MINIBATCH_SOLVERS
ACTIVATION_NAMES = sorted(ACTIVATIONS)
LOSSES = REGRESSION_LOSSES

# The ValueErrors a valid-typed call may legitimately end in.
DOCUMENTED_ERRORS = re.compile(
    "|".join(
        [
            r"dropout cannot be used with solver",  # random masks vs line search
            r"max_grad_norm cannot be used with solver",
            r"became non-finite|produced non-finite weights",  # divergence
            r"requires y >= 0",  # poisson
            r"sample_weight sums to zero|no sample with a positive weight",
            r"batch_norm=True needs",  # a single row has no batch variance
            r"overflows float32|too large for float32",  # alpha / weight sum, or y
        ]
    )
)

EXAMPLES = Counter()
OUTCOMES = Counter()

PROPERTY = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # No "explain" phase: it imports libcst, which warns on import.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)


@pytest.fixture(scope="module", autouse=True)
def _report_examples():
    yield
    print(
        f"\n[test_properties] hypothesis examples run: {sum(EXAMPLES.values())} "
        f"{dict(EXAMPLES)}; outcomes {dict(OUTCOMES)}"
    )


# ------------------------------------------------------------------ strategies


@st.composite
def data(draw, max_samples=40):
    n_samples = draw(st.integers(1, max_samples))
    n_features = draw(st.integers(1, 8))
    dtype = draw(st.sampled_from(["float32", "float64", "int64"]))
    seed = draw(st.integers(0, 2**16))
    scale = draw(st.sampled_from([1e-3, 1.0, 1.0, 1e3]))
    rng = np.random.RandomState(seed)
    X = rng.normal(scale=scale, size=(n_samples, n_features))
    if dtype == "int64":
        X = np.round(X).astype(np.int64)
    else:
        X = X.astype(dtype)
    return X, rng


@st.composite
def parameters(draw):
    solver = draw(st.sampled_from(SOLVERS))
    hidden = draw(st.lists(st.integers(1, 8), min_size=1, max_size=3))
    dropout = draw(
        st.one_of(
            st.just(0.0),
            st.floats(0.0, 0.9),
            st.lists(st.floats(0.0, 0.9), min_size=len(hidden), max_size=len(hidden)),
        )
    )
    return dict(
        solver=solver,
        activation=draw(st.sampled_from(ACTIVATION_NAMES)),
        hidden_layer_sizes=tuple(hidden),
        alpha=draw(st.sampled_from([0.0, 1e-4, 0.1, 10.0])),
        batch_size=draw(st.one_of(st.just("auto"), st.integers(1, 50))),
        dropout=dropout,
        batch_norm=draw(st.booleans()),
        early_stopping=draw(st.booleans()),
        learning_rate=draw(st.sampled_from(["constant", "invscaling", "cosine"])),
        learning_rate_init=draw(st.sampled_from([1e-3, 1e-2, 0.1])),
        max_grad_norm=draw(st.sampled_from([None, None, 1.0])),
        max_iter=draw(st.integers(1, 5)),
        max_fun=50,
        random_state=0,
    )


def _classification_target(draw, X, rng, kind):
    n = X.shape[0]
    if kind == "constant":
        return np.full(n, draw(st.sampled_from([0, 3, "a"])))
    if kind == "binary":
        return rng.randint(2, size=n)
    if kind == "multiclass":
        return rng.choice(["x", "y", "z", "w"], size=n)
    return rng.randint(2, size=(n, draw(st.integers(2, 4))))  # multilabel


def _regression_target(draw, X, rng, kind, loss):
    n = X.shape[0]
    if kind == "constant":
        y = np.full(n, draw(st.sampled_from([0.0, 2.5, -1.0])))
    elif kind == "multi-output":
        y = rng.normal(size=(n, draw(st.integers(2, 3))))
    else:
        y = X[:, 0].astype(float) + rng.normal(size=n)
    if loss == "poisson" and draw(st.booleans()):
        y = np.abs(y)  # mostly valid counts; sometimes negative (documented error)
    return y


# --------------------------------------------------------------------- checks


def _allowed_warning(w):
    return issubclass(w.category, ConvergenceWarning) or w.category is UserWarning


def run(action):
    """Run ``action`` recording warnings; return its result or the caught error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # NumPy's defaults, made explicit: over/divide/invalid warn (and fail
        # the test below); underflow to zero is a correct result and stays quiet.
        with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            try:
                result = action()
            except (ValueError, TypeError) as error:
                assert DOCUMENTED_ERRORS.search(str(error)), repr(error)
                OUTCOMES["documented error"] += 1
                result = error
    unexpected = [w for w in caught if not _allowed_warning(w)]
    assert not unexpected, [f"{w.category.__name__}: {w.message}" for w in unexpected]
    return result


def check_classifier(est, X, y):
    n = X.shape[0]
    proba = est.predict_proba(X)
    assert proba.shape[0] == n and np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    y = np.asarray(y)
    if y.ndim == 1:
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
        assert proba.shape[1] == max(len(est.classes_), 2)
    else:
        assert proba.shape == y.shape
    y_pred = est.predict(X)
    assert y_pred.shape == y.shape
    assert set(np.unique(y_pred)) <= set(np.unique(y))
    OUTCOMES["fitted"] += 1


def check_regressor(est, X, y):
    y_pred = est.predict(X)
    assert y_pred.shape == np.shape(y)
    assert np.isfinite(y_pred).all()
    if est.loss == "poisson":
        assert (y_pred >= 0).all()
    OUTCOMES["fitted"] += 1


# ---------------------------------------------------------------------- tests


@settings(max_examples=120, **PROPERTY)
@given(data=data(), params=parameters(), draw=st.data())
def test_classifier_fits_or_fails_clearly(data, params, draw):
    EXAMPLES["classifier"] += 1
    X, rng = data
    kind = draw.draw(
        st.sampled_from(["binary", "multiclass", "multilabel", "constant"])
    )
    y = _classification_target(draw.draw, X, rng, kind)
    est = ScratchMLPClassifier(**params)
    result = run(lambda: est.fit(X, y))
    if result is est:
        run(lambda: check_classifier(est, X, y))


@settings(max_examples=100, **PROPERTY)
@given(data=data(), params=parameters(), draw=st.data())
def test_regressor_fits_or_fails_clearly(data, params, draw):
    EXAMPLES["regressor"] += 1
    X, rng = data
    loss = draw.draw(st.sampled_from(LOSSES))
    kind = draw.draw(st.sampled_from(["single", "multi-output", "constant"]))
    y = _regression_target(draw.draw, X, rng, kind, loss)
    est = ScratchMLPRegressor(loss=loss, huber_delta=0.5, **params)
    result = run(lambda: est.fit(X, y))
    if result is est:
        run(lambda: check_regressor(est, X, y))


@settings(max_examples=50, **PROPERTY)
@given(
    data=data(),
    params=parameters(),
    n_calls=st.integers(1, 4),
    classifier=st.booleans(),
)
def test_partial_fit_sequences_fit_or_fail_clearly(data, params, n_calls, classifier):
    EXAMPLES["partial_fit"] += 1
    X, rng = data
    if params["solver"] in ("lbfgs", "cg"):
        params["solver"] = "adam"
    if classifier:
        y = rng.randint(3, size=X.shape[0])
        est = ScratchMLPClassifier(**params)
        extra = {"classes": [0, 1, 2]}
    else:
        y = rng.normal(size=X.shape[0])
        est = ScratchMLPRegressor(**params)
        extra = {}
    for call in range(n_calls):
        rows = rng.permutation(X.shape[0])[: max(1, X.shape[0] // 2)]
        result = run(lambda: est.partial_fit(X[rows], y[rows], **extra))  # noqa: B023
        if result is not est:
            return
        assert est.n_iter_ == 1 and len(est.loss_curve_) == call + 1
    check = check_classifier if classifier else check_regressor
    run(lambda: check(est, X, y))


@settings(max_examples=30, **PROPERTY)
@given(data=data(), params=parameters(), draw=st.data())
def test_sparse_input_and_sample_weights(data, params, draw):
    EXAMPLES["sparse+weights"] += 1
    X, rng = data
    X = np.where(rng.uniform(size=X.shape) < 0.5, 0, X)
    X = sp.csr_matrix(X) if draw.draw(st.booleans()) else sp.csc_matrix(X)
    weights = draw.draw(st.sampled_from(["ones", "random", "some-zero", "all-zero"]))
    n = X.shape[0]
    sample_weight = {
        "ones": np.ones(n),
        "random": rng.uniform(0.1, 3.0, size=n),
        "some-zero": np.where(np.arange(n) % 2 == 0, 0.0, 1.0),
        "all-zero": np.zeros(n),
    }[weights]
    y = rng.randint(2, size=n)
    est = ScratchMLPClassifier(**params)
    result = run(lambda: est.fit(X, y, sample_weight=sample_weight))
    if result is est:
        run(lambda: check_classifier(est, X, y))
