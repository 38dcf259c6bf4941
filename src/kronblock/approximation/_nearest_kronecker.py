"""The nearest Kronecker product (Van Loan–Pitsianis) and its Kronecker-rank-r extension.

Notation: ``M`` has shape ``(m₁·m₂, n₁·n₂)``; ``A`` is ``m₁ × n₁`` and ``B`` is
``m₂ × n₂``; ``p = m₁·n₁``, ``q = m₂·n₂``.  The *rearrangement*

    R[(i₁, j₁), (i₂, j₂)] = M[i₁·m₂ + i₂, j₁·n₂ + j₂]
    R = M.reshape(m₁, m₂, n₁, n₂).transpose(0, 2, 1, 3).reshape(p, q)

is linear and an isometry for the Frobenius norm, and it maps a Kronecker
product to an outer product, ``R(A ⊗ B) = vec(A) vec(B)ᵀ`` (row-major ``vec``,
``A.ravel()``; ``ᵀ`` without conjugation, also for complex matrices).  So

    min ‖M − Σ_{r<R} A_r ⊗ B_r‖_F = min ‖R − Σ_{r<R} vec(A_r) vec(B_r)ᵀ‖_F,

a best rank-``R`` approximation of ``R``: by Eckart–Young it is the truncated
SVD ``R = Σ σ_r u_r v_rᴴ``, with error ``sqrt(Σ_{r≥R} σ_r²)``.

How ``R`` is reached, per structure (a ``functools.singledispatch`` table in
this module; the structures' own files are not touched): when ``M`` is a sum of
``k`` Kronecker products aligned with the split, ``M = Σ_t P_t ⊗ Q_t``, then
``R = U Vᵀ`` with ``U = [vec(P_t)]`` (``p × k``) and ``V = [vec(Q_t)]``
(``q × k``), known without forming ``M``:

- ``Kronecker`` whose factors split into ``(m₁, n₁)`` and ``(m₂, n₂)``: ``k = 1``;
- ``KroneckerSum`` ``A ⊕ B = A ⊗ I + I ⊗ B`` (and ``⊕`` of more factors split
  the same way): one column per term;
- ``Sum`` and ``Scaled`` of those: columns concatenated, scaled;
- ``Identity`` with a square split: ``I = I ⊗ I``, ``k = 1``; ``Diagonal`` with
  a square split: ``diag(d) = Σ_i e_i e_iᵀ ⊗ diag(D[i, :])`` for
  ``D = d.reshape(m₁, m₂)``, ``k = m₁``;
- ``Dense`` (and arrays): ``R`` itself, by a reshape and a transpose;
- ``Block`` of an ``m₁ × n₁`` grid of dense ``m₂ × n₂`` blocks (``None`` for
  zero blocks): the rows of ``R`` are the blocks, read where they are;
  ``BlockDiagonal`` of ``m₁`` dense ``m₂ × n₂`` blocks: ``R`` factored with
  ``k = m₁`` (the diagonal block positions and the blocks).

Anything else is formed densely (``to_dense``, within its memory budget) with
a :class:`~kronblock.DensificationWarning`.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass
from typing import Any, cast, final

import numpy as np

from .._array_api import (
    Array,
    Namespace,
    as_float_dtype,
    device_of,
    from_numpy,
    to_numpy,
)
from .._errors import DensificationWarning, format_bytes
from .._operator import AbstractLinearOperator, Scaled, Sum, _itemsize
from ..linalg._validate import as_operator
from ..operators._block import Block
from ..operators._block_diagonal import BlockDiagonal
from ..operators._dense import Dense, Diagonal, Identity
from ..operators._kronecker import Kronecker, kron
from ..operators._kronecker_sum import KroneckerSum

__all__ = ["KroneckerApproximation", "nearest_kronecker"]

METHODS = ("auto", "factored", "svd", "svds", "lanczos")


@final
@dataclass(frozen=True, eq=False)
class KroneckerApproximation:
    """``M ≈ Σ_{r<R} A_r ⊗ B_r``, the best Frobenius approximation of Kronecker rank ``R``.

    Attributes
    ----------
    factors : tuple of (A_r, B_r)
        ``A_r`` of shape ``shape_a`` and ``B_r`` of shape ``shape_b``, arrays in
        ``M``'s library and floating dtype.  Scale split evenly:
        ``A_r = √σ_r · unvec(u_r)``, ``B_r = √σ_r · unvec(conj(v_r))``, so
        ``‖A_r‖_F = ‖B_r‖_F = √σ_r``; the sign (phase) is fixed so that the
        entry of ``A_r`` largest in modulus is real and positive.
    singular_values : array (R,)
        ``σ_0 ≥ σ_1 ≥ …`` of the rearrangement kept (zeros where ``M`` has a
        lower Kronecker rank than asked for; those terms are zero).
    error : float
        ``‖M − Σ_r A_r ⊗ B_r‖_F = sqrt(Σ_{r≥R} σ_r²)``.
    relative_error : float
        ``error / ‖M‖_F`` (0 for ``M = 0``).
    norm : float
        ``‖M‖_F``.
    method : str
        The method that ran: ``"factored"``, ``"svd"`` or ``"svds"``.
    """

    factors: tuple[tuple[Array, Array], ...]
    singular_values: Array
    error: float
    relative_error: float
    norm: float
    method: str

    @property
    def rank(self) -> int:
        """The number of Kronecker terms ``R``."""
        return len(self.factors)

    @property
    def operator(self) -> AbstractLinearOperator:
        """``A_0 ⊗ B_0`` (a :class:`~kronblock.Kronecker`), or the lazy ``Sum`` of the terms."""
        terms = tuple(kron(a, b) for a, b in self.factors)
        return terms[0] if len(terms) == 1 else Sum(terms)


# ---- the rearrangement, per structure ------------------------------------------------
@dataclass(frozen=True)
class _Rearranged:
    """``R``: dense (``p × q``) or factored as ``U Vᵀ`` (``U``: ``p × k``, ``V``: ``q × k``)."""

    dense: Array | None = None
    u: Array | None = None
    v: Array | None = None


Split = tuple[tuple[int, int], tuple[int, int]]


def _rearrange_array(xp: Namespace, m: Array, split: Split) -> Array:
    (m1, n1), (m2, n2) = split
    # (m₁m₂, n₁n₂) -> (m₁, m₂, n₁, n₂) -> (m₁, n₁, m₂, n₂) -> (m₁n₁, m₂n₂)
    t = xp.permute_dims(xp.reshape(m, (m1, m2, n1, n2)), (0, 2, 1, 3))
    return xp.reshape(t, (m1 * n1, m2 * n2))


def _densified(op: AbstractLinearOperator, split: Split) -> _Rearranged:
    m, n = op.shape
    warnings.warn(
        f"nearest_kronecker: no factored rearrangement for {type(op).__name__} with the split "
        f"{split[0]} ⊗ {split[1]}; forming the dense {m}×{n} matrix "
        f"({format_bytes(m * n * _itemsize(op.xp, op.dtype))})",
        DensificationWarning,
        stacklevel=5,
    )
    return _rearrange_dense(Dense(op.to_dense()), split)


@functools.singledispatch
def _rearrange(op: AbstractLinearOperator, split: Split) -> _Rearranged:
    """``R(op)``; the generic rule forms ``op`` densely (with a warning)."""
    return _densified(op, split)


@_rearrange.register
def _rearrange_dense(op: Dense, split: Split) -> _Rearranged:
    return _Rearranged(dense=_rearrange_array(op.xp, op.array, split))


def _kron_split(k: Kronecker, split: Split) -> tuple[Array, Array] | None:
    """``(P, Q)`` with ``k = P ⊗ Q`` and the split's shapes, if the factors allow it."""
    (m1, n1), _ = split
    rows, cols = 1, 1
    for cut in range(len(k.factors) + 1):
        if (rows, cols) == (m1, n1):
            left, right = k.factors[:cut], k.factors[cut:]
            return _dense_kron(k, left, (m1, n1)), _dense_kron(k, right, split[1])
        if cut < len(k.factors):
            rows *= k.factors[cut].shape[0]
            cols *= k.factors[cut].shape[1]
    return None


def _dense_kron(k: Kronecker, factors: tuple[AbstractLinearOperator, ...], shape: Any) -> Array:
    xp, dt = k.xp, as_float_dtype(k.xp, k.dtype)
    if not factors:
        return xp.ones(shape, dtype=dt, device=k.device)
    out = Kronecker(factors).to_dense() if len(factors) > 1 else factors[0].to_dense()
    return out if out.dtype == dt else xp.astype(out, dt)


def _columns(xp: Namespace, pairs: list[tuple[Array, Array]]) -> _Rearranged:
    u = xp.stack([xp.reshape(p, (-1,)) for p, _ in pairs], axis=1)  # (p, k)
    v = xp.stack([xp.reshape(q, (-1,)) for _, q in pairs], axis=1)  # (q, k)
    return _Rearranged(u=u, v=v)


@_rearrange.register
def _rearrange_kronecker(op: Kronecker, split: Split) -> _Rearranged:
    # R(P ⊗ Q) = vec(P) vec(Q)ᵀ: exact rank 1
    pq = _kron_split(op, split)
    if pq is None:
        return _densified(op, split)
    return _columns(op.xp, [pq])


@_rearrange.register
def _rearrange_kronecker_sum(op: KroneckerSum, split: Split) -> _Rearranged:
    # A ⊕ B = A ⊗ I + I ⊗ B: R = vec(A) vec(I)ᵀ + vec(I) vec(B)ᵀ, rank ≤ 2 (one per term)
    pairs = [_kron_split(t, split) for t in op.terms()]
    if any(p is None for p in pairs):
        return _densified(op, split)
    return _columns(op.xp, [p for p in pairs if p is not None])


def _block_vec(op: AbstractLinearOperator, b: AbstractLinearOperator | None, size: int) -> Array:
    """``vec`` of a dense block of ``op`` (zeros for ``None``), in ``op``'s dtype."""
    xp = op.xp
    if b is None:
        return xp.zeros((size,), dtype=op.dtype, device=op.device)
    return xp.astype(xp.reshape(cast(Dense, b).array, (-1,)), op.dtype)


def _dense_blocks(blocks: list[AbstractLinearOperator | None], shape: tuple[int, int]) -> bool:
    return all(b is None or (isinstance(b, Dense) and b.shape == shape) for b in blocks)


@_rearrange.register
def _rearrange_block(op: Block, split: Split) -> _Rearranged:
    # A grid of m₁ × n₁ blocks, each m₂ × n₂: row (i, j) of R is vec(block_ij), so R is the
    # blocks themselves, read where they are (never M as a whole)
    (m1, n1), (m2, n2) = split
    flat = [b for row in op.blocks for b in row]
    aligned = op.row_sizes == (m2,) * m1 and op.col_sizes == (n2,) * n1
    if not aligned or not _dense_blocks(flat, (m2, n2)):
        return _densified(op, split)
    xp = op.xp
    return _Rearranged(dense=xp.stack([_block_vec(op, b, m2 * n2) for b in flat]))


@_rearrange.register
def _rearrange_block_diagonal(op: BlockDiagonal, split: Split) -> _Rearranged:
    # m₁ dense m₂ × n₂ blocks on the diagonal: R = Σᵢ e_(i,i) vec(Bᵢ)ᵀ, factored with
    # U = the selection of rows (i, i) (m₁n₁ × m₁) and V = [vec Bᵢ] (m₂n₂ × m₁)
    (m1, n1), (m2, n2) = split
    blocks = list(op.blocks)
    if not (m1 == n1 == len(blocks)) or not _dense_blocks(blocks, (m2, n2)):  # type: ignore[arg-type]
        return _densified(op, split)
    xp = op.xp
    v = xp.stack([_block_vec(op, b, m2 * n2) for b in blocks], axis=1)
    sel = np.zeros((m1 * n1, m1))
    sel[np.arange(m1) * (n1 + 1), np.arange(m1)] = 1.0  # row (i, i) = i·n₁ + i
    u = xp.asarray(sel, dtype=op.dtype, device=device_of(v))
    return _Rearranged(u=u, v=v)


def _square_split(split: Split) -> bool:
    (m1, n1), (m2, n2) = split
    return m1 == n1 and m2 == n2


@_rearrange.register
def _rearrange_identity(op: Identity, split: Split) -> _Rearranged:
    if not _square_split(split):
        return _densified(op, split)
    # I = I_{m₁} ⊗ I_{m₂}
    (m1, _), (m2, _) = split
    xp, dt, dev = op.xp, as_float_dtype(op.xp, op.dtype), op.device
    return _columns(xp, [(xp.eye(m1, dtype=dt, device=dev), xp.eye(m2, dtype=dt, device=dev))])


@_rearrange.register
def _rearrange_diagonal(op: Diagonal, split: Split) -> _Rearranged:
    if not _square_split(split):
        return _densified(op, split)
    # diag(d) = Σ_i e_i e_iᵀ ⊗ diag(D[i, :]), D = d.reshape(m₁, m₂):
    # U[(a, b), i] = δ_ab δ_ai (p × m₁), V[(a, b), i] = δ_ab D[i, a] (q × m₁)
    (m1, _), (m2, _) = split
    xp, dt, dev = op.xp, as_float_dtype(op.xp, op.dtype), op.device
    d = op.diagonal if op.diagonal.dtype == dt else xp.astype(op.diagonal, dt)
    e1 = xp.eye(m1, dtype=dt, device=dev)
    e2 = xp.eye(m2, dtype=dt, device=dev)
    u = xp.reshape(e1[:, :, None] * e1[:, None, :], (m1 * m1, m1))
    dt_ = xp.matrix_transpose(xp.reshape(d, (m1, m2)))  # (m₂, m₁)
    v = xp.reshape(e2[:, :, None] * dt_[:, None, :], (m2 * m2, m1))
    return _Rearranged(u=u, v=v)


@_rearrange.register
def _rearrange_scaled(op: Scaled, split: Split) -> _Rearranged:
    inner = _rearrange(op.operator, split)
    xp, dt = op.xp, as_float_dtype(op.xp, op.dtype)
    s = op.scalar
    if inner.dense is not None:
        return _Rearranged(dense=_cast(xp, inner.dense, dt) * s)
    assert inner.u is not None
    return _Rearranged(u=_cast(xp, inner.u, dt) * s, v=_cast(xp, inner.v, dt))


def _cast(xp: Namespace, a: Any, dt: Any) -> Array:
    return a if a.dtype == dt else xp.astype(a, dt)


@_rearrange.register
def _rearrange_sum(op: Sum, split: Split) -> _Rearranged:
    parts = [_rearrange(t, split) for t in op.terms]
    xp, dt = op.xp, as_float_dtype(op.xp, op.dtype)
    if all(p.dense is None for p in parts):  # Σ U_t V_tᵀ = [U_1 U_2 …][V_1 V_2 …]ᵀ
        u = xp.concat([_cast(xp, p.u, dt) for p in parts], axis=1)
        v = xp.concat([_cast(xp, p.v, dt) for p in parts], axis=1)
        return _Rearranged(u=u, v=v)
    return _Rearranged(dense=_sum_dense(xp, parts, dt))


def _sum_dense(xp: Namespace, parts: list[_Rearranged], dt: Any) -> Array:
    out = None
    for p in parts:
        r = _cast(xp, p.dense if p.dense is not None else _form(xp, p), dt)
        out = r if out is None else out + r
    assert out is not None
    return out


def _form(xp: Namespace, r: _Rearranged) -> Array:
    """``U Vᵀ`` (``p × q``, the size of ``M``)."""
    assert r.u is not None and r.v is not None
    return r.u @ xp.matrix_transpose(r.v)


# ---- the truncated SVD of R ------------------------------------------------------------
def _svd_factored(xp: Namespace, r: _Rearranged) -> tuple[Array, Array, Array]:
    """``R = U Vᵀ = Q_u (R_u R_vᵀ) Q_vᵀ``: two QRs and the SVD of a ``k × k`` core.

    Returns ``(L, s, Bt)`` with ``R = L diag(s) Bt`` (all ``min(p, q, k)``
    singular values: the rest are zero).
    """
    assert r.u is not None and r.v is not None
    qu, ru = xp.linalg.qr(r.u)  # (p, k'), (k', k)
    qv, rv = xp.linalg.qr(r.v)  # (q, k''), (k'', k)
    w, s, zh = xp.linalg.svd(ru @ xp.matrix_transpose(rv), full_matrices=False)
    return qu @ w, s, zh @ xp.matrix_transpose(qv)


def _svds(xp: Namespace, r: _Rearranged, rank: int, like: Array) -> tuple[Array, Array, Array]:
    """Leading ``rank`` singular triplets by ARPACK (Lanczos bidiagonalization), on the host."""
    from scipy.sparse.linalg import LinearOperator, svds

    if r.dense is not None:
        a: Any = to_numpy(r.dense)
        shape = a.shape
    else:
        assert r.u is not None and r.v is not None
        u, v = to_numpy(r.u), to_numpy(r.v)
        shape = (u.shape[0], v.shape[0])
        a = LinearOperator(
            shape,
            matvec=lambda x: u @ (v.T @ x),
            rmatvec=lambda y: v.conj() @ (u.conj().T @ y),
            dtype=np.result_type(u, v),
        )
    if rank >= min(shape):
        raise ValueError(
            f"nearest_kronecker: method='svds' needs rank < min(m₁·n₁, m₂·n₂) = {min(shape)}, "
            f"got rank={rank}; use method='svd' for that many terms"
        )
    v0 = np.random.default_rng(0).standard_normal(min(shape))  # reproducible start
    if np.iscomplexobj(np.empty(0, dtype=a.dtype)):
        v0 = v0 + 0j
    left, s, right = svds(a, k=rank, v0=v0, solver="arpack")
    order = np.argsort(s)[::-1]
    return (
        from_numpy(np.ascontiguousarray(left[:, order]), like),
        from_numpy(np.ascontiguousarray(s[order]), like),
        from_numpy(np.ascontiguousarray(right[order, :]), like),
    )


def _frobenius(xp: Namespace, r: _Rearranged) -> float:
    if r.dense is not None:
        return float(xp.linalg.vector_norm(r.dense))
    assert r.u is not None and r.v is not None
    # ‖U Vᵀ‖² = Σᵢⱼ (UᴴU)ᵢⱼ (VᵀV̄)ⱼᵢ, without forming U Vᵀ
    g1 = xp.conj(xp.matrix_transpose(r.u)) @ r.u
    g2 = xp.matrix_transpose(r.v) @ xp.conj(r.v)
    return math.sqrt(max(float(xp.real(xp.sum(g1 * xp.matrix_transpose(g2)))), 0.0))


def _phase_fixed(xp: Namespace, left: Array, right: Array) -> tuple[Array, Array]:
    """Columns of ``left`` with their largest entry (in modulus) real positive.

    The rows of ``right`` take the inverse phase, so ``left @ diag(s) @ right`` is unchanged.
    """
    r = left.shape[1]
    mag = xp.abs(left)
    idx = xp.argmax(mag, axis=0)  # (r,)
    piv = xp.take(xp.reshape(left, (-1,)), idx * r + xp.arange(r, device=device_of(left)))
    apiv = xp.abs(piv)
    phase = xp.where(
        apiv > 0, piv / xp.where(apiv > 0, apiv, xp.ones_like(apiv)), xp.ones_like(piv)
    )
    return left / phase[None, :], right * phase[:, None]


def _check_shape(name: str, s: Any) -> tuple[int, int]:
    ok = (
        isinstance(s, (tuple, list))
        and len(s) == 2
        and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in s)
    )
    if not ok:
        raise TypeError(f"nearest_kronecker: {name} must be a pair of ints (rows, cols), got {s!r}")
    if s[0] < 1 or s[1] < 1:
        raise ValueError(f"nearest_kronecker: {name} must be positive, got {tuple(s)}")
    return int(s[0]), int(s[1])


def nearest_kronecker(
    m: Any,
    shape_a: tuple[int, int],
    shape_b: tuple[int, int],
    *,
    rank: int = 1,
    method: str = "auto",
) -> KroneckerApproximation:
    """The best Frobenius approximation ``M ≈ Σ_{r<rank} A_r ⊗ B_r`` (Van Loan–Pitsianis).

    Through the SVD of the rearrangement ``R(M)``, which maps ``A ⊗ B`` to
    ``vec(A) vec(B)ᵀ`` (row-major ``vec``; see the module docstring): the
    leading ``rank`` singular triplets give the terms and the others the
    error, ``‖M − Σ A_r ⊗ B_r‖_F = sqrt(Σ_{r≥rank} σ_r²)``, reported without
    forming the residual.

    Parameters
    ----------
    m : array or operator, shape (m₁·m₂, n₁·n₂)
    shape_a, shape_b : (int, int)
        ``(m₁, n₁)`` and ``(m₂, n₂)``.
    rank : int, default 1
        The number of Kronecker terms, ``1 ≤ rank ≤ min(m₁·n₁, m₂·n₂)``.
    method : {"auto", "factored", "svd", "svds", "lanczos"}
        ``"factored"``: for operators that are sums of ``k`` Kronecker products
        aligned with the split (``Kronecker``, ``KroneckerSum``, ``Sum``,
        ``Scaled``, ``Identity``, ``Diagonal``): ``R = U Vᵀ`` from the factors,
        QR of ``U`` (``p × k``) and ``V`` (``q × k``), SVD of the ``k × k``
        core: ``O((p + q)·k² + k³)``, ``M`` never formed; exact.
        ``"svd"``: full SVD of ``R`` (``p × q``, formed):
        ``O(p·q·min(p, q))``; exact.
        ``"svds"`` (``"lanczos"`` is the same): the leading ``rank`` triplets
        by ARPACK's implicitly restarted Lanczos bidiagonalization
        (``scipy.sparse.linalg.svds``, on the host, a fixed start vector):
        ``O(p·q)`` per iteration for a dense ``R``, ``O((p + q)·k)`` for a
        factored one; for a few terms of a large ``R``; needs
        ``rank < min(p, q)``; the error is then
        ``sqrt(max(‖M‖_F² − Σ σ_r², 0))``, which loses relative accuracy
        when it is below ``√eps·‖M‖_F``.
        ``"auto"``: ``"factored"`` where the structure is known, else ``"svd"``
        (never an iterative method unless named).

    Returns
    -------
    KroneckerApproximation
        ``factors`` ``(A_r, B_r)`` (``A_r = √σ_r·unvec(u_r)``,
        ``B_r = √σ_r·unvec(conj(v_r))``), ``singular_values``, ``error``,
        ``relative_error``, ``norm`` and ``.operator`` (the lazy
        ``Σ kron(A_r, B_r)``).  dtype: ``M``'s floating dtype.

    Raises
    ------
    ValueError
        Shapes whose products do not match ``M``'s, ``rank`` outside
        ``[1, min(m₁·n₁, m₂·n₂)]``, an unknown ``method``, or
        ``method="factored"`` where no factored form is known.
    TypeError
        Shapes that are not pairs of ints, or a non-integer ``rank``.

    Warns
    -----
    DensificationWarning
        When an operator without a factored rearrangement is formed densely.

    Examples
    --------
    A K-FAC-like preconditioner: one Kronecker product for a sum of two.

    >>> import numpy as np, kronblock as kb
    >>> from kronblock.approximation import nearest_kronecker
    >>> rng = np.random.default_rng(0)
    >>> def spd(n):
    ...     g = rng.normal(size=(n, n))
    ...     return g @ g.T / n + np.eye(n)
    >>> A1, B1, A2, B2 = spd(30), spd(40), spd(30), spd(40)
    >>> F = kb.kron(A1, B1) + kb.kron(A2, B2)          # 1200 × 1200, never formed
    >>> approx = nearest_kronecker(F, (30, 30), (40, 40))
    >>> approx.method, approx.rank
    ('factored', 1)
    >>> P = approx.operator                            # A ⊗ B: solves through the factors
    >>> dense = np.kron(A1, B1) + np.kron(A2, B2)
    >>> bool(np.isclose(approx.error, np.linalg.norm(dense - P.to_dense())))
    True
    >>> bool(approx.relative_error < 0.2)
    True
    >>> g = rng.normal(size=1200)
    >>> step = kb.solve(P, g)                          # preconditioned gradient
    >>> bool(np.allclose(P @ step, g))
    True

    Two terms reproduce ``F`` exactly:

    >>> exact = nearest_kronecker(F, (30, 30), (40, 40), rank=2)
    >>> bool(exact.relative_error < 1e-12)
    True
    """
    op = as_operator(m, "nearest_kronecker")
    a_shape = _check_shape("shape_a", shape_a)
    b_shape = _check_shape("shape_b", shape_b)
    (m1, n1), (m2, n2) = a_shape, b_shape
    if (m1 * m2, n1 * n2) != op.shape:
        raise ValueError(
            f"nearest_kronecker: shape_a {a_shape} and shape_b {b_shape} give a Kronecker "
            f"product of shape {(m1 * m2, n1 * n2)}, but M has shape {op.shape}; choose "
            f"shapes with m₁·m₂ = {op.shape[0]} and n₁·n₂ = {op.shape[1]}"
        )
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)):
        raise TypeError(f"nearest_kronecker: rank must be an int, got {rank!r}")
    p, q = m1 * n1, m2 * n2
    if not 1 <= rank <= min(p, q):
        raise ValueError(
            f"nearest_kronecker: rank={rank} is not possible for these shapes: the Kronecker "
            f"rank is between 1 and min(m₁·n₁, m₂·n₂) = {min(p, q)}"
        )
    rank = int(rank)
    if method not in METHODS:
        raise ValueError(f"nearest_kronecker: method must be one of {METHODS}, got {method!r}")
    split: Split = (a_shape, b_shape)
    xp = op.xp
    dt = as_float_dtype(xp, op.dtype)
    r = _rearrange(op, split)
    if method == "factored" and r.u is None:
        raise ValueError(
            f"nearest_kronecker: method='factored' needs an operator whose rearrangement is "
            f"known in factored form (Kronecker, KroneckerSum, Sum or Scaled of them, "
            f"Identity, Diagonal) with the split {a_shape} ⊗ {b_shape}; got "
            f"{type(op).__name__}; use method='svd' or 'svds'"
        )
    chosen = {"auto": "factored" if r.u is not None else "svd", "lanczos": "svds"}.get(
        method, method
    )
    if r.dense is not None:
        r = _Rearranged(dense=_cast(xp, r.dense, dt))
    else:
        r = _Rearranged(u=_cast(xp, r.u, dt), v=_cast(xp, r.v, dt))

    if chosen == "svds":
        like = r.dense if r.dense is not None else r.u
        assert like is not None
        left, s, right = _svds(xp, r, rank, like)
        norm = _frobenius(xp, r)
        kept = float(xp.sum(s * s))
        error = math.sqrt(max(norm * norm - kept, 0.0))
    else:
        if chosen == "factored":
            left, s, right = _svd_factored(xp, r)
        else:  # "svd"
            dense = r.dense if r.dense is not None else _form(xp, r)
            left, s, right = xp.linalg.svd(dense, full_matrices=False)
        norm = float(xp.linalg.vector_norm(s))
        error = float(xp.linalg.vector_norm(s[rank:])) if s.shape[0] > rank else 0.0
        left, s, right = left[:, :rank], s[:rank], right[:rank, :]
    found = s.shape[0]
    left, right = _phase_fixed(xp, left, right)
    root = xp.sqrt(s)
    a_vecs = left * xp.astype(root, left.dtype)[None, :]  # (p, found)
    b_vecs = right * xp.astype(root, right.dtype)[:, None]  # (found, q)
    factors = [
        (xp.reshape(a_vecs[:, i], a_shape), xp.reshape(b_vecs[i, :], b_shape)) for i in range(found)
    ]
    dev = device_of(left)
    for _ in range(found, rank):  # M has Kronecker rank `found` < rank: zero terms
        factors.append(
            (xp.zeros(a_shape, dtype=dt, device=dev), xp.zeros(b_shape, dtype=dt, device=dev))
        )
    if found < rank:
        s = xp.concat([s, xp.zeros((rank - found,), dtype=s.dtype, device=dev)])
    return KroneckerApproximation(
        factors=tuple(factors),
        singular_values=s,
        error=error,
        relative_error=error / norm if norm > 0 else 0.0,
        norm=norm,
        method=chosen,
    )
