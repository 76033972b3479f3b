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
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.special import xlogy

from ._registry import lookup, registry


@dataclass(frozen=True)
class Loss:
    """A loss, its canonical output activation, and its output delta.

    Attributes
    ----------
    name : str
        The canonical registry key.
    output_activation : str
        The key of the output activation this loss is paired with.
    value_function : callable
        ``value_function(Y, P, sample_weight, **options)`` returns the weighted
        mean loss as a float.
    delta_function : callable
        ``delta_function(Y, P, out, **options)`` writes the unweighted
        per-sample gradient :math:`\\partial \\ell_i / \\partial Z` into ``out``.
    options : dict
        Keyword arguments of both functions, such as Huber's ``delta``, with
        their defaults.
    task : {"regression", "classification"}
        What the loss is for.
    y_min : float or None
        The smallest target the loss is defined for (Poisson's 0), if any.
    """

    name: str
    output_activation: str
    value_function: Callable
    delta_function: Callable
    options: dict = field(default_factory=dict)
    task: str = "regression"
    y_min: float | None = None

    def check_targets(self, y):
        """Raise a ``ValueError`` if ``y`` leaves the loss's domain."""
        if self.y_min is not None and np.any(y < self.y_min):
            raise ValueError(
                f"loss={self.name!r} requires y >= {self.y_min:g}; y has "
                f"{int(np.sum(y < self.y_min))} value(s) below."
            )

    def value(self, Y, P, sample_weight=None):
        """Return the weighted mean loss of predictions ``P`` for targets ``Y``."""
        return self.value_function(Y, P, sample_weight, **self.options)

    def delta(self, Y, P, out):
        """Write :math:`\\partial \\ell_i / \\partial Z` into ``out`` and return it."""
        return self.delta_function(Y, P, out, **self.options)

    def with_options(self, **options):
        """Return a copy of this loss with other ``options``."""
        return replace(self, options={**self.options, **options})


def _mean_over_samples(terms, sample_weight):
    """Weighted mean of each column: ``np.average(terms, axis=0)``, minus overhead."""
    if sample_weight is None:
        return np.add.reduce(terms, axis=0) / terms.shape[0]
    weighted = np.multiply(terms, sample_weight[:, np.newaxis])
    return np.add.reduce(weighted, axis=0) / np.add.reduce(sample_weight)


def _clip_probabilities(P, out=None):
    eps = float(np.finfo(P.dtype).eps)
    # np.clip's arithmetic without its Python wrapper, which costs more than
    # the clipping itself on a minibatch
    clipped = np.maximum(P, eps, out=out)
    return np.minimum(clipped, 1 - eps, out=clipped)


def _log_clipped(picked):
    """Clip a fresh copy of probabilities and take its log, both in place."""
    return np.log(_clip_probabilities(picked, out=picked), out=picked)


def squared_error(Y, P, sample_weight=None):
    r"""Half the mean squared error, averaged over samples and then outputs.

    .. math::

        \ell_i = \frac{1}{2 K} \sum_{k=1}^{K} (p_{ik} - y_{ik})^2
    """
    return float(0.5 * _mean_over_samples((Y - P) ** 2, sample_weight).mean())


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
    if Y.dtype != bool:  # numeric (possibly soft) targets
        P = _clip_probabilities(P)
        return float(-_mean_over_samples(xlogy(Y, P), sample_weight).sum())
    if sample_weight is None:
        # only the true classes' probabilities need a log
        return -float(np.add.reduce(_log_clipped(P[Y]))) / P.shape[0]
    terms = np.log(np.where(Y, _clip_probabilities(P), 1.0))  # log 1 = 0
    return float(-_mean_over_samples(terms, sample_weight).sum())


def binary_log_loss(Y, P, sample_weight=None):
    r"""Binary cross-entropy, summed over independent outputs (multilabel).

    .. math::

        \ell_i = -\sum_k \left[ y_{ik} \log p_{ik}
                 + (1 - y_{ik}) \log(1 - p_{ik}) \right]

    The targets are 0/1 indicators (bool or numbers), so only one of the two
    terms is nonzero: the log of :math:`p` where :math:`y = 1`, of
    :math:`1 - p` where :math:`y = 0`.
    """
    terms = _log_clipped(np.where(Y, P, 1 - P))
    if sample_weight is None:
        return -float(np.add.reduce(terms, axis=None)) / P.shape[0]
    return float(-_mean_over_samples(terms, sample_weight).sum())


def poisson(Y, P, sample_weight=None):
    r"""Half the Poisson deviance, summed over outputs.

    .. math::

        \ell_i = \sum_k \left[ y_{ik} \log \frac{y_{ik}}{p_{ik}}
                 - y_{ik} + p_{ik} \right]

    With :math:`p = e^z` its derivative is :math:`p - y`.
    """
    terms = xlogy(Y, Y / P) - Y + P
    return float(_mean_over_samples(terms, sample_weight).sum())


def absolute_error(Y, P, sample_weight=None):
    r"""Mean absolute error over samples and outputs.

    .. math::

        \ell_i = \frac{1}{K} \sum_k |p_{ik} - y_{ik}|
    """
    return float(_mean_over_samples(np.abs(Y - P), sample_weight).mean())


def absolute_error_delta(Y, P, out):
    r""":math:`\partial \ell_i / \partial z_{ik} = \operatorname{sign}(p_{ik} -
    y_{ik}) / K`, taking the subgradient 0 where :math:`p = y`."""
    np.subtract(P, Y, out=out)
    np.sign(out, out=out)
    out /= out.shape[1]
    return out


def huber(Y, P, sample_weight=None, delta=1.0):
    r"""Huber loss with threshold :math:`\delta`, averaged over samples and outputs.

    .. math::

        h(r) = \begin{cases}
            \tfrac12 r^2 & |r| \le \delta \\
            \delta\,(|r| - \tfrac12 \delta) & |r| > \delta
        \end{cases},
        \qquad \ell_i = \frac{1}{K} \sum_k h(p_{ik} - y_{ik})

    For :math:`\delta` larger than every residual it equals ``squared_error``.
    """
    r = np.abs(P - Y)
    terms = np.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))
    return float(_mean_over_samples(terms, sample_weight).mean())


def huber_delta(Y, P, out, delta=1.0):
    r""":math:`h'(r) / K = \operatorname{clip}(r, -\delta, \delta) / K`."""
    np.subtract(P, Y, out=out)
    np.clip(out, -delta, delta, out=out)
    out /= out.shape[1]
    return out


LOSSES = registry(
    Loss("squared_error", "identity", squared_error, squared_error_delta),
    Loss("log_loss", "softmax", log_loss, canonical_delta, task="classification"),
    Loss(
        "binary_log_loss",
        "logistic",
        binary_log_loss,
        canonical_delta,
        task="classification",
    ),
    Loss("poisson", "exp", poisson, canonical_delta, y_min=0.0),
    Loss("absolute_error", "identity", absolute_error, absolute_error_delta),
    Loss("huber", "identity", huber, huber_delta, {"delta": 1.0}),
)
"""Losses by canonical name."""


def get_loss(name, **options) -> Loss:
    """Return the loss called ``name``, with ``options`` if given.

    ``name`` may also be a :class:`Loss`, returned as it is.

    Examples
    --------
    >>> import numpy as np
    >>> get_loss("squared_error").value(np.array([[1.0]]), np.array([[3.0]]))
    2.0
    """
    loss = name if isinstance(name, Loss) else lookup(LOSSES, name, "loss")
    return loss.with_options(**options) if options else loss
