r"""Export fitted sknn_scratch models to ONNX.

Importing this module registers converters for
:class:`~sknn_scratch.ScratchMLPClassifier`,
:class:`~sknn_scratch.ScratchMLPRegressor`,
:class:`~sknn_scratch.TabularMLPClassifier` and
:class:`~sknn_scratch.TabularMLPRegressor` with
`skl2onnx <https://onnx.ai/sklearn-onnx/>`_, so that ``skl2onnx.to_onnx`` and
``skl2onnx.convert_sklearn`` accept them, alone or as a step of a
:class:`~sklearn.pipeline.Pipeline`. :func:`to_onnx` is a thin wrapper that
does the import for you and exports float32 models.

It needs ``skl2onnx`` and ``onnx`` (the ``onnx`` extra:
``pip install "sknn-scratch[onnx]"``); ``onnxruntime`` runs the exported models.

The exported graph is the inference network:

- each layer is a ``MatMul`` and an ``Add``, then its activation;
- batch normalization is folded into the ``Dense`` layer before it, since at
  inference it is an affine map with the running statistics:

  .. math::

      W' = W \operatorname{diag}(s), \quad b' = (b - \mu)\, s + \beta, \quad
      s = \frac{\gamma}{\sqrt{\sigma^2 + \varepsilon}};

- dropout, the identity at inference, is left out;
- ``gelu`` is the exact :math:`z\,\Phi(z)` through the ``Erf`` operator and
  ``silu`` is :math:`z\,\sigma(z)`; the other activations are single operators.

The graph computes in the input's precision (float32, or float64 for a float64
input), with the weights cast to it. onnxruntime has no float64 kernels for
some operators, so a float64 graph writes ``leaky_relu`` as
:math:`\max(z, 0.01 z)`, ``elu`` as :math:`\max(z, 0) + e^{\min(z, 0)} - 1` and
``softplus`` as :math:`\max(z, 0) + \log(1 + e^{-|z|})`, and still evaluates
``gelu``'s ``Erf`` in float32.

Classifiers have two outputs, ``label`` and ``probabilities``. The
probabilities are a plain ``(n_samples, n_classes)`` tensor, as
``predict_proba`` returns them (two columns for a model fitted on a single
class), and not the list of dictionaries (``ZipMap``) that skl2onnx gives
other classifiers by default, also inside a pipeline; pass
``options={"zipmap": True}`` to get one.

The labels have the dtype of ``classes_``, which is the dtype of ``predict``:

- ``bool``, ``int8`` to ``int64``, ``uint8`` to ``uint64`` (values from
  :math:`2^{63}` on included) and ``float16`` to ``float64`` classes keep their
  type;
- string classes (NumPy ``str``, or ``object`` holding ``str``) are ONNX
  strings, which onnxruntime returns as an ``object`` array of ``str``;
- any other dtype, such as ``longdouble``, is refused with a ``ValueError``;
- a multilabel classifier's ``label`` is the ``(n_samples, n_labels)`` int64
  indicator matrix that ``predict`` returns, and skl2onnx's ``nocl`` option
  gives the int64 class indices;
- with ZipMap, skl2onnx makes numeric labels int64: classes that int64 cannot
  hold are then refused with a ``ValueError``, as are single-class and
  multilabel models.

Regressors have one output, ``variable``, of shape ``(n_samples, n_outputs)``:
``(n_samples, 1)`` for a single output, as for every skl2onnx regressor.

The tabular estimators export when they were fitted on numeric columns only
(no categorical columns in ``encoder_``); the graph takes the raw table, with
NaN for missing values, and has the same outputs as the drop-ins'. It is:

- the encoder, computed in float64 whatever the graph's dtype, as
  :class:`~sknn_scratch.tabular._encoder.TableEncoder` does:
  :math:`z = (x - \operatorname{median}) s`, NaN to 0 (``IsNaN`` and
  ``Where``), clipped to :math:`\pm 10^{150}` and, for
  ``preprocessing="robust"``, smooth-clipped to :math:`z / \sqrt{1 + (z/3)^2}`;
  the missing indicators are ``IsNaN`` of the columns that had missing values
  in training;
- the periodic embeddings :math:`\cos(2\pi w x + \phi)` with each feature's
  linear map as one batched ``MatMul``, concatenated after :math:`x` and
  before the indicators; the front scale is a ``Mul``;
- the packed ensemble with the members on a leading axis: the members'
  adapter is a broadcasting ``Mul`` by ``(k, 1, width)`` that makes
  ``(k, n, width)``, each hidden layer is a broadcasting ``MatMul`` and
  ``Add`` (the NTK factor folded into the weights), and the head a batched
  ``MatMul``; dropout is left out;
- SELU as the ``Selu`` operator and Mish as ``Mish`` (from opset 18) in
  float32 graphs, and from elementary operators otherwise (onnxruntime has
  no float64 kernels for them), Mish as
  :math:`z \frac{u(u+2)}{u(u+2)+2}` with :math:`u = e^{\min(z, 20)}`;
  a parametric activation is :math:`z + \alpha (f(z) - z)`;
- for the classifier, the members' logits divided by ``temperature_``, a
  softmax and the mean over the members (``ReduceMean``); for the regressor,
  the members' mean times ``target_scale_`` plus ``target_mean_``, clipped to
  ``[target_min_, target_max_]`` when ``scale_target``.

A tabular model fitted with categorical columns raises
``NotImplementedError``: its encoder maps string or category levels, which
would need one string input and a ``LabelEncoder`` per column. Encode such
columns as numbers first (for example with sklearn's ``OneHotEncoder`` in a
pipeline) and fit with ``categorical_features=None``.

Examples
--------
>>> import numpy as np
>>> import onnxruntime as ort
>>> from sknn_scratch import ScratchMLPClassifier
>>> from sknn_scratch.onnx import to_onnx
>>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
>>> clf = ScratchMLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs",
...                            random_state=0).fit(X, [0, 1, 1, 0])
>>> onx = to_onnx(clf, X)
>>> session = ort.InferenceSession(onx.SerializeToString(),
...                                providers=["CPUExecutionProvider"])
>>> label, proba = session.run(None, {"X": X})
>>> bool((label == clf.predict(X)).all())
True
>>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-5))
True
"""

import numpy as np

try:
    import onnx
    from onnx import numpy_helper
    from skl2onnx import (
        get_model_alias,
        update_registered_converter,
        update_registered_parser,
    )
    from skl2onnx import to_onnx as _skl2onnx_to_onnx
    from skl2onnx._parse import _parse_sklearn_classifier, sklearn_parsers_map
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        Float16TensorType,
        FloatTensorType,
        Int8TensorType,
        Int16TensorType,
        Int32TensorType,
        Int64TensorType,
        StringTensorType,
        UInt8TensorType,
        UInt16TensorType,
        UInt32TensorType,
        UInt64TensorType,
    )
    from skl2onnx.common.utils import check_input_and_output_numbers
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "sknn_scratch.onnx needs skl2onnx and onnx; install them with "
        '`pip install "sknn-scratch[onnx]"` (and onnxruntime to run the models).'
    ) from error

from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._estimators import ScratchMLPClassifier, ScratchMLPRegressor
from .nn.layers import ActivationLayer, BatchNorm, Dense, Layer
from .nn.network import Network
from .tabular import TabularMLPClassifier, TabularMLPRegressor
from .tabular import _onnx as tabular_graph

__all__ = ["to_onnx"]

_SQRT_HALF = 0.7071067811865476

_TensorProto = onnx.TensorProto
_PROTO = {np.float32: _TensorProto.FLOAT, np.float64: _TensorProto.DOUBLE}
_TENSOR_TYPE = {np.float32: FloatTensorType, np.float64: DoubleTensorType}
_LABEL_TYPE = {
    np.dtype(dtype): tensor_type
    for dtype, tensor_type in [
        (np.bool_, BooleanTensorType),
        (np.int8, Int8TensorType),
        (np.int16, Int16TensorType),
        (np.int32, Int32TensorType),
        (np.int64, Int64TensorType),
        (np.uint8, UInt8TensorType),
        (np.uint16, UInt16TensorType),
        (np.uint32, UInt32TensorType),
        (np.uint64, UInt64TensorType),
        (np.float16, Float16TensorType),
        (np.float32, FloatTensorType),
        (np.float64, DoubleTensorType),
    ]
}


def to_onnx(model, X_sample, **kwargs) -> onnx.ModelProto:
    """Export a fitted estimator or pipeline to an ONNX model.

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted :class:`~sknn_scratch.ScratchMLPClassifier`,
        :class:`~sknn_scratch.ScratchMLPRegressor`,
        :class:`~sknn_scratch.TabularMLPClassifier` or
        :class:`~sknn_scratch.TabularMLPRegressor` (fitted on numeric columns
        only), or any pipeline or meta-estimator that skl2onnx can convert
        around one.
    X_sample : array-like or DataFrame of shape (n_samples, n_features)
        A few rows of input, used only for the input's type and width. Arrays
        are cast to float32, so the model has one float32 input named ``X``
        with a dynamic batch dimension; DataFrames are passed on as they are
        (skl2onnx then makes one input per column). When the model has
        ``n_features_in_``, the sample must have that many columns, and when it
        has ``feature_names_in_``, a DataFrame's columns must be those, in that
        order.
    **kwargs
        Passed to :func:`skl2onnx.to_onnx`, for example ``target_opset`` or
        ``options``.

    Returns
    -------
    onnx.ModelProto
        The model. Classifiers output ``label`` and ``probabilities`` (a plain
        2-D tensor, no ``ZipMap``); regressors output ``variable``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``model`` is not fitted.
    ValueError
        If ``X_sample`` is not 2-D or does not have the model's columns.
    NotImplementedError
        If ``model`` (or a step of the pipeline) is a tabular estimator fitted
        with categorical columns.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch import ScratchMLPRegressor
    >>> X = np.linspace(-1, 1, 20).reshape(-1, 1)
    >>> reg = ScratchMLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs",
    ...                           random_state=0).fit(X, X.ravel() ** 2)
    >>> onx = to_onnx(reg, X[:1])
    >>> [node.name for node in onx.graph.output]
    ['variable']
    """
    check_is_fitted(model)
    for step in model.steps if isinstance(model, Pipeline) else [("", model)]:
        if isinstance(step[1], _TABULAR):
            _refuse_categoricals(step[1])
    if not hasattr(X_sample, "columns"):
        X_sample = np.asarray(X_sample, dtype=np.float32)
    _check_sample(model, X_sample)
    return _skl2onnx_to_onnx(model, X_sample, **kwargs)


_TABULAR = (TabularMLPClassifier, TabularMLPRegressor)


def _refuse_categoricals(model):
    """Raise NotImplementedError for a tabular model with categorical columns."""
    check_is_fitted(model)
    names = tabular_graph.categorical_names(model)
    if names:
        raise NotImplementedError(
            f"Cannot export {type(model).__name__} to ONNX: it was fitted with "
            f"the categorical columns {names}. Its encoder reads their values "
            "(strings or categories) and maps each level to one-hot, ±1 or "
            "embedding codes, which the export does not implement (ONNX would "
            "need one string input per column and a LabelEncoder for each). "
            "Only models fitted on numeric columns export: encode the "
            "categorical columns as numbers first (for example with sklearn's "
            "OneHotEncoder or OrdinalEncoder in a Pipeline, which skl2onnx "
            "converts) and fit with categorical_features=None."
        )


def _check_sample(model, X_sample):
    """Raise a ValueError unless ``X_sample`` has the model's columns."""
    # A pipeline without n_features_in_ (its first step has none) is unchecked.
    n_features = getattr(model, "n_features_in_", None)
    shape = X_sample.shape
    wrong_width = len(shape) == 2 and n_features not in (None, shape[1])
    if len(shape) != 2 or wrong_width:
        columns = "columns" if n_features is None else f"{n_features} columns"
        raise ValueError(
            f"X_sample has shape {shape}; expected a 2-D sample of rows of "
            f"{columns} (the model's n_features_in_)."
        )
    names = getattr(model, "feature_names_in_", None)
    # The graph takes its inputs in X_sample's order, not by name.
    if hasattr(X_sample, "columns") and names is not None:
        if list(X_sample.columns) != list(names):
            raise ValueError(
                f"X_sample's columns {list(X_sample.columns)} are not the "
                f"model's feature_names_in_ {list(names)}, in that order."
            )


# ----------------------------------------------------------------- the graph


class _Graph:
    """Adds initializers and nodes to an skl2onnx container in one dtype."""

    def __init__(self, scope, container, dtype):
        self.scope, self.container = scope, container
        self.dtype = np.dtype(dtype)
        self.proto = _PROTO[self.dtype.type]

    def const(self, value, name="const", dtype=None):
        """Add an initializer, in the graph's dtype unless ``dtype`` is given."""
        value = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        tensor_name = self.scope.get_unique_variable_name(name)
        if value.dtype.kind == "U":
            content = [v.encode("utf-8") for v in value.ravel().tolist()]
            proto = _TensorProto.STRING
            self.container.add_initializer(tensor_name, proto, value.shape, content)
        else:
            # raw bytes: exact for every dtype, uint64 beyond 2**63 included
            tensor = numpy_helper.from_array(value)
            self.container.add_initializer(tensor_name, None, value.shape, tensor)
        return tensor_name

    def node(self, op_type, inputs, output=None, op_domain="", **attrs):
        if output is None:
            output = self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(
            op_type,
            inputs,
            output,
            op_domain=op_domain,
            name=self.scope.get_unique_operator_name(op_type),
            **attrs,
        )
        return output


def _gelu(g, Z):
    # z * Phi(z) with Phi(z) = (1 + erf(z / sqrt 2)) / 2: the exact GELU.
    scaled = g.node("Mul", [Z, g.const(_SQRT_HALF)])
    if g.proto == _TensorProto.DOUBLE:
        # onnxruntime has no float64 Erf: evaluate it in float32.
        scaled = g.node("Cast", [scaled], to=_TensorProto.FLOAT)
        erf = g.node("Cast", [g.node("Erf", [scaled])], to=_TensorProto.DOUBLE)
    else:
        erf = g.node("Erf", [scaled])
    cdf = g.node("Mul", [g.node("Add", [erf, g.const(1.0)]), g.const(0.5)])
    return g.node("Mul", [Z, cdf])


def _leaky_relu_double(g, Z):
    return g.node("Max", [Z, g.node("Mul", [Z, g.const(0.01)])])


def _elu_double(g, Z):
    # max(z, 0) + e^min(z, 0) - 1: exactly z above 0, and exp never overflows
    negative = g.node("Exp", [g.node("Min", [Z, g.const(0.0)])])
    return g.node("Add", [g.node("Relu", [Z]), g.node("Sub", [negative, g.const(1.0)])])


def _softplus_double(g, Z):
    # max(z, 0) + log(1 + e^-|z|), which cannot overflow
    tail = g.node("Exp", [g.node("Neg", [g.node("Abs", [Z])])])
    tail = g.node("Log", [g.node("Add", [tail, g.const(1.0)])])
    return g.node("Add", [g.node("Relu", [Z]), tail])


def _operator_or(op_type, double, **attrs):
    """The activation as the single ``op_type``, or ``double`` in float64 graphs.

    onnxruntime has no float64 kernel for these operators.
    """

    def activation(g, Z):
        if g.proto == _TensorProto.DOUBLE:
            return double(g, Z)
        return g.node(op_type, [Z], **attrs)

    return activation


HIDDEN_ACTIVATIONS = {
    "identity": lambda g, Z: Z,
    "logistic": lambda g, Z: g.node("Sigmoid", [Z]),
    "tanh": lambda g, Z: g.node("Tanh", [Z]),
    "relu": lambda g, Z: g.node("Relu", [Z]),
    "leaky_relu": _operator_or("LeakyRelu", _leaky_relu_double, alpha=0.01),
    "elu": _operator_or("Elu", _elu_double, alpha=1.0),
    "softplus": _operator_or("Softplus", _softplus_double),
    "gelu": _gelu,
    "silu": lambda g, Z: g.node("Mul", [Z, g.node("Sigmoid", [Z])]),
}
"""ONNX subgraphs of the hidden activations, by the names of
:data:`sknn_scratch.nn.activations.ACTIVATIONS`."""

OUTPUT_ACTIVATIONS = {
    "identity": lambda g, Z: Z,
    "logistic": lambda g, Z: g.node("Sigmoid", [Z]),
    "softmax": lambda g, Z: g.node("Softmax", [Z], axis=1),
    "exp": lambda g, Z: g.node("Exp", [Z]),
}
"""ONNX subgraphs of the output activations, by ``out_activation_``."""


def _inference_steps(model):
    """The fitted layers as ONNX steps, in float64.

    ``("affine", W, b)`` for a dense layer, with a batch norm after it folded
    in, and ``("activation", name)``; layers that are the identity at
    prediction (dropout) are left out.
    """
    params, stats = (np.asarray(v, np.float64) for v in model._current_params())
    steps = []
    for layer in Network.from_spec(model._architecture).layers:
        if isinstance(layer, Dense):
            steps.append(["affine", *layer.views(params)])
        elif isinstance(layer, BatchNorm):
            steps[-1][1:] = _fold(steps[-1][1:], layer, params, stats)
        elif isinstance(layer, ActivationLayer):
            steps.append(["activation", layer.function.name])
        elif type(layer).infer is not Layer.infer:
            raise NotImplementedError(f"No ONNX export for layer {layer.name!r}.")
    return steps


def _fold(affine, norm, params, stats):
    """``(W, b)`` of a dense layer followed by batch norm ``norm``."""
    W, b = affine
    gamma, beta = norm.views(params)
    mean, var = norm.stat_views(stats)
    scale = gamma / np.sqrt(var + norm.eps)
    return [W * scale, (b - mean) * scale + beta]


def _hidden_activation(name):
    if name not in HIDDEN_ACTIVATIONS:
        raise NotImplementedError(
            f"No ONNX export for activation {name!r}; expected one of "
            f"{sorted(HIDDEN_ACTIVATIONS)}."
        )
    return HIDDEN_ACTIVATIONS[name]


def _forward(g, model, X):
    """Add the network to the graph; return the name of its output."""
    A = X
    for kind, *values in _inference_steps(model):
        if kind == "affine":
            W, b = values
            A = g.node("Add", [g.node("MatMul", [A, g.const(W, "coef")]), g.const(b)])
        else:
            A = _hidden_activation(values[0])(g, A)
    return OUTPUT_ACTIVATIONS[model.out_activation_](g, A)


def _input_dtype(operator):
    # float64 inputs keep the graph in float64; anything else computes in float32
    double = all(isinstance(v.type, DoubleTensorType) for v in operator.inputs)
    return np.float64 if double else np.float32


def _graph_and_input(scope, operator, container):
    """Start the graph; return it and the input as one matrix in its dtype.

    Several inputs (one per column of a DataFrame) are concatenated, and must
    be the model's ``feature_names_in_`` in that order.
    """
    names = getattr(operator.raw_operator, "feature_names_in_", None)
    inputs = [variable.raw_name for variable in operator.inputs]
    if len(inputs) > 1 and names is not None and inputs != list(names):
        raise ValueError(
            f"The inputs {inputs} are not the model's feature_names_in_ "
            f"{list(names)}, in that order."
        )
    g = _Graph(scope, container, _input_dtype(operator))
    columns = []
    for variable in operator.inputs:
        column = variable.full_name
        if _TENSOR_TYPE[g.dtype.type] is not type(variable.type):
            column = g.node("Cast", [column], to=g.proto)
        columns.append(column)
    if len(columns) == 1:
        return g, columns[0]
    return g, g.node("Concat", columns, axis=1)


# ------------------------------------------------------ classifier converter


def _is_multilabel(model):
    # the tabular classifier has no out_activation_: it is never multilabel
    logistic = getattr(model, "out_activation_", None) == "logistic"
    return logistic and model.n_outputs_ > 1


def _n_proba_columns(model):
    # One logistic output gives two columns, as predict_proba returns them, also
    # for a single-class model.
    return max(model.n_outputs_, 2)


def _labels(owner, model):
    """Return the exported class labels and their tensor type.

    The labels keep the dtype of ``classes_``, which is that of ``predict``.
    ``owner`` (the scope or the container) holds the conversion options. With
    skl2onnx's ``nocl`` option, and for multilabel models, the labels are the
    int64 class indices.
    """
    classes = np.asarray(model.classes_)
    if _is_multilabel(model) or owner.get_options(model, {"nocl": False})["nocl"]:
        classes = np.arange(len(classes), dtype=np.int64)
    if classes.dtype.kind in "UO" and all(isinstance(c, str) for c in classes):
        return classes.astype(str), StringTensorType
    if classes.dtype not in _LABEL_TYPE:
        raise ValueError(
            f"Cannot export class labels of dtype {classes.dtype}: ONNX labels are "
            f"strings or one of {sorted(str(d) for d in _LABEL_TYPE)}. Fit on y "
            "cast to one of these."
        )
    return classes, _LABEL_TYPE[classes.dtype]


def _check_zipmap(model):
    """Refuse the models whose labels skl2onnx's ZipMap would get wrong."""
    if _is_multilabel(model):
        raise ValueError("A multilabel classifier cannot be exported with ZipMap.")
    if len(model.classes_) == 1:
        raise ValueError(
            "A single-class classifier cannot be exported with ZipMap: its "
            "two probability columns have only one class label."
        )
    classes = np.asarray(model.classes_)
    if classes.dtype.kind in "biuf" and not all(
        v == int(v) and -(2**63) <= v < 2**63 for v in classes.tolist()
    ):
        raise ValueError(
            f"With ZipMap the labels are int64, which cannot hold the classes "
            f"{classes}; export without ZipMap to keep their dtype."
        )


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    """Declare ``label`` and ``probabilities``, with no ZipMap unless asked."""
    check_is_fitted(model)
    options = scope.get_options(model, {"zipmap": False})
    if options["zipmap"] is not False:
        _check_zipmap(model)
        return _parse_sklearn_classifier(scope, model, inputs, custom_parsers)
    operator = scope.declare_local_operator(get_model_alias(type(model)), model)
    operator.inputs = inputs
    label = scope.declare_local_variable("label", _labels(scope, model)[1]())
    proba = scope.declare_local_variable("probabilities", FloatTensorType())
    operator.outputs.extend([label, proba])
    return operator.outputs


_CLASSIFIERS = (ScratchMLPClassifier, TabularMLPClassifier)


def _wrap_pipeline_parser(parse_pipeline):
    """Make pipelines ask our classifier steps for no ZipMap by default.

    skl2onnx's pipeline parser gives every classifier step the pipeline's
    ``zipmap`` option, ``True`` unless set, when no option names the step.
    This wrapper gives our classifiers ``False`` instead, then delegates.
    """
    if getattr(parse_pipeline, "_sknn_scratch", False):
        return parse_pipeline

    def parse(scope, model, inputs, custom_parsers=None):
        for _, step in model.steps:
            named = scope.options is not None and (
                id(step) in scope.options or type(step) in scope.options
            )
            if isinstance(step, _CLASSIFIERS) and not named:
                scope.add_options(id(step), scope.get_options(model, {"zipmap": False}))
        return parse_pipeline(scope, model, inputs, custom_parsers=custom_parsers)

    parse._sknn_scratch = True
    return parse


def _classifier_shapes(operator):
    check_input_and_output_numbers(
        operator, input_count_range=[1, None], output_count_range=2
    )
    model = operator.raw_operator
    n_samples = operator.inputs[0].get_first_dimension()
    label_type = _labels(operator.scope_inst, model)[1]
    if _is_multilabel(model):
        operator.outputs[0].type = label_type([n_samples, model.n_outputs_])
    else:
        operator.outputs[0].type = label_type([n_samples])
    proba_type = _TENSOR_TYPE[_input_dtype(operator)]
    operator.outputs[1].type = proba_type([n_samples, _n_proba_columns(model)])


def _convert_classifier(scope, operator, container):
    model = operator.raw_operator
    g, X = _graph_and_input(scope, operator, container)
    P = _forward(g, model, X)
    label, proba = (v.full_name for v in operator.outputs)
    if model.out_activation_ == "softmax":
        g.node("Identity", [P], proba)
        index = g.node("ArgMax", [P], axis=1, keepdims=0)
    else:
        # LabelBinarizer's threshold: a label is on when p > 0.5.
        positive = g.node("Greater", [P, g.const(0.5)])
        index = g.node("Cast", [positive], to=_TensorProto.INT64)
        if _is_multilabel(model):
            g.node("Identity", [P], proba)
            g.node("Identity", [index], label)
            return
        g.node("Concat", [g.node("Sub", [g.const(1.0), P]), P], proba, axis=1)
        index = g.node("Reshape", [index, g.const([-1], dtype=np.int64)])
    _gather_labels(g, model, index, label)


def _gather_labels(g, model, index, label):
    """Write the labels of the class indices ``index`` to ``label``."""
    classes = _labels(g.container, model)[0]
    if len(classes) == 1:
        # predict gives the one class whichever side of 0.5 the output is.
        classes = np.repeat(classes, 2)
    g.node("Gather", [g.const(classes, "classes", classes.dtype), index], label, axis=0)


# ------------------------------------------------------- regressor converter


def _regressor_shapes(operator):
    check_input_and_output_numbers(
        operator, input_count_range=[1, None], output_count_range=1
    )
    model = operator.raw_operator
    check_is_fitted(model)
    n_samples = operator.inputs[0].get_first_dimension()
    out_type = _TENSOR_TYPE[_input_dtype(operator)]
    operator.outputs[0].type = out_type([n_samples, model.n_outputs_])


def _convert_regressor(scope, operator, container):
    g, X = _graph_and_input(scope, operator, container)
    g.node(
        "Identity",
        [_forward(g, operator.raw_operator, X)],
        operator.outputs[0].full_name,
    )


# ---------------------------------------------------- tabular converters


def _tabular_classifier_shapes(operator):
    check_input_and_output_numbers(
        operator, input_count_range=[1, None], output_count_range=2
    )
    model = operator.raw_operator
    _refuse_categoricals(model)
    n_samples = operator.inputs[0].get_first_dimension()
    label_type = _labels(operator.scope_inst, model)[1]
    operator.outputs[0].type = label_type([n_samples])
    proba_type = _TENSOR_TYPE[_input_dtype(operator)]
    operator.outputs[1].type = proba_type([n_samples, len(model.classes_)])


def _convert_tabular_classifier(scope, operator, container):
    model = operator.raw_operator
    g, X = _graph_and_input(scope, operator, container)
    P = tabular_graph.probabilities(g, model, X)
    label, proba = (v.full_name for v in operator.outputs)
    g.node("Identity", [P], proba)
    _gather_labels(g, model, g.node("ArgMax", [P], axis=1, keepdims=0), label)


def _tabular_regressor_shapes(operator):
    check_input_and_output_numbers(
        operator, input_count_range=[1, None], output_count_range=1
    )
    model = operator.raw_operator
    _refuse_categoricals(model)
    n_samples = operator.inputs[0].get_first_dimension()
    out_type = _TENSOR_TYPE[_input_dtype(operator)]
    operator.outputs[0].type = out_type([n_samples, len(model.target_mean_)])


def _convert_tabular_regressor(scope, operator, container):
    g, X = _graph_and_input(scope, operator, container)
    Y = tabular_graph.regression(g, operator.raw_operator, X)
    g.node("Identity", [Y], operator.outputs[0].full_name)


_CLASSIFIER_OPTIONS = {"zipmap": [False, True, "columns"], "nocl": [False, True]}

update_registered_converter(
    ScratchMLPClassifier,
    "SknnScratchMLPClassifier",
    _classifier_shapes,
    _convert_classifier,
    parser=_parse_classifier,
    options=_CLASSIFIER_OPTIONS,
)
update_registered_converter(
    ScratchMLPRegressor,
    "SknnScratchMLPRegressor",
    _regressor_shapes,
    _convert_regressor,
)
update_registered_converter(
    TabularMLPClassifier,
    "SknnScratchTabularMLPClassifier",
    _tabular_classifier_shapes,
    _convert_tabular_classifier,
    parser=_parse_classifier,
    options=_CLASSIFIER_OPTIONS,
)
update_registered_converter(
    TabularMLPRegressor,
    "SknnScratchTabularMLPRegressor",
    _tabular_regressor_shapes,
    _convert_tabular_regressor,
)
update_registered_parser(Pipeline, _wrap_pipeline_parser(sklearn_parsers_map[Pipeline]))
