"""scikit-learn compliance: every estimator check, for a list of configurations.

Each configuration runs the full ``parametrize_with_checks`` suite with no expected
failures. Test ids read ``<config>-<check>``, for example
``clf-sgd-check_classifiers_train``, so ``pytest -k clf-sgd`` selects a configuration
and ``pytest -k check_fit2d_1sample`` selects a check across configurations.
"""

from functools import partial

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor

# sklearn runs its own MLP checks with max_iter=100; we keep the same budget.
MAX_ITER = 100

CONFIGS = {
    "clf-default": ScratchMLPClassifier(max_iter=MAX_ITER),
    "reg-default": ScratchMLPRegressor(max_iter=MAX_ITER),
    "clf-sgd": ScratchMLPClassifier(solver="sgd", max_iter=MAX_ITER),
    "reg-sgd": ScratchMLPRegressor(solver="sgd", max_iter=MAX_ITER),
    "clf-lbfgs": ScratchMLPClassifier(solver="lbfgs", max_iter=MAX_ITER),
    "reg-lbfgs": ScratchMLPRegressor(solver="lbfgs", max_iter=MAX_ITER),
    "clf-early-stopping": ScratchMLPClassifier(early_stopping=True, max_iter=MAX_ITER),
    "reg-early-stopping": ScratchMLPRegressor(early_stopping=True, max_iter=MAX_ITER),
    # Several minibatches per epoch, with a ragged last one, in the checks that feed
    # float32 (check_classifiers_train, 300 samples) and sparse X (40 samples).
    # 32 is the smallest power of two that keeps the 27 repeated samples of
    # check_sample_weight_equivalence in one batch: minibatch SGD over several
    # batches can never equal fitting on repeated samples.
    "clf-adam-batch32": ScratchMLPClassifier(
        solver="adam", batch_size=32, max_iter=MAX_ITER
    ),
    "reg-adam-batch32": ScratchMLPRegressor(
        solver="adam", batch_size=32, max_iter=MAX_ITER
    ),
    "clf-sgd-tanh-adaptive": ScratchMLPClassifier(
        solver="sgd",
        activation="tanh",
        learning_rate="adaptive",
        nesterovs_momentum=False,
        max_iter=MAX_ITER,
    ),
    # Not invscaling: it counts samples, so a weighted fit and a fit on repeated
    # samples see different learning rates (as in sklearn).
    "reg-sgd-logistic-adaptive": ScratchMLPRegressor(
        solver="sgd",
        activation="logistic",
        learning_rate="adaptive",
        learning_rate_init=0.01,
        max_iter=MAX_ITER,
    ),
}

# The toolbox: every new solver, dropout, batch norm, class weights, new losses.
TOOLBOX_CONFIGS = {
    "clf-dropout": ScratchMLPClassifier(dropout=0.3, max_iter=MAX_ITER),
    "reg-dropout": ScratchMLPRegressor(dropout=0.3, max_iter=MAX_ITER),
    "clf-batch-norm": ScratchMLPClassifier(batch_norm=True, max_iter=MAX_ITER),
    "reg-batch-norm": ScratchMLPRegressor(batch_norm=True, max_iter=MAX_ITER),
    "clf-balanced": ScratchMLPClassifier(class_weight="balanced", max_iter=MAX_ITER),
    "clf-early-stopping-on-loss": ScratchMLPClassifier(
        early_stopping=True, scoring="loss", max_iter=MAX_ITER
    ),
    "clf-adagrad": ScratchMLPClassifier(
        solver="adagrad", learning_rate_init=0.05, max_iter=MAX_ITER
    ),
    "reg-adagrad": ScratchMLPRegressor(
        solver="adagrad", learning_rate_init=0.05, max_iter=MAX_ITER
    ),
    "clf-rmsprop": ScratchMLPClassifier(solver="rmsprop", max_iter=MAX_ITER),
    "reg-rmsprop": ScratchMLPRegressor(solver="rmsprop", max_iter=MAX_ITER),
    "clf-adamw": ScratchMLPClassifier(solver="adamw", alpha=0.01, max_iter=MAX_ITER),
    "reg-adamw": ScratchMLPRegressor(solver="adamw", alpha=0.01, max_iter=MAX_ITER),
    "clf-cg": ScratchMLPClassifier(solver="cg", max_iter=MAX_ITER),
    "reg-cg": ScratchMLPRegressor(solver="cg", max_iter=MAX_ITER),
    "reg-huber-gelu": ScratchMLPRegressor(
        loss="huber", activation="gelu", max_iter=MAX_ITER
    ),
    "clf-bn-dropout-sgd-cosine": ScratchMLPClassifier(
        batch_norm=True,
        dropout=0.2,
        solver="sgd",
        learning_rate="cosine",
        learning_rate_init=0.05,
        max_iter=MAX_ITER,
    ),
    "reg-bn-dropout-sgd-cosine": ScratchMLPRegressor(
        batch_norm=True,
        dropout=0.2,
        solver="sgd",
        learning_rate="cosine",
        learning_rate_init=0.01,
        max_iter=MAX_ITER,
    ),
}

DROPOUT_REASON = (
    "Random dropout masks are drawn per sample, so a sample of weight k and k "
    "repeated samples see different masks: the fits cannot be equal. sklearn marks "
    "the same checks for its stochastic SGD estimators."
)


def expected_failures(estimator):
    """Only dropout may fail, and only the two sample-weight-equivalence checks."""
    if not estimator.dropout:
        return {}
    return {
        "check_sample_weight_equivalence_on_dense_data": DROPOUT_REASON,
        "check_sample_weight_equivalence_on_sparse_data": DROPOUT_REASON,
    }


def _check_id(check):
    """The check's name, with the keyword arguments sklearn bound to it."""
    while not isinstance(check, partial) and hasattr(check, "__wrapped__"):
        check = check.__wrapped__
    if isinstance(check, partial):
        kwargs = ",".join(f"{k}={v}" for k, v in check.keywords.items())
        name = check.func.__name__
        return f"{name}({kwargs})" if kwargs else name
    return check.__name__


def _with_config_ids(configs):
    """``parametrize_with_checks`` over ``configs``, with ``<config>-<check>`` ids."""
    params, ids = [], []
    for config_id, estimator in configs.items():
        mark = parametrize_with_checks(
            [estimator], expected_failed_checks=expected_failures
        )
        argnames, argvalues = mark.args
        for estimator_check in argvalues:
            # sklearn yields plain (estimator, check) tuples, and a pytest.param
            # with an xfail mark for each expected failure.
            values = getattr(estimator_check, "values", estimator_check)
            params.append(estimator_check)
            ids.append(f"{config_id}-{_check_id(values[1])}")
    return pytest.mark.parametrize(argnames, params, ids=ids)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@_with_config_ids({**CONFIGS, **TOOLBOX_CONFIGS})
def test_sklearn_compatible_estimator(estimator, check, monkeypatch):
    # sklearn skips check_array_api_input (numpy namespace) unless this is set; the
    # check reads it when it runs, and the numpy namespace needs nothing more.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


def test_configs_cover_both_estimators_and_all_solvers():
    for kind in (ScratchMLPClassifier, ScratchMLPRegressor):
        ests = [est for est in CONFIGS.values() if type(est) is kind]
        assert {est.solver for est in ests} == {"adam", "sgd", "lbfgs"}
        assert any(est.early_stopping for est in ests)


def test_only_dropout_configs_expect_failures():
    n_expected = 0
    for estimator in [*CONFIGS.values(), *TOOLBOX_CONFIGS.values()]:
        _, argvalues = parametrize_with_checks(
            [estimator], expected_failed_checks=expected_failures
        ).args
        marked = [v for v in argvalues if getattr(v, "marks", ())]
        assert len(marked) == (2 if estimator.dropout else 0)
        n_expected += len(marked)
    assert n_expected == 8  # 2 checks x 4 dropout configurations
