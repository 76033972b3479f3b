"""Activations against independent references and central differences."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import erf

from sknn_scratch.nn.activations import (
    ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
    get_activation,
    get_output_activation,
)
from sknn_scratch.nn.gradcheck import numerical_gradient

# Tiny independent references, written from the textbook definitions.
REFERENCES = {
    "identity": lambda z: z,
    "logistic": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.exp(np.minimum(z, 0)) - 1),
    "softplus": lambda z: np.log(1 + np.exp(z)),
    "gelu": lambda z: z * 0.5 * (1 + erf(z / np.sqrt(2))),
    "silu": lambda z: z / (1 + np.exp(-z)),
    "softmax": lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True),
    "exp": np.exp,
}

# Points away from relu's kink, where the central difference is exact enough.
Z = np.array([[-2.5, -0.7, 0.3, 1.9], [0.9, -1.3, 2.2, -0.1]])


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_hidden_forward_matches_reference(name):
    assert_allclose(get_activation(name)(Z), REFERENCES[name](Z), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(OUTPUT_ACTIVATIONS))
def test_output_forward_matches_reference(name):
    assert_allclose(get_output_activation(name)(Z), REFERENCES[name](Z), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_backward_matches_central_differences(name):
    """dA * f'(Z) equals the central difference of sum(dA * f(Z)) in Z."""
    activation = get_activation(name)
    dA = np.random.RandomState(0).standard_normal(Z.shape)
    expected = numerical_gradient(
        lambda z: float(np.sum(dA * activation(z.reshape(Z.shape)))), Z.ravel()
    ).reshape(Z.shape)
    A = activation(Z)
    got = activation.backward(Z, A, dA.copy())
    assert_allclose(got, expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_forward_in_place_keeps_dtype(name):
    Z32 = Z.astype(np.float32)
    out = get_activation(name).forward(Z32, Z32)
    assert out is Z32 and out.dtype == np.float32


def test_softmax_survives_large_logits():
    P = get_output_activation("softmax")(np.array([[1e4, 0.0, -1e4]]))
    assert_allclose(P, [[1.0, 0.0, 0.0]])


def test_sigmoid_is_an_alias_of_logistic():
    assert get_activation("sigmoid") is get_activation("logistic")


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match=r"Unknown activation 'swish'.*'relu'"):
        get_activation("swish")


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_extreme_inputs_stay_finite_and_silent(name):
    """No overflow or invalid value, and finite results, at |z| = 1e4."""
    activation = get_activation(name)
    for dtype in (np.float32, np.float64):
        Zx = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]], dtype=dtype)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            A = activation(Zx)
            dZ = activation.backward(Zx, A, np.ones_like(Zx))
        assert np.isfinite(A).all() and np.isfinite(dZ).all()
        assert A.dtype == dZ.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1.0, 300.0, 1e4])
def test_softmax_is_stable_on_both_paths(dtype, scale):
    """Small logits skip the row-maximum shift; large ones need it."""
    Z = (scale * np.random.RandomState(0).standard_normal((7, 4))).astype(dtype)
    shifted = Z.astype(np.float64) - Z.max(axis=1, keepdims=True)
    expected = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    with np.errstate(all="raise", under="ignore"):
        got = get_output_activation("softmax")(Z)
    assert got.dtype == dtype
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    assert_allclose(got, expected, rtol=rtol, atol=1e-30)
