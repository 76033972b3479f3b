"""TabularMLPClassifier and TabularMLPRegressor: behaviour on raw tables.

Every test uses a small, fast configuration (``FAST``); the encoder has its own
tests in tests/tabular/test_encoder.py.
"""

import io
import pickle

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn_scratch import TabularMLPClassifier, TabularMLPRegressor
from sknn_scratch.tabular._split import content_split

pd = pytest.importorskip("pandas")

FAST = dict(hidden_layer_sizes=(32,), max_epochs=20, n_ensemble=2)
PLAIN = dict(FAST, n_ensemble=1, validation_fraction=None, dropout=0.0)

CONFIGS = [
    TabularMLPClassifier(),
    TabularMLPRegressor(),
    TabularMLPClassifier(**FAST),
    TabularMLPRegressor(**FAST),
    TabularMLPClassifier(**PLAIN, activation="mish"),
    TabularMLPRegressor(**PLAIN),
    TabularMLPClassifier(**FAST, class_weight="balanced"),
]


@parametrize_with_checks(CONFIGS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# Data ------------------------------------------------------------------------


def _frame(n=120, seed=0):
    """Numeric with NaN, category, object strings with NaN, bool; string labels."""
    rng = np.random.RandomState(seed)
    num = rng.normal(size=n)
    cat = rng.choice(["red", "green", "blue"], size=n)
    text = rng.choice(["a", "b", "c", "d"], size=n).astype(object)
    flag = rng.rand(n) < 0.5
    score = num + (cat == "red") - 0.8 * (text == "a") + 0.5 * flag
    num[rng.rand(n) < 0.1] = np.nan
    text[rng.rand(n) < 0.1] = np.nan
    X = pd.DataFrame(
        {"num": num, "cat": pd.Categorical(cat), "text": text, "flag": flag}
    )
    y = np.where(score > 0.3, "yes", "no").astype(object)
    return X, y


def _reg_frame(n=120, seed=0):
    X, _ = _frame(n, seed)
    rng = np.random.RandomState(seed + 1)
    y = (
        np.nan_to_num(X["num"].to_numpy())
        + (X["cat"] == "red")
        + rng.normal(scale=0.1, size=n)
    )
    return X, np.asarray(y, dtype=float)


def _clf(**params):
    return TabularMLPClassifier(**{**FAST, "random_state": 0, **params})


def _reg(**params):
    return TabularMLPRegressor(**{**FAST, "random_state": 0, **params})


def _output(est, X):
    if isinstance(est, TabularMLPClassifier):
        return est.predict_proba(X)
    return est.predict(X)


def _fitted_attributes(est):
    return {k: v for k, v in vars(est).items() if k.endswith("_") or k == "_params"}


# Raw tables ------------------------------------------------------------------


def test_dataframe_with_missing_values_and_string_labels():
    X, y = _frame()
    clf = _clf().fit(X, y)
    assert_array_equal(clf.classes_, ["no", "yes"])
    assert set(clf.predict(X)) <= set(clf.classes_)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert accuracy_score(y, clf.predict(X)) > 0.8


def test_unseen_categories_at_predict():
    X, y = _frame()
    clf = _clf().fit(X, y)
    new = X.head(4).copy()
    new["cat"] = pd.Categorical(["purple", "red", "purple", "green"])
    new["text"] = ["zzz", "a", None, "yyy"]
    proba = clf.predict_proba(new)
    assert np.isfinite(proba).all()
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


def test_polars_gives_the_same_model_as_pandas():
    pl = pytest.importorskip("polars")
    X, y = _frame()
    X_pl = pl.DataFrame(
        {
            "num": X["num"].to_numpy(),
            "cat": pl.Series(X["cat"].astype(str).to_list(), dtype=pl.Categorical),
            "text": [None if v != v else v for v in X["text"]],
            "flag": X["flag"].to_numpy(),
        }
    )
    from_pandas = _clf().fit(X, y)
    from_polars = _clf().fit(X_pl, y)
    assert_allclose(
        from_polars.predict_proba(X_pl), from_pandas.predict_proba(X), atol=1e-12
    )


def test_categorical_features_by_name():
    X, y = _frame()
    X = X.assign(code=np.random.RandomState(1).randint(0, 4, len(X)))
    as_category = _clf(categorical_features=["cat", "text", "flag", "code"])
    as_category.fit(X, y)
    as_numeric = _clf().fit(X, y)
    assert_array_equal(as_category.encoder_.categorical_columns_, [1, 2, 3, 4])
    assert_array_equal(as_numeric.encoder_.categorical_columns_, [1, 2, 3])
    assert not np.allclose(as_category.predict_proba(X), as_numeric.predict_proba(X))


# Determinism -----------------------------------------------------------------


@pytest.mark.parametrize("make", [_clf, _reg], ids=["clf", "reg"])
def test_random_state_determinism(make):
    X, y = _frame() if make is _clf else _reg_frame()
    first, second = make().fit(X, y), make().fit(X, y)
    assert_array_equal(first._params, second._params)
    assert_array_equal(_output(first, X), _output(second, X))
    cloned = clone(first).fit(X, y)
    assert_array_equal(_output(cloned, X), _output(first, X))
    other = make(random_state=1).fit(X, y)
    assert not np.allclose(_output(other, X), _output(first, X))


# sklearn tools ---------------------------------------------------------------


def test_pipeline_gives_the_same_model():
    X, y = _frame()
    pipe = make_pipeline(FunctionTransformer(), _clf()).fit(X, y)
    assert_array_equal(pipe.predict_proba(X), _clf().fit(X, y).predict_proba(X))


def test_grid_search_over_dropout():
    X, y = _frame()
    search = GridSearchCV(_clf(max_epochs=10), {"dropout": [0.0, 0.3]}, cv=2)
    search.fit(X, y)
    assert search.best_params_["dropout"] in (0.0, 0.3)
    refit = _clf(max_epochs=10, **search.best_params_).fit(X, y)
    assert_array_equal(search.predict_proba(X), refit.predict_proba(X))


def test_cross_val_score_on_a_table():
    X, y = _frame(150)
    scores = cross_val_score(_clf(), X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.min() > 0.7


# Persistence -----------------------------------------------------------------


def _pickle(est):
    return pickle.loads(pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL))


def _joblib(est):
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


@pytest.mark.parametrize("round_trip", [_pickle, _joblib])
@pytest.mark.parametrize("make", [_clf, _reg], ids=["clf", "reg"])
def test_persistence_round_trip(round_trip, make):
    X, y = _frame() if make is _clf else _reg_frame()
    est = make().fit(X, y)
    loaded = round_trip(est)
    assert_array_equal(_output(loaded, X), _output(est, X))
    assert_array_equal(loaded.predict(X), est.predict(X))


def test_skops_round_trip(tmp_path):
    sio = pytest.importorskip("skops.io")  # imports all of sklearn: one test
    for make, data in [(_clf, _frame), (_reg, _reg_frame)]:
        X, y = data()
        est = make().fit(X, y)
        path = tmp_path / "model.skops"
        sio.dump(est, path)
        loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
        assert_array_equal(_output(loaded, X), _output(est, X))


# Sample and class weights ----------------------------------------------------


def _weighted_and_repeated(make, X, y, weights):
    weighted = make().fit(X, y, sample_weight=weights)
    repeated = make().fit(X.iloc[np.repeat(np.arange(len(X)), weights)],
                          np.repeat(y, weights, axis=0))  # fmt: skip
    return _output(weighted, X), _output(repeated, X)


# Dropout (0.15), a validation split and the temperature are on.
WEIGHTED = [
    pytest.param(lambda: _clf(max_epochs=30), _frame, id="clf"),
    pytest.param(
        lambda: _clf(max_epochs=30, class_weight="balanced"), _frame, id="clf-balanced"
    ),  # fmt: skip
    pytest.param(lambda: _reg(max_epochs=30), _reg_frame, id="reg"),
]


@pytest.mark.parametrize(("make", "data"), WEIGHTED)
def test_integer_weights_equal_repeated_rows(make, data):
    X, y = data(60)
    weights = np.random.RandomState(3).randint(1, 4, len(X))
    assert_allclose(*_weighted_and_repeated(make, X, y, weights), rtol=1e-7)


@pytest.mark.parametrize(("make", "data"), WEIGHTED)
def test_zero_weight_equals_removing_the_row(make, data):
    X, y = data(60)
    weights = np.ones(len(X), dtype=int)
    weights[[3, 17, 40]] = 0
    assert_allclose(*_weighted_and_repeated(make, X, y, weights), rtol=1e-7)


@pytest.mark.parametrize("labels", [["no", "yes"], [2, 7]], ids=["str", "int"])
def test_a_class_weight_dict_multiplies_the_sample_weights(labels):
    # by label, whatever the labels are: the encoder and split see them too
    X, y = _frame(80)
    y = np.where(y == "yes", labels[1], labels[0])
    weights = np.where(y == labels[0], 3.0, 1.0)
    by_dict = _clf(class_weight={labels[0]: 3.0}).fit(X, y)
    by_weights = _clf().fit(X, y, sample_weight=weights)
    assert_allclose(by_dict.predict_proba(X), by_weights.predict_proba(X), rtol=1e-12)
    assert_allclose(by_dict.encoder_.medians_, by_weights.encoder_.medians_)


def test_class_weight_values_are_checked():
    X, y = _frame(40)
    with pytest.raises(ValueError, match="class_weight values must be finite"):
        _clf(class_weight={"yes": -1.0}).fit(X, y)


def test_balanced_class_weight_raises_the_minority_class():
    # about 15 % "rare", noisy: the plain model predicts it for almost no row
    X, _ = _frame(200)
    noise = np.random.RandomState(0).rand(len(X))
    y = np.where(noise < 0.1 + 0.3 * (X["num"].fillna(0) > 1), "rare", "common")
    plain = _clf().fit(X, y).predict_proba(X)[:, 1]
    balanced = _clf(class_weight="balanced").fit(X, y).predict_proba(X)[:, 1]
    assert plain.mean() < 0.25 and balanced.mean() > 0.35


# Curves and the best epoch ---------------------------------------------------


@pytest.mark.parametrize("make", [_clf, _reg], ids=["clf", "reg"])
def test_curves_and_best_epoch(make):
    X, y = _frame() if make is _clf else _reg_frame()
    est = make().fit(X, y)
    assert est.n_epochs_ == len(est.loss_curve_) == 20
    assert len(est.validation_loss_curve_) == est.n_epochs_
    assert est.best_epoch_ == np.argmin(est.validation_loss_curve_)
    last = make(validation_fraction=None).fit(X, y)
    assert last.validation_loss_curve_ is None
    assert last.best_epoch_ == last.n_epochs_ - 1


def _validation_mask(est, X, y):
    """The rows the fitted estimator held out, found as ``fit`` finds them."""
    data = est._prepare(X, y, None)
    return content_split(data.keys, data.weights, est.validation_fraction,
                         data.targets.strata)  # fmt: skip


def test_the_kept_model_is_the_best_epochs():
    # noisy labels and a high learning rate: the validation loss turns up early
    X, y = _frame(150)
    y = np.where(np.random.RandomState(5).rand(len(y)) < 0.25, "no", y)
    clf = _clf(n_ensemble=1, learning_rate=0.1, max_epochs=30).fit(X, y)
    assert clf.best_epoch_ < clf.n_epochs_ - 1
    held_out = _validation_mask(clf, X, y)
    Z = clf._network_for_prediction().members(clf._params, clf._inputs(X[held_out]))
    P = np.exp(Z[0] - Z[0].max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    loss = log_loss(y[held_out], P, labels=clf.classes_)
    assert loss == pytest.approx(clf.validation_loss_curve_[clf.best_epoch_], 1e-10)


# Reporting -------------------------------------------------------------------


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = _frame()
    clf = _clf(max_epochs=5, verbose=True).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == clf.n_epochs_ == 5
    for epoch, (line, loss) in enumerate(zip(lines, clf.loss_curve_, strict=True)):
        assert line.startswith(f"Epoch {epoch + 1}, loss = {loss:.8f}")
        assert "validation loss" in line


class _StopAfter:
    """A FitCallback that stops training after ``n`` epochs."""

    def __init__(self, n):
        self.n, self.ended = n, 0

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        self.ended += context.task_name == "epoch"
        return self.ended >= self.n


def test_a_callback_can_stop_training():
    pytest.importorskip("sklearn.callback")
    X, y = _frame()
    clf = _clf().set_callbacks(_StopAfter(3)).fit(X, y)
    assert clf.n_epochs_ == len(clf.loss_curve_) == 3


def test_progress_bar_leaves_the_model_unchanged():
    callback = pytest.importorskip("sklearn.callback")
    pytest.importorskip("rich")
    X, y = _reg_frame()
    reg = _reg().set_callbacks(callback.ProgressBar()).fit(X, y)
    assert reg.n_epochs_ == 20
    assert_array_equal(reg.predict(X), _reg().fit(X, y).predict(X))


# Feature names ---------------------------------------------------------------


def test_feature_names_in():
    X, y = _frame()
    clf = _clf(max_epochs=2).fit(X, y)
    assert_array_equal(clf.feature_names_in_, ["num", "cat", "text", "flag"])
    array_fit = _clf(max_epochs=2).fit(X[["num"]].to_numpy(), y)
    assert not hasattr(array_fit, "feature_names_in_")


def test_predict_refuses_other_columns():
    X, y = _frame()
    clf = _clf(max_epochs=2).fit(X, y)
    with pytest.raises(ValueError, match="another order"):
        clf.predict(X[["cat", "num", "text", "flag"]])
    with pytest.raises(ValueError, match="3 features.*expecting 4"):
        clf.predict(X.drop(columns="text"))
    with pytest.raises(ValueError, match=r"missing: \['text'\]"):
        clf.predict(X.rename(columns={"text": "words"}))


# Failing fits ----------------------------------------------------------------


def _all_nan(X, y):
    return X.assign(num=np.nan), y


def _empty(X, y):
    return X.iloc[:0], y[:0]


def _multilabel(X, y):
    return X, np.column_stack([y == "yes", y == "no"]).astype(int)


def _nan_target(X, y):
    return X, np.where(np.arange(len(y)) == 5, np.nan, y)


FAILURES = [
    pytest.param(_clf, _frame, _all_nan, "no value in the training", id="clf-nan"),
    pytest.param(_clf, _frame, _empty, "0 sample", id="clf-empty"),
    pytest.param(_clf, _frame, _multilabel, "1d array", id="clf-multilabel"),
    pytest.param(_reg, _reg_frame, _nan_target, "y contains NaN", id="reg-nan-y"),
    pytest.param(_reg, _reg_frame, _empty, "0 sample", id="reg-empty"),
]


@pytest.mark.parametrize(("make", "data", "spoil", "message"), FAILURES)
def test_a_failed_fit_keeps_the_previous_model(make, data, spoil, message):
    X, y = data()
    est = make(max_epochs=5).fit(X, y)
    before, attributes = _output(est, X), _fitted_attributes(est)
    with pytest.raises(ValueError, match=message):
        est.fit(*spoil(X, y))
    assert_array_equal(_output(est, X), before)
    after = _fitted_attributes(est)
    assert after.keys() == attributes.keys()
    assert all(after[k] is attributes[k] for k in attributes)


# Clear errors ----------------------------------------------------------------


def test_infinite_value_names_the_column():
    X, y = _frame()
    X.loc[7, "num"] = np.inf
    with pytest.raises(ValueError, match="'num' holds an infinite value"):
        _clf().fit(X, y)


def test_all_missing_column_is_named():
    X, y = _reg_frame()
    with pytest.raises(ValueError, match="'num' has no value in the training"):
        _reg().fit(X.assign(num=np.nan), y)


def test_a_single_row_regressor_predicts_its_target():
    X, y = _reg_frame()
    complete = np.flatnonzero(X.notna().all(axis=1))[:1]
    reg = _reg().fit(X.iloc[complete], y[complete])
    assert_array_equal(reg.predict(X.head(5)), np.full(5, y[complete[0]]))


@pytest.mark.parametrize(
    ("param", "value"),
    [("n_ensemble", 0), ("dropout", 1.5), ("lr_schedule", "x"), ("max_epochs", 0)],
)
@pytest.mark.parametrize("make", [_clf, _reg], ids=["clf", "reg"])
def test_invalid_parameters(make, param, value):
    X, y = _frame() if make is _clf else _reg_frame()
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        make(**{param: value}).fit(X, y)


# Regressor -------------------------------------------------------------------


def _line(n=80):
    X = np.linspace(0.0, 1.0, n).reshape(-1, 1)
    return X, 3.0 * X[:, 0] + 1.0


def test_regressor_predictions_are_clamped_to_the_training_range():
    X, y = _line()
    reg = _reg(max_epochs=30).fit(X, y)
    far = np.array([[-50.0], [-5.0], [5.0], [50.0]])
    raw = reg._network_for_prediction().predict(reg._params, reg._inputs(far))
    raw = raw[:, 0] * reg.target_scale_[0] + reg.target_mean_[0]
    assert raw.min() < y.min() or raw.max() > y.max()  # it would extrapolate
    assert_allclose(reg.predict(far), np.clip(raw, y.min(), y.max()), rtol=1e-15)


def test_regressor_multi_output():
    X, y = _reg_frame()
    Y = np.column_stack([y, -2.0 * y + 5.0])
    reg = _reg(max_epochs=30).fit(X, Y)
    pred = reg.predict(X)
    assert pred.shape == (len(X), 2)
    assert r2_score(Y, pred, multioutput="raw_values").min() > 0.5


def test_regressor_without_target_scaling():
    X, y = _reg_frame()
    reg = _reg(scale_target=False, max_epochs=30).fit(X, y)
    assert_array_equal(reg.target_mean_, [0.0])
    assert_array_equal(reg.target_scale_, [1.0])
    assert r2_score(y, reg.predict(X)) > 0.5


# Classifier ------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_learns_binary_and_multiclass(n_classes):
    X, _ = _frame(150)
    num = X["num"].fillna(0).to_numpy()
    y = np.digitize(num, np.quantile(num, np.linspace(0, 1, n_classes + 1)[1:-1]))
    clf = _clf(max_epochs=30).fit(X, y)
    assert_array_equal(clf.classes_, np.arange(n_classes))
    assert clf.predict_proba(X).shape == (len(X), n_classes)
    assert accuracy_score(y, clf.predict(X)) > 0.85


@pytest.mark.parametrize(
    ("params", "calibrated"),
    [({}, True), ({"temperature_scaling": False}, False),
     ({"validation_fraction": None}, False)],
)  # fmt: skip
def test_temperature(params, calibrated):
    X, y = _frame()
    clf = _clf(**params).fit(X, y)
    assert clf.temperature_ > 0
    assert (clf.temperature_ != 1.0) == calibrated


def test_label_smoothing_changes_the_training_loss():
    X, y = _frame()
    sharp = _clf(label_smoothing=0.0).fit(X, y)
    smooth = _clf(label_smoothing=0.1).fit(X, y)
    assert not np.allclose(sharp.loss_curve_, smooth.loss_curve_)


@pytest.mark.parametrize(
    ("smoothing", "low", "high"), [(0.3, 0.75, 0.88), (0.0, 0.999, 1)]
)
def test_label_smoothing_caps_the_confidence(smoothing, low, high):
    # Two points, one per class. Smoothed by 0.3 the targets are 0.85 / 0.15,
    # so the loss is least at p = 0.85 (seeds 0-3 end in [0.81, 0.86]).
    X = np.repeat([[-1.0], [1.0]], 30, axis=0)
    y = (X[:, 0] > 0).astype(int)
    clf = _clf(**{**PLAIN, "max_epochs": 60}, label_smoothing=smoothing).fit(X, y)
    confidence = clf.predict_proba(X).max(axis=1)
    assert low < confidence.min() and confidence.max() <= high


# Packed ensemble -------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 3])
def test_predict_proba_is_the_mean_of_the_members(k):
    X, y = _frame()
    clf = _clf(n_ensemble=k).fit(X, y)
    Z = clf._network_for_prediction().members(clf._params, clf._inputs(X))
    assert Z.shape == (k, len(X), 2)
    Z = Z / clf.temperature_
    P = np.exp(Z - Z.max(axis=2, keepdims=True))
    P /= P.sum(axis=2, keepdims=True)
    assert_allclose(clf.predict_proba(X), P.mean(axis=0), rtol=1e-12)
    if k > 1:
        assert not np.allclose(P[0], P[1])


# Learning --------------------------------------------------------------------


def test_learns_breast_cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0,
                                                        stratify=y)  # fmt: skip
    clf = _clf(hidden_layer_sizes=(64, 64), max_epochs=30).fit(X_train, y_train)
    assert accuracy_score(y_test, clf.predict(X_test)) > 0.93
    assert log_loss(y_test, clf.predict_proba(X_test)) < 0.2


def test_learns_diabetes():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    # most of a linear model's R² (0.36 on this split); the defaults, since a
    # short fit's R² swings with the last bits of the numerics
    reg = TabularMLPRegressor(random_state=0).fit(X_train, y_train)
    assert r2_score(y_test, reg.predict(X_test)) > 0.25


@pytest.mark.parametrize(
    ("sizes", "error"),
    [((64, 2.5), TypeError), ((True,), TypeError), ((64, 0), ValueError)],
)
def test_hidden_layer_sizes_are_checked_like_the_drop_ins(sizes, error):
    X, y = _frame(40)
    with pytest.raises(error, match="hidden_layer_sizes"):
        _clf(hidden_layer_sizes=sizes).fit(X, y)
