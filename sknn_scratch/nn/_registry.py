"""One small lookup helper shared by every registry in :mod:`sknn_scratch.nn`."""


def lookup(registry: dict, name: str, kind: str, aliases: dict | None = None):
    """Return ``registry[name]``, resolving aliases, or raise a clear ``ValueError``.

    Parameters
    ----------
    registry : dict
        Canonical lower-snake-case keys mapped to their objects.
    name : str
        The name asked for.
    kind : str
        What the registry holds, used in the error message ("activation", ...).
    aliases : dict, default=None
        Alternative names mapped to canonical keys.

    Examples
    --------
    >>> lookup({"relu": 1}, "relu", "activation")
    1
    >>> lookup({"relu": 1}, "x", "activation")
    Traceback (most recent call last):
    ...
    ValueError: Unknown activation 'x'; expected one of ['relu']
    """
    key = (aliases or {}).get(name, name)
    try:
        return registry[key]
    except (KeyError, TypeError):
        choices = sorted(set(registry) | set(aliases or {}))
        raise ValueError(
            f"Unknown {kind} {name!r}; expected one of {choices}"
        ) from None


def registry(*objects) -> dict:
    """Key each object by its own ``name`` (a function by ``__name__``).

    Every registry is built this way, so that no key repeats its object's
    name by hand.

    Examples
    --------
    >>> def relu(): pass
    >>> list(registry(relu))
    ['relu']
    """
    return {getattr(obj, "name", None) or obj.__name__: obj for obj in objects}
