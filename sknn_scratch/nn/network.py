r"""A stack of dense layers over one flat parameter vector.

Layout
------
All trainable values live in one contiguous 1-D array ``params``: first every
layer's weight matrix (row-major), then every layer's bias vector. The
gradient has the same layout. ``unpack`` returns views, so updating ``params``
updates every layer at once, and the L2 penalty is one dot product over the
leading ``n_weights`` entries.

Forward
-------
With :math:`A_0 = X` and layers :math:`l = 1, \dots, L`:

.. math::

    Z_l = A_{l-1} W_l + b_l, \qquad A_l = f_l(Z_l),

where :math:`f_L` is the loss's canonical output activation.

Backward
--------
The objective minimized is the weighted mean loss plus an L2 penalty on the
weights (not the biases), both divided by the weight sum :math:`S = \sum_i w_i`:

.. math::

    J = \frac{1}{S} \left( \sum_i w_i \ell_i
        + \frac{\alpha}{2} \sum_l \lVert W_l \rVert_F^2 \right).

Writing :math:`\Delta_l = S\,\partial J / \partial Z_l` (per-sample weighted
deltas), the output delta comes from the loss, :math:`\Delta_L = w \odot
\partial \ell / \partial Z_L`, and backpropagation gives

.. math::

    \frac{\partial J}{\partial W_l} = \frac{A_{l-1}^\top \Delta_l + \alpha W_l}{S},
    \qquad
    \frac{\partial J}{\partial b_l} = \frac{\mathbf{1}^\top \Delta_l}{S},
    \qquad
    \Delta_{l-1} = (\Delta_l W_l^\top) \odot f_{l-1}'(Z_{l-1}).
"""

from itertools import pairwise

import numpy as np

from .activations import get_activation, get_output_activation
from .initializers import get_initializer
from .losses import get_loss


def _matmul_into(A, W, out):
    """Write ``A @ W`` into ``out``; ``A`` may be a scipy sparse matrix."""
    if isinstance(A, np.ndarray):
        return np.matmul(A, W, out=out)
    out[...] = A @ W
    return out


class Workspace:
    """Per-layer buffers for batches of up to ``n_rows`` samples.

    One workspace is made per ``fit`` and reused for every minibatch, so a
    training step allocates nothing for its activations and deltas. Never share
    one between threads.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input first.
    n_rows : int
        The largest batch the buffers must hold.
    dtype : dtype
        The floating dtype of the computation.
    """

    def __init__(self, layer_sizes, n_rows, dtype):
        self.n_rows = n_rows
        self.activations = [np.empty((n_rows, k), dtype) for k in layer_sizes[1:]]
        self.deltas = [np.empty((n_rows, k), dtype) for k in layer_sizes[1:]]

    def rows(self, n):
        """Return views of the activation and delta buffers for ``n`` rows."""
        return [a[:n] for a in self.activations], [d[:n] for d in self.deltas]


class Network:
    """A multilayer perceptron whose parameters are one flat vector.

    The network holds no parameters itself: every method takes ``params``, so
    one network can serve scipy's solvers, the minibatch loop and prediction.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer: input features, each hidden layer, outputs.
    activation : str, default="relu"
        Hidden-layer activation, a key of
        :data:`~sknn_scratch.nn.activations.ACTIVATIONS`.
    loss : str, default="squared_error"
        A key of :data:`~sknn_scratch.nn.losses.LOSSES`. It also fixes the output
        activation.
    initializer : str, default="glorot_uniform"
        A key of :data:`~sknn_scratch.nn.initializers.INITIALIZERS`.

    Examples
    --------
    >>> import numpy as np
    >>> net = Network([3, 4, 2], activation="tanh", loss="log_loss")
    >>> net.n_params
    26
    >>> params = net.init_params(np.random.RandomState(0))
    >>> net.predict(params, np.ones((5, 3))).sum(axis=1)
    array([1., 1., 1., 1., 1.])
    """

    def __init__(
        self,
        layer_sizes,
        activation="relu",
        loss="squared_error",
        initializer="glorot_uniform",
    ):
        self.layer_sizes = tuple(int(k) for k in layer_sizes)
        self.activation = get_activation(activation)
        self.loss = get_loss(loss)
        self.output_activation = get_output_activation(self.loss.output_activation)
        self.initializer = get_initializer(initializer)
        self.shapes = list(pairwise(self.layer_sizes))
        self.n_weights = sum(m * n for m, n in self.shapes)
        self.n_params = self.n_weights + sum(self.layer_sizes[1:])

    @property
    def n_layers(self) -> int:
        """The number of dense layers (weight matrices)."""
        return len(self.shapes)

    def unpack(self, params):
        """Return views ``(coefs, intercepts)`` of each layer's ``W`` and ``b``."""
        coefs, intercepts = [], []
        start = 0
        for m, n in self.shapes:
            coefs.append(params[start : start + m * n].reshape(m, n))
            start += m * n
        for _, n in self.shapes:
            intercepts.append(params[start : start + n])
            start += n
        return coefs, intercepts

    def pack(self, coefs, intercepts, dtype=None):
        """Return a new flat vector holding ``coefs`` and ``intercepts``."""
        dtype = dtype or np.result_type(*coefs, *intercepts)
        params = np.empty(self.n_params, dtype=dtype)
        for view, value in zip(
            sum(self.unpack(params), []), [*coefs, *intercepts], strict=True
        ):
            view[...] = value
        return params

    def init_params(self, rng, dtype=np.float64):
        """Return freshly initialized parameters, layer by layer: ``W`` then ``b``.

        Parameters
        ----------
        rng : numpy.random.RandomState
            The source of randomness.
        dtype : dtype, default=np.float64
            The dtype of the returned vector.
        """
        params = np.empty(self.n_params, dtype=dtype)
        for W, b in zip(*self.unpack(params), strict=True):
            self.initializer(rng, W, b, self.activation.name)
        return params

    def forward(self, params, X, out=None):
        """Run the forward pass and return every layer's output activation.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            The flat parameter vector.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            The input batch.
        out : list of ndarray, default=None
            One buffer per layer with ``n_samples`` rows. ``None`` allocates new
            arrays, which keeps concurrent calls independent.

        Returns
        -------
        activations : list of ndarray
            :math:`A_1, \\dots, A_L`; the last is the network's prediction.
        """
        coefs, intercepts = self.unpack(params)
        if out is None:
            out = [np.empty((X.shape[0], n), params.dtype) for _, n in self.shapes]
        A = X
        layers = zip(coefs, intercepts, out, strict=True)
        for i, (W, b, Z) in enumerate(layers):
            _matmul_into(A, W, Z)
            Z += b
            last = i == self.n_layers - 1
            (self.output_activation if last else self.activation).forward(Z, Z)
            A = Z
        return out

    def predict(self, params, X):
        """Return the output activations for ``X`` (probabilities, values...)."""
        return self.forward(params, X)[-1]

    def loss_and_grad(
        self, params, X, Y, sample_weight=None, alpha=0.0, grad=None, workspace=None
    ):
        """Return the objective :math:`J` and its gradient with respect to ``params``.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            The flat parameter vector.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            The input batch.
        Y : ndarray of shape (n_samples, n_outputs)
            Targets in the dtype of ``params``.
        sample_weight : ndarray of shape (n_samples,), default=None
            Per-sample weights; ``None`` weighs every sample by one.
        alpha : float, default=0.0
            L2 penalty on the weights.
        grad : ndarray of shape (n_params,), default=None
            Where to write the gradient; allocated if ``None``.
        workspace : Workspace, default=None
            Buffers to reuse; allocated if ``None``.

        Returns
        -------
        loss : float
            The objective, penalty included.
        grad : ndarray of shape (n_params,)
            Its gradient, in the same layout as ``params``.
        """
        n = X.shape[0]
        if workspace is None:
            workspace = Workspace(self.layer_sizes, n, params.dtype)
        if grad is None:
            grad = np.empty_like(params)
        activations, deltas = workspace.rows(n)
        self.forward(params, X, out=activations)
        weight_sum = n if sample_weight is None else float(sample_weight.sum())

        loss = self.loss.value(Y, activations[-1], sample_weight)
        weights = params[: self.n_weights]
        loss += 0.5 * alpha * float(np.dot(weights, weights)) / weight_sum

        delta = self.loss.delta(Y, activations[-1], out=deltas[-1])
        if sample_weight is not None:
            delta *= sample_weight[:, np.newaxis]
        self._backward(params, X, activations, deltas, alpha, weight_sum, grad)
        return loss, grad

    def _backward(self, params, X, activations, deltas, alpha, weight_sum, grad):
        """Backpropagate the output delta ``deltas[-1]`` and fill ``grad``."""
        coefs, _ = self.unpack(params)
        coef_grads, intercept_grads = self.unpack(grad)
        for i in range(self.n_layers - 1, -1, -1):
            A_prev = X if i == 0 else activations[i - 1]
            _matmul_into(A_prev.T, deltas[i], coef_grads[i])
            if alpha:
                coef_grads[i] += alpha * coefs[i]
            coef_grads[i] /= weight_sum
            np.sum(deltas[i], axis=0, out=intercept_grads[i])
            intercept_grads[i] /= weight_sum
            if i > 0:
                np.matmul(deltas[i], coefs[i].T, out=deltas[i - 1])
                self.activation.backward(None, activations[i - 1], deltas[i - 1])
        return grad
