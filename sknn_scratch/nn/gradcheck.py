r"""Finite-difference gradient checking on a flat parameter vector.

The central difference

.. math::

    \frac{\partial J}{\partial \theta_j} \approx
    \frac{J(\theta + h e_j) - J(\theta - h e_j)}{2h}

has an error of order :math:`h^2`, so in float64 with :math:`h = 10^{-6}` it
agrees with a correct analytic gradient to roughly :math:`10^{-8}` relative.
"""

import numpy as np


def numerical_gradient(fun, params, eps=1e-6):
    """Return the central-difference gradient of the scalar ``fun`` at ``params``.

    Parameters
    ----------
    fun : callable
        ``fun(params) -> float``.
    params : ndarray of shape (n_params,)
        The point; restored before returning.
    eps : float, default=1e-6
        The step :math:`h`.

    Examples
    --------
    >>> import numpy as np
    >>> g = numerical_gradient(lambda p: float(p @ p), np.array([1.0, -2.0]))
    >>> np.allclose(g, [2.0, -4.0])
    True
    """
    params = np.array(params, dtype=np.float64)
    grad = np.empty_like(params)
    for j in range(params.size):
        original = params[j]
        params[j] = original + eps
        upper = fun(params)
        params[j] = original - eps
        lower = fun(params)
        params[j] = original
        grad[j] = (upper - lower) / (2 * eps)
    return grad


def relative_error(analytic, numeric):
    r"""Return :math:`\max_j |a_j - n_j| / \max(|a_j| + |n_j|, 10^{-8})`.

    Examples
    --------
    >>> relative_error(np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    0.0
    """
    scale = np.maximum(np.abs(analytic) + np.abs(numeric), 1e-8)
    return float(np.max(np.abs(analytic - numeric) / scale, initial=0.0))
