"""Bit-exact images of a fitted estimator, for "nothing changed" assertions."""

import math
import operator

import numpy as np

from sknn_scratch import ScratchMLPClassifier
from sknn_scratch._binding import Binding
from sknn_scratch._estimators import TRANSIENT_ATTRIBUTE_PREFIXES, VIEW_ATTRIBUTES

HELD = (*VIEW_ATTRIBUTES, "loss_curve_", "validation_scores_", "validation_loss_curve_")
"""Fitted attributes whose objects a user may keep references to."""


def freeze(value):
    """A comparable, bit-exact image of a fitted attribute.

    Arrays compare by dtype, shape and bytes; floats by their hex form; objects
    (optimizer, schedule, label binarizer) by their pickled state, which leaves
    out scratch buffers.
    """
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return ("object-array", value.shape, tuple(map(freeze, value.flat)))
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, np.generic):
        return ("scalar", value.dtype.str, value.tobytes())
    if isinstance(value, float):
        return ("float", value.hex() if math.isfinite(value) else repr(value))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(freeze(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, freeze(v)) for k, v in sorted(value.items())))
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Binding):  # derived: the layout and what is bound
        return ("Binding", value.network.spec, freeze(value.bound))
    if isinstance(value, np.random.RandomState):
        return ("RandomState", freeze(value.get_state(legacy=False)))
    return (type(value).__name__, freeze(dict(value.__getstate__())))


def output(est, X):
    """predict_proba for classifiers, predict for regressors."""
    if isinstance(est, ScratchMLPClassifier):
        return est.predict_proba(X)
    return est.predict(X)


def fitted_state(est, X):
    """Every fitted attribute of ``est``, frozen, plus its output on ``X``."""
    params = set(est.get_params(deep=False))
    state = {
        k: freeze(v)
        for k, v in vars(est).items()
        if k not in params and not k.startswith(TRANSIENT_ATTRIBUTE_PREFIXES)
    }
    state["<output>"] = freeze(output(est, X))
    return state


class HeldObjects:
    """The objects behind :data:`HELD` (each list and each array in it).

    Equal only to an image of the very same objects: a refused call must not
    leave the user holding stale copies.
    """

    def __init__(self, est):
        self.objects = {}
        for name in HELD:
            value = getattr(est, name, None)
            items = list(value) if isinstance(value, list) else []
            self.objects[name] = (value, items)

    def __eq__(self, other):
        return all(
            value is other.objects[name][0]
            and (
                name not in VIEW_ATTRIBUTES
                or _same_objects(items, other.objects[name][1])
            )
            for name, (value, items) in self.objects.items()
        )

    __hash__ = None


def _same_objects(first, second):
    return len(first) == len(second) and all(map(operator.is_, first, second))


def assert_same_state(after, before):
    """Assert two ``fitted_state`` images are equal, naming the first difference."""
    assert after.keys() == before.keys(), set(after) ^ set(before)
    for key in before:
        assert after[key] == before[key], f"fitted attribute {key} differs"


def assert_views_alias_params(est):
    """The per-layer arrays are views into the flat vectors, as after fit."""
    for array in est.coefs_ + est.intercepts_ + est.gammas_ + est.betas_:
        assert np.shares_memory(array, est._params)
    for array in est.running_means_ + est.running_vars_:
        assert np.shares_memory(array, est._stats)
