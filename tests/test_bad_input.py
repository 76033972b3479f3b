"""A catalogue of bad (and borderline) inputs, each with its expected outcome.

Every row of ``CASES`` is one input and one of two outcomes:

- ``Raises(Error, regex)``: a ``ValueError`` or ``TypeError`` (sklearn's
  ``NotFittedError`` and ``InvalidParameterError`` are subclasses) whose message
  matches ``regex``, which names the problem and, for everything but the data
  itself, the offending parameter;
- ``Fits(check)``: the call succeeds, and ``check`` states what success means
  (by default: finite predictions of the right shape). ``warns`` adds a warning
  that must be given.

The catalogue holds 127 cases: 82 that must raise and 45 that must fit. They
cover X with NaN and inf (dense and sparse), empty, 1-D and 3-D X, strings,
complex, object, float16, integer and boolean X, bad targets, bad sample and
class weights, every constructor parameter at and beyond its bounds, calls in
the wrong order, and degenerate shapes. ``test_catalogue_size`` keeps this count
honest.
"""

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor

C, R = ScratchMLPClassifier, ScratchMLPRegressor

RNG = np.random.RandomState(0)
X = RNG.normal(size=(30, 3))
Y_BIN = np.arange(30) % 2
Y_MULTI = np.arange(30) % 3
Y_REG = RNG.normal(size=30)
Y_MULTILABEL = np.c_[Y_BIN, (np.arange(30) // 2) % 2]

# Small, fast models: a few epochs of a tiny net. ConvergenceWarning is expected.
FAST = dict(hidden_layer_sizes=(5,), max_iter=3, random_state=0)


@dataclass(frozen=True)
class Raises:
    error: type
    match: str


@dataclass(frozen=True)
class Fits:
    check: object = None  # callable(result) -> None; asserts
    warns: tuple = field(default=())  # (category, regex) that must be warned


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


def fit(Est, X_, y_, sample_weight=None, predict_on=None, **params):
    """An action: fit, then predict on ``predict_on`` (default: the training X)."""

    def action():
        est = Est(**{**FAST, **params}).fit(X_, y_, sample_weight=sample_weight)
        X_pred = X_ if predict_on is None else predict_on
        return est, X_pred, est.predict(X_pred)

    return action


def _n_rows(X_):
    return X_.shape[0] if hasattr(X_, "shape") else len(X_)


def finite_predictions(result):
    """The default check: predictions (and probabilities) finite, right shape."""
    est, X_pred, y_pred = result
    n = _n_rows(X_pred)
    assert y_pred.shape[0] == n
    if isinstance(est, ScratchMLPClassifier):
        proba = est.predict_proba(X_pred)
        assert proba.shape[0] == n and np.isfinite(proba).all()
        assert np.allclose(proba.sum(axis=1), 1.0) or est.n_outputs_ > 1
    else:
        assert np.isfinite(y_pred).all()


def float64_weights(result):
    finite_predictions(result)
    est = result[0]
    assert all(c.dtype == np.float64 for c in est.coefs_ + est.intercepts_)


def string_predictions(result):
    finite_predictions(result)
    est, _, y_pred = result
    assert y_pred.dtype.kind == "U"
    assert set(y_pred) <= {"spam", "ham"}
    assert list(est.classes_) == ["ham", "spam"]


def predicts_the_only_class(result):
    est, _, y_pred = result
    assert (y_pred == 7).all() and list(est.classes_) == [7]


def after_fit(Est, y_, then, **params):
    """An action: fit on (X, y_), then call ``then(est)``."""

    def action():
        est = Est(**{**FAST, **params}).fit(X, y_)
        return then(est)

    return action


def partial_fits(Est, *calls, **params):
    """An action: a sequence of partial_fit calls, each ``(X, y, kwargs)``."""

    def action():
        est = Est(**{**FAST, **params})
        for X_, y_, kwargs in calls:
            est.partial_fit(X_, y_, **kwargs)
        return est, X, est.predict(X)

    return action


def bad_param(Est, name, value, message=None, y_=None):
    """A row: constructor parameter ``name=value`` must be refused, naming it."""
    y_ = (Y_REG if Est is R else Y_BIN) if y_ is None else y_
    error = Raises(ValueError, message or rf"\b{name}\b")
    return pytest.param(
        fit(Est, X, y_, **{name: value}),
        error,
        id=f"{Est.__name__[10:13]}-{name}={value!r}",
    )


def ok_param(Est, check=finite_predictions, warns=(), y_=None, **params):
    """A row: these parameter values are accepted and the model fits."""
    y_ = (Y_REG if Est is R else Y_BIN) if y_ is None else y_
    label = ",".join(f"{k}={v!r}" for k, v in params.items())
    return pytest.param(
        fit(Est, X, y_, **params),
        Fits(check, warns),
        id=f"{Est.__name__[10:13]}-ok-{label}",
    )


STRINGS = np.array([["a", "b", "c"]] * 30)
OBJECT_WITH_NONE = X.astype(object)
OBJECT_WITH_NONE[2, 1] = None
FRAME = pd.DataFrame(X, columns=["a", "b", "c"]).assign(colour=["red", "blue"] * 15)
NUMERIC_FRAME = pd.DataFrame({"i": np.arange(30), "f": X[:, 0], "b": Y_BIN == 1})
WIDE = RNG.normal(size=(2, 5000))

CASES = [
    # ------------------------------------------------------------------ X values
    pytest.param(
        fit(C, _with(X, (0, 0), np.nan), Y_BIN),
        Raises(ValueError, r"Input X contains NaN"),
        id="X-nan",
    ),
    pytest.param(
        fit(R, _with(X, (4, 2), np.inf), Y_REG),
        Raises(ValueError, r"Input X contains infinity"),
        id="X-inf",
    ),
    pytest.param(
        fit(R, _with(X, (4, 2), -np.inf), Y_REG),
        Raises(ValueError, r"Input X contains infinity"),
        id="X-neg-inf",
    ),
    pytest.param(
        fit(C, sp.csr_matrix(_with(X, (0, 0), np.nan)), Y_BIN),
        Raises(ValueError, r"Input X contains NaN"),
        id="X-sparse-nan",
    ),
    pytest.param(
        fit(R, sp.csc_matrix(_with(X, (1, 1), np.inf)), Y_REG),
        Raises(ValueError, r"Input X contains infinity"),
        id="X-sparse-inf",
    ),
    pytest.param(
        after_fit(C, Y_BIN, lambda est: est.predict(_with(X, (3, 0), np.nan))),
        Raises(ValueError, r"Input X contains NaN"),
        id="predict-X-nan",
    ),
    pytest.param(
        after_fit(
            R, Y_REG, lambda est: est.predict(sp.csr_matrix(_with(X, (3, 0), np.inf)))
        ),
        Raises(ValueError, r"Input X contains infinity"),
        id="predict-X-sparse-inf",
    ),
    # ------------------------------------------------------------------ X shapes
    pytest.param(
        fit(C, np.empty((0, 3)), Y_BIN[:0]),
        Raises(ValueError, r"0 sample\(s\)"),
        id="X-no-samples",
    ),
    pytest.param(
        fit(R, np.empty((30, 0)), Y_REG),
        Raises(ValueError, r"0 feature\(s\)"),
        id="X-no-features",
    ),
    pytest.param(
        fit(C, X[:, 0], Y_BIN),
        Raises(ValueError, r"Expected 2D array, got 1D array"),
        id="X-1d",
    ),
    pytest.param(
        fit(R, X.reshape(30, 3, 1), Y_REG), Raises(ValueError, r"dim 3"), id="X-3d"
    ),
    pytest.param(
        after_fit(C, Y_BIN, lambda est: est.predict(X[0])),
        Raises(ValueError, r"Expected 2D array, got 1D array"),
        id="predict-X-1d",
    ),
    # ------------------------------------------------------------------ X dtypes
    pytest.param(
        fit(C, STRINGS, Y_BIN),
        Raises(ValueError, r"could not convert string to float"),
        id="X-strings",
    ),
    # As sklearn's MLP: fit converts numeric strings, predict wants numbers.
    pytest.param(
        fit(C, X.astype("U12"), Y_BIN, predict_on=X),
        Fits(float64_weights),
        id="X-numeric-strings-as-sklearn",
    ),
    pytest.param(
        fit(R, X + 1j, Y_REG),
        Raises(ValueError, r"Complex data not supported"),
        id="X-complex",
    ),
    pytest.param(
        fit(C, X.astype(object), Y_BIN), Fits(float64_weights), id="X-object-of-floats"
    ),
    pytest.param(
        fit(C, OBJECT_WITH_NONE, Y_BIN),
        Raises(ValueError, r"Input X contains NaN"),
        id="X-object-with-None",
    ),
    pytest.param(
        fit(C, X.astype(np.float16), Y_BIN), Fits(float64_weights), id="X-float16"
    ),
    pytest.param(
        fit(R, X.astype(np.float16), Y_REG), Fits(float64_weights), id="X-float16-reg"
    ),
    pytest.param(
        fit(C, (10 * X).astype(np.int64), Y_BIN), Fits(float64_weights), id="X-int64"
    ),
    pytest.param(
        fit(R, (10 * X).astype(np.int8), Y_REG), Fits(float64_weights), id="X-int8"
    ),
    pytest.param(fit(C, X > 0, Y_BIN), Fits(float64_weights), id="X-bool"),
    pytest.param(fit(R, sp.coo_matrix(X), Y_REG), Fits(), id="X-sparse-coo"),
    pytest.param(
        fit(C, FRAME, Y_BIN),
        Raises(ValueError, r"could not convert string to float"),
        id="X-frame-non-numeric-column",
    ),
    pytest.param(
        fit(C, NUMERIC_FRAME, Y_BIN), Fits(float64_weights), id="X-frame-int-float-bool"
    ),
    # ------------------------------------------------------------------ targets
    pytest.param(
        fit(R, X, _with(Y_REG, 3, np.nan)),
        Raises(ValueError, r"Input y contains NaN"),
        id="y-nan-reg",
    ),
    pytest.param(
        fit(C, X, _with(Y_BIN, 3, np.nan)),
        Raises(ValueError, r"Input y contains NaN"),
        id="y-nan-clf",
    ),
    pytest.param(
        fit(R, X, _with(Y_REG, 3, np.inf)),
        Raises(ValueError, r"Input y contains infinity"),
        id="y-inf-reg",
    ),
    pytest.param(
        fit(C, X, Y_REG),
        Raises(ValueError, r"Unknown label type.*continuous"),
        id="y-continuous-clf",
    ),
    pytest.param(
        fit(C, X, Y_BIN[:29]),
        Raises(ValueError, r"inconsistent numbers of samples"),
        id="y-too-short",
    ),
    pytest.param(
        fit(R, X, np.array(["1.0", "x"] * 15)),
        Raises(ValueError, r"could not convert|numeric"),
        id="y-strings-reg",
    ),
    pytest.param(
        fit(C, X, np.array(["ham", "spam"])[Y_BIN]),
        Fits(string_predictions),
        id="y-string-labels",
    ),
    pytest.param(
        fit(C, X, np.full(30, 7)), Fits(predicts_the_only_class), id="y-single-class"
    ),
    pytest.param(fit(C, X, Y_MULTILABEL), Fits(), id="y-multilabel"),
    pytest.param(fit(R, X, np.zeros(30)), Fits(), id="y-constant-reg"),
    pytest.param(
        fit(R, X, -np.abs(Y_REG), loss="poisson"),
        Raises(ValueError, r"poisson.*y >= 0"),
        id="y-negative-poisson",
    ),
    # ------------------------------------------------------------ sample_weight
    pytest.param(
        fit(C, X, Y_BIN, sample_weight=np.ones(29)),
        Raises(ValueError, r"sample_weight.*\(29,\)"),
        id="sw-wrong-length",
    ),
    pytest.param(
        fit(R, X, Y_REG, sample_weight=np.ones((30, 2))),
        Raises(ValueError, r"sample_weight"),
        id="sw-2d",
    ),
    pytest.param(
        fit(C, X, Y_BIN, sample_weight=_with(np.ones(30), 0, -1)),
        Raises(ValueError, r"Negative.*sample_weight"),
        id="sw-negative",
    ),
    pytest.param(
        fit(R, X, Y_REG, sample_weight=_with(np.ones(30), 0, np.nan)),
        Raises(ValueError, r"sample_weight contains NaN"),
        id="sw-nan",
    ),
    pytest.param(
        fit(C, X, Y_BIN, sample_weight=np.zeros(30), solver="lbfgs"),
        Raises(ValueError, r"sample_weight sums to zero"),
        id="sw-all-zero",
    ),
    pytest.param(
        fit(C, X, Y_BIN, sample_weight=np.array(["a"] * 30)),
        Raises(ValueError, r"could not convert"),
        id="sw-strings",
    ),
    pytest.param(fit(R, X, Y_REG, sample_weight=2.5), Fits(), id="sw-scalar"),
    pytest.param(
        fit(C, X, Y_BIN, sample_weight=_with(np.ones(30), slice(0, 29), 0)),
        Fits(),
        id="sw-one-positive",
    ),
    # ------------------------------------------------------------- class_weight
    pytest.param(
        fit(C, X, Y_BIN, class_weight={5: 2.0}),
        Raises(ValueError, r"class_weight.*\[5\]"),
        id="cw-unknown-label",
    ),
    pytest.param(
        fit(C, X, Y_MULTILABEL, class_weight={0: 2.0}),
        Raises(ValueError, r"class_weight.*multilabel"),
        id="cw-dict-multilabel",
    ),
    pytest.param(
        fit(C, X, Y_BIN, class_weight={0: 0.0, 1: 0.0}),
        Raises(ValueError, r"class_weight.*positive weight"),
        id="cw-all-zero",
    ),
    bad_param(C, "class_weight", "heavy"),
    pytest.param(
        fit(C, X, Y_MULTI, class_weight={0: 3.0}), Fits(), id="cw-partial-dict"
    ),
    pytest.param(
        fit(C, X, Y_MULTILABEL, class_weight="balanced"),
        Fits(),
        id="cw-balanced-multilabel",
    ),
    # ------------------------------------- constructor parameters beyond bounds
    bad_param(C, "alpha", -1.0),
    bad_param(R, "max_iter", 0),
    bad_param(C, "max_iter", 2.5),
    bad_param(C, "momentum", 1.5),
    bad_param(R, "momentum", -0.1),
    bad_param(C, "validation_fraction", 1.0),
    bad_param(R, "validation_fraction", -0.1),
    bad_param(C, "beta_1", 1.0),
    bad_param(R, "beta_2", 1.0),
    bad_param(C, "beta_1", -0.5),
    bad_param(C, "epsilon", 0.0),
    bad_param(R, "n_iter_no_change", 0),
    bad_param(C, "hidden_layer_sizes", (0,)),
    bad_param(R, "hidden_layer_sizes", (5, -1)),
    bad_param(C, "hidden_layer_sizes", 0),
    bad_param(C, "learning_rate_init", 0.0),
    bad_param(R, "learning_rate_init", -1e-3),
    bad_param(C, "batch_size", 0),
    bad_param(C, "dropout", 1.0),
    bad_param(R, "dropout", -0.1),
    bad_param(C, "dropout", [0.1, 0.2]),
    bad_param(R, "dropout", [1.0]),
    bad_param(R, "huber_delta", 0.0),
    bad_param(R, "huber_delta", -1.0),
    bad_param(C, "max_grad_norm", 0.0),
    bad_param(C, "activation", "swish"),
    bad_param(R, "solver", "newton"),
    bad_param(R, "loss", "hinge"),
    bad_param(C, "learning_rate", "exponential"),
    bad_param(R, "weight_init", "zeros"),
    bad_param(C, "tol", -1.0),
    bad_param(R, "power_t", -0.5),
    bad_param(C, "max_fun", 0),
    bad_param(C, "shuffle", "yes"),
    bad_param(R, "batch_norm", "true"),
    # options that do not combine: named in the message
    pytest.param(
        fit(C, X, Y_BIN, solver="lbfgs", dropout=0.5),
        Raises(ValueError, r"dropout.*lbfgs"),
        id="dropout-with-lbfgs",
    ),
    pytest.param(
        fit(R, X, Y_REG, solver="cg", max_grad_norm=1.0),
        Raises(ValueError, r"max_grad_norm.*cg"),
        id="max_grad_norm-with-cg",
    ),
    # -------------------------------------------- accepted values at the bounds
    ok_param(C, solver="sgd", momentum=0.0),
    ok_param(C, solver="sgd", momentum=1.0),
    ok_param(R, solver="sgd", momentum=1.0, nesterovs_momentum=False),
    ok_param(
        C,
        early_stopping=True,
        validation_fraction=0.0,
        warns=(
            UserWarning,
            r"validation set for early stopping.*validation_fraction=0",
        ),
    ),
    ok_param(R, alpha=0.0),
    ok_param(C, tol=0.0),
    ok_param(R, beta_1=0.0, beta_2=0.0),
    ok_param(C, n_iter_no_change=np.inf),
    ok_param(R, max_iter=1),
    ok_param(C, hidden_layer_sizes=(1,)),
    ok_param(R, hidden_layer_sizes=3),
    ok_param(C, batch_size=1),
    ok_param(R, batch_size=1000, warns=(UserWarning, r"batch_size")),
    ok_param(C, dropout=0.99),
    ok_param(R, huber_delta=1e-12, loss="huber"),
    ok_param(C, max_grad_norm=1e-12),
    ok_param(R, epsilon=1e-300),
    ok_param(C, learning_rate_init=1e-12),
    ok_param(R, power_t=0.0, learning_rate="invscaling", solver="sgd"),
    ok_param(C, activation="sigmoid"),
    # --------------------------------------------------- calls in the wrong order
    pytest.param(
        lambda: C().predict(X),
        Raises(NotFittedError, r"not fitted yet"),
        id="predict-before-fit",
    ),
    pytest.param(
        lambda: C().predict_proba(X),
        Raises(NotFittedError, r"not fitted yet"),
        id="predict-proba-before-fit",
    ),
    pytest.param(
        lambda: R().predict(X),
        Raises(ValueError, r"not fitted yet"),
        id="reg-predict-before-fit",
    ),
    pytest.param(
        after_fit(C, Y_BIN, lambda est: est.predict(X[:, :2])),
        Raises(ValueError, r"X has 2 features.*expecting 3"),
        id="predict-too-few-features",
    ),
    pytest.param(
        after_fit(R, Y_REG, lambda est: est.predict(np.c_[X, X])),
        Raises(ValueError, r"X has 6 features.*expecting 3"),
        id="predict-too-many-features",
    ),
    pytest.param(
        after_fit(C, Y_BIN, lambda est: est.fit(X[:, :2], Y_BIN), warm_start=True),
        Raises(ValueError, r"X has 2 features"),
        id="warm-start-other-features",
    ),
    pytest.param(
        after_fit(C, Y_BIN, lambda est: est.fit(X, Y_MULTI), warm_start=True),
        Raises(ValueError, r"warm_start.*classes"),
        id="warm-start-other-classes",
    ),
    pytest.param(
        partial_fits(C, (X, Y_BIN, {})),
        Raises(ValueError, r"classes must be passed on the first call"),
        id="partial-fit-without-classes",
    ),
    pytest.param(
        partial_fits(C, (X, Y_BIN, dict(classes=[0, 1])), (X, Y_MULTI, {})),
        Raises(ValueError, r"classes not in `self.classes_`"),
        id="partial-fit-unseen-class",
    ),
    pytest.param(
        partial_fits(
            C, (X, Y_BIN, dict(classes=[0, 1])), (X, Y_BIN, dict(classes=[0, 1, 2]))
        ),
        Raises(ValueError, r"classes=.*not the same"),
        id="partial-fit-other-classes",
    ),
    pytest.param(
        partial_fits(C, (X, Y_BIN, dict(classes=[0, 1, 2]))),
        Fits(),
        id="partial-fit-absent-class-declared",
    ),
    pytest.param(
        partial_fits(R, (X, Y_REG, {}), (X[:, :2], Y_REG, {})),
        Raises(ValueError, r"X has 2 features"),
        id="partial-fit-other-features",
    ),
    # ------------------------------------------------------------ odd data sizes
    pytest.param(
        fit(C, X[:6], Y_BIN[:6], early_stopping=True),
        Fits(warns=(UserWarning, r"validation")),
        id="tiny-early-stopping",
    ),
    pytest.param(fit(R, X[:1], Y_REG[:1]), Fits(), id="single-sample-reg"),
    pytest.param(
        fit(R, X[:1], Y_REG[:1], solver="lbfgs"), Fits(), id="single-sample-lbfgs"
    ),
    pytest.param(
        fit(C, X[:1], Y_BIN[:1], predict_on=X), Fits(), id="single-sample-clf"
    ),
    pytest.param(
        fit(R, X[:1], Y_REG[:1], batch_norm=True, solver="sgd"),
        Raises(ValueError, "batch_norm=True needs at least 2 samples"),
        id="single-sample-batch-norm",
    ),
    pytest.param(fit(C, X[:, :1], Y_BIN), Fits(), id="single-feature"),
    pytest.param(fit(C, WIDE, [0, 1]), Fits(), id="5000-features-2-samples"),
    pytest.param(
        fit(R, sp.csr_matrix(WIDE), [0.5, -0.5], solver="lbfgs"),
        Fits(),
        id="5000-sparse-features-lbfgs",
    ),
]


def _run(action, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if isinstance(expected, Raises):
            assert issubclass(expected.error, (ValueError, TypeError))
            with pytest.raises((ValueError, TypeError), match=expected.match) as info:
                action()
            assert isinstance(info.value, expected.error)
            return
        if expected.warns:
            category, match = expected.warns
            with pytest.warns(category, match=match):
                result = action()
        else:
            result = action()
    (expected.check or finite_predictions)(result)


@pytest.mark.parametrize("action, expected", CASES)
def test_bad_input(action, expected):
    _run(action, expected)


def test_catalogue_size():
    raises = sum(isinstance(case.values[1], Raises) for case in CASES)
    fits = sum(isinstance(case.values[1], Fits) for case in CASES)
    assert len(CASES) >= 40
    # The module docstring states these numbers; keep them in step.
    assert (raises, fits) == (82, 45), (raises, fits)
    assert len({case.id for case in CASES}) == len(CASES)


def test_catalogue_messages_name_a_parameter():
    # Every constructor-parameter row names the parameter in its regex.
    for case in CASES:
        expected = case.values[1]
        if isinstance(expected, Raises) and "=" in case.id and "-ok-" not in case.id:
            name = case.id.split("-", 1)[1].split("=")[0]
            if name in C().get_params() or name in R().get_params():
                assert re.search(name, expected.match), case.id
