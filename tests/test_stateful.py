"""Stateful tests: any sequence of calls leaves a sound model.

A hypothesis state machine (one for the classifier, one for the regressor)
drives an estimator through random sequences of fit, warm fit, partial_fit,
set_params (valid values), pickle and joblib round trips (memory-mapped
read-only too), hand-assigned ``coefs_`` and ``intercepts_`` (new values,
another dtype, another architecture), deleted or broken fitted attributes,
and bad calls (wrong feature count, NaN or inf in X or y, bad sample
weights, unseen classes, invalid parameters). After every step:

- a refused call raised ValueError or TypeError and left the model
  bit-identical, with the very same list and array objects in place (the
  user's references stay valid);
- a bad call (or a call on broken fitted attributes) was refused;
- a successful call left a model whose outputs are finite and of the right
  shape; a cold fit equals a fresh clone's fit, whatever came before;
  training grew ``loss_curve_`` by its epochs (or started it afresh) and
  moved the weights;
- a round trip keeps the model as the user sees it; trained on, the loaded
  model ends bit-identical to the original trained alike, and never writes
  to the file it was loaded from;
- after a round trip or an assignment, training succeeds exactly when it
  does on the model before, unless either diverges (assigned weights of any
  dtype train);
- every warm fit and partial_fit ends exactly as it does on a pickled copy
  taken just before.

Hypothesis runs derandomized, so CI sees the same sequences every time; the
machines, steps and outcomes are counted and printed at teardown.
"""

import copy
import operator
import pickle
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import joblib
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sklearn.base import clone
from sklearn.utils.multiclass import unique_labels

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknn_scratch._estimators import TRANSIENT_ATTRIBUTE_PREFIXES, VIEW_ATTRIBUTES
from sknn_scratch.nn.training import DivergenceError

from ._state import assert_same_state, freeze, output

SETTINGS = settings(
    max_examples=80,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    # No "explain" phase: it imports libcst, which warns on import.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)

EXAMPLES = Counter()
STEPS = Counter()
OUTCOMES = Counter()

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    yield
    print(
        f"\n[test_stateful] machines run: {dict(EXAMPLES)}; steps: "
        f"{sum(STEPS.values())} {dict(STEPS)}; "
        f"outcomes {dict(sorted(OUTCOMES.items()))}"
    )


# ------------------------------------------------------------------------ data

N_SAMPLES = 48
_RNG = np.random.RandomState(0)
X = _RNG.normal(size=(N_SAMPLES, 3))
SAMPLE_WEIGHT = _RNG.uniform(0.5, 2.0, size=N_SAMPLES)
_SIGNAL = np.abs(X @ [1.0, -0.5, 0.25])
# Both machines know targets by these names; non-negative for loss="poisson".
TARGETS = {
    ScratchMLPClassifier: {
        "main": _RNG.randint(3, size=N_SAMPLES),
        "other": _RNG.randint(2, size=N_SAMPLES),
        "2-D": _RNG.randint(2, size=(N_SAMPLES, 2)),
    },
    ScratchMLPRegressor: {
        "main": _SIGNAL + 0.1,
        "other": 10 * X[:, 0] ** 2,
        "2-D": np.column_stack([_SIGNAL, X[:, 1] ** 2]),
    },
}
TARGET_NAMES = st.sampled_from(["main", "other", "2-D"])
X_DTYPES = st.sampled_from(["float64", "float32"])
ROWS = st.sampled_from([(0, N_SAMPLES), (0, 24), (24, N_SAMPLES)])

BASE = dict(
    hidden_layer_sizes=(4,),
    max_iter=3,
    learning_rate_init=0.01,
    validation_fraction=0.25,  # 12 samples: enough to score early stopping
    random_state=0,
)

# Hypothesis draws the first entries of a table most often: the stateful
# cases lead. A rule of their own: switching solvers is where state leaks.
SOLVERS = st.sampled_from(["lbfgs", "sgd", "adam", "adamw", "adagrad", "rmsprop"])
VALID_PARAMS = [
    ("hidden_layer_sizes", (4,)),
    ("hidden_layer_sizes", (3, 2)),
    ("hidden_layer_sizes", 5),
    ("hidden_layer_sizes", (np.int64(3),)),
    ("batch_norm", True),
    ("batch_norm", False),
    ("dropout", 0.0),
    ("dropout", 0.25),
    ("early_stopping", True),
    ("early_stopping", False),
    ("max_iter", 2),
    ("max_iter", 5),
    ("batch_size", 16),
    ("batch_size", "auto"),
    ("n_iter_no_change", 1),  # stops, or cuts an adaptive rate, within max_iter
    ("n_iter_no_change", 10),
    ("learning_rate", "adaptive"),
    ("learning_rate", "constant"),
]
BAD_PARAMS = [
    ("learning_rate_init", 0.0),  # read once, when the optimizer is built
    ("hidden_layer_sizes", (0,)),
    ("hidden_layer_sizes", (5.7,)),
    ("hidden_layer_sizes", ("10",)),
    ("hidden_layer_sizes", (3, -1)),
    ("hidden_layer_sizes", (None,)),
    ("dropout", 1.5),
    ("dropout", -0.1),
    ("dropout", 1.0),
    ("dropout", np.nan),
    ("max_iter", 0),
    ("alpha", -1.0),
    ("batch_size", 0),
    ("solver", "newton"),
]
BAD_DATA = [
    "too few features",
    "too many features",
    "NaN in X",
    "inf in X",
    "NaN in y",
    "inf in y",
    "negative sample_weight",
    "NaN sample_weight",
    "zero sample_weight",
    "short sample_weight",
]
FEATURE_DEFECTS = ("too few features", "too many features")
X_DEFECTS = (*FEATURE_DEFECTS, "NaN in X", "inf in X")
TRAINING = ["fit", "warm fit", "partial_fit"]
METHODS = st.sampled_from([*TRAINING, "predict"])
# Assigned weights of any of these dtypes are converted to X's and train.
WEIGHT_DTYPES = st.sampled_from([np.float16, np.float32, np.float64, np.int64])
# After a round trip or an assignment: train it and a twin, or not.
THEN = st.sampled_from([None, "partial_fit", "warm fit"])
BROKEN = [
    "coefs_ = None",
    "intercepts_ = None",
    "coefs_ truncated",
    "coefs_ not chaining",
    "intercepts_ too long",
]
VIEWS = VIEW_ATTRIBUTES
CURVES = ("loss_curve_", "validation_scores_", "validation_loss_curve_")


def pick(table):
    """Draw from the machine's own ``table`` (the classifier's or the regressor's)."""
    return st.runner().flatmap(lambda machine: st.sampled_from(getattr(machine, table)))


# ------------------------------------------------------------- state images


def image(est):
    """Every fitted attribute and parameter of ``est``, bit-exact, and its output."""
    params = est.get_params(deep=False)
    state = {
        k: freeze(v)
        for k, v in vars(est).items()
        if k not in params and not k.startswith(TRANSIENT_ATTRIBUTE_PREFIXES)
    }
    state["<params>"] = freeze(params)
    try:
        state["<output>"] = freeze(output(est, X))
    except Exception as error:  # unfitted, or a fitted attribute deleted
        state["<output>"] = ("raises", type(error).__name__)
    return state


def held_objects(est):
    """The list and array objects a user may hold references to."""
    state = vars(est)
    held = {name: (state[name], None) for name in CURVES if name in state}
    for name in VIEWS:
        value = state.get(name)
        held[name] = (value, list(value) if isinstance(value, list) else None)
    return held


def assert_same_objects(est, held):
    for name, (value, items) in held.items():
        now = vars(est).get(name)
        assert now is value, f"{name} was replaced by another object"
        if items is not None:
            same = len(now) == len(items) and all(map(operator.is_, now, items))
            assert same, f"an array of {name} was replaced by another object"


def weights(est):
    return [np.array(a, dtype=np.float64) for a in est.coefs_ + est.intercepts_]


def assert_weights_moved(before, est):
    after = weights(est)
    assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True)), (
        "training succeeded but left every weight unchanged"
    )


def assert_like_fresh_fit(est, fresh):
    """A cold fit forgets the past: every attribute a fresh fit sets is equal."""
    mine, theirs = image(est), image(fresh)
    for key, value in theirs.items():
        assert mine.get(key) == value, f"{key} differs from a fresh clone's fit"


# Counters derived from the weights, which a load may bring up to date with
# hand-assigned ones.
DERIVED = {
    "n_layers_": lambda est: len(est.coefs_) + 1,
    "n_outputs_": lambda est: est.coefs_[-1].shape[1],
}


def assert_round_trip(loaded, est):
    """The loaded model is the model as the user sees it.

    Private state is judged by training on: see ``then_train``.
    """
    mine, theirs = image(est), image(loaded)
    public = {k for k in mine.keys() | theirs.keys() if not k.startswith("_")}
    for key in public - set(VIEWS) - set(DERIVED):
        assert theirs.get(key) == mine.get(key), f"{key} changed in the round trip"
    for key, derive in DERIVED.items():
        if key in public:
            allowed = (getattr(est, key), derive(est))
            assert getattr(loaded, key) in allowed, f"{key} changed in the round trip"
    for key in public & set(VIEWS):
        old, new = getattr(est, key), getattr(loaded, key)
        assert len(old) == len(new), f"{key} changed in the round trip"
        for a, b in zip(old, new, strict=True):
            same = a.shape == b.shape and np.array_equal(a, b)
            assert same, f"{key} changed in the round trip"


def check_curve(est, before, n_new):
    """``loss_curve_`` is ``before`` (None: a fresh start) plus ``n_new`` losses."""
    curve = est.loss_curve_
    start = [] if before is None else before
    assert len(curve) == len(start) + n_new and curve[: len(start)] == start, (
        f"loss_curve_ went from {len(start)} to {len(curve)} entries, "
        f"expected {n_new} more"
    )
    assert np.isfinite(curve[len(start) :]).all()


# ---------------------------------------------------------------- the calls


def warm_fit(est, X, y, sample_weight=None):
    est.set_params(warm_start=True)
    try:
        return est.fit(X, y, sample_weight=sample_weight)
    finally:
        est.set_params(warm_start=False)


def train(est, how, X, y, sample_weight=None, options=None):
    if how == "partial_fit":
        return est.partial_fit(X, y, sample_weight=sample_weight, **(options or {}))
    return warm_fit(est, X, y, sample_weight)


def refusal(call):
    """The ValueError or TypeError ``call`` raised, or None."""
    try:
        call()
    except (ValueError, TypeError) as error:
        return error
    return None


def broken(est, breakage):
    """The attribute ``breakage`` names, and the broken value it describes."""
    name = breakage.split()[0]
    value = getattr(est, name)
    if breakage.endswith("None"):
        return name, None
    if breakage.endswith("truncated"):
        return name, value[:-1]
    first = value[0]
    wider = first.shape[:-1] + (first.shape[-1] + 1,)
    return name, [np.zeros(wider, first.dtype), *value[1:]]


def fresh_fit(est, X, y, sample_weight):
    """A clone of ``est`` fitted to the data, or None if it refuses."""
    try:
        return clone(est).fit(X, y, sample_weight=sample_weight)
    except (ValueError, TypeError):
        return None


def redraw(arrays, rng):
    """New arrays of the same shapes and dtypes, with other values."""
    return [rng.uniform(-1, 1, a.shape).astype(a.dtype) for a in arrays]


def minibatch(est):
    return est.solver not in ("lbfgs", "cg")


def with_defect(X, y, defect):
    """Copies of ``X``, ``y`` and sample weights with one ``defect``."""
    X, y, sw = X.copy(), y.astype(float), SAMPLE_WEIGHT.copy()
    if defect in FEATURE_DEFECTS:
        X = X[:, :2] if defect == "too few features" else np.hstack([X, X[:, :1]])
    fill = np.nan if "NaN" in defect else np.inf
    if defect.endswith(" in X"):
        X[3, 1] = fill
    elif defect.endswith(" in y"):
        y[3] = fill
    elif defect == "unseen class":
        y[:3] = 7
    elif defect == "short sample_weight":
        sw = sw[:-1]
    elif "sample_weight" in defect:
        sw = np.zeros_like(sw) if defect.startswith("zero") else sw
        sw[5] = -1.0 if defect.startswith("negative") else sw[5]
        sw[5] = np.nan if defect.startswith("NaN") else sw[5]
    return X, y, sw


# -------------------------------------------------------------- the machine


class _ModelMachine(RuleBasedStateMachine):
    """The common rules; subclasses name the estimator and their own tables."""

    estimator = None
    valid_params = VALID_PARAMS
    bad_params = BAD_PARAMS
    bad_data = BAD_DATA
    deletable = ["coefs_", "intercepts_", "loss_curve_", "n_iter_", "n_layers_"]
    round_trips = ["pickle", "joblib", "joblib mmap r", "joblib mmap c"]

    def __init__(self):
        super().__init__()
        EXAMPLES[type(self).__name__] += 1
        self.est = self.estimator(**BASE)
        self.targets = TARGETS[self.estimator]
        self.fitted_to = None  # the target's name; None: not fitted
        self.folder = Path(tempfile.mkdtemp(prefix="sknn-stateful-"))
        self.dumps = 0
        self.refused = None  # the error of the last refused call

    def teardown(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def fitted(self):
        return self.fitted_to is not None

    def data(self, y_name, dtype, weighted, rows=(0, N_SAMPLES)):
        part = slice(*rows)
        sw = SAMPLE_WEIGHT[part] if weighted else None
        return X[part].astype(dtype), self.targets[y_name][part], sw

    def partial_fit_options(self, y_name, with_classes):
        return {}

    def attempt(self, step, call, must_fail=False):
        """Run ``call``: a refusal is a ValueError/TypeError that changed nothing."""
        STEPS[step] += 1
        before, held = image(self.est), held_objects(self.est)
        self.refused = None
        try:
            call()
        except (ValueError, TypeError) as error:
            self.refused = error
            OUTCOMES[f"{step}: refused"] += 1
            assert_same_state(image(self.est), before)
            assert_same_objects(self.est, held)
            return False
        assert not must_fail, f"{step} was accepted"
        OUTCOMES[f"{step}: done"] += 1
        return True

    @initialize(solver=SOLVERS, early_stopping=st.booleans(), batch_norm=st.booleans())
    def configure(self, solver, early_stopping, batch_norm):
        self.est.set_params(
            solver=solver, early_stopping=early_stopping, batch_norm=batch_norm
        )

    # ------------------------------------------------------------- training

    @rule(y_name=TARGET_NAMES, dtype=X_DTYPES, weighted=st.booleans())
    def fit(self, y_name, dtype, weighted):
        if self.refit("fit", y_name, dtype, weighted) and minibatch(self.est):
            check_curve(self.est, None, self.est.n_iter_)

    def trained(self, how, y_name, dtype, weighted, rows=(0, N_SAMPLES), classes=True):
        """Run a warm fit or a partial_fit; check the curve and the weights moved."""
        X, y, sw = self.data(y_name, dtype, weighted, rows)
        options = self.partial_fit_options(y_name, classes)
        was_fitted = self.fitted()
        curve = vars(self.est).get("loss_curve_") if was_fitted else None
        curve = None if curve is None else list(curve)
        before = weights(self.est) if was_fitted else None
        reloaded = pickle.loads(pickle.dumps(self.est))
        done = self.attempt(how, lambda: train(self.est, how, X, y, sw, options))
        # persistence: a copy saved just before trains exactly alike
        reloaded_error = refusal(lambda: train(reloaded, how, X, y, sw, options))
        assert done == (reloaded_error is None), f"{how} ended otherwise on a copy"
        if not done:
            return False
        assert_same_state(image(self.est), image(reloaded))
        self.fitted_to = self.fitted_to or y_name
        if minibatch(self.est):
            check_curve(
                self.est, curve, 1 if how == "partial_fit" else self.est.n_iter_
            )
            # early stopping may restore the weights it started from
            if was_fitted and (how == "partial_fit" or not self.est.early_stopping):
                assert_weights_moved(before, self.est)
        return True

    @rule(y_name=TARGET_NAMES, dtype=X_DTYPES, weighted=st.booleans())
    def warm_fit(self, y_name, dtype, weighted):
        self.trained("warm fit", y_name, dtype, weighted)

    @precondition(lambda self: hasattr(self.est, "partial_fit"))
    @rule(
        y_name=TARGET_NAMES,
        dtype=X_DTYPES,
        rows=ROWS,
        weighted=st.booleans(),
        classes=st.booleans(),
    )
    def partial_fit(self, y_name, dtype, rows, weighted, classes):
        self.trained("partial_fit", y_name, dtype, weighted, rows, classes)

    def then_train(self, twin, how):
        """Train the model and ``twin`` alike: both succeed or both are refused."""
        if how is None or not self.can_call(how):
            return False
        y_name = self.fitted_to or "main"
        X, y, _ = self.data(y_name, "float64", weighted=False)
        options = self.partial_fit_options(y_name, not self.fitted())
        twin_error = refusal(lambda: train(twin, how, X, y, None, options))
        done = self.trained(how, y_name, "float64", False, classes=not self.fitted())
        # either weights may diverge where the others do not
        diverged = (twin_error, self.refused)
        if not any(isinstance(e, DivergenceError) for e in diverged):
            assert done == (twin_error is None), f"{how} ended otherwise than before"
        return done

    @rule(solver=SOLVERS)
    def set_solver(self, solver):
        STEPS["set_params"] += 1
        self.est.set_params(solver=solver)

    @rule(change=pick("valid_params"))
    def set_param(self, change):
        STEPS["set_params"] += 1
        name, value = change
        self.est.set_params(**{name: copy.deepcopy(value)})

    # --------------------------------------------------------- round trips

    def reload(self, how):
        """The model after the round trip ``how``, and the file it was loaded from."""
        if how == "pickle":
            return pickle.loads(pickle.dumps(self.est)), None
        # A new file each time: rewriting a mapped file would pull the data
        # from under the earlier memory maps.
        path = self.folder / f"model{self.dumps}.joblib"
        self.dumps += 1
        joblib.dump(self.est, path)
        return joblib.load(path, mmap_mode=how[-1] if "mmap" in how else None), path

    @rule(how=pick("round_trips"), then=THEN)
    def round_trip(self, how, then):
        STEPS[how] += 1
        original = self.est
        self.est, path = self.reload(how)
        assert_round_trip(self.est, original)
        saved = None if path is None else path.read_bytes()
        if self.then_train(original, then):
            assert_same_state(image(self.est), image(original))
        if path is not None:
            assert path.read_bytes() == saved, "training wrote to the loaded file"

    # ------------------------------------------------ hand-assigned weights

    @precondition(fitted)
    @rule(dtype=WEIGHT_DTYPES, then=THEN)
    def retype_weights(self, dtype, then):
        STEPS["retype weights"] += 1
        twin = copy.deepcopy(self.est)
        self.est.coefs_ = [a.astype(dtype) for a in self.est.coefs_]
        self.est.intercepts_ = [a.astype(dtype) for a in self.est.intercepts_]
        self.then_train(twin, then)

    @precondition(fitted)
    @rule(seed=st.integers(0, 2**16), then=THEN)
    def reassign_weights(self, seed, then):
        STEPS["reassign weights"] += 1
        twin = copy.deepcopy(self.est)
        rng = np.random.RandomState(seed)
        self.est.coefs_ = redraw(self.est.coefs_, rng)
        self.est.intercepts_ = redraw(self.est.intercepts_, rng)
        self.then_train(twin, then)

    @precondition(fitted)
    @rule(
        hidden=st.lists(st.integers(1, 5), min_size=1, max_size=2),
        dtype=WEIGHT_DTYPES,
        then=THEN,
    )
    def assign_architecture(self, hidden, dtype, then):
        """New layer sizes: every call but a fresh fit refuses them, naming the
        attribute; the same sizes are a reassignment, which trains."""
        STEPS["assign architecture"] += 1
        twin = copy.deepcopy(self.est)
        kept = {name: getattr(self.est, name) for name in VIEWS}
        self.assign_layers(hidden, dtype)
        if [a.shape for a in self.est.coefs_] == [a.shape for a in kept["coefs_"]]:
            self.then_train(twin, then)
            return
        self.est.set_params(hidden_layer_sizes=tuple(hidden))
        X_, y, _ = self.data(self.fitted_to, "float64", weighted=False)
        calls = {"predict": lambda est: est.predict(X_)}
        if then is not None and self.can_call(then):
            calls[then] = lambda est: train(est, then, X_, y, None, {})
        for step, call in calls.items():
            self.refused_alike(f"{step} with another architecture", call, twin)
        for name, value in kept.items():  # the user puts the fitted arrays back
            setattr(self.est, name, value)
        self.est.set_params(hidden_layer_sizes=twin.hidden_layer_sizes)

    def refused_alike(self, step, call, twin):
        """``call(est)`` is refused for the assigned shapes, or the model before
        the assignment (``twin``) refuses it too."""
        self.attempt(step, lambda: call(self.est), must_fail=True)
        if "must have the fitted shapes" not in str(self.refused):
            assert refusal(lambda: call(copy.deepcopy(twin))) is not None

    def assign_layers(self, hidden, dtype):
        est = self.est
        units = [est.coefs_[0].shape[0], *hidden, est.coefs_[-1].shape[1]]
        rng = np.random.RandomState(len(hidden))
        est.coefs_ = [
            rng.uniform(-1, 1, (a, b)).astype(dtype)
            for a, b in zip(units[:-1], units[1:], strict=True)
        ]
        est.intercepts_ = [rng.uniform(-1, 1, b).astype(dtype) for b in units[1:]]
        if len(est.gammas_):
            est.gammas_ = [np.ones(h, dtype) for h in hidden]
            est.betas_ = [np.zeros(h, dtype) for h in hidden]
            est.running_means_ = [np.zeros(h, dtype) for h in hidden]
            est.running_vars_ = [np.ones(h, dtype) for h in hidden]

    def refit(self, step, y_name, dtype, weighted=False):
        """A fresh fit never reads the old model: it ends as a clone's fit does."""
        X, y, sw = self.data(y_name, dtype, weighted)
        fresh = fresh_fit(self.est, X, y, sw)
        done = self.attempt(step, lambda: self.est.fit(X, y, sample_weight=sw))
        assert done == (fresh is not None), "a fresh clone's fit ended otherwise"
        if done:
            self.fitted_to = y_name
            assert_like_fresh_fit(self.est, fresh)
        return done

    @precondition(fitted)
    @rule(name=pick("deletable"), y_name=TARGET_NAMES, dtype=X_DTYPES)
    def delete_then_fit(self, name, y_name, dtype):
        if name not in vars(self.est):
            return
        kept = vars(self.est).pop(name)
        if not self.refit(f"fit after del {name}", y_name, dtype):
            setattr(self.est, name, kept)

    @precondition(fitted)
    @rule(breakage=st.sampled_from(BROKEN), method=METHODS)
    def break_then_call(self, breakage, method):
        """Broken fitted attributes are refused, except by a fresh fit."""
        if not self.can_call(method):
            return
        name, value = broken(self.est, breakage)
        kept = getattr(self.est, name)
        setattr(self.est, name, value)
        try:
            if method == "fit":
                self.refit(f"fit after {breakage}", self.fitted_to, "float64")
                return
            X, y, _ = self.data(self.fitted_to, "float64", weighted=False)
            call = self.bad_call(method, X, y, None)
            self.attempt(f"{method} with {breakage}", call, must_fail=True)
        finally:
            if vars(self.est).get(name) is value:
                setattr(self.est, name, kept)

    # ------------------------------------------------------------ bad calls

    def bad_call(self, method, X, y, sw):
        est = self.est
        if method == "fit":
            return lambda: est.fit(X, y, sample_weight=sw)
        if method == "warm fit":
            return lambda: warm_fit(est, X, y, sw)
        if method == "predict":
            return lambda: output(est, X)
        options = self.partial_fit_options(self.fitted_to or "main", not self.fitted())
        return lambda: est.partial_fit(X, y, sample_weight=sw, **options)

    def can_call(self, method):
        return method != "partial_fit" or hasattr(self.est, "partial_fit")

    def applies(self, defect, method):
        """Whether ``defect`` makes ``method`` a bad call in the current state."""
        if not self.can_call(method):
            return False
        if method == "predict":
            return defect in X_DEFECTS or not self.fitted()
        if defect in FEATURE_DEFECTS or defect == "unseen class":
            return self.fitted() and method != "fit"
        return True

    @rule(defect=pick("bad_data"), method=METHODS)
    def bad_data_call(self, defect, method):
        if not self.applies(defect, method):
            return
        y = self.targets[self.fitted_to or "main"]
        X_bad, y_bad, sw = with_defect(X, y, defect)
        if "sample_weight" not in defect:
            sw = None
        call = self.bad_call(method, X_bad, y_bad, sw)
        self.attempt(f"{method} with {defect}", call, must_fail=True)

    @rule(change=pick("bad_params"), method=st.sampled_from(TRAINING))
    def bad_param_call(self, change, method):
        name, value = change
        # As in sklearn, only the first partial_fit validates the parameters;
        # a later one may go on with them, but must do no lasting harm.
        must_fail = method != "partial_fit" or not self.fitted()
        old = self.est.get_params()[name]
        self.est.set_params(**{name: copy.deepcopy(value)})
        accepted = False
        try:
            if self.can_call(method):
                y = self.targets[self.fitted_to or "main"]
                call = self.bad_call(method, X, y, None)
                step = f"{method} with {name}={value!r}"
                accepted = self.attempt(step, call, must_fail)
        finally:
            self.est.set_params(**{name: old})
        if accepted and self.can_call("partial_fit"):
            self.trained("partial_fit", self.fitted_to, "float64", weighted=False)

    # ----------------------------------------------------------- invariant

    @invariant()
    def outputs_are_finite(self):
        if self.fitted():
            self.check_outputs(self.targets[self.fitted_to])


class ClassifierMachine(_ModelMachine):
    estimator = ScratchMLPClassifier
    valid_params = VALID_PARAMS + [
        ("class_weight", None),
        ("class_weight", "balanced"),
        ("class_weight", {0: 2.0}),
        ("class_weight", {1: 0.5, 2: 3.0}),
    ]
    bad_params = BAD_PARAMS + [
        ("class_weight", {0: -1}),
        ("class_weight", {0: np.nan}),
        ("class_weight", {0: np.inf}),
        ("class_weight", {9: 1.0}),
        ("class_weight", {0: "heavy"}),
    ]
    bad_data = BAD_DATA + ["unseen class"]
    deletable = _ModelMachine.deletable + ["classes_"]

    def partial_fit_options(self, y_name, with_classes):
        return {"classes": unique_labels(self.targets[y_name])} if with_classes else {}

    def check_outputs(self, y):
        proba = self.est.predict_proba(X)
        assert np.isfinite(proba).all() and ((proba >= 0) & (proba <= 1)).all()
        if y.ndim == 1:
            assert proba.shape == (len(X), max(len(np.unique(y)), 2))
            np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
        else:
            assert proba.shape == y.shape
        assert self.est.predict(X).shape == y.shape


class RegressorMachine(_ModelMachine):
    estimator = ScratchMLPRegressor
    valid_params = VALID_PARAMS + [
        ("loss", "squared_error"),
        ("loss", "poisson"),
        ("loss", "huber"),
    ]
    bad_params = BAD_PARAMS + [("loss", "hinge"), ("huber_delta", 0.0)]

    def check_outputs(self, y):
        y_pred = self.est.predict(X)
        assert y_pred.shape == y.shape and np.isfinite(y_pred).all()


@pytest.mark.parametrize("machine", [ClassifierMachine, RegressorMachine])
def test_any_sequence_of_calls_leaves_a_sound_model(machine):
    run_state_machine_as_test(machine, settings=SETTINGS)
