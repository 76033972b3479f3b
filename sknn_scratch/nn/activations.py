r"""Activation functions, their derivatives, and the registries that name them.

Every activation works in place on a batch of pre-activations ``Z`` of shape
``(n_samples, n_units)``. The backward function multiplies an incoming gradient
``dA`` (the gradient of the loss with respect to the activation's output) in
place by the derivative, turning it into ``dZ``:

.. math::

    \frac{\partial L}{\partial Z} = \frac{\partial L}{\partial A} \odot f'(Z).

Where the derivative can be written exactly in terms of the output ``A = f(Z)``
(identity, logistic, tanh, relu), it is, so the forward pass may overwrite
``Z`` with ``A`` and no extra buffer is kept. This is sklearn's trick.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import erfc, expit, logsumexp

from ._registry import lookup, registry

# log of the largest finite value, by dtype character
_LOG_MAX = {c: float(np.log(np.finfo(c).max)) for c in "efdg"}


@dataclass(frozen=True)
class Activation:
    r"""An activation function and its derivative.

    Attributes
    ----------
    name : str
        The canonical registry key.
    forward : callable
        ``forward(Z, out)`` writes ``f(Z)`` into ``out`` (which may be ``Z``) and
        returns it.
    backward : callable or None
        ``backward(Z, A, dA)`` multiplies ``dA`` in place by ``f'(Z)``. ``Z`` is
        only valid when :attr:`needs_input` is true. Output activations, whose
        delta comes from the loss, have none.
    needs_input : bool
        Whether ``backward`` needs the pre-activation ``Z`` as well as ``A``.
    log_forward : callable or None
        ``log_forward(Z)`` returns :math:`\log f(Z)` as a new array, computed
        stably from ``Z``; output activations that are probabilities have it.
    """

    name: str
    forward: Callable
    backward: Callable | None = None
    needs_input: bool = False
    log_forward: Callable | None = None

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        """Return ``f(Z)`` as a new array, leaving ``Z`` untouched."""
        return self.forward(Z, np.empty_like(Z))


def identity(Z, out):
    r"""Identity, :math:`f(z) = z`, with :math:`f'(z) = 1`."""
    if out is not Z:
        np.copyto(out, Z)
    return out


def identity_backward(Z, A, dA):
    """Leave ``dA`` unchanged: the identity's derivative is one."""
    return dA


def logistic(Z, out):
    r"""Logistic sigmoid, :math:`\sigma(z) = 1 / (1 + e^{-z})`.

    SciPy's ``expit`` works one element at a time (about 5.6 ns each here);
    NumPy's vectorized ``exp`` and ``reciprocal`` take about 1.5 ns but four
    calls. Large batches take the NumPy route when no :math:`e^{-z}` can
    overflow; the two agree to within three units in the last place.
    """
    if Z.size < 1024 or not np.minimum.reduce(Z, axis=None) > -_LOG_MAX[Z.dtype.char]:
        return expit(Z, out=out)
    np.negative(Z, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def logistic_backward(Z, A, dA):
    r""":math:`\sigma'(z) = \sigma(z)\,(1 - \sigma(z)) = A (1 - A)`."""
    dA *= A
    dA *= 1 - A
    return dA


def tanh(Z, out):
    r"""Hyperbolic tangent, :math:`\tanh(z)`."""
    return np.tanh(Z, out=out)


def tanh_backward(Z, A, dA):
    r""":math:`\tanh'(z) = 1 - \tanh^2(z) = 1 - A^2`."""
    dA *= 1 - A**2
    return dA


def relu(Z, out):
    r"""Rectified linear unit, :math:`f(z) = \max(z, 0)`."""
    # NumPy's maximum against the scalar 0 takes a slow path, about 2.3x the
    # time of maximum between two arrays (measured on (200, 100) batches)
    zeros = _filled(0.0, Z.shape, Z.dtype) if Z.ndim == 2 else None
    return np.maximum(Z, 0 if zeros is None else zeros, out=out)


def relu_backward(Z, A, dA):
    r""":math:`f'(z) = 1` where :math:`z > 0` (equivalently :math:`A > 0`), else 0."""
    # NumPy multiplies by a uint8 0/1 faster than by the same bools
    return np.multiply(dA, np.greater(A, 0).view(np.uint8), out=dA)


_FILLED = {}
_FILLED_LIMIT = 1 << 16
_FILLED_KEYS = 16


def _filled(value, shape, dtype):
    """A shared read-only 2-D array of ``value``, or None above 65536 entries.

    One array per value, width and dtype, grown to the most rows asked for;
    callers get a view of its leading rows. Never written to, so threads can
    share it. At most 16 arrays are kept (8 MiB): a new key beyond that
    evicts the oldest, so fits over many layer widths do not grow memory.
    """
    rows, width = shape
    if rows * width > _FILLED_LIMIT:
        return None
    key = (value, width, np.dtype(dtype).char)
    array = _FILLED.get(key)
    if array is None or array.shape[0] < rows:
        array = np.full(shape, value, dtype)
        array.flags.writeable = False
        _FILLED.pop(key, None)
        while len(_FILLED) >= _FILLED_KEYS:
            # another thread may evict the same key first
            _FILLED.pop(next(iter(_FILLED), None), None)
        _FILLED[key] = array
    return array[:rows]


def leaky_relu(Z, out):
    r"""Leaky ReLU, :math:`f(z) = \max(z, 0.01 z)`."""
    return np.maximum(Z, 0.01 * Z, out=out)


def leaky_relu_backward(Z, A, dA):
    r""":math:`f'(z) = 1` where :math:`z > 0` (so :math:`A > 0`), else 0.01."""
    dA *= np.where(A > 0, 1.0, 0.01).astype(dA.dtype)
    return dA


def elu(Z, out):
    r"""Exponential linear unit, :math:`f(z) = z` for :math:`z > 0`, else
    :math:`e^z - 1`, computed with ``expm1`` on :math:`\min(z, 0)` so that
    large positive inputs never reach ``exp``."""
    negative = np.expm1(np.minimum(Z, 0))
    np.copyto(out, np.where(Z > 0, Z, negative))
    return out


def elu_backward(Z, A, dA):
    r""":math:`f'(z) = 1` for :math:`z > 0`, else :math:`e^z = A + 1`."""
    dA *= np.where(A > 0, 1.0, A + 1)
    return dA


def softplus(Z, out):
    r"""Softplus, :math:`f(z) = \log(1 + e^z)`, as :math:`\max(z, 0) +
    \log(1 + e^{-|z|})`, which cannot overflow."""
    tail = np.log1p(np.exp(-np.abs(Z)))
    np.maximum(Z, 0, out=out)
    out += tail
    return out


def softplus_backward(Z, A, dA):
    r""":math:`f'(z) = \sigma(z) = 1 - e^{-f(z)}`, computed as
    :math:`-\operatorname{expm1}(-A)` to keep precision where :math:`A` is tiny."""
    dA *= -np.expm1(-A)
    return dA


_SQRT_HALF = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327


def gelu(Z, out):
    r"""Gaussian error linear unit, the exact form :math:`f(z) = z\,\Phi(z)`,
    with :math:`\Phi(z) = \tfrac12 \operatorname{erfc}(-z/\sqrt2)`."""
    cdf = 0.5 * erfc(-_SQRT_HALF * Z)
    return np.multiply(Z, cdf, out=out)


def gelu_backward(Z, A, dA):
    r""":math:`f'(z) = \Phi(z) + z\,\varphi(z)`, with the standard normal
    density :math:`\varphi(z) = e^{-z^2/2} / \sqrt{2\pi}`."""
    cdf = 0.5 * erfc(-_SQRT_HALF * Z)
    dA *= cdf + Z * (_INV_SQRT_2PI * np.exp(-0.5 * Z * Z))
    return dA


def silu(Z, out):
    r"""Sigmoid linear unit (swish), :math:`f(z) = z\,\sigma(z)`."""
    return np.multiply(Z, expit(Z), out=out)


def silu_backward(Z, A, dA):
    r""":math:`f'(z) = \sigma(z)\,\bigl(1 + z\,(1 - \sigma(z))\bigr)`."""
    sigma = expit(Z)
    dA *= sigma * (1 + Z * (1 - sigma))
    return dA


def softmax(Z, out):
    r"""Softmax over each row, :math:`p_k = e^{z_k} / \sum_j e^{z_j}`.

    Where some :math:`|z|` is large enough for ``exp`` to overflow (or a whole
    row to underflow), the row maximum :math:`m` is subtracted first, which
    changes nothing mathematically. When every :math:`|z|` is below half the
    log of the largest float, neither can happen, and two whole-array
    reductions are cheaper than one reduction per row.
    """
    limit = 0.5 * _LOG_MAX[Z.dtype.char]
    if (
        Z.size
        and -limit < np.minimum.reduce(Z, axis=None)
        and (np.maximum.reduce(Z, axis=None) < limit)
    ):
        np.exp(Z, out=out)
    else:
        np.subtract(Z, np.maximum.reduce(Z, axis=1, keepdims=True), out=out)
        np.exp(out, out=out)
    # a matrix-vector product sums short rows faster than np.sum(axis=1)
    ones = _filled(1.0, (1, out.shape[1]), out.dtype)
    ones = np.ones(out.shape[1], out.dtype) if ones is None else ones[0]
    out /= (out @ ones)[:, np.newaxis]
    return out


def log_softmax(Z):
    r""":math:`\log p_k = z_k - \log \sum_j e^{z_j}`, without forming :math:`p`."""
    return Z - logsumexp(Z, axis=1, keepdims=True)


def log_logistic(Z):
    r""":math:`\log \sigma(z) = -\log(1 + e^{-z})`, without forming :math:`\sigma`."""
    return -np.logaddexp(0, -Z)


def exp(Z, out):
    r"""Exponential, :math:`f(z) = e^z`: the inverse of the Poisson log link.

    :math:`z` is clipped to :math:`\pm(\log(\text{largest float}) - 1)` first
    (:math:`|z| \le 708.8` in float64), so ``exp`` itself never overflows; a
    model that gets there has diverged, and its loss says so.
    """
    limit = _LOG_MAX[Z.dtype.char] - 1.0
    np.clip(Z, -limit, limit, out=out)
    return np.exp(out, out=out)


ACTIVATIONS = registry(
    Activation("identity", identity, identity_backward),
    Activation("logistic", logistic, logistic_backward),
    Activation("tanh", tanh, tanh_backward),
    Activation("relu", relu, relu_backward),
    Activation("leaky_relu", leaky_relu, leaky_relu_backward),
    Activation("elu", elu, elu_backward),
    Activation("softplus", softplus, softplus_backward),
    Activation("gelu", gelu, gelu_backward, needs_input=True),
    Activation("silu", silu, silu_backward, needs_input=True),
)
"""Hidden-layer activations by canonical name."""

OUTPUT_ACTIVATIONS = registry(
    ACTIVATIONS["identity"],
    Activation("logistic", logistic, log_forward=log_logistic),
    Activation("softmax", softmax, log_forward=log_softmax),
    Activation("exp", exp),
)
"""Output-layer activations by canonical name. Their delta comes from the loss."""

ALIASES = {"sigmoid": "logistic"}


def get_activation(name: str) -> Activation:
    """Return the hidden-layer activation called ``name``.

    Examples
    --------
    >>> import numpy as np
    >>> get_activation("relu")(np.array([[-1.0, 2.0]]))
    array([[0., 2.]])
    """
    return lookup(ACTIVATIONS, name, "activation", ALIASES)


def get_output_activation(name: str) -> Activation:
    """Return the output activation called ``name``."""
    return lookup(OUTPUT_ACTIVATIONS, name, "output activation", ALIASES)
