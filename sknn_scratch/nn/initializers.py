r"""Weight initialization schemes.

Each initializer fills one layer's weight matrix ``W`` of shape
``(fan_in, fan_out)`` and its bias vector ``b`` in place, drawing from the
random generator it is given: first the weights, then the biases. That draw
order is sklearn's, so the same seed gives sklearn's initial network.
"""

import math

from ._registry import lookup


def glorot_uniform(rng, W, b, activation):
    r"""Glorot (Xavier) uniform initialization, sklearn's variant.

    Weights and biases are drawn from :math:`U(-r, r)` with

    .. math::

        r = \sqrt{\frac{c}{n_\text{in} + n_\text{out}}},
        \quad c = 2 \text{ for the logistic activation, else } 6.

    Parameters
    ----------
    rng : numpy.random.RandomState
        The source of randomness.
    W : ndarray of shape (fan_in, fan_out)
        Filled in place.
    b : ndarray of shape (fan_out,)
        Filled in place.
    activation : str
        The hidden activation's name; it selects :math:`c`.
    """
    fan_in, fan_out = W.shape
    factor = 2.0 if activation == "logistic" else 6.0
    bound = math.sqrt(factor / (fan_in + fan_out))
    W[...] = rng.uniform(-bound, bound, W.shape)
    b[...] = rng.uniform(-bound, bound, b.shape)


INITIALIZERS = {"glorot_uniform": glorot_uniform}
"""Initializers by canonical name."""


def get_initializer(name: str):
    """Return the initializer called ``name``."""
    return lookup(INITIALIZERS, name, "initializer")


__all__ = ["INITIALIZERS", "get_initializer", "glorot_uniform"]
