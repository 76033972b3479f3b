"""The estimators' side of each epoch: validation, records, verbose, callbacks.

:func:`~sknn_scratch.nn.training.fit_loop` owns the loop and the
:class:`~sknn_scratch.nn.training.StoppingMonitor` the stopping rule;
:class:`EpochRecorder` is what the estimators add to each epoch, in one place
each: scoring the early-stopping validation set, recording the fitted
attributes sklearn defines (``n_iter_``, ``loss_curve_``, ``best_loss_``,
...), printing with ``verbose``, and reporting to sklearn's callbacks.
"""

import math

from sklearn.model_selection import train_test_split

from .nn._errors import INTERRUPTED, quiet_numerics, warn
from .nn.training import EpochObserver

MIN_VALIDATION_SAMPLES = 10
"""Below this many validation samples, early stopping uses the training loss."""


class EpochRecorder(EpochObserver):
    """Records each epoch of a minibatch fit in the estimator.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted; its fitted attributes are updated.
    trainer : MinibatchTrainer
        The trainer, for the samples seen.
    monitor : StoppingMonitor
        The stopping rule, whose count and best score are recorded.
    validation : tuple or None
        ``(X, y, sample_weight, Y)`` of the validation set, or None to stop
        on the training loss.
    reporter : FitReporter
        sklearn's callbacks.
    """

    def __init__(self, estimator, trainer, monitor, validation, reporter):
        self.est, self.trainer, self.monitor = estimator, trainer, monitor
        self.validation, self.reporter = validation, reporter
        self.measured = None

    def begin_epoch(self):
        """Open the epoch's callback subtask."""
        self.reporter.begin_iteration()

    def score(self, loss):
        """The validation score (scored before anything is recorded, so that an
        error while scoring leaves no trace of the epoch), or ``-loss``."""
        if self.validation is None:
            return -loss
        with quiet_numerics():
            self.measured = self.est._score_validation(self.validation)
        return self.measured[0]

    def end_epoch(self, loss, plateau):
        """Record the epoch; return True if a callback asks to stop."""
        est = self.est
        est.n_iter_ += 1
        est.loss_, est.t_ = loss, self.trainer.samples_seen
        est.loss_curve_.append(loss)
        est._no_improvement_count = self.monitor.count
        self._say(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
        if self.validation is None:
            est.best_loss_ = -self.monitor.best
        else:
            self._record_validation()
        if plateau is not None:
            self._say_plateau(plateau)
        return self._callbacks_stop()

    def _record_validation(self):
        score, validation_loss = self.measured
        self.est.validation_scores_.append(score)
        self.est.validation_loss_curve_.append(validation_loss)
        self.est.best_validation_score_ = self.monitor.best
        self._say(f"Validation score: {score:f}")

    def _say_plateau(self, plateau):
        what = "Training loss" if self.validation is None else "Validation score"
        message = (
            f"{what} did not improve more than tol={self.est.tol:f} for "
            f"{self.est.n_iter_no_change} consecutive epochs."
        )
        if plateau == "stop":
            self._say(message + " Stopping.")
        else:
            lr = self.trainer.schedule.lr
            self._say(message + f" Setting learning rate to {lr:f}")

    def _callbacks_stop(self):
        """Report the recorded epoch; a Ctrl-C in a callback stops after it."""
        try:
            stop = self.reporter.end_iteration()
        except KeyboardInterrupt:
            warn(INTERRUPTED)
            return True
        if stop:
            self._say("A callback asked to stop. Stopping.")
        return stop

    def _say(self, message):
        if self.est.verbose:
            print(message)


def validation_split(est, X, Y, sample_weight, rng):
    """Split off the early-stopping validation set, or return None if too small.

    sklearn raises on small data; here early stopping falls back to the
    training loss, with a warning, so that tiny datasets still fit.

    Returns
    -------
    split : tuple or None
        ``(X, Y, sample_weight, validation)`` for training, with
        ``validation`` as :class:`EpochRecorder` takes it.
    """
    parts = _split(est, [X, Y] if sample_weight is None else [X, Y, sample_weight], rng)
    if parts is None:
        return None
    train, val = parts[0::2], parts[1::2]
    weights = (train[2], val[2]) if sample_weight is not None else (None, None)
    validation = (val[0], est._decode_targets(val[1]), weights[1], val[1])
    return train[0], train[1], weights[0], validation


def _split(est, arrays, rng):
    n_validation = math.ceil(est.validation_fraction * arrays[0].shape[0])
    if n_validation >= MIN_VALIDATION_SAMPLES:
        stratify = arrays[1] if est._stratify_split else None
        try:
            return train_test_split(
                *arrays,
                random_state=rng,
                test_size=est.validation_fraction,
                stratify=stratify,
            )
        except ValueError:
            pass
    warn(
        f"The validation set for early stopping would hold {n_validation} "
        f"sample(s) (validation_fraction={est.validation_fraction}), too "
        f"few to score reliably (at least {MIN_VALIDATION_SAMPLES}, and one "
        "per class for classifiers, are needed). Early stopping uses the "
        "training loss instead."
    )
    return None
