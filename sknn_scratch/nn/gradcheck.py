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
    r"""Return the norm-wise relative error :math:`\lVert a - n \rVert / (\lVert a
    \rVert + \lVert n \rVert)`.

    A norm-wise measure is used because a central difference has an absolute
    error of about :math:`\epsilon_\text{mach} |J| / h`: an element-wise ratio
    would flag tiny gradient components whose value is right to ten decimals.
    Two zero vectors have error 0.

    Examples
    --------
    >>> relative_error(np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    0.0
    >>> round(relative_error(np.array([1.0]), np.array([1.1])), 4)
    0.0476
    """
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    if scale == 0:
        return 0.0
    return float(np.linalg.norm(analytic - numeric) / scale)
