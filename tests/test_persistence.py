"""Pickle and joblib: bit-identical round trips, resumable training, lean pickles.

tests/test_integration.py checks predictions after a round trip for Adam and
partial_fit resumption for SGD and Adam. Here every fitted attribute must come
back bit-identical for every solver, with and without batch norm; resumption is
checked for every minibatch solver with batch norm and dropout too; the pickle
size is measured against the weights (and compared with sklearn's MLP); and the
version stamp is checked.
"""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier

import sknn_scratch
from sknn_scratch import (
    InconsistentVersionWarning,
    ScratchMLPClassifier,
    ScratchMLPRegressor,
)
from sknn_scratch.nn.optimizers import OPTIMIZERS

from ._registries import FULL_BATCH_SOLVERS, MINIBATCH_SOLVERS
from ._state import assert_same_state, assert_views_alias_params, fitted_state

FULL_BATCH = ["lbfgs", "cg"]
MINIBATCH = MINIBATCH_SOLVERS
SOLVERS = MINIBATCH + FULL_BATCH
ESTIMATORS = [ScratchMLPClassifier, ScratchMLPRegressor]

X, Y_CLASS = make_classification(
    90, 6, n_informative=4, n_classes=3, random_state=0, class_sep=2.0
)
Y_REG = X[:, 0] - 0.5 * X[:, 1]


def _target(Estimator):
    return Y_CLASS if Estimator is ScratchMLPClassifier else Y_REG


def _pickle(est, tmp_path):
    return pickle.loads(pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL))


def _joblib(est, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    return joblib.load(path)


ROUND_TRIPS = [pytest.param(_pickle, id="pickle"), pytest.param(_joblib, id="joblib")]


def _fit(Estimator, solver, dtype=np.float64, **params):
    est = Estimator(
        hidden_layer_sizes=(7, 5),
        solver=solver,
        batch_size=16,
        max_iter=4,
        random_state=0,
        **params,
    )
    return est.fit(X.astype(dtype), _target(Estimator))


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch_norm"])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=["clf", "reg"])
def test_round_trip_is_bit_identical(
    Estimator, solver, batch_norm, round_trip, tmp_path
):
    dtype = np.float32 if solver in ("adagrad", "cg") else np.float64
    est = _fit(Estimator, solver, dtype, batch_norm=batch_norm)
    loaded = round_trip(est, tmp_path)
    assert type(loaded) is Estimator
    assert loaded.get_params() == est.get_params()
    assert_same_state(fitted_state(loaded, X), fitted_state(est, X))
    assert_views_alias_params(loaded)
    assert loaded._params.dtype == dtype
    assert (loaded.predict(X) == est.predict(X)).all()


# ------------------------------------------------------ resuming partial_fit

RESUME_OPTIONS = {
    "plain": {},
    "batch_norm": {"batch_norm": True},
    "dropout": {"dropout": 0.25},
    "dropout-rng": {"dropout": 0.25, "random_state": "RandomState"},
    "batch_norm-dropout-cosine": {
        "batch_norm": True,
        "dropout": [0.2],
        "learning_rate": "cosine",
    },
}


def _make_resumable(Estimator, solver, option):
    params = dict(RESUME_OPTIONS[option])
    # A RandomState instance is consumed across calls, so it must travel inside
    # the pickle: an int seed restarts the same stream on every call.
    params["random_state"] = (
        np.random.RandomState(3) if params.get("random_state") == "RandomState" else 3
    )
    return Estimator(
        hidden_layer_sizes=(6,),
        solver=solver,
        batch_size=8,
        learning_rate_init=0.01,
        **params,
    )


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize("option", RESUME_OPTIONS)
@pytest.mark.parametrize("solver", MINIBATCH)
@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=["clf", "reg"])
def test_partial_fit_resumed_after_load_is_bit_identical(
    Estimator, solver, option, round_trip, tmp_path
):
    y = _target(Estimator)
    batches = [(X[i::3], y[i::3]) for i in range(3)] * 2
    extra = {"classes": np.unique(y)} if Estimator is ScratchMLPClassifier else {}

    uninterrupted = _make_resumable(Estimator, solver, option)
    for Xb, yb in batches:
        uninterrupted.partial_fit(Xb, yb, **extra)

    resumed = _make_resumable(Estimator, solver, option)
    for Xb, yb in batches[:3]:
        resumed.partial_fit(Xb, yb, **extra)
    resumed = round_trip(resumed, tmp_path)
    for Xb, yb in batches[3:]:
        resumed.partial_fit(Xb, yb, **extra)

    assert_same_state(fitted_state(resumed, X), fitted_state(uninterrupted, X))
    if option == "dropout-rng":
        state = resumed.random_state.get_state(legacy=False)
        expected = uninterrupted.random_state.get_state(legacy=False)
        assert state["state"]["pos"] == expected["state"]["pos"]
        assert (state["state"]["key"] == expected["state"]["key"]).all()


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_warm_start_resumed_after_load_is_bit_identical(solver):
    make = lambda: _fit(  # noqa: E731
        ScratchMLPRegressor, solver, warm_start=True, batch_norm=True
    )
    uninterrupted = make()
    uninterrupted.fit(X, Y_REG)
    resumed = _pickle(make(), None)
    resumed.fit(X, Y_REG)
    assert_same_state(fitted_state(resumed, X), fitted_state(uninterrupted, X))


# ---------------------------------------------------------------- pickle size

# Wide enough that the weights dwarf the fixed cost of the pickle.
X_WIDE, Y_WIDE = make_classification(
    200, 50, n_informative=10, n_classes=3, random_state=0
)
WIDE = dict(hidden_layer_sizes=(200,), max_iter=3, random_state=0)

# Parameter-sized arrays a model of each solver pickles: the weights, and the
# optimizer's state vectors (Adam's two moments, SGD's velocity, ...), each once.
EXPECTED_RATIO = {
    **{name: 1 + len(OPTIMIZERS[name]._state_names) for name in MINIBATCH_SOLVERS},
    **dict.fromkeys(FULL_BATCH_SOLVERS, 1),
}
RATIOS = {}


def _pickle_size(est):
    return len(pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL))


@pytest.mark.parametrize("solver", SOLVERS)
def test_pickle_stores_each_array_once(solver, record_property):
    est = ScratchMLPClassifier(solver=solver, **WIDE).fit(X_WIDE, Y_WIDE)
    weights = est._params.nbytes
    assert weights > 80_000
    ratio = _pickle_size(est) / weights
    RATIOS[("sknn_scratch", solver)] = ratio
    record_property(f"pickle_ratio_{solver}", round(ratio, 3))
    print(f"\nsknn_scratch {solver}: pickle / weights = {ratio:.3f}")
    expected = EXPECTED_RATIO[solver]
    assert expected - 0.02 < ratio < expected + 0.05, ratio

    # joblib stores the same arrays once as well
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    assert buffer.getbuffer().nbytes / weights < expected + 0.05


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_pickle_is_leaner_than_sklearns(solver, record_property):
    ours = ScratchMLPClassifier(solver=solver, **WIDE).fit(X_WIDE, Y_WIDE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = MLPClassifier(solver=solver, **WIDE).fit(X_WIDE, Y_WIDE)
    weights = sum(a.nbytes for a in theirs.coefs_ + theirs.intercepts_)
    assert weights == ours._params.nbytes
    ours_ratio = _pickle_size(ours) / weights
    sklearn_ratio = _pickle_size(theirs) / weights
    record_property(f"pickle_ratio_{solver}_ours", round(ours_ratio, 3))
    record_property(f"pickle_ratio_{solver}_sklearn", round(sklearn_ratio, 3))
    print(
        f"\n{solver}: pickle / weights = {ours_ratio:.3f} (sknn_scratch), "
        f"{sklearn_ratio:.3f} (sklearn)"
    )
    # sklearn keeps a copy of the best weights beside its optimizer state.
    assert ours_ratio < sklearn_ratio - 0.9


def test_pickle_of_early_stopping_model_keeps_best_weights_once():
    est = ScratchMLPClassifier(solver="adam", early_stopping=True, **WIDE)
    est.fit(X_WIDE, Y_WIDE)
    ratio = _pickle_size(est) / est._params.nbytes
    # weights, two moments, and the best weights kept for early stopping
    assert 3.98 < ratio < 4.05, ratio


# -------------------------------------------------------------------- version


def _reload_with_version(est, version):
    state = est.__getstate__()
    if version is None:
        del state["_sknn_scratch_version"]
    else:
        state["_sknn_scratch_version"] = version
    new = type(est).__new__(type(est))
    new.__setstate__(state)
    return new


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=["clf", "reg"])
def test_pickle_carries_the_version(Estimator):
    est = _fit(Estimator, "adam")
    state = est.__getstate__()
    assert state["_sknn_scratch_version"] == sknn_scratch.__version__
    assert "_sknn_scratch_version" not in vars(est)
    # and a real pickle holds it too
    assert sknn_scratch.__version__.encode() in pickle.dumps(est)


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=["clf", "reg"])
def test_loading_another_version_warns(Estimator):
    est = _fit(Estimator, "adam", batch_norm=True)
    with pytest.warns(InconsistentVersionWarning) as record:
        loaded = _reload_with_version(est, "0.0.1")
    assert len(record) == 1
    warning = record[0].message
    assert warning.original_version == "0.0.1"
    assert warning.current_version == sknn_scratch.__version__
    assert warning.estimator_name == Estimator.__name__
    assert "0.0.1" in str(warning) and sknn_scratch.__version__ in str(warning)
    assert issubclass(InconsistentVersionWarning, UserWarning)
    # the model is still loaded, exactly
    assert_same_state(fitted_state(loaded, X), fitted_state(est, X))
    assert_views_alias_params(loaded)


def test_loading_a_pickle_without_a_version_warns():
    est = _fit(ScratchMLPClassifier, "sgd")
    with pytest.warns(InconsistentVersionWarning, match="pre-0.1"):
        _reload_with_version(est, None)


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_loading_the_same_version_is_silent(round_trip, tmp_path):
    est = _fit(ScratchMLPClassifier, "adam", batch_norm=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = round_trip(est, tmp_path)
        _reload_with_version(est, sknn_scratch.__version__)
        # an unfitted estimator pickles and loads silently too
        pickle.loads(pickle.dumps(ScratchMLPRegressor()))
    assert_same_state(fitted_state(loaded, X), fitted_state(est, X))
