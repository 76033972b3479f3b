"""Behaviour through the public API, and with the rest of the sklearn ecosystem.

Every test here fails if the behaviour it names is missing. Data are small and seeded;
comparisons state their tolerance, and "bit-identical" means ``assert_array_equal``.
"""

import pickle
import re
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, softmax
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import (
    ConvergenceWarning,
    DataConversionWarning,
    NotFittedError,
)
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor

# Short training runs are the point of most tests here, so hitting max_iter is normal.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [ScratchMLPClassifier, ScratchMLPRegressor]
STOCHASTIC = ["sgd", "adam"]
SOLVERS = ["sgd", "adam", "lbfgs"]


# --------------------------------------------------------------------------- data


def _classification(n_samples=120, n_features=6, n_classes=3, seed=0):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        class_sep=2.0,
        random_state=seed,
    )
    return X, y


def _regression(n_samples=120, n_features=6, n_targets=1, seed=0):
    X, y = make_regression(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=4,
        n_targets=n_targets,
        noise=0.1,
        random_state=seed,
    )
    # Unit-scale targets keep default learning rates sensible.
    return X, y / np.std(y)


def _data_for(Estimator, **kwargs):
    if Estimator is ScratchMLPClassifier:
        return _classification(**kwargs)
    return _regression(**kwargs)


def _output(est, X):
    """The continuous output: predict_proba for classifiers, predict for regressors."""
    if hasattr(est, "predict_proba"):
        return est.predict_proba(X)
    return est.predict(X)


def _fit_small(Estimator, X, y, **params):
    params = {"hidden_layer_sizes": (8,), "random_state": 0, **params}
    return Estimator(**params).fit(X, y)


# ----------------------------------------------------- a forward pass written by hand

HIDDEN = {
    "identity": lambda Z: Z,
    "logistic": expit,
    "tanh": np.tanh,
    "relu": lambda Z: np.maximum(Z, 0.0),
}
OUTPUT = {
    "identity": lambda Z: Z,
    "logistic": expit,
    "softmax": lambda Z: softmax(Z, axis=1),
    "exp": np.exp,
}


def _forward(X, coefs, intercepts, activation, out_activation):
    A = X
    for i, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        Z = A @ W + b
        last = i == len(coefs) - 1
        A = OUTPUT[out_activation](Z) if last else HIDDEN[activation](Z)
    return A


# ------------------------------------------------------------------------ ecosystem


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pipeline_fit_score(Estimator):
    X, y = _data_for(Estimator, n_samples=200)
    X = X * 100.0 + 50.0  # unscaled: the scaler earns its place in the pipeline
    pipe = make_pipeline(StandardScaler(), Estimator(max_iter=300, random_state=0))
    pipe.fit(X[:150], y[:150])
    assert pipe.score(X[150:], y[150:]) > 0.8
    assert pipe.predict(X[150:]).shape == y[150:].shape


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_grid_search(Estimator):
    X, y = _data_for(Estimator, n_samples=150)
    grid = {
        "hidden_layer_sizes": [(4,), (16,)],
        "alpha": [1e-4, 1e-1],
        "activation": ["relu", "tanh"],
    }
    est = Estimator(solver="lbfgs", max_iter=200, random_state=0)
    search = GridSearchCV(est, grid, cv=3, n_jobs=2).fit(X, y)
    assert isinstance(search.best_estimator_, Estimator)
    check_is_fitted(search.best_estimator_)
    assert set(search.best_params_) == set(grid)
    assert search.best_score_ > 0.8
    assert len(search.cv_results_["mean_test_score"]) == 8
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_cross_val_score(Estimator):
    X, y = _data_for(Estimator, n_samples=150)
    est = Estimator(solver="lbfgs", hidden_layer_sizes=(16,), random_state=0)
    scores = cross_val_score(est, X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.mean() > 0.8


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_clone_is_unfitted_with_equal_params(Estimator):
    X, y = _data_for(Estimator, n_samples=60)
    est = Estimator(hidden_layer_sizes=(5, 3), alpha=0.01, solver="sgd", max_iter=5)
    est.fit(X, y)
    twin = clone(est)
    assert twin is not est
    assert twin.get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(twin)
    with pytest.raises(NotFittedError):
        twin.predict(X)
    assert not hasattr(twin, "coefs_")


def test_pandas_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = _classification(n_samples=60)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = _fit_small(ScratchMLPClassifier, df, y, max_iter=20)
    assert_array_equal(est.feature_names_in_, df.columns)
    with pytest.warns(UserWarning, match="feature names"):
        assert_array_equal(est.predict(df), est.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        est.predict(df.rename(columns={"f0": "other"}))


# ------------------------------------------------------------------ persistence


def _fit_for_persistence(Estimator, solver="adam"):
    X, y = _data_for(Estimator, n_samples=80)
    est = _fit_small(Estimator, X, y, solver=solver, hidden_layer_sizes=(7, 5))
    return est, X, y


def _assert_views_of_params(est):
    for array in est.coefs_ + est.intercepts_:
        assert np.shares_memory(array, est._params)


def _pickle_round_trip(est, tmp_path):
    return pickle.loads(pickle.dumps(est))


def _joblib_round_trip(est, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    return joblib.load(path)


ROUND_TRIPS = [_pickle_round_trip, _joblib_round_trip]


@pytest.mark.parametrize("round_trip", ROUND_TRIPS, ids=["pickle", "joblib"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_round_trip_predictions_bit_identical(Estimator, round_trip, tmp_path):
    est, X, _ = _fit_for_persistence(Estimator)
    loaded = round_trip(est, tmp_path)
    assert type(loaded) is Estimator
    assert_array_equal(_output(loaded, X), _output(est, X))
    assert_array_equal(loaded.predict(X), est.predict(X))
    for a, b in zip(
        loaded.coefs_ + loaded.intercepts_, est.coefs_ + est.intercepts_, strict=True
    ):
        assert_array_equal(a, b)
        assert a.dtype == b.dtype


@pytest.mark.parametrize("round_trip", ROUND_TRIPS, ids=["pickle", "joblib"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_round_trip_keeps_views_of_flat_params(Estimator, round_trip, tmp_path):
    est, X, y = _fit_for_persistence(Estimator)
    _assert_views_of_params(est)
    loaded = round_trip(est, tmp_path)
    _assert_views_of_params(loaded)
    # The views are live: writing through coefs_ changes the flat vector.
    loaded.coefs_[0][0, 0] = 123.0
    assert 123.0 in loaded._params


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pickle_stores_each_array_once(Estimator):
    # coefs_/intercepts_ are views of _params: pickling them beside the flat vector
    # would store every weight twice. So they may add almost nothing to the pickle.
    X, y = _data_for(Estimator, n_samples=40, n_features=50)
    est = _fit_small(
        Estimator, X, y, solver="lbfgs", hidden_layer_sizes=(200,), max_iter=5
    )
    assert est._params.nbytes > 80_000
    without_views = {
        k: v for k, v in vars(est).items() if k not in ("coefs_", "intercepts_")
    }
    reference = len(pickle.dumps(without_views))
    n_bytes = len(pickle.dumps(est))
    assert n_bytes < reference + 0.1 * est._params.nbytes, (n_bytes, reference)


def test_pickling_does_not_modify_the_estimator():
    est, X, _ = _fit_for_persistence(ScratchMLPClassifier)
    keys = set(vars(est))
    proba = est.predict_proba(X)
    pickle.dumps(est)
    assert set(vars(est)) == keys
    _assert_views_of_params(est)
    assert_array_equal(est.predict_proba(X), proba)


PARTIAL_FIT_CONFIGS = {
    "adam": dict(solver="adam", learning_rate_init=0.01),
    "sgd-nesterov": dict(solver="sgd", learning_rate_init=0.05),
    "sgd-invscaling": dict(solver="sgd", learning_rate="invscaling", power_t=0.3),
}


@pytest.mark.parametrize(
    "config", PARTIAL_FIT_CONFIGS.values(), ids=PARTIAL_FIT_CONFIGS
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_resumes_after_joblib_round_trip(Estimator, config, tmp_path):
    X, y = _data_for(Estimator, n_samples=90)
    batches = [(X[i::3], y[i::3]) for i in range(3)] * 2
    extra = {"classes": np.unique(y)} if Estimator is ScratchMLPClassifier else {}

    def make():
        return Estimator(
            hidden_layer_sizes=(6,), batch_size=8, random_state=7, **config
        )

    uninterrupted = make()
    for Xb, yb in batches:
        uninterrupted.partial_fit(Xb, yb, **extra)

    resumed = make()
    for Xb, yb in batches[:3]:
        resumed.partial_fit(Xb, yb, **extra)
    joblib.dump(resumed, tmp_path / "half.joblib")
    resumed = joblib.load(tmp_path / "half.joblib")
    for Xb, yb in batches[3:]:
        resumed.partial_fit(Xb, yb, **extra)

    for a, b in zip(resumed.coefs_, uninterrupted.coefs_, strict=True):
        assert_array_equal(a, b)
    for a, b in zip(resumed.intercepts_, uninterrupted.intercepts_, strict=True):
        assert_array_equal(a, b)
    assert resumed.t_ == uninterrupted.t_
    assert_array_equal(resumed.loss_curve_, uninterrupted.loss_curve_)
    assert_array_equal(_output(resumed, X), _output(uninterrupted, X))


# ----------------------------------------------------- assigning fitted weights


def test_assigning_zero_coefs_changes_predictions():
    X, y = _classification(n_samples=90)
    est = _fit_small(ScratchMLPClassifier, X, y, hidden_layer_sizes=(7, 5))
    before = est.predict_proba(X)
    est.coefs_ = [c * 0 for c in est.coefs_]
    # With zero weights every row's output is softmax of the last intercept.
    expected = softmax(est.intercepts_[-1])
    proba = est.predict_proba(X)
    assert not np.allclose(proba, before)
    assert_allclose(proba, np.tile(expected, (len(X), 1)), rtol=1e-12)


@pytest.mark.parametrize("activation", list(HIDDEN))
def test_assigned_weights_drive_predictions(activation):
    X, y = _classification(n_samples=90)
    est = _fit_small(
        ScratchMLPClassifier, X, y, hidden_layer_sizes=(7, 5), activation=activation
    )
    ref = MLPClassifier(
        hidden_layer_sizes=(7, 5), activation=activation, max_iter=1, random_state=0
    )
    with pytest.warns(ConvergenceWarning):
        ref.fit(X, y)

    rng = np.random.RandomState(1)
    coefs = [rng.normal(size=c.shape) for c in est.coefs_]
    intercepts = [rng.normal(size=b.shape) for b in est.intercepts_]
    est.coefs_ = coefs
    est.intercepts_ = intercepts
    ref.coefs_ = [c.copy() for c in coefs]
    ref.intercepts_ = [b.copy() for b in intercepts]

    expected = _forward(X, coefs, intercepts, activation, "softmax")
    assert_allclose(est.predict_proba(X), expected, rtol=1e-10, atol=1e-12)
    assert_allclose(est.predict_proba(X), ref.predict_proba(X), rtol=1e-10, atol=1e-12)
    assert_array_equal(est.predict(X), ref.predict(X))


def test_in_place_weight_edits_drive_predictions():
    X, y = _regression(n_samples=90)
    est = _fit_small(ScratchMLPRegressor, X, y, hidden_layer_sizes=(7, 5))
    before = est.predict(X)
    est.coefs_[0][:] = 0.5 * est.coefs_[0]
    est.intercepts_[-1][:] = 3.0
    est.coefs_[-1][0, 0] += 1.0
    coefs = [c.copy() for c in est.coefs_]
    intercepts = [b.copy() for b in est.intercepts_]
    expected = _forward(X, coefs, intercepts, "relu", "identity").ravel()
    assert not np.allclose(est.predict(X), before)
    assert_allclose(est.predict(X), expected, rtol=1e-10, atol=1e-12)


def test_in_place_edit_after_assignment():
    X, y = _regression(n_samples=60)
    est = _fit_small(ScratchMLPRegressor, X, y, hidden_layer_sizes=(4,))
    est.coefs_ = [np.ones_like(c) for c in est.coefs_]
    est.intercepts_ = [np.zeros_like(b) for b in est.intercepts_]
    est.coefs_[1][:] = 2.0
    expected = 2.0 * np.maximum(X.sum(axis=1), 0.0) * 4
    assert_allclose(est.predict(X), expected, rtol=1e-12)


def test_training_continues_from_assigned_weights():
    # With momentum=0 and a constant rate, an SGD step depends on the weights only,
    # so sklearn given the same weights is an exact reference (single output).
    X, y = _regression(n_samples=60)
    params = dict(
        hidden_layer_sizes=(6,),
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.05,
        shuffle=False,
        random_state=0,
        max_iter=3,
    )
    est = ScratchMLPRegressor(**params).fit(X, y)
    ref = MLPRegressor(**params).fit(X, y)

    rng = np.random.RandomState(3)
    coefs = [0.1 * rng.normal(size=c.shape) for c in est.coefs_]
    intercepts = [0.1 * rng.normal(size=b.shape) for b in est.intercepts_]
    for model in (est, ref):
        model.coefs_ = [c.copy() for c in coefs]
        model.intercepts_ = [b.copy() for b in intercepts]
        model.partial_fit(X, y)

    for a, b in zip(
        est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_, strict=True
    ):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_float32_stays_float32(Estimator, solver, sparse):
    X, y = _data_for(Estimator, n_samples=60)
    X = X.astype(np.float32)
    if sparse:
        X = sp.csr_matrix(X)
    est = _fit_small(Estimator, X, y, solver=solver, max_iter=10)
    for array in est.coefs_ + est.intercepts_:
        assert array.dtype == np.float32
    assert _output(est, X).dtype == np.float32
    if Estimator is ScratchMLPClassifier:
        assert est.predict_log_proba(X).dtype == np.float32
    else:
        assert est.predict(X).dtype == np.float32


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sparse_matches_dense(Estimator, solver):
    X, y = _data_for(Estimator, n_samples=80, n_features=10)
    X[np.abs(X) < 0.8] = 0.0  # about half the entries are zero
    dense = _fit_small(Estimator, X, y, solver=solver, max_iter=30)
    for container in (sp.csr_matrix, sp.csc_matrix, sp.csr_array):
        model = _fit_small(Estimator, container(X), y, solver=solver, max_iter=30)
        for a, b in zip(
            model.coefs_ + model.intercepts_,
            dense.coefs_ + dense.intercepts_,
            strict=True,
        ):
            assert_allclose(a, b, rtol=1e-7, atol=1e-9)
        assert_allclose(_output(model, container(X)), _output(dense, X), rtol=1e-7)


# ------------------------------------------------------------- targets and shapes


def test_binary_classification_shapes():
    X, y = _classification(n_classes=2)
    labels = np.array(["no", "yes"])[y]
    est = _fit_small(ScratchMLPClassifier, X, labels, learning_rate_init=0.01)
    assert_array_equal(est.classes_, ["no", "yes"])
    assert est.n_outputs_ == 1
    assert est.coefs_[-1].shape == (8, 1)
    assert est.out_activation_ == "logistic"
    assert est.predict(X).shape == (len(X),)
    assert set(est.predict(X)) <= {"no", "yes"}
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert est.score(X, labels) > 0.8


def test_multiclass_classification_shapes():
    X, y = _classification(n_classes=3)
    labels = np.array([10, 20, 30])[y]
    est = _fit_small(ScratchMLPClassifier, X, labels, learning_rate_init=0.01)
    assert_array_equal(est.classes_, [10, 20, 30])
    assert est.out_activation_ == "softmax"
    assert est.coefs_[-1].shape == (8, 3)
    assert est.predict(X).shape == (len(X),)
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), 3)
    assert np.all(proba >= 0)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert_allclose(est.predict_log_proba(X), np.log(proba), rtol=1e-10, atol=1e-12)
    assert_array_equal(est.predict(X), est.classes_[proba.argmax(axis=1)])


def test_multilabel_classification_shapes():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 5))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 2] > 0]).astype(int)
    est = _fit_small(ScratchMLPClassifier, X, Y, learning_rate_init=0.01)
    assert est.out_activation_ == "logistic"
    assert est.n_outputs_ == 3
    assert est.predict(X).shape == (100, 3)
    proba = est.predict_proba(X)
    assert proba.shape == (100, 3)
    assert np.all((proba >= 0) & (proba <= 1))
    assert_array_equal(est.predict(X), (proba > 0.5).astype(int))
    assert est.score(X, Y) > 0.5  # subset accuracy


@pytest.mark.parametrize("solver", SOLVERS)
def test_multi_output_regression_shapes(solver):
    X, Y = _regression(n_targets=3)
    est = _fit_small(ScratchMLPRegressor, X, Y, solver=solver, max_iter=100)
    assert est.n_outputs_ == 3
    assert est.out_activation_ == "identity"
    assert est.predict(X).shape == (len(X), 3)
    X1, y1 = _regression()
    single = _fit_small(ScratchMLPRegressor, X1, y1, solver=solver, max_iter=10)
    assert single.predict(X1).shape == (len(X1),)
    Y2 = y1.reshape(-1, 1)
    with pytest.warns(DataConversionWarning):  # as sklearn
        column = _fit_small(ScratchMLPRegressor, X1, Y2, solver=solver, max_iter=10)
    assert column.predict(X1).shape == (len(X1),)


# ------------------------------------------------------------------ sample_weight


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf], ids=["negative", "nan", "inf"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_invalid_sample_weight_raises(Estimator, bad):
    X, y = _data_for(Estimator, n_samples=40)
    sample_weight = np.ones(len(y))
    sample_weight[3] = bad
    with pytest.raises(ValueError, match="sample_weight"):
        Estimator(max_iter=5).fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_all_zero_sample_weight_raises(Estimator, solver):
    X, y = _data_for(Estimator, n_samples=40)
    with pytest.raises(ValueError):
        Estimator(solver=solver, max_iter=5).fit(X, y, sample_weight=np.zeros(len(y)))


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_zero_weight_minibatch_is_harmless(Estimator, solver):
    X, y = _data_for(Estimator, n_samples=50)
    sample_weight = np.ones(len(y))
    sample_weight[:10] = 0.0
    est = Estimator(
        solver=solver, batch_size=10, shuffle=False, max_iter=5, random_state=0
    )
    est.fit(X, y, sample_weight=sample_weight)
    for array in est.coefs_ + est.intercepts_:
        assert np.all(np.isfinite(array))
    assert np.all(np.isfinite(est.loss_curve_))
    assert np.all(np.isfinite(_output(est, X)))


def test_poisson_negative_target_raises():
    X, y = _regression(n_samples=40)
    y = np.abs(y)
    y[5] = -1.0
    with pytest.raises(ValueError, match=re.compile("negative|poisson", re.I)):
        ScratchMLPRegressor(loss="poisson", max_iter=5).fit(X, y)


# ------------------------------------------------------------------ early stopping


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_allows_partial_fit(Estimator):
    X, y = _data_for(Estimator, n_samples=60)
    extra = {"classes": np.unique(y)} if Estimator is ScratchMLPClassifier else {}
    est = Estimator(early_stopping=True, hidden_layer_sizes=(5,), random_state=0)
    assert est.partial_fit(X, y, **extra) is est
    first = [c.copy() for c in est.coefs_]
    est.partial_fit(X, y)
    assert not np.array_equal(est.coefs_[0], first[0])
    assert np.all(np.isfinite(_output(est, X)))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_on_tiny_data_warns_and_fits(Estimator):
    X, y = _data_for(Estimator, n_samples=12)
    est = Estimator(early_stopping=True, max_iter=20, random_state=0)
    with pytest.warns(UserWarning, match="validation"):
        est.fit(X, y)
    check_is_fitted(est)
    assert est.predict(X).shape == y.shape
    assert np.all(np.isfinite(_output(est, X)))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_restores_best_weights(Estimator):
    X, y = _data_for(Estimator, n_samples=200, seed=1)
    if Estimator is ScratchMLPRegressor:
        y = y + 0.5 * np.random.RandomState(0).normal(size=y.shape)  # overfit
    params = dict(
        hidden_layer_sizes=(32,),
        early_stopping=True,
        n_iter_no_change=5,
        learning_rate_init=0.05,
        max_iter=300,
        random_state=0,
    )
    est = Estimator(**params).fit(X, y)
    scores = est.validation_scores_
    assert len(scores) == est.n_iter_ == len(est.loss_curve_)
    assert est.n_iter_ < params["max_iter"]
    assert est.best_validation_score_ == max(scores)
    best_epoch = int(np.argmax(scores)) + 1
    assert best_epoch < est.n_iter_

    # Training stops at the same epochs, so a run cut at the best epoch ends on the
    # best weights: the early-stopped model must hold exactly those.
    cut = Estimator(**{**params, "max_iter": best_epoch}).fit(X, y)
    assert_array_equal(cut.validation_scores_, scores[:best_epoch])
    for a, b in zip(
        est.coefs_ + est.intercepts_, cut.coefs_ + cut.intercepts_, strict=True
    ):
        assert_array_equal(a, b)


# ---------------------------------------------------------------------- divergence

DIVERGING = dict(learning_rate_init=1e3, momentum=0.9)


def _scaled_regression():
    X, y = _regression(n_samples=100, n_features=5)
    return X, y, X * 1e3


def _snapshot(est, X):
    return {
        "coefs_": [c.copy() for c in est.coefs_],
        "intercepts_": [b.copy() for b in est.intercepts_],
        "n_iter_": est.n_iter_,
        "t_": est.t_,
        "loss_": est.loss_,
        "loss_curve_": list(est.loss_curve_),
        "predict": est.predict(X),
    }


def _assert_same_snapshot(before, after):
    for key in ("coefs_", "intercepts_"):
        for a, b in zip(after[key], before[key], strict=True):
            assert_array_equal(a, b)
    for key in ("n_iter_", "t_", "loss_", "loss_curve_"):
        assert after[key] == before[key], key
    assert_array_equal(after["predict"], before["predict"])


def _assert_divergence_message(excinfo):
    message = str(excinfo.value)
    assert "learning_rate_init" in message
    assert "scal" in message.lower()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_raises_with_advice():
    _, y, X_big = _scaled_regression()
    est = ScratchMLPRegressor(solver="sgd", random_state=0, max_iter=50, **DIVERGING)
    with pytest.raises(ValueError, match="learning_rate_init") as excinfo:
        est.fit(X_big, y)
    _assert_divergence_message(excinfo)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_leaves_warm_started_model_untouched():
    X, y, X_big = _scaled_regression()
    est = ScratchMLPRegressor(
        solver="sgd", warm_start=True, random_state=0, max_iter=20
    ).fit(X, y)
    before = _snapshot(est, X)
    est.set_params(**DIVERGING)
    with pytest.raises(ValueError, match="learning_rate_init") as excinfo:
        est.fit(X_big, y)
    _assert_divergence_message(excinfo)
    _assert_same_snapshot(before, _snapshot(est, X))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_leaves_partially_fitted_model_untouched():
    X, y, X_big = _scaled_regression()
    est = ScratchMLPRegressor(solver="sgd", batch_size=10, random_state=0)
    for _ in range(3):
        est.partial_fit(X, y)
    before = _snapshot(est, X)
    # Bigger inputs diverge whether or not partial_fit picks up the new rate.
    est.set_params(**DIVERGING)
    with pytest.raises(ValueError, match="learning_rate_init") as excinfo:
        est.partial_fit(X_big, y * 1e3)
    _assert_divergence_message(excinfo)
    _assert_same_snapshot(before, _snapshot(est, X))


# ------------------------------------------------------------------ thread safety


def test_concurrent_predict_proba_matches_serial():
    X, y = _classification(n_samples=200, n_features=20)
    est = ScratchMLPClassifier(hidden_layer_sizes=(64, 64), max_iter=5, random_state=0)
    est.fit(X, y)
    rng = np.random.RandomState(0)
    sizes = (1, 7, 33, 64, 100, 257, 500, 1000)
    inputs = [rng.normal(size=(n, 20)) for n in sizes]
    expected = [est.predict_proba(Xi).copy() for Xi in inputs]

    def work(seed):
        # Each thread walks all inputs in its own order, so threads collide on
        # both equal and different batch sizes. Copy at once: a result that is a
        # shared buffer would be overwritten by the next call.
        order = np.random.RandomState(seed).permutation(
            np.tile(np.arange(len(inputs)), 10)
        )
        return [(i, est.predict_proba(inputs[i]).copy()) for i in order]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(8)))
    for per_thread in results:
        for i, proba in per_thread:
            assert_array_equal(proba, expected[i])


# ---------------------------------------------------------------- stopping rules


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_large_tol_stops_early(Estimator, solver):
    X, y = _data_for(Estimator, n_samples=60)
    est = Estimator(
        solver=solver, tol=1e2, n_iter_no_change=3, max_iter=100, random_state=0
    ).fit(X, y)
    # sklearn's counter: the first epoch improves on inf, then n_iter_no_change + 1
    # epochs that do not improve by tol.
    assert est.n_iter_ == 3 + 2
    assert len(est.loss_curve_) == est.n_iter_
    assert est.best_loss_ == min(est.loss_curve_)


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start_continues_loss_curve(Estimator, solver):
    X, y = _data_for(Estimator, n_samples=80)
    est = Estimator(
        solver=solver,
        warm_start=True,
        max_iter=5,
        learning_rate_init=0.01,
        tol=0.0,
        random_state=0,
    ).fit(X, y)
    first = list(est.loss_curve_)
    coefs_after_first = [c.copy() for c in est.coefs_]
    est.fit(X, y)
    assert len(est.loss_curve_) == 10
    assert est.loss_curve_[:5] == first
    # The second fit starts from the first fit's weights, not from a new init.
    assert est.loss_curve_[5] < first[0]
    assert abs(est.loss_curve_[5] - first[-1]) < abs(first[0] - first[-1])
    assert not np.array_equal(est.coefs_[0], coefs_after_first[0])

    cold = clone(est).set_params(warm_start=False).fit(X, y)
    cold.fit(X, y)
    assert cold.loss_curve_ == first


@pytest.mark.parametrize("solver", SOLVERS)
def test_alpha_shrinks_weights(solver):
    X, y = _regression(n_samples=100)
    norms = []
    for alpha in (1e-4, 1e-1, 1.0, 10.0):
        est = _fit_small(
            ScratchMLPRegressor,
            X,
            y,
            solver=solver,
            alpha=alpha,
            hidden_layer_sizes=(16,),
            max_iter=200,
            learning_rate_init=0.01,
        )
        norms.append(sum(np.sum(c**2) for c in est.coefs_))
    assert all(a > b for a, b in zip(norms[:-1], norms[1:], strict=True)), norms


@pytest.mark.parametrize(
    "y",
    [
        np.array([3, 1, 2, 3, 1, 7]),
        np.array(["b", "a", "b", "a", "a", "b"]),
        np.array(["x", "y", "z", "x", "y", "z"], dtype=object),
        np.array([1.0, -1.0, 1.0, 2.0, 2.0, -1.0]),
        np.array([True, False, False, True, True, False]),
        np.array([[1, 0, 1], [0, 1, 1], [0, 0, 1], [1, 1, 0], [1, 0, 0], [0, 1, 0]]),
    ],
)
def test_indicators_match_label_binarizer(y):
    """The direct bool indicators equal LabelBinarizer's, for every target type."""
    from sklearn.preprocessing import LabelBinarizer

    clf = ScratchMLPClassifier(hidden_layer_sizes=(3,), max_iter=2)
    clf._label_binarizer = LabelBinarizer().fit(y)
    Y = clf._indicators(y)
    assert Y.dtype == bool
    assert_array_equal(Y, clf._label_binarizer.transform(y).astype(bool))
