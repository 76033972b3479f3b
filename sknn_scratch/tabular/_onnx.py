r"""The ONNX graph of a fitted tabular estimator, used by :mod:`sknn_scratch.onnx`.

The functions add nodes to a graph ``g`` of :mod:`sknn_scratch.onnx` (its
``node``, ``const``, ``dtype``, ``proto`` and ``container``):

- :func:`encoded_inputs` is :meth:`TableEncoder.transform
  <sknn_scratch.tabular._encoder.TableEncoder.transform>` for a table of
  numeric columns, computed in float64 whatever the graph's dtype, as the
  encoder does;
- :func:`member_outputs` is the packed network with the k members on a
  leading axis: ``(k, n, width)`` from the ensemble adapter on, so each dense
  layer is one broadcasting ``MatMul`` and the head one batched ``MatMul``;
- :func:`probabilities` and :func:`regression` average the members as
  ``predict_proba`` and ``predict`` do.
"""

import numpy as np
from onnx import TensorProto

from ..nn.tabular import (
    _SELU_ALPHA,
    _SELU_SCALE,
    TWO_PI,
    EnsembleAdapter,
    EnsembleHead,
    KeyedDropout,
    NTKDense,
    ParametricActivation,
    Scale,
    TabularEmbedding,
)
from ._encoder import _BIG, CLIP

_OPSET_18 = 18
"""``Mish`` appears, and ``ReduceMean`` takes its axes as an input."""
_MISH_CLIP = 20.0
"""Above this, :math:`\\tanh(\\operatorname{softplus}(z)) = 1` in float64."""


def categorical_names(model):
    """The names of the columns a tabular model's encoder reads as categories."""
    encoder = model.encoder_
    names = encoder._input_names()
    return [str(names[j]) for j in encoder.categorical_columns_]


# ------------------------------------------------------------------ encoder


def _double(g, value):
    return g.const(value, "encoder", np.float64)


def _smooth_clip(g, Z):
    ratio = g.node("Div", [Z, _double(g, CLIP)])
    spread = g.node("Add", [_double(g, 1.0), g.node("Mul", [ratio, ratio])])
    return g.node("Div", [Z, g.node("Sqrt", [spread])])


def encoded_inputs(g, encoder, X):
    """The encoded continuous columns and missing indicators (None if none).

    ``X`` holds the numeric columns, NaN where missing. Like the encoder, the
    scaling runs in float64, then casts to the graph's dtype.
    """
    double = g.dtype == np.float64
    Z = X if double else g.node("Cast", [X], to=TensorProto.DOUBLE)
    Z = g.node("Sub", [Z, _double(g, encoder.medians_)])
    Z = g.node("Mul", [Z, _double(g, encoder.scales_)])
    # NaN (missing, or 0 * inf in a constant column) becomes the median, 0
    Z = g.node("Where", [g.node("IsNaN", [Z]), _double(g, 0.0), Z])
    Z = g.node("Min", [g.node("Max", [Z, _double(g, -_BIG)]), _double(g, _BIG)])
    if encoder.scaling == "robust":
        Z = _smooth_clip(g, Z)
    continuous = Z if double else g.node("Cast", [Z], to=g.proto)
    columns = np.asarray(encoder.missing_indicator_columns_, dtype=np.int64)
    if columns.size == 0:
        return continuous, None
    missing = g.node("Cast", [g.node("IsNaN", [X])], to=g.proto)
    indices = g.const(columns, "indicator_columns", np.int64)
    return continuous, g.node("Gather", [missing, indices], axis=1)


# ------------------------------------------------------------------ network


def _embedding(g, layer, views, continuous, indicators):
    """``[x, p(x), indicators]``: the embedding without categorical codes."""
    if layer.cardinalities:
        raise NotImplementedError("No ONNX export of categorical embeddings.")
    parts = [continuous]
    if layer.periodic:
        parts.append(_periodic(g, layer, views[:4], continuous))
    if indicators is not None:
        parts.append(indicators)
    return parts[0] if len(parts) == 1 else g.node("Concat", parts, axis=1)


def _periodic(g, layer, views, xc):
    r"""``(n, F q)``: :math:`\cos(2\pi w x + \phi) L / \sqrt m + \beta` per feature."""
    w, phi, L, beta = views
    F, q = layer.n_continuous, layer.n_periodic
    shape = g.const([0, F, 1], "shape", np.int64)
    theta = g.node("Mul", [g.node("Reshape", [xc, shape]), g.const(TWO_PI * w)])
    theta = g.node("Add", [theta, g.const(phi, "phases")])  # (n, F, m)
    U = g.node("Transpose", [g.node("Cos", [theta])], perm=[1, 0, 2])
    coefs = g.const(L / np.sqrt(layer.n_frequencies), "periodic_coefs")
    P = g.node("Add", [g.node("MatMul", [U, coefs]), g.const(beta[:, None])])
    P = g.node("Transpose", [P], perm=[1, 0, 2])  # (n, F, q)
    return g.node("Reshape", [P, g.const([0, F * q], "shape", np.int64)])


def _scale(g, layer, views, A):
    return g.node("Mul", [A, g.const(views[0], "scales")])


def _adapter(g, layer, views, A):
    """``(k, n, width)``: member m's copy is scaled by :math:`r_m`."""
    return g.node("Mul", [A, g.const(views[0][:, np.newaxis, :], "adapters")])


def _dense(g, layer, views, A):
    W, b = views
    Z = g.node("MatMul", [A, g.const(W * layer.c, "coef")])
    return g.node("Add", [Z, g.const(b, "intercept")])


def _head(g, layer, views, A):
    """``(k, n, n_out)``: one batched product (``A`` broadcasts when k = 1)."""
    W, b = views
    Z = g.node("MatMul", [A, g.const(W * layer.c, "head_coef")])
    return g.node("Add", [Z, g.const(b[:, np.newaxis, :], "head_intercept")])


def _selu(g, Z):
    if g.dtype == np.float32:
        return g.node("Selu", [Z], alpha=_SELU_ALPHA, gamma=_SELU_SCALE)
    # onnxruntime has no float64 Selu: lambda max(z, 0) + lambda alpha (e^min(z, 0) - 1)
    negative = g.node("Exp", [g.node("Min", [Z, g.const(0.0)])])
    negative = g.node("Sub", [negative, g.const(1.0)])
    negative = g.node("Mul", [negative, g.const(_SELU_SCALE * _SELU_ALPHA)])
    positive = g.node("Mul", [g.node("Relu", [Z]), g.const(_SELU_SCALE)])
    return g.node("Add", [positive, negative])


def _mish(g, Z):
    r""":math:`z \tanh(\operatorname{softplus}(z)) = z \frac{u(u+2)}{u(u+2)+2}`,
    :math:`u = e^{\min(z, 20)}`, as :func:`~sknn_scratch.nn.tabular.mish`."""
    if g.dtype == np.float32 and g.container.target_opset >= _OPSET_18:
        return g.node("Mish", [Z])
    # onnxruntime has no float64 Mish, and older opsets none at all
    u = g.node("Exp", [g.node("Min", [Z, g.const(_MISH_CLIP)])])
    n = g.node("Mul", [u, g.node("Add", [u, g.const(2.0)])])
    t = g.node("Div", [n, g.node("Add", [n, g.const(2.0)])])
    return g.node("Mul", [Z, t])


PARAMETRIC_ACTIVATIONS = {"selu": _selu, "mish": _mish}
"""ONNX subgraphs of :data:`sknn_scratch.nn.tabular.PARAMETRIC_FUNCTIONS`."""


def _activation(g, layer, views, Z):
    r""":math:`f(z)`, or :math:`z + \alpha (f(z) - z)` when trainable."""
    if layer.function not in PARAMETRIC_ACTIVATIONS:
        raise NotImplementedError(f"No ONNX export for activation {layer.function!r}.")
    F = PARAMETRIC_ACTIVATIONS[layer.function](g, Z)
    if not layer.trainable:
        return F
    blend = g.node("Mul", [g.node("Sub", [F, Z]), g.const(views[0], "mixes")])
    return g.node("Add", [Z, blend])


LAYERS = {
    Scale: _scale,
    EnsembleAdapter: _adapter,
    NTKDense: _dense,
    ParametricActivation: _activation,
    KeyedDropout: lambda g, layer, views, A: A,  # the identity at inference
    EnsembleHead: _head,
}
"""ONNX subgraphs of the tabular layers after the embedding, by class."""


def member_outputs(g, model, X):
    """The members' outputs before the output activation, ``(k, n, n_outputs)``."""
    network = model._network_for_prediction()
    params = np.asarray(model._params, dtype=np.float64)
    embedding, *layers = network.layers
    if not isinstance(embedding, TabularEmbedding):
        raise NotImplementedError(f"No ONNX export for layer {embedding.name!r}.")
    continuous, indicators = encoded_inputs(g, model.encoder_, X)
    A = _embedding(g, embedding, embedding.views(params), continuous, indicators)
    for layer in layers:
        if type(layer) not in LAYERS:
            raise NotImplementedError(f"No ONNX export for layer {layer.name!r}.")
        A = LAYERS[type(layer)](g, layer, layer.views(params), A)
    return A


def _mean_over_members(g, Z):
    if g.container.target_opset >= _OPSET_18:
        axes = g.const([0], "axes", np.int64)
        return g.node("ReduceMean", [Z, axes], keepdims=0)
    return g.node("ReduceMean", [Z], axes=[0], keepdims=0)


def probabilities(g, model, X):
    """``predict_proba``: the mean of the members' softmax of logits / T."""
    Z = g.node("Div", [member_outputs(g, model, X), g.const(model.temperature_)])
    # axis 2 is the last axis: the same softmax in every opset
    P = _mean_over_members(g, g.node("Softmax", [Z], axis=2))
    if len(model.classes_) == 1:
        # one class is certain: predict_proba's column of ones, from P's shape
        P = g.node("Gather", [P, g.const([0], "first", np.int64)], axis=1)
        P = g.node("Add", [g.node("Mul", [P, g.const(0.0)]), g.const(1.0)])
    return P


def regression(g, model, X):
    """``predict`` as ``(n, n_outputs)``: the members' mean, unscaled, clipped."""
    Y = _mean_over_members(g, member_outputs(g, model, X))
    Y = g.node("Mul", [Y, g.const(model.target_scale_, "target_scale")])
    Y = g.node("Add", [Y, g.const(model.target_mean_, "target_mean")])
    if model.scale_target:
        Y = g.node("Max", [Y, g.const(model.target_min_, "target_min")])
        Y = g.node("Min", [Y, g.const(model.target_max_, "target_max")])
    return Y
