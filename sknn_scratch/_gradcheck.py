"""``check_gradients``: the tutorials' gradient-check exercise, as a tool."""

import copy
import math
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils import check_random_state

from ._estimators import ScratchMLPClassifier, ScratchMLPRegressor
from .nn.gradcheck import numerical_gradient, relative_error
from .nn.layers import Workspace

# The step must span this many float64 spacings of the largest of 1 and the
# parameters, so that rounding the step and the loss costs each difference
# quotient about 1e-7 of its value (see check_gradients' ``eps``).
EPS_SPACINGS = 1e7
# Above this, the O(h^2) truncation error and kinks within h dominate: a step
# of 1e-2 reported 5.5e-2 for a correct gradient of the test grid.
EPS_MAX = 1e-3


@dataclass
class GradientCheck:
    r"""The outcome of :func:`check_gradients`.

    Attributes
    ----------
    max_relative_error : float
        The norm-wise relative error of the whole gradient,
        :math:`\lVert g - g^\text{num} \rVert / (\lVert g \rVert +
        \lVert g^\text{num} \rVert)`.
    block_errors : dict of str to float
        Each parameter block's share of it, :math:`\lVert g_b - g_b^\text{num}
        \rVert / (\lVert g \rVert + \lVert g^\text{num} \rVert)`, keyed like
        the fitted attributes: ``"coefs_[0]"``, ``"intercepts_[0]"``,
        ``"gammas_[0]"``, ``"betas_[0]"``, ... The whole gradient's norm is the
        scale because some blocks are exactly zero (a dense bias followed by
        batch norm), where a block's own relative error would be noise over
        noise.
    analytic : ndarray of shape (n_params,)
        Backpropagation's gradient, in the flat layout.
    numeric : ndarray of shape (n_params,)
        The central-difference gradient.
    """

    max_relative_error: float
    block_errors: dict = field(default_factory=dict)
    analytic: np.ndarray = None
    numeric: np.ndarray = None


def check_gradients(
    estimator: ScratchMLPClassifier | ScratchMLPRegressor,
    X: ArrayLike,
    y: ArrayLike,
    sample_weight: ArrayLike | None = None,
    *,
    eps: float = 1e-6,
) -> GradientCheck:
    r"""Compare backpropagation's gradient with central differences.

    The objective is the one the estimator minimizes on ``(X, y)`` as a single
    batch: the weighted mean loss plus the L2 term (none for ``adamw``, whose
    decay is not part of the loss), with class weights folded into the sample
    weights, batch statistics for batch norm, and one fixed dropout mask drawn
    from the estimator's ``random_state``. Both gradients are taken in
    float64 at the estimator's weights: its fitted weights, or a fresh
    initialization if it is not fitted. Neither ``estimator`` nor its random
    state is modified.

    For each parameter :math:`\theta_j`,

    .. math::

        g_j^\text{num} = \frac{J(\theta + h e_j) - J(\theta - h e_j)}{2h},

    and the error is :math:`\lVert g - g^\text{num} \rVert /
    (\lVert g \rVert + \lVert g^\text{num} \rVert)`. A correct gradient gives
    about :math:`10^{-9}`; a wrong one, :math:`10^{-2}` or more.

    Parameters
    ----------
    estimator : ScratchMLPClassifier or ScratchMLPRegressor
        Fitted or not.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Inputs. Keep them small: the check evaluates the objective twice per
        parameter.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    eps : float, default=1e-6
        The finite-difference step :math:`h`, at least :math:`10^7
        \epsilon_\text{mach} \max(1, \lVert \theta \rVert_\infty)` (about
        :math:`2.2 \times 10^{-9}` for parameters of order one) and at most
        :math:`10^{-3}`. The perturbed parameter is rounded to the float64
        spacing near :math:`\theta_j`, and the loss to the spacing near
        :math:`J` (of order one for scaled data), about
        :math:`\epsilon_\text{mach} = 2.2 \times 10^{-16}` times their size.
        The lower bound makes that rounding about :math:`10^{-7}` of each
        difference quotient, so that a correct gradient still measures about
        :math:`10^{-6}` or less, well apart from the :math:`10^{-2}` of a
        wrong one. Above :math:`10^{-3}`, the :math:`O(h^2)` truncation error
        and kinks (ReLU, absolute error, Huber) within :math:`h` of a
        pre-activation or residual make correct gradients look wrong. See
        :ref:`gradient_checking` for measurements.

    Returns
    -------
    result : GradientCheck
        ``result.max_relative_error`` and the error of each parameter block.

    Raises
    ------
    TypeError
        If ``estimator`` is not a ScratchMLPClassifier or ScratchMLPRegressor
        instance, or ``eps`` is not a real number.
    ValueError
        If ``eps`` is outside the range above, or if the estimator's
        parameters, ``X``, ``y`` or ``sample_weight`` are ones that ``fit``
        refuses (with ``fit``'s error).

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch import ScratchMLPClassifier, check_gradients
    >>> X = np.random.RandomState(0).standard_normal((20, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = ScratchMLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    >>> check_gradients(clf, X, y).max_relative_error < 1e-6
    True
    """
    _check_estimator(estimator)
    eps = _check_eps(eps)
    est = copy.deepcopy(estimator)
    est._validate_params()
    est._check_options()
    network, params, X, Y, weights = est._gradient_check_problem(X, y, sample_weight)
    _check_eps_resolution(eps, params)
    workspace = Workspace(X.shape[0], np.float64)
    rng = check_random_state(copy.deepcopy(estimator.random_state))
    network.draw(workspace, rng, X.shape[0])

    def objective(theta):
        return network.loss_and_grad(
            theta, X, Y, weights, est._l2, workspace=workspace
        )[0]

    analytic = network.loss_and_grad(
        params, X, Y, weights, est._l2, workspace=workspace
    )[1].copy()
    numeric = numerical_gradient(objective, params, eps)
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    errors = {
        name: float(np.linalg.norm(analytic[block] - numeric[block]) / scale)
        for name, block in _blocks(network)
    }
    error = relative_error(analytic, numeric)
    return GradientCheck(error, errors, analytic, numeric)


def _check_estimator(estimator):
    """Refuse anything but our estimators: others do not expose their gradient."""
    if isinstance(estimator, (ScratchMLPClassifier, ScratchMLPRegressor)):
        return
    if isinstance(estimator, type):
        got = f"the class {estimator.__name__} itself"
    else:
        got = type(estimator).__name__
    raise TypeError(
        "check_gradients needs a ScratchMLPClassifier or ScratchMLPRegressor "
        f"instance, got {got}."
    )


def _check_eps(eps):
    """Return ``eps`` as a Python float in ``(0, EPS_MAX]``.

    A Python float, because a NumPy float32 step would turn the difference
    quotients into float32 under NEP 50 promotion.
    """
    if isinstance(eps, bool) or not isinstance(eps, Real):
        raise TypeError(f"eps must be a real number, got {type(eps).__name__}.")
    eps = float(eps)
    if not (math.isfinite(eps) and 0 < eps <= EPS_MAX):
        raise ValueError(f"eps must be a finite step in (0, {EPS_MAX:g}], got {eps!r}.")
    return eps


def _check_eps_resolution(eps, params):
    """Refuse a step that float64 cannot resolve at these parameters."""
    scale = max(1.0, float(np.max(np.abs(params), initial=0.0)))
    smallest = EPS_SPACINGS * np.finfo(np.float64).eps * scale
    if eps < smallest:
        raise ValueError(
            f"eps={eps:g} is below float64's resolution for these parameters: "
            f"use eps >= {smallest:.2g} (1e7 float64 spacings at max(1, largest "
            f"|parameter|) = {scale:.3g})."
        )


def _blocks(network):
    """Name each parameter block's slice of the flat vector."""
    return network.params_layout.named_slices()
