"""The code of the user guide's page "Adding a layer".

``docs/user_guide/adding_a_layer.rst`` shows this module's code with
``literalinclude``: the :class:`LayerNorm` class, and the steps of each test
between ``# [name]`` and ``# [/name]`` marker comments. What the page shows is
what runs here, so the page cannot drift from the package's layer interface.
A renamed marker or class fails the documentation build (``-W``), which
cannot find what to include.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknn_scratch.nn.gradcheck import numerical_gradient, relative_error
from sknn_scratch.nn.layers import LAYERS, Block, Layer, Pass, Workspace
from sknn_scratch.nn.network import Network, mlp_layers
from sknn_scratch.nn.optimizers import get_optimizer
from sknn_scratch.nn.schedules import get_schedule
from sknn_scratch.nn.training import (
    EpochObserver,
    MinibatchTrainer,
    StoppingMonitor,
    fit_loop,
)


class LayerNorm(Layer):
    r"""Layer normalization (Ba, Kiros and Hinton, 2016).

    Each row is normalized over its own features, then scaled and shifted by
    a learnable gain :math:`\gamma` and bias :math:`\beta` per feature:

    .. math::

        \mu_i = \frac{1}{m} \sum_j z_{ij}, \quad
        \sigma_i^2 = \frac{1}{m} \sum_j (z_{ij} - \mu_i)^2, \quad
        \hat z_{ij} = \frac{z_{ij} - \mu_i}{\sqrt{\sigma_i^2 + \varepsilon}},
        \quad
        y_{ij} = \gamma_j \hat z_{ij} + \beta_j.

    A row needs no other row, so training and prediction compute the same
    thing, and there are no running statistics.

    Parameters
    ----------
    width : int
        :math:`m`, the number of features normalized.
    """

    name = "layer_norm"
    eps = 1e-5

    def __init__(self, width):
        self.width = int(width)

    def parameters(self):
        """``ln_gains_`` (start 1) and ``ln_biases_`` (start 0)."""
        return (
            Block("ln_gains_", (self.width,), start=1.0),
            Block("ln_biases_", (self.width,), start=0.0),
        )

    def spec(self):
        """``("layer_norm", width)``."""
        return (self.name, self.width)

    def forward(self, params, Z, ws, ctx):
        """Normalize each row; keep :math:`\\hat z` and :math:`1/s` for backward."""
        gain, bias = self.views(params)
        z_hat = ws.buffer((self, "z_hat"), *Z.shape)
        inv_std = self._normalize(Z, z_hat)
        Y = ws.buffer(self, *Z.shape)
        np.multiply(z_hat, gain, out=Y)
        Y += bias
        ws.cache[self] = (z_hat, inv_std)
        return Y

    def infer(self, params, Z, stats):
        """Return a new array: the same computation, without a workspace."""
        gain, bias = self.views(params)
        Y = np.empty_like(Z)
        self._normalize(Z, Y)
        Y *= gain
        Y += bias
        return Y

    def _normalize(self, Z, out):
        """Write :math:`\\hat z` into ``out``; return :math:`1/s` as a column."""
        np.subtract(Z, Z.mean(axis=1, keepdims=True), out=out)
        variance = np.mean(out * out, axis=1, keepdims=True)
        inv_std = 1.0 / np.sqrt(variance + self.eps)
        out *= inv_std
        return inv_std

    def backward(self, params, grad, dY, ws, ctx, need_input_grad=True):
        r"""Fill the gains' and biases' gradients; return the input's.

        With :math:`G = \gamma \odot dY`, row by row,
        :math:`dZ = (G - \overline{G} - \hat z\, \overline{G \hat z}) / s`,
        where the bars are means over the row. ``dY`` is used as scratch.
        """
        gain, _ = self.views(params)
        d_gain, d_bias = self.views(grad)
        z_hat, inv_std = ws.cache[self]
        np.sum(dY * z_hat, axis=0, out=d_gain)
        np.sum(dY, axis=0, out=d_bias)
        if not need_input_grad:
            return None
        G = np.multiply(dY, gain, out=dY)
        dZ = ws.buffer((self, "dZ"), *dY.shape)
        np.multiply(z_hat, np.mean(G * z_hat, axis=1, keepdims=True), out=dZ)
        dZ += np.mean(G, axis=1, keepdims=True)
        np.subtract(G, dZ, out=dZ)
        dZ *= inv_std
        return dZ


class LossCurve(EpochObserver):
    """Keeps each epoch's training loss; never asks to stop."""

    def __init__(self):
        self.losses = []

    def end_epoch(self, loss, plateau):
        """Record the epoch's loss."""
        self.losses.append(loss)
        return False


def build_network():
    """The page's network: 4 inputs, a hidden layer of 8 with LayerNorm, 3 classes."""
    # [build]
    layers = mlp_layers([4, 8, 3], "tanh")
    layers.insert(1, LayerNorm(8))  # Dense(4, 8), LayerNorm(8), tanh, Dense(8, 3)
    net = Network(layers, "log_loss")
    # [/build]
    return net


def small_problem(n_samples=9, seed=0):
    """A float64 network, parameters away from their start values, and data."""
    rng = np.random.RandomState(seed)
    net = build_network()
    # [params]
    params = net.init_params(rng)
    blocks = net.unpack(params)  # {"coefs_": [...], "ln_gains_": [...], ...}: views
    blocks["ln_gains_"][0][...] = rng.uniform(0.5, 1.5, 8)
    blocks["ln_biases_"][0][...] = rng.uniform(-0.5, 0.5, 8)
    # [/params]
    X = rng.standard_normal((n_samples, 4))
    Y = np.eye(3)[rng.randint(3, size=n_samples)]
    return net, params, X, Y, rng


def test_layout_puts_the_layer_norm_blocks_after_the_dense_biases():
    net = build_network()
    # [layout]
    layout = [
        (attribute, layer) for attribute, layer, _, _ in net.params_layout.entries
    ]
    assert layout == [
        ("coefs_", 0),  # decayed blocks first: all the weights are params[:n_weights]
        ("coefs_", 3),
        ("intercepts_", 0),
        ("intercepts_", 3),
        ("ln_gains_", 1),
        ("ln_biases_", 1),
    ]
    assert net.n_weights == 4 * 8 + 8 * 3
    assert net.n_params == net.n_weights + 8 + 3 + 8 + 8
    assert net.n_stats == 0  # no running statistics
    # [/layout]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_gradient_matches_central_differences(weighted):
    net, params, X, Y, rng = small_problem()
    # [gradcheck]
    sample_weight = rng.uniform(0.1, 3.0, X.shape[0]) if weighted else None

    def objective(p):
        return net.loss_and_grad(p, X, Y, sample_weight, alpha=0.1)[0]

    _, analytic = net.loss_and_grad(params, X, Y, sample_weight, alpha=0.1)
    numeric = numerical_gradient(objective, params)
    assert relative_error(analytic, numeric) < 1e-6
    for name, part in net.params_layout.named_slices():  # "ln_gains_[0]", ...
        assert relative_error(analytic[part], numeric[part]) < 1e-6, name
    # [/gradcheck]


class NaiveLayerNorm(LayerNorm):
    """A plausible slip: the input's gradient as if :math:`\\mu` and :math:`s`
    did not depend on the input."""

    def backward(self, params, grad, dY, ws, ctx, need_input_grad=True):
        """Fill the gains' and biases' gradients; return :math:`\\gamma\\,dY / s`."""
        gain, _ = self.views(params)
        _, inv_std = ws.cache[self]
        dZ = dY * gain * inv_std
        super().backward(params, grad, dY, ws, ctx, need_input_grad=False)
        return dZ


def test_gradient_check_finds_a_wrong_backward():
    _, params, X, Y, _ = small_problem()
    layers = mlp_layers([4, 8, 3], "tanh")
    layers.insert(1, NaiveLayerNorm(8))
    net = Network(layers, "log_loss")
    # [broken]
    _, analytic = net.loss_and_grad(params, X, Y)
    numeric = numerical_gradient(lambda p: net.loss_and_grad(p, X, Y)[0], params)
    assert relative_error(analytic, numeric) > 1e-2
    wrong = {
        name
        for name, part in net.params_layout.named_slices()
        if relative_error(analytic[part], numeric[part]) > 1e-6
    }
    assert wrong == {"coefs_[0]", "intercepts_[0]"}  # the blocks below the layer
    # [/broken]


def test_prediction_equals_the_training_pass():
    net, params, X, _, _ = small_problem()
    # [predict]
    P_train = net.forward(params, X)  # forward: workspace buffers and caches
    P_infer = net.predict(params, X)  # infer: new arrays, no workspace
    assert_allclose(P_infer, P_train, rtol=1e-12)
    # a row is normalized by itself: predicting it alone changes nothing
    assert_allclose(net.predict(params, X[:1]), P_infer[:1], rtol=1e-12)
    # [/predict]


def test_the_layer_alone_infers_what_it_trains_and_keeps_its_input():
    _, params, _, _, rng = small_problem()
    layer = build_network().layers[1]
    Z = rng.standard_normal((5, 8))
    Z_before = Z.copy()
    trained = layer.forward(params, Z, Workspace(5, Z.dtype), Pass())
    assert_array_equal(Z, Z_before)
    assert_allclose(layer.infer(params, Z, None), trained, rtol=1e-12)
    assert_array_equal(Z, Z_before)


def test_training_lowers_the_loss():
    rng = np.random.RandomState(0)
    centers = 2.0 * rng.standard_normal((3, 4))
    labels = rng.randint(3, size=150)
    X = centers[labels] + rng.standard_normal((150, 4))
    Y = np.eye(3)[labels]
    # [train]
    net = build_network()
    params = net.init_params(rng)
    optimizer = get_optimizer("adam")
    optimizer.init_state(params, net.n_weights)
    schedule = get_schedule("constant", learning_rate_init=0.01)
    trainer = MinibatchTrainer(
        net, params, optimizer, schedule, X, Y, None,
        alpha=1e-4, batch_size=25, shuffle=True, rng=rng,
    )  # fmt: skip
    curve = LossCurve()
    monitor = StoppingMonitor(tol=0.0, patience=np.inf)  # never stops early
    reason = fit_loop(trainer, monitor, 40, curve)
    # [/train]
    assert reason == "max_epochs"
    assert len(curve.losses) == 40
    assert curve.losses[-1] < 0.1 * curve.losses[0]
    accuracy = np.mean(net.predict(params, X).argmax(axis=1) == labels)
    assert accuracy > 0.8


def test_network_rebuilds_from_its_spec_once_the_layer_is_registered(monkeypatch):
    net, params, X, _, _ = small_problem()
    # [spec]
    assert net.spec == (
        ("dense", 4, 8),
        ("layer_norm", 8),
        ("activation", "tanh"),
        ("dense", 8, 3),
    )
    with pytest.raises(ValueError, match="Unknown layer .layer_norm."):
        Network.from_spec(net.spec, "log_loss")
    # [/spec]
    monkeypatch.setitem(LAYERS, LayerNorm.name, LayerNorm)  # as if registered
    rebuilt = Network.from_spec(net.spec, "log_loss")
    assert rebuilt.spec == net.spec
    assert_array_equal(rebuilt.predict(params, X), net.predict(params, X))
