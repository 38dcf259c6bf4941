"""Boundary modes of ``scipy.ndimage`` as one index map, and the checks shared by the filters.

Every filter of :mod:`kronblock.filters` reads the signal ``x`` (length ``n``)
at integer positions ``j`` that may lie outside ``[0, n)``.  Which sample
``scipy.ndimage`` uses there is a function of ``j``, ``n`` and the mode only,
:func:`extend_index`; the convolution matrices, the border terms of
``mode="constant"`` and the fast separable filter are all built from it.

With ``x = (a b c d)`` (``n = 4``) the modes extend as (``scipy.ndimage``
filter conventions; the ``grid-`` names are aliases for filters):

- ``"reflect"`` (alias ``"grid-mirror"``): ``d c b a | a b c d | d c b a``,
  half-sample symmetric, period ``2n``;
- ``"mirror"``: ``d c b | a b c d | c b a``, whole-sample symmetric, period
  ``2n − 2`` (``n ≥ 2``);
- ``"nearest"``: ``a a a | a b c d | d d d``, clamped;
- ``"wrap"`` (alias ``"grid-wrap"``): ``a b c d | a b c d | a b c d``, period ``n``;
- ``"constant"`` (alias ``"grid-constant"``): ``k k k | a b c d | k k k`` with
  ``k = cval``.

Kernels longer than the signal reach many periods away; the periodic forms
above are what ``scipy.ndimage`` does there too (repeated reflection).  For
``"mirror"`` with ``n = 1`` every position maps to ``0``.

The *correlation form* of a filter is ``(w, c)`` with

    out[i] = Σ_k w[k] · x[ext(i + k − c)],      c = len(w) // 2 + origin,

which is ``scipy.ndimage.correlate1d(x, w, origin=origin)``;
``convolve1d(x, h, origin=origin)`` is the correlation with ``w = h[::-1]`` and
origin ``−origin − 1`` for even ``len(h)``, ``−origin`` for odd (SciPy's own
rewriting).  A valid origin puts the centre on the kernel: ``0 ≤ c < len(w)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "MODES",
    "OUTSIDE",
    "canonical_mode",
    "correlation_form",
    "extend_index",
]

#: Every ``mode`` accepted, as ``scipy.ndimage`` filters spell them.
MODES = (
    "reflect",
    "grid-mirror",
    "mirror",
    "nearest",
    "wrap",
    "grid-wrap",
    "constant",
    "grid-constant",
)
_ALIASES = {"grid-mirror": "reflect", "grid-wrap": "wrap", "grid-constant": "constant"}
#: What :func:`extend_index` returns for a position that reads ``cval`` (``"constant"``).
OUTSIDE = -1


def canonical_mode(mode: Any, where: str) -> str:
    """``mode`` with the ``grid-`` aliases resolved (``"reflect"``, ``"mirror"``, ...).

    Raises ``TypeError`` for a non-string and ``ValueError`` for an unknown name.
    """
    if not isinstance(mode, str):
        raise TypeError(f"{where}: mode must be a string, one of {MODES}; got {mode!r}")
    if mode not in MODES:
        raise ValueError(f"{where}: mode must be one of {MODES} (scipy.ndimage's); got {mode!r}")
    return _ALIASES.get(mode, mode)


def extend_index(j: Any, n: int, mode: str) -> Any:
    """The index ``scipy.ndimage`` reads for position ``j`` of a length-``n`` signal.

    Parameters
    ----------
    j : int or integer array
        Positions, any distance outside ``[0, n)``.
    n : int
        Signal length, ``n ≥ 1``.
    mode : str
        One of :data:`MODES`.

    Returns
    -------
    int or integer array
        Indices in ``[0, n)``, or :data:`OUTSIDE` (``-1``) where ``mode`` is
        ``"constant"`` and ``j`` is outside (the sample is ``cval``).

    Examples
    --------
    >>> import numpy as np
    >>> from kronblock.filters import extend_index
    >>> j = np.arange(-5, 9)                        # n = 4: four samples a b c d
    >>> extend_index(j, 4, "reflect")               # d c b a | a b c d | d c b a
    array([3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0])
    >>> extend_index(j, 4, "mirror")                # period 2n − 2 = 6
    array([1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2])
    >>> extend_index(j, 4, "constant")
    array([-1, -1, -1, -1, -1,  0,  1,  2,  3, -1, -1, -1, -1, -1])
    >>> int(extend_index(-7, 3, "wrap"))
    2

    It is what ``scipy.ndimage`` does: a delta kernel at offset ``s`` reads ``x[ext(i + s)]``:

    >>> import scipy.ndimage as ndi
    >>> x = np.array([1.0, 2.0, 3.0]); w = np.zeros(9); w[0] = 1.0  # reads x[ext(i − 4)]
    >>> bool(np.array_equal(ndi.correlate1d(x, w, mode="mirror"),
    ...                     x[extend_index(np.arange(3) - 4, 3, "mirror")]))
    True
    """
    mode = canonical_mode(mode, "extend_index")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"extend_index: n must be a positive integer, got {n!r}")
    n = int(n)
    jj = np.asarray(j)
    if jj.dtype.kind not in "iu":
        raise TypeError(f"extend_index: positions must be integers, got dtype {jj.dtype}")
    jj = jj.astype(np.int64)
    if mode == "reflect":  # half-sample symmetric, period 2n
        m = np.mod(jj, 2 * n)
        out = np.where(m < n, m, 2 * n - 1 - m)
    elif mode == "mirror":  # whole-sample symmetric, period 2n − 2
        if n == 1:
            out = np.zeros_like(jj)
        else:
            m = np.mod(jj, 2 * n - 2)
            out = np.where(m < n, m, 2 * n - 2 - m)
    elif mode == "nearest":
        out = np.clip(jj, 0, n - 1)
    elif mode == "wrap":
        out = np.mod(jj, n)
    else:  # constant
        out = np.where((jj >= 0) & (jj < n), jj, OUTSIDE)
    return out if jj.ndim else int(out)


def correlation_form(
    kernel: np.ndarray, origin: int, correlate: bool, where: str
) -> tuple[np.ndarray, int]:
    """``(w, c)``: the correlation weights and centre of ``kernel`` (see the module text).

    ``kernel`` is a checked 1-D NumPy array; ``origin`` is checked here against
    its length, with SciPy's rule (the same range for ``convolve1d`` and
    ``correlate1d``): ``−(L // 2) ≤ origin ≤ L − 1 − L // 2``.
    """
    length = int(kernel.shape[0])
    if isinstance(origin, bool) or not isinstance(origin, (int, np.integer)):
        raise TypeError(f"{where}: origin must be an integer, got {origin!r}")
    origin = int(origin)
    lo, hi = -(length // 2), length - 1 - length // 2
    if not lo <= origin <= hi:
        raise ValueError(
            f"{where}: origin={origin} puts the centre off a kernel of length {length}; "
            f"use {lo} <= origin <= {hi}"
        )
    if correlate:
        return kernel, length // 2 + origin
    # convolve1d(x, h, origin) == correlate1d(x, h[::-1], -origin - (L even))
    origin = -origin - (1 if length % 2 == 0 else 0)
    return kernel[::-1], length // 2 + origin


def as_kernel(kernel: Any, where: str, what: str = "kernel") -> np.ndarray:
    """A 1-D, non-empty, finite-dtype NumPy copy-free view of ``kernel``.

    Integer and boolean kernels become float64; other array libraries are
    refused with a ``TypeError`` (see :func:`check_numpy`).
    """
    check_numpy(kernel, where, what)
    k = np.asarray(kernel)
    if k.dtype.kind not in "biufc":
        raise TypeError(f"{where}: {what} must be numeric, got dtype {k.dtype}")
    if k.ndim != 1 or k.shape[0] == 0:
        raise ValueError(
            f"{where}: {what} must be a non-empty 1-D array, got shape {k.shape}; "
            f"pass a 2-D kernel to separable_decomposition first"
        )
    if k.dtype.kind in "biu":
        k = k.astype(np.float64)
    return k


def check_numpy(a: Any, where: str, what: str) -> None:
    """Refuse arrays of other libraries (torch, JAX, CuPy, ...) with a clear ``TypeError``.

    The filters compute with NumPy and SciPy on the host; lists, tuples,
    scalars and NumPy arrays are accepted.
    """
    if isinstance(a, (np.ndarray, np.generic, list, tuple, int, float, complex)):
        return
    raise TypeError(
        f"{where}: {what} is a {type(a).__module__}.{type(a).__name__}; kronblock.filters "
        f"works on NumPy arrays (and lists); convert with numpy.asarray(...) (for torch: "
        f"t.detach().cpu().numpy())"
    )


def float_dtype(*dtypes: Any) -> np.dtype:
    """The dtype filters compute in: the first (image) dtype made floating.

    Integers and booleans become float64; a complex kernel makes the result
    complex of the image's precision (float32 image -> complex64).
    """
    base = np.dtype(dtypes[0])
    if base.kind in "biu":
        base = np.dtype(np.float64)
    if base.kind == "f" and any(np.dtype(d).kind == "c" for d in dtypes[1:]):
        base = np.result_type(base, np.complex64)
    return base
