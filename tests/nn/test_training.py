"""The minibatch loop, the full-batch solvers and the stopping rule."""

import signal
import threading

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknn_scratch.nn.network import Network
from sknn_scratch.nn.optimizers import SGD, Adam
from sknn_scratch.nn.schedules import get_schedule
from sknn_scratch.nn.training import (
    DivergenceError,
    MinibatchTrainer,
    batch_slices,
    count_no_improvement,
    fit_full_batch,
    fit_loop,
)


def make_trainer(sample_weight=None, lr=0.01, shuffle=True, X_scale=1.0):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 3)) * X_scale
    Y = X @ np.array([[1.0], [-2.0], [0.5]])
    net = Network([3, 4, 1], "tanh")
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
        fit_loop(trainer, 50, lambda loss: False)


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
        reason = fit_loop(trainer, 5, lambda loss: epochs.append(loss))
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
        fit_loop(trainer, 5, lambda loss: False)
    assert len(calls) == 3
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_deferral_stays_out_of_other_threads_and_handlers():
    """Off the main thread, or under a custom handler, nothing is installed."""
    seen = []
    thread = threading.Thread(
        target=lambda: seen.append(
            fit_loop(make_trainer(), 1, lambda loss: seen.append(signal.getsignal(2)))
        )
    )
    thread.start()
    thread.join()
    assert seen == [signal.default_int_handler, "max_epochs"]

    def custom(signum, frame):
        pass

    previous = signal.signal(signal.SIGINT, custom)
    try:
        fit_loop(make_trainer(), 1, lambda loss: seen.append(signal.getsignal(2)))
    finally:
        signal.signal(signal.SIGINT, previous)
    assert seen[-1] is custom


def test_fit_loop_stops_when_asked():
    trainer = make_trainer()
    epochs = []
    reason = fit_loop(trainer, 10, lambda loss: epochs.append(loss) or len(epochs) == 3)
    assert reason == "stopped" and len(epochs) == 3


@pytest.mark.parametrize("method", ["L-BFGS-B", "CG"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_full_batch_keeps_the_dtype_and_converges(method, dtype):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((50, 3)).astype(dtype)
    Y = (X @ np.array([[1.0], [-2.0], [0.5]])).astype(dtype)
    net = Network([3, 5, 1], "tanh")
    params = net.init_params(rng, dtype)
    start = net.loss_and_grad(params, X, Y)[0]
    result = fit_full_batch(
        net, params, X, Y, None, alpha=0.0, method=method, max_iter=200, tol=1e-6
    )
    assert params.dtype == dtype
    assert result.fun < 0.01 * start


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
