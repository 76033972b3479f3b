r"""A stack of layers over one flat parameter vector.

Layout
------
All trainable values live in one contiguous 1-D array ``params``: first every
dense layer's weight matrix (row-major), then every bias vector, then the
batch-norm scales :math:`\gamma` and shifts :math:`\beta`. The gradient has the
same layout. Views into the vector serve as each layer's parameters, so
updating ``params`` updates every layer at once, and the L2 penalty is one dot
product over the leading ``n_weights`` entries. Batch-norm running statistics,
which are not trained by gradient, live in a second flat vector ``stats``.

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
from .activations import get_activation, get_output_activation
from .initializers import get_initializer
from .layers import Activation, BatchNorm, Dense, Dropout, Pass, Workspace
from .losses import get_loss

__all__ = ["Network", "Workspace"]


def _weight_sum(X, sample_weight):
    return X.shape[0] if sample_weight is None else float(sample_weight.sum())


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


class Network:
    """A multilayer perceptron whose parameters are one flat vector.

    The network holds no parameters itself: every method takes ``params``, so
    one network can serve scipy's solvers, the minibatch loop and prediction.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer: input features, each hidden layer, outputs.
    activation : str, default="relu"
        Hidden-layer activation, a key of
        :data:`~sknn_scratch.nn.activations.ACTIVATIONS`.
    loss : str, default="squared_error"
        A key of :data:`~sknn_scratch.nn.losses.LOSSES`. It also fixes the output
        activation.
    initializer : str, default="glorot_uniform"
        A key of :data:`~sknn_scratch.nn.initializers.INITIALIZERS`.
    batch_norm : bool, default=False
        Insert batch normalization between each hidden dense layer and its
        activation.
    dropout : float or sequence of float, default=0.0
        Dropout rate after each hidden activation, one for all or one per
        hidden layer, each in [0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> net = Network([3, 4, 2], activation="tanh", loss="log_loss")
    >>> net.n_params
    26
    >>> params = net.init_params(np.random.RandomState(0))
    >>> net.predict(params, np.ones((5, 3))).sum(axis=1)
    array([1., 1., 1., 1., 1.])
    """

    def __init__(
        self,
        layer_sizes,
        activation="relu",
        loss="squared_error",
        initializer="glorot_uniform",
        batch_norm=False,
        dropout=0.0,
    ):
        self.layer_sizes = tuple(int(k) for k in layer_sizes)
        self.activation = get_activation(activation)
        self.loss = get_loss(loss)
        self.output_activation = get_output_activation(self.loss.output_activation)
        self.initializer = get_initializer(initializer)
        self.batch_norm = bool(batch_norm)
        hidden = self.layer_sizes[1:-1]
        self.dropout = _per_layer(dropout, len(hidden), "dropout")
        self.shapes = list(
            zip(self.layer_sizes[:-1], self.layer_sizes[1:], strict=True)
        )
        self.n_weights = sum(m * n for m, n in self.shapes)
        n_biases = sum(self.layer_sizes[1:])
        n_norm = sum(hidden) if self.batch_norm else 0
        self.n_params = self.n_weights + n_biases + 2 * n_norm
        self.n_stats = 2 * n_norm
        self._build_layers()

    def _build_layers(self):
        w_start, b_start = 0, self.n_weights
        g_start = self.n_weights + sum(self.layer_sizes[1:])
        beta_start = g_start + (self.n_stats // 2)
        stats_start = 0
        self.dense, self.norms, self.dropouts, self.layers = [], [], [], []
        for i, (m, n) in enumerate(self.shapes):
            dense = Dense(i, m, n, w_start, b_start)
            w_start, b_start = w_start + m * n, b_start + n
            self.dense.append(dense)
            self.layers.append(dense)
            if i == len(self.shapes) - 1:
                break
            if self.batch_norm:
                norm = BatchNorm(n, g_start, beta_start, stats_start)
                g_start, beta_start, stats_start = (
                    g_start + n,
                    beta_start + n,
                    (stats_start + 2 * n),
                )
                self.norms.append(norm)
                self.layers.append(norm)
            self.layers.append(Activation(self.activation))
            if self.dropout[i] > 0:
                drop = Dropout(self.dropout[i], n)
                self.dropouts.append(drop)
                self.layers.append(drop)
        # every layer but the first, last to first (the first needs no dX)
        self._backward_order = self.layers[:0:-1]

    @property
    def n_layers(self) -> int:
        """The number of dense layers (weight matrices)."""
        return len(self.shapes)

    # -------------------------------------------------------------- parameters

    def unpack(self, params):
        """Return views ``(coefs, intercepts)`` of the dense ``W`` and ``b``."""
        views = [d.views(params) for d in self.dense]
        return [W for W, _ in views], [b for _, b in views]

    def unpack_norm(self, params):
        """Return views ``(gammas, betas)`` of each batch-norm layer's parameters."""
        return [params[n.gamma] for n in self.norms], [
            params[n.beta] for n in self.norms
        ]

    def unpack_stats(self, stats):
        """Return views ``(means, variances)`` of the running statistics."""
        return [stats[n.mean] for n in self.norms], [stats[n.var] for n in self.norms]

    def pack(self, coefs, intercepts, gammas=(), betas=(), dtype=None):
        """Return a new flat vector holding the given per-layer arrays."""
        arrays = [*coefs, *intercepts, *gammas, *betas]
        params = np.empty(self.n_params, dtype=dtype or np.result_type(*arrays))
        views = [*sum(self.unpack(params), []), *sum(self.unpack_norm(params), [])]
        for view, value in zip(views, arrays, strict=True):
            view[...] = value
        return params

    def pack_stats(self, means, variances, dtype=None):
        """Return a new running-statistics vector holding the given arrays."""
        arrays = [*means, *variances]
        dtype = dtype or (np.result_type(*arrays) if arrays else np.float64)
        stats = np.empty(self.n_stats, dtype=dtype)
        for view, value in zip(sum(self.unpack_stats(stats), []), arrays, strict=True):
            view[...] = value
        return stats

    def init_params(self, rng, dtype=np.float64):
        """Return freshly initialized parameters.

        Each dense layer draws ``W`` then ``b`` from ``rng``, layer by layer;
        batch norm starts at :math:`\\gamma = 1`, :math:`\\beta = 0`.

        Parameters
        ----------
        rng : numpy.random.RandomState
            The source of randomness.
        dtype : dtype, default=np.float64
            The dtype of the returned vector.
        """
        params = np.zeros(self.n_params, dtype=dtype)
        for W, b in zip(*self.unpack(params), strict=True):
            self.initializer(rng, W, b, self.activation.name)
        for gamma in self.unpack_norm(params)[0]:
            gamma[...] = 1.0
        return params

    def init_stats(self, dtype=np.float64):
        """Return running statistics at their start: means 0, variances 1."""
        stats = np.zeros(self.n_stats, dtype=dtype)
        for var in self.unpack_stats(stats)[1]:
            var[...] = 1.0
        return stats

    # ----------------------------------------------------------------- passes

    def forward(self, params, X, workspace=None, ctx=None, logits=False):
        """Run the forward pass and return the output activations.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            The flat parameter vector.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            The input batch.
        workspace : Workspace, default=None
            Buffers and caches; a new one (safe to use concurrently) if None.
        ctx : Pass, default=None
            Training or inference; inference with no batch norm if None.
        logits : bool, default=False
            Return the output layer's pre-activation instead.

        Returns
        -------
        P : ndarray of shape (n_samples, n_outputs)
            The network's prediction.
        """
        workspace = workspace or Workspace(X.shape[0], params.dtype)
        ctx = ctx or Pass()
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

    def draw_dropout_masks(self, workspace, rng, n):
        """Draw fresh dropout masks for ``n`` rows; they serve until redrawn."""
        for drop in self.dropouts:
            drop.draw(workspace, rng, n)

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
        drawn into ``workspace`` with :meth:`draw_dropout_masks`.

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
            L2 penalty on the dense weights.
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
        ctx = Pass(True, sample_weight, weight_sum, alpha)
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
        r"""Return :math:`\sum_l \lVert W_l \rVert_F^2`, for the L2 term."""
        weights = params[: self.n_weights]
        return float(np.dot(weights, weights))

    def _backward(self, params, grad, delta, workspace, ctx):
        """Backpropagate the output delta through every layer, filling ``grad``.

        The layers write the data term; the L2 term :math:`\alpha W / S` is
        then added to all the weights at once, in one BLAS ``axpy``.
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
        for norm in self.norms:
            norm.update_running(stats, workspace)

    def set_running_stats(self, params, stats, X, sample_weight=None):
        """Set ``stats`` to the batch statistics of a training pass over ``X``.

        Used after full-batch training, so that inference normalizes exactly as
        the minimized objective did.
        """
        workspace = Workspace(X.shape[0], params.dtype)
        weight_sum = X.shape[0] if sample_weight is None else sample_weight.sum()
        # Huge inputs overflow the variance: the caller checks ``stats``.
        with np.errstate(over="ignore", invalid="ignore"):
            self.forward(params, X, workspace, Pass(True, sample_weight, weight_sum))
        for norm in self.norms:
            norm.set_running(stats, workspace)
