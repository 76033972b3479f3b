"""The estimators with the rest of the PyData ecosystem.

DataFrames (pandas, polars) and sklearn's feature-name checks, metadata routing
of ``sample_weight`` through Pipeline, GridSearchCV and cross_validate, and
persistence with skops. Optional libraries are skipped when missing; the test
extra installs them.
"""

import re
import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = {"hidden_layer_sizes": (5,), "max_iter": 20, "random_state": 0}


def _classification(n_samples=90, n_features=4, seed=0):
    X, y = make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=3,
        n_redundant=0, n_classes=3, random_state=seed,
    )  # fmt: skip
    return X, y


# ------------------------------------------------------------------ DataFrames


def _outcome(call):
    """What ``call()`` does about feature names: its error or its warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
        except ValueError as error:
            return ("raises", str(error))
    messages = [str(w.message) for w in caught if "feature names" in str(w.message)]
    return ("warns", messages)


def _same_outcome(ours, sklearns):
    """Compare outcomes with the estimators' class names blanked out."""

    def blank(outcome):
        return re.sub(r"\b(Scratch)?MLP(Classifier|Regressor)\b", "EST", str(outcome))

    assert blank(ours) == blank(sklearns)


def _check_feature_names(ours, theirs, df, X, y, reorder, rename):
    """Fit both models on ``df`` and compare their feature-name checks."""
    columns = list(df.columns)
    ours.fit(df, y)
    theirs.fit(df, y)
    assert_array_equal(ours.feature_names_in_, columns)
    assert ours.feature_names_in_.dtype == object and ours.n_features_in_ == 4

    for bad in (reorder(df, columns[::-1]), rename(df, {columns[0]: "renamed"})):
        outcome = _outcome(lambda bad=bad: ours.predict(bad))
        assert outcome[0] == "raises"
        _same_outcome(outcome, _outcome(lambda bad=bad: theirs.predict(bad)))

    # fitted on a DataFrame, given an array: one warning, as sklearn gives
    outcome = _outcome(lambda: ours.predict(X))
    assert outcome[0] == "warns" and len(outcome[1]) == 1
    assert "does not have valid feature names" in outcome[1][0]
    _same_outcome(outcome, _outcome(lambda: theirs.predict(X)))

    # fitted on an array, given a DataFrame: one warning too
    ours_on_array, theirs_on_array = clone(ours).fit(X, y), clone(theirs).fit(X, y)
    assert not hasattr(ours_on_array, "feature_names_in_")
    assert_array_equal(ours.predict(df), ours_on_array.predict(X))
    outcome = _outcome(lambda: ours_on_array.predict(df))
    assert outcome[0] == "warns" and len(outcome[1]) == 1
    assert "has feature names" in outcome[1][0]
    _same_outcome(outcome, _outcome(lambda: theirs_on_array.predict(df)))


def _check_dataframe_support(frame, reorder, rename):
    """Feature names from DataFrame columns, checked as sklearn's MLP does.

    ``frame(X, columns)`` builds a DataFrame; ``reorder(df, columns)`` selects
    columns; ``rename(df, mapping)`` renames them.
    """
    X, y = _classification()
    columns = ["alpha", "beta", "gamma", "delta"]
    df = frame(X, columns)
    _check_feature_names(
        ScratchMLPClassifier(**SMALL), MLPClassifier(**SMALL), df, X, y, reorder, rename
    )
    _check_feature_names(
        ScratchMLPRegressor(**SMALL), MLPRegressor(**SMALL), df, X, X[:, 0], reorder,
        rename,
    )  # fmt: skip

    # partial_fit sets the names on the first call and checks them afterwards
    clf = ScratchMLPClassifier(**SMALL).partial_fit(df, y, classes=np.unique(y))
    assert_array_equal(clf.feature_names_in_, columns)
    with pytest.raises(ValueError, match="feature names should match"):
        clf.partial_fit(reorder(df, columns[::-1]), y)


def test_pandas_dataframes():
    pd = pytest.importorskip("pandas")
    _check_dataframe_support(
        frame=lambda X, columns: pd.DataFrame(X, columns=columns),
        reorder=lambda df, columns: df[columns],
        rename=lambda df, mapping: df.rename(columns=mapping),
    )


def test_polars_dataframes():
    pl = pytest.importorskip("polars")
    _check_dataframe_support(
        frame=lambda X, columns: pl.DataFrame(X, schema=columns),
        reorder=lambda df, columns: df.select(columns),
        rename=lambda df, mapping: df.rename(mapping),
    )


# ------------------------------------------------------------ metadata routing


def _weights(n_samples, seed=0):
    """Zero weight on every other sample, 1 or 2 on the rest."""
    weights = np.random.default_rng(seed).integers(1, 3, size=n_samples)
    weights[::2] = 0
    return weights.astype(float)


@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_estimators_accept_fit_and_score_requests(Estimator):
    with sklearn.config_context(enable_metadata_routing=True):
        est = Estimator().set_fit_request(sample_weight=True)
        est = est.set_score_request(sample_weight=True)
        routing = est.get_metadata_routing()
    assert routing.fit.requests == {"sample_weight": True}
    assert routing.score.requests == {"sample_weight": True}


def test_routing_through_pipeline():
    X, y = _classification()
    weights = _weights(len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        scaler = StandardScaler().set_fit_request(sample_weight=True)
        mlp = ScratchMLPClassifier(solver="lbfgs", **SMALL)
        mlp = mlp.set_fit_request(sample_weight=True)
        mlp = mlp.set_score_request(sample_weight=True)
        pipe = make_pipeline(scaler, mlp).fit(X, y, sample_weight=weights)
        score = pipe.score(X, y, sample_weight=weights)
        unweighted = clone(pipe).fit(X, y)

        # without a request, passing sample_weight is an error, not a no-op
        with pytest.raises(UnsetMetadataPassedError):
            make_pipeline(StandardScaler(), ScratchMLPClassifier(**SMALL)).fit(
                X, y, sample_weight=weights
            )

    manual_scaler = StandardScaler().fit(X, sample_weight=weights)
    Xt = manual_scaler.transform(X)
    manual = ScratchMLPClassifier(solver="lbfgs", **SMALL)
    manual.fit(Xt, y, sample_weight=weights)
    for got, expected in zip(pipe[-1].coefs_, manual.coefs_, strict=True):
        assert_array_equal(got, expected)
    assert score == manual.score(Xt, y, sample_weight=weights)
    assert not np.array_equal(unweighted[-1].coefs_[0], manual.coefs_[0])


def _manual_cv_scores(estimator, X, y, weights, cv):
    """Fit and score each split by hand, weights sliced as routing would."""
    scores = []
    for train, test in cv.split(X, y):
        model = clone(estimator).fit(X[train], y[train], sample_weight=weights[train])
        scores.append(model.score(X[test], y[test], sample_weight=weights[test]))
    return np.array(scores)


def test_routing_through_grid_search():
    X, y = _classification()
    weights = _weights(len(y))
    cv = KFold(3)
    grid = {"alpha": [1e-4, 1.0]}
    with sklearn.config_context(enable_metadata_routing=True):
        mlp = ScratchMLPClassifier(solver="lbfgs", **SMALL)
        mlp = mlp.set_fit_request(sample_weight=True)
        mlp = mlp.set_score_request(sample_weight=True)
        search = GridSearchCV(mlp, grid, cv=cv).fit(X, y, sample_weight=weights)
        plain = GridSearchCV(
            ScratchMLPClassifier(solver="lbfgs", **SMALL), grid, cv=cv
        ).fit(X, y)
    for i, alpha in enumerate(grid["alpha"]):
        expected = _manual_cv_scores(
            ScratchMLPClassifier(solver="lbfgs", alpha=alpha, **SMALL),
            X,
            y,
            weights,
            cv,
        )
        got = [search.cv_results_[f"split{k}_test_score"][i] for k in range(3)]
        assert_allclose(got, expected, rtol=1e-12)
    assert not np.allclose(
        search.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    # the refit model saw the weights too
    refit = ScratchMLPClassifier(solver="lbfgs", **SMALL)
    refit.set_params(**search.best_params_).fit(X, y, sample_weight=weights)
    assert_array_equal(search.best_estimator_.coefs_[0], refit.coefs_[0])


def test_routing_through_cross_validate():
    X, y = _classification()
    target = X @ np.arange(1.0, 5.0)
    weights = _weights(len(y))
    cv = KFold(3)
    with sklearn.config_context(enable_metadata_routing=True):
        mlp = ScratchMLPRegressor(solver="lbfgs", **SMALL)
        mlp = mlp.set_fit_request(sample_weight=True)
        mlp = mlp.set_score_request(sample_weight=True)
        result = cross_validate(
            mlp, X, target, cv=cv, params={"sample_weight": weights}
        )
        # params={}, not None: scikit-learn 1.6.0 fails on None under routing
        unweighted = cross_validate(mlp, X, target, cv=cv, params={})
    expected = _manual_cv_scores(
        ScratchMLPRegressor(solver="lbfgs", **SMALL), X, target, weights, cv
    )
    assert_allclose(result["test_score"], expected, rtol=1e-12)
    assert not np.allclose(result["test_score"], unweighted["test_score"])


# ----------------------------------------------------------------------- skops


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "adam"},
        {"solver": "sgd", "momentum": 0.9, "learning_rate": "invscaling"},
        {"solver": "lbfgs"},
        {"solver": "adam", "batch_norm": True},
    ],
    ids=["adam", "sgd", "lbfgs", "batch_norm"],
)
@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_skops_round_trip(Estimator, params, tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = _classification()
    if Estimator is ScratchMLPRegressor:
        y = X @ np.arange(1.0, 5.0)
    model = Estimator(**{**SMALL, **params}).fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(model, path)

    untrusted = sio.get_untrusted_types(file=path)
    assert f"sknn_scratch._estimators.{Estimator.__name__}" in untrusted
    assert all(name.startswith("sknn_scratch.") for name in untrusted), untrusted
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no InconsistentVersionWarning either
        loaded = sio.load(path, trusted=untrusted)

    assert type(loaded) is Estimator
    assert_array_equal(loaded.predict(X), model.predict(X))
    if Estimator is ScratchMLPClassifier:
        assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    for attribute in ("coefs_", "intercepts_", "gammas_", "running_vars_"):
        for got, expected in zip(
            getattr(loaded, attribute), getattr(model, attribute), strict=True
        ):
            assert_array_equal(got, expected)
    # the weights are views into one flat vector again, as after pickling
    assert np.shares_memory(loaded.coefs_[0], loaded._params)
    if params["solver"] != "lbfgs":
        # the optimizer state survives: training goes on exactly as it would have
        kwargs = {"classes": model.classes_} if hasattr(model, "classes_") else {}
        model.partial_fit(X, y, **kwargs)
        loaded.partial_fit(X, y, **kwargs)
        assert_array_equal(loaded.coefs_[0], model.coefs_[0])


def test_skops_pipeline_needs_only_our_types(tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = _classification()
    pipe = make_pipeline(StandardScaler(), ScratchMLPClassifier(**SMALL)).fit(X, y)
    path = tmp_path / "pipe.skops"
    sio.dump(pipe, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted and all(name.startswith("sknn_scratch.") for name in untrusted)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(path)
    assert_array_equal(sio.load(path, trusted=untrusted).predict(X), pipe.predict(X))


def test_skops_load_warns_across_versions(tmp_path, monkeypatch):
    sio = pytest.importorskip("skops.io")
    from sknn_scratch import InconsistentVersionWarning, _estimators

    X, y = _classification()
    path = tmp_path / "model.skops"
    sio.dump(ScratchMLPClassifier(**SMALL).fit(X, y), path)
    monkeypatch.setattr(_estimators, "__version__", "99.0")
    with pytest.warns(InconsistentVersionWarning, match="99.0"):
        sio.load(path, trusted=sio.get_untrusted_types(file=path))
