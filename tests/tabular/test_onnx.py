"""ONNX export of the tabular estimators: onnxruntime reproduces the predictions.

Each case fits a tiny model on a numeric table with missing values, exports
it and runs it with onnxruntime on rows with NaN both in a column that had
NaN in training (it has a missing indicator) and in one that did not.
float32 graphs (``sknn_scratch.onnx.to_onnx``) must match the float64
estimator to 1e-5, float64 graphs (``skl2onnx.to_onnx`` on a float64
sample) to 1e-10.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import TabularMLPClassifier, TabularMLPRegressor

onnx = pytest.importorskip("onnx")
skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")
sknn_onnx = pytest.importorskip("sknn_scratch.onnx")

TASKS = ["binary", "multiclass", "regression", "multioutput"]
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}
CONFIGS = {
    "k1": {"n_ensemble": 1},
    "k3": {},
    "no_hidden_layer": {"hidden_layer_sizes": ()},
    "plain_activation": {"parametric_activation": False},
    "no_embedding": {"numeric_embedding": None},
    "standard_parametrization": {"parametrization": "standard"},
    "standard_preprocessing": {"preprocessing": "standard"},
    "no_front_scale_no_dropout": {"front_scale": False, "dropout": 0.0},
    "other_activation": {"activation": "other"},
    "unscaled_target": {"scale_target": False},
}


def _data(task, seed=0):
    """A training table (NaN in column 1) and test rows (NaN in columns 1 and 3)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(150, 4)) * [1.0, 2.0, 0.5, 10.0] + [0.0, 5.0, -1.0, 100.0]
    X_test = X.copy()
    X[rng.random(150) < 0.2, 1] = np.nan
    X_test[::5, 1] = np.nan
    X_test[::7, 3] = np.nan
    score = X[:, 0] + np.nan_to_num(X[:, 1] - 5.0) / 2
    if task == "binary":
        return X, np.array([3, 7])[(score > 0).astype(int)], X_test
    if task == "multiclass":
        return X, np.array(["a", "b", "c"])[np.digitize(score, [-0.5, 0.5])], X_test
    Y = np.column_stack([3.0 * score + 10.0, X[:, 2] ** 2])
    return X, (Y[:, 0] if task == "regression" else Y), X_test


def _estimator(task, **params):
    classifier = task in ("binary", "multiclass")
    if params.get("activation") == "other":
        params["activation"] = "mish" if classifier else "selu"
    if classifier:
        params.pop("scale_target", None)
    params = {"hidden_layer_sizes": (8, 8), "max_epochs": 3, "n_ensemble": 3,
              "random_state": 0, **params}  # fmt: skip
    return (TabularMLPClassifier if classifier else TabularMLPRegressor)(**params)


def _run(onx, X):
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def _export(model, X, dtype, **kwargs):
    """float32 through our to_onnx, float64 through skl2onnx's."""
    if dtype == np.float32:
        return sknn_onnx.to_onnx(model, X[:1], **kwargs)
    return skl2onnx.to_onnx(model, X[:1].astype(dtype), **kwargs)


def _check_matches(model, onx, X, dtype):
    onnx.checker.check_model(onx, full_check=True)
    X = X.astype(dtype)
    tol = TOLERANCE[dtype]
    outputs = _run(onx, X)
    if hasattr(model, "predict_proba"):
        label, proba = outputs
        expected = model.predict_proba(X)
        assert proba.dtype == dtype and proba.shape == expected.shape
        assert_allclose(proba, expected, rtol=tol, atol=tol / 10)
        # rows whose two best classes are closer than the tolerance may flip
        top = np.sort(np.column_stack([np.zeros(len(X)), expected]), axis=1)
        decided = top[:, -1] - top[:, -2] > 10 * tol
        assert_array_equal(label[decided], model.predict(X)[decided])
    else:
        (variable,) = outputs
        expected = model.predict(X).reshape(len(X), -1)
        assert variable.dtype == dtype and variable.shape == expected.shape
        assert_allclose(variable, expected, rtol=tol, atol=tol * abs(expected).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "task, config",
    [
        (task, config)
        for task in TASKS
        for config in CONFIGS
        # scale_target is a regressor parameter
        if config != "unscaled_target" or task in ("regression", "multioutput")
    ],
)
def test_onnx_matches_the_estimator(task, config, dtype):
    X, y, X_test = _data(task)
    model = _estimator(task, **CONFIGS[config]).fit(X, y)
    onx = _export(model, X, dtype)
    ops = {node.op_type for node in onx.graph.node}
    assert "ReduceMean" in ops and "Dropout" not in ops
    _check_matches(model, onx, X_test, dtype)


@pytest.mark.parametrize("target_opset", [9, 13, None])
@pytest.mark.parametrize("activation", ["selu", "mish"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_older_opsets(dtype, activation, target_opset):
    # ReduceMean's axes move to an input and Mish appears at opset 18
    X, y, X_test = _data("multiclass")
    model = _estimator("multiclass", activation=activation).fit(X, y)
    onx = _export(model, X, dtype, target_opset=target_opset)
    if target_opset is not None:
        assert {op.domain: op.version for op in onx.opset_import}[""] == target_opset
    _check_matches(model, onx, X_test, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_values_and_constant_columns(dtype):
    # the encoder scales in float64, clips at 1e150, smooth-clips, and encodes
    # a constant column (scale 0) as 0; float32 input must not overflow
    X, y, X_test = _data("regression")
    X[:, 2] = 4.0
    X_test[:4] = [[1e30, -1e30, 4.0, 3e38], [-3e38, 1e-30, -1e30, np.nan],
                  [0.0, np.nan, np.nan, -1e20], [1e6, 5.0, 1e6, 100.0]]  # fmt: skip
    model = _estimator("regression").fit(X, y)
    _check_matches(model, _export(model, X, dtype), X_test, dtype)


@pytest.mark.parametrize("task", ["multiclass", "regression"])
@pytest.mark.parametrize("exporter", ["sknn_scratch", "skl2onnx"])
def test_pipeline_with_scaler(exporter, task):
    X, y, X_test = _data(task)
    pipe = make_pipeline(StandardScaler(), _estimator(task)).fit(X, y)
    to_onnx = sknn_onnx.to_onnx if exporter == "sknn_scratch" else skl2onnx.to_onnx
    onx = to_onnx(pipe, X[:1].astype(np.float32))
    assert "ZipMap" not in {node.op_type for node in onx.graph.node}
    _check_matches(pipe, onx, X_test, np.float32)


def test_single_class_classifier():
    X, _, X_test = _data("binary")
    model = _estimator("binary").fit(X[:40], np.full(40, "only"))
    onx = sknn_onnx.to_onnx(model, X[:1])
    assert onx.graph.output[1].type.tensor_type.shape.dim[1].dim_value == 1
    _check_matches(model, onx, X_test, np.float32)


def test_dataframe_gives_one_input_per_column():
    pd = pytest.importorskip("pandas")
    X, y, X_test = _data("binary")
    columns = ["a", "b", "c", "d"]
    model = _estimator("binary").fit(pd.DataFrame(X, columns=columns), y)
    df = pd.DataFrame(X_test.astype(np.float32), columns=columns)
    onx = sknn_onnx.to_onnx(model, df[:1])
    assert [i.name for i in onx.graph.input] == columns
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    label, proba = session.run(None, {c: df[[c]].to_numpy() for c in columns})
    assert_allclose(proba, model.predict_proba(df), rtol=1e-5, atol=1e-6)


def test_zipmap_on_request():
    X, y, X_test = _data("multiclass")
    model = _estimator("multiclass").fit(X, y)
    onx = skl2onnx.to_onnx(model, X[:1].astype(np.float32), options={"zipmap": True})
    _, proba = _run(onx, X_test.astype(np.float32))
    got = np.array([[row[c] for c in model.classes_] for row in proba])
    assert_allclose(got, model.predict_proba(X_test.astype(np.float32)), atol=1e-6)


def test_nocl_gives_class_indices():
    X, y, X_test = _data("multiclass")
    model = _estimator("multiclass").fit(X, y)
    onx = skl2onnx.to_onnx(model, X[:1].astype(np.float32), options={"nocl": True})
    label, proba = _run(onx, X_test.astype(np.float32))
    assert label.dtype == np.int64
    assert_array_equal(label, np.argmax(proba, axis=1))


def _categorical_model():
    pd = pytest.importorskip("pandas")
    X, y, _ = _data("binary")
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    df["color"] = pd.Categorical(np.array(["red", "blue", "green"])[np.arange(150) % 3])
    return _estimator("binary").fit(df, y), df


@pytest.mark.parametrize("pipeline", [False, True], ids=["estimator", "pipeline"])
def test_categorical_columns_are_refused(pipeline):
    model, df = _categorical_model()
    if pipeline:
        model = make_pipeline(model)
    match = r"categorical columns \['color'\].*categorical_features=None"
    with pytest.raises(NotImplementedError, match=match):
        sknn_onnx.to_onnx(model, df[:1])


def test_skl2onnx_refuses_categorical_columns():
    from skl2onnx.common.data_types import FloatTensorType

    model, _ = _categorical_model()
    with pytest.raises(NotImplementedError, match=r"categorical columns \['color'\]"):
        skl2onnx.convert_sklearn(
            model, initial_types=[("X", FloatTensorType([None, 5]))]
        )


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_unfitted_model_raises_not_fitted(task):
    X, _, _ = _data(task)
    with pytest.raises(NotFittedError):
        sknn_onnx.to_onnx(_estimator(task), X[:1])
    with pytest.raises(NotFittedError):
        skl2onnx.to_onnx(_estimator(task), X[:1].astype(np.float32))


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_sample_of_the_wrong_width_is_refused(task):
    X, y, _ = _data(task)
    model = _estimator(task).fit(X, y)
    with pytest.raises(ValueError, match=r"X_sample .* 4 columns"):
        sknn_onnx.to_onnx(model, X[:2, :3])
