"""``KroneckerSum``: the lazy Kronecker sum ``A₁ ⊕ A₂ ⊕ … ⊕ A_K`` and all its fast paths.

``A₁ ⊕ … ⊕ A_K = Σᵢ I ⊗ … ⊗ Aᵢ ⊗ … ⊗ I`` (factor ``i`` in position ``i``),
so ``kronsum(A, B) = A ⊗ I + I ⊗ B``: the order NumPy users expect, and the
opposite of ``scipy.sparse.kronsum``.  Factors are square, ``nᵢ × nᵢ``;
``N = Πnᵢ``.  With row-major vec (``X.ravel()``),
``kronsum(A, B) @ X.ravel() = (A X + X Bᵀ).ravel()`` (see
:mod:`kronblock.linalg._sylvester`).

Spectral structure: if ``Aᵢ = Zᵢ Tᵢ Zᵢᴴ`` (unitary ``Zᵢ``, upper triangular
``Tᵢ``; ``Tᵢ`` diagonal for Hermitian or normal factors) then
``⊕Aᵢ = (⊗Zᵢ)(⊕Tᵢ)(⊗Zᵢ)ᴴ`` with ``⊕Tᵢ`` upper triangular and eigenvalues
``λ₁ᵢ + λ₂ⱼ + …``, listed in the *Kronecker order* (index ``(i₁, …, i_K)``
row-major), matching the columns of ``⊗Zᵢ``.  Every rule below works through
the factors; none forms an ``N × N`` matrix.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, final

import numpy as np

from .._array_api import (
    Array,
    Namespace,
    as_float_dtype,
    device_of,
    from_numpy,
    is_complex_dtype,
    is_eager,
    real_dtype,
    to_numpy,
)
from .._delegate import schur
from .._errors import LinAlgError
from .._operator import AbstractLinearOperator, Composite, adopt_neutral, astype, negate
from .._tags import DIAGONAL, HERMITIAN, POSITIVE_DEFINITE
from ..linalg import (
    diagonal,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    factorize,
    inv,
    norm,
    slogdet,
    svd,
    trace,
)
from ..linalg._factorization import Factorization, SolveOperator, slogdet_of_values
from ..linalg._matfun import expm, funm, rescale, spectral_operator
from ..linalg._sylvester import kronsum_triangular_solve
from ._dense import Dense, Diagonal, Identity, aslinearoperator
from ._dense_rules import is_hermitian
from ._kronecker import Kronecker

__all__ = ["KroneckerSum", "KroneckerSumFactorization", "is_hermitian_operator", "kronsum"]


@final
@dataclass(frozen=True, eq=False, repr=False)
class KroneckerSum(Composite):
    """The lazy Kronecker sum ``A₁ ⊕ … ⊕ A_K = Σᵢ I⊗…⊗Aᵢ⊗…⊗I`` of square factors.

    Build it with :func:`kronsum`.  Factors are operators (arrays are wrapped
    as :class:`Dense`); nested Kronecker sums are flattened (``⊕`` is
    associative).

    Cost of ``S @ X`` for ``X`` of shape ``(N, k)``: ``Σᵢ 2·N·k·nᵢ`` flops
    (one mode product per factor, identities skipped) and ``O(N·k)`` memory.
    """

    factors: tuple[AbstractLinearOperator, ...]

    def __post_init__(self) -> None:
        flat: list[AbstractLinearOperator] = []
        for f in self.factors:
            op = aslinearoperator(f)
            flat.extend(op.factors if isinstance(op, KroneckerSum) else (op,))
        if not flat:
            raise ValueError("kronsum: needs at least one factor")
        for i, f in enumerate(flat):
            if f.shape[0] != f.shape[1]:
                raise ValueError(
                    f"kronsum: factor {i} has shape {f.shape}; a Kronecker sum needs square "
                    f"factors (use kron for a Kronecker product of rectangular ones)"
                )
        object.__setattr__(self, "factors", adopt_neutral(flat, "kronsum"))
        n = math.prod(f.shape[0] for f in self.factors)
        object.__setattr__(self, "_shape", (n, n))
        self._settle()

    # ---- the interface ---------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self._shape  # type: ignore[attr-defined]

    @property
    def parts(self) -> tuple[AbstractLinearOperator, ...]:
        return self.factors

    @property
    def dims(self) -> tuple[int, ...]:
        return tuple(f.shape[0] for f in self.factors)

    @property
    def tags(self) -> frozenset[str]:
        # a sum of Hermitian (positive definite, diagonal) terms is Hermitian (...)
        common = frozenset.intersection(*(f.tags for f in self.factors))
        return common & frozenset({HERMITIAN, POSITIVE_DEFINITE, DIAGONAL})

    def terms(self) -> tuple[Kronecker, ...]:
        """The ``K`` Kronecker terms ``I⊗…⊗Aᵢ⊗…⊗I`` (built once)."""
        cached = self.__dict__.get("_terms")
        if cached is None:
            cached = tuple(
                Kronecker(
                    tuple(
                        f if j == i else Identity(g.shape[0], g.dtype, g.xp, g.device)
                        for j, g in enumerate(self.factors)
                    )
                )
                for i, f in enumerate(self.factors)
            )
            object.__setattr__(self, "_terms", cached)
        return cached

    def _matmat(self, x: Array) -> Array:
        # Σᵢ (I⊗…⊗Aᵢ⊗…⊗I) x: one mode product each on the Kronecker kernel
        out = None
        for t in self.terms():
            y = t._matmat(x)
            if out is None:
                out = y
            elif isinstance(out, np.ndarray) and out.dtype == y.dtype:
                np.add(out, y, out=out)  # our own fresh array: accumulate in place
            else:
                out = out + y
        assert out is not None
        return out

    def _adjoint(self) -> AbstractLinearOperator:
        return KroneckerSum(tuple(f.H for f in self.factors))

    def _transpose(self) -> AbstractLinearOperator:
        return KroneckerSum(tuple(f.T for f in self.factors))

    def _to_dense(self) -> Array:
        out = None
        for t in self.terms():
            d = t.to_dense()
            out = d if out is None else out + d
        return out

    def _entries(self, rows: Array, cols: Array) -> Array:
        # S[r, c] = Σᵢ Aᵢ[rᵢ, cᵢ] · Π_{j≠i} [rⱼ = cⱼ]: O(len · K)
        xp, dt = self.xp, self.dtype
        idx = []
        stride = self.shape[0]
        for f in self.factors:
            n = f.shape[0]
            stride //= n
            idx.append(((rows // stride) % n, (cols // stride) % n))
        mismatches = sum(xp.astype(ri != ci, xp.int64) for ri, ci in idx)
        out = None
        for f, (ri, ci) in zip(self.factors, idx):
            vals = f._entries(ri, ci)
            vals = vals if vals.dtype == dt else xp.astype(vals, dt)
            others_equal = (mismatches - xp.astype(ri != ci, xp.int64)) == 0
            term = xp.where(others_equal, vals, xp.zeros_like(vals))
            out = term if out is None else out + term
        assert out is not None
        return out

    def __repr__(self) -> str:
        inner = " ⊕ ".join(f"{type(f).__name__}{f.shape}" for f in self.factors)
        return f"KroneckerSum({inner}, shape={self.shape}, dtype={self.dtype})"


def kronsum(*factors: Any) -> KroneckerSum:
    """The lazy Kronecker sum ``A₁ ⊕ A₂ ⊕ … = Σᵢ I⊗…⊗Aᵢ⊗…⊗I`` of square factors.

    ``kronsum(A, B) = kron(A, I) + kron(I, B)``: note that
    ``scipy.sparse.kronsum(A, B)`` is the other order, ``kron(I, A) + kron(B, I)``.

    Parameters
    ----------
    *factors : square arrays (any array-API library, or ``scipy.sparse``) or operators

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[2.0, -1.0], [-1.0, 2.0]]); B = np.array([[1.0, 3.0], [0.0, 4.0]])
    >>> S = kb.kronsum(A, B)
    >>> bool(np.allclose(S.to_dense(), np.kron(A, np.eye(2)) + np.kron(np.eye(2), B)))
    True
    >>> X = np.arange(4.0).reshape(2, 2)   # row-major vec: S X.ravel() = (A X + X Bᵀ).ravel()
    >>> bool(np.allclose(S @ X.ravel(), (A @ X + X @ B.T).ravel()))
    True
    """
    return KroneckerSum(tuple(factors))


# ---- errors named after the factor ---------------------------------------------------
@contextmanager
def _factor(s: KroneckerSum, i: int, where: str, hint: str = "") -> Iterator[None]:
    try:
        yield
    except (LinAlgError, ValueError) as exc:
        inner = str(exc).split(": ", 1)[-1]
        msg = f"{where}: factor {i} (shape {s.factors[i].shape}) of the Kronecker sum: {inner}"
        raise type(exc)(f"{msg}; {hint}" if hint else msg) from exc


def _work_factors(s: KroneckerSum) -> list[AbstractLinearOperator]:
    """The factors at the sum's floating dtype."""
    dt = as_float_dtype(s.xp, s.dtype)
    return [astype(f, dt) for f in s.factors]


def _grid(xp: Namespace, values: Sequence[Array]) -> Array:
    """``λ₁ᵢ + λ₂ⱼ + …`` in the Kronecker order: length ``N``, ``O(N)``."""
    out = values[0]
    for v in values[1:]:
        if out.dtype != v.dtype:
            dt = xp.result_type(out.dtype, v.dtype)
            out, v = xp.astype(out, dt), xp.astype(v, dt)
        out = xp.reshape(out[:, None] + v[None, :], (-1,))
    return out


def is_hermitian_operator(f: AbstractLinearOperator) -> bool:
    """Whether ``f`` is known (tag) or seen (eager data, to rounding) to be Hermitian.

    Decides between the Hermitian eigensolver and the general Schur path, so
    the data test is tight (:func:`~kronblock.operators._dense_rules.is_hermitian`);
    a complex diagonal must be exactly real.
    """
    if f.shape[0] != f.shape[1]:
        return False
    if HERMITIAN in f.tags or isinstance(f, Identity):
        return True
    if isinstance(f, Diagonal):
        xp = f.xp
        if not is_complex_dtype(xp, f.dtype):
            return True
        return is_eager(f.diagonal) and not bool(xp.any(xp.imag(f.diagonal) != 0))
    if isinstance(f, Dense):
        return is_hermitian(f.xp, f.array)
    if isinstance(f, Kronecker):
        return all(is_hermitian_operator(g) for g in f.factors)
    return False


# ---- the factor Schur forms --------------------------------------------------------------
@dataclass(frozen=True)
class _Form:
    """``A = Z T Zᴴ`` of one factor: unitary ``z`` (operator), eigenvalues ``d``.

    ``t`` is the upper triangular Schur factor (NumPy, complex) when ``A`` is
    not normal, ``None`` when ``T = diag(d)``.
    """

    z: AbstractLinearOperator
    d: Array
    t: Any


def _form(s: KroneckerSum, i: int, f: AbstractLinearOperator, where: str) -> _Form:
    """Hermitian factors by ``eigh`` (real ``d``); others by the complex Schur form."""
    xp = f.xp
    if is_hermitian_operator(f):
        with _factor(s, i, where):
            w, v = eigh(f)
        return _Form(v, w, None)
    a = f.to_dense()
    with _factor(s, i, where):
        if is_eager(a) and not bool(xp.all(xp.isfinite(a))):
            raise ValueError(f"{where}: the matrix has non-finite entries")
        t, z = schur(xp, a)
    d = xp.linalg.diagonal(t)
    # normal ⇔ the Schur form is diagonal: ‖strict upper part‖_F ≤ 10·n·eps·‖T‖_F
    n = t.shape[0]
    strict = t - _diag_matrix(xp, d)
    eps = xp.finfo(real_dtype(xp, t.dtype)).eps
    off = xp.linalg.vector_norm(strict)
    scale = xp.linalg.vector_norm(t)
    normal = bool(off <= 10 * max(n, 1) * eps * scale)
    return _Form(Dense(z), d, None if normal else to_numpy(t))


def _diag_matrix(xp: Namespace, d: Array) -> Array:
    n = d.shape[0]
    eye = xp.eye(n, dtype=d.dtype, device=device_of(d))
    return eye * d[None, :]


def _forms(s: KroneckerSum, where: str) -> list[_Form]:
    return [_form(s, i, f, where) for i, f in enumerate(_work_factors(s))]


def _singular_tolerance(s: KroneckerSum, forms: Sequence[_Form]) -> Any:
    """``2·K·eps·Σᵢ max|λᵢ|``: the rounding level of a computed eigenvalue sum.

    A backward-stable factor decomposition perturbs each eigenvalue by about
    ``eps·‖Aᵢ‖``; a sum this small is zero to working precision, anything
    larger is a (possibly ill-conditioned) nonzero, as a dense LU would see it.
    """
    xp = s.xp
    eps = float(xp.finfo(real_dtype(xp, as_float_dtype(xp, s.dtype))).eps)
    scale = sum(float(xp.max(xp.abs(fm.d))) if fm.d.shape[0] else 0.0 for fm in forms)
    return 2 * len(forms) * eps * scale


# ---- factorize / solve / inv ----------------------------------------------------------------
class KroneckerSumFactorization(Factorization):
    """``⊕Aᵢ = (⊗Zᵢ)(⊕Tᵢ)(⊗Zᵢ)ᴴ`` from the factor Schur forms (eigendecompositions).

    Set-up ``Σᵢ O(nᵢ³)``: ``eigh`` of Hermitian factors, the complex Schur
    form of the others.  A solve is ``c = (⊗Zᵢ)ᴴ b``, then

    - all ``Tᵢ`` diagonal (Hermitian or normal factors): ``y = c / λ``,
      with ``λ = λ₁ᵢ + λ₂ⱼ + …``;
    - otherwise the triangular Kronecker-sum system ``(⊕Tᵢ) y = c`` by block
      back-substitution down to LAPACK ``trsyl`` (Bartels–Stewart: no
      eigenvector basis, safe for non-normal factors);

    and ``x = (⊗Zᵢ) y``: two Kronecker products plus ``O(N·Σnᵢ)``.
    ``log|det| = Σ log|λ|`` over the ``N`` eigenvalue sums, with the sign
    (real data) or phase (complex data) from their arguments.
    """

    def __init__(self, s: KroneckerSum, forms: Sequence[_Form], assume_a: str) -> None:
        xp = s.xp
        self.xp, self.n = xp, s.shape[0]
        self.dtype = as_float_dtype(xp, s.dtype)
        self.forms = list(forms)
        self.z = Kronecker(tuple(fm.z for fm in forms))
        self.lam = _grid(xp, [fm.d for fm in forms])
        self.diagonal = all(fm.t is None for fm in forms)
        self._tol = _singular_tolerance(s, forms)
        if is_eager(self.lam) and self.n:
            small = float(xp.min(xp.abs(self.lam)))
            if small <= self._tol:
                raise LinAlgError(
                    f"factorize: the Kronecker sum is singular: an eigenvalue sum "
                    f"λ₁ᵢ + λ₂ⱼ + … is {small:.3g} (zero up to rounding); use lstsq or pinv, "
                    f"or shift it (S + s * kb.identity({self.n}))"
                )
            if assume_a == "positive_definite":
                real = xp.real(self.lam) if is_complex_dtype(xp, self.lam.dtype) else self.lam
                if not self.diagonal or not all(
                    fm.t is None and not is_complex_dtype(xp, fm.d.dtype) for fm in forms
                ):
                    raise LinAlgError(
                        "factorize: the Kronecker sum is not positive definite (a factor is "
                        "not Hermitian)"
                    )
                if bool(xp.min(real) <= 0):
                    raise LinAlgError(
                        f"factorize: the Kronecker sum is not positive definite (smallest "
                        f"eigenvalue sum {float(xp.min(real)):.3g})"
                    )

    def _solve(self, b: Array, adjoint: bool) -> Array:
        xp = self.xp
        c = self.z.H @ b  # (⊗Zᵢ)ᴴ b: (N, k)
        if self.diagonal:
            lam = xp.conj(self.lam) if adjoint else self.lam
            if lam.dtype != c.dtype:
                dt = xp.result_type(lam.dtype, c.dtype)
                lam, c = xp.astype(lam, dt), xp.astype(c, dt)
            y = c / lam[:, None]
        else:
            ts = [fm.t if fm.t is not None else _np_diag(fm.d) for fm in self.forms]
            y = from_numpy(kronsum_triangular_solve(ts, to_numpy(c), adjoint=adjoint), c)
        x = self.z @ y
        if not is_complex_dtype(xp, b.dtype) and is_complex_dtype(xp, x.dtype):
            x = xp.real(x)  # real data, complex Schur basis: the exact solution is real
        return x if x.dtype == b.dtype else xp.astype(x, b.dtype)

    def inverse_operator(self, dtype: Any, device: Any, adjoint: bool = False) -> Any:
        return SolveOperator(self, adjoint, dtype)

    def slogdet(self) -> tuple[Array, Array]:
        return slogdet_of_values(self.xp, self.lam, self.dtype, self._tol)


def _np_diag(d: Array) -> Any:
    return np.diag(to_numpy(d).astype(complex))


@factorize.register
def _factorize_kronsum(s: KroneckerSum, assume_a: str) -> Factorization:
    """Factor Schur forms (``eigh`` for Hermitian factors): ``Σ O(nᵢ³)``.

    Two real factors that are not both Hermitian take the real Bartels–Stewart
    route (:class:`RealSylvesterFactorization`): real Schur forms and ``dtrsyl``,
    as ``scipy.linalg.solve_sylvester``, reused for every right-hand side.
    """
    if (
        len(s.factors) == 2
        and assume_a == "general"
        and not is_complex_dtype(s.xp, s.dtype)
        and not all(is_hermitian_operator(f) for f in _work_factors(s))
    ):
        return RealSylvesterFactorization(s)
    return KroneckerSumFactorization(s, _forms(s, "factorize"), assume_a)


class RealSylvesterFactorization(Factorization):
    """``A⊕B`` for two real factors: real Schur forms once, ``dtrsyl`` per right-hand side.

    With row-major vec, ``(A⊕B) X.ravel() = (A X + X Bᵀ).ravel()``; the
    Bartels–Stewart solve is :class:`~kronblock.linalg._sylvester.RealSylvester`
    (``O(m³ + n³)`` once, ``O(m²n + mn²)`` a column).  ``det = Π (λᵢ + μⱼ)``
    from the Schur factors' eigenvalues; a zero sum (to rounding) is singular.
    """

    def __init__(self, s: KroneckerSum) -> None:
        from ..linalg._sylvester import RealSylvester

        xp = s.xp
        self.xp, self.n = xp, s.shape[0]
        self.dtype = as_float_dtype(xp, s.dtype)
        a, b = (f.to_dense() for f in _work_factors(s))
        for i, arr in enumerate((a, b)):
            if is_eager(arr) and not bool(xp.all(xp.isfinite(arr))):
                raise ValueError(
                    f"factorize: factor {i} (shape {s.factors[i].shape}) of the Kronecker sum: "
                    f"the matrix has non-finite entries"
                )
        self._like = a
        self.kernel = RealSylvester(to_numpy(a), to_numpy(b))
        la, lb = self.kernel.eigenvalues()
        self.lam = (la[:, None] + lb[None, :]).reshape(-1)
        forms = [_Form(f, from_numpy(v, a), None) for f, v in zip(s.factors, (la, lb))]
        self._tol = _singular_tolerance(s, forms)
        if self.n:
            small = float(np.min(np.abs(self.lam)))
            if small <= self._tol:
                raise LinAlgError(
                    f"factorize: the Kronecker sum is singular: an eigenvalue sum "
                    f"λ₁ᵢ + λ₂ⱼ is {small:.3g} (zero up to rounding); use lstsq or pinv, "
                    f"or shift it (S + s * kb.identity({self.n}))"
                )

    def _solve(self, b: Array, adjoint: bool) -> Array:
        xp = self.xp
        if is_complex_dtype(xp, b.dtype):  # a real matrix, complex data: two real solves
            re = self._solve(xp.real(b), adjoint)
            im = self._solve(xp.imag(b), adjoint)
            return xp.astype(re, b.dtype) + 1j * xp.astype(im, b.dtype)
        x = self.kernel.solve(to_numpy(b).astype(np.float64, copy=False), transposed=adjoint)
        out = from_numpy(np.ascontiguousarray(x), b)
        return out if out.dtype == b.dtype else xp.astype(out, b.dtype)

    def slogdet(self) -> tuple[Array, Array]:
        return slogdet_of_values(self.xp, from_numpy(self.lam, self._like), self.dtype, self._tol)


@inv.register
def _inv_kronsum(s: KroneckerSum) -> AbstractLinearOperator:
    """``(⊗Zᵢ) diag(1/λ) (⊗Zᵢ)ᴴ`` for normal factors (lazy); else solves by the factorization."""
    f = KroneckerSumFactorization(s, _forms(s, "inv"), "general")
    complex_basis = is_complex_dtype(s.xp, f.z.dtype) and not is_complex_dtype(s.xp, f.dtype)
    if f.diagonal and not complex_basis:
        return spectral_operator(f.z, 1 / f.lam)
    return SolveOperator(f, False, f.dtype)  # real data through a complex basis: real solves


# ---- determinants ---------------------------------------------------------------------
@slogdet.register
def _slogdet_kronsum(s: KroneckerSum) -> tuple[Array, Array]:
    """``det(⊕Aᵢ) = Π (λ₁ᵢ + λ₂ⱼ + …)``: factor eigenvalues, ``Σ O(nᵢ³) + O(N)``."""
    xp = s.xp
    dt = as_float_dtype(xp, s.dtype)
    forms = []
    for i, f in enumerate(_work_factors(s)):
        with _factor(s, i, "slogdet"):
            d = eigvalsh(f) if is_hermitian_operator(f) else eigvals(f)
        forms.append(_Form(f, d, None))
    tol = _singular_tolerance(s, forms)
    return slogdet_of_values(xp, _grid(xp, [fm.d for fm in forms]), dt, tol)


# ---- spectral ----------------------------------------------------------------------------
@eigh.register
def _eigh_kronsum(s: KroneckerSum) -> tuple[Array, AbstractLinearOperator]:
    """``⊕Aᵢ = (⊗Vᵢ) diag(λ₁ᵢ + λ₂ⱼ + …) (⊗Vᵢ)ᴴ``: factor ``eigh``, ``Σ O(nᵢ³) + O(N)``.

    Eigenvalues in the Kronecker order (not sorted), eigenvectors
    ``Kronecker(V₁, …, V_K)``; ``eigvalsh`` sorts.
    """
    ws, vs = [], []
    for i, f in enumerate(_work_factors(s)):
        with _factor(s, i, "eigh", "eigh needs Hermitian factors; use eig"):
            w, v = eigh(f)
        ws.append(w)
        vs.append(v)
    return _grid(s.xp, ws), Kronecker(tuple(vs))


@eigvalsh.register
def _eigvalsh_kronsum(s: KroneckerSum) -> Array:
    """Sums of factor eigenvalues, ascending: ``Σ O(nᵢ³) + O(N log N)``."""
    ws = []
    for i, f in enumerate(_work_factors(s)):
        with _factor(s, i, "eigvalsh", "eigvalsh needs Hermitian factors; use eigvals"):
            ws.append(eigvalsh(f))
    return s.xp.sort(_grid(s.xp, ws))


@eig.register
def _eig_kronsum(s: KroneckerSum) -> tuple[Array, AbstractLinearOperator]:
    """``(⊕Aᵢ)(⊗Vᵢ) = (⊗Vᵢ) diag(λ₁ᵢ + λ₂ⱼ + …)``: factor eigenpairs, Kronecker order.

    For diagonalizable factors (as ``numpy.linalg.eig``, the eigenvectors of
    a defective factor are nearly parallel).
    """
    pairs = [eig(f) for f in _work_factors(s)]
    return _grid(s.xp, [w for w, _ in pairs]), Kronecker(tuple(v for _, v in pairs))


@eigvals.register
def _eigvals_kronsum(s: KroneckerSum) -> Array:
    """Sums ``λ₁ᵢ + λ₂ⱼ + …`` of factor eigenvalues, Kronecker order: ``Σ O(nᵢ³) + O(N)``."""
    return _grid(s.xp, [eigvals(f) for f in _work_factors(s)])


def _normal_forms(s: KroneckerSum, where: str) -> list[_Form] | None:
    forms = _forms(s, where)
    return forms if all(fm.t is None for fm in forms) else None


@svd.register
def _svd_kronsum(s: KroneckerSum) -> tuple[AbstractLinearOperator, Array, AbstractLinearOperator]:
    """Normal factors: ``⊕Aᵢ = (Z·diag(phase λ)) diag(|λ|) Zᴴ``, Kronecker order.

    Non-normal factors have no such identity: the dense fallback (with its warning).
    """
    forms = _normal_forms(s, "svd")
    if forms is None:
        return svd.dispatch(AbstractLinearOperator)(s)
    xp = s.xp
    z = Kronecker(tuple(fm.z for fm in forms))
    lam = _grid(xp, [fm.d for fm in forms])
    sv = xp.abs(lam)
    safe = xp.where(sv == 0, xp.ones_like(sv), sv)
    phase = xp.where(sv == 0, xp.ones_like(lam), lam / xp.astype(safe, lam.dtype))
    return z @ Diagonal(phase), sv, z.H


# ---- matrix functions ----------------------------------------------------------------
@expm.register
def _expm_kronsum(s: KroneckerSum) -> AbstractLinearOperator:
    """``exp(A⊕B) = exp(A)⊗exp(B)`` (the terms commute): ``Σ O(nᵢ³)``, any factors."""
    return Kronecker(tuple(expm(f) for f in _work_factors(s)))


@funm.register
def _funm_kronsum(s: KroneckerSum, func: Callable[[Array], Array]) -> AbstractLinearOperator:
    """``f(⊕Aᵢ) = (⊗Zᵢ) diag(f(λ₁ᵢ + λ₂ⱼ + …)) (⊗Zᵢ)ᴴ`` for Hermitian or normal factors."""
    forms = _forms(s, "funm")
    for i, fm in enumerate(forms):
        if fm.t is not None:
            raise LinAlgError(
                f"funm: factor {i} (shape {s.factors[i].shape}) of the Kronecker sum is not "
                f"normal, so it has no unitary eigenbasis; use expm for the exponential "
                f"(exact for any factors) or form the matrix densely"
            )
    z = Kronecker(tuple(fm.z for fm in forms))
    return spectral_operator(z, func(_grid(s.xp, [fm.d for fm in forms])))


@rescale.register
def _rescale_kronsum(s: KroneckerSum, c: Any) -> AbstractLinearOperator:
    # c(A⊕B) = (cA)⊕(cB)
    scaled = [rescale(f, c) for f in s.factors]
    return KroneckerSum(tuple(c * f if g is None else g for f, g in zip(s.factors, scaled)))


# ---- reductions ------------------------------------------------------------------------
def _factor_arrays(s: KroneckerSum) -> list[Array]:
    dt = s.dtype
    xp = s.xp
    out = []
    for f in s.factors:
        a = f.to_dense()
        out.append(a if a.dtype == dt else xp.astype(a, dt))
    return out


@diagonal.register
def _diagonal_kronsum(s: KroneckerSum) -> Array:
    """``diag(⊕Aᵢ) = diag(A₁) ⊕ diag(A₂) ⊕ …`` (sums in the Kronecker order): ``O(N·K)``."""
    xp = s.xp
    ds = []
    for f in s.factors:
        d = diagonal(f)
        ds.append(d if d.dtype == s.dtype else xp.astype(d, s.dtype))
    return _grid(xp, ds)


@trace.register
def _trace_kronsum(s: KroneckerSum) -> Array:
    """``trace(⊕Aᵢ) = Σᵢ (N/nᵢ) trace(Aᵢ)``: ``Σ O(nᵢ)``."""
    n = s.shape[0]
    out = None
    for f in s.factors:
        t = trace(f) * (n // f.shape[0])
        out = t if out is None else out + t
    return out


@norm.register
def _norm_kronsum(s: KroneckerSum, ord: Any) -> Array:
    """Frobenius, 1, ∞ (and −1, −∞) norms from the factors; 2, −2, nuclear for normal factors.

    - Frobenius: ``‖⊕Aᵢ‖² = Σᵢ (N/nᵢ)‖Aᵢ − tᵢI‖² + N·|Σᵢ tᵢ|²``, ``tᵢ = tr(Aᵢ)/nᵢ``
      (every term non-negative: no cancellation).
    - column sums: off-diagonal entries of different terms never overlap, so
      column ``(c₁, …, c_K)`` sums ``Σᵢ (colabsᵢ[cᵢ] − |Aᵢ[cᵢ,cᵢ]|) + |Σᵢ Aᵢ[cᵢ,cᵢ]|``
      (rows likewise): ``O(N·K)``.
    - 2, −2, nuclear: ``max``, ``min``, ``Σ`` of ``|λ₁ᵢ + λ₂ⱼ + …|`` for normal
      factors; non-normal factors: the dense fallback (with its warning).
    """
    xp = s.xp
    rdt = real_dtype(xp, as_float_dtype(xp, s.dtype))
    n = s.shape[0]
    if ord in ("fro", None):
        # ⊕Aᵢ = ⊕(Aᵢ − tᵢI) + (Σtᵢ)·I with tᵢ = tr(Aᵢ)/nᵢ: the shifted terms are traceless,
        # so they are orthogonal to each other and to I, and no term cancels:
        # ‖⊕Aᵢ‖² = Σᵢ (N/nᵢ)‖Aᵢ − tᵢI‖² + N·|Σtᵢ|²
        arrs = [xp.astype(a, as_float_dtype(xp, s.dtype)) for a in _factor_arrays(s)]
        sq = None
        shift = None
        for a in arrs:
            ni = a.shape[0]
            if ni == 0:
                continue
            t = xp.sum(xp.linalg.diagonal(a)) / ni
            centred = a - t * xp.eye(ni, dtype=a.dtype, device=s.device)
            term = (n // ni) * xp.sum(xp.abs(centred) ** 2)
            sq = term if sq is None else sq + term
            shift = t if shift is None else shift + t
        if sq is None or shift is None:
            return xp.asarray(0.0, dtype=rdt, device=s.device)
        total = sq + n * xp.abs(shift) ** 2
        return xp.sqrt(xp.astype(xp.asarray(total), rdt))
    if ord in (1, -1, math.inf, -math.inf):
        axis = 0 if ord in (1, -1) else 1
        arrs = _factor_arrays(s)
        offs = [xp.sum(xp.abs(a), axis=axis) - xp.abs(xp.linalg.diagonal(a)) for a in arrs]
        sums = _grid(xp, offs) + xp.abs(_grid(xp, [xp.linalg.diagonal(a) for a in arrs]))
        sums = xp.astype(sums, rdt)
        return xp.max(sums) if ord in (1, math.inf) else xp.min(sums)
    forms = _normal_forms(s, "norm")
    if forms is None:
        return norm.dispatch(AbstractLinearOperator)(s, ord)
    mags = xp.astype(xp.abs(_grid(xp, [fm.d for fm in forms])), rdt)
    return {2: xp.max, -2: xp.min}.get(ord, xp.sum)(mags)


@negate.register
def _negate_kronsum(s: KroneckerSum) -> AbstractLinearOperator:
    # −(A⊕B) = (−A)⊕(−B)
    return KroneckerSum(tuple(negate(f) for f in s.factors))


@astype.register
def _astype_kronsum(s: KroneckerSum, dtype: Any) -> AbstractLinearOperator:
    return KroneckerSum(tuple(astype(f, dtype) for f in s.factors))
