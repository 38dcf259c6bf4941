"""Rules for the lazy combinators: ``Scaled`` through its operand, cheap ``Sum``/``Product`` facts.

``s·A``: every operation reduces to ``A``'s, so ``2 * kron(A, B)`` keeps all
the Kronecker fast paths.  ``Sum`` has exact ``diagonal``/``trace``; a
``Product`` of square operators has ``slogdet`` as the sum of its parts'.
Everything else about ``Sum``/``Product`` is the dense fallback.
"""

from __future__ import annotations

import cmath
import math
from typing import Any

from .._array_api import Array, as_float_dtype, is_complex_dtype, promote, real_dtype
from .._errors import LinAlgError
from .._operator import AbstractLinearOperator, Product, Scaled, Sum, negate
from ._det import slogdet
from ._factorization import Factorization, ScaledFactorization
from ._reduce import diagonal, matrix_power, norm, trace
from ._solve import factorize, inv
from ._spectral import cholesky, eig, eigh, eigvals, eigvalsh, svd

__all__: list[str] = []


def _real_scalar(s: Any) -> float | None:
    c = complex(s)
    return c.real if c.imag == 0 else None


@factorize.register
def _factorize_scaled(a: Scaled, assume_a: str) -> Factorization:
    s = complex(a.scalar)
    if s == 0:
        raise LinAlgError("factorize: the operator is scaled by 0, so it is singular")
    if assume_a == "positive_definite":
        r = _real_scalar(s)
        if r is None:
            raise LinAlgError("factorize: a complex multiple is not positive definite")
        if r < 0:  # r·X = |r|·(−X): positive definite iff −X is
            return ScaledFactorization(factorize(_negated(a, "factorize"), assume_a=assume_a), -r)
    return ScaledFactorization(factorize(a.operator, assume_a=assume_a), a.scalar)


def _negated(a: Scaled, where: str) -> AbstractLinearOperator:
    neg = negate(a.operator)
    if isinstance(neg, Scaled) and neg.operator is a.operator:
        raise LinAlgError(
            f"{where}: a negative multiple of a {type(a.operator).__name__} is not known to be "
            f"positive definite"
        )
    return neg


@inv.register
def _inv_scaled(a: Scaled) -> AbstractLinearOperator:
    if complex(a.scalar) == 0:
        raise LinAlgError("inv: the operator is scaled by 0, so it is singular")
    return Scaled(1 / a.scalar, inv(a.operator))


@slogdet.register
def _slogdet_scaled(a: Scaled) -> tuple[Array, Array]:
    # det(sA) = sⁿ det(A)
    xp = a.xp
    n = a.shape[0]
    sign, logabs = slogdet(a.operator)
    s = complex(a.scalar)
    if s == 0:
        return xp.zeros_like(sign), xp.asarray(-math.inf, dtype=logabs.dtype)
    r = _real_scalar(s)
    if r is not None and not is_complex_dtype(xp, sign.dtype):
        flip = -1.0 if (r < 0 and n % 2) else 1.0
        return sign * flip + 0.0, logabs + n * math.log(abs(r))  # + 0.0: no signed zero
    sign = (
        xp.astype(sign, as_float_dtype(xp, a.dtype))
        if not is_complex_dtype(xp, sign.dtype)
        else sign
    )
    return sign * cmath.exp(1j * cmath.phase(s) * n), logabs + n * math.log(abs(s))


def _hermitian_scalar(a: Scaled, where: str) -> float:
    r = _real_scalar(a.scalar)
    if r is None:
        raise ValueError(
            f"{where}: a complex multiple of a Hermitian operator is not Hermitian; use eig"
        )
    return r


@eigh.register
def _eigh_scaled(a: Scaled) -> tuple[Array, AbstractLinearOperator]:
    r = _hermitian_scalar(a, "eigh")
    w, v = eigh(a.operator)
    return w * r, v


@eigvalsh.register
def _eigvalsh_scaled(a: Scaled) -> Array:
    r = _hermitian_scalar(a, "eigvalsh")
    w = eigvalsh(a.operator) * r
    return a.xp.flip(w) if r < 0 else w


@eig.register
def _eig_scaled(a: Scaled) -> tuple[Array, AbstractLinearOperator]:
    w, v = eig(a.operator)
    return w * a.scalar, v


@eigvals.register
def _eigvals_scaled(a: Scaled) -> Array:
    return eigvals(a.operator) * a.scalar


@svd.register
def _svd_scaled(a: Scaled) -> tuple[AbstractLinearOperator, Array, AbstractLinearOperator]:
    # sA = (phase(s)·U) (|s|Σ) Vh
    u, s_vals, vh = svd(a.operator)
    s = complex(a.scalar)
    phase = s / abs(s) if s != 0 else 1.0
    r = _real_scalar(phase)
    return Scaled(r if r is not None else phase, u), s_vals * abs(s), vh


@cholesky.register
def _cholesky_scaled(a: Scaled) -> AbstractLinearOperator:
    r = _real_scalar(a.scalar)
    if r is None or r == 0:
        raise LinAlgError("cholesky: a complex or zero multiple is not positive definite")
    if r < 0:  # r·X = |r|·(−X)
        return Scaled(math.sqrt(-r), cholesky(_negated(a, "cholesky")))
    return Scaled(math.sqrt(r), cholesky(a.operator))


@diagonal.register
def _diagonal_scaled(a: Scaled) -> Array:
    return diagonal(a.operator) * a.scalar


@trace.register
def _trace_scaled(a: Scaled) -> Array:
    return trace(a.operator) * a.scalar


@norm.register
def _norm_scaled(a: Scaled, ord: Any) -> Array:
    v = norm(a.operator, ord)
    return v * abs(complex(a.scalar))


@matrix_power.register
def _matrix_power_scaled(a: Scaled, n: int) -> AbstractLinearOperator:
    if n < 0 and complex(a.scalar) == 0:
        raise LinAlgError("matrix_power: the operator is scaled by 0, so it is singular")
    return Scaled(a.scalar**n, matrix_power(a.operator, n))


@diagonal.register
def _diagonal_sum(a: Sum) -> Array:
    xp = a.xp
    out = diagonal(a.terms[0])
    for t in a.terms[1:]:
        d = diagonal(t)
        if d.dtype != out.dtype:
            dt = promote(xp, d.dtype, out.dtype)
            d, out = xp.astype(d, dt), xp.astype(out, dt)
        out = out + d
    return out


@trace.register
def _trace_sum(a: Sum) -> Array:
    out = trace(a.terms[0])
    for t in a.terms[1:]:
        out = out + trace(t)
    return out


@slogdet.register
def _slogdet_product(a: Product) -> tuple[Array, Array]:
    # det(AB) = det(A) det(B) when every factor is square.
    if any(f.shape[0] != f.shape[1] for f in a.factors):
        return slogdet.rules.dispatch(AbstractLinearOperator)(a)
    xp = a.xp
    sign, logabs = slogdet(a.factors[0])
    for f in a.factors[1:]:
        s, la = slogdet(f)
        if s.dtype != sign.dtype:
            dt = promote(xp, s.dtype, sign.dtype)
            s, sign = xp.astype(s, dt), xp.astype(sign, dt)
        sign = sign * s
        logabs = logabs + xp.astype(la, logabs.dtype) if la.dtype != logabs.dtype else logabs + la
    return sign, xp.where(
        sign == 0, xp.asarray(-math.inf, dtype=real_dtype(xp, logabs.dtype)), logabs
    )
