"""sknn_scratch: a multilayer perceptron written from scratch in NumPy.

A drop-in replacement for scikit-learn's ``MLPClassifier`` and ``MLPRegressor``.
"""

from ._estimators import ScratchMLPClassifier, ScratchMLPRegressor
from ._gradcheck import GradientCheck, check_gradients
from ._version import __version__
from .exceptions import InconsistentVersionWarning
from .tabular import TabularMLPClassifier, TabularMLPRegressor

__all__ = [
    "GradientCheck",
    "InconsistentVersionWarning",
    "ScratchMLPClassifier",
    "ScratchMLPRegressor",
    "TabularMLPClassifier",
    "TabularMLPRegressor",
    "__version__",
    "check_gradients",
]
