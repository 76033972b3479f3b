"""Reliability cases found by adversarial testing, each with the behaviour we want.

Each test names the class of defect it guards against; the repros of the
report are one instance each, and the tests run them over every solver,
dtype or option where the class reaches.
"""

import pickle
import re

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknn_scratch.nn import activations
from sknn_scratch.nn._blas import axpy, scal
from sknn_scratch.nn.network import Network

from ._registries import FULL_BATCH_SOLVERS, MINIBATCH_SOLVERS, SOLVERS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

MINIBATCH = MINIBATCH_SOLVERS
RNG = np.random.RandomState(0)
X = RNG.rand(60, 3)
Y_REG = X @ [1.0, -2.0, 0.5]
Y_CLF = (X[:, 0] > 0.5).astype(int)
FAST = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0)


def _fitted(solver="adam", **params):
    return ScratchMLPRegressor(solver=solver, **{**FAST, **params}).fit(X, Y_REG)


# ------------------------------------- 1, 2: BLAS updates on the array given


def _update(routine, y):
    """Add one (axpy) or double (scal) ``y`` in place."""
    if routine == "axpy":
        axpy(1.0, np.ones(y.shape[0]), y)
    else:
        scal(2.0, y)


@pytest.mark.parametrize("routine", ["axpy", "scal"])
@pytest.mark.parametrize("dtype", [np.float16, ">f8", np.int64])
def test_blas_helpers_refuse_arrays_they_would_only_copy(routine, dtype):
    y = np.ones(4, dtype)
    with pytest.raises(TypeError, match="float32 or float64"):
        _update(routine, y)
    assert_array_equal(y, 1)


@pytest.mark.parametrize("routine", ["axpy", "scal"])
def test_blas_helpers_update_strided_views_in_place(routine):
    y = np.ones(20000)[::2]
    _update(routine, y)
    assert_array_equal(y, 2.0)


@pytest.mark.parametrize("routine", ["axpy", "scal"])
def test_blas_helpers_refuse_read_only_arrays(routine):
    y = np.ones(10)
    y.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _update(routine, y)
    assert_array_equal(y, 1.0)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("option", [{}, {"batch_norm": True}])
def test_memory_mapped_model_trains_on_and_leaves_its_file_alone(
    tmp_path, solver, option
):
    path = tmp_path / "model.joblib"
    joblib.dump(_fitted(solver, **option), path)
    loaded = joblib.load(path, mmap_mode="r")
    assert not loaded._params.flags.writeable  # the case under test
    before = loaded.predict(X)
    if solver not in FULL_BATCH_SOLVERS:
        loaded.partial_fit(X, Y_REG)
    loaded.set_params(warm_start=True, max_iter=3).fit(X, Y_REG)
    assert not np.array_equal(loaded.predict(X), before)
    assert loaded._params.flags.writeable
    assert_array_equal(joblib.load(path).predict(X), before)


@pytest.mark.parametrize("dtype", [np.float16, np.int32, np.float32])
@pytest.mark.parametrize("solver", MINIBATCH)
def test_weights_assigned_in_another_dtype_train(dtype, solver):
    est = _fitted(solver)
    est.coefs_ = [(W * 10).astype(dtype) for W in est.coefs_]
    est.intercepts_ = [b.astype(dtype) for b in est.intercepts_]
    start = [W.astype(np.float64) for W in est.coefs_]
    n_epochs = len(est.loss_curve_)
    est.partial_fit(X, Y_REG)
    assert len(est.loss_curve_) == n_epochs + 1
    assert est.coefs_[0].dtype == (np.float32 if dtype == np.float32 else X.dtype)
    assert not np.array_equal(est.coefs_[0], start[0])
    assert np.isfinite(est.predict(X)).all()


# ------------------------------------------------- 3, 11: class_weight values


@pytest.mark.parametrize(
    "class_weight, error, match",
    [
        ({0: -1.0, 1: 3.0}, ValueError, r"non-negative.*\{0: -1\.0\}"),
        ({0: np.nan, 1: 1.0}, ValueError, r"finite.*\{0: nan\}"),
        ({0: np.inf}, ValueError, r"finite.*\{0: inf\}"),
        ({0: "2", 1: 1.0}, TypeError, r"real numbers.*\{0: '2'\}"),
        ({0: None}, TypeError, r"real numbers"),
        ({7: 1.0}, ValueError, r"label\(s\) \[7\].*classes \[0, 1\]"),
        ({0: 0.0, 1: 0.0}, ValueError, r"no sample with a positive weight"),
    ],
)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_class_weight_values_are_checked_like_sample_weight(
    class_weight, error, match, solver
):
    clf = ScratchMLPClassifier(class_weight=class_weight, solver=solver, **FAST)
    with pytest.raises(error, match=f"class_weight.*{match}|{match}"):
        clf.fit(X, Y_CLF)
    assert "class_weight" in str(_raised(clf.fit, X, Y_CLF))


def _raised(call, *args):
    try:
        call(*args)
    except (ValueError, TypeError) as error:
        return error
    raise AssertionError("no error")


def test_class_weight_equals_the_sample_weight_it_stands_for():
    weights = {0: 0.5, 1: 3.0}
    by_class = ScratchMLPClassifier(class_weight=weights, **FAST).fit(X, Y_CLF)
    by_sample = ScratchMLPClassifier(**FAST).fit(
        X, Y_CLF, sample_weight=np.where(Y_CLF == 1, 3.0, 0.5)
    )
    assert_allclose(by_class.predict_proba(X), by_sample.predict_proba(X))


def test_balanced_class_weight_has_no_partial_fit():
    # As for lbfgs: partial_fit is not available, which hasattr reports.
    clf = ScratchMLPClassifier(class_weight="balanced", **FAST)
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit") as raised:
        clf.partial_fit(X, Y_CLF, classes=[0, 1])
    assert "class_weight='balanced'" in str(raised.value.__cause__)
    clf.fit(X, Y_CLF)  # fit balances over its own data
    clf.set_params(class_weight={0: 1.0, 1: 2.0}).partial_fit(X, Y_CLF)


# --------------------------------------------- 4, 5: batch-norm statistics


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scaling_every_sample_weight_changes_nothing(solver, dtype):
    params = dict(batch_norm=True, solver=solver, alpha=0.0, **FAST)
    Xd = X.astype(dtype)
    plain = ScratchMLPRegressor(**params).fit(Xd, Y_REG)
    # float32 rounds the weighted and unweighted paths apart, and Adam
    # amplifies that; the scale bug this guards against was a factor of 1e4
    rtol = 1e-9 if dtype == np.float64 else 1e-2
    for scale in (1.0, 1.0001 / 60, 1e-3, 1e3, 1e-40, 1e38):
        weighted = ScratchMLPRegressor(**params).fit(
            Xd, Y_REG, sample_weight=np.full(60, scale)
        )
        for name in ("coefs_", "running_means_", "running_vars_"):
            for got, want in zip(
                getattr(weighted, name), getattr(plain, name), strict=True
            ):
                assert_allclose(got, want, rtol=rtol, atol=rtol, err_msg=name)


def test_running_variance_is_the_weighted_batch_variance():
    # The biased variance: the unbiased one would depend on the weights' scale.
    est = ScratchMLPRegressor(
        hidden_layer_sizes=(4,), batch_norm=True, solver="sgd", batch_size=60,
        max_iter=1, shuffle=False, random_state=0, learning_rate_init=1e-12,
    )  # fmt: skip
    weights = np.linspace(0.01, 0.02, 60)
    est.fit(X, Y_REG, sample_weight=weights)
    Z = X @ est.coefs_[0] + est.intercepts_[0]  # weights barely moved
    mean = np.average(Z, axis=0, weights=weights)
    variance = np.average((Z - mean) ** 2, axis=0, weights=weights)
    assert_allclose(est.running_means_[0], 0.1 * mean, rtol=1e-8)
    assert_allclose(est.running_vars_[0], 0.9 + 0.1 * variance, rtol=1e-8)


def test_batch_norm_never_trains_on_a_single_row(monkeypatch):
    rows = []
    original = Network.outputs_and_grad

    def spy(self, params, X, *args, **kwargs):
        rows.append(X.shape[0])
        return original(self, params, X, *args, **kwargs)

    monkeypatch.setattr(Network, "outputs_and_grad", spy)
    X201, y201 = np.vstack([X] * 4)[:201], np.tile(Y_REG, 4)[:201]
    ScratchMLPRegressor(batch_norm=True, max_iter=2, random_state=0).fit(X201, y201)
    assert rows == [201, 201]  # 'auto' is 200 rows: the last row joins them
    rows.clear()
    ScratchMLPRegressor(batch_norm=True, batch_size=50, max_iter=1).fit(X201, y201)
    assert rows == [50, 50, 50, 51]


def test_batch_norm_skips_a_batch_with_one_weighted_row(monkeypatch):
    weights = np.zeros(60)
    weights[[0, 30, 31]] = 1.0  # batch 0..29 has one weighted row
    rows = []
    original = Network.outputs_and_grad
    monkeypatch.setattr(
        Network,
        "outputs_and_grad",
        lambda self, p, X, *a, **k: (
            rows.append(X.shape[0]) or original(self, p, X, *a, **k)
        ),
    )
    est = ScratchMLPRegressor(
        batch_norm=True, batch_size=30, shuffle=False, max_iter=1, random_state=0
    ).fit(X, Y_REG, sample_weight=weights)
    assert rows == [30]
    assert np.isfinite(est.running_vars_[0]).all()


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize(
    "params, n_samples, weights, match",
    [
        ({"batch_size": 1}, 60, None, "batch_size >= 2"),
        ({}, 1, None, "at least 2 samples"),
        ({}, 60, "one", "at least 2 samples with a positive weight"),
    ],
)
def test_batch_norm_refuses_what_has_no_batch_statistics(
    solver, params, n_samples, weights, match
):
    if solver == "lbfgs" and "batch_size" in params:
        params = {}  # full batch: n_samples decides
        n_samples = 1
    sample_weight = None
    if weights == "one":
        sample_weight = np.zeros(n_samples)
        sample_weight[3] = 2.0
    est = ScratchMLPRegressor(batch_norm=True, solver=solver, **params)
    with pytest.raises(ValueError, match=match if n_samples > 1 else "at least 2"):
        est.fit(X[:n_samples], Y_REG[:n_samples], sample_weight=sample_weight)


# ----------------------------------- 8: weights and targets in their own dtype


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("scale", [1e-46, 1e38, 1e39, 2.0**-1000])
def test_float32_weights_of_any_scale_fit_the_float64_model(solver, scale):
    params = dict(solver=solver, alpha=0.0, **FAST)
    weights = np.full(60, scale)
    want = ScratchMLPRegressor(**params).fit(X, Y_REG).predict(X)
    got = ScratchMLPRegressor(**params).fit(
        X.astype(np.float32), Y_REG, sample_weight=weights
    )
    assert got.coefs_[0].dtype == np.float32
    assert_allclose(got.predict(X), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("scale", [4.0, 2.0**-60, 2.0**70])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_rescaling_the_weights_is_exact(scale, solver):
    # sklearn divides the L2 term by the weight sum, so the weights' scale
    # sets the penalty's strength: weights times s act as alpha / s. The
    # estimator rescales weights to a largest one in [1, 2) by a power of
    # two, the L2 strength with it, which rounds nothing.
    weights = np.linspace(1.0, 1.9, 60)
    params = dict(FAST, solver=solver)
    scaled = ScratchMLPRegressor(alpha=0.1, **params)
    scaled.fit(X, Y_REG, sample_weight=weights * scale)
    plain = ScratchMLPRegressor(alpha=0.1 / scale, **params)
    plain.fit(X, Y_REG, sample_weight=weights)
    assert_array_equal(scaled.coefs_[0], plain.coefs_[0])
    assert scaled.loss_ == plain.loss_


def test_an_l2_penalty_that_overflows_float32_is_refused_clearly():
    est = ScratchMLPRegressor(alpha=1e-4, **FAST)
    weights = np.full(60, 1e-46)
    with pytest.raises(ValueError, match="alpha=0.0001.*sample_weight.*float32"):
        est.fit(X.astype(np.float32), Y_REG, sample_weight=weights)
    est.fit(X, Y_REG, sample_weight=weights)  # float64 holds it


def test_targets_too_large_for_float32_are_refused_clearly():
    with pytest.raises(ValueError, match="y has values too large for float32"):
        ScratchMLPRegressor(**FAST).fit(X.astype(np.float32), Y_REG * 1e39)


# ----------------------------- 9, 10, 14: the previous model and its objects


def _break(est, how):
    if how == "deleted":
        del est.coefs_
    elif how == "none":
        est.coefs_ = None
    elif how == "truncated":
        est.intercepts_ = est.intercepts_[:1]
    elif how == "bad-chain":
        est.coefs_ = [est.coefs_[0], est.coefs_[1][:2]]


BROKEN = ["deleted", "none", "truncated", "bad-chain"]


@pytest.mark.parametrize("how", BROKEN)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_fresh_fit_never_reads_the_previous_model(how, solver):
    est = _fitted(solver)
    _break(est, how)
    est.fit(X, Y_REG)
    assert_array_equal(est.predict(X), _fitted(solver).predict(X))


@pytest.mark.parametrize("how", BROKEN[1:])
def test_broken_fitted_attributes_give_a_clear_error(how):
    est = _fitted(warm_start=True)
    _break(est, how)
    name = "intercepts_" if how == "truncated" else "coefs_"
    calls = [lambda: est.predict(X), lambda: est.fit(X, Y_REG)]
    for call in [*calls, lambda: est.partial_fit(X, Y_REG)]:
        with pytest.raises((ValueError, TypeError), match=name):
            call()


def test_a_model_whose_coefs_were_deleted_starts_afresh_on_warm_start():
    est = _fitted(warm_start=True)
    del est.coefs_
    with pytest.raises(ValueError, match="not fitted"):
        est.predict(X)
    est.fit(X, Y_REG)
    assert_array_equal(est.predict(X), _fitted().predict(X))


@pytest.mark.parametrize("solver", MINIBATCH)
def test_assigned_weights_must_have_the_fitted_shapes(solver):
    # The architecture is stored, not read off the arrays: other shapes are
    # refused clearly, and the model stays as it was.
    est = _fitted(solver, hidden_layer_sizes=(5,))
    before = est.predict(X)
    est.coefs_ = [np.full((3, 7), 0.1), np.full((7, 1), 0.1)]
    est.intercepts_ = [np.zeros(7), np.zeros(1)]
    for call in (lambda: est.partial_fit(X, Y_REG), lambda: est.predict(X)):
        with pytest.raises(ValueError, match=r"coefs_ must have the fitted shapes"):
            call()
    est.set_params(hidden_layer_sizes=(7,), warm_start=False).fit(X, Y_REG)
    assert est.coefs_[0].shape == (3, 7)
    assert not np.array_equal(est.predict(X), before)


@pytest.mark.parametrize("solver", MINIBATCH)
def test_a_refused_call_keeps_the_objects_the_user_holds(solver):
    est = _fitted(solver)
    coefs, W, curve = est.coefs_, est.coefs_[0], est.loss_curve_
    for bad in (X[:, :2], np.where(X > 0.5, np.nan, X)):
        with pytest.raises(ValueError):
            est.partial_fit(bad, Y_REG)
        assert est.coefs_ is coefs and est.coefs_[0] is W
        assert est.loss_curve_ is curve
    est.partial_fit(X, Y_REG)
    assert len(curve) == FAST["max_iter"] + 1  # the held list is the live one


# ------------------------------------------------ 12: module-level caches


def test_the_filled_array_cache_is_bounded():
    for width in range(1, 300):
        zeros = activations._filled(0.0, (3, width), np.float64)
        assert zeros.shape == (3, width) and not zeros.any()
    assert len(activations._FILLED) <= activations._FILLED_KEYS
    for width in (5, 20):  # still correct after evictions, in both dtypes
        ones = activations._filled(1.0, (4, width), np.float32)
        assert ones.dtype == np.float32 and (ones == 1).all()


# ------------------------------------------------ 13: parameter types


@pytest.mark.parametrize(
    "params, error, name",
    [
        ({"hidden_layer_sizes": (5.7,)}, TypeError, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": ("10",)}, TypeError, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (True,)}, TypeError, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": [5, None]}, TypeError, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": [[5]]}, TypeError, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (5, 0)}, ValueError, "hidden_layer_sizes"),
        ({"dropout": {0: 0.1}}, TypeError, "dropout"),
        ({"dropout": [[0.1]]}, ValueError, "dropout"),
        ({"dropout": [0.1, "a"]}, TypeError, "dropout"),
        ({"dropout": [True]}, TypeError, "dropout"),
        ({"dropout": [0.1, 0.2]}, ValueError, "dropout"),
        ({"dropout": [1.0]}, ValueError, "dropout"),
    ],
)
@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_parameter_types_are_checked_and_named(Estimator, params, error, name):
    est = Estimator(**{**FAST, **params})
    y = Y_CLF if Estimator is ScratchMLPClassifier else Y_REG
    with pytest.raises(error, match=name):
        est.fit(X, y)


@pytest.mark.parametrize(
    "sizes", [7, (), np.array([3, 4]), [np.int32(4)], (np.int64(2), 3)]
)
def test_integer_layer_sizes_of_any_integer_type_are_accepted(sizes):
    est = ScratchMLPRegressor(hidden_layer_sizes=sizes, max_iter=2).fit(X, Y_REG)
    expected = [3, *np.atleast_1d(sizes).tolist(), 1]
    assert [W.shape[0] for W in est.coefs_] + [1] == expected


# ------------------------------------------------ error messages


def test_error_messages_print_plain_values():
    clf = ScratchMLPClassifier(**FAST).fit(X, np.int64(Y_CLF))
    messages = [
        str(_raised(clf.partial_fit, X, Y_CLF + 5)),
        str(_raised(lambda *a: clf.partial_fit(*a, classes=np.arange(3)), X, Y_CLF)),
        str(_raised(clf.set_params(warm_start=True).fit, X, Y_CLF * 2)),
        str(_raised(clf.set_params(class_weight={9: 1.0}).fit, X, Y_CLF)),
    ]
    for message in messages:
        assert not re.search(r"np\.\w+\(|array\(", message), message


# ----------------------------- continued fits after the options changed


@pytest.mark.parametrize("first", ["lbfgs", "cg"])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_minibatch_fit_continues_a_full_batch_model(first, early_stopping):
    X_big, y_big = np.tile(X, (3, 1)), np.tile(Y_REG, 3)
    est = ScratchMLPRegressor(solver=first, **FAST).fit(X_big, y_big)
    assert not hasattr(est, "loss_curve_")
    est.set_params(solver="sgd", warm_start=True, early_stopping=early_stopping)
    est.fit(X_big, y_big)
    assert len(est.loss_curve_) == FAST["max_iter"]
    scores = est.validation_scores_
    assert (len(scores) == FAST["max_iter"]) if early_stopping else scores is None
    est.partial_fit(X_big, y_big)
    assert len(est.loss_curve_) == FAST["max_iter"] + 1


def test_early_stopping_switched_on_for_a_warm_fit_records_its_scores():
    X_big, y_big = np.tile(X, (3, 1)), np.tile(Y_REG, 3)
    est = ScratchMLPRegressor(warm_start=True, **FAST).fit(X_big, y_big)
    assert est.validation_scores_ is None
    est.set_params(early_stopping=True).fit(X_big, y_big)
    assert len(est.validation_scores_) == len(est.validation_loss_curve_) == 5
    assert est.best_validation_score_ == max(est.validation_scores_)


@pytest.mark.parametrize(
    "first, then",
    [
        (Y_CLF, np.c_[Y_CLF, 1 - Y_CLF]),
        (np.c_[Y_CLF, 1 - Y_CLF], Y_CLF),
        (np.c_[Y_CLF, 1 - Y_CLF], np.c_[Y_CLF, 1 - Y_CLF, Y_CLF]),
    ],
    ids=["multilabel-after-binary", "binary-after-multilabel", "more-labels"],
)
@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_targets_of_another_kind_than_the_fitted_ones_are_refused(first, then, how):
    clf = ScratchMLPClassifier(solver="sgd", warm_start=True, **FAST).fit(X, first)
    call = clf.partial_fit if how == "partial_fit" else clf.fit
    with pytest.raises(ValueError, match="but the model was fitted on"):
        call(X, then)


@pytest.mark.parametrize("solver", MINIBATCH_SOLVERS)
def test_a_dtype_change_gets_scratch_buffers_of_the_new_dtype(solver):
    # weights assigned in float16 train in float64 from then on: the optimizer's
    # scratch must not stay float32 (it rounded every step before)
    est = ScratchMLPRegressor(solver=solver, **FAST).fit(X.astype(np.float32), Y_REG)
    est.coefs_ = [W.astype(np.float16) for W in est.coefs_]
    est.intercepts_ = [b.astype(np.float16) for b in est.intercepts_]
    copy = pickle.loads(pickle.dumps(est))  # no scratch buffers at all
    est.partial_fit(X, Y_REG)
    copy.partial_fit(X, Y_REG)
    assert_array_equal(est._params, copy._params)


@pytest.mark.parametrize(
    "change", [{"learning_rate_init": 0.0}, {"batch_size": 0}, {"solver": "newton"}]
)
def test_every_partial_fit_validates_the_parameters(change):
    # sklearn skips validation once fitted; here the parameters may build the
    # optimizer now (after a full-batch fit) and be kept for good
    est = ScratchMLPRegressor(solver="lbfgs", **FAST).fit(X, Y_REG)
    est.set_params(**{"solver": "sgd", **change})
    with pytest.raises(ValueError, match=next(iter(change))):
        est.partial_fit(X, Y_REG)
    est.set_params(**{"learning_rate_init": 0.01, "batch_size": "auto"})
    est.set_params(solver="sgd").partial_fit(X, Y_REG)
    assert len(est.loss_curve_) == 1
