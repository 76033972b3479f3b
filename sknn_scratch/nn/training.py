r"""Training loops: minibatch epochs, full-batch scipy solvers, stopping rules.

The minibatch path reads top-down: :func:`fit_loop` runs epochs until the
caller's ``end_epoch`` says stop, :meth:`MinibatchTrainer.run_epoch` walks the
(shuffled) minibatches, and :meth:`MinibatchTrainer.train_step` computes one
gradient and takes one optimizer step. The full-batch path hands
:meth:`~sknn_scratch.nn.network.Network.loss_and_grad` to
:func:`scipy.optimize.minimize` as it is, because the parameters already are
one vector.
"""

import math
import signal
import threading
import warnings

import numpy as np
import scipy.optimize

from .layers import Workspace


class DivergenceError(ValueError):
    """Training produced a non-finite loss or non-finite weights."""


DIVERGENCE_ADVICE = (
    "Try scaling the features (for example with StandardScaler), lowering "
    "learning_rate_init, or increasing alpha."
)


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
        Supplies the current learning rate as ``schedule.lr``.
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
        Batch-norm running statistics, updated after every step.
    max_grad_norm : float or None, default=None
        Rescale the gradient to at most this Euclidean norm before each step.

    Notes
    -----
    With batch norm, no step sees a single row, which has no batch variance:
    a last batch of one row joins the batch before it, and a batch in which
    fewer than two rows have a positive weight is skipped. ``batch_size`` and
    the sample count must then be at least 2.
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
    ):
        self.network, self.params = network, params
        self.optimizer, self.schedule = optimizer, schedule
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.alpha, self.batch_size = alpha, batch_size
        self.shuffle, self.rng = shuffle, rng
        self.stats, self.max_grad_norm = stats, max_grad_norm
        self.n_samples = X.shape[0]
        self.min_rows = 2 if network.norms else 1
        if min(batch_size, self.n_samples) < self.min_rows:
            raise ValueError(
                "Batch normalization needs at least 2 rows per batch: a single "
                f"row has no variance (batch_size={batch_size}, "
                f"n_samples={self.n_samples})."
            )
        self.order = np.arange(self.n_samples)
        self.grad = np.empty_like(params)
        max_rows = batch_size + self.min_rows - 1
        self.workspace = Workspace(max_rows, params.dtype)
        self.X_batch = self._batch_buffer(X, max_rows)
        self.Y_batch = self._batch_buffer(Y, max_rows)
        self.w_batch = self._batch_buffer(sample_weight, max_rows)
        chunk = batch_size * max(1, self.LOSS_CHUNK_ROWS // batch_size)
        rows = min(chunk + self.min_rows - 1, self.n_samples)
        self.outputs = np.empty((rows, Y.shape[1]), params.dtype)

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
        """Train on every minibatch once; return the epoch's loss.

        The epoch's loss is sklearn's: each step's objective (the weighted
        mean loss of its batch plus the L2 term at that step's weights),
        weighted by the batch's row count, over all rows. A step keeps its
        outputs, and the losses are computed for a chunk of steps at once
        (:meth:`_flush_losses`): a few large NumPy calls instead of a few small
        ones per step. A non-finite loss raises :class:`DivergenceError` at
        the end of its chunk.
        """
        if self.shuffle:
            self.order = self.order[self.rng.permutation(self.n_samples)]
        self._loss_total = self._penalty_total = 0.0
        self._pending, self._batch_factors = slice(0, 0), []
        for batch in batch_slices(self.n_samples, self.batch_size, self.min_rows):
            rows = self.order[batch] if self.shuffle else batch
            step = self.train_step(rows)
            if step is None:  # skipped: it counts as zero loss
                self._flush_losses()
                self._pending = slice(batch.stop, batch.stop)
            else:
                self._keep_outputs(batch, *step)
        self._flush_losses()
        penalty = 0.5 * self.alpha * self._penalty_total
        return (self._loss_total + penalty) / self.n_samples

    def train_step(self, rows):
        r"""Take one optimizer step on the minibatch ``rows``.

        Returns
        -------
        step : tuple or None
            ``(P, weight_sum, squared_weights)``: the outputs (a workspace
            buffer, valid until the next step), the batch's weight sum and
            :math:`\sum \lVert W \rVert^2` before the step, from which the
            step's loss follows. ``None`` if the batch's weights sum to zero:
            it carries no information and is skipped. With batch norm, also
            if fewer than two of its rows have a positive weight.
        """
        X = self._gather(self.X, self.X_batch, rows)
        weights, weight_sum = None, X.shape[0]
        if self.sample_weight is not None:
            weights = self._gather(self.sample_weight, self.w_batch, rows)
            weight_sum = float(weights.sum())
            if not weight_sum > 0 or (
                self.stats is not None and np.count_nonzero(weights) < 2
            ):
                return None
        if self.network.dropouts:
            self.network.draw_dropout_masks(self.workspace, self.rng, X.shape[0])
        squared = self.network.squared_weights(self.params) if self.alpha else 0.0
        P, grad = self.network.outputs_and_grad(
            self.params,
            X,
            self._gather(self.Y, self.Y_batch, rows),
            weights,
            self.alpha,
            grad=self.grad,
            workspace=self.workspace,
            weight_sum=weight_sum,
        )
        if self.stats is not None:
            self.network.update_running_stats(self.stats, self.workspace)
        if self.max_grad_norm is not None:
            clip_by_norm(grad, self.max_grad_norm)
        self.optimizer.step(self.params, grad, self.schedule.lr)
        return P, weight_sum, squared

    def _keep_outputs(self, batch, P, weight_sum, squared):
        """Copy a step's outputs into the chunk buffer, flushing it when full."""
        if self._pending.stop - self._pending.start + P.shape[0] > len(self.outputs):
            self._flush_losses()
            self._pending = slice(batch.start, batch.start)
        offset = batch.start - self._pending.start
        np.copyto(self.outputs[offset : offset + P.shape[0]], P)
        self._pending = slice(self._pending.start, batch.stop)
        n_rows = batch.stop - batch.start
        if self.sample_weight is not None:
            self._batch_factors.append((n_rows, n_rows / weight_sum))
        self._penalty_total += n_rows * squared / weight_sum

    def _flush_losses(self):
        r"""Add the losses of the buffered steps' outputs to the epoch's total.

        With sample weights, row :math:`i` of batch :math:`b` counts with
        :math:`w_i\, n_b / S_b`, so that the chunk's weighted mean times its
        row count is :math:`\sum_b n_b L_b`, each batch's mean loss
        :math:`L_b` weighted by its row count :math:`n_b`.
        """
        start, stop = self._pending.start, self._pending.stop
        if stop > start:
            rows = self.order[start:stop] if self.shuffle else slice(start, stop)
            weights = None
            if self.sample_weight is not None:
                counts, factors = zip(*self._batch_factors, strict=True)
                weights = np.multiply(
                    _take_rows(self.sample_weight, rows), np.repeat(factors, counts)
                )
                self._batch_factors = []
            loss = self.network.data_loss(
                _take_rows(self.Y, rows), self.outputs[: stop - start], weights
            )
            self._loss_total += loss * (stop - start)
            self._pending = slice(stop, stop)
        total = self._loss_total + self._penalty_total
        if not math.isfinite(total):
            raise DivergenceError(
                f"The training loss became non-finite ({total}). {DIVERGENCE_ADVICE}"
            )


def _take_rows(array, rows):
    """``array[rows]`` for a slice or an index array (``take``: 4x faster)."""
    return array[rows] if isinstance(rows, slice) else array.take(rows, axis=0)


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


def fit_loop(trainer, max_epochs, end_epoch, begin_epoch=None):
    """Run up to ``max_epochs`` epochs, asking ``end_epoch(loss)`` after each.

    ``end_epoch`` returns ``True`` to stop; ``begin_epoch()``, if given, is
    called before each epoch. A first Ctrl-C (see :class:`EpochEndInterrupt`)
    lets the current epoch finish and be recorded by ``end_epoch``, then ends
    training with a warning; a second one raises ``KeyboardInterrupt``.

    Returns
    -------
    reason : {"stopped", "max_epochs", "interrupted"}
        Why training ended.
    """
    with EpochEndInterrupt() as interrupt:
        for _ in range(max_epochs):
            if begin_epoch is not None:
                begin_epoch()
            # Overflow shows up as a non-finite loss, which run_epoch turns
            # into a DivergenceError with advice: NumPy's warnings would be noise.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                loss = trainer.run_epoch()
            stop = end_epoch(loss)
            if interrupt.requested:
                warnings.warn("Training interrupted by user.", stacklevel=2)
                return "interrupted"
            if stop:
                return "stopped"
    return "max_epochs"


def fit_full_batch(
    network,
    params,
    X,
    Y,
    sample_weight,
    *,
    alpha,
    method,
    max_iter,
    tol,
    max_fun=15000,
    verbose=False,
    end_iteration=None,
):
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
    max_iter : int
        Iteration limit (scipy's ``maxiter``).
    tol : float
        Gradient tolerance (scipy's ``gtol``).
    max_fun : int, default=15000
        Limit on objective evaluations (L-BFGS-B only).
    verbose : bool, default=False
        Print the loss after every iteration.
    end_iteration : callable, default=None
        ``end_iteration(x)`` after each iteration with its float64 iterate;
        returning ``True`` stops the solver there.

    Returns
    -------
    result : scipy.optimize.OptimizeResult
    """
    workspace = Workspace(X.shape[0], params.dtype)
    grad = np.empty_like(params)

    def objective(x):
        params[...] = x
        loss, g = network.loss_and_grad(
            params, X, Y, sample_weight, alpha, grad=grad, workspace=workspace
        )
        return loss, g.astype(np.float64)

    # A line search may try a point where the loss overflows and back off, but
    # a non-finite loss at the start leaves the solver nothing to work with.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        start = objective(params.astype(np.float64))[0]
    if not math.isfinite(start):
        raise DivergenceError(
            f"The loss at the initial weights is non-finite ({start}). "
            f"{DIVERGENCE_ADVICE}"
        )

    options = {"maxiter": max_iter, "gtol": tol}
    if method == "L-BFGS-B":
        options["maxfun"] = max_fun
    progress = _Progress(verbose, end_iteration, params.astype(np.float64))
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = scipy.optimize.minimize(
                objective,
                progress.x.copy(),
                method=method,
                jac=True,
                options=options,
                callback=progress,
            )
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.", stacklevel=2)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss = objective(progress.x)[0]
        result = scipy.optimize.OptimizeResult(
            x=progress.x, fun=loss, nit=progress.iteration, status=99,
            success=False, message="Interrupted by the user.",
        )  # fmt: skip
    params[...] = result.x
    return result


class _Progress:
    """scipy's per-iteration callback: keeps the last iterate, prints, may stop."""

    def __init__(self, verbose, end_iteration, x0):
        self.verbose, self.end_iteration = verbose, end_iteration
        self.iteration, self.x = 0, x0

    def __call__(self, intermediate_result):
        self.iteration += 1
        self.x = np.array(intermediate_result.x, dtype=np.float64)
        if self.verbose:
            print(f"Iteration {self.iteration}, loss = {intermediate_result.fun:.8f}")
        if self.end_iteration is not None and self.end_iteration(self.x):
            raise StopIteration
