"""The minibatch loop, the full-batch solvers and the stopping rule."""

import signal
import threading

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknn_scratch.nn.network import build_mlp
from sknn_scratch.nn.optimizers import SGD, Adam
from sknn_scratch.nn.schedules import get_schedule
from sknn_scratch.nn.training import (
    DivergenceError,
    EpochObserver,
    MinibatchTrainer,
    StoppingMonitor,
    batch_slices,
    count_no_improvement,
    fit_full_batch,
    fit_loop,
)


def patient():
    """A stopping rule that never stops."""
    return StoppingMonitor(tol=0.0, patience=np.inf)


class Record(EpochObserver):
    """Appends each epoch's loss (or the SIGINT handler) to ``seen``."""

    def __init__(self, seen, stop_after=None, handler=False):
        self.seen, self.stop_after, self.handler = seen, stop_after, handler

    def end_epoch(self, loss, plateau):
        self.seen.append(signal.getsignal(2) if self.handler else loss)
        return len(self.seen) == self.stop_after


def make_trainer(sample_weight=None, lr=0.01, shuffle=True, X_scale=1.0):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 3)) * X_scale
    Y = X @ np.array([[1.0], [-2.0], [0.5]])
    net = build_mlp([3, 4, 1], "tanh")
    params = net.init_params(rng)
    optimizer = Adam()
    optimizer.init_state(params)
    trainer = MinibatchTrainer(
        net,
        params,
        optimizer,
        get_schedule("constant", learning_rate_init=lr),
        X,
        Y,
        sample_weight,
        alpha=1e-4,
        batch_size=10,
        shuffle=shuffle,
        rng=rng,
    )
    return trainer


def test_training_lowers_the_loss():
    trainer = make_trainer()
    losses = [trainer.run_epoch() for _ in range(30)]
    assert losses[-1] < 0.5 * losses[0]


def test_zero_weight_minibatch_is_skipped():
    weights = np.ones(40)
    weights[:10] = 0.0
    trainer = make_trainer(sample_weight=weights, shuffle=False)
    before = trainer.params.copy()
    assert trainer.train_step(slice(0, 10)) is None
    assert_array_equal(trainer.params, before)
    assert trainer.optimizer.t == 0
    P, weight_sum, squared = trainer.train_step(slice(10, 20))
    assert P.shape == (10, 1) and weight_sum == 10.0 and squared > 0.0


def reference_epoch_loss(trainer):
    """sklearn's epoch loss, one loss_and_grad per step, on a twin trainer."""
    net, total = trainer.network, 0.0
    if trainer.shuffle:
        trainer.order = trainer.order[trainer.rng.permutation(trainer.n_samples)]
    for batch in batch_slices(trainer.n_samples, trainer.batch_size):
        rows = trainer.order[batch] if trainer.shuffle else batch
        w = None if trainer.sample_weight is None else trainer.sample_weight[rows]
        if w is not None and not w.sum() > 0:
            continue
        loss, grad = net.loss_and_grad(
            trainer.params, trainer.X[rows], trainer.Y[rows], w, trainer.alpha
        )
        trainer.optimizer.step(trainer.params, grad, trainer.schedule.lr)
        total += loss * (batch.stop - batch.start)
    return total / trainer.n_samples


@pytest.mark.parametrize("chunk_rows", [10, 25, 4096])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shuffle", [False, True])
def test_chunked_epoch_loss_is_the_sum_of_step_losses(
    monkeypatch, chunk_rows, weighted, shuffle
):
    """Losses computed a chunk at a time equal one loss per step, sklearn's way.

    A chunk of 25 rows holds two batches of 10 and flushes mid-epoch; the
    weights include a zero-weight batch (skipped) and uneven batch sums.
    """
    monkeypatch.setattr(MinibatchTrainer, "LOSS_CHUNK_ROWS", chunk_rows)
    weights = None
    if weighted:
        weights = np.random.RandomState(1).uniform(0.1, 3.0, 40)
        weights[10:20] = 0.0
    trainer = make_trainer(sample_weight=weights, shuffle=shuffle)
    twin = make_trainer(sample_weight=weights, shuffle=shuffle)
    for _ in range(3):
        assert trainer.run_epoch() == pytest.approx(
            reference_epoch_loss(twin), rel=1e-13
        )
    assert_allclose(trainer.params, twin.params, rtol=1e-13, atol=1e-15)


def test_divergence_raises_with_advice():
    trainer = make_trainer(lr=1e6, X_scale=1e6)
    trainer.optimizer = SGD(momentum=0.9)
    trainer.optimizer.init_state(trainer.params)
    with pytest.raises(DivergenceError, match="learning_rate_init"):
        fit_loop(trainer, patient(), 50)


def ctrl_c_at_step(trainer, *steps):
    """Deliver a real SIGINT during each of the given training steps (1-based)."""
    real_step, calls = trainer.train_step, []

    def step(rows):
        calls.append(rows)
        if len(calls) in steps:
            signal.raise_signal(signal.SIGINT)
        return real_step(rows)

    trainer.train_step = step
    return calls


def test_first_ctrl_c_finishes_the_epoch_then_stops():
    trainer, twin = make_trainer(), make_trainer()
    calls = ctrl_c_at_step(trainer, 6)  # the 2nd step of epoch 2 (4 per epoch)
    epochs = []
    with pytest.warns(UserWarning, match="interrupted"):
        reason = fit_loop(trainer, patient(), 5, Record(epochs))
    assert reason == "interrupted" and len(epochs) == 2 and len(calls) == 8
    # exactly the model of two uninterrupted epochs
    twin_epochs = [twin.run_epoch() for _ in range(2)]
    assert epochs == twin_epochs
    assert_array_equal(trainer.params, twin.params)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_second_ctrl_c_aborts_at_once():
    trainer = make_trainer()
    calls = ctrl_c_at_step(trainer, 2, 3)
    with pytest.raises(KeyboardInterrupt):
        fit_loop(trainer, patient(), 5)
    assert len(calls) == 3
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_deferral_stays_out_of_other_threads_and_handlers():
    """Off the main thread, or under a custom handler, nothing is installed."""
    seen = []
    thread = threading.Thread(
        target=lambda: seen.append(
            fit_loop(make_trainer(), patient(), 1, Record(seen, handler=True))
        )
    )
    thread.start()
    thread.join()
    assert seen == [signal.default_int_handler, "max_epochs"]

    def custom(signum, frame):
        pass

    previous = signal.signal(signal.SIGINT, custom)
    try:
        fit_loop(make_trainer(), patient(), 1, Record(seen, handler=True))
    finally:
        signal.signal(signal.SIGINT, previous)
    assert seen[-1] is custom


def test_fit_loop_stops_when_asked():
    trainer = make_trainer()
    epochs = []
    reason = fit_loop(trainer, patient(), 10, Record(epochs, stop_after=3))
    assert reason == "stopped" and len(epochs) == 3


@pytest.mark.parametrize("method", ["L-BFGS-B", "CG"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_full_batch_keeps_the_dtype_and_converges(method, dtype):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((50, 3)).astype(dtype)
    Y = (X @ np.array([[1.0], [-2.0], [0.5]])).astype(dtype)
    net = build_mlp([3, 5, 1], "tanh")
    params = net.init_params(rng, dtype)
    start = net.loss_and_grad(params, X, Y)[0]
    outcome = fit_full_batch(
        net, params, X, Y, None, alpha=0.0, method=method, max_iter=200, tol=1e-6
    )
    assert params.dtype == dtype
    assert outcome.loss < 0.01 * start
    assert not outcome.stopped and outcome.n_iter == 200  # the iteration budget
    assert not outcome.converged and outcome.status == 1


@pytest.mark.parametrize(
    ("score", "best", "count", "expected"),
    [
        (0.50, 0.45, 3, (4, 0.50, True)),  # better, but by less than tol
        (0.60, 0.45, 3, (0, 0.60, True)),  # better by more than tol
        (0.40, 0.45, 3, (4, 0.45, False)),  # worse
    ],
)
def test_count_no_improvement(score, best, count, expected):
    assert count_no_improvement(score, best, count, tol=0.1) == expected


def test_stopping_monitor_counts_keeps_the_best_and_asks_the_schedule():
    params, stats = np.array([1.0]), np.array([2.0])
    snapshot = (np.zeros(1), np.zeros(1))
    monitor = StoppingMonitor(tol=0.1, patience=1, snapshot=snapshot)
    assert monitor.update(0.5, params, stats)  # a new best: copied
    assert_array_equal(snapshot[0], params) and snapshot[1][0] == 2.0
    params[0] = 7.0
    assert monitor.update(0.55, params, stats)  # better, but by less than tol
    assert monitor.count == 1 and snapshot[0][0] == 7.0
    assert monitor.plateau(get_schedule("adaptive", learning_rate_init=1.0)) is None
    assert not monitor.update(0.3, params, stats) and monitor.count == 2
    adaptive = get_schedule("adaptive", learning_rate_init=1.0)
    assert monitor.plateau(adaptive) == "lowered"
    assert adaptive.lr == 0.2 and monitor.count == 0
    monitor.count = 2
    assert monitor.plateau(get_schedule("constant", learning_rate_init=1.0)) == "stop"
    params[0] = -1.0
    monitor.restore_best(params, stats)
    assert params[0] == 7.0


def test_fit_loop_stops_at_a_plateau_of_the_training_loss():
    trainer = make_trainer(lr=1e-12)  # no progress: every epoch fails tol
    epochs = []
    monitor = StoppingMonitor(tol=1.0, patience=2)
    reason = fit_loop(trainer, monitor, 20, Record(epochs))
    assert reason == "stopped" and len(epochs) == 4  # the first epoch is a best


def test_full_batch_stopped_by_its_callback_says_so():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((30, 3))
    Y = X @ np.array([[1.0], [-2.0], [0.5]])
    net = build_mlp([3, 4, 1], "tanh")
    outcome = fit_full_batch(
        net, net.init_params(rng), X, Y, None, alpha=0.0, method="L-BFGS-B",
        max_iter=100, tol=1e-12, end_iteration=lambda x: True,
    )  # fmt: skip
    assert outcome.stopped and not outcome.converged and outcome.n_iter == 1
