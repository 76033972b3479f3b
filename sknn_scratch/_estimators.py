"""The scikit-learn face of sknn_scratch: ScratchMLPClassifier and ScratchMLPRegressor.

Everything sklearn-specific lives here: parameter validation, ``validate_data``,
label binarizing, tags, warnings and fitted attributes. The numerical work is
delegated to :mod:`sknn_scratch.nn`; the binding of the flat vectors to the
fitted arrays to :mod:`sknn_scratch._binding`; and each epoch's validation,
records and callbacks to :mod:`sknn_scratch._epochs`.
"""

import copy
import inspect
import warnings
from numbers import Integral, Real
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, get_scorer, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._binding import bind
from ._callbacks import CallbackSupportMixin, FitReporter
from ._epochs import EpochRecorder, validation_split
from ._inputs import (
    check_class_weight_values,
    dropout_rates,
    hidden_sizes,
    plain,
    validate_sample_weight,
)
from ._version import __version__
from .exceptions import InconsistentVersionWarning
from .nn._errors import DIVERGENCE_ADVICE, DivergenceError, quiet_numerics, warn
from .nn.activations import ACTIVATIONS, ALIASES, get_output_activation
from .nn.initializers import INITIALIZERS
from .nn.losses import LOSSES, get_loss
from .nn.network import Network, mlp_attributes, mlp_layers, upgrade_legacy_state
from .nn.optimizers import OPTIMIZERS
from .nn.schedules import SCHEDULES, get_schedule
from .nn.training import (
    FULL_BATCH_METHODS,
    MinibatchTrainer,
    StoppingMonitor,
    fit_full_batch,
    fit_loop,
)

Self = TypeVar("Self", bound="_BaseScratchMLP")

TRANSIENT_ATTRIBUTE_PREFIXES = (
    "_skl_callbacks",
    "_callback",
    "_parent_callback",
    "_network_cache",
)
"""Attributes that fit must not back up: sklearn's callback wiring, caches."""

VIEW_ATTRIBUTES = mlp_attributes()
"""Fitted attributes that are views into the flat vectors ``_params``/``_stats``,
as the layers of :func:`~sknn_scratch.nn.network.mlp_layers` name them."""

REGRESSION_LOSSES = [name for name, loss in LOSSES.items() if loss.task == "regression"]

RENAMED = {
    "nesterov": "nesterovs_momentum",
    "rho": "beta_2",
    "weight_decay": "alpha",
    "delta": "huber_delta",
}
"""The estimator parameter behind each optimizer, schedule and loss
hyperparameter whose name differs from it."""


class _BaseScratchMLP(CallbackSupportMixin, BaseEstimator):
    """Shared machinery of the two estimators. Not for direct use."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS) | set(ALIASES))],
        "solver": [StrOptions(set(OPTIMIZERS) | set(FULL_BATCH_METHODS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions(set(SCHEDULES))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "batch_norm": ["boolean"],
        "max_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        "weight_init": [StrOptions(set(INITIALIZERS))],
        "scoring": [str, callable, None],
    }

    # ------------------------------------------------------------------ fit flow

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Self:
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in
            regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights; ``None`` weighs every sample by one.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        """Fit, or leave the estimator exactly as it was if anything fails.

        "Exactly" includes identity: the arrays and lists a user holds
        (``coefs_[0]``, ``loss_curve_``, ...) stay the model's objects.
        """
        backup = self._save_fitted_state()
        try:
            if incremental:
                self._check_partial_fit_first_call(y, classes)
            self._fit_unprotected(X, y, sample_weight, incremental)
        except BaseException:  # a second Ctrl-C aborts: restore that too
            self._load_fitted_state(backup)
            raise
        return self

    def _check_partial_fit_first_call(self, y, classes):
        """Set up what the first partial_fit call needs (the classifier's classes)."""

    def _check_solver(self):
        """Whether ``partial_fit`` applies; an AttributeError says why not."""
        if self.solver in FULL_BATCH_METHODS:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        if getattr(self, "class_weight", None) == "balanced":
            raise AttributeError(
                "partial_fit is not available with class_weight='balanced': one "
                "call's batch does not give the class frequencies. Compute the "
                "weights on all the data with sklearn.utils.class_weight."
                "compute_class_weight('balanced', classes=classes, y=y) and pass "
                "them as a dict."
            )
        return True

    def _fit_unprotected(self, X, y, sample_weight, incremental):
        # sklearn's rule: a fresh fit never reads the previous model, and a
        # model whose weights were deleted starts afresh
        first_pass = not (self.warm_start or incremental) or not self._is_fitted()
        if incremental:
            # sklearn validates a fitted model's partial_fit no more, but its
            # parameters may build the optimizer and schedule now, or train
            self._validate_params()
        self._check_options()
        X, Y = self._validate_input(X, y, incremental, reset=first_pass)
        sample_weight, l2 = self._training_weights(X, Y, sample_weight)
        rng = check_random_state(self.random_state)
        network = self._network(X.shape[1], Y.shape[1])
        if first_pass:
            self._initialize(network, rng, X.dtype)
        else:
            self._continue_with(network, X.dtype)
        reporter = self._reporter(X, y, sample_weight)
        if self.solver in FULL_BATCH_METHODS:
            self._fit_full_batch(network, X, Y, sample_weight, l2, reporter)
        else:
            self._fit_minibatch(
                network, (X, Y, sample_weight), l2, rng, incremental, reporter
            )
        reporter.end_fit()
        self._check_finite()

    def _reporter(self, X, y, sample_weight):
        """sklearn's callbacks: one subtask per epoch or solver iteration."""
        full_batch = self.solver in FULL_BATCH_METHODS
        return FitReporter(
            self, X, y, sample_weight,
            max_subtasks=self.max_iter + 1 if full_batch else self.max_iter,
            task_name="iteration" if full_batch else "epoch",
        )  # fmt: skip

    def _check_finite(self):
        if not (np.isfinite(self._params).all() and np.isfinite(self._stats).all()):
            raise DivergenceError(
                "The solver produced non-finite weights or batch-norm statistics. "
                f"{DIVERGENCE_ADVICE}"
            )

    def _training_weights(self, X, Y, sample_weight):
        """Return the sample weights in X's dtype and the L2 strength to use.

        The weights are checked in float64 and the class weights folded in.
        Then all are scaled by the power of two that brings the largest into
        [1, 2), and the L2 strength with them: the objective divides both by
        the weight sum, so it is unchanged (exactly: powers of two do not
        round), and float32 X fits the model float64 X does, whatever the
        weights' scale.
        """
        weights = validate_sample_weight(sample_weight, X.shape[0])
        weights = self._apply_class_weight(Y, weights)
        rows = X.shape[0] if weights is None else np.count_nonzero(weights)
        self._check_batch_norm_rows(rows)
        if weights is None:
            return None, self._l2
        exponent = 1 - int(np.frexp(weights.max())[1])
        weights = np.ldexp(weights, exponent)
        with quiet_numerics():
            l2 = float(np.ldexp(self._l2, exponent))
        # the L2 gradient is (l2 / batch weight sum) * W, a batch being at
        # worst one sample of weight 1/n of the sum
        if l2 * X.shape[0] / weights.sum() > np.finfo(X.dtype).max * 1e-6:
            raise ValueError(
                f"alpha={self.alpha} divided by the sum of sample_weight overflows "
                f"{X.dtype}: the L2 penalty would swamp the data. Use larger "
                "sample weights, a smaller alpha, or float64 X."
            )
        return weights.astype(X.dtype, copy=False), l2

    def _check_batch_norm_rows(self, rows):
        """Refuse batch norm over fewer than two samples with a positive weight."""
        if self.batch_norm and rows < 2:
            raise ValueError(
                "batch_norm=True needs at least 2 samples with a positive weight: "
                "one sample has no variance to normalize by."
            )

    def _check_options(self):
        """Refuse option combinations that cannot work, naming the parameters."""
        if isinstance(self.scoring, str) and self.scoring != "loss":
            self._get_scorer()  # an unknown name is refused now, not mid-fit
        hidden_sizes(self.hidden_layer_sizes)
        rates = dropout_rates(self.dropout)
        minibatch = self.solver not in FULL_BATCH_METHODS
        if self.batch_norm and minibatch and self.batch_size == 1:
            raise ValueError(
                "batch_norm=True needs batch_size >= 2: a batch of one row has no "
                "variance to normalize by."
            )
        if not minibatch and np.any(rates > 0):
            raise ValueError(
                f"dropout cannot be used with solver={self.solver!r}: random "
                "masks make the objective random, which breaks the line search."
                " Use a minibatch solver (sgd, adam, ...) or dropout=0."
            )
        if not minibatch and self.max_grad_norm is not None:
            raise ValueError(
                f"max_grad_norm cannot be used with solver={self.solver!r}: "
                "the line search sets the step length. Use a minibatch solver."
            )

    def _apply_class_weight(self, Y, sample_weight):
        """Fold class weights into the sample weights (classifier only)."""
        return sample_weight

    def _network(self, n_features, n_outputs):
        """The network the parameters describe: :func:`mlp_layers` and the loss."""
        rates = dropout_rates(self.dropout)
        layers = mlp_layers(
            [n_features, *hidden_sizes(self.hidden_layer_sizes), n_outputs],
            self.activation,
            initializer=self.weight_init,
            batch_norm=self.batch_norm,
            dropout=rates[0] if np.ndim(self.dropout) == 0 else rates,
        )
        return Network(layers, self._loss())

    def _loss(self):
        loss = get_loss(self._loss_name)
        return loss.with_options(**self._hyperparameters(loss.options))

    def _hyperparameters(self, names):
        """The values of the estimator parameters behind hyperparameter names."""
        return {name: getattr(self, RENAMED.get(name, name)) for name in names}

    @property
    def _l2(self):
        """The L2 strength in the loss: none when the optimizer decays weights."""
        optimizer = OPTIMIZERS.get(self.solver)
        return 0.0 if optimizer and optimizer.decoupled_decay else self.alpha

    def _initialize(self, network, rng, dtype):
        """Set the fitted attributes of a fresh model and draw its weights."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = network.layers[-1].n_out
        self.n_layers_ = len(hidden_sizes(self.hidden_layer_sizes)) + 2
        self.out_activation_ = network.output_activation.name
        self._architecture = network.spec
        params, stats = network.init_params(rng, dtype), network.init_stats(dtype)
        bind(self, self._prediction_network(), VIEW_ATTRIBUTES, params, stats)
        for name in ("_optimizer", "_schedule", "_best_params", "_best_stats"):
            self.__dict__.pop(name, None)
        if self.solver not in FULL_BATCH_METHODS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            self.validation_scores_ = [] if self.early_stopping else None
            self.validation_loss_curve_ = [] if self.early_stopping else None
            self.best_validation_score_ = -np.inf if self.early_stopping else None
            self.best_loss_ = None if self.early_stopping else np.inf

    def _prepare_records(self, early_stopping):
        """Start the minibatch records a continued fit finds missing.

        A model fitted by a full-batch solver has no ``loss_curve_``, and one
        fitted without early stopping no validation records; ``warm_start``
        or ``partial_fit`` after ``set_params`` must still work.
        """
        state = self.__dict__
        if "loss_curve_" not in state:
            self.loss_curve_, self._no_improvement_count = [], 0
        for name in ("validation_scores_", "validation_loss_curve_"):
            if state.get(name) is None:
                state[name] = [] if early_stopping else None
        if state.get("best_validation_score_") is None:
            self.best_validation_score_ = -np.inf if early_stopping else None
        if state.get("best_loss_") is None:
            self.best_loss_ = None if early_stopping else np.inf

    def _continue_with(self, network, dtype):
        """Check that ``network`` has the fitted layout, and adopt it."""
        self._adopt_params(dtype)
        fitted = _layout_shapes(self._binding.network)
        if _layout_shapes(network) != fitted:
            raise ValueError(
                "warm_start and partial_fit need the architecture of the fitted "
                f"model ({_describe(fitted)}), but the data and parameters give "
                f"{_describe(_layout_shapes(network))}."
            )
        self._architecture = network.spec
        self.out_activation_ = network.output_activation.name

    # ------------------------------------------------------- the flat parameters

    def _prediction_network(self):
        """The fitted network for prediction, built once per architecture.

        It holds no per-call state, so threads can share it.
        """
        cache = self.__dict__.setdefault("_network_cache", {})
        key = (self._architecture, self.out_activation_)
        network = cache.get(key)
        if network is None:
            if len(cache) > 8:
                cache.clear()
            network = cache[key] = Network.from_spec(
                self._architecture, output_activation=self.out_activation_
            )
        return network

    def _current_params(self):
        """Return the flat vectors ``(params, stats)`` behind the fitted arrays.

        Users may assign new arrays of the fitted shapes to ``coefs_``,
        ``intercepts_`` and the batch-norm attributes, as with sklearn's MLP;
        then new vectors are packed from them, and ``self`` is not modified.
        """
        return self._binding.vectors(self)

    def _adopt_params(self, dtype):
        """Get the weights ready to train on data of ``dtype``, in place.

        User-assigned arrays are packed into the flat vectors. Weights of a
        dtype the solvers cannot update in place (float16, integers) are
        converted to ``dtype``, and read-only weights (a model loaded with
        ``joblib.load(..., mmap_mode="r")``) are copied, as are read-only
        optimizer states and snapshots: the file is never written.
        """
        params, stats = self._current_params()
        if params.dtype not in (np.float32, np.float64):
            params, stats = params.astype(dtype), stats.astype(dtype)
        if not (params.flags.writeable and stats.flags.writeable):
            params, stats = np.array(params), np.array(stats)
        if params is not self._params:
            bind(self, self._prediction_network(), VIEW_ATTRIBUTES, params, stats)
        if "_optimizer" in vars(self) and not self._optimizer.adopt_state(params):
            del self._optimizer
        for name in ("_best_params", "_best_stats"):
            snapshot = self.__dict__.get(name)
            if snapshot is not None and not snapshot.flags.writeable:
                setattr(self, name, np.array(snapshot))

    # ------------------------------------------------------------ the solvers

    def _fit_full_batch(self, network, X, Y, sample_weight, l2, reporter):
        reporter.begin_iteration()
        outcome = fit_full_batch(
            network, self._params, X, Y, sample_weight,
            alpha=l2, method=FULL_BATCH_METHODS[self.solver],
            max_iter=self.max_iter, tol=self.tol, max_fun=self.max_fun,
            verbose=bool(self.verbose),
            end_iteration=self._end_iteration(reporter),
        )  # fmt: skip
        if network.n_stats:
            network.set_running_stats(self._params, self._stats, X, sample_weight)
        self.n_iter_ = min(outcome.n_iter, self.max_iter)
        self.loss_ = outcome.loss
        if not np.isfinite(self.loss_):
            raise DivergenceError(
                f"The training loss became non-finite ({self.loss_}). "
                f"{DIVERGENCE_ADVICE}"
            )
        if not (outcome.converged or outcome.stopped):
            self._warn_not_converged(outcome)

    def _end_iteration(self, reporter):
        """scipy's per-iteration hook: report the iterate to the callbacks."""

        def end_iteration(x):
            # Report the accepted iterate, not a line-search trial point.
            self._params[...] = x
            stop = reporter.end_iteration()
            reporter.begin_iteration()
            return stop

        return end_iteration

    def _warn_not_converged(self, outcome):
        message = (
            f"{self.solver} failed to converge after {self.n_iter_} iteration(s) "
            f"(status={outcome.status}):\n{outcome.message}\n"
        )
        if self.n_iter_ == self.max_iter:
            message += (
                "\nIncrease the number of iterations to improve the "
                f"convergence (max_iter={self.max_iter})."
            )
        warn(message, ConvergenceWarning)

    def _fit_minibatch(self, network, data, l2, rng, incremental, reporter):
        """Train on ``data`` (``(X, Y, sample_weight)``) for up to ``max_iter``
        epochs, one for ``partial_fit``."""
        self._prepare_solver(network, incremental)
        split = None
        if self.early_stopping and not incremental:
            split = validation_split(self, *data, rng)
        self._prepare_records(early_stopping=split is not None)
        data, validation = (data, None) if split is None else (split[:3], split[3])
        trainer = self._trainer(network, data, l2, rng)
        monitor = self._monitor(keep_best=validation is not None)
        recorder = EpochRecorder(self, trainer, monitor, validation, reporter)
        self.n_iter_ = 0
        reason = fit_loop(
            trainer, monitor, 1 if incremental else self.max_iter, recorder
        )
        if validation is not None:
            monitor.restore_best(self._params, self._stats)
        if reason == "max_epochs" and not incremental:
            warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )

    def _prepare_solver(self, network, incremental):
        """A new optimizer and schedule, except when ``partial_fit`` goes on."""
        if incremental and "_optimizer" in vars(self):
            return
        solver = OPTIMIZERS[self.solver]
        self._optimizer = solver(**self._hyperparameters(solver.hyperparameters()))
        self._optimizer.init_state(self._params, network.n_weights)
        self._schedule = get_schedule(
            self.learning_rate,
            **self._hyperparameters(("learning_rate_init", "power_t", "max_iter")),
        )

    def _trainer(self, network, data, l2, rng):
        X, Y, sample_weight = data
        return MinibatchTrainer(
            network, self._params, self._optimizer, self._schedule,
            X, Y, sample_weight,
            alpha=l2, batch_size=self._batch_size(X.shape[0]),
            shuffle=self.shuffle, rng=rng,
            stats=self._stats if network.n_stats else None,
            max_grad_norm=self.max_grad_norm, samples_seen=self.t_,
        )  # fmt: skip

    def _monitor(self, keep_best):
        """The stopping rule, from where the fitted attributes left it."""
        if not keep_best:
            return StoppingMonitor(
                self.tol, self.n_iter_no_change, -self.best_loss_,
                self._no_improvement_count,
            )  # fmt: skip
        if "_best_params" not in vars(self):
            self._best_params, self._best_stats = (
                self._params.copy(),
                self._stats.copy(),
            )
        return StoppingMonitor(
            self.tol, self.n_iter_no_change, self.best_validation_score_,
            self._no_improvement_count, (self._best_params, self._best_stats),
        )  # fmt: skip

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warn(
                "Got `batch_size` less than 1 or larger than sample size. It is "
                "going to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _score_validation(self, validation):
        """Return the validation ``(score, loss)`` of the current weights; the
        score is ``scoring``'s."""
        X_val, y_val, weight_val, Y_val = validation
        output = self._forward(X_val, check_input=False)
        loss = self._loss().value(Y_val, output, weight_val)
        if self.scoring is None:
            return self._score_with_function(X_val, y_val, weight_val), loss
        if self.scoring == "loss":
            return -loss, loss
        weights = {} if weight_val is None else {"sample_weight": weight_val}
        with warnings.catch_warnings():
            # the split is an array: no feature names, which sklearn warns of
            warnings.filterwarnings("ignore", "X does not have valid feature names")
            return float(self._get_scorer()(self, X_val, y_val, **weights)), loss

    def _get_scorer(self):
        """The scorer ``scoring`` names (not None or 'loss')."""
        try:
            return get_scorer(self.scoring)
        except ValueError as error:
            raise ValueError(
                f"scoring={self.scoring!r} is neither 'loss' nor a scorer name of "
                "sklearn.metrics.get_scorer."
            ) from error

    def _gradient_check_problem(self, X, y, sample_weight):
        """Return ``(network, params, X, Y, weights)`` in float64 for a check."""
        fitted = self._is_fitted()
        X, Y = self._validate_input(X, y, incremental=fitted, reset=not fitted)
        sample_weight = validate_sample_weight(sample_weight, X.shape[0])
        weights = self._apply_class_weight(Y, sample_weight)
        network = self._network(X.shape[1], Y.shape[1])
        if fitted:
            self._continue_with(network, X.dtype)
            params = self._params.astype(np.float64)
        else:
            rng = check_random_state(self.random_state)
            params = network.init_params(rng, np.float64)
        as64 = None if weights is None else weights.astype(np.float64)
        return network, params, X.astype(np.float64), Y.astype(np.float64), as64

    # ------------------------------------------------------------- prediction

    def _forward(self, X, check_input=True, logits=False):
        """Return the output activations (or the output ``logits``) for X."""
        if check_input:
            X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        params, stats = self._current_params()
        if X.dtype != params.dtype:
            dtype = np.result_type(X.dtype, params.dtype)
            params, stats = params.astype(dtype), stats.astype(dtype)
        return self._prediction_network().predict(params, X, stats, logits=logits)

    def _score_with_function(self, X, y, sample_weight):
        y_pred = self._predict(X, check_input=False)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return self._score_function(y, y_pred, sample_weight=sample_weight)

    # ------------------------------------------------- state, pickling, tags

    def _snapshot_attributes(self):
        """Copies of the weights, for a callback's ``fitted_estimator``."""
        return self._binding.copies(self)

    def _fitted_keys(self):
        """Attributes that fit sets: not parameters, and not the callback wiring."""
        params = set(self._get_param_names())
        return [
            k
            for k in vars(self)
            if k not in params and not k.startswith(TRANSIENT_ATTRIBUTE_PREFIXES)
        ]

    def _save_fitted_state(self):
        """Return the fitted attributes: the objects themselves, and copies.

        The per-layer arrays are views into ``_params`` (or arrays the user
        assigned, which fit never writes to), and the binding never changes,
        so only their objects are kept.
        """
        objects = {k: getattr(self, k) for k in self._fitted_keys()}
        skip = {*VIEW_ATTRIBUTES, "_binding"}
        values = {k: v for k, v in objects.items() if k not in skip}
        return objects, copy.deepcopy(values)

    def _load_fitted_state(self, state):
        """Put back what :meth:`_save_fitted_state` saved, into the same objects."""
        objects, values = state
        for key in [*self._fitted_keys(), "_network_cache"]:
            self.__dict__.pop(key, None)
        for key, value in objects.items():
            self.__dict__[key] = _restored(value, values.get(key, value))

    def __getstate__(self):
        # object.__getstate__ may return the live __dict__: copy before editing
        state = dict(super().__getstate__())
        state.pop("_network_cache", None)
        if "_params" in state:
            # Store the weights once: the views are rebuilt on load.
            state["_params"], state["_stats"] = self._current_params()
            for name in (*VIEW_ATTRIBUTES, "_binding"):
                state.pop(name, None)
        state["_sknn_scratch_version"] = __version__
        return state

    def __setstate__(self, state):
        state = dict(state)
        version = state.pop("_sknn_scratch_version", "pre-0.1")
        if version != __version__:
            warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_version=__version__,
                    original_version=version,
                )
            )
        upgrade_legacy_state(state)
        for name, default in self._parameter_defaults().items():
            state.setdefault(name, default)  # a parameter added since
        super().__setstate__(state)
        if "_params" in state:
            bind(
                self, self._prediction_network(), VIEW_ATTRIBUTES,
                self._params, self._stats,
            )  # fmt: skip

    @classmethod
    def _parameter_defaults(cls):
        """Every constructor parameter's default value."""
        signature = inspect.signature(cls.__init__)
        return {
            name: p.default
            for name, p in signature.parameters.items()
            if p.default is not inspect.Parameter.empty
        }

    def __sklearn_is_fitted__(self):
        """Whether ``fit`` has succeeded; spares ``check_is_fitted`` its scan of
        every attribute, a tenth of a one-row prediction."""
        return self._is_fitted()

    def _is_fitted(self):
        """Whether there is a model: flat vectors and the per-layer attributes."""
        state = self.__dict__
        return "_params" in state and all(name in state for name in VIEW_ATTRIBUTES)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _layout_shapes(network):
    """The shapes of a network's blocks, by attribute: its layout."""
    return {**network.params_layout.shapes(), **network.stats_layout.shapes()}


def _describe(shapes):
    return ", ".join(f"{name} shapes {value}" for name, value in shapes.items())


def _restored(original, saved):
    """Return ``original`` holding the contents of its copy ``saved``.

    Arrays and lists are refilled in place, so references to them stay valid;
    other objects (the optimizer, the label binarizer) are private and are
    replaced by the copy.
    """
    if isinstance(original, np.ndarray):
        if original.flags.writeable and original.shape == saved.shape:
            np.copyto(original, saved)
        return original
    if isinstance(original, list):
        original[:] = saved
        return original
    return saved


class ScratchMLPClassifier(ClassifierMixin, _BaseScratchMLP):
    """Multi-layer perceptron classifier, written from scratch in NumPy.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    the same parameters, defaults and fitted attributes, and, for the same
    ``random_state``, the same model. It optimizes the log-loss with L-BFGS or
    minibatch SGD/Adam.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'elu', \
            'softplus', 'gelu', 'silu'}, default='relu'
        Hidden-layer activation. ``'sigmoid'`` is an alias of ``'logistic'``.
        See :mod:`sknn_scratch.nn.activations` for the formulas.
    solver : {'lbfgs', 'cg', 'sgd', 'adam', 'adamw', 'adagrad', 'rmsprop'}, \
            default='adam'
        The weight optimizer. 'lbfgs' and 'cg' (conjugate gradient) run
        full-batch through :func:`scipy.optimize.minimize` on the flat parameter
        vector; the others run on minibatches (see
        :mod:`sknn_scratch.nn.optimizers` for the update rules). Plain batch
        gradient descent is ``solver='sgd', momentum=0,
        batch_size=n_samples``.
    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights, divided by the weight sum of
        the samples in each batch. With 'adamw' it is instead the decoupled
        weight decay :math:`\\lambda`, applied as :math:`W \\leftarrow (1 -
        \\eta\\lambda) W` before each step, and adds nothing to the loss.
    batch_size : int or 'auto', default='auto'
        Minibatch size for SGD and Adam; 'auto' is ``min(200, n_samples)``.
    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine'}, \
            default='constant'
        Learning-rate schedule for every minibatch solver (sklearn applies it
        to 'sgd' only). 'cosine' anneals :math:`\\eta_e = \\eta_0 \\cdot
        \\tfrac12 (1 + \\cos(\\pi e / \\text{max\\_iter}))` after epoch :math:`e`.
    learning_rate_init : float, default=0.001
        The initial learning rate of the minibatch solvers.
    power_t : float, default=0.5
        Exponent of 'invscaling'.
    max_iter : int, default=200
        Epochs of the minibatch solvers; iterations of L-BFGS.
    shuffle : bool, default=True
        Whether to shuffle the samples before each epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the early-stopping split and the shuffles.
    tol : float, default=1e-4
        Improvement tolerance of the stopping rule (L-BFGS: gradient tolerance).
    verbose : bool, default=False
        Print the loss after each epoch.
    warm_start : bool, default=False
        Continue from the previous solution when ``fit`` is called again.
    momentum : float, default=0.9
        SGD momentum, in [0, 1].
    nesterovs_momentum : bool, default=True
        Whether SGD uses Nesterov's momentum.
    early_stopping : bool, default=False
        Stop when the score on a held-out ``validation_fraction`` of the
        training data stops improving, and keep the best weights. With fewer
        than 10 validation samples it warns and uses the training loss.
    validation_fraction : float, default=0.1
        Proportion of training data held out for early stopping.
    beta_1 : float, default=0.9
        Adam's first-moment decay rate.
    beta_2 : float, default=0.999
        Adam's second-moment decay rate.
    epsilon : float, default=1e-8
        Adam's numerical stability constant.
    n_iter_no_change : int, default=10
        Epochs without ``tol`` improvement before stopping (or, with
        'adaptive', lowering the learning rate).
    max_fun : int, default=15000
        Maximum loss evaluations of L-BFGS.
    dropout : float or array-like of float, default=0.0
        Inverted dropout rate after each hidden activation, one for all hidden
        layers or one per layer, in [0, 1). During training each activation is
        kept with probability :math:`1 - p` and scaled by :math:`1/(1 - p)`;
        prediction uses all units. Masks are drawn from ``random_state``. Not
        available with 'lbfgs' or 'cg'.
    batch_norm : bool, default=False
        Make each hidden layer Dense, then batch normalization, then the
        activation. Normalization uses the batch's sample-weighted mean and
        biased variance with :math:`\\varepsilon = 10^{-5}` and learnable
        ``gammas_`` and ``betas_``; running statistics (momentum 0.1, as
        PyTorch's ``BatchNorm1d``, of the weighted batch variance) serve at
        prediction. With the full-batch solvers the running statistics are the
        training set's. Batches of one row, which have no variance, never
        occur: a last batch of one row joins the one before it, and
        ``batch_size=1`` or a single sample is refused.
    max_grad_norm : float, default=None
        Rescale each minibatch gradient to at most this Euclidean norm. Not
        available with 'lbfgs' or 'cg'.
    weight_init : {'glorot_uniform', 'glorot_normal', 'he_uniform', \
            'he_normal', 'lecun_normal'}, default='glorot_uniform'
        Weight initialization. The default is sklearn's (which also draws the
        biases); the others start the biases at zero.
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, as in sklearn's linear classifiers. They
        multiply ``sample_weight``, so the objective is that of the equivalent
        sample weights. 'balanced' uses ``n_samples / (n_classes *
        np.bincount(y))``, counted with the sample weights. A dict's values
        must be finite and non-negative, as sample weights. Dicts are not for
        multilabel targets. With 'balanced', ``partial_fit`` is not available
        (an AttributeError, as for 'lbfgs'): one call's batch does not give the
        class frequencies; pass the weights that
        ``compute_class_weight('balanced', ...)`` gives on all the data.
    scoring : str, callable or None, default=None
        What early stopping scores the validation set by, each epoch, and
        keeps the best epoch of (``HistGradientBoosting*``'s name and
        meaning). ``None`` is sklearn's MLP: accuracy. ``'loss'`` is minus
        the validation loss (the training objective without the L2 term), so
        the epoch of the lowest validation loss is kept. Any other string is
        a scorer name of :func:`sklearn.metrics.get_scorer` (for example
        ``'neg_log_loss'``), and a callable is a scorer
        ``scorer(estimator, X, y)``; higher is better. Without early
        stopping, training stops on the training loss, whatever ``scoring``.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels.
    loss_ : float
        The current loss, penalty included.
    best_loss_ : float or None
        The best training loss (None with early stopping).
    loss_curve_ : list of float
        Training loss per epoch (minibatch solvers only).
    validation_scores_ : list of float or None
        Validation score per epoch with early stopping (accuracy, or as
        ``scoring`` says).
    validation_loss_curve_ : list of float or None
        Validation loss (without the L2 term) per epoch with early stopping.
    best_validation_score_ : float or None
        The best validation score with early stopping.
    t_ : int
        Training samples seen by the minibatch solvers.
    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix of layer ``i``.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i``.
    gammas_, betas_ : list of ndarray
        Batch-norm scale and shift of each hidden layer (empty without
        ``batch_norm``).
    running_means_, running_vars_ : list of ndarray
        Batch-norm statistics used at prediction (empty without
        ``batch_norm``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when X had string column names.
    n_iter_ : int
        Epochs (or L-BFGS iterations) run by the last fit.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        The output activation: 'softmax' or 'logistic'.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sknn_scratch import ScratchMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ScratchMLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    """

    _score_function = staticmethod(accuracy_score)
    _parameter_constraints: dict = {
        **_BaseScratchMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        batch_norm=False,
        max_grad_norm=None,
        weight_init="glorot_uniform",
        class_weight=None,
        scoring=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.max_grad_norm = max_grad_norm
        self.weight_init = weight_init
        self.class_weight = class_weight
        self.scoring = scoring

    @property
    def _loss_name(self):
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        return "log_loss" if multiclass else "binary_log_loss"

    @property
    def _stratify_split(self):
        return self.n_outputs_ == 1

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if not hasattr(self, "classes_") or not (self.warm_start or incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            self._check_known_classes(y)
        return X, self._indicators(y)

    def _indicators(self, y):
        """Return the targets as 0/1 indicators, in bool.

        Bool takes an eighth of the memory of floats, and every loss and delta
        accepts it. For binary and multiclass targets the bool matrix is built
        directly, without ``LabelBinarizer``'s int64 one-hot matrix (eight
        times larger) on the way.
        """
        binarizer = self._label_binarizer
        classes = binarizer.classes_
        if binarizer.y_type_ == "binary" and len(classes) == 2:
            return (np.asarray(y) == classes[1])[:, np.newaxis]
        if binarizer.y_type_ == "multiclass":
            Y = np.zeros((len(y), len(classes)), dtype=bool)
            Y[np.arange(len(y)), np.searchsorted(classes, y)] = True
            return Y
        return binarizer.transform(y).astype(bool)

    def _check_known_classes(self, y):
        kind, fitted = type_of_target(y), self._label_binarizer.y_type_
        multilabel = fitted.startswith("multilabel")
        if kind.startswith("multilabel") != multilabel or (
            multilabel and y.shape[1] != len(self.classes_)
        ):
            raise ValueError(
                f"y is {kind} with shape {y.shape}, but the model was fitted on "
                f"{fitted} targets with {len(self.classes_)} classes."
            )
        classes = unique_labels(y)
        if self.warm_start and set(classes) != set(self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in "
                f"the previous call to fit. Previously got {plain(self.classes_)}, "
                f"`y` has {plain(classes)}."
            )
        if len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has "
                f"{plain(self.classes_)}. 'y' has {plain(classes)}."
            )

    def _apply_class_weight(self, Y, sample_weight):
        r"""Multiply each sample's weight by the weight of its class.

        The objective is then exactly that of the equivalent ``sample_weight``.
        ``"balanced"`` weighs class :math:`c` by :math:`W / (K\, W_c)`, where
        :math:`W_c` is the weight sum of its samples, :math:`W` the total and
        :math:`K` the number of classes present, as ``compute_class_weight``
        does when every class is present; ``partial_fit`` is not available
        with it (as sklearn's ``SGDClassifier`` refuses it), because one
        call's batch does not know the class frequencies. For multilabel
        targets only ``"balanced"`` applies, label by label, and a sample's
        weight is the product over its labels. A dict's values are checked as
        ``sample_weight`` is: finite and non-negative numbers.
        """
        if self.class_weight is None:
            return sample_weight
        if isinstance(self.class_weight, dict):
            check_class_weight_values(self.class_weight)
        base = np.ones(Y.shape[0]) if sample_weight is None else sample_weight
        if self._label_binarizer.y_type_.startswith("multilabel"):
            if self.class_weight != "balanced":
                raise ValueError(
                    "class_weight for multilabel targets must be 'balanced' or "
                    f"None, got {self.class_weight!r}."
                )
            columns = [Y[:, [k]] for k in range(Y.shape[1])]
        else:
            columns = [Y]
        weights = base.astype(np.float64)
        for column in columns:
            index = column.argmax(axis=1) if column.shape[1] > 1 else column[:, 0]
            index = index.astype(int)
            per_class = self._class_weights(index, base, max(column.shape[1], 2))
            weights *= per_class[index]
        if not weights.sum() > 0:
            raise ValueError(
                "class_weight and sample_weight leave no sample with a positive weight."
            )
        return weights

    def _class_weights(self, index, sample_weight, n_classes):
        """One weight per class, for class indices ``index`` of the samples."""
        if self.class_weight == "balanced":
            counts = np.bincount(index, weights=sample_weight, minlength=n_classes)
            present = counts > 0
            weights = np.ones(n_classes)
            weights[present] = counts.sum() / (present.sum() * counts[present])
            return weights
        known = set(self.classes_.tolist())
        unknown = [c for c in self.class_weight if c not in known]
        if unknown:
            raise ValueError(
                f"class_weight has label(s) {plain(unknown)} that are not among "
                f"the classes {plain(self.classes_)}."
            )
        return np.array([self.class_weight.get(c, 1.0) for c in self.classes_])

    def _decode_targets(self, Y):
        return self._label_binarizer.inverse_transform(Y)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        y_pred = self._forward(X, check_input=check_input)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return self._label_binarizer.inverse_transform(y_pred)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        return self._proba_from_valid(X)

    def _proba_from_valid(self, X):
        y_pred = self._forward(X, check_input=False)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Return the log of the probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``, computed from the output logits
            (log-softmax, or :math:`-\\log(1 + e^{\\mp z})` for logistic outputs)
            for accuracy, and ``-inf`` exactly where ``predict_proba`` is 0.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        z = self._forward(X, check_input=False, logits=True)
        log_p = get_output_activation(self.out_activation_).log_forward
        # one logistic output: the columns are log(1 - p) = log p(-z), log p(z)
        log_proba = np.hstack([log_p(-z), log_p(z)]) if z.shape[1] == 1 else log_p(z)
        # Stay the log of what predict_proba returns: where that rounded to 0,
        # the log is -inf (without ever evaluating log(0)).
        log_proba[self._proba_from_valid(X) == 0] = -np.inf
        return log_proba

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        classes: ArrayLike | None = None,
    ) -> Self:
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        classes : array of shape (n_classes,), default=None
            All the classes across calls; required on the first call.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _check_partial_fit_first_call(self, y, classes):
        if not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
            self.classes_ = self._label_binarizer.classes_
        elif classes is not None and not np.array_equal(
            self.classes_, unique_labels(classes)
        ):
            raise ValueError(
                f"`classes={plain(classes)}` is not the same as on the last call "
                f"to partial_fit, was: {plain(self.classes_)}."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class ScratchMLPRegressor(RegressorMixin, _BaseScratchMLP):
    """Multi-layer perceptron regressor, written from scratch in NumPy.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`.
    It takes the same parameters as :class:`ScratchMLPClassifier` (except
    ``class_weight``), plus ``loss`` and ``huber_delta``.

    Parameters
    ----------
    loss : {'squared_error', 'poisson', 'absolute_error', 'huber'}, \
            default='squared_error'
        The loss, averaged over samples and outputs (see
        :mod:`sknn_scratch.nn.losses`). 'poisson' uses an exponential output
        and needs ``y >= 0``; the others an identity output.
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'elu', \
            'softplus', 'gelu', 'silu'}, default='relu'
        Hidden-layer activation.
    solver : {'lbfgs', 'cg', 'sgd', 'adam', 'adamw', 'adagrad', 'rmsprop'}, \
            default='adam'
        The weight optimizer.
    alpha : float, default=0.0001
        Strength of the L2 penalty.
    batch_size : int or 'auto', default='auto'
        Minibatch size; 'auto' is ``min(200, n_samples)``.
    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine'}, \
            default='constant'
        Learning-rate schedule for every minibatch solver.
    learning_rate_init : float, default=0.001
        The initial learning rate.
    power_t : float, default=0.5
        Exponent of 'invscaling'.
    max_iter : int, default=200
        Epochs (minibatch solvers) or iterations (L-BFGS).
    shuffle : bool, default=True
        Whether to shuffle the samples before each epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the early-stopping split and the shuffles.
    tol : float, default=1e-4
        Improvement tolerance of the stopping rule.
    verbose : bool, default=False
        Print the loss after each epoch.
    warm_start : bool, default=False
        Continue from the previous solution.
    momentum : float, default=0.9
        SGD momentum.
    nesterovs_momentum : bool, default=True
        Whether SGD uses Nesterov's momentum.
    early_stopping : bool, default=False
        Stop on a held-out validation R^2 score.
    validation_fraction : float, default=0.1
        Proportion of training data held out for early stopping.
    beta_1 : float, default=0.9
        Adam's first-moment decay rate.
    beta_2 : float, default=0.999
        Adam's second-moment decay rate.
    epsilon : float, default=1e-8
        Adam's numerical stability constant.
    n_iter_no_change : int, default=10
        Epochs without ``tol`` improvement before stopping.
    max_fun : int, default=15000
        Maximum loss evaluations of L-BFGS.
    dropout : float or array-like of float, default=0.0
        Inverted dropout rate after each hidden activation, in [0, 1).
    batch_norm : bool, default=False
        Batch normalization before each hidden activation.
    max_grad_norm : float, default=None
        Rescale each minibatch gradient to at most this Euclidean norm.
    weight_init : {'glorot_uniform', 'glorot_normal', 'he_uniform', \
            'he_normal', 'lecun_normal'}, default='glorot_uniform'
        Weight initialization.
    huber_delta : float, default=1.0
        The threshold :math:`\\delta` of ``loss='huber'``: quadratic within
        :math:`\\delta` of the target, linear beyond.
    scoring : str, callable or None, default=None
        What early stopping scores the validation set by, each epoch, and
        keeps the best epoch of (``HistGradientBoosting*``'s name and
        meaning). ``None`` is sklearn's MLP: R^2. ``'loss'`` is minus
        the validation loss (the training objective without the L2 term), so
        the epoch of the lowest validation loss is kept. Any other string is
        a scorer name of :func:`sklearn.metrics.get_scorer` (for example
        ``'neg_log_loss'``), and a callable is a scorer
        ``scorer(estimator, X, y)``; higher is better. Without early
        stopping, training stops on the training loss, whatever ``scoring``.

    Attributes
    ----------
    loss_ : float
        The current loss, penalty included.
    best_loss_ : float or None
        The best training loss (None with early stopping).
    loss_curve_ : list of float
        Training loss per epoch (minibatch solvers only).
    validation_scores_ : list of float or None
        Validation score per epoch with early stopping (R^2, or as
        ``scoring`` says).
    validation_loss_curve_ : list of float or None
        Validation loss (without the L2 term) per epoch with early stopping.
    best_validation_score_ : float or None
        The best validation score with early stopping.
    t_ : int
        Training samples seen by the minibatch solvers.
    coefs_ : list of ndarray
        Weight matrices, one per layer.
    intercepts_ : list of ndarray
        Bias vectors, one per layer.
    gammas_, betas_ : list of ndarray
        Batch-norm scale and shift of each hidden layer (empty without
        ``batch_norm``).
    running_means_, running_vars_ : list of ndarray
        Batch-norm statistics used at prediction (empty without
        ``batch_norm``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when X had string column names.
    n_iter_ : int
        Epochs (or L-BFGS iterations) run by the last fit.
    n_layers_ : int
        Number of layers.
    n_outputs_ : int
        Number of outputs.
    out_activation_ : str
        'identity' for squared error, 'exp' for Poisson.

    Notes
    -----
    With several outputs, the squared-error gradient here is the gradient of
    the reported loss (the mean over outputs). sklearn's is ``n_outputs``
    times larger (scikit-learn issue 8349), so multi-output fits differ from
    sklearn's; single-output fits match.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch import ScratchMLPRegressor
    >>> X = np.linspace(0, 1, 50).reshape(-1, 1)
    >>> reg = ScratchMLPRegressor(
    ...     hidden_layer_sizes=(20,), solver="lbfgs", random_state=0
    ... )
    >>> reg.fit(X, 3 * X.ravel()).score(X, 3 * X.ravel()) > 0.99
    True
    """

    _score_function = staticmethod(r2_score)
    _parameter_constraints: dict = {
        **_BaseScratchMLP._parameter_constraints,
        "loss": [StrOptions(set(REGRESSION_LOSSES))],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        batch_norm=False,
        max_grad_norm=None,
        weight_init="glorot_uniform",
        huber_delta=1.0,
        scoring=None,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.max_grad_norm = max_grad_norm
        self.weight_init = weight_init
        self.huber_delta = huber_delta
        self.scoring = scoring

    @property
    def _loss_name(self):
        return self.loss

    _stratify_split = False

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        self._loss().check_targets(y)
        with quiet_numerics():
            Y = np.asarray(y, dtype=X.dtype)
        if not np.isfinite(Y).all():
            raise ValueError(
                f"y has values too large for {X.dtype}, the dtype of X "
                f"(largest |y| = {float(np.max(np.abs(y))):g}). Pass X as "
                "float64, or rescale y."
            )
        return X, Y.reshape(-1, 1) if Y.ndim == 1 else Y

    def _decode_targets(self, Y):
        return Y.ravel() if Y.shape[1] == 1 else Y

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        y_pred = self._forward(X, check_input=check_input)
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Self:
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        loss = LOSSES.get(self.loss)
        tags.target_tags.positive_only = loss is not None and loss.y_min is not None
        return tags
