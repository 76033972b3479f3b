"""Where are the weights? The flat vectors behind an estimator's fitted arrays.

A fitted estimator keeps all its weights in two flat vectors, ``_params`` and
``_stats``, laid out by its network (:class:`~sknn_scratch.nn.network.Layout`).
Its per-layer fitted attributes (``coefs_[i]``, ``intercepts_[i]``,
``gammas_[i]``, ...) are views into them. :class:`Binding` is the one owner
of that relation:

- :func:`bind` makes two vectors the estimator's and points the attributes at
  views of them;
- :meth:`Binding.vectors` answers, on every prediction, which vectors the
  attributes stand for: the bound ones while the user has not replaced any
  array (an identity check), or new vectors packed from the arrays the user
  assigned, as sklearn's MLP lets users assign ``coefs_``;
- :meth:`Binding.copies` gives copies for callbacks and pickles.
"""

import operator

import numpy as np

__all__ = ["Binding", "bind"]


class Binding:
    """The layout of an estimator's flat vectors and the arrays bound to them.

    Parameters
    ----------
    network : Network
        Any network with the fitted layout (its ``params_layout`` and
        ``stats_layout``).
    names : tuple of str
        Every per-layer attribute the estimator exposes, present in this
        network or not (absent ones are empty lists).
    bound : list of ndarray
        The arrays last bound, in the order of ``names``.
    """

    def __init__(self, network, names, bound):
        self.network, self.names, self.bound = network, names, bound

    def arrays(self, owner):
        """The owner's per-layer arrays, flattened; None if not all lists."""
        try:
            return [a for name in self.names for a in getattr(owner, name)]
        except TypeError:
            return None

    def vectors(self, owner):
        """Return the ``(params, stats)`` that the owner's attributes stand for.

        While every attribute holds the very arrays last bound, these are the
        owner's ``_params`` and ``_stats``. Otherwise new vectors are packed
        from the attributes, which must have the fitted shapes; the owner is
        not modified.
        """
        arrays = self.arrays(owner)
        if arrays is not None and len(arrays) == len(self.bound):
            if all(map(operator.is_, arrays, self.bound)):
                return owner._params, owner._stats
        groups = {name: getattr(owner, name) for name in self.names}
        _check_assigned(groups, self.expected_shapes())
        dtype = np.result_type(*[a for name in self.names for a in groups[name]])
        return self.network.pack(groups, dtype)

    def expected_shapes(self):
        """``{attribute: [shape, ...]}`` of the fitted layout, every name."""
        shapes = {name: [] for name in self.names}
        shapes.update(self.network.params_layout.shapes())
        shapes.update(self.network.stats_layout.shapes())
        return shapes

    def views(self, params, stats):
        """``{attribute: [view, ...]}`` of two vectors, every name."""
        views = {name: [] for name in self.names}
        views.update(self.network.unpack(params))
        views.update(self.network.unpack_stats(stats))
        return views

    def copies(self, owner):
        """Copies of the flat vectors and views of them, for a snapshot."""
        params, stats = (v.copy() for v in self.vectors(owner))
        return {"_params": params, "_stats": stats, **self.views(params, stats)}


def bind(owner, network, names, params, stats):
    """Make ``params`` and ``stats`` the owner's, with its attributes views.

    ``names`` are the attributes the owner always has (empty lists when its
    network lacks them); any other attribute of the network's layout is
    bound too.
    """
    layouts = (network.params_layout, network.stats_layout)
    names = tuple(
        dict.fromkeys((*names, *(n for lay in layouts for n in lay.attributes)))
    )
    owner._params, owner._stats = params, stats
    views = Binding(network, names, []).views(params, stats)
    for name in names:
        setattr(owner, name, views[name])
    owner._binding = Binding(network, names, [a for n in names for a in views[n]])


def _check_assigned(groups, expected):
    """Refuse assigned attributes that are not the fitted shapes, naming them."""
    for name, shapes in expected.items():
        group = groups[name]
        if not isinstance(group, (list, tuple)) or not all(
            isinstance(a, np.ndarray) and a.dtype.kind in "fiu" for a in group
        ):
            raise TypeError(f"{name} must be a list of real-valued NumPy arrays.")
        if [a.shape for a in group] != shapes:
            raise ValueError(
                f"{name} must have the fitted shapes {shapes}; got "
                f"{[a.shape for a in group]}. To change the architecture, set "
                "hidden_layer_sizes (or batch_norm) and fit again."
            )
