r"""The tabular training recipe: schedules, Adam with per-block learning rates,
data-dependent initialization, best-epoch selection and temperature scaling.

It trains a :class:`~sknn_scratch.nn.tabular.PackedNetwork` for a fixed number
of epochs. Within that budget, with :math:`t \in [0, 1)` the fraction of steps
done:

- the learning rate follows ``lr_schedule`` (``"coslog4"`` by default);
- the dropout rate and the weight decay follow :func:`flat_cos`;
- after each epoch the loss on the validation rows is measured, and the
  weights of the best epoch are kept.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize_scalar

from ._errors import DIVERGENCE_ADVICE, DivergenceError, quiet_numerics
from .layers import Workspace
from .tabular import KeyedDropout, NTKDense


def coslog4(t):
    r"""Four cosine cycles on a logarithmic time axis (RealMLP):
    :math:`\tfrac12\bigl(1 - \cos(2\pi \log_2(1 + 15 t))\bigr)`.

    Each cycle warms up and anneals; the cycles get longer, so training ends
    with a long anneal to zero. The rate is 0 at :math:`t = 0` and at
    :math:`t = 1`.
    """
    return 0.5 * (1.0 - np.cos(2.0 * np.pi * np.log2(1.0 + 15.0 * t)))


def cosine(t):
    r"""One half cosine from 1 to 0: :math:`\tfrac12 (1 + \cos \pi t)`."""
    return 0.5 * (1.0 + np.cos(np.pi * t))


def constant(t):
    """1 throughout."""
    return 1.0


def flat_cos(t):
    r"""1 for the first half, then a half cosine to 0:
    :math:`\tfrac12 (1 + \cos(\pi \max(0, 2t - 1)))`."""
    return 0.5 * (1.0 + np.cos(np.pi * max(0.0, 2.0 * t - 1.0)))


LR_SCHEDULES = {f.__name__: f for f in (coslog4, cosine, constant)}
"""Learning-rate factors by name, functions of the fraction of steps done."""


class FactorAdam:
    r"""Adam (Kingma and Ba, 2015) with a learning-rate factor per entry and
    decoupled weight decay (Loshchilov and Hutter, 2019):

    .. math::

        m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \quad
        \theta \leftarrow \theta - \eta f \odot
            \frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}
            - \eta \lambda \theta_{\text{decayed}}.

    :math:`f` holds each block's :attr:`~sknn_scratch.nn.layers.Block.lr_factor`;
    the decay :math:`\lambda` applies to the decayed prefix only (the weight
    matrices). :math:`\beta_2 = 0.95` by default (RealMLP): the second moment
    forgets faster, which keeps the steps sized right when the schedule
    raises the learning rate again.
    """

    def __init__(self, lr_factors, n_decayed, beta_1=0.9, beta_2=0.95, eps=1e-8):
        self.lr_factors, self.n_decayed = lr_factors, int(n_decayed)
        self.beta_1, self.beta_2, self.eps = beta_1, beta_2, eps
        self.m = np.zeros_like(lr_factors)
        self.v = np.zeros_like(lr_factors)
        self.t = 0

    def step(self, params, grad, lr, weight_decay=0.0):
        """Update ``params`` in place."""
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        self.m *= b1
        self.m += (1.0 - b1) * grad
        self.v *= b2
        self.v += (1.0 - b2) * (grad * grad)
        denominator = np.sqrt(self.v / (1.0 - b2**self.t))
        denominator += self.eps
        update = self.m / denominator
        update *= self.lr_factors
        if weight_decay:
            decayed = params[: self.n_decayed]
            decayed *= 1.0 - lr * weight_decay
        params -= (lr / (1.0 - b1**self.t)) * update


def lr_factors(network, dtype=np.float64):
    """The per-entry learning-rate factors of a network's parameter vector."""
    factors = np.ones(network.n_params, dtype=dtype)
    for layer, parts in zip(
        network.layers, network.params_layout.by_layer, strict=True
    ):
        for block, part in zip(layer.parameters(), parts, strict=True):
            factors[part] = block.lr_factor
    return factors


KINK_MARGIN = 1e-3
"""How far past its kink :func:`data_init` puts each unit's chosen row."""


def data_init(network, params, X):
    r"""Set each hidden :class:`~sknn_scratch.nn.tabular.NTKDense` layer's bias
    so that unit :math:`j` is at its activation's kink at one data row:
    :math:`b_j = \epsilon - (c\, x_{r_j}^\top W)_j` with
    :math:`\epsilon` = :data:`KINK_MARGIN`.

    Every unit then starts with data on both sides of its kink, so none starts
    dead or purely linear on the data. ``X`` holds the rows, in the order
    (random, chosen by the caller) that unit j takes row ``j mod n``.
    """
    A, last = X, _last_hidden_dense(network)
    for layer in network.layers:
        if isinstance(layer, NTKDense) and layer is not last:
            _, b = layer.views(params)
            b[...] = 0.0
            Z = layer.infer(params, A, None)
            units = np.arange(layer.n_out)
            # a hair to the positive side: a row exactly at a kink (SELU's
            # derivative jumps there) would train by the sign of a rounding
            b[...] = KINK_MARGIN - Z[units % Z.shape[0], units]
            Z += b
            A = Z
        else:
            A = layer.infer(params, A, None)


def _last_hidden_dense(network):
    """An :class:`NTKDense` output layer (None: the head is another class)."""
    last = network.layers[-1]
    return last if isinstance(last, NTKDense) else None


@dataclass
class Settings:
    """What the training loop needs besides the network and the data.

    Attributes
    ----------
    learning_rate : float
        The peak learning rate :math:`\\eta`.
    n_epochs : int
        The epoch budget.
    batch_size : int
        Rows per step.
    lr_schedule : str
        A key of :data:`LR_SCHEDULES`.
    dropout : float
        The dropout rate at the start; it follows :func:`flat_cos`.
    weight_decay : float
        The decoupled weight decay at the start; it follows :func:`flat_cos`.
    beta_2 : float
        Adam's :math:`\\beta_2`.
    """

    learning_rate: float = 0.04
    n_epochs: int = 256
    batch_size: int = 256
    lr_schedule: str = "coslog4"
    dropout: float = 0.15
    weight_decay: float = 0.02
    beta_2: float = 0.95


@dataclass
class Split:
    """Rows of one side of the split: ``X``, targets ``Y``, weights, row keys.

    ``keys`` holds one 32-bit key per member and row, ``(k, n)``, for the
    keyed dropout masks, and ``row_keys`` the rows' 64-bit content keys;
    validation rows need neither.
    """

    X: np.ndarray
    Y: np.ndarray
    sample_weight: np.ndarray | None = None
    keys: np.ndarray | None = None
    row_keys: np.ndarray | None = None


@dataclass
class Outcome:
    """What :func:`train` returns.

    Attributes
    ----------
    params : ndarray
        The weights kept: the best epoch's if there was a validation set.
    loss_curve, validation_loss_curve : list of float
        The training loss (targets as trained, smoothed for classifiers) and
        the validation loss per epoch.
    best_epoch : int
        The 0-based epoch whose weights were kept.
    stopped : bool
        Whether the observer stopped training early.
    """

    params: np.ndarray
    loss_curve: list = field(default_factory=list)
    validation_loss_curve: list = field(default_factory=list)
    best_epoch: int = 0
    stopped: bool = False


class Trainer:
    """Runs :func:`train`'s epochs: the step, the schedules, the selection.

    Parameters
    ----------
    network : PackedNetwork
        The network.
    settings : Settings
        The recipe's hyperparameters.
    rng : numpy.random.RandomState
        Draws the dropout multipliers and the shuffles.
    n_train : int
        The number of training rows.
    """

    def __init__(self, network, settings, rng, n_train):
        self.network, self.settings, self.rng = network, settings, rng
        self.batch_size = min(settings.batch_size, n_train)
        self.steps_per_epoch = -(-n_train // self.batch_size)
        self.total_steps = settings.n_epochs * self.steps_per_epoch
        self.schedule = LR_SCHEDULES[settings.lr_schedule]
        self.dropouts = [
            layer for layer in network.layers if isinstance(layer, KeyedDropout)
        ]
        self.step_count = 0

    def run_epoch(self, params, optimizer, train, workspace):
        """Train one epoch; return its mean training loss."""
        n = train.X.shape[0]
        order = self.rng.permutation(n) if n > self.batch_size else np.arange(n)
        total, weight = 0.0, 0.0
        for start in range(0, n, self.batch_size):
            rows = order[start : start + self.batch_size]
            batch_weight = _batch_weight(train.sample_weight, rows)
            if batch_weight > 0:
                total += batch_weight * self.step(
                    params, optimizer, train, rows, workspace
                )
                weight += batch_weight
            self.step_count += 1
        return total / weight if weight > 0 else 0.0

    def step(self, params, optimizer, train, rows, workspace):
        """One Adam step on ``rows``; return the batch's loss."""
        t = self.step_count / self.total_steps
        s, net = self.settings, self.network
        for layer in self.dropouts:
            layer.rate = s.dropout * flat_cos(t)
        X, Y = train.X[rows], train.Y[rows]
        weights = None if train.sample_weight is None else train.sample_weight[rows]
        workspace.row_keys = train.keys[:, rows].ravel()
        net.draw(workspace, self.rng, workspace.row_keys.shape[0])
        loss, grad = net.loss_and_grad(params, X, Y, weights, workspace=workspace)
        if not np.isfinite(loss):
            raise DivergenceError(f"The training loss is {loss}. {DIVERGENCE_ADVICE}")
        lr = s.learning_rate * self.schedule(t)
        optimizer.step(params, grad, lr, s.weight_decay * flat_cos(t))
        return loss


def _batch_weight(sample_weight, rows):
    return (
        float(len(rows)) if sample_weight is None else float(sample_weight[rows].sum())
    )


def validation_loss(network, params, validation):
    """The loss of the members' mean output on the validation rows."""
    with quiet_numerics():
        P = network.predict(params, validation.X)
    return network.loss.value(validation.Y, P, validation.sample_weight)


def train(network, params, settings, train_split, validation, rng, observer=None):
    """Train ``params`` in place; return the :class:`Outcome`.

    ``validation`` may be None: then the last epoch's weights are kept.
    ``observer(epoch, outcome)``, called after each epoch, returns True to
    stop.
    """
    trainer = Trainer(network, settings, rng, train_split.X.shape[0])
    optimizer = FactorAdam(lr_factors(network, params.dtype), network.n_weights,
                           beta_2=settings.beta_2)  # fmt: skip
    workspace = Workspace(trainer.batch_size, params.dtype)
    outcome, best = Outcome(params.copy()), np.inf
    for epoch in range(settings.n_epochs):
        outcome.loss_curve.append(
            trainer.run_epoch(params, optimizer, train_split, workspace)
        )
        score = (
            validation_loss(network, params, validation)
            if validation is not None
            else -epoch
        )
        if validation is not None:
            outcome.validation_loss_curve.append(score)
        if score < best or not np.isfinite(best):
            best, outcome.best_epoch = score, epoch
            np.copyto(outcome.params, params)
        if observer is not None and observer(epoch, outcome):
            outcome.stopped = True
            break
    return outcome


def fit_temperature(network, params, validation, n_rows=None, prior_scale=0.25):
    r"""The temperature :math:`T` of the members' mean softmax
    :math:`\frac1k \sum_m \operatorname{softmax}(z_m / T)`, fitted on the
    validation rows.

    Temperature scaling (Guo et al., 2017) fixes over- or under-confidence
    left by label smoothing and by the epoch selection, without changing any
    prediction's argmax. A small validation set that the model separates
    would drive :math:`T \to 0` (certainty), so :math:`\log T` gets a normal
    prior of scale ``prior_scale``: :math:`T` minimizes

    .. math::

        \bar\ell(T) + \frac{(\log T)^2}{2 \sigma^2 n_{\text{eff}}},

    with the mean validation log-loss :math:`\bar\ell` and the number of
    validation rows :math:`n_{\text{eff}}`: ``n_rows`` if given (the
    estimators count distinct rows, so that a weight of 2 and a repeated row
    give the same prior), else :math:`(\sum w)^2 / \sum w^2`.
    :math:`\log T` is searched in :math:`[-2, 2]`.
    """
    with quiet_numerics():
        Z = network.members(params, validation.X)
    w = validation.sample_weight
    n_eff = n_rows or (Z.shape[1] if w is None else float(w.sum() ** 2 / (w * w).sum()))
    strength = 1.0 / (2.0 * prior_scale**2 * n_eff)

    def objective(log_t):
        scaled = Z.reshape(-1, Z.shape[-1]) / np.exp(log_t)
        P = network.output_activation.forward(scaled, scaled).reshape(Z.shape)
        loss = network.loss.value(validation.Y, P.mean(axis=0), w)
        return loss + strength * log_t**2

    result = minimize_scalar(objective, bounds=(-2.0, 2.0), method="bounded",
                             options={"xatol": 1e-4})  # fmt: skip
    return float(np.exp(result.x)) if result.fun < objective(0.0) else 1.0
