r"""Training loops: minibatch epochs, full-batch scipy solvers, stopping rules.

The minibatch path reads top-down: :func:`fit_loop` runs epochs until the
:class:`StoppingMonitor`, the caller or the epoch budget says stop;
:meth:`MinibatchTrainer.run_epoch` walks the (shuffled) minibatches; and
:meth:`MinibatchTrainer.train_step` computes one gradient and takes one
optimizer step. The full-batch path hands
:meth:`~sknn_scratch.nn.network.Network.loss_and_grad` to
:func:`scipy.optimize.minimize` as it is, because the parameters already are
one vector, and returns a :class:`FullBatchOutcome`.
"""

import math
import signal
import threading
from dataclasses import dataclass

import numpy as np
import scipy.optimize

from ._errors import (
    DIVERGENCE_ADVICE,
    INTERRUPTED,
    DivergenceError,
    quiet_numerics,
    warn,
)
from .layers import Workspace

__all__ = [
    "DIVERGENCE_ADVICE",
    "DivergenceError",
    "EpochLoss",
    "EpochObserver",
    "FULL_BATCH_METHODS",
    "FullBatchOutcome",
    "MinibatchTrainer",
    "StoppingMonitor",
    "batch_slices",
    "clip_by_norm",
    "count_no_improvement",
    "fit_full_batch",
    "fit_loop",
]


def batch_slices(n_samples, batch_size, min_rows=1):
    """Yield consecutive slices of ``batch_size`` rows; the last may be shorter.

    A last slice of fewer than ``min_rows`` rows is merged into the one
    before, which then has up to ``batch_size + min_rows - 1`` rows.

    Examples
    --------
    >>> list(batch_slices(5, 2))
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    >>> list(batch_slices(5, 2, min_rows=2))
    [slice(0, 2, None), slice(2, 5, None)]
    """
    stop = n_samples
    if 0 < n_samples % batch_size < min_rows and n_samples > batch_size:
        stop = n_samples - n_samples % batch_size - batch_size
    for start in range(0, stop, batch_size):
        yield slice(start, min(start + batch_size, n_samples))
    if stop < n_samples:
        yield slice(stop, n_samples)


def count_no_improvement(score, best, count, tol):
    """Apply the stopping rule to a higher-is-better ``score``.

    An epoch counts as "no improvement" unless it beats the best score so far
    by at least ``tol``; the best score is updated whenever it is beaten at
    all. This is sklearn's rule; for a training loss pass ``-loss``.

    Returns
    -------
    count : int
        The new number of consecutive epochs without improvement.
    best : float
        The new best score.
    is_best : bool
        Whether ``score`` is a new best.

    Examples
    --------
    >>> count_no_improvement(0.5, best=0.45, count=3, tol=0.1)
    (4, 0.5, True)
    """
    count = count + 1 if score < best + tol else 0
    is_best = bool(score > best)
    return count, (score if is_best else best), is_best


class StoppingMonitor:
    """The stopping rule over epochs, and the best weights so far.

    It owns the count of epochs without improvement, the best score, and,
    when asked to keep them, a copy of the weights at the best score. Scores
    are higher-is-better: a validation score, or minus the training loss.

    Parameters
    ----------
    tol : float
        The improvement an epoch must make to count.
    patience : int
        Epochs without improvement before the schedule's ``on_plateau``.
    best : float, default=-inf
        The best score so far (from an earlier call).
    count : int, default=0
        Epochs without improvement so far.
    snapshot : tuple of ndarray or None, default=None
        ``(params, stats)`` at the best score, updated in place; ``None``
        keeps no weights.
    """

    def __init__(self, tol, patience, best=-math.inf, count=0, snapshot=None):
        self.tol, self.patience = tol, patience
        self.best, self.count, self.snapshot = best, count, snapshot

    def update(self, score, params, stats):
        """Count an epoch's ``score``; copy the weights if it is the best."""
        self.count, self.best, is_best = count_no_improvement(
            score, self.best, self.count, self.tol
        )
        if is_best and self.snapshot is not None:
            np.copyto(self.snapshot[0], params)
            if stats is not None:
                np.copyto(self.snapshot[1], stats)
        return is_best

    def plateau(self, schedule):
        """Return None while improving; at a plateau ask ``schedule``:
        ``"stop"``, or ``"lowered"`` when it lowered the rate to go on."""
        if self.count <= self.patience:
            return None
        if schedule.on_plateau():
            return "stop"
        self.count = 0
        return "lowered"

    def restore_best(self, params, stats):
        """Put the kept best weights back into ``params`` and ``stats``."""
        np.copyto(params, self.snapshot[0])
        np.copyto(stats, self.snapshot[1])


class EpochLoss:
    """Sums an epoch's loss from the steps' outputs, a chunk of steps at a time.

    The epoch's loss is sklearn's: each step's objective (the weighted mean
    loss of its batch plus the L2 term at that step's weights), weighted by
    the batch's row count, over all rows. Steps hand in their outputs, and
    the losses are computed for a chunk of ``rows`` rows at once: a few large
    NumPy calls instead of a few small ones per step. A non-finite loss
    raises :class:`DivergenceError` at the end of its chunk.
    """

    def __init__(self, network, Y, sample_weight, rows, dtype):
        self.network, self.Y, self.sample_weight = network, Y, sample_weight
        self.outputs = np.empty((rows, Y.shape[1]), dtype)

    def start(self, order):
        """Begin an epoch whose row ``i`` is sample ``order[i]`` (or ``i``)."""
        self.order = order
        self.loss = self.penalty = 0.0
        self.pending, self.factors = slice(0, 0), []

    def add(self, batch, P, weight_sum, squared):
        """Keep a step's outputs ``P`` for the rows ``batch`` of the epoch."""
        if self.pending.stop - self.pending.start + P.shape[0] > len(self.outputs):
            self.flush()
            self.pending = slice(batch.start, batch.start)
        offset = batch.start - self.pending.start
        np.copyto(self.outputs[offset : offset + P.shape[0]], P)
        self.pending = slice(self.pending.start, batch.stop)
        n_rows = batch.stop - batch.start
        if self.sample_weight is not None:
            self.factors.append((n_rows, n_rows / weight_sum))
        self.penalty += n_rows * squared / weight_sum

    def skip(self, batch):
        """Count a skipped step's rows as zero loss."""
        self.flush()
        self.pending = slice(batch.stop, batch.stop)

    def total(self, alpha, n_samples):
        """Return the epoch's loss."""
        self.flush()
        return (self.loss + 0.5 * alpha * self.penalty) / n_samples

    def flush(self):
        r"""Add the losses of the kept outputs to the epoch's total.

        With sample weights, row :math:`i` of batch :math:`b` counts with
        :math:`w_i\, n_b / S_b`, so that the chunk's weighted mean times its
        row count is :math:`\sum_b n_b L_b`, each batch's mean loss
        :math:`L_b` weighted by its row count :math:`n_b`.
        """
        start, stop = self.pending.start, self.pending.stop
        if stop > start:
            rows = slice(start, stop) if self.order is None else self.order[start:stop]
            loss = self.network.data_loss(
                _take_rows(self.Y, rows),
                self.outputs[: stop - start],
                self._weights(rows),
            )
            self.loss += loss * (stop - start)
            self.pending = slice(stop, stop)
        total = self.loss + self.penalty
        if not math.isfinite(total):
            raise DivergenceError(
                f"The training loss became non-finite ({total}). {DIVERGENCE_ADVICE}"
            )

    def _weights(self, rows):
        if self.sample_weight is None:
            return None
        counts, factors = zip(*self.factors, strict=True)
        self.factors = []
        return np.multiply(
            _take_rows(self.sample_weight, rows), np.repeat(factors, counts)
        )


def _take_rows(array, rows):
    """``array[rows]`` for a slice or an index array (``take``: 4x faster)."""
    return array[rows] if isinstance(rows, slice) else array.take(rows, axis=0)


class MinibatchTrainer:
    """Runs minibatch epochs of one optimizer on one flat parameter vector.

    Parameters
    ----------
    network : Network
        The architecture and loss.
    params : ndarray of shape (n_params,)
        Updated in place.
    optimizer : Optimizer
        Its state must already be initialized for ``params``.
    schedule : object
        Supplies the current learning rate as ``schedule.lr``; its
        ``epoch_end(samples_seen)`` is called after every epoch.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training inputs.
    Y : ndarray of shape (n_samples, n_outputs)
        Training targets in the dtype of ``params``.
    sample_weight : ndarray of shape (n_samples,) or None
        Per-sample weights.
    alpha : float
        L2 penalty.
    batch_size : int
        Rows per minibatch, at most ``n_samples``.
    shuffle : bool
        Whether to reshuffle the sample order before each epoch.
    rng : numpy.random.RandomState
        Draws the shuffles and the dropout masks.
    stats : ndarray or None, default=None
        Running statistics (batch norm), updated after every step.
    max_grad_norm : float or None, default=None
        Rescale the gradient to at most this Euclidean norm before each step.
    samples_seen : int, default=0
        Training samples seen before this trainer's first epoch, for the
        schedule; :attr:`samples_seen` counts on.

    Notes
    -----
    With running statistics (batch norm), no step sees a single row, which
    has no batch variance: a last batch of one row joins the batch before it,
    and a batch in which fewer than two rows have a positive weight is
    skipped. ``batch_size`` and the sample count must then be at least 2.
    """

    LOSS_CHUNK_ROWS = 4096
    """Rows of outputs kept for one loss computation (at least one batch)."""

    def __init__(
        self,
        network,
        params,
        optimizer,
        schedule,
        X,
        Y,
        sample_weight,
        *,
        alpha,
        batch_size,
        shuffle,
        rng,
        stats=None,
        max_grad_norm=None,
        samples_seen=0,
    ):
        self.network, self.params, self.stats = network, params, stats
        self.optimizer, self.schedule = optimizer, schedule
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.alpha, self.batch_size, self.max_grad_norm = (
            alpha,
            batch_size,
            max_grad_norm,
        )
        self.shuffle, self.rng, self.samples_seen = shuffle, rng, samples_seen
        self.n_samples = X.shape[0]
        self.min_rows = _min_batch_rows(network, batch_size, self.n_samples)
        self.order = np.arange(self.n_samples)
        self.grad = np.empty_like(params)
        self._allocate(batch_size + self.min_rows - 1)

    def _allocate(self, max_rows):
        """Build the workspace, the batch buffers and the loss accumulator."""
        self.workspace = Workspace(max_rows, self.params.dtype)
        self.X_batch = self._batch_buffer(self.X, max_rows)
        self.Y_batch = self._batch_buffer(self.Y, max_rows)
        self.w_batch = self._batch_buffer(self.sample_weight, max_rows)
        chunk = self.batch_size * max(1, self.LOSS_CHUNK_ROWS // self.batch_size)
        rows = min(chunk + self.min_rows - 1, self.n_samples)
        self.epoch_loss = EpochLoss(
            self.network, self.Y, self.sample_weight, rows, self.params.dtype
        )

    def _batch_buffer(self, array, rows):
        if self.shuffle and isinstance(array, np.ndarray):
            return np.empty((rows, *array.shape[1:]), array.dtype)
        return None

    def _gather(self, array, buffer, rows):
        """Return the rows of ``array`` named by ``rows`` without a new allocation."""
        if array is None or isinstance(rows, slice):
            return None if array is None else array[rows]
        if buffer is None:  # sparse input: scipy makes its own copy
            return array[rows]
        # mode="clip" (the rows are always valid) lets NumPy write straight into
        # ``out``: with the default mode="raise" it buffers, at 3x the cost
        return array.take(rows, axis=0, out=buffer[: len(rows)], mode="clip")

    def run_epoch(self):
        """Train on every minibatch once, then advance the schedule; return the
        epoch's loss (see :class:`EpochLoss`)."""
        if self.shuffle:
            self.order = self.order[self.rng.permutation(self.n_samples)]
        self.epoch_loss.start(self.order if self.shuffle else None)
        for batch in batch_slices(self.n_samples, self.batch_size, self.min_rows):
            step = self.train_step(self.order[batch] if self.shuffle else batch)
            if step is None:
                self.epoch_loss.skip(batch)
            else:
                self.epoch_loss.add(batch, *step)
        loss = self.epoch_loss.total(self.alpha, self.n_samples)
        self.samples_seen += self.n_samples
        self.schedule.epoch_end(self.samples_seen)
        return loss

    def train_step(self, rows):
        r"""Take one optimizer step on the minibatch ``rows``.

        Returns
        -------
        step : tuple or None
            ``(P, weight_sum, squared_weights)``: the outputs (a workspace
            buffer, valid until the next step), the batch's weight sum and
            :math:`\sum \lVert W \rVert^2` before the step, from which the
            step's loss follows. ``None`` if the batch is skipped: its weights
            sum to zero, or, with running statistics, fewer than two of its
            rows have a positive weight.
        """
        X = self._gather(self.X, self.X_batch, rows)
        weights, weight_sum = self._batch_weights(rows, X.shape[0])
        if weight_sum is None:
            return None
        if self.network.drawing:
            self.network.draw(self.workspace, self.rng, X.shape[0])
        squared = self.network.squared_weights(self.params) if self.alpha else 0.0
        Y = self._gather(self.Y, self.Y_batch, rows)
        P, grad = self.network.outputs_and_grad(
            self.params,
            X,
            Y,
            weights,
            self.alpha,
            self.grad,
            self.workspace,
            weight_sum,
        )
        if self.stats is not None:
            self.network.update_running_stats(self.stats, self.workspace)
        if self.max_grad_norm is not None:
            clip_by_norm(grad, self.max_grad_norm)
        self.optimizer.step(self.params, grad, self.schedule.lr)
        return P, weight_sum, squared

    def _batch_weights(self, rows, n_rows):
        """Return the batch's ``(weights, weight sum)``: ``(None, n_rows)``
        without sample weights, and a sum of None if the batch carries nothing
        to learn from."""
        if self.sample_weight is None:
            return None, n_rows
        weights = self._gather(self.sample_weight, self.w_batch, rows)
        weight_sum = float(weights.sum())
        if not weight_sum > 0 or (
            self.min_rows > 1 and np.count_nonzero(weights) < self.min_rows
        ):
            return None, None
        return weights, weight_sum


def _min_batch_rows(network, batch_size, n_samples):
    """Rows a batch needs: 2 with running statistics (a row has no variance)."""
    min_rows = 2 if network.n_stats else 1
    if min(batch_size, n_samples) < min_rows:
        raise ValueError(
            "Batch normalization needs at least 2 rows per batch: a single "
            f"row has no variance (batch_size={batch_size}, n_samples={n_samples})."
        )
    return min_rows


def clip_by_norm(grad, max_norm):
    r"""Rescale ``grad`` in place to Euclidean norm at most ``max_norm``.

    .. math::

        g \leftarrow g \cdot \min\left(1, \frac{c}{\lVert g \rVert_2}\right)

    Examples
    --------
    >>> g = np.array([3.0, 4.0])
    >>> clip_by_norm(g, 1.0)
    >>> g
    array([0.6, 0.8])
    """
    norm = math.sqrt(float(np.dot(grad, grad)))
    if norm > max_norm:
        grad *= max_norm / norm


class EpochEndInterrupt:
    """Context manager that turns a first Ctrl-C into a request to stop.

    While active (in the main thread, and only if SIGINT still has Python's
    default handler), a first SIGINT sets :attr:`requested` instead of
    raising, so the epoch in progress completes and the model stays exactly
    that of an uninterrupted run. A second SIGINT raises ``KeyboardInterrupt``
    at once, for a step that takes too long. Elsewhere it does nothing.
    Deferring the interrupt, instead of rolling a broken epoch back, means no
    copy of the weights and optimizer state has to be kept.
    """

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


class EpochObserver:
    """What the caller of :func:`fit_loop` does around each epoch.

    The estimators subclass it to score the validation set, record the
    fitted attributes, print and report to callbacks; this base records
    nothing and stops on the training loss alone.
    """

    def begin_epoch(self):
        """Called before each epoch."""

    def score(self, loss):
        """Return the epoch's higher-is-better score; here ``-loss``.

        Raising leaves no trace of the epoch.
        """
        return -loss

    def end_epoch(self, loss, plateau):
        """Record the epoch (``plateau`` as from
        :meth:`StoppingMonitor.plateau`); return True to stop."""
        return False


def fit_loop(trainer, monitor, max_epochs, observer=None):
    """Run up to ``max_epochs`` epochs of ``trainer``.

    After each epoch, ``observer.score`` scores it, ``monitor`` counts the
    score (and keeps the best weights), and ``observer.end_epoch`` records it.
    Training stops at the epoch budget, at a plateau the schedule will not
    lower the rate for, or when the observer says so. A first Ctrl-C (see
    :class:`EpochEndInterrupt`) lets the current epoch finish and be recorded,
    then ends training with a warning; a second one raises
    ``KeyboardInterrupt``.

    Returns
    -------
    reason : {"stopped", "max_epochs", "interrupted"}
        Why training ended.
    """
    observer = observer or EpochObserver()
    with EpochEndInterrupt() as interrupt:
        for _ in range(max_epochs):
            observer.begin_epoch()
            with quiet_numerics():
                loss = trainer.run_epoch()
            monitor.update(observer.score(loss), trainer.params, trainer.stats)
            plateau = monitor.plateau(trainer.schedule)
            stop = observer.end_epoch(loss, plateau)
            if interrupt.requested:
                warn(INTERRUPTED)
                return "interrupted"
            if stop or plateau == "stop":
                return "stopped"
    return "max_epochs"


FULL_BATCH_METHODS = {"lbfgs": "L-BFGS-B", "cg": "CG"}
"""Full-batch solvers: their :func:`scipy.optimize.minimize` method by name."""


@dataclass
class FullBatchOutcome:
    """How a full-batch solve ended.

    Attributes
    ----------
    n_iter : int
        Iterations completed.
    loss : float
        The objective at the solution.
    converged : bool
        Whether the solver reports success.
    stopped : bool
        Whether a callback (``end_iteration``) or Ctrl-C stopped it.
    message : str
        The solver's message.
    status : int
        The solver's status code.
    """

    n_iter: int
    loss: float
    converged: bool
    stopped: bool
    message: str
    status: int


def fit_full_batch(network, params, X, Y, sample_weight, *, alpha, method, **options):
    """Minimize the full-batch objective with a scipy solver, updating ``params``.

    The computation stays in ``params.dtype``: scipy's float64 iterate is copied
    into ``params`` before each evaluation, and only the returned gradient is
    cast to float64 for scipy. A ``KeyboardInterrupt`` ends the solve with a
    warning at the last completed iteration.

    Parameters
    ----------
    network : Network
        The architecture and loss.
    params : ndarray of shape (n_params,)
        The starting point; overwritten with the solution.
    X, Y, sample_weight
        As for :meth:`Network.loss_and_grad`.
    alpha : float
        L2 penalty.
    method : {"L-BFGS-B", "CG"}
        The :func:`scipy.optimize.minimize` method.
    **options
        ``max_iter`` (scipy's ``maxiter``), ``tol`` (``gtol``), ``max_fun``
        (L-BFGS-B's ``maxfun``, default 15000), ``verbose`` (print the loss
        after every iteration) and ``end_iteration`` (called as
        ``end_iteration(x)`` after each iteration with its float64 iterate;
        returning ``True`` stops the solver there).

    Returns
    -------
    outcome : FullBatchOutcome
    """
    objective = _Objective(network, params, X, Y, sample_weight, alpha)
    objective.check_start()
    progress = _Progress(
        options.get("verbose", False),
        options.get("end_iteration"),
        params.astype(np.float64),
    )
    try:
        with quiet_numerics():
            result = scipy.optimize.minimize(
                objective,
                progress.x.copy(),
                method=method,
                jac=True,
                options=_solver_options(method, options),
                callback=progress,
            )
    except KeyboardInterrupt:
        warn(INTERRUPTED)
        result = progress.interrupted(objective)
    params[...] = result.x
    return progress.outcome(result)


def _solver_options(method, options):
    """scipy's options for ``method`` from :func:`fit_full_batch`'s."""
    solver_options = {"maxiter": options["max_iter"], "gtol": options["tol"]}
    if method == "L-BFGS-B":
        solver_options["maxfun"] = options.get("max_fun", 15000)
    return solver_options


class _Objective:
    """The full-batch objective on scipy's float64 iterates, in ``params.dtype``."""

    def __init__(self, network, params, X, Y, sample_weight, alpha):
        self.network, self.params = network, params
        self.data = (X, Y, sample_weight, alpha)
        self.workspace = Workspace(X.shape[0], params.dtype)
        self.grad = np.empty_like(params)

    def __call__(self, x):
        self.params[...] = x
        loss, g = self.network.loss_and_grad(
            self.params, *self.data, grad=self.grad, workspace=self.workspace
        )
        return loss, g.astype(np.float64)

    def check_start(self):
        """Refuse a non-finite loss at the start: the solver has nothing to go on.

        (A line search may try a point where the loss overflows and back off.)
        """
        with quiet_numerics():
            start = self(self.params.astype(np.float64))[0]
        if not math.isfinite(start):
            raise DivergenceError(
                f"The loss at the initial weights is non-finite ({start}). "
                f"{DIVERGENCE_ADVICE}"
            )


class _Progress:
    """scipy's per-iteration callback: keeps the last iterate, prints, may stop."""

    def __init__(self, verbose, end_iteration, x0):
        self.verbose, self.end_iteration = verbose, end_iteration
        self.iteration, self.x, self.stopped = 0, x0, False

    def __call__(self, intermediate_result):
        self.iteration += 1
        self.x = np.array(intermediate_result.x, dtype=np.float64)
        if self.verbose:
            print(f"Iteration {self.iteration}, loss = {intermediate_result.fun:.8f}")
        if self.end_iteration is not None and self.end_iteration(self.x):
            self.stopped = True
            raise StopIteration

    def interrupted(self, objective):
        """The result at the last completed iteration, after a Ctrl-C."""
        self.stopped = True
        with quiet_numerics():
            loss = objective(self.x)[0]
        return scipy.optimize.OptimizeResult(
            x=self.x, fun=loss, nit=self.iteration, status=99, success=False,
            message="Interrupted by the user.",
        )  # fmt: skip

    def outcome(self, result):
        """The :class:`FullBatchOutcome` of scipy's ``result``."""
        return FullBatchOutcome(
            n_iter=int(result.nit),
            loss=float(result.fun),
            converged=result.status == 0,
            stopped=self.stopped,
            message=str(result.message),
            status=int(result.status),
        )
