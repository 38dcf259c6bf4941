"""Separable filters: one 1-D kernel per axis, applied fast or kept as ``kron(H₀, H₁, …)``.

Filtering the ``d``-dimensional ``x`` with kernel ``h_a`` along each axis ``a``
is the Kronecker operator (row-major ``vec``, axis 0 slowest)

    (H₀ ⊗ H₁ ⊗ … ⊗ H_{d−1}) · x.ravel(),      H_a = convolution_matrix(h_a, x.shape[a], …),

because ``(A ⊗ B) X.ravel() = (A X Bᵀ).ravel()``.  :func:`separable_filter`
computes it without forming anything (:mod:`kronblock.filters._engine`);
:func:`filter_operator` returns the lazy operator itself, for algebra and
solves.  A 2-D kernel is brought to this form by
:func:`separable_decomposition`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..operators._kronecker import Kronecker, kron
from ._boundary import as_kernel, check_numpy, float_dtype
from ._convolution import _check_cval, axis_filter, convolution_matrix
from ._engine import apply_filters

__all__ = [
    "SeparableDecomposition",
    "filter_operator",
    "separable_decomposition",
    "separable_filter",
]


# ---- per-axis arguments ----------------------------------------------------------------
def _kernels(kernels: Any, d: int, where: str) -> list[np.ndarray | None]:
    if isinstance(kernels, np.ndarray) or not isinstance(kernels, (list, tuple)):
        check_numpy(kernels, where, "kernels")
        raise TypeError(
            f"{where}: kernels must be a list or tuple with one 1-D kernel (or None) per "
            f"axis, got {type(kernels).__name__}; for the same kernel on every axis pass "
            f"[kernel] * {d}"
        )
    if len(kernels) != d:
        raise ValueError(
            f"{where}: {len(kernels)} kernels for {d} axes; give one per axis (None skips one)"
        )
    return [
        None if k is None else as_kernel(k, where, f"kernels[{a}]") for a, k in enumerate(kernels)
    ]


def _per_axis(value: Any, d: int, name: str, where: str, scalar: tuple[type, ...]) -> list[Any]:
    if isinstance(value, scalar) or isinstance(value, (str, np.integer)):
        return [value] * d
    if not isinstance(value, (list, tuple)):
        raise TypeError(
            f"{where}: {name} must be one value or a list of {d} (one per axis), got "
            f"{type(value).__name__}"
        )
    if len(value) != d:
        raise ValueError(
            f"{where}: {name} has {len(value)} entries for {d} axes; give one per axis"
        )
    return list(value)


def _image(image: Any, where: str) -> np.ndarray:
    check_numpy(image, where, "image")
    x = np.asarray(image)
    if x.dtype.kind not in "biufc":
        raise TypeError(f"{where}: image must be numeric, got dtype {x.dtype}")
    if x.ndim == 0 or x.size == 0:
        raise ValueError(
            f"{where}: image must have at least one axis and one element, got shape {x.shape}"
        )
    return x


_METHODS = ("auto", "direct", "fft")


def separable_filter(
    image: Any,
    kernels: Sequence[Any],
    *,
    mode: str | Sequence[str] = "reflect",
    correlate: bool = False,
    cval: float = 0.0,
    origin: int | Sequence[int] = 0,
    method: str = "auto",
) -> np.ndarray:
    """Filter ``image`` with one 1-D kernel per axis, exactly as ``scipy.ndimage`` does.

    The result equals applying ``scipy.ndimage.convolve1d(…, kernels[a],
    axis=a, mode=mode[a], cval=cval, origin=origin[a])`` (``correlate1d`` when
    ``correlate=True``) for ``a = 0, 1, …`` in turn, and equals
    ``filter_operator(image.shape, kernels, …) @ image.ravel()`` when
    ``cval = 0``.

    Parameters
    ----------
    image : array_like (NumPy)
        Any number of axes.  Integer images are filtered in float64 (SciPy
        would round to the integer dtype); float32 stays float32.
    kernels : list or tuple
        ``kernels[a]`` is the 1-D kernel along axis ``a``, or ``None`` to
        leave that axis alone; one entry per axis.
    mode : str or list of str
        A boundary mode of ``scipy.ndimage`` (default ``"reflect"``), or one per axis.
    correlate : bool
        ``True``: correlation (kernels not flipped), as ``correlate1d``.
    cval : float
        The value outside the image for ``mode="constant"``, applied in each
        axis's pass in turn (as SciPy does).
    origin : int or list of int
        SciPy's origin, or one per axis.
    method : {"auto", "direct", "fft"}
        ``"direct"``: scaled shifted slices, fused over the axes in
        cache-sized blocks, on all cores, ``O(L)`` per element and axis;
        ``"fft"``: one FFT product per axis (it rounds relative to the
        largest entry of a line and spreads a NaN or inf over it);
        ``"auto"``: direct up to :data:`~kronblock.filters._engine.DIRECT_MAX_TAPS`
        taps and for data with NaN or inf, FFT for longer kernels.

    Returns
    -------
    numpy.ndarray
        A new array, ``image``'s shape, dtype the floating dtype of ``image``
        (complex if a kernel is complex).

    Examples
    --------
    >>> import numpy as np, scipy.ndimage as ndi
    >>> from kronblock.filters import separable_filter
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(60, 50)).astype(np.float32)
    >>> g = np.exp(-0.5 * np.arange(-3, 4) ** 2); g /= g.sum()       # Gaussian, 7 taps
    >>> d = [1.0, 0.0, -1.0]                                       # central difference
    >>> y = separable_filter(x, [g, d], mode=["nearest", "wrap"])
    >>> ref = ndi.convolve1d(ndi.convolve1d(x, g, axis=0, mode="nearest"), d, axis=1, mode="wrap")
    >>> y.dtype, bool(np.allclose(y, ref, atol=1e-5))
    (dtype('float32'), True)
    """
    where = "separable_filter"
    x = _image(image, where)
    d = x.ndim
    ks = _kernels(kernels, d, where)
    modes = _per_axis(mode, d, "mode", where, (str,))
    origins = _per_axis(origin, d, "origin", where, (int,))
    cval = _check_cval(cval, where)
    if method not in _METHODS:
        raise ValueError(f"{where}: method must be one of {_METHODS}, got {method!r}")
    dt = float_dtype(x.dtype, *(k.dtype for k in ks if k is not None))
    plans = [
        None
        if k is None
        else axis_filter(
            k,
            x.shape[a],
            mode=modes[a],
            correlate=correlate,
            origin=origins[a],
            cval=cval,
            dtype=dt,
            where=f"{where} (axis {a})",
        )
        for a, k in enumerate(ks)
    ]
    return apply_filters(x.astype(dt, copy=False), plans, method)


def filter_operator(
    shape: Sequence[int],
    kernels: Sequence[Any],
    *,
    mode: str | Sequence[str] = "reflect",
    correlate: bool = False,
    origin: int | Sequence[int] = 0,
    method: str = "auto",
    dtype: Any = None,
) -> Kronecker:
    """The lazy ``kron(H₀, H₁, …)`` of a separable filter on arrays of ``shape``.

    ``filter_operator(x.shape, kernels, …) @ x.ravel()`` equals
    ``separable_filter(x, kernels, …).ravel()`` (row-major ``vec``).  A
    ``None`` kernel gives the identity factor.  The operator is linear: for
    ``mode="constant"`` it is the ``cval = 0`` filter.

    Parameters
    ----------
    shape : sequence of int
        The array shape ``(n₀, n₁, …)``.
    kernels, mode, correlate, origin
        As in :func:`separable_filter`.
    method, dtype
        As in :func:`convolution_matrix` (per factor).

    Returns
    -------
    Kronecker
        ``N × N`` with ``N = prod(shape)``; factor ``a`` is
        ``convolution_matrix(kernels[a], shape[a], …)``.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> from kronblock.filters import filter_operator, separable_filter
    >>> x = np.random.default_rng(1).normal(size=(20, 30))
    >>> K = filter_operator(x.shape, [[1.0, 2.0, 1.0], [1.0, -1.0]], mode="mirror")
    >>> K.shape
    (600, 600)
    >>> y = separable_filter(x, [[1.0, 2.0, 1.0], [1.0, -1.0]], mode="mirror")
    >>> bool(np.allclose(K @ x.ravel(), y.ravel()))
    True
    """
    where = "filter_operator"
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    if not isinstance(shape, (list, tuple)) or not all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape
    ):
        raise TypeError(f"{where}: shape must be a tuple of integers, got {shape!r}")
    if len(shape) == 0 or any(s < 1 for s in shape):
        raise ValueError(f"{where}: shape must have positive sizes, got {tuple(shape)}")
    d = len(shape)
    ks = _kernels(kernels, d, where)
    modes = _per_axis(mode, d, "mode", where, (str,))
    origins = _per_axis(origin, d, "origin", where, (int,))
    if dtype is None:  # the kernels' common dtype (float32 kernels: a float32 operator)
        given = [k.dtype for k in ks if k is not None]
        dtype = np.result_type(*given) if given else np.dtype(np.float64)
    factors: list[Any] = []
    for a, k in enumerate(ks):
        if k is None:
            factors.append(np.eye(int(shape[a]), dtype=dtype))
        else:
            factors.append(
                convolution_matrix(
                    k,
                    int(shape[a]),
                    mode=modes[a],
                    correlate=correlate,
                    origin=origins[a],
                    method=method,
                    dtype=dtype,
                )
            )
    return kron(*factors)


# ---- 2-D kernels as sums of separable ones -------------------------------------------------
@dataclass(frozen=True)
class SeparableDecomposition:
    """A 2-D kernel as ``Σ_r column_kernels[r] ⊗ row_kernels[r]`` (outer products).

    ``kernel ≈ Σ_{r < rank} np.outer(column_kernels[r], row_kernels[r])``;
    ``column_kernels[r]`` runs along axis 0 (``√σ_r · u_r``), ``row_kernels[r]``
    along axis 1 (``√σ_r · v_r``).

    Attributes
    ----------
    column_kernels, row_kernels : tuple of numpy.ndarray
        ``rank`` kernels each, lengths ``kernel.shape[0]`` and ``kernel.shape[1]``.
    singular_values : numpy.ndarray
        All singular values of the kernel, descending.
    rank : int
        Number of separable terms kept.
    error : float
        Frobenius norm of ``kernel − Σ_r outer(...)``: ``√(Σ_{r ≥ rank} σ_r²)``.
    relative_error : float
        ``error / ‖kernel‖_F`` (``0`` for a zero kernel).
    """

    column_kernels: tuple[np.ndarray, ...]
    row_kernels: tuple[np.ndarray, ...]
    singular_values: np.ndarray
    rank: int
    error: float
    relative_error: float

    @property
    def terms(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """``((column_kernel, row_kernel), …)``: the kernels of each separable term."""
        return tuple(zip(self.column_kernels, self.row_kernels))

    def to_kernel(self) -> np.ndarray:
        """The rank-``rank`` 2-D kernel ``Σ_r outer(column_kernels[r], row_kernels[r])``."""
        m, n = self.column_kernels[0].shape[0], self.row_kernels[0].shape[0]
        out = np.zeros((m, n), dtype=self.column_kernels[0].dtype)
        for u, v in self.terms:
            out += np.outer(u, v)
        return out

    def filter(self, image: Any, **kwargs: Any) -> np.ndarray:
        """``Σ_r separable_filter(image, [column_kernels[r], row_kernels[r]], **kwargs)``.

        Equals ``scipy.ndimage.convolve(image, to_kernel(), mode=…)`` for
        ``cval = 0`` (see :func:`separable_decomposition` for the modes), and
        the full 2-D filter up to the reported ``error`` times the image's
        norm per output.
        """
        out: np.ndarray | None = None
        for u, v in self.terms:
            y = separable_filter(image, [u, v], **kwargs)
            out = y if out is None else np.add(out, y, out=out)
        assert out is not None  # rank ≥ 1 by construction
        return out


def separable_decomposition(
    kernel2d: Any, rank: int | None = None, tol: float | None = None
) -> SeparableDecomposition:
    """A 2-D kernel as a sum of separable ones, ``Σ_r u_r v_rᵀ``, by its SVD.

    ``kernel2d = U diag(σ) Vᵀ``; the term ``r`` is ``u_r = √σ_r U[:, r]`` along
    axis 0 and ``v_r = √σ_r V[:, r]`` along axis 1.  The truncation to ``rank``
    terms is the best in the Frobenius norm (Eckart–Young), with error
    ``√(Σ_{r ≥ rank} σ_r²)``.

    Why filtering term by term agrees with 2-D filtering: the 2-D filter with
    kernel ``u vᵀ`` reads ``x[ext₀(i + p − c₀), ext₁(j + q − c₁)]`` with weight
    ``u[p] v[q]``; ``scipy.ndimage`` extends each index by its own axis's map
    (a product of 1-D extensions), so it equals filtering by ``u`` along axis 0
    and by ``v`` along axis 1, for every mode *except* ``"constant"`` with
    ``cval ≠ 0`` (the 2-D filter adds ``cval`` once per outside tap, the
    separable passes would filter the first pass's border again).  By
    linearity the sum over terms is then ``scipy.ndimage.convolve(x,
    Σ_r u_r v_rᵀ, mode=…)``; for ``mode="constant"`` give ``cval=0``.

    Parameters
    ----------
    kernel2d : 2-D array_like (NumPy)
        The kernel, any shape ``(m, n)``, real or complex.
    rank : int, optional
        Terms to keep, ``1 ≤ rank ≤ min(m, n)``.  Default: chosen by ``tol``.
    tol : float, optional
        With ``rank=None``: the smallest rank whose relative Frobenius error
        is at most ``tol``.  Default (both ``None``): the numerical rank,
        ``σ_r > max(m, n) · eps · σ_0`` (at least 1 term).

    Returns
    -------
    SeparableDecomposition

    Examples
    --------
    >>> import numpy as np, scipy.ndimage as ndi
    >>> from kronblock.filters import separable_decomposition
    >>> sobel = np.outer([1.0, 2.0, 1.0], [1.0, 0.0, -1.0])
    >>> dec = separable_decomposition(sobel)
    >>> dec.rank, dec.error < 1e-12
    (1, True)
    >>> log = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])  # Laplacian: rank 2
    >>> dec = separable_decomposition(log)
    >>> dec.rank
    2
    >>> x = np.random.default_rng(0).normal(size=(40, 30))
    >>> bool(np.allclose(dec.filter(x, mode="reflect"), ndi.convolve(x, log, mode="reflect")))
    True
    """
    where = "separable_decomposition"
    check_numpy(kernel2d, where, "kernel2d")
    k = np.asarray(kernel2d)
    if k.dtype.kind not in "biufc":
        raise TypeError(f"{where}: kernel2d must be numeric, got dtype {k.dtype}")
    if k.ndim != 2 or k.size == 0:
        raise ValueError(f"{where}: kernel2d must be a non-empty 2-D array, got shape {k.shape}")
    if k.dtype.kind in "biu":
        k = k.astype(np.float64)
    if rank is not None and tol is not None:
        raise ValueError(f"{where}: give rank or tol, not both (got rank={rank}, tol={tol})")
    u, s, vh = np.linalg.svd(k, full_matrices=False)
    full = min(k.shape)
    # tail[r] = ‖σ_{r:}‖₂ = the error of keeping r terms
    tail = np.sqrt(np.cumsum((s[::-1].astype(np.float64)) ** 2)[::-1])
    tail = np.append(tail, 0.0)
    norm = float(tail[0])
    if rank is not None:
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)):
            raise TypeError(f"{where}: rank must be an integer, got {rank!r}")
        if not 1 <= rank <= full:
            raise ValueError(
                f"{where}: rank must be in [1, {full}] for a {k.shape} kernel, got {rank}"
            )
        r = int(rank)
    elif tol is not None:
        if isinstance(tol, bool) or not isinstance(tol, (int, float, np.floating)) or not tol >= 0:
            raise ValueError(
                f"{where}: tol must be a number >= 0 (relative Frobenius error), got {tol!r}"
            )
        rel = tail / norm if norm > 0 else np.zeros_like(tail)
        r = max(1, int(np.argmax(rel <= tol)))  # rel[full] = 0 ≤ tol: always found
    else:
        cutoff = max(k.shape) * np.finfo(s.dtype).eps * (float(s[0]) if s.size else 0.0)
        r = max(1, int(np.sum(s > cutoff)))
    root = np.sqrt(s[:r])
    cols = tuple(np.ascontiguousarray(u[:, i] * root[i]) for i in range(r))
    rows = tuple(np.ascontiguousarray(vh[i, :] * root[i]) for i in range(r))
    error = float(tail[r])
    return SeparableDecomposition(
        column_kernels=cols,
        row_kernels=rows,
        singular_values=s,
        rank=r,
        error=error,
        relative_error=error / norm if norm > 0 else 0.0,
    )
