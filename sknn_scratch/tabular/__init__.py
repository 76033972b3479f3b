"""Tabular MLPs: raw tables in, an encoder and a tabular recipe on the nn core."""

from ._estimators import TabularMLPClassifier, TabularMLPRegressor

__all__ = ["TabularMLPClassifier", "TabularMLPRegressor"]
