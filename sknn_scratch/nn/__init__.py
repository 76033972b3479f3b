"""The NumPy core of sknn_scratch: layers, losses, optimizers and training loops.

Nothing in this package imports scikit-learn. The estimators in
:mod:`sknn_scratch._estimators` translate sklearn's conventions into calls on
these pieces.
"""
