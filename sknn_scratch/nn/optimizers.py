r"""Update rules for minibatch training, acting on whole flat vectors.

An optimizer is a small stateful object: ``init_state(params)`` allocates its
state (velocities, moments), and ``step(params, grad, lr)`` updates ``params``
in place given the gradient ``grad`` and the current learning rate ``lr`` from
the schedule. Each step is a fixed handful of whole-vector NumPy calls,
however deep the network. A step may use ``grad`` as scratch space once it has
read it, which saves a parameter-sized buffer; ``grad`` is undefined after.

The updates are sklearn's formulas. The ``y += a * x`` parts go through BLAS
``axpy`` (see :mod:`sknn_scratch.nn._blas`): one pass over memory instead of
two, and no scratch vector. BLAS may fuse a multiply and an add, so iterates
can differ from sklearn's in the last bits; the parity tests bound that.
"""

import inspect
import math

import numpy as np

from ._blas import axpy, scal
from ._registry import lookup, registry


class Optimizer:
    """Base class: holds scratch buffers that are rebuilt rather than pickled.

    A subclass's ``__init__`` arguments are its hyperparameters
    (:meth:`hyperparameters`); ``name`` is its solver name, and
    ``decoupled_decay`` says whether it applies weight decay itself, outside
    the loss (then the loss has no L2 term).
    """

    name = "optimizer"
    decoupled_decay = False
    _state_names: tuple = ()

    @classmethod
    def hyperparameters(cls) -> tuple:
        """The names of the constructor's arguments."""
        return tuple(inspect.signature(cls).parameters)

    def init_state(self, params, n_decayed=0):
        """Allocate the state for a vector like ``params``, whose first
        ``n_decayed`` entries are the decayed weights."""
        self.n_weights = n_decayed
        for name in self._state_names:
            setattr(self, name, np.zeros_like(params))

    def step(self, params, grad, lr):
        """Update ``params`` in place from ``grad`` (then clobbered) at rate ``lr``."""
        raise NotImplementedError

    def adopt_state(self, params):
        """Make the state updatable in place for ``params``; False if it cannot be.

        A state loaded read-only (a memory map) is copied and one of another
        dtype converted. A state shaped for another parameter vector cannot
        serve: the caller builds a new one.
        """
        for name in self._state_names:
            state = getattr(self, name, None)
            if state is None or state.shape != params.shape:
                return False
            if state.dtype != params.dtype or not state.flags.writeable:
                setattr(self, name, np.array(state, dtype=params.dtype))
        return True

    def _scratch(self, like, count):
        buffers = getattr(self, "_buffers", None)
        if (
            buffers is None
            or buffers[0].shape != like.shape
            or (buffers[0].dtype != like.dtype)
        ):
            buffers = [np.empty_like(like) for _ in range(count)]
            self._buffers = buffers
        return buffers

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_buffers", None)
        return state


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional (Nesterov) momentum.

    With momentum :math:`\mu` and learning rate :math:`\eta`:

    .. math::

        v &\leftarrow \mu v - \eta g \\
        w &\leftarrow w + v \quad \text{(classical)} \\
        w &\leftarrow w + \mu v - \eta g \quad \text{(Nesterov)}

    The Nesterov form is sklearn's: the look-ahead step reuses the current
    gradient instead of evaluating it at the shifted point.

    Parameters
    ----------
    momentum : float, default=0.9
        :math:`\mu`, in [0, 1].
    nesterov : bool, default=True
        Whether to take the Nesterov step.

    Examples
    --------
    >>> import numpy as np
    >>> opt = SGD(momentum=0.5, nesterov=False)
    >>> w = np.array([1.0]); opt.init_state(w)
    >>> opt.step(w, np.array([2.0]), lr=0.1); w
    array([0.8])
    >>> opt.step(w, np.array([2.0]), lr=0.1); w  # v = 0.5*(-0.2) - 0.2
    array([0.5])
    """

    name = "sgd"
    _state_names = ("velocity",)

    def __init__(self, momentum=0.9, nesterov=True):
        self.momentum = momentum
        self.nesterov = nesterov

    def step(self, params, grad, lr):
        """Apply one momentum step."""
        scal(self.momentum, self.velocity)
        axpy(-lr, grad, self.velocity)
        if self.nesterov:
            axpy(self.momentum, self.velocity, params)
            axpy(-lr, grad, params)
        else:
            axpy(1.0, self.velocity, params)


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2014) in sklearn's form.

    With step count :math:`t` and decay rates :math:`\beta_1, \beta_2`:

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1) g \\
        v &\leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
        \eta_t &= \eta \, \sqrt{1 - \beta_2^t} / (1 - \beta_1^t) \\
        w &\leftarrow w - \eta_t \, m / (\sqrt{v} + \epsilon)

    The bias correction is folded into :math:`\eta_t`, so :math:`\epsilon` is
    added to the *uncorrected* :math:`\sqrt{v}`, as sklearn does.

    Parameters
    ----------
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the first and second moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.
    """

    name = "adam"
    _state_names = ("m", "v")

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0

    def init_state(self, params, n_decayed=0):
        """Zero the moments and the step count."""
        super().init_state(params, n_decayed)
        self.t = 0

    def step(self, params, grad, lr):
        """Apply one Adam step."""
        self.t += 1
        scal(self.beta_1, self.m)
        axpy(1 - self.beta_1, grad, self.m)
        squared = np.multiply(grad, grad, out=grad)
        scal(self.beta_2, self.v)
        axpy(1 - self.beta_2, squared, self.v)
        lr_t = lr * math.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
        denominator = np.sqrt(self.v, out=grad)
        denominator += self.epsilon
        direction = np.divide(self.m, denominator, out=grad)
        axpy(-lr_t, direction, params)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    Before each Adam step the weight matrices (not the biases or batch-norm
    parameters, which sit after them in the flat vector) shrink by the current
    learning rate times the decay :math:`\lambda`:

    .. math::

        W \leftarrow (1 - \eta \lambda)\, W,

    and then the Adam step of :class:`Adam` follows. The decay is not part of
    the loss, so it is not rescaled by Adam's per-coordinate step sizes.

    Parameters
    ----------
    beta_1, beta_2, epsilon : float
        As for :class:`Adam`.
    weight_decay : float, default=0.0
        :math:`\lambda`. The decayed entries are the leading ``n_decayed`` of
        the flat vector, given to :meth:`init_state`.
    """

    name = "adamw"
    decoupled_decay = True

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.0):
        super().__init__(beta_1, beta_2, epsilon)
        self.weight_decay = weight_decay

    def step(self, params, grad, lr):
        """Decay the weights, then apply one Adam step."""
        if self.weight_decay:
            scal(1 - lr * self.weight_decay, params[: self.n_weights])
        super().step(params, grad, lr)


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011): per-coordinate rates from summed squares.

    .. math::

        G &\leftarrow G + g^2 \\
        w &\leftarrow w - \eta\, g / (\sqrt{G} + \epsilon)

    Parameters
    ----------
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.
    """

    name = "adagrad"
    _state_names = ("sum_squares",)

    def __init__(self, epsilon=1e-8):
        self.epsilon = epsilon

    def step(self, params, grad, lr):
        """Apply one Adagrad step."""
        (denominator,) = self._scratch(params, 1)
        np.multiply(grad, grad, out=denominator)
        self.sum_squares += denominator
        np.sqrt(self.sum_squares, out=denominator)
        denominator += self.epsilon
        grad /= denominator
        axpy(-lr, grad, params)


class RMSprop(Optimizer):
    r"""RMSprop (Tieleman and Hinton, 2012): a decaying mean of squared gradients.

    .. math::

        v &\leftarrow \rho\, v + (1 - \rho)\, g^2 \\
        w &\leftarrow w - \eta\, g / (\sqrt{v} + \epsilon)

    Parameters
    ----------
    rho : float, default=0.999
        Decay rate :math:`\rho` (the estimators pass ``beta_2``).
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.
    """

    name = "rmsprop"
    _state_names = ("mean_squares",)

    def __init__(self, rho=0.999, epsilon=1e-8):
        self.rho = rho
        self.epsilon = epsilon

    def step(self, params, grad, lr):
        """Apply one RMSprop step."""
        (denominator,) = self._scratch(params, 1)
        scal(self.rho, self.mean_squares)
        squared = np.multiply(grad, grad, out=denominator)
        axpy(1 - self.rho, squared, self.mean_squares)
        np.sqrt(self.mean_squares, out=denominator)
        denominator += self.epsilon
        grad /= denominator
        axpy(-lr, grad, params)


OPTIMIZERS = registry(SGD, Adam, AdamW, Adagrad, RMSprop)
"""Minibatch optimizer classes by solver name."""


def get_optimizer(name: str, **hyperparameters) -> Optimizer:
    """Return a new optimizer called ``name`` built with ``hyperparameters``."""
    return lookup(OPTIMIZERS, name, "solver")(**hyperparameters)
