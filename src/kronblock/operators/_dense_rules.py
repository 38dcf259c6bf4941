"""Linear algebra on the leaves ``Dense``, ``Diagonal`` and ``Identity``.

Dense rules call the array API's ``xp.linalg`` (LAPACK underneath) and
:mod:`kronblock._delegate` for what the standard lacks.  They are the rules
the structures reach when they decompose their small factors, and the rules
the dense fallback ends in.  Checks on values (finite entries, Hermitian
symmetry for ``eigh``) run here on eager data and are skipped for lazy arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array_api import Array, Namespace, as_float_dtype, is_complex_dtype, is_eager, real_dtype
from .._delegate import eig as _eig
from .._delegate import eigvals as _eigvals
from .._delegate import expm as _delegate_expm
from .._delegate import finite_check
from .._errors import LinAlgError
from .._operator import AbstractLinearOperator, astype, negate
from .._tags import HERMITIAN, LOWER, POSITIVE_DEFINITE, UPPER
from ..linalg import (
    cholesky,
    det,
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
from ..linalg._factorization import (
    CholeskyFactorization,
    DiagonalFactorization,
    Factorization,
    IdentityFactorization,
    LUFactorization,
    TriangularFactorization,
)
from ..linalg._matfun import expm, funm, rescale
from ._dense import Dense, Diagonal, Identity

__all__: list[str] = []


# ---- helpers ----------------------------------------------------------------
def _work(a: Dense) -> Array:
    """The array in its floating working dtype (integers promote to float64)."""
    xp = a.xp
    dt = as_float_dtype(xp, a.dtype)
    return a.array if a.array.dtype == dt else xp.astype(a.array, dt)


def _require_finite(xp: Namespace, a: Array, where: str) -> None:
    if not finite_check(xp, a):
        raise ValueError(
            f"{where}: the matrix contains NaN or inf, which would poison the factorization; "
            f"check the input data"
        )


def check_hermitian(
    xp: Namespace, a: Array, where: str, way_out: str = "use eig/eigvals for general matrices"
) -> None:
    """``ValueError`` if eager ``a`` is not Hermitian up to rounding.

    Tolerance: ``max|A - Aᴴ| ≤ 10·√eps · max|A|``.
    """
    if not is_eager(a):
        return
    diff = xp.max(xp.abs(a - xp.conj(xp.matrix_transpose(a)))) if a.shape[0] else 0.0
    scale = xp.max(xp.abs(a)) if a.shape[0] else 0.0
    eps = xp.finfo(real_dtype(xp, a.dtype)).eps
    if bool(diff > 10 * eps**0.5 * scale):
        what = "Hermitian" if is_complex_dtype(xp, a.dtype) else "symmetric"
        raise ValueError(
            f"{where}: the matrix is not {what} (max|A - Aᴴ| = {float(diff):.3g}); {way_out}"
        )


def _lin_alg(where: str, exc: Exception | None, what: str) -> LinAlgError:
    err = LinAlgError(f"{where}: {what}")
    if exc is not None:
        err.__cause__ = exc
    return err


def _dense_cholesky(xp: Namespace, a: Array, where: str) -> Array:
    try:
        low = xp.linalg.cholesky(a)
    except Exception as exc:  # NumPy's LinAlgError, torch's RuntimeError, ...
        raise _lin_alg(where, exc, "the matrix is not positive definite") from exc
    if not finite_check(xp, low):
        raise _lin_alg(where, None, "the matrix is not positive definite")
    return low


# ---- Dense --------------------------------------------------------------------
@factorize.register
def _factorize_dense(a: Dense, assume_a: str) -> Factorization:
    xp = a.xp
    w = _work(a)
    _require_finite(xp, w, "factorize")
    if assume_a == "positive_definite" or POSITIVE_DEFINITE in a.tags:
        if HERMITIAN not in a.tags:
            check_hermitian(xp, w, "factorize", "use assume_a='general'")
        return CholeskyFactorization(xp, _dense_cholesky(xp, w, "factorize"), w)
    for tag, lower in ((LOWER, True), (UPPER, False)):
        if tag in a.tags:
            f = TriangularFactorization(xp, w, lower)
            if is_eager(w) and bool(xp.any(xp.linalg.diagonal(w) == 0)):
                raise _lin_alg(
                    "factorize", None, "the triangular matrix is singular (a zero on its diagonal)"
                )
            return f
    lu = LUFactorization(xp, w)
    if is_eager(w) and lu.is_singular():
        raise _lin_alg("factorize", None, "the matrix is singular")
    return lu


@inv.register
def _inv_dense(a: Dense) -> AbstractLinearOperator:
    xp = a.xp
    w = _work(a)
    _require_finite(xp, w, "inv")
    f = _factorize_dense(a, "general")
    eye = xp.eye(a.shape[0], dtype=w.dtype, device=a.device)
    return Dense(f._solve(eye, False))


@slogdet.register
def _slogdet_dense(a: Dense) -> tuple[Array, Array]:
    res = a.xp.linalg.slogdet(_work(a))
    return res[0], res[1]


@det.register
def _det_dense(a: Dense) -> Array:
    return a.xp.linalg.det(_work(a))


@eigh.register
def _eigh_dense(a: Dense) -> tuple[Array, AbstractLinearOperator]:
    xp = a.xp
    w = _work(a)
    if HERMITIAN not in a.tags:
        check_hermitian(xp, w, "eigh")
    _require_finite(xp, w, "eigh")
    vals, vecs = xp.linalg.eigh(w)
    return vals, Dense(vecs)


@eigvalsh.register
def _eigvalsh_dense(a: Dense) -> Array:
    xp = a.xp
    w = _work(a)
    if HERMITIAN not in a.tags:
        check_hermitian(xp, w, "eigvalsh")
    return xp.linalg.eigvalsh(w)


@eig.register
def _eig_dense(a: Dense) -> tuple[Array, AbstractLinearOperator]:
    w = _work(a)
    _require_finite(a.xp, w, "eig")
    vals, vecs = _eig(a.xp, w)
    return vals, Dense(vecs)


@eigvals.register
def _eigvals_dense(a: Dense) -> Array:
    w = _work(a)
    _require_finite(a.xp, w, "eigvals")
    return _eigvals(a.xp, w)


@svd.register
def _svd_dense(a: Dense) -> tuple[AbstractLinearOperator, Array, AbstractLinearOperator]:
    xp = a.xp
    w = _work(a)
    _require_finite(xp, w, "svd")
    u, s, vh = xp.linalg.svd(w, full_matrices=False)
    return Dense(u), s, Dense(vh)


@cholesky.register
def _cholesky_dense(a: Dense) -> AbstractLinearOperator:
    xp = a.xp
    w = _work(a)
    _require_finite(xp, w, "cholesky")
    if HERMITIAN not in a.tags:
        check_hermitian(xp, w, "cholesky", "a Cholesky factor needs a Hermitian matrix")
    return Dense(_dense_cholesky(xp, w, "cholesky"), frozenset({LOWER}))


@diagonal.register
def _diagonal_dense(a: Dense) -> Array:
    return a.xp.linalg.diagonal(a.array)


@trace.register
def _trace_dense(a: Dense) -> Array:
    return a.xp.linalg.trace(a.array)


@norm.register
def _norm_dense(a: Dense, ord: Any) -> Array:
    return a.xp.linalg.matrix_norm(_work(a), ord=ord)


@matrix_power.register
def _matrix_power_dense(a: Dense, n: int) -> AbstractLinearOperator:
    xp = a.xp
    if n < 0:
        return Dense(xp.linalg.matrix_power(_inv_dense(a).array, -n))
    return Dense(xp.linalg.matrix_power(a.array, n))


@astype.register
def _astype_dense(a: Dense, dtype: Any) -> AbstractLinearOperator:
    return a if a.dtype == dtype else Dense(a.xp.astype(a.array, dtype), a.tags)


@astype.register
def _astype_diagonal(a: Diagonal, dtype: Any) -> AbstractLinearOperator:
    return a if a.dtype == dtype else Diagonal(a.xp.astype(a.diagonal, dtype))


@astype.register
def _astype_identity(a: Identity, dtype: Any) -> AbstractLinearOperator:
    return a if a.is_neutral or a.dtype == dtype else Identity(a.n, dtype, a.xp, a.device)


@negate.register
def _negate_dense(a: Dense) -> AbstractLinearOperator:
    return Dense(-a.array, a.tags - {POSITIVE_DEFINITE})


@negate.register
def _negate_diagonal(a: Diagonal) -> AbstractLinearOperator:
    return Diagonal(-a.diagonal)


# ---- Diagonal -----------------------------------------------------------------
def _dwork(a: Diagonal) -> Array:
    xp = a.xp
    dt = as_float_dtype(xp, a.dtype)
    return a.diagonal if a.dtype == dt else xp.astype(a.diagonal, dt)


def _require_nonzero(xp: Namespace, d: Array, where: str) -> None:
    if is_eager(d) and bool(xp.any(d == 0)):
        raise LinAlgError(f"{where}: the diagonal matrix is singular (a zero on its diagonal)")


@factorize.register
def _factorize_diagonal(a: Diagonal, assume_a: str) -> Factorization:
    xp = a.xp
    d = _dwork(a)
    _require_finite(xp, d, "factorize")
    if assume_a == "positive_definite" and is_eager(d):
        if is_complex_dtype(xp, d.dtype) and bool(xp.any(xp.imag(d) != 0)):
            raise LinAlgError("factorize: the diagonal matrix is not Hermitian positive definite")
        if bool(xp.any(xp.real(d) <= 0)):
            raise LinAlgError("factorize: the diagonal matrix is not positive definite")
    _require_nonzero(xp, d, "factorize")
    return DiagonalFactorization(xp, d)


@inv.register
def _inv_diagonal(a: Diagonal) -> AbstractLinearOperator:
    d = _dwork(a)
    _require_nonzero(a.xp, d, "inv")
    return Diagonal(1 / d)


@slogdet.register
def _slogdet_diagonal(a: Diagonal) -> tuple[Array, Array]:
    return DiagonalFactorization(a.xp, _dwork(a)).slogdet()


def _hermitian_diagonal(a: Diagonal, where: str) -> Array:
    xp = a.xp
    d = _dwork(a)
    if is_complex_dtype(xp, d.dtype):
        if is_eager(d) and bool(xp.any(xp.imag(d) != 0)):
            raise ValueError(
                f"{where}: the diagonal has non-real entries, so it is not Hermitian; use eig"
            )
        return xp.real(d)
    return d


@eigh.register
def _eigh_diagonal(a: Diagonal) -> tuple[Array, AbstractLinearOperator]:
    # w = d in the diagonal's own order; V = I.
    d = _hermitian_diagonal(a, "eigh")
    return d, Identity(a.shape[0], as_float_dtype(a.xp, a.dtype), a.xp, a.device)


@eigvalsh.register
def _eigvalsh_diagonal(a: Diagonal) -> Array:
    return a.xp.sort(_hermitian_diagonal(a, "eigvalsh"))


@eig.register
def _eig_diagonal(a: Diagonal) -> tuple[Array, AbstractLinearOperator]:
    xp = a.xp
    d = _dwork(a)
    cdt = (
        d.dtype
        if is_complex_dtype(xp, d.dtype)
        else (xp.complex64 if d.dtype == xp.float32 else xp.complex128)
    )
    return xp.astype(d, cdt), Identity(a.shape[0], cdt, xp, a.device)


@svd.register
def _svd_diagonal(a: Diagonal) -> tuple[AbstractLinearOperator, Array, AbstractLinearOperator]:
    # diag(d) = diag(d/|d|) · diag(|d|) · I, in the diagonal's own order.
    xp = a.xp
    d = _dwork(a)
    s = xp.abs(d)
    phase = xp.where(
        s == 0, xp.ones_like(d), d / xp.astype(xp.where(s == 0, xp.ones_like(s), s), d.dtype)
    )
    return Diagonal(phase), s, Identity(a.shape[0], d.dtype, xp, a.device)


@cholesky.register
def _cholesky_diagonal(a: Diagonal) -> AbstractLinearOperator:
    xp = a.xp
    d = _hermitian_diagonal(a, "cholesky")
    if is_eager(d) and bool(xp.any(d <= 0)):
        raise LinAlgError("cholesky: the diagonal matrix is not positive definite")
    root = xp.sqrt(d)
    return Diagonal(xp.astype(root, a.dtype) if is_complex_dtype(xp, a.dtype) else root)


@diagonal.register
def _diagonal_diagonal(a: Diagonal) -> Array:
    return a.diagonal


@trace.register
def _trace_diagonal(a: Diagonal) -> Array:
    return a.xp.sum(a.diagonal)


@norm.register
def _norm_diagonal(a: Diagonal, ord: Any) -> Array:
    xp = a.xp
    s = xp.abs(_dwork(a))
    if ord == "fro":
        return xp.sqrt(xp.sum(s * s))
    if ord == "nuc":
        return xp.sum(s)
    return xp.max(s) if ord in (1, 2, float("inf")) else xp.min(s)


@matrix_power.register
def _matrix_power_diagonal(a: Diagonal, n: int) -> AbstractLinearOperator:
    d = _dwork(a) if n < 0 else a.diagonal
    if n < 0:
        _require_nonzero(a.xp, d, "matrix_power")
    return Diagonal(d**n)


# ---- Identity -----------------------------------------------------------------
def _ident_dtype(a: Identity) -> Any:
    return as_float_dtype(a.xp, a.dtype)


@factorize.register
def _factorize_identity(a: Identity, assume_a: str) -> Factorization:
    return IdentityFactorization(a.xp, a.n, _ident_dtype(a))


@inv.register
def _inv_identity(a: Identity) -> AbstractLinearOperator:
    return a


@slogdet.register
def _slogdet_identity(a: Identity) -> tuple[Array, Array]:
    return IdentityFactorization(a.xp, a.n, _ident_dtype(a)).slogdet()


def _ones(a: Identity) -> Array:
    xp = a.xp
    return xp.ones((a.n,), dtype=real_dtype(xp, _ident_dtype(a)), device=a.device)


@eigh.register
def _eigh_identity(a: Identity) -> tuple[Array, AbstractLinearOperator]:
    return _ones(a), a


@eig.register
def _eig_identity(a: Identity) -> tuple[Array, AbstractLinearOperator]:
    xp = a.xp
    ones = _ones(a)
    return xp.astype(ones, xp.complex64 if ones.dtype == xp.float32 else xp.complex128), a


@svd.register
def _svd_identity(a: Identity) -> tuple[AbstractLinearOperator, Array, AbstractLinearOperator]:
    return a, _ones(a), a


@cholesky.register
def _cholesky_identity(a: Identity) -> AbstractLinearOperator:
    return a


@diagonal.register
def _diagonal_identity(a: Identity) -> Array:
    return a.xp.ones((a.n,), dtype=a.dtype, device=a.device)


@trace.register
def _trace_identity(a: Identity) -> Array:
    return a.xp.asarray(a.n, dtype=a.dtype, device=a.device)


@norm.register
def _norm_identity(a: Identity, ord: Any) -> Array:
    xp = a.xp
    val = {"fro": a.n**0.5, "nuc": float(a.n)}.get(ord, 1.0) if a.n else 0.0
    return xp.asarray(val, dtype=real_dtype(xp, _ident_dtype(a)), device=a.device)


@matrix_power.register
def _matrix_power_identity(a: Identity, n: int) -> AbstractLinearOperator:
    return a


# ---- matrix functions: expm, funm, rescale ------------------------------------------
def is_hermitian(xp: Namespace, a: Array) -> bool:
    """True if eager ``a`` is square and Hermitian to rounding: ``max|A − Aᴴ| ≤ 8·eps·max|A|``.

    The test that *chooses an algorithm* (a Hermitian eigensolver reads one
    triangle): it is much tighter than :func:`check_hermitian`, which only
    validates input to ``eigh``.  Lazy arrays: False (nothing is inspected;
    callers then take the general route).
    """
    if not is_eager(a) or a.ndim != 2 or a.shape[0] != a.shape[1]:
        return False
    if a.shape[0] == 0:
        return True
    diff = xp.max(xp.abs(a - xp.conj(xp.matrix_transpose(a))))
    scale = xp.max(xp.abs(a))
    eps = xp.finfo(real_dtype(xp, a.dtype)).eps
    return bool(diff <= 8 * eps * scale)


@expm.register
def _expm_dense(a: Dense) -> AbstractLinearOperator:
    w = _work(a)
    _require_finite(a.xp, w, "expm")
    return Dense(_delegate_expm(a.xp, w))


@expm.register
def _expm_diagonal(a: Diagonal) -> AbstractLinearOperator:
    return Diagonal(a.xp.exp(_dwork(a)))


@expm.register
def _expm_identity(a: Identity) -> AbstractLinearOperator:
    xp = a.xp
    dt = as_float_dtype(xp, a.dtype)
    return Diagonal(xp.exp(xp.ones((a.n,), dtype=dt, device=a.device)))


@funm.register
def _funm_dense(a: Dense, func: Any) -> AbstractLinearOperator:
    """Hermitian: ``V f(Λ) Vᴴ`` by ``eigh``; otherwise SciPy's Schur–Parlett ``funm`` (host)."""
    xp = a.xp
    w = _work(a)
    _require_finite(xp, w, "funm")
    if HERMITIAN in a.tags or is_hermitian(xp, w):
        lam, v = xp.linalg.eigh(w)
        f = func(lam)
        dt = xp.result_type(v.dtype, f.dtype)
        v = xp.astype(v, dt)
        return Dense((v * xp.astype(f, dt)[None, :]) @ xp.conj(xp.matrix_transpose(v)))
    import scipy.linalg as sla

    from .._array_api import from_numpy, to_numpy

    def on_host(z: Any) -> Any:  # func sees arrays of the operator's library
        return to_numpy(func(from_numpy(np.asarray(z), w)))

    f, err = sla.funm(to_numpy(w), on_host, disp=False)
    eps = float(np.finfo(np.asarray(f).real.dtype).eps)
    if not np.isfinite(err) or err > 1e3 * eps * max(w.shape[0], 1):
        raise LinAlgError(
            f"funm: the Schur–Parlett result is inaccurate (estimated relative error "
            f"{float(err):.1e}): the matrix has repeated or close eigenvalues (it may be "
            f"defective); use expm for the exponential, or a Hermitian or normal matrix"
        )
    return Dense(from_numpy(np.asarray(f), w))


@funm.register
def _funm_diagonal(a: Diagonal, func: Any) -> AbstractLinearOperator:
    return Diagonal(func(_dwork(a)))


@funm.register
def _funm_identity(a: Identity, func: Any) -> AbstractLinearOperator:
    xp = a.xp
    return Diagonal(func(xp.ones((a.n,), dtype=as_float_dtype(xp, a.dtype), device=a.device)))


@rescale.register
def _rescale_dense(a: Dense, s: Any) -> AbstractLinearOperator:
    return Dense(a.array * s)


@rescale.register
def _rescale_diagonal(a: Diagonal, s: Any) -> AbstractLinearOperator:
    return Diagonal(a.diagonal * s)


@rescale.register
def _rescale_identity(a: Identity, s: Any) -> AbstractLinearOperator:
    xp = a.xp
    return Diagonal(xp.ones((a.n,), dtype=as_float_dtype(xp, a.dtype), device=a.device) * s)
