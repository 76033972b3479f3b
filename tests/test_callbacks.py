"""scikit-learn's callback API (sklearn >= 1.9): progress, monitoring, stopping."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor

callback = pytest.importorskip("sklearn.callback")

X, y = make_classification(120, 5, n_informative=3, random_state=0)


class Recorder:
    """A FitCallback that records every hook and can stop after some tasks."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.events = []
        self.scores = []

    def setup(self, estimator, context):
        self.events.append("setup")

    def teardown(self, estimator, context):
        self.events.append("teardown")

    def on_fit_task_begin(self, estimator, context):
        self.events.append(("begin", context.task_name))

    def on_fit_task_end(self, estimator, context, *, X=None, y=None,
                        fitted_estimator=None):  # fmt: skip
        self.events.append(("end", context.task_name))
        if context.task_name == "epoch" and fitted_estimator is not None:
            self.scores.append(fitted_estimator.predict_proba(X))
        n_ended = sum(1 for e in self.events if e == ("end", context.task_name))
        return self.stop_after is not None and n_ended >= self.stop_after

    def count(self, kind, task):
        return self.events.count((kind, task))


class Propagated(Recorder):
    """The same, auto-propagated from meta-estimators."""

    max_propagation_depth = None


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop"])
def test_one_subtask_per_epoch(solver):
    rec = Recorder()
    clf = ScratchMLPClassifier(hidden_layer_sizes=(6,), solver=solver, max_iter=7,
                               n_iter_no_change=100, random_state=0)  # fmt: skip
    clf.set_callbacks(rec).fit(X, y)
    assert rec.events[0] == "setup" and rec.events[-1] == "teardown"
    assert rec.count("begin", "epoch") == rec.count("end", "epoch") == clf.n_iter_ == 7
    assert rec.count("end", "fit") == 1
    # the fitted estimator handed to the hooks is the model after each epoch
    assert len(rec.scores) == 7
    assert_array_equal(rec.scores[-1], clf.predict_proba(X))
    assert not np.array_equal(rec.scores[0], rec.scores[-1])


@pytest.mark.parametrize("solver", ["lbfgs", "cg"])
def test_one_subtask_per_solver_iteration(solver):
    rec = Recorder()
    clf = ScratchMLPClassifier(hidden_layer_sizes=(6,), solver=solver, max_iter=15,
                               random_state=0)  # fmt: skip
    clf.set_callbacks(rec).fit(X, y)
    assert rec.count("begin", "iteration") == rec.count("end", "iteration")
    assert rec.count("end", "iteration") >= clf.n_iter_


@pytest.mark.parametrize("solver", ["adam", "lbfgs", "cg"])
def test_a_callback_can_stop_training(solver):
    rec = Recorder(stop_after=3)
    clf = ScratchMLPClassifier(hidden_layer_sizes=(6,), solver=solver, max_iter=50,
                               random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning
        clf.set_callbacks(rec).fit(X, y)
    assert clf.n_iter_ == 3
    if solver == "adam":
        assert len(clf.loss_curve_) == 3
        three = ScratchMLPClassifier(hidden_layer_sizes=(6,), solver=solver,
                                     max_iter=3, random_state=0)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            three.fit(X, y)
        assert_array_equal(clf._params, three._params)
    assert clf.predict(X).shape == y.shape and np.isfinite(clf.loss_)


def test_scoring_monitor_logs_a_score_per_epoch():
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = ScratchMLPClassifier(hidden_layer_sizes=(6,), max_iter=5, random_state=0)
    clf.set_callbacks(monitor).fit(X, y)
    log = monitor.get_logs()
    log = log[0] if isinstance(log, list) else log
    rows = [r for r in log.data if r["task_name"] == "epoch"]
    assert len(rows) == 5
    assert rows[-1]["accuracy"] == pytest.approx(clf.score(X, y))


def test_progress_bar_runs():
    pytest.importorskip("rich")
    reg = ScratchMLPRegressor(hidden_layer_sizes=(6,), max_iter=5, random_state=0)
    reg.set_callbacks(callback.ProgressBar()).fit(X, y.astype(float))
    assert reg.n_iter_ == 5


def test_callbacks_propagate_from_grid_search_and_pipeline():
    rec = Propagated()
    pipe = make_pipeline(StandardScaler(), ScratchMLPClassifier(max_iter=4,
                         hidden_layer_sizes=(5,), random_state=0))  # fmt: skip
    search = GridSearchCV(pipe, {"scratchmlpclassifier__alpha": [1e-4, 1e-2]}, cv=2)
    search.set_callbacks(rec).fit(X, y)
    # 2 candidates x 2 folds + the refit, 4 epochs each
    assert rec.count("end", "epoch") == 5 * 4


def test_fit_without_callbacks_leaves_no_callback_state():
    clf = ScratchMLPClassifier(hidden_layer_sizes=(4,), max_iter=3).fit(X, y)
    assert not [k for k in vars(clf) if "callback" in k]
