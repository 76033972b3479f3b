r"""The layers of the tabular MLP, and the packed network that trains k members.

The tabular estimators' network is, input first:

1. :class:`TabularEmbedding`: the encoded table in, one wide row out. Each
   continuous feature :math:`x` keeps its value and gains a periodic
   embedding; the one-hot columns pass through; each high-cardinality
   categorical column looks up a learned vector.
2. :class:`Scale`: a learnable per-feature scale (RealMLP's front scaling
   layer), trained with a larger learning rate, a soft feature selection.
3. Hidden blocks of :class:`NTKDense`, :class:`ParametricActivation` and
   :class:`KeyedDropout`, shared by the k members of a packed ensemble. Right
   after the first product, an :class:`EnsembleAdapter` copies each row for
   the k members and multiplies member m's copy by its own vector
   :math:`s_m`; the layers after it see ``k * n`` rows.
4. :class:`EnsembleHead`: one output layer per member, a batched matrix
   product over ``(k, n, width)``.

:class:`PackedNetwork` trains on the mean of the members' losses and
predicts the mean of their outputs. All the arrays sit in one flat vector, as
in the drop-ins; each block may carry a learning-rate factor
(:attr:`~sknn_scratch.nn.layers.Block.lr_factor`).
"""

import numpy as np

from .layers import LAYERS, Block, Layer, Pass, Workspace
from .network import Network

_SELU_SCALE = 1.0507009873554805
_SELU_ALPHA = 1.6732632423543772
TWO_PI = 2.0 * np.pi


def selu(Z):
    r"""SELU (Klambauer et al., 2017): :math:`\lambda z` for :math:`z > 0`,
    :math:`\lambda \alpha (e^z - 1)` otherwise; returns ``(f(Z), f'(Z))``."""
    # masks cost more than arithmetic: max(z, 0) and e^min(z, 0) - 1 are each
    # 0 on the other side
    scaled_alpha = _SELU_SCALE * _SELU_ALPHA
    exp_negative = np.minimum(Z, 0.0)
    np.exp(exp_negative, out=exp_negative)
    F = np.maximum(Z, 0.0)
    F *= _SELU_SCALE
    F += scaled_alpha * exp_negative
    F -= scaled_alpha
    derivative = np.multiply(Z > 0.0, _SELU_SCALE - scaled_alpha, dtype=Z.dtype)
    exp_negative *= scaled_alpha
    derivative += exp_negative
    return F, derivative


def mish(Z):
    r"""Mish (Misra, 2019): :math:`z \tanh(\operatorname{softplus}(z))`;
    returns ``(f(Z), f'(Z))``.

    With :math:`u = e^z`, :math:`t = \tanh(\log(1 + u)) = \frac{u (u + 2)}{u
    (u + 2) + 2}` and :math:`\sigma(z) = \frac{u}{1 + u}`, so one exponential
    gives both :math:`f = z t` and :math:`f' = t + z (1 - t^2) \sigma(z)`.
    Above :math:`z = 20`, :math:`t = 1` to double precision; clipping there
    keeps :math:`u^2` finite.
    """
    u = np.minimum(Z, 20.0)
    np.exp(u, out=u)
    n = u + 2.0
    n *= u  # u (u + 2)
    t = n / (n + 2.0)
    u /= 1.0 + u  # sigma(z)
    derivative = t * t
    np.subtract(1.0, derivative, out=derivative)
    derivative *= Z
    derivative *= u
    derivative += t
    return Z * t, derivative


PARAMETRIC_FUNCTIONS = {"selu": selu, "mish": mish}
"""The functions :class:`ParametricActivation` blends with the identity."""


class NTKDense(Layer):
    r"""An affine map in the NTK parametrization: :math:`Z = X W / \sqrt{n_{in}} + b`.

    :math:`W` is drawn from :math:`\mathcal N(0, 1)`; the factor
    :math:`1/\sqrt{n_{in}}` in the forward pass gives the pre-activations unit
    scale at any width, and makes Adam's steps on :math:`W` shrink with the
    width (Jacot et al., 2018). The bias trains at a tenth of the learning
    rate (RealMLP). Backward, with :math:`c = 1/\sqrt{n_{in}}`:
    :math:`\partial J/\partial W = c X^\top \Delta`,
    :math:`\partial J/\partial b = \mathbf 1^\top \Delta`,
    :math:`\partial J/\partial X = c \Delta W^\top`.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths.
    ntk : bool, default=True
        ``False`` gives the standard parametrization: :math:`c = 1` and
        :math:`W \sim \mathcal N(0, 1/n_{in})`.
    """

    name = "ntk_dense"
    bias_lr_factor = 0.1

    def __init__(self, n_in, n_out, ntk=True):
        self.n_in, self.n_out, self.ntk = int(n_in), int(n_out), bool(ntk)
        self.c = 1.0 / np.sqrt(self.n_in) if self.ntk else 1.0

    def parameters(self):
        """``coefs_`` (decayed, drawn) and ``intercepts_`` (start 0)."""
        return (
            Block("coefs_", (self.n_in, self.n_out), decay=True, start=None),
            Block("intercepts_", (self.n_out,), lr_factor=self.bias_lr_factor),
        )

    def spec(self):
        """``("ntk_dense", n_in, n_out, ntk)``."""
        return (self.name, self.n_in, self.n_out, self.ntk)

    def initialize(self, rng, views):
        """Draw :math:`W`; the bias starts at 0 (see :func:`data_init`)."""
        W, b = views
        std = 1.0 if self.ntk else 1.0 / np.sqrt(self.n_in)
        W[...] = rng.standard_normal(W.shape) * std
        b[...] = 0.0

    def forward(self, params, X, ws, ctx):
        """Compute :math:`c X W + b`, keeping ``X``."""
        ws.cache[self] = X
        return self.infer(params, X, None)

    def infer(self, params, X, stats):
        """Return a new array :math:`c X W + b`."""
        W, b = self.views(params)
        Z = X @ W
        if self.ntk:
            Z *= self.c
        Z += b
        return Z

    def backward(self, params, grad, dZ, ws, ctx, need_input_grad=True):
        """Fill the gradients of :math:`W` and :math:`b`; return that of ``X``."""
        W, _ = self.views(params)
        dW, db = self.views(grad)
        np.matmul(ws.cache[self].T, dZ, out=dW)
        if self.ntk:
            dW *= self.c
        np.matmul(ws.ones(dZ.shape[0]), dZ, out=db)
        if not need_input_grad:
            return None
        dX = dZ @ W.T
        if self.ntk:
            dX *= self.c
        return dX


class ParametricActivation(Layer):
    r"""A per-unit blend of an activation with the identity:
    :math:`y = z + \alpha (f(z) - z)`.

    :math:`\alpha` starts at 1 (the plain activation) and trains at a tenth of
    the learning rate, so each unit can make itself more linear (RealMLP).
    Backward: :math:`\partial y/\partial z = 1 + \alpha (f'(z) - 1)` and
    :math:`\partial J/\partial\alpha = \sum_i \partial J/\partial y_i\,
    (f(z_i) - z_i)`.

    Parameters
    ----------
    function : {"selu", "mish"}
        :math:`f`.
    width : int
        The number of units.
    trainable : bool, default=True
        ``False`` keeps :math:`\alpha = 1`: the plain activation.
    """

    name = "parametric_activation"

    def __init__(self, function, width, trainable=True):
        self.function, self.width = str(function), int(width)
        self.trainable = bool(trainable)
        self._f = PARAMETRIC_FUNCTIONS[self.function]

    def parameters(self):
        """``activation_mixes_`` (start 1), if trainable."""
        if not self.trainable:
            return ()
        return (Block("activation_mixes_", (self.width,), start=1.0, lr_factor=0.1),)

    def spec(self):
        """``("parametric_activation", function, width, trainable)``."""
        return (self.name, self.function, self.width, self.trainable)

    def forward(self, params, Z, ws, ctx):
        """Return :math:`z + \\alpha (f(z) - z)`, keeping what backward needs."""
        F, derivative = self._f(Z)
        if not self.trainable:
            ws.cache[self] = (None, derivative)
            return F
        (alpha,) = self.views(params)
        F -= Z  # f(z) - z
        ws.cache[self] = (F, derivative)
        return Z + alpha * F

    def infer(self, params, Z, stats):
        """Return the activation at prediction."""
        F, _ = self._f(Z)
        if not self.trainable:
            return F
        (alpha,) = self.views(params)
        F -= Z
        F *= alpha
        F += Z
        return F

    def backward(self, params, grad, dY, ws, ctx, need_input_grad=True):
        """Fill the gradient of :math:`\\alpha`; return that of ``Z``."""
        F_minus_Z, derivative = ws.cache[self]
        if not self.trainable:
            return dY * derivative
        (alpha,) = self.views(params)
        (d_alpha,) = self.views(grad)
        np.matmul(ws.ones(dY.shape[0]), dY * F_minus_Z, out=d_alpha)
        derivative -= 1.0
        derivative *= alpha
        derivative += 1.0
        return dY * derivative


class KeyedDropout(Layer):
    r"""Inverted dropout whose random numbers are keyed by the rows' content.

    Unit :math:`j` of row :math:`i` is kept when
    :math:`(h_i a_j + b_j) \bmod 2^{32} \ge p\, 2^{32}`, with a 32-bit key
    :math:`h_i` of the row (the trainer's ``ws.row_keys``) and odd
    :math:`a_j` and any :math:`b_j` drawn afresh at every step. For a fixed
    row the draws are independent uniform integers; two identical rows get
    the same mask, so a sample weight of 2 trains exactly like a repeated row
    (sklearn's sample-weight equivalence) even with dropout on. Without keys
    in the workspace, rows are keyed by their position. Kept units are scaled
    by :math:`1/(1-p)`; inference is the identity.

    Parameters
    ----------
    rate : float
        :math:`p`, in [0, 1); the trainer may change it between steps.
    width : int
        The number of units.
    """

    name = "keyed_dropout"

    def __init__(self, rate, width):
        self.rate, self.width = float(rate), int(width)

    def spec(self):
        """``("keyed_dropout", rate, width)``."""
        return (self.name, self.rate, self.width)

    def draw(self, ws, rng, n):
        """Draw this step's multipliers and build the mask of ``n`` rows."""
        keys = getattr(ws, "row_keys", None)
        if keys is None or keys.shape[0] != n:
            keys = np.arange(n, dtype=np.uint32) * np.uint32(2654435761)
        a = rng.randint(0, 2**32, size=self.width, dtype=np.uint32) | np.uint32(1)
        b = rng.randint(0, 2**32, size=self.width, dtype=np.uint32)
        draws = np.multiply(keys[:, np.newaxis], a)
        draws += b
        threshold = min(round(self.rate * 2**32), 2**32 - 1)
        mask = ws.buffer((self, "mask"), n, self.width)
        np.multiply(draws >= np.uint32(threshold), 1.0 / (1.0 - self.rate), out=mask)
        ws.masks[self] = mask

    def forward(self, params, X, ws, ctx):
        """Apply the current mask (none while the rate is 0)."""
        if self.rate == 0.0:
            return X
        return X * ws.masks[self][: X.shape[0]]

    def backward(self, params, grad, dY, ws, ctx, need_input_grad=True):
        """Multiply ``dY`` by the mask."""
        if self.rate == 0.0:
            return dY
        return dY * ws.masks[self][: dY.shape[0]]


class Scale(Layer):
    r"""A learnable per-feature scale :math:`y = x \odot s`, starting at 1.

    RealMLP's front scaling layer. It trains at six times the learning rate,
    so that the network can quickly shrink uninformative features: a soft
    feature selection. Backward: :math:`\partial J/\partial s = \sum_i x_i
    \odot \partial J/\partial y_i` and :math:`\partial J/\partial x = s \odot
    \partial J/\partial y`.

    Parameters
    ----------
    width : int
        The number of features.
    """

    name = "scale"
    lr_factor = 6.0

    def __init__(self, width):
        self.width = int(width)

    def parameters(self):
        """``scales_`` (start 1)."""
        return (Block("scales_", (self.width,), start=1.0, lr_factor=self.lr_factor),)

    def spec(self):
        """``("scale", width)``."""
        return (self.name, self.width)

    def forward(self, params, X, ws, ctx):
        """Return :math:`x \\odot s`, keeping ``x``."""
        ws.cache[self] = X
        return self.infer(params, X, None)

    def infer(self, params, X, stats):
        """Return a new array :math:`x \\odot s`."""
        (s,) = self.views(params)
        return X * s

    def backward(self, params, grad, dY, ws, ctx, need_input_grad=True):
        """Fill the gradient of :math:`s`; return that of ``x``."""
        (s,) = self.views(params)
        (ds,) = self.views(grad)
        np.matmul(ws.ones(dY.shape[0]), dY * ws.cache[self], out=ds)
        return dY * s if need_input_grad else None


class EnsembleAdapter(Layer):
    r"""Copies each row for k members, member m's copy scaled by :math:`r_m`.

    The per-member part of a packed ensemble (TabM-mini, Gorishniy et al.,
    2025; BatchEnsemble, Wen et al., 2020): the members share every weight
    matrix but see differently scaled rows, :math:`a^{(m)} = a \odot r_m`.
    TabM-mini scales the network's input; the tabular network scales the
    first layer's output instead, :math:`(x W + b) \odot r_m`, so that the
    members share the first product, the widest one after the embeddings,
    and only the later layers see ``k * n`` rows. The :math:`r_m` start as
    random signs, so the members differ from the first step. The output
    stacks the members' rows, member by member. Backward:
    :math:`\partial J/\partial r_m = \sum_i a_i \odot \delta^{(m)}_i` and
    :math:`\partial J/\partial a = \sum_m r_m \odot \delta^{(m)}`.

    Parameters
    ----------
    n_members : int
        k.
    width : int
        The number of features.
    """

    name = "ensemble_adapter"

    def __init__(self, n_members, width):
        self.n_members, self.width = int(n_members), int(width)

    def parameters(self):
        """``adapters_`` of shape (k, width), drawn."""
        return (Block("adapters_", (self.n_members, self.width), start=None),)

    def spec(self):
        """``("ensemble_adapter", n_members, width)``."""
        return (self.name, self.n_members, self.width)

    def initialize(self, rng, views):
        """Draw random signs."""
        (r,) = views
        r[...] = 2.0 * rng.randint(0, 2, size=r.shape) - 1.0

    def forward(self, params, X, ws, ctx):
        """Return the stacked scaled copies, keeping ``X``."""
        ws.cache[self] = X
        return self.infer(params, X, None)

    def infer(self, params, X, stats):
        """Return ``(k * n, width)``: member m's rows are ``X * r[m]``."""
        (r,) = self.views(params)
        return (X[np.newaxis] * r[:, np.newaxis]).reshape(-1, self.width)

    def backward(self, params, grad, dY, ws, ctx, need_input_grad=True):
        """Fill the gradient of the :math:`r_m`; return that of ``X``."""
        (r,) = self.views(params)
        (dr,) = self.views(grad)
        X = ws.cache[self]
        dY = dY.reshape(self.n_members, X.shape[0], self.width)
        np.einsum("mnd,nd->md", dY, X, out=dr)
        if not need_input_grad:
            return None
        return np.einsum("mnd,md->nd", dY, r)


class EnsembleHead(Layer):
    r"""One output layer per member: a batched product over ``(k, n, width)``.

    Member m's rows :math:`A^{(m)}` give :math:`Z^{(m)} = c A^{(m)} W_m +
    b_m`, with :math:`c = 1/\sqrt{n_{in}}` (NTK) and :math:`W_m \sim \mathcal
    N(0, 1)`. With one member it is an :class:`NTKDense`.

    Parameters
    ----------
    n_members : int
        k.
    n_in, n_out : int
        Input and output widths.
    ntk : bool, default=True
        The parametrization, as in :class:`NTKDense`.
    """

    name = "ensemble_head"

    def __init__(self, n_members, n_in, n_out, ntk=True):
        self.n_members, self.n_in, self.n_out = int(n_members), int(n_in), int(n_out)
        self.ntk = bool(ntk)
        self.c = 1.0 / np.sqrt(self.n_in) if self.ntk else 1.0

    def parameters(self):
        """``head_coefs_`` (decayed, drawn) and ``head_intercepts_`` (start 0)."""
        k = self.n_members
        return (
            Block("head_coefs_", (k, self.n_in, self.n_out), decay=True, start=None),
            Block("head_intercepts_", (k, self.n_out), lr_factor=0.1),
        )

    def spec(self):
        """``("ensemble_head", n_members, n_in, n_out, ntk)``."""
        return (self.name, self.n_members, self.n_in, self.n_out, self.ntk)

    def initialize(self, rng, views):
        """Draw :math:`W_m`; the biases start at 0."""
        W, b = views
        std = 1.0 if self.ntk else 1.0 / np.sqrt(self.n_in)
        W[...] = rng.standard_normal(W.shape) * std
        b[...] = 0.0

    def forward(self, params, A, ws, ctx):
        """Return the members' outputs stacked, keeping ``A``."""
        ws.cache[self] = A
        return self.infer(params, A, None)

    def infer(self, params, A, stats):
        """Return ``(k * n, n_out)``."""
        W, b = self.views(params)
        Z = np.matmul(A.reshape(self.n_members, -1, self.n_in), W)
        Z *= self.c
        Z += b[:, np.newaxis]
        return Z.reshape(-1, self.n_out)

    def backward(self, params, grad, dZ, ws, ctx, need_input_grad=True):
        """Fill the gradients of :math:`W_m` and :math:`b_m`; return that of ``A``."""
        W, _ = self.views(params)
        dW, db = self.views(grad)
        k = self.n_members
        A = ws.cache[self].reshape(k, -1, self.n_in)
        dZ = dZ.reshape(k, -1, self.n_out)
        np.matmul(A.transpose(0, 2, 1), dZ, out=dW)
        dW *= self.c
        np.sum(dZ, axis=1, out=db)
        if not need_input_grad:
            return None
        dA = np.matmul(dZ, W.transpose(0, 2, 1))
        dA *= self.c
        return dA.reshape(-1, self.n_in)


class TabularEmbedding(Layer):
    r"""The encoded table in, one wide row per sample out.

    The input holds, in order, ``n_continuous`` continuous features, ``n_other``
    columns that pass through (missing indicators, one-hot and :math:`\pm 1`
    columns), and one integer code per high-cardinality categorical column.
    The output is :math:`[x, p(x), o, e]`:

    - :math:`x`, the continuous features themselves;
    - :math:`p(x)`, their periodic embeddings (PBLD, Holzmüller et al. 2024,
      after Gorishniy et al. 2022): for feature :math:`f`,
      :math:`u_f = \cos(2\pi w_f x_f + \phi_f)` with ``n_frequencies``
      learned frequencies :math:`w_f \sim \mathcal N(0, \sigma^2)` and phases
      :math:`\phi_f \sim U(-\pi, \pi)`, then a per-feature linear map
      :math:`p_f = u_f L_f / \sqrt{m} + \beta_f` to ``n_periodic`` values.
      Smooth functions of one feature (thresholds, bumps, periodicity) then
      cost the network little;
    - :math:`o`, the pass-through columns;
    - :math:`e`, each code's learned vector of ``embedding_size`` values.
      Row 0 of each table is the "unknown" level (a level not seen in
      training); no training row has it, so it stays at its start, 0.

    The periodic parts train at a tenth of the learning rate (RealMLP). It is
    the first layer, so backward returns no input gradient.

    Parameters
    ----------
    n_continuous, n_other : int
        Numbers of continuous and pass-through columns.
    cardinalities : tuple of int
        Table sizes of the coded columns, the unknown level included.
    n_frequencies : int, default=16
        :math:`m`; 0 turns the periodic embeddings off.
    n_periodic : int, default=4
        Output values per feature of the periodic embedding.
    embedding_size : int, default=8
        Length of a categorical level's vector.
    sigma : float, default=0.1
        Standard deviation of the initial frequencies.
    """

    name = "tabular_embedding"
    lr_factor = 0.1

    def __init__(
        self, n_continuous, n_other, cardinalities=(), n_frequencies=16,
        n_periodic=4, embedding_size=8, sigma=0.1,
    ):  # fmt: skip
        self.n_continuous, self.n_other = int(n_continuous), int(n_other)
        self.cardinalities = tuple(int(c) for c in cardinalities)
        self.n_frequencies, self.n_periodic = int(n_frequencies), int(n_periodic)
        self.embedding_size, self.sigma = int(embedding_size), float(sigma)
        self.periodic = self.n_continuous > 0 and self.n_frequencies > 0
        self.offsets = np.cumsum((0, *self.cardinalities[:-1]), dtype=np.intp)

    @property
    def n_in(self) -> int:
        """The input width."""
        return self.n_continuous + self.n_other + len(self.cardinalities)

    @property
    def n_out(self) -> int:
        """The output width."""
        F, q = self.n_continuous, self.n_periodic if self.periodic else 0
        return F + F * q + self.n_other + len(self.cardinalities) * self.embedding_size

    def parameters(self):
        """The periodic embedding's blocks, then the categorical tables."""
        F, m, q = self.n_continuous, self.n_frequencies, self.n_periodic
        lr = self.lr_factor
        blocks = []
        if self.periodic:
            blocks += [
                Block("frequencies_", (F, m), start=None, lr_factor=lr),
                Block("phases_", (F, m), start=None, lr_factor=lr),
                Block("periodic_coefs_", (F, m, q), start=None, lr_factor=lr),
                Block("periodic_intercepts_", (F, q), lr_factor=lr),
            ]
        if self.cardinalities:
            size = (sum(self.cardinalities), self.embedding_size)
            blocks.append(Block("embeddings_", size, start=None))
        return tuple(blocks)

    def spec(self):
        """The constructor's arguments, after the name."""
        return (
            self.name, self.n_continuous, self.n_other, self.cardinalities,
            self.n_frequencies, self.n_periodic, self.embedding_size, self.sigma,
        )  # fmt: skip

    def initialize(self, rng, views):
        """Draw frequencies, phases, maps and tables; intercepts start at 0."""
        views = list(views)
        if self.periodic:
            w, phi, L, beta = views[:4]
            w[...] = rng.standard_normal(w.shape) * self.sigma
            phi[...] = rng.uniform(-np.pi, np.pi, size=phi.shape)
            L[...] = rng.standard_normal(L.shape)
            beta[...] = 0.0
        if self.cardinalities:
            table = views[-1]
            table[...] = rng.standard_normal(table.shape)
            # row 0, "unknown", is never trained: make it the neutral vector
            table[self.offsets] = 0.0

    def forward(self, params, X, ws, ctx):
        """Return the wide rows, keeping what backward needs."""
        return self._embed(params, X, ws.cache.setdefault(self, {}))

    def infer(self, params, X, stats):
        """Return the wide rows."""
        return self._embed(params, X, {})

    def _embed(self, params, X, keep):
        F, n_other = self.n_continuous, self.n_other
        views = self.views(params)
        out = np.empty((X.shape[0], self.n_out), dtype=np.result_type(X, params))
        out[:, :F] = X[:, :F]
        start = F
        if self.periodic:
            periodic = self._periodic(views[:4], X[:, :F], keep)
            out[:, F : F + periodic.shape[1]] = periodic
            start += periodic.shape[1]
        out[:, start : start + n_other] = X[:, F : F + n_other]
        if self.cardinalities:
            codes = X[:, F + n_other :].astype(np.intp) + self.offsets
            keep["codes"] = codes
            out[:, start + n_other :] = views[-1][codes].reshape(X.shape[0], -1)
        return out

    def _periodic(self, views, xc, keep):
        """:math:`p(x)` as ``(n, F * q)``; keeps the phases' arguments."""
        w, phi, L, beta = views
        theta = xc[:, :, np.newaxis] * (TWO_PI * w)
        theta += phi
        U = np.cos(theta).transpose(1, 0, 2)  # (F, n, m)
        P = np.matmul(U, L)
        P *= 1.0 / np.sqrt(self.n_frequencies)
        P += beta[:, np.newaxis]
        keep.update(xc=xc, theta=theta, U=U)
        return P.transpose(1, 0, 2).reshape(xc.shape[0], -1)

    def backward(self, params, grad, dY, ws, ctx, need_input_grad=True):
        """Fill the gradients of the frequencies, phases, maps and tables."""
        keep, views, grads = ws.cache[self], self.views(params), self.views(grad)
        F, q = self.n_continuous, self.n_periodic
        if self.periodic:
            self._periodic_backward(views[:4], grads[:4], dY[:, F : F + F * q], keep)
        if self.cardinalities:
            d_table = grads[-1]
            d_table[...] = 0.0
            dE = dY[:, self.n_out - len(self.cardinalities) * self.embedding_size :]
            rows = dE.reshape(-1, self.embedding_size)
            np.add.at(d_table, keep["codes"].ravel(), rows)
        return None

    def _periodic_backward(self, views, grads, dP, keep):
        _, _, L, _ = views
        dw, dphi, dL, dbeta = grads
        c = 1.0 / np.sqrt(self.n_frequencies)
        n, F, q = dP.shape[0], self.n_continuous, self.n_periodic
        dP = dP.reshape(n, F, q).transpose(1, 0, 2)  # (F, n, q)
        np.matmul(keep["U"].transpose(0, 2, 1), dP, out=dL)
        dL *= c
        np.sum(dP, axis=1, out=dbeta)
        dU = np.matmul(dP, L.transpose(0, 2, 1)).transpose(1, 0, 2)  # (n, F, m)
        dU *= -c
        dtheta = np.sin(keep["theta"])
        dtheta *= dU
        np.sum(dtheta, axis=0, out=dphi)
        np.einsum("nfm,nf->fm", dtheta, keep["xc"], out=dw)
        dw *= TWO_PI


class PackedNetwork(Network):
    r"""A network of k members stacked along the rows (see the module docstring).

    Training minimizes the mean of the members' losses: the targets and
    weights are repeated for each member, and member m's rows get weight
    :math:`w_i / (k S)`. Prediction averages the members' outputs
    (probabilities for classification).

    Parameters
    ----------
    layers : list of Layer
        The layers; an :class:`EnsembleAdapter` makes the rows ``k * n``.
    n_members : int
        k.
    loss, output_activation : str
        As for :class:`~sknn_scratch.nn.network.Network`.
    """

    def __init__(self, layers, n_members, loss="squared_error", output_activation=None):
        super().__init__(layers, loss, output_activation)
        self.n_members = int(n_members)

    @classmethod
    def from_spec(cls, spec, n_members, loss="squared_error", output_activation=None):
        """Rebuild a packed network from its layers' specs."""
        return cls([_build(s) for s in spec], n_members, loss, output_activation)

    def loss_and_grad(
        self, params, X, Y, sample_weight=None, alpha=0.0, grad=None,
        workspace=None, weight_sum=None,
    ):  # fmt: skip
        """The mean of the members' losses (plus the L2 term) and its gradient,
        from one training pass."""
        Y_all, weights = self._stacked(Y, sample_weight, X.shape[0], params.dtype)
        P, grad = self._stacked_pass(params, X, Y_all, weights, alpha, grad, workspace)
        loss = self.loss.value(Y_all, P, weights)
        return loss + 0.5 * alpha * self.squared_weights(params) / weights.sum(), grad

    def outputs_and_grad(
        self, params, X, Y, sample_weight=None, alpha=0.0, grad=None,
        workspace=None, weight_sum=None,
    ):  # fmt: skip
        """Run a training pass on the stacked members; return ``(P, grad)``."""
        Y_all, weights = self._stacked(Y, sample_weight, X.shape[0], params.dtype)
        return self._stacked_pass(params, X, Y_all, weights, alpha, grad, workspace)

    def _stacked(self, Y, sample_weight, n, dtype):
        """The targets and weights repeated for each member."""
        weights = np.ones(n, dtype) if sample_weight is None else sample_weight
        return np.tile(Y, (self.n_members, 1)), np.tile(weights, self.n_members)

    def _stacked_pass(self, params, X, Y_all, weights, alpha, grad, workspace):
        ctx = Pass(weights, float(weights.sum()), alpha)
        workspace = workspace or Workspace(X.shape[0], params.dtype)
        grad = np.empty_like(params) if grad is None else grad
        P = self.forward(params, X, workspace, ctx)
        delta = self.loss.delta(Y_all, P, out=np.empty_like(P))
        delta *= ctx.weight_fractions
        self._backward(params, grad, delta, workspace, ctx)
        return P, grad

    def member_loss(self, Y, P, sample_weight=None):
        """The mean of the members' weighted losses, ``P`` stacked."""
        Y_all, weights = self._stacked(Y, sample_weight, Y.shape[0], P.dtype)
        return self.loss.value(Y_all, P, weights)

    def members(self, params, X, logits=True):
        """Return the members' outputs, ``(k, n, n_outputs)``."""
        Z = super().predict(params, X, logits=logits)
        return Z.reshape(self.n_members, X.shape[0], -1)

    def predict(self, params, X, stats=None, logits=False):
        """The mean of the members' outputs (or of their logits)."""
        return self.members(params, X, logits).mean(axis=0)


TABULAR_LAYERS = {
    cls.name: cls
    for cls in (
        TabularEmbedding, Scale, EnsembleAdapter, NTKDense,
        ParametricActivation, KeyedDropout, EnsembleHead,
    )
}  # fmt: skip
"""The tabular layer classes by name."""


def _build(spec):
    name, *arguments = spec
    return {**LAYERS, **TABULAR_LAYERS}[name](*arguments)
