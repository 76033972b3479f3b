"""check_gradients on every combination of the toolbox's options."""

import dataclasses
import itertools

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor, check_gradients
from sknn_scratch.nn.activations import ACTIVATIONS

TOLERANCE = 1e-6  # float64 central differences, h = 1e-6

rng = np.random.RandomState(0)
X = rng.standard_normal((14, 4))
TARGETS = {
    "binary": (X[:, 0] + X[:, 1] > 0).astype(int),
    "multiclass": np.digitize(X[:, 0], [-0.5, 0.5]),
    "multilabel": (X[:, :3] > 0).astype(int),
    "squared_error": X @ [1.0, -2.0, 0.5, 0.0],
    "absolute_error": X @ [1.0, -2.0, 0.5, 0.0],
    "huber": X @ [1.0, -2.0, 0.5, 0.0],
    "poisson": rng.poisson(2.0, size=14).astype(float),
}
CLASSIFICATION = ("binary", "multiclass", "multilabel")


def make_estimator(task, **params):
    params = {"hidden_layer_sizes": (5, 4), "random_state": 0, "alpha": 0.01, **params}
    if task in CLASSIFICATION:
        return ScratchMLPClassifier(**params)
    params.pop("class_weight", None)
    return ScratchMLPRegressor(loss=task, huber_delta=0.5, **params)


def grid():
    for activation, task, batch_norm, dropout in itertools.product(
        sorted(ACTIVATIONS), TARGETS, [False, True], [0.0, 0.3]
    ):
        weights = [None, "balanced"] if task in ("binary", "multiclass") else [None]
        for class_weight in weights:
            yield activation, task, batch_norm, dropout, class_weight


@pytest.mark.parametrize(
    ("activation", "task", "batch_norm", "dropout", "class_weight"), list(grid())
)
def test_gradient_of_every_configuration(
    activation, task, batch_norm, dropout, class_weight
):
    est = make_estimator(
        task,
        activation=activation,
        batch_norm=batch_norm,
        dropout=dropout,
        class_weight=class_weight,
    )
    weights = np.random.RandomState(1).uniform(0.2, 2.0, X.shape[0])
    result = check_gradients(est, X, TARGETS[task], sample_weight=weights)
    assert result.max_relative_error < TOLERANCE, result.block_errors


def test_fitted_weights_and_named_blocks():
    X_fit, y_fit = make_classification(
        60, 4, n_informative=3, n_redundant=0, random_state=0
    )
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(6, 3), batch_norm=True, max_iter=30, random_state=0
    ).fit(X_fit, y_fit)
    before = clf._params.copy()
    result = check_gradients(clf, X_fit[:12], y_fit[:12])
    assert result.max_relative_error < TOLERANCE
    assert set(result.block_errors) == {
        "coefs_[0]", "coefs_[1]", "coefs_[2]",
        "intercepts_[0]", "intercepts_[1]", "intercepts_[2]",
        "gammas_[0]", "gammas_[1]", "betas_[0]", "betas_[1]",
    }  # fmt: skip
    np.testing.assert_array_equal(clf._params, before)
    # the check runs at the fitted weights, not at a fresh initialization
    fresh = ScratchMLPClassifier(
        hidden_layer_sizes=(6, 3), batch_norm=True, random_state=0
    )
    assert not np.allclose(
        result.analytic, check_gradients(fresh, X_fit[:12], y_fit[:12]).analytic
    )


def test_adamw_objective_has_no_l2_term():
    y = TARGETS["binary"]
    with_l2 = check_gradients(make_estimator("binary", alpha=5.0), X, y)
    adamw = check_gradients(make_estimator("binary", alpha=5.0, solver="adamw"), X, y)
    no_l2 = check_gradients(make_estimator("binary", alpha=0.0), X, y)
    np.testing.assert_allclose(adamw.analytic, no_l2.analytic)
    assert not np.allclose(with_l2.analytic, no_l2.analytic)


def test_a_broken_derivative_is_caught(monkeypatch):
    """A wrong tanh derivative (missing the square) gives a large error."""

    def wrong_backward(Z, A, dA):
        dA *= 1 - A
        return dA

    broken = dataclasses.replace(ACTIVATIONS["tanh"], backward=wrong_backward)
    monkeypatch.setitem(ACTIVATIONS, "tanh", broken)
    est = make_estimator("binary", activation="tanh")
    result = check_gradients(est, X, TARGETS["binary"])
    assert result.max_relative_error > 1e-3
    assert result.block_errors["coefs_[0]"] > 1e-3
    assert result.block_errors["coefs_[2]"] < TOLERANCE  # the output layer is fine


def test_multilabel_data_from_sklearn():
    Xm, Ym = make_multilabel_classification(16, 5, n_classes=3, random_state=0)
    result = check_gradients(make_estimator("multilabel"), Xm / 3.0, Ym)
    assert result.max_relative_error < TOLERANCE


# -------------------------------------------------------- argument validation


@pytest.mark.parametrize("eps", [0, 0.0, -1e-6, np.nan, np.inf, 1e-2, 1.0])
def test_eps_outside_its_range_is_refused(eps):
    with pytest.raises(ValueError, match="eps"):
        check_gradients(make_estimator("binary"), X, TARGETS["binary"], eps=eps)


@pytest.mark.parametrize("eps", [True, np.bool_(True), "1e-6", None, [1e-6]])
def test_eps_that_is_not_a_real_number_is_refused(eps):
    with pytest.raises(TypeError, match="eps"):
        check_gradients(make_estimator("binary"), X, TARGETS["binary"], eps=eps)


@pytest.mark.parametrize("eps", [1e-300, 1e-12, 1e-10])
def test_eps_below_float64_resolution_is_refused(eps):
    with pytest.raises(ValueError, match=r"eps=.* below float64's resolution"):
        check_gradients(make_estimator("binary"), X, TARGETS["binary"], eps=eps)


def test_the_smallest_eps_grows_with_the_parameters():
    y = TARGETS["binary"]
    # tanh: with relu, a weight of 1e3 saturates the output, where the clipped
    # log-loss is flat and the analytic gradient is not
    clf = make_estimator("binary", activation="tanh", max_iter=5).fit(X, y)
    assert check_gradients(clf, X, y, eps=1e-8).max_relative_error < TOLERANCE
    clf.coefs_[0][0, 0] = 1e3  # a view of the flat parameter vector
    with pytest.raises(ValueError, match=r"eps >= 2\.2e-06"):
        check_gradients(clf, X, y, eps=1e-8)
    assert check_gradients(clf, X, y, eps=1e-5).max_relative_error < TOLERANCE


def test_eps_at_the_bounds_is_accepted():
    est, y = make_estimator("binary"), TARGETS["binary"]
    assert check_gradients(est, X, y, eps=1e-3).max_relative_error < 1e-4
    assert check_gradients(est, X, y, eps=3e-9).max_relative_error < 1e-4


def test_a_numpy_float32_eps_keeps_the_quotients_in_float64():
    est, y = make_estimator("binary"), TARGETS["binary"]
    eps = np.float32(1e-6)
    result = check_gradients(est, X, y, eps=eps)
    expected = check_gradients(est, X, y, eps=float(eps))
    np.testing.assert_array_equal(result.numeric, expected.numeric)


@pytest.mark.parametrize(
    "estimator",
    [MLPClassifier(), MLPRegressor(), LogisticRegression(), "clf", None,
     ScratchMLPClassifier],
    ids=["MLPClassifier", "MLPRegressor", "LogisticRegression", "str", "None",
         "class"],
)  # fmt: skip
def test_foreign_estimators_are_refused(estimator):
    accepted = "ScratchMLPClassifier or ScratchMLPRegressor"
    with pytest.raises(TypeError, match=accepted):
        check_gradients(estimator, X, TARGETS["binary"])


def fit_error(call):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    return type(info.value), str(info.value)


X_NAN = np.where(np.arange(X.size).reshape(X.shape) == 5, np.nan, X)
Y_NAN = np.where(np.arange(X.shape[0]) == 3, np.nan, TARGETS["squared_error"])
BAD_PROBLEMS = {
    "X with NaN": ("binary", {}, X_NAN, TARGETS["binary"], None),
    "1-D X": ("binary", {}, X[:, 0], TARGETS["binary"], None),
    "3-D X": ("binary", {}, X[:, :, None], TARGETS["binary"], None),
    "too few labels": ("binary", {}, X, TARGETS["binary"][:-1], None),
    "y with NaN": ("squared_error", {}, X, Y_NAN, None),
    "continuous labels": ("binary", {}, X, TARGETS["squared_error"], None),
    "short sample_weight": ("binary", {}, X, TARGETS["binary"], np.ones(3)),
    "negative alpha": ("binary", {"alpha": -1.0}, X, TARGETS["binary"], None),
    "unknown activation": ("binary", {"activation": "x"}, X, TARGETS["binary"], None),
    "lbfgs with dropout": (
        "binary", {"solver": "lbfgs", "dropout": 0.2}, X, TARGETS["binary"], None
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_PROBLEMS)
def test_bad_problems_give_the_errors_of_fit(case):
    task, params, X_bad, y_bad, weights = BAD_PROBLEMS[case]
    est = make_estimator(task, **params)
    expected = fit_error(lambda: clone(est).fit(X_bad, y_bad, weights))
    assert fit_error(lambda: check_gradients(est, X_bad, y_bad, weights)) == expected
