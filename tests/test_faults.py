"""Faults during fit: interruption and failures leave a consistent model."""

import signal

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknn_scratch.nn.network import Network

X, y = make_classification(120, 5, n_informative=3, random_state=0)


def interrupt_after(monkeypatch, *n_steps):
    """Press Ctrl-C (a real SIGINT) during each n-th training step from now."""
    real = Network.outputs_and_grad
    calls = [0]

    def pressed(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] in n_steps:
            signal.raise_signal(signal.SIGINT)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Network, "outputs_and_grad", pressed)
    return calls


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_ctrl_c_finishes_the_epoch_and_keeps_its_model(monkeypatch, solver):
    params = dict(
        hidden_layer_sizes=(8,),
        solver=solver,
        batch_size=20,
        random_state=0,
        n_iter_no_change=100,
    )
    three_epochs = ScratchMLPClassifier(**params, max_iter=3).fit(X, y)
    # 6 steps per epoch: the 16th step is the 4th of epoch 3
    interrupt_after(monkeypatch, 16)
    clf = ScratchMLPClassifier(**params, max_iter=50)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        clf.fit(X, y)
    assert clf.n_iter_ == 3 and clf.loss_curve_ == three_epochs.loss_curve_
    assert_array_equal(clf._params, three_epochs._params)
    for name in clf._optimizer._state_names:
        assert_array_equal(
            getattr(clf._optimizer, name), getattr(three_epochs._optimizer, name)
        )
    assert clf.predict(X).shape == y.shape


def test_second_ctrl_c_aborts_and_keeps_the_earlier_model(monkeypatch):
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(8,), batch_size=20, max_iter=4, random_state=0
    )
    clf.fit(X, y)
    proba, curve = clf.predict_proba(X), list(clf.loss_curve_)
    calls = interrupt_after(monkeypatch, 3, 4)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert calls == [4]
    assert_array_equal(clf.predict_proba(X), proba)
    assert clf.loss_curve_ == curve


def test_failed_partial_fit_leaves_the_model_bit_identical(monkeypatch):
    reg = ScratchMLPRegressor(hidden_layer_sizes=(6,), solver="adam", random_state=0)
    target = X[:, 0] * 2.0
    for _ in range(3):
        reg.partial_fit(X, target)
    before = {k: np.copy(v) for k, v in [("params", reg._params)]}
    curve, t, m = list(reg.loss_curve_), reg.t_, reg._optimizer.m.copy()

    def broken(self, *args, **kwargs):
        raise RuntimeError("injected fault")

    monkeypatch.setattr(Network, "outputs_and_grad", broken)
    with pytest.raises(RuntimeError, match="injected fault"):
        reg.partial_fit(X, target)
    monkeypatch.undo()
    assert_array_equal(reg._params, before["params"])
    assert reg.loss_curve_ == curve and reg.t_ == t
    assert_array_equal(reg._optimizer.m, m)
    assert np.shares_memory(reg.coefs_[0], reg._params)
    # and it goes on exactly as an unfaulted copy would
    twin = ScratchMLPRegressor(hidden_layer_sizes=(6,), solver="adam", random_state=0)
    for _ in range(4):
        twin.partial_fit(X, target)
    reg.partial_fit(X, target)
    assert_array_equal(reg._params, twin._params)


def test_failed_first_fit_leaves_the_estimator_unfitted(monkeypatch):
    clf = ScratchMLPClassifier(max_iter=3)

    def broken(self, *args, **kwargs):
        raise RuntimeError("injected fault")

    monkeypatch.setattr(Network, "outputs_and_grad", broken)
    with pytest.raises(RuntimeError):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_") and not hasattr(clf, "classes_")


def test_user_assigned_coefs_survive_a_failed_fit():
    clf = ScratchMLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    clf.fit(X, y)
    clf.coefs_ = [np.ones_like(c) for c in clf.coefs_]
    proba = clf.predict_proba(X)
    clf.set_params(warm_start=True)
    with pytest.raises(ValueError, match="sample_weight"):
        clf.fit(X, y, sample_weight=-np.ones(len(y)))
    assert_array_equal(clf.predict_proba(X), proba)
    assert all((c == 1).all() for c in clf.coefs_)
