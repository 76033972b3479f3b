"""sknn_scratch: a multilayer perceptron written from scratch in NumPy.

A drop-in replacement for scikit-learn's ``MLPClassifier`` and ``MLPRegressor``.
"""

from ._estimators import ScratchMLPClassifier, ScratchMLPRegressor

__version__ = "0.1.0"

__all__ = ["ScratchMLPClassifier", "ScratchMLPRegressor", "__version__"]
