"""``Kronecker``: the lazy Kronecker product ``A₁ ⊗ A₂ ⊗ … ⊗ A_K`` and all its fast paths.

Notation: factor ``i`` has shape ``(mᵢ, nᵢ)``; ``M = Πmᵢ``, ``N = Πnᵢ``.  Entry
``(r, c)`` of the product is ``Πᵢ Aᵢ[rᵢ, cᵢ]`` where ``(r₁, …, r_K)`` is ``r``
unravelled row-major in ``(m₁, …, m_K)`` (and likewise ``c``), which is exactly
``numpy.kron``'s layout.

Vectors in the *Kronecker order* (eigenvalues, singular values) are
``kron(w₁, w₂, …)``: index ``(i₁, …, i_K)`` row-major, matching the columns of
the Kronecker product of the factors' eigenvector matrices.

Every rule below works through the factors; none forms an ``M × N`` matrix.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, final

from .._array_api import (
    Array,
    Namespace,
    as_float_dtype,
    device_of,
    is_complex_dtype,
    namespace_of,
    promote,
    real_dtype,
)
from .._errors import LinAlgError
from .._operator import (
    AbstractLinearOperator,
    Composite,
    adopt_neutral,
    astype,
    negate,
    register_matmul,
)
from .._tags import kron_tags
from ..linalg import (
    cholesky,
    diagonal,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    factorize,
    inv,
    matrix_power,
    norm,
    slogdet,
    svd,
    trace,
)
from ..linalg._factorization import Factorization
from ._dense import aslinearoperator
from ._kron_matmul import kron_matmat

__all__ = ["Kronecker", "KroneckerFactorization", "kron", "kron_vectors"]


@final
@dataclass(frozen=True, eq=False, repr=False)
class Kronecker(Composite):
    """The lazy Kronecker product of any number of factors, square or rectangular.

    Build it with :func:`kron`.  Factors are operators (arrays are wrapped as
    :class:`Dense`); nested Kronecker products are flattened, so
    ``kron(kron(A, B), C)`` has three factors.  Entry for entry equal to
    ``numpy.kron``.

    Cost of ``K @ X`` for ``X`` of shape ``(N, k)``: ``Σᵢ 2·Sᵢ·mᵢ`` flops where
    ``Sᵢ`` is the size of the intermediate before factor ``i`` (at most
    ``2·N·k·Σnᵢ`` for square factors), and two intermediates of size
    ``max Sᵢ`` of memory: O(N) for a vector, never ``M × N``.
    """

    factors: tuple[AbstractLinearOperator, ...]

    def __post_init__(self) -> None:
        flat: list[AbstractLinearOperator] = []
        for f in self.factors:
            op = aslinearoperator(f)
            flat.extend(op.factors if isinstance(op, Kronecker) else (op,))
        if not flat:
            raise ValueError("kron: needs at least one factor")
        object.__setattr__(self, "factors", adopt_neutral(flat, "kron"))
        rows = math.prod(f.shape[0] for f in self.factors)
        object.__setattr__(self, "_shape", (rows, math.prod(f.shape[1] for f in self.factors)))
        self._settle()

    # ---- the interface ---------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self._shape  # type: ignore[attr-defined]

    @property
    def parts(self) -> tuple[AbstractLinearOperator, ...]:
        return self.factors

    @property
    def tags(self) -> frozenset[str]:
        return kron_tags(f.tags for f in self.factors)

    @property
    def row_dims(self) -> tuple[int, ...]:
        return tuple(f.shape[0] for f in self.factors)

    @property
    def col_dims(self) -> tuple[int, ...]:
        return tuple(f.shape[1] for f in self.factors)

    def _matmat(self, x: Array) -> Array:
        # x's namespace: the operator's, or any for a neutral (all-identity) product
        cache = self.__dict__.get("_plans")
        if cache is None:  # plans of products, per (k, dtype, library): see kron_matmat
            cache = {}
            object.__setattr__(self, "_plans", cache)
        return kron_matmat(namespace_of(x), self.factors, x, cache)

    def _adjoint(self) -> AbstractLinearOperator:
        return Kronecker(tuple(f.H for f in self.factors))

    def _transpose(self) -> AbstractLinearOperator:
        return Kronecker(tuple(f.T for f in self.factors))

    def _to_dense(self) -> Array:
        xp = self.xp
        dt = self.dtype
        out = xp.ones((1, 1), dtype=dt, device=self.device)
        for f in self.factors:
            a = f.to_dense()
            a = a if a.dtype == dt else xp.astype(a, dt)
            m1, n1 = out.shape
            m2, n2 = a.shape
            out = xp.reshape(out[:, None, :, None] * a[None, :, None, :], (m1 * m2, n1 * n2))
        return out

    def _entries(self, rows: Array, cols: Array) -> Array:
        # K[r, c] = Πᵢ Aᵢ[rᵢ, cᵢ] with (rᵢ), (cᵢ) the row-major multi-indices: O(len · K).
        xp, dt = self.xp, self.dtype
        out = None
        rstride = self.shape[0]
        cstride = self.shape[1]
        for f in self.factors:
            m, n = f.shape
            rstride //= m
            cstride //= n
            ri = (rows // rstride) % m
            ci = (cols // cstride) % n
            vals = f._entries(ri, ci)
            vals = vals if vals.dtype == dt else xp.astype(vals, dt)  # products in K's dtype
            out = vals if out is None else out * vals
        assert out is not None
        return out

    def __repr__(self) -> str:
        inner = " ⊗ ".join(f"{type(f).__name__}{f.shape}" for f in self.factors)
        return f"Kronecker({inner}, shape={self.shape}, dtype={self.dtype})"


def _mul(xp: Namespace, a: Array, b: Array) -> Array:
    if a.dtype != b.dtype:
        dt = promote(xp, a.dtype, b.dtype)
        a, b = xp.astype(a, dt), xp.astype(b, dt)
    return a * b


def kron(*factors: Any) -> Kronecker:
    """The lazy Kronecker product ``A₁ ⊗ A₂ ⊗ …``, equal to ``numpy.kron`` entry for entry.

    Parameters
    ----------
    *factors : arrays (any array-API library, or ``scipy.sparse``) or operators
        One or more; square or rectangular.  Nested Kronecker products are
        flattened.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[1, 2], [3, 4]]); B = np.array([[0, 5], [6, 7]])
    >>> K = kb.kron(A, B)
    >>> K.shape
    (4, 4)
    >>> bool(np.array_equal(K.to_dense(), np.kron(A, B)))
    True
    >>> x = np.arange(4.0)
    >>> bool(np.allclose(K @ x, np.kron(A, B) @ x))
    True
    """
    return Kronecker(tuple(factors))


# ---- vectors in the Kronecker order ----------------------------------------------------
def kron_vectors(xp: Namespace, vectors: Sequence[Array]) -> Array:
    """``kron(v₁, v₂, …)`` of 1-D arrays: the Kronecker order, length ``Π len(vᵢ)``."""
    out = vectors[0]
    for v in vectors[1:]:
        out = xp.reshape(_mul(xp, out[:, None], v[None, :]), (-1,))
    return out


# ---- errors named after the factor -------------------------------------------------
@contextmanager
def _factor(k: Kronecker, i: int, where: str, hint: str = "") -> Iterator[None]:
    try:
        yield
    except LinAlgError as exc:
        raise LinAlgError(_factor_message(k, i, where, exc, hint)) from exc
    except ValueError as exc:  # bad values, not singularity: the hint does not apply
        raise ValueError(_factor_message(k, i, where, exc, "")) from exc


def _factor_message(k: Kronecker, i: int, where: str, exc: Exception, hint: str) -> str:
    inner = str(exc).split(": ", 1)[-1]
    msg = f"{where}: factor {i} (shape {k.factors[i].shape}) of the Kronecker product: {inner}"
    return f"{msg}; {hint}" if hint else msg


def _factors_at(k: Kronecker, dtype: Any) -> list[AbstractLinearOperator]:
    return [astype(f, dtype) for f in k.factors]


def _work_factors(k: Kronecker) -> list[AbstractLinearOperator]:
    """The factors at the product's floating dtype: ``kron(A32, B64)`` decomposes in float64."""
    return _factors_at(k, as_float_dtype(k.xp, k.dtype))


def _square_factors(k: Kronecker) -> bool:
    return all(f.shape[0] == f.shape[1] for f in k.factors)


def _require_nonsingular_factors(k: Kronecker, where: str, hint: str) -> None:
    """A square product of non-square factors has rank ``Π min(mᵢ, nᵢ) < N``: singular."""
    for i, f in enumerate(k.factors):
        if f.shape[0] != f.shape[1]:
            raise LinAlgError(
                f"{where}: factor {i} of the Kronecker product has shape {f.shape}, so the "
                f"square product (rank at most {math.prod(min(g.shape) for g in k.factors)} "
                f"of {k.shape[0]}) is singular; {hint}"
            )


# ---- factorize / solve / inv -------------------------------------------------------
class KroneckerFactorization(Factorization):
    """Factorizations of the factors: ``(A₁⊗…⊗A_K)⁻¹ = A₁⁻¹⊗…⊗A_K⁻¹``.

    Set-up ``Σᵢ O(nᵢ³)``: the factor LUs (or Choleskys), and on the first solve
    at a dtype the factor inverses formed from them (``nᵢ`` triangular solve
    pairs each).  A solve is then one Kronecker product with the inverses,
    ``O(N·k·Σnᵢ)`` on the fast matmul kernel.  The forward error is of the
    order ``Σᵢ cond(Aᵢ)·eps`` as with per-mode triangular solves; large
    factors (order > ``DENSE_INVERSE_MAX``, e.g. big sparse ones) are applied
    by solves instead of inverses.  ``log|det| = Σᵢ (N/nᵢ) log|det Aᵢ|`` and
    ``sign = Πᵢ sign(det Aᵢ)^(N/nᵢ)``.
    """

    def __init__(
        self, xp: Namespace, parts: Sequence[Factorization], dims: Sequence[int], dtype: Any
    ) -> None:
        self.xp, self.parts, self.dims, self.dtype = xp, list(parts), list(dims), dtype
        self.n = math.prod(dims)

    def _solve(self, b: Array, adjoint: bool) -> Array:
        return self.inverse(b.dtype, device_of(b), adjoint)._matmat(b)

    def inverse(self, dtype: Any, device: Any, adjoint: bool = False) -> Kronecker:
        """``A₁⁻¹⊗…⊗A_K⁻¹`` (or its adjoint) at ``dtype``, formed once per dtype."""
        cache: dict[Any, Kronecker] = self.__dict__.setdefault("_inverses", {})
        key = (str(dtype), adjoint)
        if key not in cache:
            parts = [p.inverse_operator(dtype, device, adjoint) for p in self.parts]
            cache[key] = Kronecker(tuple(parts))
        return cache[key]

    def slogdet(self) -> tuple[Array, Array]:
        return _combine_slogdets(self.xp, [p.slogdet() for p in self.parts], self.dims)


def _combine_slogdets(
    xp: Namespace, parts: Sequence[tuple[Array, Array]], dims: Sequence[int]
) -> tuple[Array, Array]:
    # det(A₁⊗…⊗A_K) = Πᵢ det(Aᵢ)^(N/nᵢ)
    n_total = math.prod(dims)
    if n_total == 0:  # the determinant of a 0×0 matrix is 1
        s0, la0 = parts[0]
        return xp.ones_like(s0), xp.zeros_like(la0)
    sign, logabs = None, None
    for (s, la), n in zip(parts, dims):
        p = n_total // n
        if is_complex_dtype(xp, s.dtype):
            s_p = s**p
            s_p = s_p / xp.where(xp.abs(s_p) == 0, xp.ones_like(xp.abs(s_p)), xp.abs(s_p))
        else:
            s_p = s if p % 2 else s * s
        term = la * p
        sign = s_p if sign is None else _mul(xp, sign, s_p)
        logabs = term if logabs is None else logabs + term
    assert sign is not None and logabs is not None
    logabs = xp.where(sign == 0, xp.asarray(-math.inf, dtype=logabs.dtype), logabs)
    return sign, logabs


@factorize.register
def _factorize_kronecker(k: Kronecker, assume_a: str) -> Factorization:
    """Factorize each factor (LU, or Cholesky for ``positive_definite``)."""
    hint = "use lstsq for a least-squares solution"
    _require_nonsingular_factors(k, "factorize", hint)
    if assume_a == "positive_definite":
        # A product of two negative definite factors is positive definite: factor -Aᵢ.
        parts, negated = [], 0
        for i, f in enumerate(_work_factors(k)):
            with _factor(k, i, "factorize", "the Kronecker product is not positive definite"):
                try:
                    parts.append(factorize(f, assume_a=assume_a))
                except LinAlgError:
                    parts.append(_negated(factorize(negate(f), assume_a=assume_a)))
                    negated += 1
        if negated % 2:
            raise LinAlgError(
                "factorize: the Kronecker product is negative definite, not positive definite"
            )
    else:
        parts = []
        for i, f in enumerate(_work_factors(k)):
            with _factor(k, i, "factorize", "every factor must be nonsingular; " + hint):
                parts.append(factorize(f, assume_a=assume_a))
    dt = as_float_dtype(k.xp, k.dtype)
    return KroneckerFactorization(k.xp, parts, [f.shape[0] for f in k.factors], dt)


def _negated(f: Factorization) -> Factorization:
    from ..linalg._factorization import ScaledFactorization

    return ScaledFactorization(f, -1)


@inv.register
def _inv_kronecker(k: Kronecker) -> AbstractLinearOperator:
    """``(A₁⊗…⊗A_K)⁻¹ = A₁⁻¹⊗…⊗A_K⁻¹``: ``Σ O(nᵢ³)``, a Kronecker product again."""
    hint = "use pinv for a pseudo-inverse"
    _require_nonsingular_factors(k, "inv", hint)
    out = []
    for i, f in enumerate(_work_factors(k)):
        with _factor(k, i, "inv", "every factor must be nonsingular; " + hint):
            out.append(inv(f))
    return Kronecker(tuple(out))


# ---- determinants -----------------------------------------------------------------------
@slogdet.register
def _slogdet_kronecker(k: Kronecker) -> tuple[Array, Array]:
    """``det(A₁⊗…⊗A_K) = Πᵢ det(Aᵢ)^(N/nᵢ)`` in log form: ``Σ O(nᵢ³)``.

    Correct in sign for non-symmetric and indefinite factors.  A square
    product of non-square factors is singular (rank ``Π min(mᵢ, nᵢ) < N``):
    ``(0, -inf)``.
    """
    xp = k.xp
    dt = as_float_dtype(xp, k.dtype)
    if not _square_factors(k):
        return xp.asarray(0.0, dtype=dt, device=k.device), xp.asarray(
            -math.inf, dtype=real_dtype(xp, dt), device=k.device
        )
    parts = [slogdet(f) for f in _work_factors(k)]
    return _combine_slogdets(xp, parts, [f.shape[0] for f in k.factors])


# ---- spectral ---------------------------------------------------------------------------
@eigh.register
def _eigh_kronecker(k: Kronecker) -> tuple[Array, AbstractLinearOperator]:
    """``A⊗B = (U⊗V)(Λ⊗M)(U⊗V)ᴴ``: factor eigendecompositions, ``Σ O(nᵢ³) + O(N)``.

    Eigenvalues in the Kronecker order ``kron(w₁, …, w_K)`` (not sorted),
    eigenvectors ``Kronecker(V₁, …, V_K)``; use ``eigvalsh`` for ascending values.
    """
    if not _square_factors(k):  # a square product of non-square factors: no factor identity
        return eigh.dispatch(AbstractLinearOperator)(k)
    ws, vs = [], []
    for i, f in enumerate(_work_factors(k)):
        with _factor(k, i, "eigh", "eigh needs Hermitian factors; use eigvals"):
            w, v = eigh(f)
        ws.append(w)
        vs.append(v)
    return kron_vectors(k.xp, ws), Kronecker(tuple(vs))


@eigvalsh.register
def _eigvalsh_kronecker(k: Kronecker) -> Array:
    """Products of factor eigenvalues, sorted ascending: ``Σ O(nᵢ³) + O(N log N)``."""
    if not _square_factors(k):  # a square product of non-square factors: no factor identity
        return eigvalsh.dispatch(AbstractLinearOperator)(k)
    ws = []
    for i, f in enumerate(_work_factors(k)):
        with _factor(k, i, "eigvalsh", "eigvalsh needs Hermitian factors; use eigvals"):
            ws.append(eigvalsh(f))
    return k.xp.sort(kron_vectors(k.xp, ws))


@eig.register
def _eig_kronecker(k: Kronecker) -> tuple[Array, AbstractLinearOperator]:
    """``(A⊗B)(U⊗V) = (U⊗V)(Λ⊗M)``: products of factor eigenpairs, Kronecker order."""
    if not _square_factors(k):  # a square product of non-square factors: no factor identity
        return eig.dispatch(AbstractLinearOperator)(k)
    pairs = [eig(f) for f in _work_factors(k)]
    return kron_vectors(k.xp, [w for w, _ in pairs]), Kronecker(tuple(v for _, v in pairs))


@eigvals.register
def _eigvals_kronecker(k: Kronecker) -> Array:
    """Products ``λᵢμⱼ…`` of factor eigenvalues, Kronecker order: ``Σ O(nᵢ³) + O(N)``."""
    if not _square_factors(k):  # a square product of non-square factors: no factor identity
        return eigvals.dispatch(AbstractLinearOperator)(k)
    return kron_vectors(k.xp, [eigvals(f) for f in _work_factors(k)])


@svd.register
def _svd_kronecker(k: Kronecker) -> tuple[AbstractLinearOperator, Array, AbstractLinearOperator]:
    """``A⊗B = (U_A⊗U_B)(Σ_A⊗Σ_B)(V_A⊗V_B)ᴴ``: factor SVDs, ``Σ O(mᵢnᵢ·min(mᵢ,nᵢ))``.

    ``r = Π min(mᵢ, nᵢ)`` triplets in the Kronecker order; the other
    ``min(M, N) − r`` singular values are zero.
    """
    parts = [svd(f) for f in _work_factors(k)]
    u = Kronecker(tuple(p[0] for p in parts))
    s = kron_vectors(k.xp, [p[1] for p in parts])
    vh = Kronecker(tuple(p[2] for p in parts))
    return u, s, vh


@cholesky.register
def _cholesky_kronecker(k: Kronecker) -> AbstractLinearOperator:
    """``A⊗B = (L_A⊗L_B)(L_A⊗L_B)ᴴ``, a lower-triangular Kronecker factor: ``Σ O(nᵢ³)``.

    A pair of negative definite factors is handled (``A⊗B = (−A)⊗(−B)``).
    """
    _require_nonsingular_factors(k, "cholesky", "it is not positive definite")
    out, negated = [], 0
    for i, f in enumerate(_work_factors(k)):
        with _factor(k, i, "cholesky", "the Kronecker product is not positive definite"):
            try:
                out.append(cholesky(f))
            except LinAlgError:
                out.append(cholesky(negate(f)))
                negated += 1
    if negated % 2:
        raise LinAlgError(
            "cholesky: the Kronecker product is negative definite, not positive definite"
        )
    return Kronecker(tuple(out))


# ---- reductions -----------------------------------------------------------------------
def _diagonal_by_index(k: Kronecker) -> Array:
    # K[r, r] for r < min(M, N) by index arithmetic: O(min(M, N) · K).
    xp = k.xp
    r = xp.arange(min(k.shape), device=k.device)
    return k._entries(r, r)


@diagonal.register
def _diagonal_kronecker(k: Kronecker) -> Array:
    """``diag(A⊗B) = diag(A)⊗diag(B)`` for square factors (O(N)); index arithmetic otherwise."""
    if _square_factors(k):
        return kron_vectors(k.xp, [diagonal(f) for f in _factors_at(k, k.dtype)])
    return _diagonal_by_index(k)


@trace.register
def _trace_kronecker(k: Kronecker) -> Array:
    """``trace(A⊗B) = trace(A)·trace(B)`` for square factors (``Σ O(nᵢ)``).

    Otherwise the sum of the diagonal, by index arithmetic.
    """
    if _square_factors(k):
        out = None
        for f in _factors_at(k, k.dtype):
            t = trace(f)
            out = t if out is None else _mul(k.xp, out, t)
        return out
    return k.xp.sum(_diagonal_by_index(k))


@norm.register
def _norm_kronecker(k: Kronecker, ord: Any) -> Array:
    """Every matrix norm of ``numpy.linalg.norm`` is multiplicative over ``⊗``.

    Frobenius, nuclear, spectral (2), 1 and ∞ norms, and the minimum column
    and row sums (−1, −∞), are the products of the factors' ones.  The
    smallest singular value (−2) is the product of the factors' smallest,
    or 0 if ``Π min(mᵢ, nᵢ) < min(M, N)``.
    """
    xp = k.xp
    if ord == -2 and math.prod(min(f.shape) for f in k.factors) < min(k.shape):
        return xp.asarray(0.0, dtype=real_dtype(xp, as_float_dtype(xp, k.dtype)), device=k.device)
    out = None
    for f in _work_factors(k):
        v = norm(f, ord)
        out = v if out is None else _mul(xp, out, v)
    return out


@matrix_power.register
def _matrix_power_kronecker(k: Kronecker, n: int) -> AbstractLinearOperator:
    """``(A⊗B)ⁿ = Aⁿ⊗Bⁿ`` (negative ``n`` through the factor inverses)."""
    if not _square_factors(k):  # (A⊗B)ⁿ needs square factors; else a lazy product
        if n < 0:
            _require_nonsingular_factors(k, "matrix_power", "a negative power needs an inverse")
        return matrix_power.dispatch(AbstractLinearOperator)(k, n)
    out = []
    for i, f in enumerate(_work_factors(k) if n < 0 else _factors_at(k, k.dtype)):
        with _factor(k, i, "matrix_power", "a negative power needs nonsingular factors"):
            out.append(matrix_power(f, n))
    return Kronecker(tuple(out))


@negate.register
def _negate_kronecker(k: Kronecker) -> AbstractLinearOperator:
    # −(A⊗B) = (−A)⊗B
    return Kronecker((negate(k.factors[0]), *k.factors[1:]))


# ---- algebra: the mixed product -------------------------------------------------------------
def _groups(dims_a: Sequence[int], dims_b: Sequence[int]) -> list[tuple[int, int]]:
    """Group boundaries ``(ia, ib)`` where the cumulative products of two dimension lists agree."""
    ca = list(itertools.accumulate(dims_a, operator.mul))
    cb = list(itertools.accumulate(dims_b, operator.mul))
    cuts = []
    for v in sorted(set(ca) & set(cb)):
        ia = max(i for i, c in enumerate(ca) if c == v) + 1
        ib = max(i for i, c in enumerate(cb) if c == v) + 1
        cuts.append((ia, ib))
    return cuts


@register_matmul(Kronecker, Kronecker)
def _mixed_product(a: Kronecker, b: Kronecker) -> AbstractLinearOperator | None:
    """``(A₁⊗A₂)(B₁⊗B₂) = A₁B₁ ⊗ A₂B₂`` whenever the factor shapes line up.

    Factors are grouped where the cumulative products of ``a``'s column
    dimensions and ``b``'s row dimensions agree (so ``kron(A, B, C) @
    kron(D, E)`` works when ``D`` matches ``A⊗B``).  No common split: ``None``
    (the product stays lazy).
    """
    if 0 in a.col_dims or 0 in b.row_dims:
        return None  # empty inner dimensions: no meaningful grouping
    cuts = _groups(a.col_dims, b.row_dims)
    if len(cuts) < 2 and (len(a.factors) > 1 or len(b.factors) > 1):
        return None  # no split: composing the groups would recurse
    out = []
    sa = sb = 0
    for ea, eb in cuts:
        fa = a.factors[sa:ea]
        fb = b.factors[sb:eb]
        ga = fa[0] if len(fa) == 1 else Kronecker(tuple(fa))
        gb = fb[0] if len(fb) == 1 else Kronecker(tuple(fb))
        out.append(ga @ gb)
        sa, sb = ea, eb
    return Kronecker(tuple(out))
