r"""Loss functions: their weighted value and their delta at the output layer.

For targets :math:`Y`, predictions :math:`P = g(Z)` of the output activation
:math:`g`, and sample weights :math:`w_i`, every loss here is a weighted mean of
per-sample losses :math:`\ell_i`:

.. math::

    L = \frac{\sum_i w_i\,\ell(y_i, p_i)}{\sum_i w_i}.

Each loss is paired with its *canonical* output activation, the inverse of its
link function. For those pairs the derivative with respect to the output
pre-activation collapses to

.. math::

    \frac{\partial \ell_i}{\partial z_{ik}} = p_{ik} - y_{ik},

which is why the network never needs the output activation's own derivative:
softmax with log-loss, logistic with binary log-loss, identity with squared
error and exp with Poisson deviance all give ``P - Y``. The one scaling is the
squared error's mean over outputs (see :func:`squared_error_delta`).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import xlogy

from ._registry import lookup


@dataclass(frozen=True)
class Loss:
    """A loss, its canonical output activation, and its output delta.

    Attributes
    ----------
    name : str
        The canonical registry key.
    output_activation : str
        The key of the output activation this loss is paired with.
    value : callable
        ``value(Y, P, sample_weight)`` returns the weighted mean loss as a float.
    delta : callable
        ``delta(Y, P, out)`` writes the unweighted per-sample gradient
        :math:`\\partial \\ell_i / \\partial Z` into ``out`` and returns it.
    """

    name: str
    output_activation: str
    value: Callable
    delta: Callable


def _clip_probabilities(P):
    eps = np.finfo(P.dtype).eps
    return np.clip(P, eps, 1 - eps)


def squared_error(Y, P, sample_weight=None):
    r"""Half the mean squared error, averaged over samples and then outputs.

    .. math::

        \ell_i = \frac{1}{2 K} \sum_{k=1}^{K} (p_{ik} - y_{ik})^2
    """
    return float(0.5 * np.average((Y - P) ** 2, weights=sample_weight, axis=0).mean())


def squared_error_delta(Y, P, out):
    r""":math:`\partial \ell_i / \partial z_{ik} = (p_{ik} - y_{ik}) / K`.

    The division by the number of outputs :math:`K` makes the gradient that of
    the reported loss. sklearn omits it, so its multi-output gradient is
    :math:`K` times too large (scikit-learn issue 8349).
    """
    np.subtract(P, Y, out=out)
    if out.shape[1] > 1:
        out /= out.shape[1]
    return out


def canonical_delta(Y, P, out):
    r""":math:`\partial \ell_i / \partial z_{ik} = p_{ik} - y_{ik}`."""
    return np.subtract(P, Y, out=out)


def log_loss(Y, P, sample_weight=None):
    r"""Cross-entropy of one-hot targets under softmax probabilities.

    .. math::

        \ell_i = -\sum_k y_{ik} \log p_{ik}

    Probabilities are clipped to :math:`[\epsilon, 1 - \epsilon]` first, as
    sklearn does, so that a confident mistake costs a large finite amount.
    """
    P = _clip_probabilities(P)
    return float(-np.average(xlogy(Y, P), weights=sample_weight, axis=0).sum())


def binary_log_loss(Y, P, sample_weight=None):
    r"""Binary cross-entropy, summed over independent outputs (multilabel).

    .. math::

        \ell_i = -\sum_k \left[ y_{ik} \log p_{ik}
                 + (1 - y_{ik}) \log(1 - p_{ik}) \right]
    """
    P = _clip_probabilities(P)
    terms = xlogy(Y, P) + xlogy(1 - Y, 1 - P)
    return float(-np.average(terms, weights=sample_weight, axis=0).sum())


def poisson(Y, P, sample_weight=None):
    r"""Half the Poisson deviance, summed over outputs.

    .. math::

        \ell_i = \sum_k \left[ y_{ik} \log \frac{y_{ik}}{p_{ik}}
                 - y_{ik} + p_{ik} \right]

    With :math:`p = e^z` its derivative is :math:`p - y`.
    """
    terms = xlogy(Y, Y / P) - Y + P
    return float(np.average(terms, weights=sample_weight, axis=0).sum())


LOSSES = {
    "squared_error": Loss(
        "squared_error", "identity", squared_error, squared_error_delta
    ),
    "log_loss": Loss("log_loss", "softmax", log_loss, canonical_delta),
    "binary_log_loss": Loss(
        "binary_log_loss", "logistic", binary_log_loss, canonical_delta
    ),
    "poisson": Loss("poisson", "exp", poisson, canonical_delta),
}
"""Losses by canonical name."""


def get_loss(name: str) -> Loss:
    """Return the loss called ``name``.

    Examples
    --------
    >>> import numpy as np
    >>> get_loss("squared_error").value(np.array([[1.0]]), np.array([[3.0]]))
    2.0
    """
    return lookup(LOSSES, name, "loss")
