r"""A list of layers over one flat parameter vector.

Layout
------
A network is a list of :mod:`~sknn_scratch.nn.layers`; each declares the
blocks of parameters (and of running statistics) it needs, and the network
lays them out in two contiguous 1-D arrays, ``params`` and ``stats``
(:class:`Layout`). The blocks are grouped by the fitted attribute they appear
under, in the order the attributes first appear, decayed blocks first; within
an attribute they go layer by layer. For a multilayer perceptron that is
every dense layer's weight matrix (row-major), then every bias vector, then
the batch-norm scales :math:`\gamma` and shifts :math:`\beta`. The gradient
has the same layout. Views into the vector serve as each layer's parameters,
so updating ``params`` updates every layer at once, and the L2 penalty is one
dot product over the leading ``n_weights`` entries. Batch-norm running
statistics, which are not trained by gradient, live in ``stats``.

Forward
-------
With :math:`A_0 = X`, each hidden layer is Dense, then optionally BatchNorm,
then the activation, then optionally Dropout:

.. math::

    Z_l = A_{l-1} W_l + b_l, \qquad A_l = f(\mathrm{BN}(Z_l)) \odot M_l,

and the output layer is :math:`P = g(A_{L-1} W_L + b_L)` with :math:`g` the
loss's canonical output activation.

Backward
--------
The objective is the weighted mean loss plus an L2 penalty on the dense
weights (not the biases or batch-norm parameters), both divided by the weight
sum :math:`S = \sum_i w_i`:

.. math::

    J = \frac{1}{S} \left( \sum_i w_i \ell_i
        + \frac{\alpha}{2} \sum_l \lVert W_l \rVert_F^2 \right).

Backpropagation carries :math:`\Delta = \partial J / \partial(\cdot)`
backwards through the layers, starting from the loss's output delta scaled by
each sample's share of the objective,
:math:`\Delta_L = (w / S) \odot \partial \ell / \partial Z_L`; each layer's
docstring in :mod:`sknn_scratch.nn.layers` gives its step. For the plain
stack this is

.. math::

    \frac{\partial J}{\partial W_l} = A_{l-1}^\top \Delta_l
        + \frac{\alpha}{S} W_l,
    \qquad
    \frac{\partial J}{\partial b_l} = \mathbf{1}^\top \Delta_l,
    \qquad
    \Delta_{l-1} = (\Delta_l W_l^\top) \odot f'(Z_{l-1}).

Scaling the small output delta by :math:`w / S` once, rather than dividing
the whole gradient by :math:`S` at the end, saves a pass over every parameter.
"""

import numpy as np

from ._blas import axpy
from ._errors import quiet_numerics
from .activations import get_output_activation
from .layers import (
    ActivationLayer,
    BatchNorm,
    Dense,
    Dropout,
    Layer,
    Pass,
    Workspace,
    build_layer,
)
from .losses import get_loss

__all__ = [
    "Layout",
    "Network",
    "Workspace",
    "build_mlp",
    "mlp_attributes",
    "mlp_layers",
    "upgrade_legacy_state",
]


def _weight_sum(X, sample_weight):
    return X.shape[0] if sample_weight is None else float(sample_weight.sum())


class Layout:
    """Where every block of a list of layers sits in one flat vector.

    Parameters
    ----------
    layers : list of Layer
        The layers, in order.
    kind : {"parameters", "statistics"}
        Which of each layer's blocks to lay out.

    Attributes
    ----------
    size : int
        The length of the flat vector.
    n_decayed : int
        The length of its leading run of decayed blocks.
    entries : list of (str, int, slice, tuple)
        ``(attribute, layer index, slice, shape)`` of each block, in vector
        order.
    by_layer : list of list of slice
        Each layer's slices, in the order the layer declared its blocks.
    """

    def __init__(self, layers, kind):
        declared = [list(getattr(layer, kind)()) for layer in layers]
        blocks = [(i, j, b) for i, bs in enumerate(declared) for j, b in enumerate(bs)]
        names = list(dict.fromkeys(block.attribute for _, _, block in blocks))
        blocks.sort(key=lambda e: (not e[2].decay, names.index(e[2].attribute), e[0]))
        self.entries, start = [], 0
        self.by_layer = [[None] * len(bs) for bs in declared]
        for i, j, block in blocks:
            part = self.by_layer[i][j] = slice(start, start + block.size)
            self.entries.append((block.attribute, i, part, block.shape))
            start += block.size
        self.size = start
        self.n_decayed = sum(block.size for _, _, block in blocks if block.decay)

    @property
    def attributes(self) -> tuple:
        """The attribute names, in vector order."""
        return tuple(dict.fromkeys(e[0] for e in self.entries))

    def shapes(self) -> dict:
        """``{attribute: [shape, ...]}``, one shape per layer that has it."""
        shapes = {name: [] for name in self.attributes}
        for name, _, _, shape in self.entries:
            shapes[name].append(shape)
        return shapes

    def unpack(self, vector) -> dict:
        """``{attribute: [view, ...]}``: views of ``vector``, layer by layer."""
        views = {name: [] for name in self.attributes}
        for name, _, part, shape in self.entries:
            views[name].append(vector[part].reshape(shape))
        return views

    def pack(self, arrays, dtype) -> np.ndarray:
        """Return a new vector holding ``arrays`` (``{attribute: [array, ...]}``)."""
        vector = np.empty(self.size, dtype=dtype)
        views = self.unpack(vector)
        for name in self.attributes:
            for view, value in zip(views[name], arrays[name], strict=True):
                view[...] = value
        return vector

    def named_slices(self):
        """Yield ``("coefs_[0]", slice)`` for each block, in vector order."""
        counts = dict.fromkeys(self.attributes, 0)
        for name, _, part, _ in self.entries:
            yield f"{name}[{counts[name]}]", part
            counts[name] += 1


class Network:
    """A list of layers whose parameters are one flat vector.

    The network holds no parameters itself: every method takes ``params``, so
    one network can serve scipy's solvers, the minibatch loop and prediction.

    Parameters
    ----------
    layers : list of Layer
        The layers, input first; each is placed into this network's layout.
    loss : str or Loss, default="squared_error"
        A key of :data:`~sknn_scratch.nn.losses.LOSSES`.
    output_activation : str, default=None
        A key of :data:`~sknn_scratch.nn.activations.OUTPUT_ACTIVATIONS`;
        ``None`` takes the loss's canonical one.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn.layers import ActivationLayer, Dense
    >>> net = Network([Dense(3, 4), ActivationLayer("tanh"), Dense(4, 2)], "log_loss")
    >>> net.n_params
    26
    >>> params = net.init_params(np.random.RandomState(0))
    >>> net.predict(params, np.ones((5, 3))).sum(axis=1)
    array([1., 1., 1., 1., 1.])
    """

    def __init__(self, layers, loss="squared_error", output_activation=None):
        self.layers = list(layers)
        self.loss = get_loss(loss)
        self.output_activation = get_output_activation(
            output_activation or self.loss.output_activation
        )
        self.params_layout = Layout(self.layers, "parameters")
        self.stats_layout = Layout(self.layers, "statistics")
        for layer, parts, stat_parts in zip(
            self.layers,
            self.params_layout.by_layer,
            self.stats_layout.by_layer,
            strict=True,
        ):
            layer.place(parts, stat_parts)
        self.n_params, self.n_stats = self.params_layout.size, self.stats_layout.size
        self.n_weights = self.params_layout.n_decayed
        self.drawing = _overriding(self.layers, "draw")
        self.stepping = _overriding(self.layers, "end_step")
        # every layer but the first, last to first (the first needs no dX)
        self._backward_order = self.layers[:0:-1]

    @classmethod
    def from_spec(cls, spec, loss="squared_error", output_activation=None):
        """Rebuild a network from :attr:`spec`."""
        return cls([build_layer(s) for s in spec], loss, output_activation)

    @property
    def spec(self) -> tuple:
        """The layers' specs: what :meth:`from_spec` rebuilds the network from."""
        return tuple(layer.spec() for layer in self.layers)

    # -------------------------------------------------------------- parameters

    def unpack(self, params):
        """``{attribute: [view, ...]}`` of the parameter blocks."""
        return self.params_layout.unpack(params)

    def unpack_stats(self, stats):
        """``{attribute: [view, ...]}`` of the running statistics."""
        return self.stats_layout.unpack(stats)

    def pack(self, arrays, dtype=None):
        """Return new ``(params, stats)`` holding ``{attribute: [array, ...]}``."""
        if dtype is None:
            dtype = np.result_type(*[a for name in arrays for a in arrays[name]])
        params = self.params_layout.pack(arrays, dtype)
        return params, self.stats_layout.pack(arrays, dtype)

    def init_params(self, rng, dtype=np.float64):
        """Return freshly initialized parameters.

        Each layer sets its blocks in turn: start values, or draws from
        ``rng`` (a dense layer draws ``W`` then ``b``, sklearn's order).
        """
        params = np.zeros(self.n_params, dtype=dtype)
        for layer in self.layers:
            layer.initialize(rng, layer.views(params))
        return params

    def init_stats(self, dtype=np.float64):
        """Return the running statistics at their start values."""
        stats = np.zeros(self.n_stats, dtype=dtype)
        for layer in self.layers:
            for view, block in zip(
                layer.stat_views(stats), layer.statistics(), strict=True
            ):
                view[...] = block.start
        return stats

    # ----------------------------------------------------------------- passes

    def forward(self, params, X, workspace=None, ctx=None, logits=False):
        """Run a training pass and return the output activations.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            The flat parameter vector.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            The input batch.
        workspace : Workspace, default=None
            Buffers and caches; a new one if None.
        ctx : Pass, default=None
            The sample weights; none if None.
        logits : bool, default=False
            Return the output layer's pre-activation instead.

        Returns
        -------
        P : ndarray of shape (n_samples, n_outputs)
            The network's prediction.
        """
        workspace = workspace or Workspace(X.shape[0], params.dtype)
        ctx = ctx or Pass(weight_sum=X.shape[0])
        A = X
        for layer in self.layers:
            A = layer.forward(params, A, workspace, ctx)
        return A if logits else self.output_activation.forward(A, A)

    def predict(self, params, X, stats=None, logits=False):
        """Return the output activations (or ``logits``) for ``X`` at inference."""
        # Each layer's ``infer`` allocates its output and works in place on
        # it: no workspace to build, which is most of the cost for one row.
        A = X
        for layer in self.layers:
            A = layer.infer(params, A, stats)
        return A if logits else self.output_activation.forward(A, A)

    def draw(self, workspace, rng, n):
        """Draw the random parts of a training pass (dropout masks) for ``n``
        rows; they serve until drawn again."""
        for layer in self.drawing:
            layer.draw(workspace, rng, n)

    def loss_and_grad(
        self,
        params,
        X,
        Y,
        sample_weight=None,
        alpha=0.0,
        grad=None,
        workspace=None,
        weight_sum=None,
    ):
        """Return the objective :math:`J` of a training pass and its gradient.

        Batch norm uses the batch's statistics; dropout uses the masks last
        drawn into ``workspace`` with :meth:`draw`.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            The flat parameter vector.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            The input batch.
        Y : ndarray of shape (n_samples, n_outputs)
            Targets in the dtype of ``params``.
        sample_weight : ndarray of shape (n_samples,), default=None
            Per-sample weights; ``None`` weighs every sample by one.
        alpha : float, default=0.0
            L2 penalty on the decayed blocks.
        grad : ndarray of shape (n_params,), default=None
            Where to write the gradient; allocated if ``None``.
        workspace : Workspace, default=None
            Buffers to reuse; allocated if ``None``.
        weight_sum : float, default=None
            :math:`S`, if the caller already has it.

        Returns
        -------
        loss : float
            The objective, penalty included.
        grad : ndarray of shape (n_params,)
            Its gradient, in the same layout as ``params``.
        """
        if weight_sum is None:
            weight_sum = _weight_sum(X, sample_weight)
        P, grad = self.outputs_and_grad(
            params, X, Y, sample_weight, alpha, grad, workspace, weight_sum
        )
        loss = self.data_loss(Y, P, sample_weight)
        loss += 0.5 * alpha * self.squared_weights(params) / weight_sum
        return loss, grad

    def outputs_and_grad(
        self,
        params,
        X,
        Y,
        sample_weight=None,
        alpha=0.0,
        grad=None,
        workspace=None,
        weight_sum=None,
    ):
        """Run a training pass; return its outputs :math:`P` and the gradient.

        Everything :meth:`loss_and_grad` does except computing the loss, which
        the minibatch loop computes a chunk of steps at a time. Parameters are
        those of :meth:`loss_and_grad`; ``P`` lives in ``workspace``.
        """
        n = X.shape[0]
        workspace = workspace or Workspace(n, params.dtype)
        grad = np.empty_like(params) if grad is None else grad
        if weight_sum is None:
            weight_sum = _weight_sum(X, sample_weight)
        ctx = Pass(sample_weight, weight_sum, alpha)
        P = self.forward(params, X, workspace, ctx)
        delta = self.loss.delta(Y, P, out=workspace.buffer("delta", n, P.shape[1]))
        # from here on delta is dJ/dZ: each sample's share w_i / S of its loss
        if sample_weight is None:
            delta *= 1.0 / n
        else:
            delta *= ctx.weight_fractions
        self._backward(params, grad, delta, workspace, ctx)
        return P, grad

    def data_loss(self, Y, P, sample_weight=None):
        """Return the weighted mean loss of outputs ``P`` for targets ``Y``."""
        return self.loss.value(Y, P, sample_weight)

    def squared_weights(self, params):
        r"""Return :math:`\sum \lVert W \rVert_F^2` over the decayed blocks."""
        weights = params[: self.n_weights]
        return float(np.dot(weights, weights))

    def _backward(self, params, grad, delta, workspace, ctx):
        """Backpropagate the output delta through every layer, filling ``grad``.

        The layers write the data term; the L2 term :math:`\\alpha W / S` is
        then added to all the decayed blocks at once, in one BLAS ``axpy``.
        """
        for layer in self._backward_order:
            delta = layer.backward(params, grad, delta, workspace, ctx)
        self.layers[0].backward(params, grad, delta, workspace, ctx, False)
        if ctx.alpha:
            n = self.n_weights
            axpy(ctx.alpha / ctx.weight_sum, params[:n], grad[:n])
        return grad

    def update_running_stats(self, stats, workspace):
        """Blend the last training pass's batch statistics into ``stats``."""
        for layer in self.stepping:
            layer.end_step(stats, workspace)

    def set_running_stats(self, params, stats, X, sample_weight=None):
        """Set ``stats`` to the batch statistics of a training pass over ``X``.

        Used after full-batch training, so that inference normalizes exactly as
        the minimized objective did.
        """
        workspace = Workspace(X.shape[0], params.dtype)
        ctx = Pass(sample_weight, _weight_sum(X, sample_weight))
        # Huge inputs overflow the variance: the caller checks ``stats``.
        with quiet_numerics():
            self.forward(params, X, workspace, ctx)
        for layer in self.layers:
            layer.end_training(stats, workspace)


def _overriding(layers, hook):
    """The layers whose class overrides ``Layer.hook`` (a no-op otherwise)."""
    return [
        layer
        for layer in layers
        if getattr(type(layer), hook) is not getattr(Layer, hook)
    ]


def mlp_layers(
    layer_sizes,
    activation="relu",
    initializer="glorot_uniform",
    batch_norm=False,
    dropout=0.0,
):
    """The layers of a multilayer perceptron: the estimators' architecture.

    Each hidden layer is Dense, then BatchNorm (if ``batch_norm``), then the
    activation, then Dropout (where its rate is positive); the last layer is
    Dense alone (the loss brings the output activation).

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer: input features, each hidden layer, outputs.
    activation : str, default="relu"
        Hidden activation, a key of
        :data:`~sknn_scratch.nn.activations.ACTIVATIONS`.
    initializer : str, default="glorot_uniform"
        A key of :data:`~sknn_scratch.nn.initializers.INITIALIZERS`.
    batch_norm : bool, default=False
        Insert batch normalization before each hidden activation.
    dropout : float or sequence of float, default=0.0
        Dropout rate after each hidden activation, one for all or one per
        hidden layer, each in [0, 1).
    """
    sizes = [int(k) for k in layer_sizes]
    rates = _per_layer(dropout, len(sizes) - 2, "dropout")
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Dense(n_in, n_out, initializer, activation))
        if i == len(sizes) - 2:
            break
        layers += [BatchNorm(n_out)] if batch_norm else []
        layers.append(ActivationLayer(activation))
        layers += [Dropout(rates[i], n_out)] if rates[i] > 0 else []
    return layers


def build_mlp(layer_sizes, activation="relu", loss="squared_error", **options):
    """Return the :class:`Network` of :func:`mlp_layers` with ``loss``.

    ``options`` are those of :func:`mlp_layers`.

    Examples
    --------
    >>> build_mlp([3, 4, 2], "tanh", "log_loss").n_params
    26
    """
    return Network(mlp_layers(layer_sizes, activation, **options), loss)


def _per_layer(value, n_hidden, name):
    """Broadcast a float, or check a sequence, to one value per hidden layer."""
    if np.ndim(value) == 0:
        return [float(value)] * n_hidden
    values = [float(v) for v in value]
    if len(values) != n_hidden:
        raise ValueError(
            f"{name} has {len(values)} values but the network has {n_hidden} "
            "hidden layer(s); give one value per hidden layer or a single float."
        )
    return values


def mlp_attributes():
    """The attribute names of every array an MLP of :func:`mlp_layers` may have.

    Derived from the layers themselves: parameters first, then statistics.
    """
    layers = mlp_layers([1, 1, 1], batch_norm=True)
    params, stats = Layout(layers, "parameters"), Layout(layers, "statistics")
    return params.attributes + stats.attributes


def upgrade_legacy_state(state):
    """Bring the state of an estimator pickled by sknn_scratch 0.1.0 up to date.

    0.1.0 stored the layout as ``_layer_units`` and ``_batch_norm`` and
    interleaved each batch-norm layer's running means and variances in
    ``_stats``; now the architecture is stored (``_architecture``) and the
    statistics are grouped by attribute, as the parameters always were. The
    state is changed in place; a current state is left alone.
    """
    if "_params" not in state or "_architecture" in state:
        return
    units, batch_norm = state.pop("_layer_units"), state.pop("_batch_norm")
    layers = mlp_layers(units, state["activation"], batch_norm=batch_norm)
    state["_architecture"] = tuple(layer.spec() for layer in layers)
    state.pop("_bound_views", None)
    for name in ("_stats", "_best_stats"):
        if name in state:
            state[name] = _grouped(state[name], units[1:-1])


def _grouped(stats, widths):
    """Reorder ``[m0, v0, m1, v1, ...]`` as ``[m0, m1, ..., v0, v1, ...]``."""
    if not stats.size:
        return stats
    parts = np.split(stats, np.cumsum([w for w in widths for _ in "mv"])[:-1])
    return np.concatenate(parts[0::2] + parts[1::2])
