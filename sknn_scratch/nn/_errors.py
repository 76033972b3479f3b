"""Divergence, interruption, warnings and floating-point noise, said once."""

import sys
import warnings

import numpy as np


class DivergenceError(ValueError):
    """Training produced a non-finite loss or non-finite weights."""


DIVERGENCE_ADVICE = (
    "Try scaling the features (for example with StandardScaler), lowering "
    "learning_rate_init, or increasing alpha."
)

INTERRUPTED = "Training interrupted by user."
"""The warning of a fit that Ctrl-C ended after its epoch or iteration."""


def quiet_numerics():
    """Silence NumPy's overflow, invalid and divide warnings.

    For code whose non-finite results are checked afterwards (and turned into
    a :class:`DivergenceError` with advice, or a score of NaN): NumPy's
    warnings would be noise.
    """
    return np.errstate(over="ignore", invalid="ignore", divide="ignore")


_OWN_PACKAGES = ("sknn_scratch", "sklearn")


def warn(message, category=UserWarning):
    """Warn at the user's line: the first frame outside sknn_scratch and sklearn.

    sklearn's frames (``_fit_context``, pipelines, meta-estimators) are
    skipped too, since every ``fit`` passes through them.
    """
    frame, level = sys._getframe(1), 2
    while frame is not None and _is_own(frame):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def _is_own(frame):
    return frame.f_globals.get("__name__", "").split(".")[0] in _OWN_PACKAGES
