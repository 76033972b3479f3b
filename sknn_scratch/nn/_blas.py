"""In-place vector updates through BLAS level 1.

``y += a * x`` written as ``np.multiply`` into a scratch vector and then an
``np.add`` reads and writes memory twice and needs the scratch vector. BLAS
``axpy`` does it in one pass, in place, and BLAS may split a long vector over
its threads. The optimizers and the L2 penalty use these for whole-vector
updates. The result can differ from the two-step NumPy form in the last bit,
because BLAS may fuse the multiply and the add.
"""

import numpy as np
from scipy.linalg import blas

_ROUTINES = {}


def _routine(name, array):
    """Look up the BLAS routine for ``array``'s dtype, refusing other dtypes.

    f2py would convert an array of another dtype to a temporary copy, update
    the copy and drop it: the caller's array would silently stay unchanged.
    """
    if array.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"BLAS {name} updates float32 or float64 vectors in place; got "
            f"{array.dtype}."
        )
    key = name + array.dtype.str
    routine = _ROUTINES.get(key)
    if routine is None:
        routine = _ROUTINES[key] = blas.get_blas_funcs(name, (array,))
    return routine


def _check_writeable(array):
    # f2py writes through a read-only buffer (a memory map opened with
    # mode "r" crashes the interpreter), so refuse it here.
    if not array.flags.writeable:
        raise ValueError("BLAS cannot update a read-only array in place.")


# OpenBLAS splits an axpy over its threads above 10000 entries. NumPy and
# SciPy wheels each bundle their own OpenBLAS, so those threads would compete
# with NumPy's (which keep spinning after every matrix product) for the same
# cores: measured 60x slower on 2 cores. Chunks of CHUNK entries stay on the
# calling thread.
CHUNK = 8192


def axpy(a, x, y):
    """Set ``y += a * x`` in place; ``x`` and ``y`` are 1-D of one float dtype.

    ``y`` must be a writeable float32 or float64 vector: anything else raises,
    because BLAS would update a copy and leave ``y`` unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([1.0, 2.0])
    >>> axpy(0.5, np.array([2.0, 4.0]), y)
    >>> y
    array([2., 4.])
    """
    routine = _ROUTINES.get("axpy" + y.dtype.str) or _routine("axpy", y)
    flags = y.flags
    if not flags.writeable:
        _check_writeable(y)
    if y.shape[0] <= CHUNK and flags.c_contiguous:
        routine(x, y, a=a)
        return
    for start in range(0, y.shape[0], CHUNK):
        part = y[start : start + CHUNK]
        result = routine(x[start : start + CHUNK], part, a=a)
        if result is not part:  # f2py worked on a copy (non-contiguous y)
            part[...] = result


def scal(a, x):
    """Set ``x *= a`` in place; ``x`` is a writeable float32 or float64 vector.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0])
    >>> scal(3.0, x)
    >>> x
    array([3., 6.])
    """
    routine = _ROUTINES.get("scal" + x.dtype.str) or _routine("scal", x)
    flags = x.flags
    if not flags.writeable:
        _check_writeable(x)
    if x.shape[0] <= CHUNK and flags.c_contiguous:
        routine(a, x)
        return
    for start in range(0, x.shape[0], CHUNK):
        part = x[start : start + CHUNK]
        result = routine(a, part)
        if result is not part:
            part[...] = result
