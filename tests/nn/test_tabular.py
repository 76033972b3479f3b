"""The tabular layers, the packed network and the recipe, against independent
references: central differences, closed forms and hand-derived updates."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sknn_scratch.nn.layers import Workspace
from sknn_scratch.nn.network import Network
from sknn_scratch.nn.recipe import (
    KINK_MARGIN,
    FactorAdam,
    Split,
    coslog4,
    data_init,
    fit_temperature,
    flat_cos,
    lr_factors,
)
from sknn_scratch.nn.tabular import (
    EnsembleAdapter,
    EnsembleHead,
    KeyedDropout,
    NTKDense,
    PackedNetwork,
    ParametricActivation,
    Scale,
    TabularEmbedding,
    mish,
    selu,
)

N_ROWS, CARDINALITIES = 9, (4, 6)


def _layers(k, ntk=True, parametric=True, n_frequencies=5, function="selu"):
    embedding = TabularEmbedding(3, 2, CARDINALITIES, n_frequencies, 2, 3)
    width = embedding.n_out
    layers = [embedding, Scale(width), NTKDense(width, 7, ntk)]
    if k > 1:  # after the first product, as the estimators place it
        layers.append(EnsembleAdapter(k, 7))
    return layers + [
        ParametricActivation(function, 7, parametric),
        KeyedDropout(0.3, 7),
        NTKDense(7, 5, ntk),
        ParametricActivation("mish", 5, parametric),
        EnsembleHead(k, 5, 3, ntk),
    ]


def _inputs(rng, n=N_ROWS):
    codes = [rng.randint(0, c, (n, 1)) for c in CARDINALITIES]
    return np.hstack([rng.standard_normal((n, 5)), *codes]).astype(float)


def _targets(rng, loss, n=N_ROWS):
    if loss == "log_loss":
        return 0.9 * np.eye(3)[rng.randint(0, 3, n)] + 0.1 / 3
    return rng.standard_normal((n, 3))


def _problem(k, loss, seed=0, **options):
    rng = np.random.RandomState(seed)
    net = PackedNetwork(_layers(k, **options), k, loss)
    params = net.init_params(rng) + 0.1 * rng.standard_normal(net.n_params)
    X, Y, w = _inputs(rng), _targets(rng, loss), rng.rand(N_ROWS)
    ws = Workspace(N_ROWS, np.float64)
    ws.row_keys = rng.randint(0, 2**32, N_ROWS * k, dtype=np.uint32)
    net.draw(ws, np.random.RandomState(1), N_ROWS * k)
    return net, params, X, Y, w, ws


def _central_differences(objective, params, h=1e-6):
    grad = np.empty_like(params)
    for i in range(params.size):
        step = np.zeros_like(params)
        step[i] = h
        grad[i] = (objective(params + step) - objective(params - step)) / (2 * h)
    return grad


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@pytest.mark.parametrize(
    "k, options",
    [
        (1, {}),
        (3, {}),
        (2, {"ntk": False}),
        (2, {"parametric": False}),
        (2, {"n_frequencies": 0, "function": "mish"}),
    ],
)
def test_packed_network_gradient_matches_central_differences(loss, k, options):
    # the objective is the mean of the members' weighted losses, dropout on
    net, params, X, Y, w, ws = _problem(k, loss, **options)
    loss, grad = net.loss_and_grad(params, X, Y, w, workspace=ws)

    def objective(p):
        return net.member_loss(Y, net.forward(p, X, ws), w)

    assert loss == pytest.approx(objective(params), rel=1e-12)

    numeric = _central_differences(objective, params)
    assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8 * np.abs(numeric).max())


def test_packed_loss_is_the_mean_of_the_members_losses():
    net, params, X, Y, w, _ = _problem(3, "log_loss")
    for layer in net.layers:
        if isinstance(layer, KeyedDropout):
            layer.rate = 0.0
    P = net.forward(params, X, Workspace(N_ROWS, np.float64))
    members = P.reshape(3, N_ROWS, -1)
    each = [net.loss.value(Y, members[m], w) for m in range(3)]
    assert net.member_loss(Y, P, w) == pytest.approx(np.mean(each), rel=1e-12)
    # and prediction averages the members' probabilities
    probabilities = net.members(params, X, logits=False)
    assert_allclose(net.predict(params, X), probabilities.mean(axis=0), rtol=1e-12)
    assert_allclose(probabilities[1], members[1], rtol=1e-12)


def test_an_adapter_at_the_input_has_the_right_gradient_too():
    rng = np.random.RandomState(5)
    layers = [Scale(4), EnsembleAdapter(3, 4), NTKDense(4, 6), EnsembleHead(3, 6, 2)]
    net = PackedNetwork(layers, 3, "log_loss")
    params = net.init_params(rng) + 0.1 * rng.standard_normal(net.n_params)
    X, Y = rng.standard_normal((5, 4)), np.eye(2)[rng.randint(0, 2, 5)]
    _, grad = net.outputs_and_grad(params, X, Y)

    def objective(p):
        return net.member_loss(Y, net.forward(p, X), None)

    assert_allclose(grad, _central_differences(objective, params), rtol=1e-6)


def test_one_member_without_adapter_is_a_plain_network():
    net, params, X, *_ = _problem(1, "squared_error")
    assert not any(isinstance(layer, EnsembleAdapter) for layer in net.layers)
    assert net.predict(params, X).shape == (N_ROWS, 3)


@pytest.mark.parametrize("function", [selu, mish])
def test_activation_derivatives_match_central_differences(function):
    z = np.linspace(-25, 25, 20001)
    z = z[np.abs(z) > 1e-4]  # SELU has a kink at 0
    _, derivative = function(z)
    h = 1e-6
    numeric = (function(z + h)[0] - function(z - h)[0]) / (2 * h)
    assert_allclose(derivative, numeric, rtol=1e-6, atol=1e-8)


def test_activations_match_their_definitions():
    z = np.linspace(-40, 40, 4001)
    lam, alpha = 1.0507009873554805, 1.6732632423543772
    expected = np.where(z > 0, lam * z, lam * alpha * np.expm1(z))
    assert_allclose(selu(z)[0], expected, rtol=1e-13, atol=1e-15)
    assert_allclose(mish(z)[0], z * np.tanh(np.logaddexp(0, z)), rtol=1e-12, atol=1e-15)


def test_parametric_activation_blends_with_the_identity():
    layer = ParametricActivation("selu", 4)
    net = Network([layer])
    params = np.array([0.0, 0.5, 1.0, 2.0])
    Z = np.random.RandomState(0).standard_normal((6, 4))
    expected = Z + params * (selu(Z)[0] - Z)
    assert_allclose(net.predict(params, Z, logits=True), expected, rtol=1e-13)


def test_keyed_dropout_gives_equal_rows_equal_masks():
    layer, n = KeyedDropout(0.25, 5000), 6
    ws = Workspace(n, np.float64)
    ws.row_keys = np.array([7, 9, 7, 11, 9, 7], dtype=np.uint32)
    layer.draw(ws, np.random.RandomState(0), n)
    mask = ws.masks[layer]
    assert_allclose(mask[0], mask[2])
    assert_allclose(mask[1], mask[4])
    assert not np.array_equal(mask[0], mask[1])
    # each unit is kept with probability 1 - p and scaled by 1 / (1 - p)
    assert set(np.unique(mask)) == {0.0, 1.0 / 0.75}
    assert (mask[[0, 1, 3]] == 0).mean() == pytest.approx(0.25, abs=0.015)
    # independent across the units of one row: neighbouring units agree as
    # often as independent draws would
    kept = mask[0] > 0
    assert (kept[1:] == kept[:-1]).mean() == pytest.approx(0.625, abs=0.03)


def test_keyed_dropout_draws_new_masks_each_step():
    layer, ws = KeyedDropout(0.5, 64), Workspace(2, np.float64)
    ws.row_keys = np.array([3, 4], dtype=np.uint32)
    rng = np.random.RandomState(0)
    layer.draw(ws, rng, 2)
    first = ws.masks[layer].copy()
    layer.draw(ws, rng, 2)
    assert not np.array_equal(first, ws.masks[layer])


def test_coslog4_has_four_cycles_on_a_log_axis():
    assert coslog4(0.0) == pytest.approx(0.0, abs=1e-15)
    assert coslog4(1.0) == pytest.approx(0.0, abs=1e-15)
    for cycle in range(4):  # peaks where log2(1 + 15 t) = cycle + 1/2
        t = (2 ** (cycle + 0.5) - 1) / 15
        assert coslog4(t) == pytest.approx(1.0, abs=1e-12)
        assert coslog4((2 ** (cycle + 1) - 1) / 15) == pytest.approx(0.0, abs=1e-12)


def test_flat_cos_is_flat_then_a_half_cosine():
    assert [flat_cos(t) for t in (0.0, 0.25, 0.5)] == [1.0, 1.0, 1.0]
    assert flat_cos(0.75) == pytest.approx(0.5, abs=1e-12)
    assert flat_cos(1.0) == pytest.approx(0.0, abs=1e-12)


def test_factor_adam_matches_a_hand_derived_update():
    params = np.array([1.0, -2.0, 0.5])
    factors = np.array([1.0, 6.0, 0.1])
    adam = FactorAdam(factors, n_decayed=1, beta_1=0.9, beta_2=0.95, eps=1e-8)
    g1, g2, lr, wd = np.array([0.2, -0.1, 0.4]), np.array([0.1, 0.3, -0.2]), 0.04, 0.02
    expected = params.copy()
    m = v = np.zeros(3)
    for t, g in enumerate((g1, g2), start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.95 * v + 0.05 * g * g
        step = lr * factors * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.95**t)) + 1e-8)
        expected[0] *= 1 - lr * wd  # decoupled decay on the decayed prefix
        expected -= step
        adam.step(params, g, lr, wd)
    assert_allclose(params, expected, rtol=1e-14)


def test_lr_factors_follow_the_blocks():
    net = PackedNetwork(_layers(2), 2, "log_loss")
    factors = lr_factors(net)
    for layer, parts in zip(net.layers, net.params_layout.by_layer, strict=True):
        for block, part in zip(layer.parameters(), parts, strict=True):
            assert np.all(factors[part] == block.lr_factor)
    assert {6.0, 0.1, 1.0} <= set(np.unique(factors))


def test_data_init_puts_each_unit_at_its_kink_on_one_row():
    rng = np.random.RandomState(0)
    net = PackedNetwork(_layers(2), 2, "log_loss")
    params = net.init_params(rng)
    X = _inputs(rng, n=4)
    data_init(net, params, X)
    A = X
    for layer in net.layers:
        A = layer.infer(params, A, None)
        if isinstance(layer, NTKDense):
            units = np.arange(layer.n_out)
            assert_allclose(A[units % A.shape[0], units], KINK_MARGIN, rtol=1e-9)
    # the output layer's biases stay at 0
    assert_allclose(net.unpack(params)["head_intercepts_"][0], 0.0)


def _penalized_temperature_objective(net, params, split, log_t, prior_scale):
    Z = net.members(params, split.X)
    logits = Z / np.exp(log_t)
    P = np.exp(logits - logits.max(axis=-1, keepdims=True))
    P /= P.sum(axis=-1, keepdims=True)
    eps = np.finfo(float).eps  # the package's clipping of probabilities
    loss = -np.mean(np.log(np.clip(P.mean(axis=0)[split.Y], eps, 1 - eps)))
    return loss + log_t**2 / (2 * prior_scale**2 * split.X.shape[0])


def test_fit_temperature_minimizes_the_penalized_validation_loss():
    rng = np.random.RandomState(3)
    net = PackedNetwork(_layers(2), 2, "log_loss")
    params = net.init_params(rng)
    net.unpack(params)["head_coefs_"][0][...] *= 20.0  # over-confident logits
    X = _inputs(rng, n=200)
    split = Split(X, np.eye(3, dtype=bool)[rng.randint(0, 3, 200)])
    T = fit_temperature(net, params, split, prior_scale=0.25)
    grid = np.linspace(-2, 2, 4001)
    values = [
        _penalized_temperature_objective(net, params, split, g, 0.25) for g in grid
    ]
    assert np.log(T) == pytest.approx(grid[np.argmin(values)], abs=2e-3)
    assert T > 1.0  # random labels: the fitted temperature softens


def test_temperature_prior_keeps_a_separable_validation_set_sane():
    # every validation row right: without the prior, T would go to its bound
    rng = np.random.RandomState(0)
    net = PackedNetwork(_layers(1), 1, "log_loss")
    params = net.init_params(rng)
    X = _inputs(rng, n=30)
    Y = np.eye(3, dtype=bool)[net.predict(params, X).argmax(axis=1)]
    T = fit_temperature(net, params, Split(X, Y), prior_scale=0.25)
    assert np.exp(-2) < T < 1.0
    assert T > 0.3


def test_the_unknown_level_starts_at_zero_and_gets_no_gradient_from_known_codes():
    rng = np.random.RandomState(0)
    net = PackedNetwork(_layers(1), 1, "squared_error")
    params = net.init_params(rng)
    table = net.unpack(params)["embeddings_"][0]
    offsets = np.cumsum((0, *CARDINALITIES[:-1]))
    assert_allclose(table[offsets], 0.0)
    assert np.all(np.abs(np.delete(table, offsets, axis=0)) > 0)
    X = _inputs(rng)
    X[:, -2:] = np.maximum(X[:, -2:], 1)  # known levels only
    ws = Workspace(N_ROWS, np.float64)
    net.draw(ws, rng, N_ROWS)
    Y = _targets(rng, "squared_error")
    _, grad = net.outputs_and_grad(params, X, Y, workspace=ws)
    assert_allclose(net.unpack(grad)["embeddings_"][0][offsets], 0.0)
