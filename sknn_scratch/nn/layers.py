r"""The layers a network is made of: Dense, BatchNorm, ActivationLayer, Dropout.

Every layer is one class with one interface (:class:`Layer`):

- :meth:`~Layer.parameters` and :meth:`~Layer.statistics` declare the
  :class:`Block` arrays it keeps in the network's two flat vectors (trained
  parameters, and running statistics that are not trained by gradient). The
  :class:`~sknn_scratch.nn.network.Network` decides where each block sits and
  tells the layer with :meth:`~Layer.place`; the layer finds its arrays with
  :meth:`~Layer.views`.
- ``forward(params, X, ws, ctx)`` computes the layer's output for training,
  keeping what backward needs in the workspace ``ws``; ``infer(params, X,
  stats)`` computes it for prediction.
- ``backward(params, grad, dY, ws, ctx)`` takes the gradient of the objective
  with respect to the layer's output, writes the gradient of the layer's own
  parameters into its views of ``grad``, and returns the gradient with
  respect to its input.

Parameters are never stored in a layer: it only knows where its slices sit.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ._registry import lookup, registry
from .activations import get_activation
from .initializers import get_initializer


@dataclass(frozen=True)
class Block:
    """One array a layer keeps in a flat vector.

    Attributes
    ----------
    attribute : str
        The fitted attribute it appears under, one array per layer:
        ``"coefs_"``, ``"intercepts_"``, ``"gammas_"``, ...
    shape : tuple of int
        Its shape.
    decay : bool, default=False
        Whether the L2 penalty (or AdamW's weight decay) applies to it.
    start : float or None, default=0.0
        Its initial value; ``None`` if the layer draws it in
        :meth:`Layer.initialize`.
    lr_factor : float, default=1.0
        A multiplier of the learning rate for this block, for optimizers that
        take one per entry (the tabular recipe's); the drop-ins ignore it.
    """

    attribute: str
    shape: tuple
    decay: bool = False
    start: float | None = 0.0
    lr_factor: float = 1.0

    @property
    def size(self) -> int:
        """The number of entries."""
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass
class Pass:
    """What one training pass needs to know besides the data.

    Attributes
    ----------
    sample_weight : ndarray of shape (n_samples,) or None
        Per-sample weights.
    weight_sum : float
        :math:`S`, the sum of the weights (``n_samples`` without weights).
    alpha : float
        L2 penalty on the decayed blocks.
    """

    sample_weight: np.ndarray | None = None
    weight_sum: float = 1.0
    alpha: float = 0.0

    @cached_property
    def weight_fractions(self):
        """:math:`p_i = w_i / S` as a column, or None without sample weights."""
        if self.sample_weight is None:
            return None
        return (self.sample_weight / self.weight_sum)[:, np.newaxis]


class Workspace:
    """Reusable buffers and per-layer caches for batches of up to ``n_rows``.

    Buffers are allocated on first use and then reused for every batch, so a
    training step allocates nothing for its activations and deltas. Never
    share a workspace between threads.
    """

    def __init__(self, n_rows, dtype):
        self.n_rows = n_rows
        self.dtype = dtype
        self._buffers = {}
        self.cache = {}
        self.masks = {}

    def buffer(self, key, n, width):
        """Return an ``(n, width)`` view of the buffer called ``key``."""
        # A step asks for the same few views every time: keep them, because
        # for small networks Python and NumPy call overhead is the cost.
        view = self._buffers.get((key, n))
        if view is None or view.shape[1] != width:
            buf = np.empty((max(n, self.n_rows), width), self.dtype)
            view = self._buffers[(key, n)] = buf[:n]
        return view

    def ones(self, n):
        """Return a vector of ``n`` ones."""
        ones = self._buffers.get("ones")
        if ones is None or ones.shape[0] < n:
            ones = self._buffers["ones"] = np.ones(max(n, self.n_rows), self.dtype)
        return ones[:n]


class Layer:
    """The interface of every layer; on its own, a layer without arrays.

    A subclass overrides what it needs: the blocks it keeps, the passes, and
    the hooks the training loop calls (:meth:`draw` before a step,
    :meth:`end_step` after it, :meth:`end_training` after full-batch
    training). ``name`` is its key in :data:`LAYERS` and the first entry of
    its :meth:`spec`, from which a network is rebuilt.
    """

    name = "layer"

    def parameters(self) -> tuple:
        """The :class:`Block` arrays trained by gradient, in the layer's order."""
        return ()

    def statistics(self) -> tuple:
        """The :class:`Block` arrays kept for prediction but not trained."""
        return ()

    def spec(self) -> tuple:
        """``(name, *arguments)``: ``LAYERS[name](*arguments)`` rebuilds its
        structure (its blocks and its inference)."""
        return (self.name,)

    def place(self, param_slices, stat_slices):
        """Learn where the network put the blocks: one slice per block."""
        self._shaped = [
            (s, b.shape) for s, b in zip(param_slices, self.parameters(), strict=True)
        ]
        self._stat_shaped = [
            (s, b.shape) for s, b in zip(stat_slices, self.statistics(), strict=True)
        ]
        self._recent = ((None, None), (None, None))

    def views(self, vector):
        """Return this layer's parameter blocks as views of a flat vector."""
        # Training alternates between the same parameter and gradient vectors:
        # remember the views of the last two (which keeps those two alive).
        last, before = self._recent
        if last[0] is vector:
            return last[1]
        if before[0] is vector:
            self._recent = before, last
            return before[1]
        views = tuple(vector[s].reshape(shape) for s, shape in self._shaped)
        self._recent = (vector, views), last
        return views

    def stat_views(self, stats):
        """Return this layer's statistics blocks as views of ``stats``."""
        return tuple(stats[s].reshape(shape) for s, shape in self._stat_shaped)

    def initialize(self, rng, views):
        """Set each parameter block to its start value (``rng`` unused here)."""
        for view, block in zip(views, self.parameters(), strict=True):
            view[...] = block.start

    def forward(self, params, X, ws, ctx):
        """Return the layer's output on a training pass."""
        return X

    def infer(self, params, X, stats):
        """Return the layer's output at prediction (may overwrite ``X``)."""
        return X

    def backward(self, params, grad, dY, ws, ctx, need_input_grad=True):
        """Fill this layer's gradient blocks; return the gradient of its input."""
        return dY

    def draw(self, ws, rng, n):
        """Draw what a training pass over ``n`` rows needs at random."""

    def end_step(self, stats, ws):
        """Update the running statistics after a training step."""

    def end_training(self, stats, ws):
        """Set the running statistics from the last (full-batch) pass."""


def _matmul_into(A, W, out):
    """Write ``A @ W`` into ``out``; ``A`` may be a scipy sparse matrix."""
    if isinstance(A, np.ndarray):
        return np.matmul(A, W, out=out)
    out[...] = A @ W
    return out


class Dense(Layer):
    r"""An affine map :math:`Z = X W + b`.

    Backward, with :math:`\Delta = \partial J / \partial Z`, it writes the
    data terms of the gradient (the network adds the L2 term to all decayed
    blocks at once):

    .. math::

        \frac{\partial J}{\partial W} = X^\top \Delta,
        \quad
        \frac{\partial J}{\partial b} = \mathbf{1}^\top \Delta,
        \quad
        \frac{\partial J}{\partial X} = \Delta W^\top.

    The column sums :math:`\mathbf{1}^\top \Delta` are a matrix-vector
    product too: BLAS does them faster than ``np.sum(axis=0)``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths.
    initializer : str, default="glorot_uniform"
        A key of :data:`~sknn_scratch.nn.initializers.INITIALIZERS`.
    init_activation : str, default="relu"
        The hidden activation, which Glorot's bound depends on (as in sklearn,
        for every layer).
    """

    name = "dense"

    def __init__(
        self, n_in, n_out, initializer="glorot_uniform", init_activation="relu"
    ):
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.initializer, self.init_activation = initializer, init_activation

    def parameters(self):
        """``coefs_`` (decayed, drawn) and ``intercepts_`` (drawn)."""
        return (
            Block("coefs_", (self.n_in, self.n_out), decay=True, start=None),
            Block("intercepts_", (self.n_out,), start=None),
        )

    def spec(self):
        """``("dense", n_in, n_out)``."""
        return (self.name, self.n_in, self.n_out)

    def initialize(self, rng, views):
        """Draw ``W`` then ``b`` from ``rng``, sklearn's order."""
        W, b = views
        get_initializer(self.initializer)(rng, W, b, self.init_activation)

    def forward(self, params, X, ws, ctx):
        """Compute :math:`X W + b`, keeping ``X`` for the backward pass."""
        W, b = self.views(params)
        Z = ws.buffer(self, X.shape[0], self.n_out)
        _matmul_into(X, W, Z)
        Z += b
        ws.cache[self] = X
        return Z

    def infer(self, params, X, stats):
        """Return a new array :math:`X W + b` (prediction: no workspace)."""
        W, b = self.views(params)
        Z = X @ W if isinstance(X, np.ndarray) else np.asarray(X @ W)
        Z += b
        return Z

    def backward(self, params, grad, dZ, ws, ctx, need_input_grad=True):
        """Write :math:`X^\\top \\Delta` and :math:`\\mathbf{1}^\\top \\Delta` into
        ``grad``; return :math:`\\Delta W^\\top`."""
        W, _ = self.views(params)
        dW, db = self.views(grad)
        _matmul_into(ws.cache[self].T, dZ, dW)
        np.matmul(ws.ones(dZ.shape[0]), dZ, out=db)
        if not need_input_grad:
            return None
        dX = ws.buffer((self, "dX"), dZ.shape[0], self.n_in)
        return np.matmul(dZ, W.T, out=dX)


class ActivationLayer(Layer):
    """Applies an activation function; in place unless it needs its input.

    Parameters
    ----------
    activation : str
        A key of :data:`~sknn_scratch.nn.activations.ACTIVATIONS`.
    """

    name = "activation"

    def __init__(self, activation):
        self.function = get_activation(activation)

    def spec(self):
        """``("activation", name)``."""
        return (self.name, self.function.name)

    def forward(self, params, Z, ws, ctx):
        """Return ``f(Z)``, overwriting ``Z`` when the derivative allows it."""
        if self.function.needs_input:
            A = self.function.forward(Z, ws.buffer(self, *Z.shape))
        else:
            A = self.function.forward(Z, Z)
        ws.cache[self] = (Z if self.function.needs_input else None, A)
        return A

    def infer(self, params, Z, stats):
        """Return ``f(Z)``, computed in place."""
        return self.function.forward(Z, Z)

    def backward(self, params, grad, dA, ws, ctx, need_input_grad=True):
        """Multiply ``dA`` in place by ``f'(Z)`` and return it."""
        Z, A = ws.cache[self]
        return self.function.backward(Z, A, dA)


class Dropout(Layer):
    r"""Inverted dropout: :math:`Y = X \odot M / (1 - p)`, :math:`M_{ij} \sim
    \text{Bernoulli}(1 - p)`, during training only.

    Scaling by :math:`1/(1-p)` at training time keeps the expected activation
    unchanged, so inference is the identity. The masks live in the workspace,
    drawn by :meth:`draw`; the backward pass multiplies by the same mask.

    Parameters
    ----------
    rate : float
        :math:`p`, in [0, 1).
    width : int
        The number of units.
    """

    name = "dropout"

    def __init__(self, rate, width):
        self.rate, self.width = float(rate), int(width)
        # a unit is kept when a uniform 32-bit integer u has u >= threshold,
        # which happens with probability 1 - rate to within 2**-32
        self.threshold = min(round(self.rate * 2**32), 2**32 - 1)

    def spec(self):
        """``("dropout", rate, width)``."""
        return (self.name, self.rate, self.width)

    def draw(self, ws, rng, n):
        """Draw a fresh scaled mask for ``n`` rows from ``rng``."""
        mask = ws.buffer((self, "mask"), n, self.width)
        # RandomState draws 32-bit integers twice as fast as floats
        draws = rng.randint(0, 2**32, size=mask.shape, dtype=np.uint32)
        np.multiply(draws >= self.threshold, 1.0 / (1.0 - self.rate), out=mask)
        ws.masks[self] = mask

    def forward(self, params, X, ws, ctx):
        """Apply the current mask."""
        mask = ws.masks[self][: X.shape[0]]
        return np.multiply(X, mask, out=ws.buffer(self, *X.shape))

    def backward(self, params, grad, dY, ws, ctx, need_input_grad=True):
        """Multiply ``dY`` in place by the mask."""
        dY *= ws.masks[self][: dY.shape[0]]
        return dY


class BatchNorm(Layer):
    r"""Batch normalization (Ioffe and Szegedy, 2015) with sample weights.

    With normalized weights :math:`p_i = w_i / \sum_j w_j` over the batch:

    .. math::

        \mu = \sum_i p_i z_i, \quad
        \sigma^2 = \sum_i p_i (z_i - \mu)^2, \quad
        \hat z_i = \frac{z_i - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \quad
        y_i = \gamma \hat z_i + \beta,

    with :math:`\varepsilon = 10^{-5}`. A weight thus means the same as
    repeating the sample. Backward, with :math:`s = \sqrt{\sigma^2 +
    \varepsilon}` and :math:`g_i = \gamma\,\partial J/\partial y_i`:

    .. math::

        \frac{\partial J}{\partial z_j} = \frac{1}{s}\Bigl(g_j - p_j \sum_i g_i
            - p_j \hat z_j \sum_i g_i \hat z_i\Bigr), \quad
        \frac{\partial J}{\partial \gamma} = \sum_i \frac{\partial J}{\partial
            y_i} \hat z_i, \quad
        \frac{\partial J}{\partial \beta} = \sum_i \frac{\partial J}{\partial y_i}.

    At inference the running statistics replace :math:`\mu` and
    :math:`\sigma^2`. They start at 0 and 1 and, as in PyTorch's
    ``BatchNorm1d``, after each training step
    :math:`\hat\mu \leftarrow 0.9\,\hat\mu + 0.1\,\mu` and
    :math:`\hat\sigma^2 \leftarrow 0.9\,\hat\sigma^2 + 0.1\,\sigma^2`, with
    the batch's weighted variance :math:`\sigma^2` above. PyTorch blends in
    the unbiased variance :math:`\sigma^2 n / (n - 1)` instead. With weights,
    no such correction is right both ways: the frequency one, :math:`S / (S -
    1)` for the weight sum :math:`S`, depends on the weights' scale (the
    objective does not), and one from the effective sample size
    :math:`S^2 / \sum_i w_i^2` breaks the equivalence of a weight of 2 with a
    repeated sample. :math:`\sigma^2` keeps both, and the statistics of the
    full-batch solvers are the same kind.

    Parameters
    ----------
    width : int
        The number of units normalized.
    """

    name = "batch_norm"
    eps = 1e-5
    momentum = 0.1

    def __init__(self, width):
        self.width = int(width)

    def parameters(self):
        """``gammas_`` (start 1) and ``betas_`` (start 0)."""
        return (
            Block("gammas_", (self.width,), start=1.0),
            Block("betas_", (self.width,), start=0.0),
        )

    def statistics(self):
        """``running_means_`` (start 0) and ``running_vars_`` (start 1)."""
        return (
            Block("running_means_", (self.width,), start=0.0),
            Block("running_vars_", (self.width,), start=1.0),
        )

    def spec(self):
        """``("batch_norm", width)``."""
        return (self.name, self.width)

    def forward(self, params, Z, ws, ctx):
        """Normalize with the batch's statistics."""
        gamma, beta = self.views(params)
        z_hat = ws.buffer((self, "z_hat"), *Z.shape)
        mean, var = self._batch_moments(Z, ws, ctx.weight_fractions, z_hat)
        inv_std = 1.0 / np.sqrt(var + self.eps)
        z_hat *= inv_std
        Y = ws.buffer(self, *Z.shape)
        np.multiply(z_hat, gamma, out=Y)
        Y += beta
        ws.cache[self] = (z_hat, inv_std, mean, var)
        return Y

    def infer(self, params, Z, stats):
        """Normalize ``Z`` in place with the running statistics."""
        gamma, beta = self.views(params)
        mean, var = self.stat_views(stats)
        Z -= mean
        Z *= 1.0 / np.sqrt(var + self.eps)
        Z *= gamma
        Z += beta
        return Z

    def _batch_moments(self, Z, ws, fractions, centered):
        """Return the weighted column means and variances; leave ``Z - mean``
        in ``centered``. Both sums are matrix-vector products with the weight
        fractions (``1/n`` each without weights): faster than ``np.var``."""
        n = Z.shape[0]
        if fractions is None:
            ones = ws.ones(n)
            mean = (ones @ Z) / n
        else:
            mean = fractions[:, 0] @ Z
        np.subtract(Z, mean, out=centered)
        squares = ws.buffer((self, "dZ"), n, self.width)  # free until backward
        np.multiply(centered, centered, out=squares)
        var = (ones @ squares) / n if fractions is None else fractions[:, 0] @ squares
        return mean, var

    def backward(self, params, grad, dY, ws, ctx, need_input_grad=True):
        r"""Fill the gradients of gamma and beta; return the input's delta.

        With :math:`s = \gamma / \sqrt{\sigma^2 + \varepsilon}` and the column
        sums :math:`\partial J/\partial\gamma = \sum_i dY_i \hat z_i` and
        :math:`\partial J/\partial\beta = \sum_i dY_i`, the formula of the class
        docstring becomes
        :math:`dZ_j = s\,dY_j - p_j\, s\,(\partial J/\partial\beta + \hat z_j\,
        \partial J/\partial\gamma)`: five passes over the batch. ``dY`` is
        used as scratch.
        """
        z_hat, inv_std, _, _ = ws.cache[self]
        n = dY.shape[0]
        ones = ws.ones(n)
        gamma, _ = self.views(params)
        d_gamma_out, d_beta_out = self.views(grad)
        dZ = ws.buffer((self, "dZ"), n, self.width)
        np.multiply(dY, z_hat, out=dZ)
        d_gamma = np.matmul(ones, dZ, out=d_gamma_out)
        d_beta = np.matmul(ones, dY, out=d_beta_out)
        scale = gamma * inv_std
        p = ctx.weight_fractions
        share = scale / n if p is None else scale
        np.multiply(z_hat, share * d_gamma, out=dZ)
        dZ += share * d_beta
        if p is not None:
            dZ *= p
        np.multiply(dY, scale, out=dY)
        return np.subtract(dY, dZ, out=dZ)

    def end_step(self, stats, ws):
        """Blend this step's batch statistics into the running ones."""
        _, _, mean, var = ws.cache[self]
        running_mean, running_var = self.stat_views(stats)
        running_mean *= 1 - self.momentum
        running_mean += self.momentum * mean
        running_var *= 1 - self.momentum
        running_var += self.momentum * var

    def end_training(self, stats, ws):
        """Make the last pass's batch statistics the running ones."""
        _, _, mean, var = ws.cache[self]
        running_mean, running_var = self.stat_views(stats)
        running_mean[...] = mean
        running_var[...] = var


LAYERS = registry(Dense, ActivationLayer, Dropout, BatchNorm)
"""Layer classes by ``name``, to rebuild a network from its spec."""


def build_layer(spec):
    """Return a layer with the structure ``spec`` (a :meth:`Layer.spec`) gives:
    the same blocks and inference (not how it initializes its weights)."""
    name, *arguments = spec
    return lookup(LAYERS, name, "layer")(*arguments)
