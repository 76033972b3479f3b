"""ONNX export: onnxruntime reproduces ``predict`` and ``predict_proba``.

Every case fits a tiny float32 model, exports it, runs it with onnxruntime on
float32 input and compares with the estimator at 1e-4. Labels must be equal.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknn_scratch.nn.activations import ACTIVATIONS, ALIASES

onnx = pytest.importorskip("onnx")
skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")
sknn_onnx = pytest.importorskip("sknn_scratch.onnx")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ACTIVATION_NAMES = sorted(ACTIVATIONS) + sorted(ALIASES)
TASKS = ["binary", "multiclass", "multilabel", "regression", "multioutput", "poisson"]
ATOL = RTOL = 1e-4


def _data(task, seed=0):
    """Small float32 problems; multiclass labels are strings, binary ones ints."""
    rng = np.random.default_rng(seed)
    if task == "multilabel":
        X, y = make_multilabel_classification(
            n_samples=80, n_features=5, n_classes=3, random_state=seed
        )
        return X.astype(np.float32) / 4, y
    if task in ("binary", "multiclass"):
        n_classes = 2 if task == "binary" else 3
        X, y = make_classification(
            n_samples=80, n_features=5, n_informative=3, n_redundant=0,
            n_classes=n_classes, random_state=seed,
        )  # fmt: skip
        labels = np.array([3, 7]) if task == "binary" else np.array(["a", "b", "c"])
        return X.astype(np.float32), labels[y]
    X = rng.normal(size=(80, 5)).astype(np.float32)
    Y = X[:, :3] @ rng.normal(size=(3, 3)) + 0.1 * rng.normal(size=(80, 3))
    if task == "regression":
        return X, Y[:, 0]
    if task == "poisson":
        return X, rng.poisson(np.exp(0.5 * Y[:, 0])).astype(np.float32)
    return X, Y


def _estimator(task, **params):
    params = {"hidden_layer_sizes": (6, 4), "max_iter": 30, "random_state": 0, **params}
    if task in ("binary", "multiclass", "multilabel"):
        return ScratchMLPClassifier(**params)
    if task == "poisson":
        params["loss"] = "poisson"
    return ScratchMLPRegressor(**params)


def _run(onx, X):
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    name = session.get_inputs()[0].name
    return session.run(None, {name: X})


def _assert_same_labels(label, expected):
    """Equal values and dtype; onnxruntime returns strings as an object array."""
    assert_array_equal(label, expected, strict=expected.dtype.kind != "U")
    if expected.dtype.kind == "U":
        assert label.dtype == object and all(isinstance(v, str) for v in label)


def _check_matches(model, onx, X):
    onnx.checker.check_model(onx, full_check=True)
    outputs = _run(onx, X)
    if hasattr(model, "predict_proba"):
        label, proba = outputs
        assert proba.dtype == np.float32 and proba.ndim == 2
        assert_allclose(proba, model.predict_proba(X), rtol=RTOL, atol=ATOL)
        _assert_same_labels(label, model.predict(X))
    else:
        (variable,) = outputs
        expected = model.predict(X).reshape(len(X), -1)
        assert variable.shape == expected.shape
        assert_allclose(variable, expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_onnx_matches_predict(activation, task):
    X, y = _data(task)
    model = _estimator(task, activation=activation).fit(X, y)
    _check_matches(model, sknn_onnx.to_onnx(model, X[:1]), X)


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize(
    "params",
    [
        {"batch_norm": True},
        {"dropout": 0.3},
        {"batch_norm": True, "dropout": [0.2, 0.0], "activation": "gelu"},
    ],
    ids=["batch_norm", "dropout", "batch_norm+dropout"],
)
def test_onnx_batch_norm_and_dropout(params, task):
    X, y = _data(task)
    model = _estimator(task, **params).fit(X, y)
    onx = sknn_onnx.to_onnx(model, X[:1])
    ops = {node.op_type for node in onx.graph.node}
    assert not ops & {"Dropout", "BatchNormalization"}
    _check_matches(model, onx, X)


def test_batch_norm_folding_uses_running_statistics():
    # Shift the running statistics far from the batch ones: only a fold that
    # uses them (as predict does) can still match.
    X, y = _data("multiclass")
    model = _estimator("multiclass", batch_norm=True, max_iter=5).fit(X, y)
    for mean, var in zip(model.running_means_, model.running_vars_, strict=True):
        mean += 0.5
        var *= 3.0
    _check_matches(model, sknn_onnx.to_onnx(model, X[:1]), X)


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
def test_onnx_float64_model_exports_as_float32(solver):
    X, y = _data("multiclass")
    model = _estimator("multiclass", solver=solver).fit(X.astype(np.float64), y)
    onx = sknn_onnx.to_onnx(model, X[:1].astype(np.float64))
    assert onx.graph.input[0].type.tensor_type.elem_type == 1  # FLOAT
    label, proba = _run(onx, X)
    assert_allclose(proba, model.predict_proba(X.astype(np.float64)), atol=ATOL)
    _assert_same_labels(label, model.predict(X))


@pytest.mark.parametrize("target_opset", [9, None])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_skl2onnx_double_input_computes_in_float64(activation, target_opset):
    # onnxruntime has no float64 Elu, LeakyRelu or Softplus kernel: the graph
    # must still run, and in float64.
    X, y = _data("regression")
    X = 3 * X.astype(np.float64)
    model = _estimator("regression", activation=activation).fit(X, y)
    onx = skl2onnx.to_onnx(model, X[:1], target_opset=target_opset)
    (variable,) = _run(onx, X)
    assert variable.dtype == np.float64
    # gelu's Erf runs in float32 even in a float64 graph (onnxruntime has no other)
    rtol = 1e-6 if activation == "gelu" else 1e-12
    assert_allclose(variable.ravel(), model.predict(X), rtol=rtol)


@pytest.mark.parametrize("labels", [[False, True], [0.0, 1.0], [-1, 0, 2]])
def test_onnx_label_types(labels):
    X, y = _data("multiclass")
    y = np.asarray(labels)[np.searchsorted(np.unique(y), y) % len(labels)]
    model = _estimator("multiclass").fit(X, y)
    _check_matches(model, sknn_onnx.to_onnx(model, X[:1]), X)


LABEL_DTYPES = [
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
    "uint64", "float16", "float32", "float64", "str", "object",
]  # fmt: skip


def _labels_of_dtype(dtype, n_classes):
    if dtype in ("str", "object"):
        return np.array(["no", "yes", "maybe"][:n_classes], dtype=dtype)
    if dtype == "bool":
        return np.array([False, True])
    if np.dtype(dtype).kind == "f":
        return np.array([-3.0, 2048.0, 1.0][:n_classes], dtype=dtype)
    info = np.iinfo(dtype)
    # the extremes: a cast to int64 turned uint64 labels >= 2**63 negative
    return np.array([info.min, info.max, 1][:n_classes], dtype=dtype)


@pytest.mark.parametrize(
    "dtype, n_classes",
    [(dtype, n) for dtype in LABEL_DTYPES for n in (2, 3) if dtype != "bool" or n == 2],
)
def test_onnx_labels_keep_their_dtype(dtype, n_classes):
    X, y = _data("multiclass")
    y = _labels_of_dtype(dtype, n_classes)[np.searchsorted(np.unique(y), y) % n_classes]
    model = _estimator("multiclass").fit(X, y)
    _check_matches(model, sknn_onnx.to_onnx(model, X[:1]), X)


def test_labels_without_an_onnx_type_are_refused():
    if np.dtype(np.longdouble).itemsize <= 8:
        pytest.skip("longdouble is float64 here")
    X, y = _data("binary")
    model = _estimator("binary").fit(X, y.astype(np.longdouble))
    with pytest.raises(ValueError, match="float128"):
        sknn_onnx.to_onnx(model, X[:1])


def test_zipmap_refuses_labels_beyond_int64():
    X, y = _data("binary")
    model = _estimator("binary").fit(X, np.where(y == 3, 1, 2**63).astype(np.uint64))
    with pytest.raises(ValueError, match="int64, which cannot hold"):
        skl2onnx.to_onnx(model, X[:1], options={"zipmap": True})


def test_multilabel_labels_are_an_indicator_matrix():
    X, y = _data("multilabel")
    model = _estimator("multilabel").fit(X, y)
    label, proba = _run(sknn_onnx.to_onnx(model, X[:1]), X)
    assert label.dtype == np.int64 and label.shape == y.shape == proba.shape


@pytest.mark.parametrize("task", ["multiclass", "regression"])
@pytest.mark.parametrize("exporter", ["sknn_scratch", "skl2onnx"])
def test_pipeline_with_scaler(exporter, task):
    X, y = _data(task)
    X = 10 * X + 3  # make the scaler matter
    pipe = make_pipeline(StandardScaler(), _estimator(task)).fit(X, y)
    to_onnx = sknn_onnx.to_onnx if exporter == "sknn_scratch" else skl2onnx.to_onnx
    onx = to_onnx(pipe, X[:1])
    assert "ZipMap" not in {node.op_type for node in onx.graph.node}
    _check_matches(pipe, onx, X)


def test_convert_sklearn_accepts_our_estimators():
    from skl2onnx.common.data_types import FloatTensorType

    X, y = _data("binary")
    model = _estimator("binary").fit(X, y)
    onx = skl2onnx.convert_sklearn(
        model, initial_types=[("X", FloatTensorType([None, 5]))]
    )
    assert [out.name for out in onx.graph.output] == ["label", "probabilities"]
    _check_matches(model, onx, X)


def test_zipmap_on_request():
    X, y = _data("multiclass")
    model = _estimator("multiclass").fit(X, y)
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": True})
    label, proba = _run(onx, X)
    assert_array_equal(label, model.predict(X))
    assert isinstance(proba, list) and set(proba[0]) == set(model.classes_)
    expected = model.predict_proba(X)
    got = np.array([[row[c] for c in model.classes_] for row in proba])
    assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


def test_zipmap_refused_for_multilabel():
    X, y = _data("multilabel")
    model = _estimator("multilabel").fit(X, y)
    with pytest.raises(ValueError, match="multilabel"):
        skl2onnx.to_onnx(model, X[:1], options={"zipmap": True})


def test_every_registered_activation_has_an_onnx_graph():
    assert set(sknn_onnx.HIDDEN_ACTIVATIONS) == set(ACTIVATIONS)


def test_zipmap_on_request_inside_a_pipeline():
    X, y = _data("binary")
    pipe = make_pipeline(StandardScaler(), _estimator("binary")).fit(X, y)
    onx = skl2onnx.to_onnx(pipe, X[:1], options={id(pipe): {"zipmap": True}})
    label, proba = _run(onx, X)
    assert_array_equal(label, pipe.predict(X))
    assert isinstance(proba, list) and set(proba[0]) == {3, 7}


def test_other_classifiers_keep_skl2onnx_defaults():
    from sklearn.linear_model import LogisticRegression

    X, y = _data("multiclass")
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    onx = skl2onnx.to_onnx(pipe, X[:1])
    assert "ZipMap" in {node.op_type for node in onx.graph.node}


def test_nocl_gives_class_indices():
    X, y = _data("multiclass")
    model = _estimator("multiclass").fit(X, y)
    onx = skl2onnx.to_onnx(model, X[:1], options={"nocl": True})
    label, _ = _run(onx, X)
    assert_array_equal(model.classes_[label], model.predict(X))


def test_dataframe_sample_gives_one_input_per_column():
    pd = pytest.importorskip("pandas")
    X, y = _data("multiclass")
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    df["x4"] = df["x4"].astype(np.float64)
    model = _estimator("multiclass").fit(df, y)
    onx = sknn_onnx.to_onnx(model, df[:1])
    assert [i.name for i in onx.graph.input] == list(df.columns)
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    label, proba = session.run(None, {c: df[[c]].to_numpy() for c in df.columns})
    _assert_same_labels(label, model.predict(df))
    assert_allclose(proba, model.predict_proba(df), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("target_opset", [9, 13, None])
def test_older_opsets(target_opset):
    X, y = _data("multiclass")
    model = _estimator("multiclass", activation="gelu", batch_norm=True).fit(X, y)
    onx = sknn_onnx.to_onnx(model, X[:1], target_opset=target_opset)
    if target_opset is not None:
        assert {op.domain: op.version for op in onx.opset_import}[""] == target_opset
    _check_matches(model, onx, X)


# ------------------------------------------------- single-class classifiers


def test_single_class_classifier_matches_predict():
    X, _ = _data("binary")
    model = _estimator("binary", hidden_layer_sizes=(3,), max_iter=5)
    model.fit(X[:20], np.full(20, 7))
    onx = sknn_onnx.to_onnx(model, X[:1])
    assert onx.graph.output[1].type.tensor_type.shape.dim[1].dim_value == 2
    _check_matches(model, onx, X)


def test_single_class_classifier_refuses_zipmap():
    X, _ = _data("binary")
    model = _estimator("binary", max_iter=5).fit(X[:20], np.full(20, 7))
    with pytest.raises(ValueError, match="single-class"):
        skl2onnx.to_onnx(model, X[:1], options={"zipmap": True})


# ------------------------------------------------------ checking X_sample


@pytest.mark.parametrize("task", ["multiclass", "regression"])
@pytest.mark.parametrize("pipeline", [False, True], ids=["estimator", "pipeline"])
@pytest.mark.parametrize("shape", ["1-D", "narrow", "wide"])
def test_to_onnx_refuses_a_sample_of_the_wrong_width(shape, pipeline, task):
    X, y = _data(task)
    model = _estimator(task, max_iter=5)
    model = (make_pipeline(StandardScaler(), model) if pipeline else model).fit(X, y)
    X_sample = {"1-D": X[0], "narrow": X[:2, :3], "wide": np.hstack([X, X])[:2]}
    with pytest.raises(ValueError, match=r"X_sample .* 5 columns"):
        sknn_onnx.to_onnx(model, X_sample[shape])


def test_to_onnx_refuses_a_dataframe_of_the_wrong_width():
    pd = pytest.importorskip("pandas")
    X, y = _data("multiclass")
    model = _estimator("multiclass", max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match=r"X_sample .* 5 columns"):
        sknn_onnx.to_onnx(model, pd.DataFrame(X[:2, :4]))


def test_to_onnx_refuses_a_dataframe_with_other_columns():
    # The graph concatenates the inputs in X_sample's order: another order, or
    # other names, than at fit would compute with the features swapped.
    pd = pytest.importorskip("pandas")
    X, y = _data("multiclass")
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    model = _estimator("multiclass", max_iter=5).fit(df, y)
    with pytest.raises(ValueError, match="X_sample's columns"):
        sknn_onnx.to_onnx(model, df[df.columns[::-1]][:1])


@pytest.mark.parametrize("task", ["multiclass", "regression"])
@pytest.mark.parametrize("pipeline", [False, True], ids=["estimator", "pipeline"])
def test_to_onnx_of_an_unfitted_model_raises_not_fitted(pipeline, task):
    from sklearn.exceptions import NotFittedError

    X, _ = _data(task)
    model = _estimator(task)
    model = make_pipeline(StandardScaler(), model) if pipeline else model
    with pytest.raises(NotFittedError):
        sknn_onnx.to_onnx(model, X[:1])


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_skl2onnx_of_an_unfitted_estimator_raises_not_fitted(task):
    from sklearn.exceptions import NotFittedError

    X, _ = _data(task)
    with pytest.raises(NotFittedError):
        skl2onnx.to_onnx(_estimator(task), X[:1])


def test_skl2onnx_refuses_a_dataframe_with_other_columns():
    # skl2onnx's own to_onnx bypasses the X_sample check: the converter must
    # not concatenate the columns in another order than at fit.
    pd = pytest.importorskip("pandas")
    X, y = _data("multiclass")
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    model = _estimator("multiclass", max_iter=5).fit(df, y)
    with pytest.raises(ValueError, match="feature_names_in_"):
        skl2onnx.to_onnx(model, df[df.columns[::-1]][:1])
