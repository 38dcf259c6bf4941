"""1-D convolution and correlation matrices of ``scipy.ndimage``, as lazy operators.

The ``n × n`` matrix ``H`` of ``scipy.ndimage.correlate1d`` with weights ``w``
(length ``L``), centre ``c = L // 2 + origin`` and a boundary mode is, with the
index map ``ext`` of :func:`~kronblock.filters.extend_index`,

    H[i, ext(i + k − c)] += w[k]        for k = 0, …, L − 1, ext ≠ OUTSIDE,

the sum running over repeats (a folded boundary, or a kernel longer than
``n``, reads one sample several times).  ``convolve1d`` is the same with the
weights reversed and the origin rewritten as SciPy does
(:func:`~kronblock.filters._boundary.correlation_form`).  In the interior
(``c ≤ i < n − (L − 1 − c)``) the row is the plain band
``H[i, i + k − c] = w[k]``: ``H`` is Toeplitz plus a correction in the first
``c`` and last ``L − 1 − c`` rows.

Representations (``method="auto"``):

- ``L ≤`` :data:`SPARSE_MAX_TAPS`: a CSR :class:`~kronblock.Sparse` with at most
  ``n·L`` entries (products ``O(n·L)``);
- longer kernels, ``"constant"``: the :func:`~kronblock.toeplitz` band
  (products by FFT, ``O(n log n)``, storage ``O(n)``);
- longer kernels, ``"wrap"``: the :func:`~kronblock.circulant` with the kernel
  folded modulo ``n`` (``O(n log n)``);
- longer kernels, ``"reflect"``/``"mirror"``/``"nearest"``: the Toeplitz band
  plus a sparse boundary correction with at most ``(L − 1)·L`` entries (all
  ``n·min(L, n)`` when ``L ≥ n``): ``O(n log n + L²)`` per product.

``mode="constant"`` with ``cval ≠ 0`` is affine, ``x ↦ H x + b``: ``H`` is the
``cval = 0`` matrix above and :func:`convolution_border` gives
``b[i] = cval · Σ w[k]`` over the ``k`` whose position falls outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._operator import AbstractLinearOperator
from ..operators._circulant import circulant
from ..operators._sparse import Sparse
from ..operators._toeplitz import toeplitz
from ._boundary import (
    OUTSIDE,
    as_kernel,
    canonical_mode,
    correlation_form,
    extend_index,
)

__all__ = ["SPARSE_MAX_TAPS", "convolution_border", "convolution_matrix"]

#: Kernels up to this many taps become a sparse band under ``method="auto"``.
SPARSE_MAX_TAPS = 32
_METHODS = ("auto", "sparse", "fft")


@dataclass(frozen=True)
class AxisFilter:
    """One checked 1-D filter on a length-``n`` axis, in correlation form.

    ``out[i] = Σ_k w[k] · x[ext(i + k − c)]`` (+ ``border[i]`` for constant
    mode).  Interior outputs ``lo ≤ i < hi`` read ``x[i − c : i − c + L]``
    directly; ``edges`` lists the others as ``(i, columns, values)`` with the
    repeated columns already summed.
    """

    weights: np.ndarray  # (L,) in the compute dtype
    center: int  # c = L // 2 + origin (correlation form), 0 ≤ c < L
    n: int
    mode: str  # canonical
    cval: float
    lo: int  # first interior output
    hi: int  # one past the last interior output (hi ≤ lo: no interior)
    edges: tuple[tuple[int, np.ndarray, np.ndarray], ...]
    border: np.ndarray  # (n,) the affine term; zeros unless constant mode with cval ≠ 0

    @property
    def taps(self) -> int:
        return int(self.weights.shape[0])


def edge_rows(n: int, taps: int, center: int) -> np.ndarray:
    """Rows ``i`` of ``H`` whose window ``i − c, …, i − c + L − 1`` leaves ``[0, n)``."""
    left = np.arange(min(center, n))
    right = np.arange(max(n - (taps - 1 - center), min(center, n)), n)
    return np.concatenate([left, right]).astype(np.int64)


def _coo(w: np.ndarray, center: int, n: int, mode: str, rows: np.ndarray) -> Any:
    """``(rows, cols, values)`` of ``H`` restricted to ``rows`` (duplicates not yet summed)."""
    taps = int(w.shape[0])
    r = np.repeat(rows, taps)  # (len(rows)·L,)
    j = (rows[:, None] + np.arange(taps)[None, :] - center).ravel()
    cols = extend_index(j, n, mode) if rows.size else j
    vals = np.tile(w, rows.shape[0])
    keep = cols != OUTSIDE
    return r[keep], cols[keep], vals[keep]


def _outside_sums(w: np.ndarray, center: int, n: int, rows: np.ndarray) -> np.ndarray:
    """``Σ w[k]`` over the ``k`` with ``i + k − c`` outside ``[0, n)``, per row ``i``."""
    taps = int(w.shape[0])
    j = rows[:, None] + np.arange(taps)[None, :] - center  # (len(rows), L)
    outside = (j < 0) | (j >= n)
    return np.asarray((outside * w[None, :]).sum(axis=1), dtype=w.dtype)


def axis_filter(
    kernel: Any,
    n: int,
    *,
    mode: Any,
    correlate: bool,
    origin: Any,
    cval: Any,
    dtype: Any,
    where: str,
) -> AxisFilter:
    """Check one axis's filter and lay it out for the fast separable filter."""
    mode = canonical_mode(mode, where)
    k = as_kernel(kernel, where)
    w, c = correlation_form(k, origin, correlate, where)
    w = np.ascontiguousarray(w, dtype=dtype)
    taps = int(w.shape[0])
    lo, hi = c, n - (taps - 1 - c)
    rows = edge_rows(n, taps, c)
    r, cols, vals = _coo(w, c, n, mode, rows)
    edges = []
    for i in rows.tolist():  # ≤ L − 1 rows (all n when L > n)
        sel = r == i
        ucols, inv = np.unique(cols[sel], return_inverse=True)
        summed = np.zeros(ucols.shape[0], dtype=w.dtype)
        np.add.at(summed, inv, vals[sel])
        edges.append((int(i), ucols, summed))
    border = np.zeros(n, dtype=dtype)
    if mode == "constant" and cval != 0:
        border[rows] = np.asarray(cval, dtype=dtype) * _outside_sums(w, c, n, rows)
    return AxisFilter(w, c, n, mode, cval, lo, hi, tuple(edges), border)


def _check_n(n: Any, where: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{where}: n must be an integer, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"{where}: n must be at least 1, got {n}")
    return int(n)


def _check_cval(cval: Any, where: str) -> Any:
    if isinstance(cval, bool) or not isinstance(cval, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: cval must be a real number, got {type(cval).__name__} {cval!r}")
    return float(cval)


def _result_dtype(k: np.ndarray, dtype: Any, where: str) -> np.dtype:
    if dtype is None:
        return np.dtype(k.dtype)
    dt = np.dtype(dtype)
    if dt.kind not in "fc":
        raise TypeError(f"{where}: dtype must be a floating or complex dtype, got {dt}")
    if k.dtype.kind == "c" and dt.kind != "c":
        raise TypeError(
            f"{where}: the kernel is complex ({k.dtype}) but dtype={dt} is real; "
            f"pass a complex dtype or a real kernel"
        )
    return dt


def convolution_matrix(
    kernel: Any,
    n: int,
    *,
    mode: str = "reflect",
    correlate: bool = False,
    origin: int = 0,
    cval: float = 0.0,
    method: str = "auto",
    dtype: Any = None,
) -> AbstractLinearOperator:
    """The ``n × n`` matrix of ``scipy.ndimage.convolve1d`` (or ``correlate1d``), lazily.

    ``H @ x`` equals ``scipy.ndimage.convolve1d(x, kernel, mode=mode,
    origin=origin)`` (``correlate1d`` when ``correlate=True``) for every mode
    of ``scipy.ndimage``; ``H`` acts on the columns of a 2-D right-hand side,
    i.e. along axis 0.  The matrix entries and the representations are those
    of the module text (:mod:`kronblock.filters._convolution`).

    Parameters
    ----------
    kernel : 1-D array_like
        The weights, any length ``L ≥ 1`` (longer than ``n`` too).
    n : int
        Signal length.
    mode : str
        ``"reflect"`` (default, as ``scipy.ndimage``), ``"mirror"``, ``"nearest"``,
        ``"wrap"``, ``"constant"``, or the aliases ``"grid-mirror"``,
        ``"grid-wrap"``, ``"grid-constant"``.
    correlate : bool
        ``False``: convolution (``convolve1d``); ``True``: correlation
        (``correlate1d``, the kernel not flipped).
    origin : int
        SciPy's origin: ``−(L // 2) ≤ origin ≤ L − 1 − L // 2``.
    cval : float
        Only ``0`` is accepted: with ``mode="constant"`` and ``cval ≠ 0`` the
        filter is affine, ``H x + b``; build ``H`` with ``cval=0`` and add
        ``b = convolution_border(kernel, n, cval=cval, ...)``.  Ignored (as in
        SciPy) for the other modes.
    method : {"auto", "sparse", "fft"}
        ``"sparse"``: a CSR band; ``"fft"``: Toeplitz / circulant (plus a
        sparse boundary correction for the reflecting modes); ``"auto"``:
        sparse up to :data:`SPARSE_MAX_TAPS` taps.
    dtype : dtype, optional
        Of the matrix; default the kernel's (integer kernels: float64).

    Returns
    -------
    AbstractLinearOperator
        ``Sparse``, ``Toeplitz``, ``Circulant``, or the lazy sum ``Toeplitz + Sparse``.

    Examples
    --------
    >>> import numpy as np, scipy.ndimage as ndi
    >>> from kronblock.filters import convolution_matrix, convolution_border
    >>> x = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0])
    >>> h = [1.0, 2.0, 4.0, 8.0]                                   # even length
    >>> for mode in ["reflect", "mirror", "nearest", "wrap", "constant"]:
    ...     H = convolution_matrix(h, 6, mode=mode, origin=1)
    ...     assert np.allclose(H @ x, ndi.convolve1d(x, h, mode=mode, origin=1))
    >>> H = convolution_matrix(h, 6, mode="constant", correlate=True)   # constant: affine
    >>> b = convolution_border(h, 6, mode="constant", correlate=True, cval=2.5)
    >>> bool(np.allclose(H @ x + b, ndi.correlate1d(x, h, mode="constant", cval=2.5)))
    True
    >>> H = convolution_matrix(np.ones(50) / 50, 1000, mode="wrap")  # long: a circulant
    >>> type(H).__name__
    'Circulant'
    """
    where = "convolution_matrix"
    n = _check_n(n, where)
    m = canonical_mode(mode, where)
    cval = _check_cval(cval, where)
    if method not in _METHODS:
        raise ValueError(f"{where}: method must be one of {_METHODS}, got {method!r}")
    if m == "constant" and cval != 0:
        raise ValueError(
            f"{where}: mode='constant' with cval={cval!r} is affine (H @ x + b), not a "
            f"matrix; build H with cval=0 and add b = convolution_border(kernel, n, "
            f"mode='constant', cval={cval!r}, ...)"
        )
    k = as_kernel(kernel, where)
    dt = _result_dtype(k, dtype, where)
    w, c = correlation_form(k, origin, correlate, where)
    w = np.ascontiguousarray(w, dtype=dt)
    taps = int(w.shape[0])
    use_fft = method == "fft" or (method == "auto" and taps > SPARSE_MAX_TAPS)
    if not use_fft:
        r, cols, vals = _coo(w, c, n, m, np.arange(n, dtype=np.int64))
        return Sparse(sp.csr_matrix((vals, (r, cols)), shape=(n, n), dtype=dt))  # sums repeats
    if m == "wrap":
        # H[i, j] = Σ_{k: (i + k − c) mod n = j} w[k] = col[(i − j) mod n]:
        # col[(c − k) mod n] += w[k]
        col = np.zeros(n, dtype=dt)
        np.add.at(col, np.mod(c - np.arange(taps), n), w)
        return circulant(col)
    # The band: H[i, j] = w[j − i + c] where 0 ≤ j − i + c < L (the constant-mode matrix).
    first_col = np.zeros(n, dtype=dt)  # H[m, 0] = w[c − m]
    m_col = np.arange(min(n, c + 1))
    first_col[m_col] = w[c - m_col]
    first_row = np.zeros(n, dtype=dt)  # H[0, m] = w[m + c]
    m_row = np.arange(min(n, taps - c))
    first_row[m_row] = w[m_row + c]
    band = toeplitz(first_col, first_row)
    if m == "constant":
        return band
    # The folded reads: entries whose position i + k − c left [0, n), mapped back by ext.
    rows = edge_rows(n, taps, c)
    j = rows[:, None] + np.arange(taps)[None, :] - c  # (rows, L)
    outside = ((j < 0) | (j >= n)).ravel()
    r = np.repeat(rows, taps)[outside]
    cols = extend_index(j.ravel()[outside], n, m)
    vals = np.tile(w, rows.shape[0])[outside]
    fold = Sparse(sp.csr_matrix((vals, (r, cols)), shape=(n, n), dtype=dt))
    return band + fold


def convolution_border(
    kernel: Any,
    n: int,
    *,
    mode: str = "constant",
    correlate: bool = False,
    origin: int = 0,
    cval: float = 0.0,
    dtype: Any = None,
) -> np.ndarray:
    """The constant term ``b`` of the affine filter ``x ↦ H x + b`` (``mode="constant"``).

    ``b[i] = cval · Σ w[k]`` over the taps ``k`` whose position ``i + k − c``
    (correlation form) lies outside ``[0, n)``; zero in the interior, and zero
    everywhere for the other modes (SciPy ignores ``cval`` there).  With ``H =
    convolution_matrix(kernel, n, mode="constant", ...)``, ``H @ x + b`` equals
    ``scipy.ndimage.convolve1d(x, kernel, mode="constant", cval=cval, ...)``.

    Parameters are those of :func:`convolution_matrix`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``.

    Examples
    --------
    >>> import numpy as np
    >>> from kronblock.filters import convolution_border
    >>> convolution_border([1.0, 1.0, 1.0], 5, cval=2.0)     # one tap outside at each end
    array([2., 0., 0., 0., 2.])
    """
    where = "convolution_border"
    n = _check_n(n, where)
    m = canonical_mode(mode, where)
    cval = _check_cval(cval, where)
    k = as_kernel(kernel, where)
    dt = _result_dtype(k, dtype, where)
    w, c = correlation_form(k, origin, correlate, where)
    w = np.asarray(w, dtype=dt)
    b = np.zeros(n, dtype=dt)
    if m == "constant" and cval != 0:
        rows = edge_rows(n, int(w.shape[0]), c)
        b[rows] = np.asarray(cval, dtype=dt) * _outside_sums(w, c, n, rows)
    return b
