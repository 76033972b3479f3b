r"""The layers a network is made of: Dense, BatchNorm, Activation and Dropout.

Each layer has ``forward(params, X, ws, ctx)`` and ``backward(params, grad, dY,
ws, ctx)``. Forward passes keep what backward needs in the workspace ``ws``;
backward takes the gradient of the objective with respect to the layer's
output, writes the gradient of its own parameters into the views of ``grad``,
and returns the gradient with respect to its input. Parameters are never
stored in a layer: each layer knows only where its slices sit in the flat
vector.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass
class Pass:
    """What one forward/backward pass needs to know besides the data.

    Attributes
    ----------
    training : bool
        Batch statistics and dropout masks (True) or running statistics and
        no dropout (False).
    sample_weight : ndarray of shape (n_samples,) or None
        Per-sample weights.
    weight_sum : float
        :math:`S`, the sum of the weights (``n_samples`` without weights).
    alpha : float
        L2 penalty on the dense weights.
    stats : ndarray or None
        The running batch-norm statistics, used when not training.
    """

    training: bool = False
    sample_weight: np.ndarray | None = None
    weight_sum: float = 1.0
    alpha: float = 0.0
    stats: np.ndarray | None = None

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


def _matmul_into(A, W, out):
    """Write ``A @ W`` into ``out``; ``A`` may be a scipy sparse matrix."""
    if isinstance(A, np.ndarray):
        return np.matmul(A, W, out=out)
    out[...] = A @ W
    return out


class Dense:
    r"""An affine map :math:`Z = X W + b`.

    Backward, with :math:`\Delta = \partial J / \partial Z`, it writes the
    data terms of the gradient (the network adds the L2 term to all weights
    at once):

    .. math::

        \frac{\partial J}{\partial W} = X^\top \Delta,
        \quad
        \frac{\partial J}{\partial b} = \mathbf{1}^\top \Delta,
        \quad
        \frac{\partial J}{\partial X} = \Delta W^\top.

    The column sums :math:`\mathbf{1}^\top \Delta` are a matrix-vector
    product too: BLAS does them faster than ``np.sum(axis=0)``.
    """

    def __init__(self, index, n_in, n_out, w_start, b_start):
        self.index, self.n_in, self.n_out = index, n_in, n_out
        self.w = slice(w_start, w_start + n_in * n_out)
        self.b = slice(b_start, b_start + n_out)
        self._recent = ((None, None), (None, None))

    def views(self, vector):
        """Return the ``(W, b)`` views of a flat vector."""
        # Training alternates between the same parameter and gradient vectors:
        # remember the views of the last two (which keeps those two alive).
        last, before = self._recent
        if last[0] is vector:
            return last[1]
        if before[0] is vector:
            self._recent = before, last
            return before[1]
        views = vector[self.w].reshape(self.n_in, self.n_out), vector[self.b]
        self._recent = (vector, views), last
        return views

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


class Activation:
    """Applies an activation function; in place unless it needs its input."""

    def __init__(self, function):
        self.function = function

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

    def backward(self, params, grad, dA, ws, ctx):
        """Multiply ``dA`` in place by ``f'(Z)`` and return it."""
        Z, A = ws.cache[self]
        return self.function.backward(Z, A, dA)


class Dropout:
    r"""Inverted dropout: :math:`Y = X \odot M / (1 - p)`, :math:`M_{ij} \sim
    \text{Bernoulli}(1 - p)`, during training only.

    Scaling by :math:`1/(1-p)` at training time keeps the expected activation
    unchanged, so inference is the identity. The masks live in the workspace,
    drawn by :meth:`draw`; the backward pass multiplies by the same mask.
    """

    def __init__(self, rate, width):
        self.rate, self.width = float(rate), width
        # a unit is kept when a uniform 32-bit integer u has u >= threshold,
        # which happens with probability 1 - rate to within 2**-32
        self.threshold = min(round(self.rate * 2**32), 2**32 - 1)

    def draw(self, ws, rng, n):
        """Draw a fresh scaled mask for ``n`` rows from ``rng``."""
        mask = ws.buffer((self, "mask"), n, self.width)
        # RandomState draws 32-bit integers twice as fast as floats
        draws = rng.randint(0, 2**32, size=mask.shape, dtype=np.uint32)
        np.multiply(draws >= self.threshold, 1.0 / (1.0 - self.rate), out=mask)
        ws.masks[self] = mask

    def forward(self, params, X, ws, ctx):
        """Apply the current mask when training; pass ``X`` through otherwise."""
        if not ctx.training:
            return X
        mask = ws.masks[self][: X.shape[0]]
        return np.multiply(X, mask, out=ws.buffer(self, *X.shape))

    def infer(self, params, X, stats):
        """Dropout is the identity at prediction time."""
        return X

    def backward(self, params, grad, dY, ws, ctx):
        """Multiply ``dY`` in place by the mask."""
        dY *= ws.masks[self][: dY.shape[0]]
        return dY


class BatchNorm:
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
    """

    eps = 1e-5
    momentum = 0.1

    def __init__(self, width, gamma_start, beta_start, stats_start):
        self.width = width
        self.gamma = slice(gamma_start, gamma_start + width)
        self.beta = slice(beta_start, beta_start + width)
        self.mean = slice(stats_start, stats_start + width)
        self.var = slice(stats_start + width, stats_start + 2 * width)

    def forward(self, params, Z, ws, ctx):
        """Normalize with batch statistics (training) or running ones."""
        z_hat = ws.buffer((self, "z_hat"), *Z.shape)
        if ctx.training:
            mean, var = self._batch_moments(Z, ws, ctx.weight_fractions, z_hat)
        else:
            mean, var = ctx.stats[self.mean], ctx.stats[self.var]
            np.subtract(Z, mean, out=z_hat)
        inv_std = 1.0 / np.sqrt(var + self.eps)
        z_hat *= inv_std
        Y = ws.buffer(self, *Z.shape)
        np.multiply(z_hat, params[self.gamma], out=Y)
        Y += params[self.beta]
        ws.cache[self] = (z_hat, inv_std, mean, var)
        return Y

    def infer(self, params, Z, stats):
        """Normalize ``Z`` in place with the running statistics."""
        mean, var = stats[self.mean], stats[self.var]
        Z -= mean
        Z *= 1.0 / np.sqrt(var + self.eps)
        Z *= params[self.gamma]
        Z += params[self.beta]
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

    def backward(self, params, grad, dY, ws, ctx):
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
        dZ = ws.buffer((self, "dZ"), n, self.width)
        np.multiply(dY, z_hat, out=dZ)
        d_gamma = np.matmul(ones, dZ, out=grad[self.gamma])
        d_beta = np.matmul(ones, dY, out=grad[self.beta])
        scale = params[self.gamma] * inv_std
        p = ctx.weight_fractions
        share = scale / n if p is None else scale
        np.multiply(z_hat, share * d_gamma, out=dZ)
        dZ += share * d_beta
        if p is not None:
            dZ *= p
        np.multiply(dY, scale, out=dY)
        return np.subtract(dY, dZ, out=dZ)

    def update_running(self, stats, ws):
        """Blend this step's batch statistics into ``stats``."""
        _, _, mean, var = ws.cache[self]
        stats[self.mean] *= 1 - self.momentum
        stats[self.mean] += self.momentum * mean
        stats[self.var] *= 1 - self.momentum
        stats[self.var] += self.momentum * var

    def set_running(self, stats, ws):
        """Make the last pass's batch statistics the running ones."""
        _, _, mean, var = ws.cache[self]
        stats[self.mean] = mean
        stats[self.var] = var
