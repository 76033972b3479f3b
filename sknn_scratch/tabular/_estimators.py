"""TabularMLPClassifier and TabularMLPRegressor: raw tables in, a tabular recipe.

The sklearn face of the tabular MLP. ``fit`` reads the table with a
:class:`~sknn_scratch.tabular._encoder.TableEncoder`, splits off validation
rows by content, builds a :class:`~sknn_scratch.nn.tabular.PackedNetwork`
and trains it with :func:`sknn_scratch.nn.recipe.train`. Everything numerical
lives in :mod:`sknn_scratch.nn`.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _num_samples,
    check_is_fitted,
    column_or_1d,
)

from .._callbacks import CallbackSupportMixin, FitReporter
from .._inputs import check_class_weight_values, hidden_sizes, validate_sample_weight
from ..nn.recipe import (
    LR_SCHEDULES,
    Outcome,
    Settings,
    Split,
    data_init,
    fit_temperature,
    train,
)
from ..nn.tabular import (
    PARAMETRIC_FUNCTIONS,
    EnsembleAdapter,
    EnsembleHead,
    KeyedDropout,
    NTKDense,
    PackedNetwork,
    ParametricActivation,
    Scale,
    TabularEmbedding,
)
from ._encoder import TableEncoder
from ._split import content_split, row_keys

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)


class _BaseTabularMLP(CallbackSupportMixin, BaseEstimator):
    """Shared machinery of the two tabular estimators. Not for direct use."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like"],
        "n_ensemble": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="neither"),
        ],
        "lr_schedule": [StrOptions(set(LR_SCHEDULES))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "activation": [StrOptions({"auto", *PARAMETRIC_FUNCTIONS})],
        "parametric_activation": ["boolean"],
        "parametrization": [StrOptions({"ntk", "standard"})],
        "data_init": ["boolean"],
        "front_scale": ["boolean"],
        "numeric_embedding": [StrOptions({"pbld"}), None],
        "preprocessing": [StrOptions({"robust", "standard"})],
        "categorical_features": ["array-like", StrOptions({"from_dtype"}), None],
        "max_one_hot": [Interval(Integral, 2, None, closed="left")],
        "embedding_size": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to a table ``X`` and targets ``y``.

        Parameters
        ----------
        X : {array-like, pandas or polars DataFrame} of shape (n_samples, n_features)
            The table. Categorical columns are found from the dtype (or given
            by ``categorical_features``); missing values are allowed.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (classifier) or real targets (regressor).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights; ``None`` weighs every sample by one.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        fitted = self._fit_new_model(X, y, sample_weight)
        # assigned only now: a fit that fails leaves the earlier model as it was
        for key in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            del self.__dict__[key]
        self.__dict__.update(fitted)
        return self

    def _fit_new_model(self, X, y, sample_weight):
        data = self._prepare(X, y, sample_weight)
        network = self._network(data.encoder, data.targets.n_outputs)
        rng = check_random_state(self.random_state)
        params = network.init_params(rng)
        train_split, validation = self._split(data)
        if self.data_init:
            data_init(network, params, _distinct_rows(train_split))
        live = _LiveModel(self, data.encoder, network, params, data.targets)
        self.__dict__["_live_model"] = live  # what callbacks see during the fit
        try:
            reporter = FitReporter(self, X, y, sample_weight, self.max_epochs, "epoch")
            outcome = train(network, params, self._settings(), train_split, validation,
                            rng, _Observer(self, reporter))  # fmt: skip
            reporter.end_fit()
        finally:
            del self.__dict__["_live_model"]
        fitted = self._fitted(data.encoder, network, outcome, data.targets)
        fitted.update(self._calibrate(network, outcome.params, validation))
        return fitted

    def _prepare(self, X, y, sample_weight):
        """Encode the table and the targets; weigh and key the rows."""
        n = _num_samples(X)
        if n == 0:
            raise ValueError(
                f"Found array with 0 sample(s) while a minimum of 1 is required "
                f"by {type(self).__name__}."
            )
        sample_weight = validate_sample_weight(sample_weight, n)
        targets = self._encode_targets(y, n, sample_weight)
        weights = self._training_weights(sample_weight, targets, n)
        # the class weights too: every statistic sees the weights training does
        encoder = self._encoder().fit(X, sample_weight=weights)
        numeric, codes = encoder.transform(X)
        inputs = np.hstack([numeric, codes.astype(np.float64)])
        keys = row_keys(numeric, codes, targets.key, seed=self._seed())
        return _Data(encoder, inputs, targets, weights, keys)

    def _encoder(self):
        return TableEncoder(
            self.categorical_features, self.max_one_hot, self.preprocessing
        )

    def _seed(self):
        rng = check_random_state(self.random_state)
        # a copy of the state: the keys must not move the training draws
        return int(np.random.RandomState(rng.get_state()[1][:1]).randint(2**31))

    def _training_weights(self, sample_weight, targets, n):
        weights = np.ones(n) if sample_weight is None else sample_weight
        weights = weights * self._class_weights(targets, weights)
        if not weights.sum() > 0:
            raise ValueError("sample_weight must have at least one positive value.")
        # a power of two: exact, so the split sees the same weight ratios
        return np.ldexp(weights, -np.frexp(weights.max())[1])

    def _class_weights(self, targets, weights):
        return 1.0

    def _split(self, data):
        """Return the training and validation :class:`Split` (validation: None
        without a validation fraction, or when a side would be empty)."""
        everything = np.ones(data.inputs.shape[0], dtype=bool)
        held_out = ~everything
        if self.validation_fraction is not None:
            held_out = content_split(data.keys, data.weights, self.validation_fraction,
                                     data.targets.strata)  # fmt: skip
        if held_out.all() or not data.weights[held_out].sum() > 0:
            held_out = ~everything
        rows = np.flatnonzero(held_out)
        validation = Split(data.inputs[rows], data.targets.hard[rows],
                           data.weights[rows], row_keys=data.keys[rows])  # fmt: skip
        train_split = self._train_split(data, np.flatnonzero(~held_out))
        return train_split, (validation if rows.size else None)

    def _train_split(self, data, rows):
        """The training rows, with a 32-bit dropout key per member and row."""
        members = np.arange(1, self.n_ensemble + 1, dtype=np.uint64)[:, np.newaxis]
        with np.errstate(over="ignore"):
            mixed = (data.keys[rows][np.newaxis] ^ (members * _GOLDEN)) * _MIX
        member_keys = (mixed >> np.uint64(32)).astype(np.uint32)
        return Split(data.inputs[rows], data.targets.train[rows], data.weights[rows],
                     member_keys, data.keys[rows])  # fmt: skip

    def _settings(self):
        return Settings(
            learning_rate=self._learning_rate(), n_epochs=self.max_epochs,
            batch_size=self.batch_size, lr_schedule=self.lr_schedule,
            dropout=self.dropout, weight_decay=self.weight_decay,
        )  # fmt: skip

    def _learning_rate(self):
        return self._default_lr if self.learning_rate == "auto" else self.learning_rate

    # ---------------------------------------------------------- the network

    def _network(self, encoder, n_outputs):
        """The layers, input first: embedding, scale, hidden (the first one
        followed by the members' adapter), head."""
        embedding = TabularEmbedding(
            encoder.n_continuous_, encoder.n_numeric_out_ - encoder.n_continuous_,
            encoder.embedding_cardinalities_,
            n_frequencies=16 if self.numeric_embedding else 0,
            embedding_size=self.embedding_size,
        )  # fmt: skip
        width, k = embedding.n_out, self.n_ensemble
        layers = [embedding] + ([Scale(width)] if self.front_scale else [])
        sizes = hidden_sizes(self.hidden_layer_sizes)
        if k > 1 and not sizes:
            layers.append(EnsembleAdapter(k, width))
        layers += self._hidden_layers(width, sizes)
        n_in = sizes[-1] if sizes else width
        layers.append(EnsembleHead(k, n_in, n_outputs, self.parametrization == "ntk"))
        return PackedNetwork(layers, k, self._loss_name)

    def _hidden_layers(self, width, sizes):
        layers, ntk = [], self.parametrization == "ntk"
        activation = (
            self._default_activation if self.activation == "auto" else self.activation
        )
        for i, size in enumerate(sizes):
            layers.append(NTKDense(width, size, ntk))
            if i == 0 and self.n_ensemble > 1:
                # after the first product, which the members then share
                layers.append(EnsembleAdapter(self.n_ensemble, size))
            layers.append(
                ParametricActivation(activation, size, self.parametric_activation)
            )
            if self.dropout > 0:
                layers.append(KeyedDropout(self.dropout, size))
            width = size
        return layers

    # ------------------------------------------------------- fitted state

    def _fitted(self, encoder, network, outcome, targets):
        fitted = {
            "encoder_": encoder,
            "n_features_in_": encoder.n_features_in_,
            "loss_curve_": outcome.loss_curve,
            "validation_loss_curve_": outcome.validation_loss_curve or None,
            "best_epoch_": outcome.best_epoch,
            "n_epochs_": len(outcome.loss_curve),
            "_params": outcome.params,
            "_architecture": network.spec,
            "_n_members": network.n_members,
            "_network_cache": network,
        }
        if hasattr(encoder, "feature_names_in_"):
            fitted["feature_names_in_"] = encoder.feature_names_in_
        fitted.update(targets.fitted)
        return fitted

    def _calibrate(self, network, params, validation):
        return {}

    def _snapshot_attributes(self):
        """The fitted attributes of the model being trained, for callbacks."""
        live = self.__dict__.get("_live_model")
        return live.attributes() if live is not None else {}

    def _network_for_prediction(self):
        network = self.__dict__.get("_network_cache")
        if network is None:
            network = PackedNetwork.from_spec(
                self._architecture, self._n_members, self._loss_name
            )
            self.__dict__["_network_cache"] = network
        return network

    def _inputs(self, X):
        check_is_fitted(self)
        numeric, codes = self.encoder_.transform(X)
        return np.hstack([numeric, codes.astype(np.float64)])

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_network_cache", None)
        return state

    def __sklearn_is_fitted__(self):
        return "_params" in self.__dict__

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.non_deterministic = False
        return tags


class _Observer:
    """Per-epoch reporting: verbose lines and sklearn's callbacks."""

    def __init__(self, estimator, reporter):
        self.estimator, self.reporter = estimator, reporter
        reporter.begin_iteration()

    def __call__(self, epoch, outcome):
        if self.estimator.verbose:
            line = f"Epoch {epoch + 1}, loss = {outcome.loss_curve[-1]:.8f}"
            if outcome.validation_loss_curve:
                line += f", validation loss = {outcome.validation_loss_curve[-1]:.8f}"
            print(line)
        stop = bool(self.reporter.end_iteration())
        if not stop and epoch + 1 < self.estimator.max_epochs:
            self.reporter.begin_iteration()
        return stop


class _LiveModel:
    """The model as it trains: its fitted attributes on demand."""

    def __init__(self, estimator, encoder, network, params, targets):
        self.estimator, self.encoder, self.network = estimator, encoder, network
        self.params, self.targets = params, targets

    def attributes(self):
        outcome = Outcome(self.params.copy())
        fitted = self.estimator._fitted(
            self.encoder, self.network, outcome, self.targets
        )
        fitted["temperature_"] = 1.0
        return fitted


class _Data:
    """The encoded training data."""

    def __init__(self, encoder, inputs, targets, weights, keys):
        self.encoder, self.inputs, self.targets = encoder, inputs, targets
        self.weights, self.keys = weights, keys


class _Targets:
    """Encoded targets: what training, the split, the keys and ``fit`` need."""

    def __init__(self, train, hard, key, strata, fitted):
        self.train, self.hard, self.key, self.strata = train, hard, key, strata
        self.fitted = fitted
        self.n_outputs = train.shape[1]


def _distinct_rows(split):
    """The training rows with positive weight, one per distinct key, in key order."""
    positive = split.sample_weight > 0
    _, first = np.unique(split.row_keys[positive], return_index=True)
    return split.X[np.flatnonzero(positive)[first]]


class TabularMLPClassifier(ClassifierMixin, _BaseTabularMLP):
    """A tabular MLP classifier: raw tables in, RealMLP- and TabM-style recipe.

    It takes a pandas or polars DataFrame (or an array) as it is: categorical
    columns, missing values and labels of any type. See the user guide's
    "Tabular data" chapter for the math of each ingredient.

    Each default below says what it bought in the ablation of
    ``benchmarks/tabular.py --ablation --folds 3 --max-rows 2000``: 3-fold
    cross-validation on 15 tables (9 classification, 6 regression), turning
    one ingredient off at a time. "Off costs x%" is the mean relative rise of
    the log-loss (RMSE for regression) when it is off, "on n/15" the number
    of tables where it was off worse; both estimators are counted unless
    said otherwise.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(64, 64, 64)
        Widths of the hidden layers. In the first tuning round (3-fold CV on
        8 tables), 8 members of 3x64 matched single 3x256 networks (RealMLP's
        size) and 8 members of 3x128 within noise, at less of the time.
    n_ensemble : int, default=8
        Members of the packed ensemble. Off (1) costs 1.7% (on 10/15) and 0.3
        accuracy/R² points; the 8 members take 3.5x the time of one.
    max_epochs : int, default=64
        The epoch budget. In the first tuning round 32, 64, 128 and 256
        epochs gave the same losses within noise; 64 leaves room for larger
        tables.
    batch_size : int, default=256
        Rows per step (RealMLP's).
    learning_rate : "auto" or float, default="auto"
        The peak learning rate; "auto" is RealMLP's 0.04.
    lr_schedule : {"coslog4", "cosine", "constant"}, default="coslog4"
        The learning-rate schedule. A constant rate costs 1.8% (on 10/15).
    dropout : float, default=0.15
        Dropout rate after each hidden layer, flat then cosine to 0. Off costs
        1.9% (on 11/15).
    weight_decay : float, default=0.0
        Decoupled weight decay, flat then cosine to 0. RealMLP's 0.02 changed
        nothing measurable here (-0.1%, median 0.0%), so it is off.
    activation : {"auto", "selu", "mish"}, default="auto"
        The hidden activation; "auto" is SELU (Mish for the regressor), as in
        RealMLP.
    parametric_activation : bool, default=True
        Learn a per-unit blend of the activation with the identity. Off costs
        0.3% (on 9/15), for about 10% of the fit time.
    parametrization : {"ntk", "standard"}, default="ntk"
        The weights' parametrization. "standard" costs 10.2% (on 10/15) and
        4.7 accuracy/R² points.
    data_init : bool, default=True
        Data-dependent bias initialization. Off costs 3.1% (on 11/15).
    front_scale : bool, default=True
        A learnable per-feature scale after the embeddings. Off changes the
        mean loss by -0.1% but the median by +0.5% (on 8/15) and costs 0.3
        accuracy/R² points; on the 6 regression tables, 2.0% and 0.7 R²
        points.
    numeric_embedding : "pbld" or None, default="pbld"
        Periodic embeddings of the continuous features. Off costs 2.4% (on
        8/15) and 0.9 accuracy/R² points, up to 17% on the synthetic tables.
    preprocessing : {"robust", "standard"}, default="robust"
        Robust scaling with smooth clipping, or plain standardization.
        "standard" costs 1.7% (on 8/15).
    categorical_features : "from_dtype", array-like or None, default="from_dtype"
        Which columns are categorical, as in ``HistGradientBoostingClassifier``:
        "from_dtype" takes pandas category, object, string and bool columns
        (and polars' equivalents); or column names, indices or a boolean mask.
    max_one_hot : int, default=9
        Categorical columns with at most this many levels (missing included)
        are one-hot encoded, two levels as one ±1 column; larger ones get
        learned embeddings (RealMLP's threshold).
    embedding_size : int, default=8
        Length of a categorical level's embedding (RealMLP's).
    label_smoothing : float, default=0.1
        Label smoothing of the training targets. Off changes the mean
        log-loss by 0.0% but the median by +1.1% (on 5/9 classification
        tables) and costs 0.2 accuracy points.
    temperature_scaling : bool, default=True
        Calibrate the probabilities on the validation rows. Off costs 19.8%
        of log-loss (on 8/9 classification tables); accuracy is unchanged.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes by label, folded into the sample weights;
        "balanced" weighs class c by W / (K W_c) with the weight sums W of
        all rows and W_c of class c's.
    validation_fraction : float or None, default=0.2
        Share of the rows held out (stratified, by content: identical rows
        stay together) to select the best epoch by validation log-loss and to
        calibrate; None trains on all rows and keeps the last epoch. None
        costs 23.1% (on 12/15).
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the split, the shuffles and dropout.
    verbose : bool, default=False
        Print the losses after each epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    encoder_ : TableEncoder
        The fitted table encoder.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in ``fit``, when they are all strings.
    loss_curve_ : list of float
        Training loss per epoch (smoothed targets).
    validation_loss_curve_ : list of float or None
        Validation log-loss per epoch.
    best_epoch_ : int
        The 0-based epoch whose weights were kept.
    n_epochs_ : int
        Epochs trained.
    temperature_ : float
        The fitted temperature (1.0 without calibration).

    Examples
    --------
    >>> import pandas as pd
    >>> from sknn_scratch import TabularMLPClassifier
    >>> X = pd.DataFrame({"x": [0.1, 0.4, None, 0.9] * 10,
    ...                   "color": pd.Categorical(["red", "blue"] * 20)})
    >>> y = [0, 1, 0, 1] * 10
    >>> clf = TabularMLPClassifier(max_epochs=5, random_state=0).fit(X, y)
    >>> clf.predict(X.head(2)).shape
    (2,)
    """

    _parameter_constraints: dict = {
        **_BaseTabularMLP._parameter_constraints,
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "temperature_scaling": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _default_lr = 0.04
    _default_activation = "selu"
    _loss_name = "log_loss"

    def __init__(
        self,
        *,
        hidden_layer_sizes=(64, 64, 64),
        n_ensemble=8,
        max_epochs=64,
        batch_size=256,
        learning_rate="auto",
        lr_schedule="coslog4",
        dropout=0.15,
        weight_decay=0.0,
        activation="auto",
        parametric_activation=True,
        parametrization="ntk",
        data_init=True,
        front_scale=True,
        numeric_embedding="pbld",
        preprocessing="robust",
        categorical_features="from_dtype",
        max_one_hot=9,
        embedding_size=8,
        label_smoothing=0.1,
        temperature_scaling=True,
        class_weight=None,
        validation_fraction=0.2,
        random_state=None,
        verbose=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_ensemble = n_ensemble
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.activation = activation
        self.parametric_activation = parametric_activation
        self.parametrization = parametrization
        self.data_init = data_init
        self.front_scale = front_scale
        self.numeric_embedding = numeric_embedding
        self.preprocessing = preprocessing
        self.categorical_features = categorical_features
        self.max_one_hot = max_one_hot
        self.embedding_size = embedding_size
        self.label_smoothing = label_smoothing
        self.temperature_scaling = temperature_scaling
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.verbose = verbose

    def _encode_targets(self, y, n, sample_weight):
        y = _column_or_1d(y, n)
        check_classification_targets(y)
        if type_of_target(y) not in ("binary", "multiclass"):
            raise ValueError(
                f"TabularMLPClassifier supports binary and multiclass targets, "
                f"got {type_of_target(y)!r}."
            )
        classes, index = np.unique(y, return_inverse=True)
        n_classes = max(len(classes), 2)
        hard = np.eye(n_classes, dtype=bool)[index]
        eps = self.label_smoothing
        soft = (1.0 - eps) * hard + eps / n_classes
        return _Targets(soft, hard, index.astype(np.float64), index,
                        {"classes_": classes})  # fmt: skip

    def _class_weights(self, targets, weights):
        r"""Each row's class weight: ``class_weight[label]`` (1 if absent), or
        for ``"balanced"`` :math:`W / (K W_c)`, with the weight sums :math:`W`
        of all rows and :math:`W_c` of class :math:`c`'s, so that a sample
        weight of 2 counts as a repeated row here too."""
        if self.class_weight is None:
            return 1.0
        classes, index = targets.fitted["classes_"], targets.strata
        if self.class_weight == "balanced":
            totals = np.bincount(index, weights=weights, minlength=len(classes))
            share = len(classes) * totals / weights.sum()
            inverse = np.divide(1.0, share, out=np.zeros_like(share), where=share > 0)
            return inverse[index]
        check_class_weight_values(self.class_weight)
        weight_of = self.class_weight.get
        return np.array([float(weight_of(c, 1.0)) for c in classes])[index]

    def _calibrate(self, network, params, validation):
        if not self.temperature_scaling or validation is None:
            return {"temperature_": 1.0}
        positive = validation.sample_weight > 0
        # distinct rows: a weight of 2 and a repeated row make the same prior
        n_rows = len(np.unique(validation.row_keys[positive]))
        return {"temperature_": fit_temperature(network, params, validation, n_rows)}

    def predict_proba(self, X):
        """Class probabilities: the mean of the members' calibrated softmax.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The table.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The probabilities, columns in the order of ``classes_``.
        """
        inputs = self._inputs(X)
        network = self._network_for_prediction()
        Z = network.members(self._params, inputs) / self.temperature_
        flat = Z.reshape(-1, Z.shape[-1])
        P = network.output_activation.forward(flat, flat).reshape(Z.shape).mean(axis=0)
        # one class is certain (the network still has two outputs)
        return np.ones_like(P[:, :1]) if len(self.classes_) == 1 else P

    def predict_log_proba(self, X):
        """The logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of each row.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The table.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The predicted labels.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class TabularMLPRegressor(RegressorMixin, _BaseTabularMLP):
    """A tabular MLP regressor: raw tables in, RealMLP- and TabM-style recipe.

    Parameters are those of :class:`TabularMLPClassifier`, where each
    default's measured reason is given, without ``label_smoothing``,
    ``temperature_scaling`` and ``class_weight``, and with:

    scale_target : bool, default=True
        Standardize the targets for training, and clamp predictions to the
        training targets' range (RealMLP's). Off costs 0.9% of RMSE (on 3 of
        the 6 regression tables of the ablation) and up to 5.4%; it also
        keeps targets of any scale in the range the network's output starts
        in.

    Here ``learning_rate="auto"`` is RealMLP's 0.2 and ``activation="auto"``
    is Mish. The validation loss is the mean squared error of the
    standardized targets.

    Attributes
    ----------
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        The standardization of the targets.
    target_min_, target_max_ : ndarray of shape (n_outputs,)
        The range predictions are clamped to.

    Also ``encoder_``, ``n_features_in_``, ``feature_names_in_``,
    ``loss_curve_``, ``validation_loss_curve_``, ``best_epoch_`` and
    ``n_epochs_`` as in :class:`TabularMLPClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch import TabularMLPRegressor
    >>> X = np.linspace(0, 1, 40).reshape(-1, 1)
    >>> reg = TabularMLPRegressor(max_epochs=5, random_state=0).fit(X, X[:, 0] ** 2)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        **_BaseTabularMLP._parameter_constraints,
        "scale_target": ["boolean"],
    }
    _default_lr = 0.2
    _default_activation = "mish"
    _loss_name = "squared_error"

    def __init__(
        self,
        *,
        hidden_layer_sizes=(64, 64, 64),
        n_ensemble=8,
        max_epochs=64,
        batch_size=256,
        learning_rate="auto",
        lr_schedule="coslog4",
        dropout=0.15,
        weight_decay=0.0,
        activation="auto",
        parametric_activation=True,
        parametrization="ntk",
        data_init=True,
        front_scale=True,
        numeric_embedding="pbld",
        preprocessing="robust",
        categorical_features="from_dtype",
        max_one_hot=9,
        embedding_size=8,
        scale_target=True,
        validation_fraction=0.2,
        random_state=None,
        verbose=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_ensemble = n_ensemble
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.activation = activation
        self.parametric_activation = parametric_activation
        self.parametrization = parametrization
        self.data_init = data_init
        self.front_scale = front_scale
        self.numeric_embedding = numeric_embedding
        self.preprocessing = preprocessing
        self.categorical_features = categorical_features
        self.max_one_hot = max_one_hot
        self.embedding_size = embedding_size
        self.scale_target = scale_target
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.verbose = verbose

    def _encode_targets(self, y, n, sample_weight):
        y = np.asarray(_check_y_given(y))
        if y.ndim not in (1, 2) or y.shape[0] != n:
            raise ValueError(
                f"y must have shape ({n},) or ({n}, n_outputs), got {y.shape}."
            )
        if np.iscomplexobj(y):
            raise ValueError("Complex data not supported: y must be real.")
        if not (np.issubdtype(y.dtype, np.number) or y.dtype in (object, bool)):
            raise ValueError(f"TabularMLPRegressor needs real targets, got {y.dtype}.")
        try:
            Y = np.asarray(y, dtype=np.float64).reshape(n, -1)
        except (TypeError, ValueError):
            raise ValueError("TabularMLPRegressor needs numeric targets.") from None
        if not np.isfinite(Y).all():
            raise ValueError("y contains NaN or infinity; remove or impute those rows.")
        mean, scale = self._target_scaling(Y, sample_weight)
        seen = Y if sample_weight is None else Y[sample_weight > 0]
        fitted = {"target_mean_": mean, "target_scale_": scale,
                  "target_min_": seen.min(axis=0), "target_max_": seen.max(axis=0),
                  "_single_output": y.ndim == 1}  # fmt: skip
        Z = (Y - mean) / scale
        return _Targets(Z, Z, Y, None, fitted)

    def _target_scaling(self, Y, weights):
        if not self.scale_target:
            return np.zeros(Y.shape[1]), np.ones(Y.shape[1])
        weights = np.ones(Y.shape[0]) if weights is None else weights
        if not weights.sum() > 0:
            raise ValueError("sample_weight must have at least one positive value.")
        mean = np.average(Y, axis=0, weights=weights)
        std = np.sqrt(np.average((Y - mean) ** 2, axis=0, weights=weights))
        return mean, np.where(std > 0, std, 1.0)

    def predict(self, X):
        """The members' mean prediction, clamped to the training targets' range.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The table.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predictions.
        """
        inputs = self._inputs(X)
        Z = self._network_for_prediction().predict(self._params, inputs)
        Y = Z * self.target_scale_ + self.target_mean_
        if self.scale_target:
            Y = np.clip(Y, self.target_min_, self.target_max_)
        return Y[:, 0] if self._single_output else Y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


def _column_or_1d(y, n):
    y = column_or_1d(_check_y_given(y), warn=True)
    if y.shape[0] != n:
        raise ValueError(f"X has {n} rows but y has {y.shape[0]}.")
    return y


def _check_y_given(y):
    if y is None:
        raise ValueError(
            "This estimator requires y to be passed, but the target y is None."
        )
    return y
