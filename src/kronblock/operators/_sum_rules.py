"""Sums with structure: ``K + σ²I``, ``K + D``, ``A₁⊗B₁ + A₂⊗B₂`` and ``A⊕B + sI``.

A lazy :class:`~kronblock.Sum` is recognised here when its terms have a
pattern with an exact structured algorithm; any other sum takes the generic
(dense) rule.  The patterns, tried in this order:

1. **Kronecker sum plus shifts**, ``(A⊕B) + s·I = (A + s·I)⊕B``: a Kronecker
   sum again, with all its rules; likewise a block-diagonal matrix plus shifts
   is block-diagonal, ``(B₁ ⊕ … ⊕ B_p) + s·I = (B₁ + s·I) ⊕ …``.
2. **Two Kronecker products** ``s·(A₁⊗…⊗A_K) + t·(B₁⊗…⊗B_K)`` with factors of
   matching orders, every ``Aᵢ`` Hermitian and every ``Bᵢ`` Hermitian positive
   definite (``Bᵢ = I`` for ``K + σ²I``, a positive diagonal for ``K + D`` with
   ``D`` a Kronecker product of diagonals).  The factor pairs' generalized
   eigenproblems ``Aᵢ Uᵢ = Bᵢ Uᵢ Λᵢ``, ``Uᵢᴴ Bᵢ Uᵢ = I``, give
   ``G = ⊗Uᵢ`` with ``Gᴴ (sA + tB) G = diag(s·λ + t)``, ``λ = kron(λ₁, …, λ_K)``:
   a :class:`~kronblock.linalg._factorization.CongruenceFactorization` with
   solves in two Kronecker products and ``log det = Σ log(s·λ + t) +
   Σᵢ (N/nᵢ) log det(t·Bᵢ)``.  ``Bᵢ = I`` makes ``G`` unitary: then
   ``eigh``, ``inv`` and ``funm`` are structured too.  (For ``Bᵢ = Dᵢ``
   diagonal, ``Uᵢ = Dᵢ^{-1/2} Ṽᵢ`` is exactly the whitening
   ``D^{-1/2}(K + D)D^{-1/2} = K̃ + I``.)

3. **Kronecker plus any positive diagonal** ``s·K + D`` (``K``'s factors
   Hermitian, ``s·K`` positive semidefinite, ``D = diag(d)``, ``d > 0``, with
   no Kronecker structure: missing data, heteroscedastic noise).  No exact
   structured identity exists, so ``solve`` runs preconditioned conjugate
   gradients (:class:`kronblock.solvers.PCG`) whose preconditioner is the
   exact solve of ``s·K + d̄·I`` (``d̄`` the mean of ``d``, pattern 2), to a
   tolerance near the working precision; the factorization reports each
   solve (:class:`KroneckerDiagonalPCG`) and non-convergence raises
   :class:`~kronblock.solvers.ConvergenceError`.  Its determinant has no
   structured rule (the dense fallback, with its warning).

Cost: ``Σ O(nᵢ³)`` once, ``O(N·Σnᵢ)`` a solve (per iteration for pattern 3);
never ``N × N``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._array_api import (
    Array,
    Namespace,
    as_float_dtype,
    is_complex_dtype,
    is_eager,
    real_dtype,
)
from .._delegate import solve_triangular
from .._operator import AbstractLinearOperator, Scaled, Sum, astype
from .._tags import POSITIVE_DEFINITE
from ..linalg import eig, eigh, eigvals, eigvalsh, factorize, inv, norm, slogdet, svd
from ..linalg._factorization import CongruenceFactorization, Factorization, slogdet_of_values
from ..linalg._matfun import expm, funm, rescale, spectral_operator
from ._dense import Dense, Diagonal, Identity
from ._dense_rules import is_hermitian
from ._kronecker import Kronecker, kron_vectors
from ._kronecker_sum import KroneckerSum, is_hermitian_operator

__all__ = [
    "KroneckerDiagonalPCG",
    "KroneckerPair",
    "kron_plus_diagonal",
    "kronecker_pair",
    "shifted_kronsum",
]


def _unscale(op: AbstractLinearOperator) -> tuple[Any, AbstractLinearOperator]:
    return (op.scalar, op.operator) if isinstance(op, Scaled) else (1, op)


def _shift(op: AbstractLinearOperator) -> Any | None:
    """``s`` if ``op`` is ``s·I``, else ``None``."""
    s, inner = _unscale(op)
    return s if isinstance(inner, Identity) else None


# ---- pattern 1: a Kronecker sum plus shifts -----------------------------------------------
def shifted_kronsum(a: Sum) -> KroneckerSum | None:
    """``(A₁⊕…) + s·I`` (any number of shifts) as ``(A₁ + s·I)⊕…``, else ``None``."""
    sums = [t for t in a.terms if isinstance(_unscale(t)[1], KroneckerSum)]
    shifts = [_shift(t) for t in a.terms if not isinstance(_unscale(t)[1], KroneckerSum)]
    if len(sums) != 1 or any(s is None for s in shifts) or not shifts:
        return None
    c, inner = _unscale(sums[0])
    ks = rescale(inner, c) if c != 1 else inner  # c(A⊕B) = (cA)⊕(cB)
    if not isinstance(ks, KroneckerSum):  # pragma: no cover - rescale keeps Kronecker sums
        return None
    total = sum(s for s in shifts if s is not None)
    # (A₁⊕…⊕A_K) + s·I = … ⊕ (Aᵢ + s·I) ⊕ …: shift the smallest factor
    i = min(range(len(ks.factors)), key=lambda j: ks.factors[j].shape[0])
    f = ks.factors[i]
    xp = f.xp
    if isinstance(f, Diagonal):
        shifted: AbstractLinearOperator = Diagonal(f.diagonal + total)
    else:
        dense = f.to_dense()
        eye = xp.eye(f.shape[0], dtype=dense.dtype, device=f.device)
        tags = f.tags & ({POSITIVE_DEFINITE} if _real_nonneg(total) else set())
        shifted = Dense(dense + eye * total, frozenset(tags))
    return KroneckerSum((*ks.factors[:i], shifted, *ks.factors[i + 1 :]))


def shifted_block_diagonal(a: Sum) -> AbstractLinearOperator | None:
    """``(B₁ ⊕ … ⊕ B_p) + s·I`` as ``(B₁ + s·I) ⊕ … ⊕ (B_p + s·I)`` (square blocks), or None."""
    from ._block_diagonal import BlockDiagonal

    diag = [t for t in a.terms if isinstance(_unscale(t)[1], BlockDiagonal)]
    shifts = [_shift(t) for t in a.terms if not isinstance(_unscale(t)[1], BlockDiagonal)]
    if len(diag) != 1 or any(s is None for s in shifts) or not shifts:
        return None
    c, bd = _unscale(diag[0])
    assert isinstance(bd, BlockDiagonal)
    if any(b.shape[0] != b.shape[1] for b in bd.blocks):
        return None
    total = sum(s for s in shifts if s is not None)
    blocks = []
    for b in bd.blocks:
        scaled = b if c == 1 else rescale(b, c)  # c·B into the block's structure
        blocks.append(_shifted(c * b if scaled is None else scaled, total))
    return BlockDiagonal(tuple(blocks))


def _shifted(op: AbstractLinearOperator, s: Any) -> AbstractLinearOperator:
    """``op + s·I`` keeping the structure where it has one (dense, diagonal, Kronecker sum)."""
    xp = op.xp
    inner_c, inner = _unscale(op)
    if isinstance(inner, Dense) and inner_c == 1:
        eye = xp.eye(op.shape[0], dtype=inner.array.dtype, device=op.device)
        return Dense(inner.array + eye * s)
    if isinstance(inner, Diagonal) and inner_c == 1:
        return Diagonal(inner.diagonal + s)
    if isinstance(inner, KroneckerSum):
        ks = shifted_kronsum(Sum((op, s * Identity(op.shape[0]))))
        if ks is not None:
            return ks
    return Sum((op, s * Identity(op.shape[0])))


def canonical_sum(a: Sum) -> AbstractLinearOperator | None:
    """A sum that is a structure in disguise: ``kronsum + s·I`` or ``block_diag + s·I``."""
    ks = shifted_kronsum(a)
    return ks if ks is not None else shifted_block_diagonal(a)


def _real_nonneg(s: Any) -> bool:
    c = complex(s)
    return c.imag == 0 and c.real >= 0


# ---- pattern 2: s·(⊗Aᵢ) + t·(⊗Bᵢ), Aᵢ Hermitian, Bᵢ Hermitian positive definite -------------
@dataclass(frozen=True)
class KroneckerPair:
    """``s·(A₁⊗…⊗A_K) + t·(B₁⊗…⊗B_K)`` with Hermitian ``Aᵢ`` and positive definite ``Bᵢ``."""

    s: Any
    a: tuple[AbstractLinearOperator, ...]
    t: Any
    b: tuple[AbstractLinearOperator, ...]  # Identity factors for a shift

    @property
    def unitary(self) -> bool:
        """True when every ``Bᵢ`` is the identity (``G`` is unitary: an eigendecomposition)."""
        return all(isinstance(f, Identity) for f in self.b)


def _kron_factors(op: AbstractLinearOperator) -> tuple[AbstractLinearOperator, ...]:
    return op.factors if isinstance(op, Kronecker) else (op,)


def kronecker_pair(a: Sum) -> KroneckerPair | None:
    """The pattern of a two-term sum, or ``None`` (checked on eager data; lazy: ``None``).

    When both terms could play ``B`` (both positive definite), the one whose
    factors are better conditioned does: the error of the generalized
    eigenproblems grows like ``cond(Bᵢ)·eps``.
    """
    shifts = [_shift(t) for t in a.terms]
    others = [t for t, sh in zip(a.terms, shifts) if sh is None]
    if len(others) == 1 and len(a.terms) > 1:  # K + s₁I + s₂I + …: one shift
        total = sum(sh for sh in shifts if sh is not None)
        n = a.shape[0]
        terms: tuple[AbstractLinearOperator, ...] = (
            others[0],
            Scaled(total, Identity(n, others[0].dtype, a.xp, a.device)),
        )
    elif len(a.terms) == 2:
        terms = a.terms
    else:
        return None
    (s1, o1), (s2, o2) = (_unscale(t) for t in terms)
    found = []
    for s, x, t, y in ((s1, o1, s2, o2), (s2, o2, s1, o1)):
        if not isinstance(x, Kronecker):
            continue
        fa = x.factors
        if isinstance(y, Identity):  # a shift: B = I ⊗ … ⊗ I
            fb: tuple[AbstractLinearOperator, ...] = tuple(
                Identity(f.shape[0], f.dtype, f.xp, f.device) for f in fa
            )
        else:
            fb = _kron_factors(y)
        if len(fb) != len(fa) or any(
            f.shape[0] != f.shape[1] or f.shape != g.shape for f, g in zip(fa, fb)
        ):
            continue
        if all(is_hermitian_operator(f) for f in fa) and all(_is_pd(g) for g in fb):
            found.append(KroneckerPair(s, fa, t, fb))
    if len(found) == 2:
        return min(found, key=lambda p: math.prod(_condition(g) for g in p.b))
    return found[0] if found else None


def _condition(f: AbstractLinearOperator) -> float:
    """The 2-norm condition number of a positive definite factor (``O(n³)`` for a dense one)."""
    xp = f.xp
    if isinstance(f, Identity) or f.shape[0] == 0:
        return 1.0
    if isinstance(f, Diagonal):
        d = xp.abs(f.diagonal)
        return float(xp.max(d) / xp.min(d))
    w = eigvalsh(f)
    return float(xp.max(w) / xp.min(w))


def _is_pd(f: AbstractLinearOperator) -> bool:
    """Identity, a positive diagonal, or a Hermitian matrix with a Cholesky factor (eager)."""
    xp = f.xp
    if isinstance(f, Identity):
        return True
    if isinstance(f, Diagonal):
        d = f.diagonal
        if not is_eager(d):
            return False
        if is_complex_dtype(xp, d.dtype) and bool(xp.any(xp.imag(d) != 0)):
            return False
        return (
            bool(xp.all(xp.real(d) > 0)) if is_complex_dtype(xp, d.dtype) else bool(xp.all(d > 0))
        )
    if not isinstance(f, Dense) or not is_eager(f.array):
        return False
    if POSITIVE_DEFINITE not in f.tags and not is_hermitian(xp, f.array):
        return False
    try:
        low = xp.linalg.cholesky(f.array)
    except Exception:  # NumPy's LinAlgError, torch's RuntimeError, ...
        return False
    return bool(xp.all(xp.isfinite(low)))


@dataclass(frozen=True)
class _GenEig:
    """``A U = B U diag(λ)``, ``Uᴴ B U = I``, and ``log|det U| = −½ log det B``."""

    lam: Array
    u: AbstractLinearOperator
    logabsdet_u: Any


def _generalized_eigh(a: AbstractLinearOperator, b: AbstractLinearOperator, dtype: Any) -> _GenEig:
    """The generalized Hermitian eigenproblem of one factor pair: ``O(n³)``.

    ``B = I``: ``eigh(A)`` (structured for any factor type).  ``B = D``
    diagonal: ``eigh(D^{-1/2} A D^{-1/2})``, ``U = D^{-1/2} Y``.  ``B`` dense:
    ``B = L Lᴴ``, ``eigh(L⁻¹ A L⁻ᴴ) = (λ, Y)``, ``U = L⁻ᴴ Y``.
    """
    a, b = astype(a, dtype), astype(b, dtype)
    if isinstance(b, Identity):
        lam, v = eigh(a)
        return _GenEig(lam, v, 0.0)
    xp = a.xp
    ad = a.to_dense()
    if isinstance(b, Diagonal):
        d = xp.real(b.diagonal) if is_complex_dtype(xp, b.diagonal.dtype) else b.diagonal
        r = 1 / xp.sqrt(d)
        lam, y = xp.linalg.eigh(
            _hermitian_part(xp, ad * xp.astype(r[:, None] * r[None, :], ad.dtype))
        )
        u = y * xp.astype(r, y.dtype)[:, None]
        return _GenEig(lam, Dense(u), -0.5 * float(xp.sum(xp.log(d))))
    bd = b.to_dense()
    low = xp.linalg.cholesky(bd)
    x = solve_triangular(xp, low, ad, lower=True)  # L⁻¹ A
    c = solve_triangular(xp, low, xp.conj(xp.matrix_transpose(x)), lower=True)  # L⁻¹ A L⁻ᴴ
    lam, y = xp.linalg.eigh(_hermitian_part(xp, c))
    u = solve_triangular(xp, low, y, lower=True, adjoint=True)  # L⁻ᴴ Y
    diag = xp.linalg.diagonal(low)
    logdet_b = 2 * float(
        xp.sum(xp.log(xp.real(diag) if is_complex_dtype(xp, diag.dtype) else diag))
    )
    return _GenEig(lam, Dense(u), -0.5 * logdet_b)


def _hermitian_part(xp: Namespace, c: Array) -> Array:
    return (c + xp.conj(xp.matrix_transpose(c))) / 2


@dataclass(frozen=True)
class _PairForm:
    """``Gᴴ (sA + tB) G = diag(μ)`` with ``G = ⊗Uᵢ``."""

    g: Kronecker
    mu: Array
    logabsdet_g: float
    tol: float


def _pair_form(a: Sum, p: KroneckerPair) -> _PairForm:
    xp = a.xp
    dt = as_float_dtype(xp, a.dtype)
    parts = [_generalized_eigh(fa, fb, dt) for fa, fb in zip(p.a, p.b)]
    # μ = s·kron(λ₁, …, λ_K) + t: the scalar s folded into the smallest factor's values
    small = min(range(len(parts)), key=lambda i: parts[i].lam.shape[0])
    values = [q.lam * p.s if i == small and p.s != 1 else q.lam for i, q in enumerate(parts)]
    mu = kron_vectors(xp, values)
    mu = mu + p.t if p.t != 0 else mu
    n = a.shape[0]
    logabsdet_g = sum((n // q.lam.shape[0]) * q.logabsdet_u for q in parts if q.lam.shape[0])
    eps = float(xp.finfo(real_dtype(xp, dt)).eps)
    # max|μ| ≤ Πᵢ max|s·λᵢ| + |t|, from the factors (no pass over the N values)
    bound = math.prod(float(xp.max(xp.abs(v))) if v.shape[0] else 0.0 for v in values)
    scale = bound + abs(complex(p.t)) if n and is_eager(mu) else 0.0
    tol = 2 * len(parts) * eps * scale  # the rounding level of a computed s·λ + t
    return _PairForm(Kronecker(tuple(q.u for q in parts)), mu, logabsdet_g, tol)


def _pair_factorization(a: Sum, p: KroneckerPair, where: str) -> CongruenceFactorization:
    form = _pair_form(a, p)
    dt = as_float_dtype(a.xp, a.dtype)
    return CongruenceFactorization(form.g, form.mu, form.logabsdet_g, dt, tol=form.tol, where=where)


def _real_unitary_pair(p: KroneckerPair) -> bool:
    """``s·A + t·I`` with real ``s``, ``t``: Hermitian, ``G`` its eigenvectors."""
    return p.unitary and complex(p.s).imag == 0 and complex(p.t).imag == 0


# ---- pattern 3: s·K + diag(d), d > 0 arbitrary: PCG ---------------------------------------------
class KroneckerDiagonalPCG(Factorization):
    """``s·K + diag(d)`` solved by PCG, preconditioned by the exact ``(s·K + d̄·I)⁻¹``.

    Parameters
    ----------
    op : Sum
        ``s·kron(A₁, …) + diag(d)``: Hermitian factors, ``s·K`` positive
        semidefinite, ``d > 0`` (checked by :func:`kron_plus_diagonal`).
    rtol : float, optional
        Relative residual to reach: default ``1e-12`` in double precision,
        ``1e-5`` in single.
    maxiter : int, optional
        Default ``min(1000, max(200, 2·⌊√N⌋))``.  A run that stops without
        reaching ``rtol`` is still accepted when its backward error
        ``‖b − Ax‖ / (‖A‖‖x‖ + ‖b‖)`` is below ``rtol`` (an ill-conditioned
        system solved to working precision); otherwise it raises
        :class:`~kronblock.solvers.ConvergenceError`.

    Each solve costs per iteration one product with ``K`` and two with the
    factor eigenvector Kronecker product (the preconditioner), ``O(N·Σnᵢ)``;
    the iteration count depends on the spread of ``d`` around its mean, not
    on ``N``.  ``last_result`` is the :class:`~kronblock.solvers.SolverResult`
    of the latest solve (tolerance reached, iterations, residual history).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> rng = np.random.default_rng(0)
    >>> A = np.cov(rng.normal(size=(8, 20))); B = np.cov(rng.normal(size=(6, 20)))
    >>> d = rng.uniform(0.5, 2.0, 48)                       # heteroscedastic noise
    >>> f = kb.factorize(kb.kron(A, B) + kb.diag(d))
    >>> x = f.solve(np.ones(48))
    >>> f.last_result.converged, f.last_result.iterations < 48
    (True, True)
    >>> bool(np.allclose(x, np.linalg.solve(np.kron(A, B) + np.diag(d), np.ones(48))))
    True
    """

    def __init__(
        self, op: AbstractLinearOperator, *, rtol: float | None = None, maxiter: int | None = None
    ) -> None:
        found = kron_plus_diagonal(op) if isinstance(op, Sum) else None
        if found is None:
            raise ValueError(
                "KroneckerDiagonalPCG: expected s·kron(A₁, …) + diag(d) with Hermitian factors, "
                "s·K positive semidefinite and d > 0"
            )
        s, k, d = found
        xp = op.xp
        self.xp, self.n, self.dtype = xp, op.shape[0], as_float_dtype(xp, op.dtype)
        self.op = op
        self.last_result: Any = None
        single = real_dtype(xp, self.dtype) == xp.float32
        self.rtol = rtol if rtol is not None else (1e-5 if single else 1e-12)
        self.maxiter = (
            maxiter if maxiter is not None else min(1000, max(200, 2 * math.isqrt(self.n)))
        )
        self._dmax = xp.max(d)
        dbar = float(xp.mean(d))
        shift = Sum((Scaled(s, k), Scaled(dbar, Identity(self.n, k.dtype, xp, k.device))))
        pair = kronecker_pair(shift)
        assert pair is not None  # s·K + d̄·I with Hermitian factors: pattern 2
        self.preconditioner = _pair_factorization(shift, pair, "factorize")

    def _solve(self, b: Array, adjoint: bool) -> Array:
        from ..solvers import PCG

        # s·K + D is Hermitian: the adjoint solve is the same solve
        pre = self.preconditioner
        solver = PCG(
            M=lambda r: pre._solve(r, False),
            rtol=self.rtol,
            maxiter=self.maxiter,
            raise_on_failure=False,
        )
        result = solver.solve(self.op, b)
        self.last_result = result
        if not result.converged and self._backward_error(b, result.x) > self.rtol:
            from ..solvers import ConvergenceError

            raise ConvergenceError(
                f"solve: PCG on s·K + diag(d) stopped after {result.iterations} iterations at "
                f"relative residual {result.rtol_reached:.1e} (asked {self.rtol:.0e}), and the "
                f"backward error is above it too; raise maxiter, loosen rtol "
                f"(kb.KroneckerDiagonalPCG(op, rtol=..., maxiter=...)), or solve densely",
                result,
            )
        return result.x

    def _backward_error(self, b: Array, x: Array) -> float:
        """``max_j ‖b_j − A x_j‖ / (‖A‖·‖x_j‖ + ‖b_j‖)``, ``‖A‖ ≤ max|s·λ| + max d``.

        A stagnated recursion on an ill-conditioned system has still solved it
        to working precision when this is at the rounding level.
        """
        xp = self.xp
        r = b - self.op._matmat(x)
        norm_a = float(xp.max(xp.abs(self.preconditioner.mu))) + 2 * float(self._dmax)
        rn = xp.linalg.vector_norm(r, axis=0)
        den = norm_a * xp.linalg.vector_norm(x, axis=0) + xp.linalg.vector_norm(b, axis=0)
        return float(xp.max(rn / xp.where(den == 0, xp.ones_like(den), den)))

    def slogdet(self) -> tuple[Array, Array]:
        """No structured identity: the dense fallback (with its DensificationWarning)."""
        return _generic(slogdet.rules)(self.op)


def kron_plus_diagonal(a: Sum) -> tuple[Any, Kronecker, Array] | None:
    """``(s, K, d)`` if ``a`` is ``s·K + diag(d)`` as in pattern 3 (eager data), else ``None``."""
    if len(a.terms) != 2:
        return None
    (s1, o1), (s2, o2) = (_unscale(t) for t in a.terms)
    for s, x, t, y in ((s1, o1, s2, o2), (s2, o2, s1, o1)):
        if not (isinstance(x, Kronecker) and isinstance(y, Diagonal)):
            continue
        xp = y.xp
        d = y.diagonal * t
        if not is_eager(d) or is_complex_dtype(xp, d.dtype) or not bool(xp.all(d > 0)):
            continue
        if complex(s).imag != 0 or not all(
            f.shape[0] == f.shape[1] and is_hermitian_operator(f) for f in x.factors
        ):
            continue
        lam = kron_vectors(xp, [eigvalsh(f) for f in x.factors]) * complex(s).real
        eps = float(xp.finfo(real_dtype(xp, as_float_dtype(xp, a.dtype))).eps)
        if bool(xp.min(lam) < -100 * eps * float(xp.max(xp.abs(lam)))):
            continue  # s·K indefinite: CG does not apply
        return complex(s).real, x, d
    return None


# ---- the rules on Sum -----------------------------------------------------------------------
def _generic(table: Any) -> Callable[..., Any]:
    return table.dispatch(AbstractLinearOperator)


@factorize.register
def _factorize_sum(a: Sum, assume_a: str) -> Factorization:
    """Structured for the patterns of the module doc; otherwise the dense fallback."""
    ks = canonical_sum(a)
    if ks is not None:
        return factorize(ks, assume_a=assume_a)
    p = kronecker_pair(a)
    if p is None:
        if kron_plus_diagonal(a) is not None:
            return KroneckerDiagonalPCG(a)
        return _generic(factorize.rules)(a, assume_a)
    f = _pair_factorization(a, p, "factorize")
    if assume_a == "positive_definite":
        xp = a.xp
        mu = f.mu
        real = complex(p.s).imag == 0 and complex(p.t).imag == 0
        if not real or bool(xp.min(xp.real(mu) if is_complex_dtype(xp, mu.dtype) else mu) <= 0):
            from .._errors import LinAlgError

            raise LinAlgError("factorize: the sum is not positive definite")
    return f


@slogdet.register
def _slogdet_sum(a: Sum) -> tuple[Array, Array]:
    """``Σ log|μ| − 2 log|det G|`` for the patterns; a Kronecker sum's rule for pattern 1."""
    ks = canonical_sum(a)
    if ks is not None:
        return slogdet(ks)
    p = kronecker_pair(a)
    if p is None:
        return _generic(slogdet.rules)(a)
    form = _pair_form(a, p)
    dt = as_float_dtype(a.xp, a.dtype)
    sign, logabs = slogdet_of_values(a.xp, form.mu, dt, form.tol)
    return sign, logabs - 2 * form.logabsdet_g


@inv.register
def _inv_sum(a: Sum) -> AbstractLinearOperator:
    """``(sA + tB)⁻¹ = G diag(1/μ) Gᴴ``, lazy; a Kronecker sum's inverse for pattern 1."""
    ks = canonical_sum(a)
    if ks is not None:
        return inv(ks)
    p = kronecker_pair(a)
    if p is None:
        if kron_plus_diagonal(a) is not None:  # each product is a PCG solve
            from ..linalg._factorization import SolveOperator

            f3 = KroneckerDiagonalPCG(a)
            return SolveOperator(f3, False, f3.dtype)
        return _generic(inv.rules)(a)
    f = _pair_factorization(a, p, "inv")
    return spectral_operator(f.g, 1 / f.mu)


def _unitary_form(a: Sum, fn: Any, *args: Any, real: bool = False) -> tuple[Any, Any]:
    """``(fn's result, None)``, or ``(None, form)`` when ``a`` is ``s·K + t·I`` (unitary ``G``).

    A structure in disguise (``kronsum + s·I``, ``block_diag + s·I``) takes its
    own rule; a sum without the unitary pattern (``real``: with real ``s``,
    ``t``, i.e. Hermitian) takes ``fn``'s generic rule.
    """
    ks = canonical_sum(a)
    if ks is not None:
        return fn(ks, *args), None
    p = kronecker_pair(a)
    if p is None or not (_real_unitary_pair(p) if real else p.unitary):
        return fn.dispatch(AbstractLinearOperator)(a, *args), None
    return None, _pair_form(a, p)


@eigh.register
def _eigh_sum(a: Sum) -> tuple[Array, AbstractLinearOperator]:
    """``s·(⊗Aᵢ) + t·I = (⊗Vᵢ) diag(s·λ + t) (⊗Vᵢ)ᴴ`` (Kronecker order); Kronecker sums too."""
    done, form = _unitary_form(a, eigh, real=True)
    return done if form is None else (form.mu, form.g)


@eigvalsh.register
def _eigvalsh_sum(a: Sum) -> Array:
    done, form = _unitary_form(a, eigvalsh, real=True)
    return done if form is None else a.xp.sort(form.mu)


@funm.register
def _funm_sum(a: Sum, func: Callable[[Array], Array]) -> AbstractLinearOperator:
    """``f(s·K + t·I) = G diag(f(s·λ + t)) Gᴴ`` (unitary ``G``); Kronecker sums too."""
    done, form = _unitary_form(a, funm, func)
    return done if form is None else spectral_operator(form.g, func(form.mu))


@expm.register
def _expm_sum(a: Sum) -> AbstractLinearOperator:
    """``exp((A⊕B) + sI) = exp(A + sI)⊗exp(B)``; other sums: as ``funm`` or the dense fallback."""
    done, form = _unitary_form(a, expm)
    return done if form is None else spectral_operator(form.g, a.xp.exp(form.mu))


@eig.register
def _eig_sum(a: Sum) -> tuple[Array, AbstractLinearOperator]:
    """``s·(⊗Aᵢ) + t·I``: eigenvalues ``s·λ + t`` (Kronecker order), eigenvectors ``⊗Vᵢ``."""
    done, form = _unitary_form(a, eig)
    return done if form is None else (_complex(a.xp, form.mu), form.g)


@eigvals.register
def _eigvals_sum(a: Sum) -> Array:
    done, form = _unitary_form(a, eigvals)
    return done if form is None else _complex(a.xp, form.mu)


def _complex(xp: Namespace, mu: Array) -> Array:
    if is_complex_dtype(xp, mu.dtype):
        return mu
    return xp.astype(mu, xp.complex64 if mu.dtype == xp.float32 else xp.complex128)


@svd.register
def _svd_sum(a: Sum) -> tuple[AbstractLinearOperator, Array, AbstractLinearOperator]:
    """``s·(⊗Aᵢ) + t·I = (G·diag(phase μ)) diag(|μ|) Gᴴ`` with unitary ``G`` (Kronecker order)."""
    done, form = _unitary_form(a, svd)
    if form is None:
        return done
    xp = a.xp
    mu = form.mu
    sv = xp.abs(mu)
    safe = xp.where(sv == 0, xp.ones_like(sv), sv)
    phase = xp.where(sv == 0, xp.ones_like(mu), mu / xp.astype(safe, mu.dtype))
    return form.g @ Diagonal(phase), sv, form.g.H


@norm.register
def _norm_sum(a: Sum, ord: Any) -> Array:
    """Unitary ``G``: Frobenius, 2, −2 and nuclear norms from ``|μ|``; Kronecker sums' rules."""
    if ord not in ("fro", None, 2, -2, "nuc"):
        ks = canonical_sum(a)
        return norm(ks, ord) if ks is not None else _generic(norm.rules)(a, ord)
    done, form = _unitary_form(a, norm, ord)
    if form is None:
        return done
    xp = a.xp
    mags = xp.abs(form.mu)
    if ord in ("fro", None):
        return xp.sqrt(xp.sum(mags * mags))
    return {2: xp.max, -2: xp.min}.get(ord, xp.sum)(mags)


@rescale.register
def _rescale_sum(a: Sum, c: Any) -> AbstractLinearOperator:
    # c·(A + B) = c·A + c·B, each term scaled into its structure where it can be
    terms = []
    for t in a.terms:
        # shifts stay shifts (s·I), so that the scaled sum still matches its pattern
        r = None if isinstance(_unscale(t)[1], Identity) else rescale(t, c)
        terms.append(c * t if r is None else r)
    return Sum(tuple(terms))
