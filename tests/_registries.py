"""The registries' names for parametrizing tests, taken in one place.

A name added to a registry is then tested wherever its kind is.
"""

from sknn_scratch.nn.activations import ACTIVATIONS
from sknn_scratch.nn.initializers import INITIALIZERS
from sknn_scratch.nn.losses import LOSSES
from sknn_scratch.nn.optimizers import OPTIMIZERS
from sknn_scratch.nn.schedules import SCHEDULES
from sknn_scratch.nn.training import FULL_BATCH_METHODS

MINIBATCH_SOLVERS = sorted(OPTIMIZERS)
FULL_BATCH_SOLVERS = sorted(FULL_BATCH_METHODS)
SOLVERS = MINIBATCH_SOLVERS + FULL_BATCH_SOLVERS
REGRESSION_LOSSES = sorted(n for n, loss in LOSSES.items() if loss.task == "regression")
CLASSIFICATION_LOSSES = sorted(
    n for n, loss in LOSSES.items() if loss.task == "classification"
)
INITIALIZER_NAMES = sorted(INITIALIZERS)
NON_DEFAULT_INITIALIZERS = [n for n in INITIALIZER_NAMES if n != "glorot_uniform"]
HIDDEN_ACTIVATIONS = sorted(ACTIVATIONS)
SCHEDULE_NAMES = sorted(SCHEDULES)
