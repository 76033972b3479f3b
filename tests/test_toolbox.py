"""Behaviour of the options sklearn's MLP lacks, through the public estimators."""

import inspect

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_moons, make_regression
from sklearn.neural_network import MLPClassifier
from sklearn.utils.class_weight import compute_class_weight

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknn_scratch.nn.losses import get_loss
from sknn_scratch.nn.network import build_mlp

from ._registries import NON_DEFAULT_INITIALIZERS
from .glyphs import make_characters

X_moons, y_moons = make_moons(300, noise=0.1, random_state=0)
X_clf, y_clf = make_classification(
    200, 6, n_informative=4, n_classes=3, n_clusters_per_class=1, random_state=0
)
X_reg, y_reg = make_regression(120, 4, noise=5.0, random_state=0)
y_reg = y_reg / y_reg.std()


@pytest.mark.parametrize(
    "params",
    [
        dict(dropout=0.2),
        dict(batch_norm=True),
        dict(batch_norm=True, dropout=[0.1, 0.2]),
    ],
    ids=["dropout", "batch_norm", "both"],
)
def test_dropout_and_batch_norm_learn_the_moons(params):
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(32, 16), learning_rate_init=0.01, max_iter=300,
        random_state=0, **params,
    )  # fmt: skip
    assert clf.fit(X_moons, y_moons).score(X_moons, y_moons) >= 0.95


def test_conjugate_gradient_learns_the_characters():
    """The tutorial: 260-200-200-36 logistic, CG, 100 iterations, all correct."""
    X, y = make_characters(n_per_class=10)
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(200, 200), activation="logistic", solver="cg",
        max_iter=100, random_state=0,
    )  # fmt: skip
    clf.fit(X, y)
    assert X.shape == (360, 260) and len(clf.classes_) == 36
    assert clf.n_iter_ <= 100
    assert clf.score(X, y) == 1.0


@pytest.mark.parametrize(
    ("solver", "lr"),
    [("adagrad", 0.1), ("rmsprop", 0.01), ("adamw", 0.01), ("cg", None)],
)
def test_new_solvers_learn(solver, lr):
    params = {} if lr is None else dict(learning_rate_init=lr)
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(20,), solver=solver, max_iter=200, random_state=0, **params
    )
    assert clf.fit(X_clf, y_clf).score(X_clf, y_clf) > 0.9


@pytest.mark.parametrize("solver", ["cg", "rmsprop", "adagrad", "adamw"])
def test_new_solvers_keep_float32(solver):
    clf = ScratchMLPClassifier(hidden_layer_sizes=(8,), solver=solver, max_iter=5)
    clf.fit(X_clf.astype(np.float32), y_clf)
    assert clf.coefs_[0].dtype == np.float32
    assert clf.predict_proba(X_clf.astype(np.float32)).dtype == np.float32


def test_adamw_reports_no_l2_term_in_its_loss():
    """One full-batch epoch: the loss is measured at the initial weights."""
    params = dict(hidden_layer_sizes=(6,), alpha=10.0, batch_size=200, max_iter=1)
    adamw = ScratchMLPClassifier(solver="adamw", random_state=0, **params)
    adam = ScratchMLPClassifier(solver="adam", random_state=0, **params)
    adamw.fit(X_clf, y_clf)
    adam.fit(X_clf, y_clf)
    net = build_mlp([6, 6, 3], "relu", "log_loss")
    params0 = net.init_params(np.random.RandomState(0))
    Y = np.eye(3)[y_clf]
    data_loss = get_loss("log_loss").value(Y, net.predict(params0, X_clf))
    weights = params0[: net.n_weights]
    assert adamw.loss_curve_[0] == pytest.approx(data_loss, rel=1e-12)
    penalty = 0.5 * 10.0 * weights @ weights / 200
    assert adam.loss_curve_[0] == pytest.approx(data_loss + penalty, rel=1e-12)


def test_adamw_decay_shrinks_weights():
    norms = []
    for alpha in (0.0, 1.0):
        clf = ScratchMLPClassifier(
            hidden_layer_sizes=(10,), solver="adamw", alpha=alpha,
            learning_rate_init=0.01, max_iter=50, random_state=0,
        )  # fmt: skip
        norms.append(np.linalg.norm(clf.fit(X_clf, y_clf).coefs_[0]))
    assert norms[1] < 0.8 * norms[0]


def test_schedules_apply_to_adam_unlike_sklearn():
    params = dict(hidden_layer_sizes=(6,), max_iter=20, random_state=0)
    ours = [
        ScratchMLPClassifier(learning_rate=lr, **params).fit(X_clf, y_clf)
        for lr in ("constant", "invscaling")
    ]
    theirs = [
        MLPClassifier(learning_rate=lr, **params).fit(X_clf, y_clf)
        for lr in ("constant", "invscaling")
    ]
    assert_array_equal(theirs[0].coefs_[0], theirs[1].coefs_[0])
    assert not np.allclose(ours[0].coefs_[0], ours[1].coefs_[0])
    # the constant schedule is sklearn's Adam, up to BLAS's fused rounding
    assert_allclose(ours[0].coefs_[0], theirs[0].coefs_[0], rtol=1e-12, atol=1e-15)


def test_cosine_schedule_reaches_zero_at_max_iter():
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(6,), solver="sgd", learning_rate="cosine",
        learning_rate_init=0.1, max_iter=8, n_iter_no_change=100, random_state=0,
    )  # fmt: skip
    clf.fit(X_clf, y_clf)
    assert clf.n_iter_ == 8 and clf._schedule.lr == pytest.approx(0.0, abs=1e-15)


def test_gradient_clipping_bounds_the_step():
    """Plain full-batch SGD: the first step is lr times the clipped gradient."""
    params = dict(
        hidden_layer_sizes=(5,), solver="sgd", momentum=0.0, batch_size=200,
        learning_rate_init=0.5, max_iter=1, shuffle=False, random_state=0,
    )  # fmt: skip
    start = ScratchMLPClassifier(**{**params, "learning_rate_init": 1e-300})
    start.fit(X_clf, y_clf)
    clipped = ScratchMLPClassifier(max_grad_norm=1e-3, **params).fit(X_clf, y_clf)
    free = ScratchMLPClassifier(**params).fit(X_clf, y_clf)
    step = np.linalg.norm(clipped._params - start._params)
    assert step == pytest.approx(0.5 * 1e-3, rel=1e-9)
    assert np.linalg.norm(free._params - start._params) > 10 * step


@pytest.mark.parametrize("solver", ["lbfgs", "cg"])
@pytest.mark.parametrize("option", [dict(dropout=0.1), dict(max_grad_norm=1.0)])
def test_full_batch_solvers_refuse_random_or_clipped_steps(solver, option):
    with pytest.raises(ValueError, match=next(iter(option))):
        ScratchMLPClassifier(solver=solver, **option).fit(X_clf, y_clf)


def test_dropout_per_layer_needs_one_rate_per_hidden_layer():
    clf = ScratchMLPClassifier(hidden_layer_sizes=(4, 4), dropout=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="dropout has 3 values"):
        clf.fit(X_clf, y_clf)
    with pytest.raises(ValueError, match="dropout"):
        ScratchMLPClassifier(dropout=[0.5, 1.5]).fit(X_clf, y_clf)


def test_dropout_is_seeded_and_absent_at_prediction():
    def fit(seed, rate=0.3):
        return ScratchMLPClassifier(
            hidden_layer_sizes=(8,), dropout=rate, max_iter=5, random_state=seed
        ).fit(X_clf, y_clf)

    assert_array_equal(fit(0)._params, fit(0)._params)
    assert not np.array_equal(fit(0)._params, fit(0, rate=0.0)._params)
    clf = fit(0)
    assert_array_equal(clf.predict_proba(X_clf), clf.predict_proba(X_clf))


def test_batch_norm_running_statistics_after_one_step():
    """Running stats: 0.9 * (0, 1) + 0.1 * (batch mean, batch variance)."""
    params = dict(
        hidden_layer_sizes=(5,), batch_norm=True, solver="sgd", batch_size=200,
        max_iter=1, shuffle=False, random_state=0,
    )  # fmt: skip
    clf = ScratchMLPClassifier(**params).fit(X_clf, y_clf)
    net = build_mlp([6, 5, 3], "relu", "log_loss", batch_norm=True)
    views = net.unpack(net.init_params(np.random.RandomState(0)))
    W, b = views["coefs_"][0], views["intercepts_"][0]
    Z = X_clf @ W + b
    assert_allclose(clf.running_means_[0], 0.1 * Z.mean(axis=0), rtol=1e-12)
    assert_allclose(clf.running_vars_[0], 0.9 + 0.1 * Z.var(axis=0))
    assert [g.shape for g in clf.gammas_] == [(5,)]
    assert [b.shape for b in clf.betas_] == [(5,)]


def test_batch_norm_with_a_full_batch_solver_uses_the_training_statistics():
    clf = ScratchMLPRegressor(
        hidden_layer_sizes=(6,), batch_norm=True, solver="lbfgs", max_iter=50,
        random_state=0,
    ).fit(X_reg, y_reg)  # fmt: skip
    Z = X_reg @ clf.coefs_[0] + clf.intercepts_[0]
    assert_allclose(clf.running_means_[0], Z.mean(axis=0), rtol=1e-10)
    assert_allclose(clf.running_vars_[0], Z.var(axis=0), rtol=1e-10)
    # prediction then reproduces the objective's forward pass, sample by sample
    one_by_one = np.array([clf.predict(x[None])[0] for x in X_reg[:5]])
    assert_allclose(one_by_one, clf.predict(X_reg[:5]), rtol=1e-12)


def test_class_weight_is_the_equivalent_sample_weight():
    class_weight = {0: 3.0, 1: 0.5}
    sw = np.where(y_clf == 0, 3.0, np.where(y_clf == 1, 0.5, 1.0))
    params = dict(hidden_layer_sizes=(6,), max_iter=20, random_state=0)
    a = ScratchMLPClassifier(class_weight=class_weight, **params).fit(X_clf, y_clf)
    b = ScratchMLPClassifier(**params).fit(X_clf, y_clf, sample_weight=sw)
    assert_array_equal(a._params, b._params)


def test_balanced_class_weight_counts_with_sample_weights():
    """Class c weighs W / (K * W_c), with weight sums W_c: compute_class_weight's."""
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(y_clf))
    totals = np.bincount(y_clf, weights=sw)
    expected = (sw.sum() / (3 * totals))[y_clf] * sw
    if "sample_weight" in inspect.signature(compute_class_weight).parameters:
        reference = compute_class_weight(
            "balanced", classes=np.unique(y_clf), y=y_clf, sample_weight=sw
        )
        assert_allclose(reference[y_clf] * sw, expected)
    params = dict(hidden_layer_sizes=(6,), max_iter=20, random_state=0)
    a = ScratchMLPClassifier(class_weight="balanced", **params)
    a.fit(X_clf, y_clf, sample_weight=sw)
    b = ScratchMLPClassifier(**params).fit(X_clf, y_clf, sample_weight=expected)
    assert_allclose(a._params, b._params, rtol=1e-10)


def test_class_weight_with_an_unknown_label_is_refused():
    with pytest.raises(ValueError, match=r"label\(s\) \[7\]"):
        ScratchMLPClassifier(class_weight={0: 1.0, 7: 2.0}).fit(X_clf, y_clf)


def test_huber_with_a_large_delta_is_squared_error():
    params = dict(hidden_layer_sizes=(6,), max_iter=30, random_state=0)
    huber = ScratchMLPRegressor(loss="huber", huber_delta=1e6, **params)
    squared = ScratchMLPRegressor(loss="squared_error", **params)
    assert_allclose(
        huber.fit(X_reg, y_reg)._params, squared.fit(X_reg, y_reg)._params,
        rtol=1e-12,
    )  # fmt: skip


def test_robust_losses_resist_outliers():
    X = np.linspace(-1, 1, 80)[:, None]
    y = 2 * X.ravel()
    y_dirty = y.copy()
    y_dirty[::10] += 30.0  # 10% gross outliers
    errors = {}
    for loss in ("squared_error", "huber", "absolute_error"):
        reg = ScratchMLPRegressor(
            loss=loss, hidden_layer_sizes=(8,), solver="lbfgs", max_iter=300,
            random_state=0,
        ).fit(X, y_dirty)  # fmt: skip
        errors[loss] = np.abs(reg.predict(X) - y).mean()
    assert errors["huber"] < 0.5 * errors["squared_error"]
    assert errors["absolute_error"] < 0.5 * errors["squared_error"]


def test_validation_loss_curve_is_recorded_with_early_stopping():
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(10,), early_stopping=True, max_iter=40, random_state=0,
        learning_rate_init=0.01,
    ).fit(X_clf, y_clf)  # fmt: skip
    curve = clf.validation_loss_curve_
    assert len(curve) == len(clf.validation_scores_) == clf.n_iter_
    assert np.all(np.isfinite(curve)) and curve[-1] < curve[0]
    no_es = ScratchMLPClassifier(max_iter=2).fit(X_clf, y_clf)
    assert no_es.validation_loss_curve_ is None


def test_verbose_prints_one_line_per_epoch(capsys):
    clf = ScratchMLPClassifier(hidden_layer_sizes=(4,), max_iter=7, verbose=True)
    clf.fit(X_clf, y_clf)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "Iteration" in ln]
    assert len(lines) == clf.n_iter_ == 7
    assert lines[0].startswith("Iteration 1, loss = ")


@pytest.mark.parametrize("init", NON_DEFAULT_INITIALIZERS)
def test_weight_init_choices(init):
    params = dict(hidden_layer_sizes=(50,), max_iter=1, learning_rate_init=1e-300)
    clf = ScratchMLPClassifier(weight_init=init, random_state=0, **params)
    clf.fit(X_clf, y_clf)
    default = ScratchMLPClassifier(random_state=0, **params).fit(X_clf, y_clf)
    assert all(np.abs(b).max() < 1e-250 for b in clf.intercepts_)
    assert not np.allclose(clf.coefs_[0], default.coefs_[0])
