"""Factorization objects: expensive work done once, many solves and the logdet after.

``kb.factorize(A)`` returns one of these.  Every factorization has
``solve(b)`` for ``b`` of shape ``(N,)``, ``(N, K)`` or ``(*batch, N, K)``,
``solve(b, adjoint=True)`` for ``Aᴴ x = b``, ``slogdet()``, ``logdet()`` and
``det()``.  Structures add their own subclasses (a Kronecker factorization is a
list of factor factorizations).
"""

from __future__ import annotations

import abc
from typing import Any

from .._array_api import Array, Namespace, is_complex_dtype
from .._delegate import LUFactor, solve_triangular
from .._errors import LinAlgError
from .._operator import AbstractLinearOperator, as_columns

__all__ = [
    "CholeskyFactorization",
    "DiagonalFactorization",
    "Factorization",
    "IdentityFactorization",
    "LUFactorization",
    "TriangularFactorization",
    "logdet_from_slogdet",
]


def logdet_from_slogdet(xp: Namespace, sign: Array, logabs: Array, where: str) -> Array:
    """``log det`` from ``(sign, log|det|)``.

    Real: raises :class:`LinAlgError` if the determinant is negative (the log
    is not real; the message names ``slogdet``); ``-inf`` if it is zero.
    Complex: ``log(sign) + log|det|``.
    """
    from .._array_api import is_eager

    if is_complex_dtype(xp, sign.dtype):
        return xp.log(sign) + xp.astype(logabs, sign.dtype)
    if is_eager(sign) and bool(sign < 0):
        raise LinAlgError(
            f"{where}: the determinant is negative, so its logarithm is not real; "
            f"use kronblock.slogdet for (sign, log|det|)"
        )
    return xp.where(sign == 0, xp.asarray(-xp.inf, dtype=logabs.dtype), logabs)


class Factorization(abc.ABC):
    """A factorization of a square operator of order ``n``."""

    n: int
    xp: Namespace
    dtype: Any

    @abc.abstractmethod
    def _solve(self, b: Array, adjoint: bool) -> Array:
        """Solve for ``b`` of shape ``(n, K)`` in the working dtype."""

    @abc.abstractmethod
    def slogdet(self) -> tuple[Array, Array]:
        """``(sign, log|det|)`` of the factorized operator."""

    def solve(self, b: Array, *, adjoint: bool = False) -> Array:
        """Solve ``A x = b`` (or ``Aᴴ x = b``) for ``(N,)``, ``(N, K)`` or ``(*batch, N, K)``."""
        from .._array_api import as_float_dtype, library_name, namespace_of

        xp = namespace_of(b, where="Factorization.solve")
        if library_name(xp) != library_name(self.xp):
            raise TypeError(
                f"Factorization.solve: the factorization holds {library_name(self.xp)} arrays "
                f"but the right-hand side is a {library_name(xp)} array; convert one of them first"
            )
        if getattr(b, "ndim", 0) == 0 or (b.shape[0] if b.ndim == 1 else b.shape[-2]) != self.n:
            raise ValueError(
                f"Factorization.solve: expected a right-hand side with {self.n} rows, "
                f"got shape {tuple(getattr(b, 'shape', ()))}"
            )
        dt = xp.result_type(self.dtype, as_float_dtype(xp, b.dtype))
        if b.dtype != dt:
            b = xp.astype(b, dt)
        b2, restore = as_columns(xp, b)
        return restore(self._solve(b2, adjoint))

    def _widened(self, dtype: Any) -> Factorization:
        """This factorization redone at a wider ``dtype`` (float32 → float64, real → complex).

        NumPy promotes the matrix to the right-hand side's dtype before it
        factorizes; leaf factorizations do the same, once per dtype (cached).
        """
        cache: dict[Any, Factorization] = self.__dict__.setdefault("_wider", {})
        key = str(dtype)
        if key not in cache:
            cache[key] = self._refactor(dtype)
        return cache[key]

    def _refactor(self, dtype: Any) -> Factorization:
        """Factorize again at ``dtype``; leaves that cast right-hand sides override it."""
        return self

    def inverse_operator(self, dtype: Any, device: Any, adjoint: bool = False) -> Any:
        """``A⁻¹`` (or ``A⁻ᴴ``) as an operator at ``dtype``, for structures that apply it.

        Dense factorizations of order at most :data:`DENSE_INVERSE_MAX` form the
        inverse once from the factorization (``n`` solves against the identity,
        ``O(n³)``), so that a Kronecker solve is one Kronecker product; any
        other factorization is wrapped lazily (each product is a solve).
        """
        return SolveOperator(self, adjoint, dtype)

    def logdet(self) -> Array:
        """``log det A``; :class:`LinAlgError` if the determinant is negative."""
        sign, logabs = self.slogdet()
        return logdet_from_slogdet(self.xp, sign, logabs, f"{type(self).__name__}.logdet")

    def det(self) -> Array:
        """``det A = sign · exp(log|det|)``."""
        sign, logabs = self.slogdet()
        return sign * self.xp.exp(self.xp.astype(logabs, sign.dtype))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n={self.n})"


#: Factorizations up to this order give their inverse as a dense matrix (see
#: ``Factorization.inverse_operator``): 4096² float64 entries are 128 MiB.
DENSE_INVERSE_MAX = 4096


def _dense_inverse(f: Factorization, dtype: Any, device: Any, adjoint: bool) -> Any:
    from ..operators._dense import Dense

    if f.n > DENSE_INVERSE_MAX:
        return SolveOperator(f, adjoint, dtype)
    a = getattr(f, "_a", None)
    if a is not None:
        # the backend's own inverse (for NumPy: its bundled LAPACK, the same BLAS as
        # the products that follow; SciPy's separate OpenBLAS would leave its threads
        # spinning against them on small machines)
        inv = f.xp.linalg.inv(_cast(f.xp, a, dtype))
        return Dense(f.xp.conj(f.xp.matrix_transpose(inv)) if adjoint else inv)
    eye = f.xp.eye(f.n, dtype=dtype, device=device)
    return Dense(f._solve(eye, adjoint))


class SolveOperator(AbstractLinearOperator):
    """``A⁻¹`` (or ``A⁻ᴴ``) applied lazily through a factorization: each product is a solve."""

    def __init__(self, factorization: Factorization, adjoint: bool, dtype: Any) -> None:
        self.factorization, self.adjoint_, self.dtype_ = factorization, adjoint, dtype

    @property
    def shape(self) -> tuple[int, int]:
        return (self.factorization.n, self.factorization.n)

    @property
    def dtype(self) -> Any:
        return self.dtype_

    @property
    def xp(self) -> Namespace:
        return self.factorization.xp

    def _matmat(self, x: Array) -> Array:
        return self.factorization._solve(x, self.adjoint_)

    def _adjoint(self) -> AbstractLinearOperator:
        return SolveOperator(self.factorization, not self.adjoint_, self.dtype_)


def _cast(xp: Namespace, a: Array, dtype: Any) -> Array:
    return a if a.dtype == dtype else xp.astype(a, dtype)


class LUFactorization(Factorization):
    """LU with partial pivoting of a dense square matrix; O(n³) once, O(n²K) a solve."""

    def __init__(self, xp: Namespace, a: Array) -> None:
        self.xp, self.n, self.dtype = xp, int(a.shape[0]), a.dtype
        self._a = a
        self._lu = LUFactor(xp, a)

    def is_singular(self) -> bool:
        return self._lu.is_singular()

    def _refactor(self, dtype: Any) -> Factorization:
        return LUFactorization(self.xp, self.xp.astype(self._a, dtype))

    def _solve(self, b: Array, adjoint: bool) -> Array:
        if b.dtype != self.dtype:
            return self._widened(b.dtype)._solve(b, adjoint)
        return self._lu.solve(b, adjoint)

    def inverse_operator(self, dtype: Any, device: Any, adjoint: bool = False) -> Any:
        return _dense_inverse(self, dtype, device, adjoint)

    def slogdet(self) -> tuple[Array, Array]:
        return self._lu.slogdet()


class CholeskyFactorization(Factorization):
    """``A = L Lᴴ`` of a Hermitian positive definite matrix; O(n³/3) once."""

    def __init__(self, xp: Namespace, lower: Array, a: Array | None = None) -> None:
        self.xp, self.n, self.dtype = xp, int(lower.shape[0]), lower.dtype
        self.lower = lower
        self._a = a  # the factorized matrix, to redo the factorization at a wider dtype

    def _refactor(self, dtype: Any) -> Factorization:
        xp = self.xp
        if self._a is None:
            return CholeskyFactorization(xp, xp.astype(self.lower, dtype))
        a = xp.astype(self._a, dtype)
        return CholeskyFactorization(xp, xp.linalg.cholesky(a), a)

    def _solve(self, b: Array, adjoint: bool) -> Array:
        if b.dtype != self.dtype:
            return self._widened(b.dtype)._solve(b, adjoint)
        y = solve_triangular(self.xp, self.lower, b, lower=True)
        return solve_triangular(self.xp, self.lower, y, lower=True, adjoint=True)

    def inverse_operator(self, dtype: Any, device: Any, adjoint: bool = False) -> Any:
        return _dense_inverse(self, dtype, device, adjoint)

    def slogdet(self) -> tuple[Array, Array]:
        xp = self.xp
        d = (
            xp.real(xp.linalg.diagonal(self.lower))
            if is_complex_dtype(xp, self.dtype)
            else xp.linalg.diagonal(self.lower)
        )
        logabs = 2 * xp.sum(xp.log(d))
        return xp.ones_like(xp.astype(logabs, self.dtype)), logabs


class TriangularFactorization(Factorization):
    """A triangular matrix is its own factorization: O(n²K) a solve."""

    def __init__(self, xp: Namespace, t: Array, lower: bool) -> None:
        self.xp, self.n, self.dtype = xp, int(t.shape[0]), t.dtype
        self.t, self.lower = t, lower

    def _refactor(self, dtype: Any) -> Factorization:
        return TriangularFactorization(self.xp, self.xp.astype(self.t, dtype), self.lower)

    def _solve(self, b: Array, adjoint: bool) -> Array:
        if b.dtype != self.dtype:
            return self._widened(b.dtype)._solve(b, adjoint)
        return solve_triangular(self.xp, self.t, b, lower=self.lower, adjoint=adjoint)

    def inverse_operator(self, dtype: Any, device: Any, adjoint: bool = False) -> Any:
        return _dense_inverse(self, dtype, device, adjoint)

    def slogdet(self) -> tuple[Array, Array]:
        return _slogdet_of_diagonal(self.xp, self.xp.linalg.diagonal(self.t))


class DiagonalFactorization(Factorization):
    """``diag(d)``: solves are divisions."""

    def __init__(self, xp: Namespace, d: Array) -> None:
        self.xp, self.n, self.dtype = xp, int(d.shape[0]), d.dtype
        self.d = d

    def _solve(self, b: Array, adjoint: bool) -> Array:
        d = self.xp.conj(self.d) if adjoint else self.d
        return b / _cast(self.xp, d, b.dtype)[:, None]

    def inverse_operator(self, dtype: Any, device: Any, adjoint: bool = False) -> Any:
        from ..operators._dense import Diagonal

        d = _cast(self.xp, self.xp.conj(self.d) if adjoint else self.d, dtype)
        return Diagonal(1 / d)

    def slogdet(self) -> tuple[Array, Array]:
        return _slogdet_of_diagonal(self.xp, self.d)


class IdentityFactorization(Factorization):
    """The identity: solves return the right-hand side."""

    def __init__(self, xp: Namespace, n: int, dtype: Any) -> None:
        self.xp, self.n, self.dtype = xp, n, dtype

    def _solve(self, b: Array, adjoint: bool) -> Array:
        return self.xp.asarray(b, copy=True)  # a fresh array, never the caller's

    def inverse_operator(self, dtype: Any, device: Any, adjoint: bool = False) -> Any:
        from ..operators._dense import Identity

        return Identity(self.n, dtype, self.xp, device)

    def slogdet(self) -> tuple[Array, Array]:
        from .._array_api import real_dtype

        xp = self.xp
        return xp.asarray(1.0, dtype=self.dtype), xp.asarray(0.0, dtype=real_dtype(xp, self.dtype))


class ScaledFactorization(Factorization):
    """``s · A`` from a factorization of ``A``."""

    def __init__(self, inner: Factorization, s: Any) -> None:
        self.inner, self.s = inner, s
        self.xp, self.n = inner.xp, inner.n
        self.dtype = inner.dtype

    def _solve(self, b: Array, adjoint: bool) -> Array:
        s = complex(self.s).conjugate() if adjoint else self.s
        if isinstance(s, complex) and s.imag == 0:
            s = s.real
        return self.inner._solve(b, adjoint) / s

    def slogdet(self) -> tuple[Array, Array]:
        import cmath
        import math

        xp = self.xp
        sign, logabs = self.inner.slogdet()
        s = complex(self.s)
        if s == 0:
            return xp.zeros_like(sign), xp.asarray(-math.inf, dtype=logabs.dtype)
        phase = s / abs(s)
        if phase.imag == 0:
            sign = sign * (phase.real**self.n)
        else:
            sign = sign * cmath.exp(1j * cmath.phase(s) * self.n)
        return sign, logabs + self.n * math.log(abs(s))


def _slogdet_of_diagonal(xp: Namespace, d: Array) -> tuple[Array, Array]:
    return slogdet_from_pivots(xp, d, 1.0)


def slogdet_from_pivots(xp: Namespace, d: Array, perm_sign: float) -> tuple[Array, Array]:
    """``(sign, log|det|)`` of ``perm_sign · Π dᵢ``; a zero pivot gives ``(0, -inf)`` quietly."""
    absd = xp.abs(d)
    zero = absd == 0
    safe = xp.where(zero, xp.ones_like(absd), absd)
    logabs = xp.sum(xp.log(safe))
    sign = xp.prod(d / xp.astype(safe, d.dtype)) * perm_sign
    any_zero = xp.any(zero)
    sign = xp.where(any_zero, xp.zeros_like(sign), sign)
    logabs = xp.where(any_zero, xp.asarray(-xp.inf, dtype=logabs.dtype), logabs)
    return sign, logabs


class CongruenceFactorization(Factorization):
    """``A = G⁻ᴴ diag(μ) G⁻¹`` for an invertible operator ``G`` with known ``log|det G|``.

    Then ``A⁻¹ = G diag(1/μ) Gᴴ``: a solve is two products with ``G`` and a
    division, ``O(N)`` beyond them, and ``log|det A| = Σ log|μ| − 2 log|det G|``
    with the sign (phase) of ``Π μ``.  Unitary ``G`` (``log|det G| = 0``) is an
    eigendecomposition; structures build ``G`` as a Kronecker product of
    factor (generalized) eigenvector matrices, e.g. for ``A⊗B + σ²I`` or
    ``A₁⊗B₁ + A₂⊗B₂``.

    A zero ``μ`` (up to ``tol``) makes ``A`` singular: the constructor raises
    :class:`~kronblock.LinAlgError` naming ``where``, unless ``check=False``.
    """

    def __init__(
        self,
        g: AbstractLinearOperator,
        mu: Array,
        logabsdet_g: Any,
        dtype: Any,
        *,
        tol: float = 0.0,
        where: str = "factorize",
        check: bool = True,
    ) -> None:
        from .._array_api import is_eager

        xp = g.xp
        self.xp, self.n, self.dtype = xp, int(mu.shape[0]), dtype
        self.g, self.mu, self.logabsdet_g, self.tol = g, mu, logabsdet_g, tol
        if check and is_eager(mu) and self.n:
            small = float(xp.min(xp.abs(mu)))
            if small <= tol:
                raise LinAlgError(
                    f"{where}: the matrix is singular: an eigenvalue is {small:.3g} "
                    f"(zero up to rounding); use lstsq or pinv"
                )

    def _solve(self, b: Array, adjoint: bool) -> Array:
        xp = self.xp
        c = self.g.H @ b
        mu = xp.conj(self.mu) if adjoint else self.mu
        if mu.dtype != c.dtype:
            dt = xp.result_type(mu.dtype, c.dtype)
            mu, c = xp.astype(mu, dt), xp.astype(c, dt)
        x = self.g @ (c / mu[:, None])
        if not is_complex_dtype(xp, b.dtype) and is_complex_dtype(xp, x.dtype):
            x = xp.real(x)  # real data: the exact solution is real
        return x if x.dtype == b.dtype else xp.astype(x, b.dtype)

    def inverse_operator(self, dtype: Any, device: Any, adjoint: bool = False) -> Any:
        from .._operator import Product
        from ..operators._dense import Diagonal

        mu = self.xp.conj(self.mu) if adjoint else self.mu
        return Product((self.g, Diagonal(1 / mu), self.g.H))

    def slogdet(self) -> tuple[Array, Array]:
        xp = self.xp
        sign, logabs = slogdet_of_values(xp, self.mu, self.dtype, self.tol)
        return sign, logabs - 2 * self.logabsdet_g


def slogdet_of_values(xp: Namespace, lam: Array, dtype: Any, tol: Any) -> tuple[Array, Array]:
    """``(sign, log|Π λ|)`` of a product of (eigen)values; ``|λ| ≤ tol`` counts as zero.

    The sign of a real ``dtype`` comes from the count of negative values, or,
    for complex values of a real matrix (conjugate pairs), from ``Σ arg λ``
    (a multiple of π); a complex ``dtype`` gets the phase ``exp(i Σ arg λ)``.
    """
    import math

    from .._array_api import is_eager, real_dtype

    rdt = real_dtype(xp, dtype)
    if not is_complex_dtype(xp, lam.dtype) and is_eager(lam) and lam.shape[0]:
        if bool(xp.min(lam) > tol):  # all positive (the common K + σ²I case): 3 passes
            logabs = xp.astype(xp.sum(xp.log(lam)), rdt)
            return xp.ones_like(xp.astype(logabs, dtype)), logabs
    absl = xp.abs(lam)
    zero = xp.any(absl <= tol)
    safe = xp.where(absl == 0, xp.ones_like(absl), absl)
    logabs = xp.astype(xp.sum(xp.log(safe)), rdt)
    if is_complex_dtype(xp, lam.dtype):
        # Σ arg λ accumulated in float64 (float32 loses the phase at N ~ 10⁶), mod 2π
        angles = xp.astype(xp.atan2(xp.imag(lam), xp.real(lam)), xp.float64)
        theta = xp.remainder(xp.sum(angles), 2 * math.pi)
        if is_complex_dtype(xp, dtype):
            sign = xp.astype(xp.cos(theta), dtype) + 1j * xp.astype(xp.sin(theta), dtype)
        else:  # real data: the arguments of conjugate pairs cancel, Σ arg ∈ {0, π} mod 2π
            one = xp.ones_like(theta)
            sign = xp.astype(xp.where(xp.cos(theta) >= 0, one, -one), dtype)
    else:
        negatives = xp.sum(xp.astype(lam < 0, xp.int64))
        sign = xp.astype(1 - 2 * (negatives % 2), dtype)
    sign = xp.where(zero, xp.zeros_like(sign), sign)
    logabs = xp.where(zero, xp.asarray(-math.inf, dtype=rdt), logabs)
    return sign, logabs
