r"""Learning-rate schedules for the minibatch solvers.

A schedule holds the current learning rate ``lr``. The training loop calls
``epoch_end(samples_seen)`` after every epoch, and ``on_plateau()`` when the
stopping rule has seen no improvement for ``n_iter_no_change`` epochs;
``on_plateau`` returns ``True`` to stop training, or lowers the rate and
returns ``False`` to go on.
"""

import math

from ._registry import lookup, registry


class Constant:
    r"""A fixed learning rate, :math:`\eta_t = \eta_0`. A plateau stops training.

    Parameters
    ----------
    learning_rate_init : float
        :math:`\eta_0`.
    """

    name = "constant"

    def __init__(self, learning_rate_init, **unused):
        self.learning_rate_init = learning_rate_init
        self.lr = float(learning_rate_init)

    def epoch_end(self, samples_seen):
        """Update the rate after an epoch; constant does nothing."""

    def on_plateau(self):
        """Stop at a plateau."""
        return True


class InvScaling(Constant):
    r"""Inverse scaling in the number of samples seen, updated once per epoch.

    .. math::

        \eta = \frac{\eta_0}{(t + 1)^{p}},

    where :math:`t` counts *training samples* seen so far (not steps) and
    :math:`p` is ``power_t``, as in sklearn.
    """

    name = "invscaling"

    def __init__(self, learning_rate_init, power_t=0.5, **unused):
        super().__init__(learning_rate_init)
        self.power_t = power_t

    def epoch_end(self, samples_seen):
        """Set :math:`\\eta = \\eta_0 / (t + 1)^p` for ``t = samples_seen``."""
        self.lr = float(self.learning_rate_init) / (samples_seen + 1) ** self.power_t


class Cosine(Constant):
    r"""Cosine annealing from :math:`\eta_0` towards 0 over ``max_iter`` epochs.

    After epoch :math:`e` (counted from 1):

    .. math::

        \eta_e = \eta_0 \cdot \tfrac12 \left(1 + \cos\frac{\pi\,
            \min(e, E)}{E}\right),

    with :math:`E` = ``max_iter``; past :math:`E` epochs the rate stays 0. A
    plateau stops training.
    """

    name = "cosine"

    def __init__(self, learning_rate_init, max_iter=200, **unused):
        super().__init__(learning_rate_init)
        self.max_iter = max_iter
        self.epoch = 0

    def epoch_end(self, samples_seen):
        """Advance one epoch along the cosine."""
        self.epoch += 1
        progress = min(self.epoch, self.max_iter) / self.max_iter
        self.lr = self.learning_rate_init * 0.5 * (1 + math.cos(math.pi * progress))


class Adaptive(Constant):
    r"""Keep :math:`\eta_0` while training improves; divide by 5 at each plateau.

    Training stops at a plateau once :math:`\eta \le 10^{-6}`.
    """

    name = "adaptive"

    def on_plateau(self):
        """Divide the rate by five, or stop if it is already tiny."""
        if self.lr <= 1e-6:
            return True
        self.lr /= 5.0
        return False


SCHEDULES = registry(Constant, InvScaling, Adaptive, Cosine)
"""Schedule classes by ``learning_rate`` name."""


def get_schedule(name: str, **hyperparameters):
    """Return a new schedule called ``name``.

    Examples
    --------
    >>> s = get_schedule("invscaling", learning_rate_init=0.1, power_t=0.5)
    >>> s.epoch_end(samples_seen=99); round(s.lr, 6)
    0.01
    """
    return lookup(SCHEDULES, name, "learning_rate schedule")(**hyperparameters)
