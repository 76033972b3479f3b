"""ONNX invariant over random configurations: onnxruntime reproduces the model.

For a random model (classifier or regressor; hidden activation, solver and
regression loss from the registries; one or two small hidden layers; batch
normalization; dropout) fitted on random float32 or float64 data (targets of
one class, two, several, or multilabel, with labels of many dtypes; one or
several regression outputs), exported with :func:`sknn_scratch.onnx.to_onnx`
(a float32 graph) or with skl2onnx's ``to_onnx`` on the training dtype (a graph
in that dtype), either

- onnxruntime returns the labels of ``predict`` exactly, with the dtype
  documented in :mod:`sknn_scratch.onnx` (that of ``predict``; strings as an
  object array of ``str``), and the probabilities of ``predict_proba`` or the
  values of ``predict`` within the tolerance below; or
- the labels have a dtype that :mod:`sknn_scratch.onnx` documents as refused
  (here ``longdouble``, where it is wider than float64), and the export refuses
  them with its ``ValueError``; any other error fails the test.

The tolerance (``atol`` and ``rtol``) is 1e-4 when the graph or the model
computes in float32, and 1e-9 when both compute in float64 (1e-5 with ``gelu``,
whose ``Erf`` onnxruntime evaluates in float32). A row whose decision is within
that tolerance of a tie (a probability at 0.5, or two equal top probabilities)
may round either way: it is left out of the label comparison, and counted.

Hypothesis runs derandomized, so CI sees the same examples every time: 120 in
all, 24 for each task, counted in ``EXAMPLES`` and printed at teardown with the
label dtypes drawn and the outcomes.
"""

from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknn_scratch.nn.optimizers import OPTIMIZERS

from ._registries import HIDDEN_ACTIVATIONS, REGRESSION_LOSSES, SOLVERS

skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")
sknn_onnx = pytest.importorskip("sknn_scratch.onnx")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ACTIVATION_NAMES = HIDDEN_ACTIVATIONS
TASKS = ["single", "binary", "multiclass", "multilabel", "regression"]

# Class labels by type, the extremes first where a cast would change them.
LABEL_POOLS = {
    "int64": np.array([-(2**63), 2**63 - 1, 0, 5], dtype=np.int64),
    "int32": np.array([-(2**31), 2**31 - 1, 0, 5], dtype=np.int32),
    "uint8": np.array([0, 255, 7, 1], dtype=np.uint8),
    "uint64": np.array([2**64 - 1, 2**63, 0, 2**63 - 1], dtype=np.uint64),
    "negative": np.array([-7, -1, -300, -2]),
    "bool": np.array([True, False]),
    "float64": np.array([-3.0, 2048.0, 0.0, 1.0]),
    "float32": np.array([-3.0, 2048.0, 0.0, 1.0], dtype=np.float32),
    "str": np.array(["yes", "no", "", "maybe"]),
    "object": np.array(["yes", "no", "", "maybe"], dtype=object),
    "longdouble": np.array([0.0, 1.0, 2.0, 3.0], dtype=np.longdouble),
}

N_SAMPLES = 30
EXAMPLES_PER_TASK = 24
EXAMPLES = Counter()
LABELS = Counter()
OUTCOMES = Counter()

PROPERTY = dict(
    max_examples=EXAMPLES_PER_TASK,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    # No "explain" phase: it imports libcst, which warns on import.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)


@pytest.fixture(scope="module", autouse=True)
def _report_examples():
    yield
    print(
        f"\n[test_onnx_fuzz] hypothesis examples run: {sum(EXAMPLES.values())} "
        f"{dict(EXAMPLES)}; label dtypes {dict(LABELS)}; outcomes {dict(OUTCOMES)}"
    )


# ------------------------------------------------------------------ strategies


@st.composite
def parameters(draw):
    solver = draw(st.sampled_from(SOLVERS))
    hidden = draw(st.lists(st.integers(1, 6), min_size=1, max_size=2))
    # dropout's random masks cannot go with a line search
    dropout = draw(st.sampled_from([0.0, 0.3])) if solver in OPTIMIZERS else 0.0
    return dict(
        solver=solver,
        activation=draw(st.sampled_from(ACTIVATION_NAMES)),
        hidden_layer_sizes=tuple(hidden),
        batch_norm=draw(st.booleans()),
        dropout=dropout,
        max_iter=draw(st.integers(1, 8)),
        random_state=draw(st.integers(0, 2**16)),
    )


def _labels(draw, task, rng):
    """Class targets: n_classes labels of a drawn type, each one present."""
    if task == "multilabel":
        return rng.randint(2, size=(N_SAMPLES, draw(st.integers(2, 3))))
    if task in ("single", "binary"):
        n_classes = 1 if task == "single" else 2
    else:
        n_classes = draw(st.integers(3, 4))
    pools = [k for k, pool in LABEL_POOLS.items() if len(pool) >= n_classes]
    pool = LABEL_POOLS[draw(st.sampled_from(pools))]
    return pool[rng.permutation(np.arange(N_SAMPLES) % n_classes)]


def _regression_targets(draw, X, rng, loss):
    n_outputs = draw(st.integers(1, 3))
    Z = X @ rng.normal(size=(X.shape[1], n_outputs))
    Y = rng.poisson(np.exp(0.5 * Z)) if loss == "poisson" else Z + rng.normal()
    return Y.ravel() if n_outputs == 1 else Y


@st.composite
def problems(draw, task):
    """A model fitted for ``task``, its training data, and the exporter to use."""
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    X = rng.normal(size=(N_SAMPLES, draw(st.integers(1, 5))))
    X = X.astype(draw(st.sampled_from([np.float32, np.float64])))
    params = draw(parameters())
    if task == "regression":
        loss = draw(st.sampled_from(REGRESSION_LOSSES))
        y = _regression_targets(draw, X, rng, loss)
        model = ScratchMLPRegressor(loss=loss, **params)
    else:
        y = _labels(draw, task, rng)
        model = ScratchMLPClassifier(**params)
    exporter = draw(st.sampled_from(["sknn_scratch", "skl2onnx"]))
    return model.fit(X, y), X, y, exporter


# --------------------------------------------------------------------- checks


def _export(model, X, exporter):
    if exporter == "sknn_scratch":
        return sknn_onnx.to_onnx(model, X[:2]), np.float32
    return skl2onnx.to_onnx(model, X[:2]), X.dtype.type


def _run(onx, X):
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def _tolerance(model, graph_dtype, X):
    if np.float32 in (graph_dtype, X.dtype.type):
        return 1e-4
    return 1e-5 if model.activation == "gelu" else 1e-9


def _decided(model, proba, tol):
    """The rows whose predicted label is not within ``tol`` of a tie."""
    if len(model.classes_) == 1:
        return np.ones(len(proba), dtype=bool)
    if model.out_activation_ == "logistic":
        return (np.abs(proba - 0.5) > tol).all(axis=1)
    top_two = np.sort(proba, axis=1)[:, -2:]
    return top_two[:, 1] - top_two[:, 0] > tol


def _exportable(model):
    """Whether the module docstring promises an export of these labels."""
    dtype = np.asarray(getattr(model, "classes_", [0])).dtype
    return dtype.kind == "U" or (dtype.kind in "biuf" and dtype.itemsize <= 8)


def _assert_same_labels(label, expected):
    """Equal values and dtype; onnxruntime returns strings as an object array."""
    if expected.dtype.kind == "U":
        assert label.dtype == object and all(isinstance(v, str) for v in label)
    else:
        assert label.dtype == expected.dtype, (label.dtype, expected.dtype)
    assert_array_equal(label, expected)


def check_classifier(model, outputs, X, tol):
    label, proba = outputs
    expected = model.predict_proba(X)
    assert proba.shape == expected.shape
    assert_allclose(proba, expected, rtol=tol, atol=tol)
    decided = _decided(model, expected, tol)
    OUTCOMES["rows within tol of a tie"] += int((~decided).sum())
    _assert_same_labels(label[decided], model.predict(X)[decided])
    assert label.shape == model.predict(X).shape


def check_regressor(model, outputs, X, tol):
    (variable,) = outputs
    expected = model.predict(X).reshape(len(X), -1)
    assert variable.shape == expected.shape
    assert_allclose(variable, expected, rtol=tol, atol=tol)


# ---------------------------------------------------------------------- tests


# One run per task, so that each gets its share of the examples; hypothesis
# seeds each parametrized case differently.
@pytest.mark.parametrize("task", TASKS)
@settings(**PROPERTY)
@given(data=st.data())
def test_onnx_reproduces_predict_or_refuses_clearly(task, data):
    model, X, y, exporter = data.draw(problems(task))
    EXAMPLES[task] += 1
    if task in ("single", "binary", "multiclass"):
        LABELS[y.dtype.name] += 1
    try:
        onx, graph_dtype = _export(model, X, exporter)
    except ValueError as error:
        assert not _exportable(model), repr(error)
        assert "Cannot export class labels of dtype" in str(error), repr(error)
        OUTCOMES["refused"] += 1
        return
    assert _exportable(model), "exported labels the documentation says are refused"
    outputs = _run(onx, X.astype(graph_dtype))
    tol = _tolerance(model, graph_dtype, X)
    check = check_regressor if task == "regression" else check_classifier
    check(model, outputs, X, tol)
    OUTCOMES[f"matched ({exporter})"] += 1
