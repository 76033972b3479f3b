"""Extreme scales never leak a NumPy floating-point error or warning to the user.

Every fit and prediction here runs under ``strict()``: NumPy overflow, invalid
and divide-by-zero raise ``FloatingPointError``, and every warning is an error
except ``ConvergenceWarning`` (the runs are deliberately short). Underflow is
left ignored, NumPy's default: a result that underflows (``exp(-1e4)`` in the
softmax or GELU, ``expit(-1e4)``) is rounded to zero or a subnormal, which is
the correctly rounded IEEE answer and not an error, so raising on it would
flag correct computations.

Inputs are scaled to 1e-8, 1e4 (which puts the output logits of a freshly
initialized net at about 1e4) and 1e8, for every hidden activation, every
regression loss (Poisson's exp output included), and binary, multiclass and
multilabel classification (logistic and softmax outputs), in float32 and
float64. A fit may still diverge: that must be the package's documented
``ValueError`` (which names ``learning_rate_init``), never a leak. A second set
of tests pushes a fitted model's logits to about 1e4 directly, so that the
prediction paths meet them without any escape through divergence.
"""

import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknn_scratch.nn.activations import ACTIVATIONS
from sknn_scratch.nn.network import build_mlp

from ._registries import FULL_BATCH_SOLVERS, MINIBATCH_SOLVERS, REGRESSION_LOSSES

ACTIVATION_NAMES = sorted(ACTIVATIONS)
CLASSIFICATION = ["binary", "multiclass", "multilabel"]
HEADS = [*REGRESSION_LOSSES, *CLASSIFICATION]
SCALES = [1e-8, 1e4, 1e8]
DTYPES = [np.float32, np.float64]
SOLVERS = FULL_BATCH_SOLVERS + MINIBATCH_SOLVERS

# Small on purpose: 100 samples leave early stopping a 10-sample validation set,
# which sends its scoring (outside the training loop) through the same checks.
N_SAMPLES, N_FEATURES = 100, 3
BASE = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0)


@contextmanager
def strict():
    """Over/invalid/divide raise; every warning but ConvergenceWarning is an error."""
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            yield


def _data(head, dtype, scale=1.0):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    signal = X[:, 0] - X[:, 1]
    if head == "binary":
        y = (signal > 0).astype(int)
    elif head == "multiclass":
        y = np.digitize(signal, [-0.5, 0.5])
    elif head == "multilabel":
        y = np.c_[signal > 0, X[:, 2] > 0].astype(int)
    elif head == "poisson":
        y = rng.poisson(np.exp(0.5 * signal)).astype(float)
    else:
        y = signal + 0.1 * rng.normal(size=N_SAMPLES)
    return (X * scale).astype(dtype), y


def _estimator(head, **params):
    if head in CLASSIFICATION:
        return ScratchMLPClassifier(**{**BASE, **params})
    return ScratchMLPRegressor(loss=head, **{**BASE, **params})


def _is_documented_divergence(error):
    return isinstance(error, ValueError) and "learning_rate_init" in str(error)


def _predict_everything(est, X, y):
    """Call every prediction method under strict(); return the outputs."""
    outputs = {"predict": est.predict(X), "score": est.score(X, y)}
    if isinstance(est, ScratchMLPClassifier):
        outputs["predict_proba"] = est.predict_proba(X)
    return outputs


def _check_outputs(est, X, outputs):
    n = X.shape[0]
    assert outputs["predict"].shape[0] == n
    assert np.isfinite(outputs["score"])
    if isinstance(est, ScratchMLPClassifier):
        proba = outputs["predict_proba"]
        assert np.isfinite(proba).all() and (proba >= 0).all()
        if est.out_activation_ == "softmax":
            np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    else:
        y_pred = outputs["predict"]
        assert not np.isnan(y_pred).any()
        if est.loss == "poisson":
            assert (y_pred >= 0).all()


def fit_and_predict(est, X, y):
    """Fit and predict under strict(); return the outputs, or None on divergence."""
    with strict():
        try:
            est.fit(X, y)
        except ValueError as error:
            if _is_documented_divergence(error):
                return None
            raise
        outputs = _predict_everything(est, X, y)
    assert est.coefs_[0].dtype == X.dtype
    _check_outputs(est, X, outputs)
    return outputs


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_extreme_input_scales(activation, head, dtype):
    diverged = []
    for scale in SCALES:
        X, y = _data(head, dtype, scale)
        est = _estimator(head, activation=activation, early_stopping=True)
        if fit_and_predict(est, X, y) is None:
            diverged.append(scale)
    # Adam's steps are bounded by the learning rate: tiny inputs never diverge.
    assert 1e-8 not in diverged


@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch_norm"])
@pytest.mark.parametrize("head", ["squared_error", "poisson", "binary", "multiclass"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_extreme_input_scales_every_solver(solver, head, batch_norm):
    for dtype in DTYPES:
        for scale in SCALES:
            X, y = _data(head, dtype, scale)
            est = _estimator(
                head, solver=solver, batch_norm=batch_norm, activation="tanh"
            )
            fit_and_predict(est, X, y)


# ------------------------------------------------------ logits of about 1e4


def _logits(est, X):
    """The output layer's pre-activations, through the same layers as predict."""
    network = build_mlp(
        [c.shape[0] for c in est.coefs_] + [est.coefs_[-1].shape[1]],
        est.activation,
        "squared_error",  # identity output: its predictions are the logits
        batch_norm=est.batch_norm,
    )
    return network.predict(est._params, X, est._stats)


def _push_logits(est, X, magnitude, shift_to=None):
    """Scale the output layer in place so that max |logit| is ``magnitude``.

    With ``shift_to`` (for the exp output), the logits span ``magnitude`` instead
    and are shifted so that the largest is ``shift_to``.
    """
    logits = _logits(est, X)
    spread = np.ptp(logits) if shift_to is not None else np.abs(logits).max()
    factor = magnitude / spread
    est.coefs_[-1] *= factor
    est.intercepts_[-1] *= factor
    if shift_to is not None:
        est.intercepts_[-1] += shift_to - _logits(est, X).max()
    return _logits(est, X)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch_norm"])
@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("head", HEADS)
def test_predict_with_logits_of_1e4(head, activation, batch_norm, dtype):
    X, y = _data(head, dtype)
    est = _estimator(head, activation=activation, batch_norm=batch_norm)
    with strict():
        est.fit(X, y)
    # exp(1e4) is not a float: Poisson gets logits from -1e4 up to +50 instead.
    shift_to = 50.0 if head == "poisson" else None
    logits = _push_logits(est, X, 1e4, shift_to)
    assert np.abs(logits).max() > 5e3 and np.isfinite(logits).all()
    with strict():
        outputs = _predict_everything(est, X, y)
    _check_outputs(est, X, outputs)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("head", HEADS)
def test_continue_training_from_logits_of_1e4(head, dtype):
    # Training (warm start, with early-stopping scoring) from a saturated model:
    # the loss must stay finite (log-loss clips) or fail with the documented error.
    X, y = _data(head, dtype)
    est = _estimator(head, warm_start=True, early_stopping=True, solver="sgd")
    with strict():
        est.fit(X, y)
    _push_logits(est, X, 1e4, 50.0 if head == "poisson" else None)
    fit_and_predict(est, X, y)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("head", CLASSIFICATION)
def test_predict_log_proba_with_logits_of_1e4(head, dtype):
    # A probability that rounds to 0 has a perfectly finite log-probability
    # (about -1e4 here): it must not come out of log(0) with a divide error.
    X, y = _data(head, dtype)
    est = _estimator(head)
    with strict():
        est.fit(X, y)
    _push_logits(est, X, 1e4)
    with strict():
        log_proba = est.predict_log_proba(X)
    assert log_proba.shape == est.predict_proba(X).shape
    assert not np.isnan(log_proba).any() and (log_proba <= 0).all()


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("head", ["squared_error", "multiclass"])
def test_diverging_fit_with_early_stopping_gives_only_the_documented_error(head, dtype):
    # The weights blow up within the first epoch; the validation scoring after
    # it must not leak overflow warnings. Squared error overflows to the
    # documented error; the clipped log-loss may stay finite however large the
    # weights grow (the fit then ends, finite and silent) unless the L2 term
    # overflows first (float32).
    X, y = _data(head, dtype, scale=100.0)
    est = _estimator(
        head, solver="sgd", learning_rate_init=0.5, early_stopping=True, max_iter=20
    )
    if head == "squared_error":
        with strict(), pytest.raises(ValueError, match="learning_rate_init"):
            est.fit(X, y)
    elif fit_and_predict(est, X, y) is not None:
        assert np.isfinite(est._params).all() and est.validation_scores_


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_batch_norm_statistics_of_huge_inputs(solver):
    # The variance of pre-activations near 1e200 overflows. The fit must then
    # end in the documented error, or hold finite running statistics: never
    # store an infinite variance (which silently makes every prediction equal)
    # or leak the overflow warning.
    X, y = _data("squared_error", np.float64, scale=1e200)
    est = _estimator("squared_error", solver=solver, batch_norm=True)
    with strict():
        try:
            est.fit(X, y)
        except ValueError as error:
            assert _is_documented_divergence(error), error
            return
        y_pred = est.predict(X)
    assert np.isfinite(est._stats).all(), est.running_vars_
    assert np.isfinite(y_pred).all()
