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
from scipy.special import expit

from ._registry import lookup


@dataclass(frozen=True)
class Activation:
    """An activation function and its derivative.

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
    """

    name: str
    forward: Callable
    backward: Callable | None = None
    needs_input: bool = False

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
    r"""Logistic sigmoid, :math:`\sigma(z) = 1 / (1 + e^{-z})`, by ``expit``."""
    return expit(Z, out=out)


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
    return np.maximum(Z, 0, out=out)


def relu_backward(Z, A, dA):
    r""":math:`f'(z) = 1` where :math:`z > 0` (equivalently :math:`A > 0`), else 0."""
    return np.multiply(dA, A > 0, out=dA)


def softmax(Z, out):
    r"""Softmax over each row, :math:`p_k = e^{z_k - m} / \sum_j e^{z_j - m}`.

    Subtracting the row maximum :math:`m` changes nothing mathematically and
    keeps ``exp`` from overflowing.
    """
    shifted = Z - Z.max(axis=1, keepdims=True)
    np.exp(shifted, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


def exp(Z, out):
    r"""Exponential, :math:`f(z) = e^z`: the inverse of the Poisson log link."""
    return np.exp(Z, out=out)


ACTIVATIONS = {
    "identity": Activation("identity", identity, identity_backward),
    "logistic": Activation("logistic", logistic, logistic_backward),
    "tanh": Activation("tanh", tanh, tanh_backward),
    "relu": Activation("relu", relu, relu_backward),
}
"""Hidden-layer activations by canonical name."""

OUTPUT_ACTIVATIONS = {
    "identity": ACTIVATIONS["identity"],
    "logistic": ACTIVATIONS["logistic"],
    "softmax": Activation("softmax", softmax),
    "exp": Activation("exp", exp),
}
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
