"""``SampledKronecker``: selected rows of a Kronecker product, and its least-squares rule.

Notation: factor ``i`` has shape ``(mᵢ, nᵢ)``; ``M = Πmᵢ``, ``N = Πnᵢ``;
``K = A₁ ⊗ … ⊗ A_F``.  A sampled Kronecker product keeps ``N_obs`` rows of
``K``: row ``k`` is ``A₁[i₁ₖ, :] ⊗ A₂[i₂ₖ, :] ⊗ …`` (the *face-splitting* or
row-wise Kronecker product of the selected factor rows), which is row
``rₖ = ravel_multi_index((i₁ₖ, i₂ₖ, …), (m₁, m₂, …))`` of ``K`` (row-major,
``numpy.kron``'s layout).  Rows may repeat and need not cover ``K``.

With ``S`` the ``N_obs × M`` row selection (``S[k, rₖ] = 1``) the operator is
``S K``; so

- ``(S K) x = (K x)[r]``: one fast Kronecker product, then a gather:
  ``O(M + N)`` memory (per column), never ``N_obs × N``;
- ``(S K)ᴴ y = Kᴴ (Sᵀ y)``: a scatter-add of the ``N_obs`` values into the
  ``M`` cells, then the Kronecker product with the adjoint factors.

The regression design matrix with rows ``e_xᵀ ⊗ e_yᵀ`` (one-hot over a grid) is
``sampled_kron([identity(NX), identity(NY)], [x, y])``; its Gram matrix
``(S K)ᴴ(S K) = Sᵀ S = diag(counts)`` is diagonal, which the ``lstsq`` rule
below uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, final

import numpy as np

from .._array_api import (
    Array,
    Namespace,
    device_of,
    from_numpy,
    is_numpy_namespace,
    library_name,
    namespace_of,
    real_dtype,
    to_numpy,
)
from .._operator import AbstractLinearOperator, Product
from ..linalg import lstsq
from ._dense import Identity, aslinearoperator
from ._kronecker import Kronecker

__all__ = ["SampledKronecker", "sampled_kron"]


def _as_index(idx: Any, i: int, size: int) -> np.ndarray:
    """Host int64 copy of an index array for a factor of ``size`` rows (checked)."""
    try:
        arr = np.asarray(to_numpy(idx) if not isinstance(idx, (list, tuple, range)) else idx)
    except TypeError as exc:
        raise TypeError(f"sampled_kron: rows[{i}] is not an integer array: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(
            f"sampled_kron: rows[{i}] must be a 1-D integer array, got shape {arr.shape}"
        )
    if arr.size and arr.dtype.kind not in "iu":
        raise TypeError(
            f"sampled_kron: rows[{i}] must hold integers, got dtype {arr.dtype}; "
            f"convert with .astype(int)"
        )
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= size):
        bad = int(arr.min()) if arr.min() < 0 else int(arr.max())
        raise ValueError(
            f"sampled_kron: rows[{i}] holds the index {bad}, out of range for factor {i} "
            f"with {size} rows (valid: 0 to {size - 1})"
        )
    arr.setflags(write=False)
    return arr


@final
@dataclass(frozen=True, eq=False, repr=False)
class SampledKronecker(AbstractLinearOperator):
    """Rows ``(i₁ₖ, i₂ₖ, …)``, ``k < N_obs``, of ``A₁ ⊗ A₂ ⊗ …``: shape ``(N_obs, Πnᵢ)``.

    Build it with :func:`sampled_kron`.  Row ``k`` is
    ``A₁[i₁ₖ, :] ⊗ A₂[i₂ₖ, :] ⊗ …``.

    Cost of ``A @ X`` for ``X`` of shape ``(N, k)``: one Kronecker product
    ``K @ X`` (see :class:`~kronblock.Kronecker`) and a gather of ``N_obs·k``
    values; of ``A.H @ Y``: a scatter-add of ``N_obs·k`` values and ``Kᴴ``.
    Memory ``O((M + N)·k)``.

    Attributes
    ----------
    factors : tuple of operators
        The factors as given (arrays wrapped as :class:`~kronblock.Dense`).
    rows : tuple of 1-D int64 NumPy arrays
        One per factor, all of length ``N_obs`` (read-only host copies: they
        are indices, the structure of the operator, not its data).
    """

    factors: tuple[AbstractLinearOperator, ...]
    rows: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        factors = tuple(aslinearoperator(f) for f in self.factors)
        if not factors:
            raise ValueError("sampled_kron: needs at least one factor")
        if len(self.rows) != len(factors):
            raise ValueError(
                f"sampled_kron: got {len(factors)} factors but {len(self.rows)} index arrays "
                f"in rows; give one index array per factor"
            )
        rows = tuple(
            _as_index(r, i, f.shape[0]) for i, (r, f) in enumerate(zip(self.rows, factors))
        )
        lengths = {r.shape[0] for r in rows}
        if len(lengths) != 1:
            raise ValueError(
                f"sampled_kron: the index arrays in rows have different lengths "
                f"{[r.shape[0] for r in rows]}; each must list the factor row of every "
                f"observation (all of length N_obs)"
            )
        kron = Kronecker(factors)
        # the rows of K: (i₁, i₂, …) row-major in (m₁, m₂, …)
        dims = tuple(f.shape[0] for f in factors)
        flat = np.zeros(rows[0].shape[0], dtype=np.int64)
        for r, m in zip(rows, dims):
            flat = flat * m + r
        flat.setflags(write=False)
        object.__setattr__(self, "factors", factors)
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "_kron", kron)
        object.__setattr__(self, "_flat", flat)

    # ---- the interface ---------------------------------------------------
    @property
    def kronecker(self) -> Kronecker:
        """The full product ``K = A₁ ⊗ A₂ ⊗ …`` (``M × N``), lazy."""
        return self._kron  # type: ignore[attr-defined]

    @property
    def flat_rows(self) -> np.ndarray:
        """``rₖ``: the rows of ``K`` kept, row-major multi-indices (host int64, read-only)."""
        return self._flat  # type: ignore[attr-defined]

    @property
    def n_obs(self) -> int:
        return int(self.flat_rows.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_obs, self.kronecker.shape[1])

    @property
    def dtype(self) -> Any:
        return self.kronecker.dtype

    @property
    def xp(self) -> Namespace:
        return self.kronecker.xp

    @property
    def device(self) -> Any:
        return self.kronecker.device

    @property
    def is_neutral(self) -> bool:
        return self.kronecker.is_neutral

    def _adopt(self, xp: Namespace, dtype: Any, device: Any) -> AbstractLinearOperator:
        if not self.is_neutral:
            return self
        return SampledKronecker(tuple(f._adopt(xp, dtype, device) for f in self.factors), self.rows)

    def _matmat(self, x: Array) -> Array:
        # (S K) x = (K x)[r]: (M, k) intermediate, then a gather of N_obs rows
        xp = namespace_of(x)
        y = self.kronecker._matmat(x)
        return xp.take(y, _index(xp, self.flat_rows, x), axis=0)

    def _adjoint(self) -> AbstractLinearOperator:
        # (S K)ᴴ = Kᴴ Sᵀ
        return Product((self.kronecker.H, _Scatter(self)))

    def _to_dense(self) -> Array:
        n_obs, n = self.shape
        rows = np.repeat(np.arange(n_obs, dtype=np.int64), n)
        cols = np.tile(np.arange(n, dtype=np.int64), n_obs)
        xp, dev = self.xp, self.device
        vals = self._entries(xp.asarray(rows, device=dev), xp.asarray(cols, device=dev))
        return xp.reshape(vals, (n_obs, n))

    def _entries(self, rows: Array, cols: Array) -> Array:
        # A[k, c] = K[r_k, c]
        xp = self.xp
        return self.kronecker._entries(xp.take(_index(xp, self.flat_rows, rows), rows), cols)

    def __repr__(self) -> str:
        inner = " ⊗ ".join(f"{type(f).__name__}{f.shape}" for f in self.factors)
        return f"SampledKronecker({self.n_obs} rows of {inner}, dtype={self.dtype})"


def _index(xp: Namespace, idx: np.ndarray, like: Array) -> Array:
    """The host index array in ``like``'s library and device (NumPy: no copy)."""
    if is_numpy_namespace(xp):
        return idx
    # a writable copy: PyTorch refuses to wrap read-only NumPy memory silently
    return xp.asarray(np.array(idx), device=device_of(like))


def _scatter_add(xp: Namespace, idx: np.ndarray, vals: Array, size: int) -> Array:
    """``out[idx[k]] += vals[k]`` into a fresh ``(size, K)`` array of ours.

    NumPy: ``numpy.add.at``; PyTorch: ``index_add_`` (on the device); other
    eager libraries: a round trip through NumPy on the host (the array API
    standard has no scatter-add).  Lazy arrays raise ``TypeError``.
    """
    k = vals.shape[1]
    if is_numpy_namespace(xp):
        out = np.zeros((size, k), dtype=vals.dtype)
        np.add.at(out, idx, vals)
        return out
    dev = device_of(vals)
    if library_name(xp) == "torch":
        out = xp.zeros((size, k), dtype=vals.dtype, device=dev)
        return out.index_add_(0, _index(xp, idx, vals), vals)
    host = to_numpy(vals)
    out_np = np.zeros((size, k), dtype=host.dtype)
    np.add.at(out_np, idx, host)
    return from_numpy(out_np, vals)


@final
@dataclass(frozen=True, eq=False, repr=False)
class _Scatter(AbstractLinearOperator):
    """``Sᵀ`` of a sampled Kronecker product: ``M × N_obs``, scatter-add of rows into cells."""

    sampled: SampledKronecker

    @property
    def shape(self) -> tuple[int, int]:
        return (self.sampled.kronecker.shape[0], self.sampled.n_obs)

    @property
    def dtype(self) -> Any:
        return self.sampled.dtype

    @property
    def xp(self) -> Namespace:
        return self.sampled.xp

    @property
    def device(self) -> Any:
        return self.sampled.device

    @property
    def is_neutral(self) -> bool:
        return self.sampled.is_neutral

    def _adopt(self, xp: Namespace, dtype: Any, device: Any) -> AbstractLinearOperator:
        adopted = self.sampled._adopt(xp, dtype, device)
        assert isinstance(adopted, SampledKronecker)
        return _Scatter(adopted)

    def _matmat(self, x: Array) -> Array:
        return _scatter_add(namespace_of(x), self.sampled.flat_rows, x, self.shape[0])

    def _adjoint(self) -> AbstractLinearOperator:
        # S: the sampled rows of the identity
        m = self.shape[0]
        s = self.sampled
        eye = Identity(m) if s.is_neutral else Identity(m, s.dtype, s.xp, s.device)
        return SampledKronecker((eye,), (s.flat_rows,))

    def _transpose(self) -> AbstractLinearOperator:
        return self._adjoint()  # a 0/1 matrix


def sampled_kron(factors: Sequence[Any], rows: Sequence[Any]) -> SampledKronecker:
    """Selected rows of ``kron(*factors)``: row ``k`` is ``A₁[i₁ₖ, :] ⊗ A₂[i₂ₖ, :] ⊗ …``.

    The row-wise Kronecker (face-splitting) product of the factors' selected
    rows, as a lazy operator of shape ``(N_obs, Πnᵢ)``.  With identities as
    factors it is the one-hot design matrix of scattered observations on a
    grid (rows ``e_xᵀ ⊗ e_yᵀ``).

    Parameters
    ----------
    factors : sequence of arrays or operators
        ``Aᵢ`` of shape ``(mᵢ, nᵢ)``; identities (``kronblock.identity(n)``)
        welcome.
    rows : sequence of 1-D integer arrays
        One per factor, all of length ``N_obs``; ``rows[i][k]`` is the row of
        ``Aᵢ`` used by observation ``k`` (``0 ≤ rows[i][k] < mᵢ``). Repeats
        and rows never used are fine.

    Returns
    -------
    SampledKronecker
        ``A @ x`` costs one Kronecker product and a gather (``O(M + N)``
        memory per column, ``M = Πmᵢ``); ``A.H @ y`` a scatter-add and one
        Kronecker product.  ``kronblock.lstsq`` on it is exact and ``O(N_obs + M)``
        when every factor is an identity (the cell means); otherwise it uses
        the generic (dense SVD) rule.

    Raises
    ------
    ValueError
        No factors, a count of index arrays other than the number of factors,
        index arrays of different lengths, or an index out of range.
    TypeError
        Non-integer indices.

    Examples
    --------
    Scattered observations on a 3 × 4 grid: the one-hot design matrix.

    >>> import numpy as np, kronblock as kb
    >>> from kronblock.operators._sampled_kronecker import sampled_kron
    >>> x, y = np.array([0, 2, 2, 1]), np.array([3, 0, 0, 1])
    >>> A = sampled_kron([kb.identity(3), kb.identity(4)], [x, y])
    >>> A.shape
    (4, 12)
    >>> D = np.eye(12)[x * 4 + y]                        # rows e_x ⊗ e_y
    >>> bool(np.array_equal(A.to_dense(), D))
    True

    With data: each row is ``A₁[i, :] ⊗ A₂[j, :]``.

    >>> rng = np.random.default_rng(0)
    >>> A1, A2 = rng.normal(size=(3, 2)), rng.normal(size=(4, 5))
    >>> S = sampled_kron([A1, A2], [x, y])
    >>> v = rng.normal(size=10)
    >>> bool(np.allclose(S @ v, np.kron(A1, A2)[x * 4 + y] @ v))
    True
    """
    if isinstance(factors, (str, bytes)) or not isinstance(factors, Sequence):
        raise TypeError(
            f"sampled_kron: factors must be a sequence of arrays or operators, got "
            f"{type(factors).__name__}"
        )
    if not isinstance(rows, Sequence) or isinstance(rows, (str, bytes)):
        raise TypeError(
            f"sampled_kron: rows must be a sequence of index arrays (one per factor), got "
            f"{type(rows).__name__}"
        )
    return SampledKronecker(tuple(factors), tuple(rows))


# ---- least squares ---------------------------------------------------------------------
def _all_identity(a: SampledKronecker) -> bool:
    return all(isinstance(f, Identity) for f in a.kronecker.factors)


@lstsq.register
def _lstsq_sampled_kronecker(
    a: SampledKronecker, b2: Array, rcond: float | None
) -> tuple[Array, Array, int, Array]:
    """Identity factors: the Gram matrix ``SᵀS = diag(counts)``; the answer is the cell means.

    ``S`` (``N_obs × M``, one unit row per observation) has singular values
    ``√countᵢ`` for the observed cells and ``0`` for the others; the
    minimum-norm least-squares solution is ``x[c] = mean{b[k] : rₖ = c}`` on
    observed cells and ``0`` on unobserved ones (NumPy's, with the same
    ``rcond`` cut-off).  ``O(N_obs·k + M)``.  Other factors: the generic rule.
    """
    if not _all_identity(a):
        return lstsq.dispatch(AbstractLinearOperator)(a, b2, rcond)
    xp = namespace_of(b2)
    n_obs, m = a.shape
    rdt = real_dtype(xp, b2.dtype)
    counts_np = np.bincount(a.flat_rows, minlength=m)  # host: index data only
    s_np = np.sqrt(counts_np.astype(np.float64))  # the singular value of each cell
    smax = float(s_np.max()) if s_np.size else 0.0
    eps = float(xp.finfo(rdt).eps)
    cut = (max(n_obs, m) * eps if rcond is None else rcond) * smax
    keep_np = s_np > cut
    rank = int(keep_np.sum())
    dev = device_of(b2)
    # x[c] = Σ_{rₖ = c} b[k] / count[c] on kept cells, 0 elsewhere
    sums = _scatter_add(xp, a.flat_rows, b2, m)  # Sᵀ b, (M, k)
    inv_np = np.where(keep_np, 1.0 / np.where(keep_np, counts_np, 1), 0.0)
    inv_counts = xp.asarray(inv_np, dtype=rdt, device=dev)
    x2 = sums * xp.astype(inv_counts, b2.dtype)[:, None]
    if rank == m and n_obs > m:
        r = b2 - xp.take(x2, _index(xp, a.flat_rows, b2), axis=0)
        res = xp.sum(xp.real(r * xp.conj(r)), axis=0)
    else:
        res = xp.zeros((0,), dtype=rdt, device=dev)
    # NumPy's s: min(N_obs, M) values, descending: √counts of observed cells, then zeros
    s_sorted = np.sort(s_np)[::-1][: min(n_obs, m)]
    s = xp.asarray(np.ascontiguousarray(s_sorted), dtype=rdt, device=dev)
    return x2, res, rank, s
