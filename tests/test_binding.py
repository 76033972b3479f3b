"""The one owner of the flat vectors behind an estimator's fitted arrays."""

import types

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sknn_scratch._binding import bind
from sknn_scratch.nn.network import build_mlp, mlp_attributes

NAMES = mlp_attributes()


def _owner(batch_norm=True):
    """A bare object bound to a small network's fresh vectors."""
    net = build_mlp([3, 4, 2], "relu", batch_norm=batch_norm)
    owner = types.SimpleNamespace()
    params = net.init_params(np.random.RandomState(0))
    bind(owner, net, NAMES, params, net.init_stats())
    return owner, net


def test_mlp_attributes_come_from_the_layers():
    assert NAMES == (
        "coefs_",
        "intercepts_",
        "gammas_",
        "betas_",
        "running_means_",
        "running_vars_",
    )


@pytest.mark.parametrize("batch_norm", [False, True])
def test_bind_makes_every_attribute_a_view_of_the_vectors(batch_norm):
    owner, net = _owner(batch_norm)
    for name in NAMES:
        vector = owner._stats if name.startswith("running") else owner._params
        for array in getattr(owner, name):
            assert np.shares_memory(array, vector)
    assert len(owner.gammas_) == (1 if batch_norm else 0)
    owner._params[:] = 7.0
    assert (owner.coefs_[1] == 7.0).all()


def test_untouched_attributes_stand_for_the_bound_vectors():
    owner, _ = _owner()
    params, stats = owner._binding.vectors(owner)
    assert params is owner._params and stats is owner._stats


def test_assigned_arrays_are_packed_into_new_vectors():
    owner, _ = _owner()
    coefs = [np.full(W.shape, 0.5) for W in owner.coefs_]
    owner.coefs_ = coefs
    params, stats = owner._binding.vectors(owner)
    assert params is not owner._params and stats is not owner._stats
    assert_array_equal(params[: 3 * 4 + 4 * 2], 0.5)
    assert_array_equal(params[20:], owner._params[20:])  # the rest as bound
    assert coefs[0].base is None  # the user's arrays are not bound


def test_an_edit_in_place_needs_no_packing():
    owner, _ = _owner()
    owner.coefs_[0][0, 0] = 42.0
    params, _ = owner._binding.vectors(owner)
    assert params is owner._params and params[0] == 42.0


@pytest.mark.parametrize(
    "assign, error, match",
    [
        (lambda o: setattr(o, "coefs_", None), TypeError, "coefs_ must be a list"),
        (
            lambda o: setattr(o, "intercepts_", o.intercepts_[:1]),
            ValueError,
            r"intercepts_ must have the fitted shapes \[\(4,\), \(2,\)\]",
        ),
        (
            lambda o: setattr(o, "gammas_", [np.ones(5)]),
            ValueError,
            "gammas_ must have the fitted shapes",
        ),
        (
            lambda o: setattr(o, "coefs_", [np.array([["a"]])]),
            TypeError,
            "real-valued",
        ),
    ],
)
def test_assigned_arrays_of_another_layout_are_refused(assign, error, match):
    owner, _ = _owner()
    assign(owner)
    with pytest.raises(error, match=match):
        owner._binding.vectors(owner)


def test_copies_are_independent_and_laid_out_like_the_attributes():
    owner, _ = _owner()
    copies = owner._binding.copies(owner)
    assert not np.shares_memory(copies["_params"], owner._params)
    for name in NAMES:
        for copied, array in zip(copies[name], getattr(owner, name), strict=True):
            assert_array_equal(copied, array)
            assert not np.shares_memory(copied, array)
