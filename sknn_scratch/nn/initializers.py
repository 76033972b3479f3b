r"""Weight initialization schemes.

Each initializer fills one layer's weight matrix ``W`` of shape
``(fan_in, fan_out)`` and its bias vector ``b`` in place, drawing from the
random generator it is given: first the weights, then the biases. That draw
order is sklearn's, so the same seed gives sklearn's initial network with the
default ``glorot_uniform``. The other schemes draw only the weights and start
the biases at zero, as Keras does.
"""

import math

from ._registry import lookup, registry


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


def glorot_normal(rng, W, b, activation):
    r"""Glorot normal: :math:`W \sim N(0,\ 2 / (n_\text{in} + n_\text{out}))`,
    biases 0."""
    fan_in, fan_out = W.shape
    W[...] = rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), W.shape)
    b[...] = 0.0


def he_uniform(rng, W, b, activation):
    r"""He uniform: :math:`W \sim U(-r, r)` with :math:`r = \sqrt{6 / n_\text{in}}`,
    biases 0. Suited to relu-like activations."""
    bound = math.sqrt(6.0 / W.shape[0])
    W[...] = rng.uniform(-bound, bound, W.shape)
    b[...] = 0.0


def he_normal(rng, W, b, activation):
    r"""He normal: :math:`W \sim N(0,\ 2 / n_\text{in})`, biases 0."""
    W[...] = rng.normal(0.0, math.sqrt(2.0 / W.shape[0]), W.shape)
    b[...] = 0.0


def lecun_normal(rng, W, b, activation):
    r"""LeCun normal: :math:`W \sim N(0,\ 1 / n_\text{in})`, biases 0. Suited to
    self-normalizing activations such as elu."""
    W[...] = rng.normal(0.0, math.sqrt(1.0 / W.shape[0]), W.shape)
    b[...] = 0.0


INITIALIZERS = registry(
    glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_normal
)
"""Initializers by canonical name."""


def get_initializer(name: str):
    """Return the initializer called ``name``."""
    return lookup(INITIALIZERS, name, "initializer")
