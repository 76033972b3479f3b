"""Injected faults, for every solver, with batch norm and dropout too.

The contract (extending tests/test_faults.py to every solver and option):

- A diverging fit stops at the first non-finite loss with a ``ValueError`` that
  says what to try (scale the features, lower ``learning_rate_init``).
- A ``warm_start`` fit or a ``partial_fit`` call that fails for any reason
  (divergence, an exception inside the training step, the optimizer step, the
  batch-norm statistics update or the validation scoring, or bad input) leaves
  the earlier model bit-identical: every fitted attribute, the optimizer and
  schedule state, and the predictions.
- Ctrl-C (a real SIGINT) during an epoch lets the epoch finish and then stops
  (during an L-BFGS/CG iteration, it abandons the iteration), leaving a
  consistent, usable model: ``n_iter_``, ``loss_curve_``, ``t_`` and the
  weights are exactly those of an uninterrupted run of ``n_iter_`` epochs. A
  second Ctrl-C aborts the call and leaves the earlier model bit-identical.

Faults are injected by monkeypatching the core (``Network.outputs_and_grad``,
which every training step and every full-batch evaluation calls, and friends)
to raise, or to deliver SIGINT, at their k-th call. Each test asserts that its
fault really fired; ``FAULTS`` counts them, and the module teardown prints the
total: 407 faults (exceptions, interrupts, infinite losses, diverging data and
bad inputs) over 378 tests, run serially.
"""

import math
import re
import signal
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknn_scratch._epochs import EpochRecorder
from sknn_scratch.nn.network import Network
from sknn_scratch.nn.optimizers import OPTIMIZERS

from . import _state
from ._registries import FULL_BATCH_SOLVERS, MINIBATCH_SOLVERS
from ._state import assert_same_state, assert_views_alias_params

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FULL_BATCH = FULL_BATCH_SOLVERS
MINIBATCH = MINIBATCH_SOLVERS
SOLVERS = MINIBATCH + FULL_BATCH
OPTIONS = {
    "plain": {},
    "batch_norm": {"batch_norm": True},
    "dropout": {"dropout": 0.3},
}
SETUPS = [
    pytest.param(solver, option, id=f"{solver}-{option}")
    for solver in SOLVERS
    for option in OPTIONS
    if not (solver in FULL_BATCH and option == "dropout")
]


def _valid_setups(how):
    return [
        (solver, option)
        for solver in SOLVERS
        for option in OPTIONS
        if not (solver in FULL_BATCH and option == "dropout")
        and not (solver in FULL_BATCH and how == "partial_fit")
    ]


MINIBATCH_SETUPS = [p for p in SETUPS if p.values[0] in MINIBATCH]
ESTIMATORS = [ScratchMLPClassifier, ScratchMLPRegressor]

N_SAMPLES, BATCH = 80, 20  # four minibatch steps per epoch
RNG = np.random.RandomState(0)
X = RNG.normal(size=(N_SAMPLES, 4))
Y_CLASS = np.digitize(X[:, 0] - X[:, 1], [-0.5, 0.5])
Y_REG = X[:, 0] - 0.5 * X[:, 2] + 0.1 * RNG.normal(size=N_SAMPLES)

FAULTS = []


@pytest.fixture(scope="module", autouse=True)
def _report_faults():
    yield
    print(f"\n[test_faults_more] faults injected in this process: {len(FAULTS)}")


def _target(Estimator):
    return Y_CLASS if Estimator is ScratchMLPClassifier else Y_REG


def _make(Estimator, solver, option, **params):
    base = dict(
        hidden_layer_sizes=(5,),
        solver=solver,
        batch_size=BATCH,
        max_iter=4,
        n_iter_no_change=100,
        random_state=0,
    )
    if solver in FULL_BATCH:
        base["max_iter"] = 8
    return Estimator(**{**base, **OPTIONS[option], **params})


def _fitted(Estimator, solver, option, how, y=None, **params):
    """A model trained one way: a warm-startable fit, or three partial_fits."""
    y = _target(Estimator) if y is None else y
    est = _make(Estimator, solver, option, warm_start=(how == "warm_start"), **params)
    if how == "warm_start":
        return est.fit(X, y)
    extra = {"classes": np.unique(y)} if Estimator is ScratchMLPClassifier else {}
    for _ in range(3):
        est.partial_fit(X, y, **extra)
    return est


def _again(est, how, X_=X, y=None, **kwargs):
    """The second call: a warm-started fit or one more partial_fit."""
    y = _target(type(est)) if y is None else y
    if how == "warm_start":
        return est.fit(X_, y, **kwargs)
    return est.partial_fit(X_, y, **kwargs)


# ------------------------------------------------------- comparing whole states


def fitted_state(est):
    """Every fitted attribute's value, and the objects a user may hold."""
    state = _state.fitted_state(est, X)
    state["<held objects>"] = _state.HeldObjects(est)
    return state


def _output(est):
    return _state.output(est, X)


# --------------------------------------------------------------- fault injection


def inject(monkeypatch, owner, name, at, error):
    """Make ``owner.name`` raise ``error`` on its ``at``-th call from now on.

    Returns the list of calls, for checking that the fault fired.
    """
    real = getattr(owner, name)
    calls = []

    def faulty(*args, **kwargs):
        calls.append(None)
        if len(calls) == at:
            FAULTS.append((owner.__name__, name, type(error).__name__))
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, faulty)
    return calls


def press_ctrl_c(monkeypatch, owner, name, at):
    """Deliver a real SIGINT during the ``at``-th call of ``owner.name``.

    Returns the list of calls, for checking that it fired.
    """
    real = getattr(owner, name)
    calls = []

    def pressed(*args, **kwargs):
        calls.append(None)
        if len(calls) == at:
            FAULTS.append((owner.__name__, name, "SIGINT"))
            signal.raise_signal(signal.SIGINT)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, pressed)
    return calls


def record_losses(monkeypatch):
    """Record every loss that Network.data_loss returns.

    The full-batch solvers compute one per evaluation, the minibatch loop one
    per chunk of steps.
    """
    real = Network.data_loss
    losses = []

    def recording(self, *args, **kwargs):
        loss = real(self, *args, **kwargs)
        losses.append(loss)
        return loss

    monkeypatch.setattr(Network, "data_loss", recording)
    return losses


# ------------------------------------------------------------------- divergence
#
# SGD's steps grow geometrically on inputs scaled by 1e3 at learning_rate_init=1;
# the adaptive solvers' steps are bounded by the learning rate, so theirs is
# 1e100; the full-batch solvers meet an infinite squared error at their very
# first evaluation on inputs scaled by 1e200. Batch norm undoes input scaling,
# so where only scaling is available (full-batch solvers, and partial_fit, which
# keeps its first learning rate) its divergence is simulated instead: every loss
# from the k-th evaluation on is infinite.

DIVERGING_SETUPS = [
    p for p in SETUPS if p.values not in (("lbfgs", "batch_norm"), ("cg", "batch_norm"))
]


def _diverging(solver):
    """Parameters and inputs that make a squared-error fit diverge."""
    if solver in FULL_BATCH:
        return {}, X * 1e200
    if solver == "sgd":
        return dict(learning_rate_init=1.0), X * 1e3
    return dict(learning_rate_init=1e100), X


def non_finite_loss_from(monkeypatch, at):
    """Make every loss from the ``at``-th computation on infinite; record them."""
    real = Network.data_loss
    losses = []

    def diverged(self, *args, **kwargs):
        loss = real(self, *args, **kwargs)
        if len(losses) + 1 >= at:
            if len(losses) + 1 == at:
                FAULTS.append(("Network", "data_loss", "inf loss"))
            loss = math.inf
        losses.append(loss)
        return loss

    monkeypatch.setattr(Network, "data_loss", diverged)
    return losses


def _assert_divergence_advice(excinfo):
    message = str(excinfo.value)
    assert re.search(r"non-finite", message), message
    assert "learning_rate_init" in message and "scal" in message.lower(), message


@pytest.mark.parametrize("solver, option", DIVERGING_SETUPS)
def test_divergence_stops_at_the_first_non_finite_loss(monkeypatch, solver, option):
    params, X_big = _diverging(solver)
    est = _make(ScratchMLPRegressor, solver, option, max_iter=50, **params)
    losses = record_losses(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="learning_rate_init") as excinfo:
            est.fit(X_big, Y_REG)
    _assert_divergence_advice(excinfo)
    first_bad = next(i for i, loss in enumerate(losses) if not math.isfinite(loss))
    FAULTS.append(("data", "diverging", "ValueError"))
    # No loss is computed after the first non-finite one (the minibatch loop
    # computes losses a chunk of steps at a time and stops at that chunk).
    # (A line search may step back from a bad trial point, but the full-batch
    # solvers' first evaluation here is at the starting point: nothing to step
    # back to.)
    assert len(losses) == first_bad + 1, (len(losses), first_bad)
    # A failed first fit leaves the estimator unfitted.
    assert not hasattr(est, "coefs_") and not hasattr(est, "_params")


@pytest.mark.parametrize("solver, option", SETUPS)
def test_injected_non_finite_loss(monkeypatch, solver, option):
    est = _make(ScratchMLPClassifier, solver, option, max_iter=50)
    losses = non_finite_loss_from(monkeypatch, at=6)
    if solver in MINIBATCH:
        with pytest.raises(ValueError, match="learning_rate_init") as excinfo:
            est.fit(X, Y_CLASS)
        _assert_divergence_advice(excinfo)
        assert len(losses) == 6, "training went on after a non-finite loss"
        assert not hasattr(est, "coefs_")
        return
    # A line search may step back from an infinite trial point: the full-batch
    # solvers either raise the documented error or return a finite iterate.
    try:
        est.fit(X, Y_CLASS)
    except ValueError as error:
        assert "learning_rate_init" in str(error)
        assert not hasattr(est, "coefs_")
    else:
        assert math.isfinite(est.loss_) and np.isfinite(est._params).all()
        assert np.isfinite(_output(est)).all()


@pytest.mark.parametrize(
    "how, solver, option",
    [
        pytest.param(how, solver, option, id=f"{how}-{solver}-{option}")
        for how in ("warm_start", "partial_fit")
        for solver, option in _valid_setups(how)
    ],
)
def test_divergence_leaves_the_earlier_model_bit_identical(
    monkeypatch, how, solver, option
):
    params, X_big = _diverging(solver)
    est = _fitted(ScratchMLPRegressor, solver, option, how)
    before = fitted_state(est)
    if option == "batch_norm" and (solver in FULL_BATCH or how == "partial_fit"):
        # Scaled inputs get normalized. A full-batch solver can step back from a
        # bad trial point, but not from a bad starting point.
        # partial_fit computes its epoch's losses in one chunk.
        non_finite_loss_from(monkeypatch, at=1)
    elif how == "partial_fit":
        X_big = X * 1e200  # partial_fit keeps the learning rate of its first call
    else:
        est.set_params(**params)
    with pytest.raises(ValueError, match="learning_rate_init"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            _again(est, how, X_=X_big)
    FAULTS.append(("data", "diverging", "ValueError"))
    monkeypatch.undo()
    assert_same_state(fitted_state(est), before)
    assert_views_alias_params(est)


# ----------------------------------------- exceptions inside the second call


def _sites(solver, option, how):
    """Where to inject a fault into the second call, and at which call of it."""
    first_epoch_step = 3  # partial_fit runs one epoch of four steps
    later = 11 if solver in MINIBATCH else 6  # epoch 3, or a later line search
    sites = [
        ("step-first", Network, "outputs_and_grad", 1, RuntimeError("boom")),
        ("step-mid", Network, "outputs_and_grad", 3, RuntimeError("boom")),
    ]
    if how == "warm_start":
        sites.append(("step-late", Network, "outputs_and_grad", later, RuntimeError()))
    if solver in MINIBATCH:
        optimizer = OPTIMIZERS[solver]
        sites.append(
            ("optimizer-step", optimizer, "step", first_epoch_step, MemoryError())
        )
        at = 2 if how == "warm_start" else 1
        sites.append(("end-epoch", EpochRecorder, "end_epoch", at, OSError()))
    if option == "batch_norm":
        name = "update_running_stats" if solver in MINIBATCH else "set_running_stats"
        at = 2 if solver in MINIBATCH else 1  # full batch: once, after the solve
        sites.append(("running-stats", Network, name, at, FloatingPointError()))
    if option == "dropout":
        sites.append(("dropout-masks", Network, "draw", 3, ValueError("masks")))
    return sites


def _alternating(cases):
    """Give every other case the classifier, the rest the regressor."""
    return [
        pytest.param(
            ESTIMATORS[i % 2],
            *case.values,
            id=f"{case.id}-{'clf' if i % 2 == 0 else 'reg'}",
        )
        for i, case in enumerate(cases)
    ]


FAULT_CASES = _alternating(
    [
        pytest.param(how, solver, option, site, id=f"{how}-{solver}-{option}-{site[0]}")
        for how in ("warm_start", "partial_fit")
        for solver, option in _valid_setups(how)
        for site in _sites(solver, option, how)
    ]
)


@pytest.mark.parametrize("Estimator, how, solver, option, site", FAULT_CASES)
def test_failed_second_call_leaves_the_model_bit_identical(
    monkeypatch, Estimator, how, solver, option, site
):
    _, owner, name, at, error = site
    est = _fitted(Estimator, solver, option, how)
    before = fitted_state(est)
    calls = inject(monkeypatch, owner, name, at, error)
    with pytest.raises(type(error)):
        _again(est, how)
    assert len(calls) == at, "the fault did not fire"
    monkeypatch.undo()
    assert_same_state(fitted_state(est), before)
    assert_views_alias_params(est)
    if site[0] != "step-mid":
        return
    # The restored model trains on exactly as an unfaulted twin does.
    twin = _fitted(Estimator, solver, option, how)
    _again(est, how)
    _again(twin, how)
    assert_same_state(_state.fitted_state(est, X), _state.fitted_state(twin, X))


def _bad_second_calls(Estimator):
    y = _target(Estimator)
    calls = {
        "nan-X": dict(X_=np.where(X == X[3, 1], np.nan, X)),
        "other-n-features": dict(X_=X[:, :3]),
        "negative-sample-weight": dict(sample_weight=-np.ones(N_SAMPLES)),
        "zero-sample-weight": dict(sample_weight=np.zeros(N_SAMPLES)),
        "short-y": dict(y=y[:-1]),
    }
    if Estimator is ScratchMLPClassifier:
        calls["unseen-class"] = dict(y=np.where(y == 0, 7, y))
    else:
        calls["nan-y"] = dict(y=np.where(y == y[5], np.nan, y))
    return calls


BAD_CASES = [
    pytest.param(Estimator, bad, id=f"{Estimator.__name__[10:13]}-{bad}")
    for Estimator in ESTIMATORS
    for bad in _bad_second_calls(Estimator)
]


# Every bad input for three setups, and NaN in X for every solver and both calls.
BAD_SETUPS = [
    ("warm_start", "lbfgs", "batch_norm"),
    ("partial_fit", "adam", "batch_norm"),
    ("warm_start", "sgd", "dropout"),
]
BAD_INPUT_CASES = [
    pytest.param(*case.values, *setup, id=f"{case.id}-{'-'.join(setup)}")
    for case in BAD_CASES
    for setup in BAD_SETUPS
] + [
    pytest.param(
        Estimator, "nan-X", how, solver, "plain", id=f"{tag}-nan-X-{how}-{solver}"
    )
    for Estimator, tag in zip(ESTIMATORS, ["Cla", "Reg"], strict=True)
    for how in ("warm_start", "partial_fit")
    for solver in (SOLVERS if how == "warm_start" else MINIBATCH)
]


@pytest.mark.parametrize("Estimator, bad, how, solver, option", BAD_INPUT_CASES)
def test_bad_input_on_the_second_call_leaves_the_model_bit_identical(
    Estimator, bad, how, solver, option
):
    est = _fitted(Estimator, solver, option, how)
    before = fitted_state(est)
    with pytest.raises(ValueError):
        _again(est, how, **_bad_second_calls(Estimator)[bad])
    FAULTS.append(("input", bad, "ValueError"))
    assert_same_state(fitted_state(est), before)
    assert_views_alias_params(est)


@pytest.mark.parametrize("solver", SOLVERS)
def test_changed_architecture_on_warm_start_leaves_the_model_bit_identical(solver):
    est = _fitted(ScratchMLPClassifier, solver, "batch_norm", "warm_start")
    before = fitted_state(est)
    for change in (dict(hidden_layer_sizes=(6,)), dict(batch_norm=False)):
        est.set_params(**change)
        with pytest.raises(ValueError, match="architecture"):
            est.fit(X, Y_CLASS)
        FAULTS.append(("parameters", str(change), "ValueError"))
        assert_same_state(fitted_state(est), before)
        est.set_params(hidden_layer_sizes=(5,), batch_norm=True)


# ----------------------------------------------------------- KeyboardInterrupt


def _interrupt_at(solver):
    # Minibatch: the 11th step is the 3rd of epoch 3, which then completes.
    # Full batch: the 6th evaluation is inside the line search of a later
    # iteration, which is abandoned.
    return 6 if solver in FULL_BATCH else 11


@pytest.mark.parametrize(
    "Estimator, how, solver, option",
    _alternating(
        [
            pytest.param(how, *setup.values, id=f"{how}-{setup.id}")
            for how in ("fit", "warm_start")
            for setup in SETUPS
        ]
    ),
)
def test_keyboard_interrupt_leaves_a_consistent_model(
    monkeypatch, Estimator, how, solver, option
):
    y = _target(Estimator)
    minibatch = solver in MINIBATCH
    before = None
    if how == "warm_start":
        est = _fitted(Estimator, solver, option, "warm_start", max_iter=3)
        before = dict(curve=list(getattr(est, "loss_curve_", [])), t=est.t_)
    else:
        est = _make(Estimator, solver, option)
    est.set_params(max_iter=20 if minibatch else 50, tol=0.0)
    calls = press_ctrl_c(
        monkeypatch, Network, "outputs_and_grad", _interrupt_at(solver)
    )
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        _again(est, "warm_start", y=y) if how == "warm_start" else est.fit(X, y)
    assert len(calls) >= _interrupt_at(solver), "the fault did not fire"
    monkeypatch.undo()

    # An uninterrupted run of exactly n_iter_ epochs (iterations) is the same model.
    n_iter = est.n_iter_
    assert n_iter >= 1
    if how == "warm_start":
        reference = _fitted(Estimator, solver, option, "warm_start", max_iter=3)
        reference.set_params(max_iter=n_iter, tol=0.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reference.fit(X, y)
    else:
        reference = _make(Estimator, solver, option, max_iter=n_iter, tol=0.0)
        reference.fit(X, y)
    assert reference.n_iter_ == n_iter
    assert_array_equal(est._params, reference._params)
    assert_array_equal(est._stats, reference._stats)
    assert est.loss_ == reference.loss_
    if minibatch:
        assert est.loss_curve_ == reference.loss_curve_
        previous = before["curve"] if before else []
        assert len(est.loss_curve_) == len(previous) + n_iter
        assert est.t_ == (before["t"] if before else 0) + n_iter * N_SAMPLES
        assert est.t_ == reference.t_
        for state in est._optimizer._state_names:
            assert_array_equal(
                getattr(est._optimizer, state), getattr(reference._optimizer, state)
            )
    assert_views_alias_params(est)
    assert_array_equal(_output(est), _output(reference))
    # Usable: it predicts, and it trains on.
    assert np.isfinite(_output(est)).all()
    est.set_params(max_iter=2, warm_start=True)
    est.fit(X, y)
    assert np.isfinite(_output(est)).all()


@pytest.mark.parametrize("Estimator, solver, option", _alternating(MINIBATCH_SETUPS))
def test_ctrl_c_in_partial_fit_finishes_its_epoch(
    monkeypatch, Estimator, solver, option
):
    est = _fitted(Estimator, solver, option, "partial_fit")
    twin = _fitted(Estimator, solver, option, "partial_fit")
    calls = press_ctrl_c(monkeypatch, Network, "outputs_and_grad", 3)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        _again(est, "partial_fit")
    assert len(calls) >= 3, "the fault did not fire"
    monkeypatch.undo()
    # The call's one epoch completed: the model is the uninterrupted twin's.
    _again(twin, "partial_fit")
    assert_same_state(_state.fitted_state(est, X), _state.fitted_state(twin, X))
    assert_views_alias_params(est)
    assert np.isfinite(_output(est)).all()


@pytest.mark.parametrize("Estimator, solver, option", _alternating(MINIBATCH_SETUPS))
def test_second_ctrl_c_aborts_partial_fit_and_keeps_the_earlier_model(
    monkeypatch, Estimator, solver, option
):
    est = _fitted(Estimator, solver, option, "partial_fit")
    before = fitted_state(est)
    press_ctrl_c(monkeypatch, Network, "outputs_and_grad", 2)
    calls = press_ctrl_c(monkeypatch, Network, "outputs_and_grad", 3)
    with pytest.raises(KeyboardInterrupt):
        _again(est, "partial_fit")
    assert len(calls) == 3, "the fault did not fire"
    monkeypatch.undo()
    assert_same_state(fitted_state(est), before)
    assert_views_alias_params(est)


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=["clf", "reg"])
@pytest.mark.parametrize("how", ["fit", "warm_start"])
def test_keyboard_interrupt_while_scoring_the_validation_set(
    monkeypatch, Estimator, how
):
    # Ctrl-C can land between epochs too: during early stopping's validation
    # scoring. Either the interrupt is absorbed (warning, consistent model) or
    # it propagates and the earlier state is kept.
    X_many = np.tile(X, (2, 1))
    y = np.tile(_target(Estimator), 2)
    est = Estimator(
        hidden_layer_sizes=(5,),
        early_stopping=True,
        n_iter_no_change=100,
        max_iter=3,
        random_state=0,
        warm_start=True,
    )
    if how == "warm_start":
        est.fit(X_many, y)
    before = fitted_state(est) if how == "warm_start" else None
    est.set_params(max_iter=10)
    # Network.predict serves only the validation scoring during fit.
    calls = press_ctrl_c(monkeypatch, Network, "predict", 3)
    try:
        with pytest.warns(UserWarning, match="Training interrupted by user"):
            est.fit(X_many, y)
    except KeyboardInterrupt:
        assert len(calls) == 3
        monkeypatch.undo()
        if before is None:
            assert not hasattr(est, "coefs_"), "half-fitted model after Ctrl-C"
        else:
            assert_same_state(fitted_state(est), before)
        return
    monkeypatch.undo()
    assert len(calls) >= 3, "the fault did not fire"
    assert len(est.loss_curve_) == len(est.validation_scores_)
    assert est.t_ == len(est.loss_curve_) * int(0.9 * len(y))
    assert np.isfinite(_output(est)).all()
