"""sknn_scratch: a multilayer perceptron written from scratch in NumPy.

A drop-in replacement for scikit-learn's ``MLPClassifier`` and ``MLPRegressor``.
"""

from ._estimators import ScratchMLPClassifier, ScratchMLPRegressor
from ._gradcheck import GradientCheck, check_gradients

__version__ = "0.1.0"

__all__ = [
    "GradientCheck",
    "ScratchMLPClassifier",
    "ScratchMLPRegressor",
    "__version__",
    "check_gradients",
]
