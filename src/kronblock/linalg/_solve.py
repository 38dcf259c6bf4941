"""Solves and inverses: ``solve``, ``factorize``, ``cho_factor``, ``inv``, ``pinv``, ``lstsq``."""

from __future__ import annotations

from typing import Any

from .._array_api import Array, promote, real_dtype
from .._errors import LinAlgError
from .._operator import AbstractLinearOperator, Product, astype
from ._dispatch import densify, generic, public
from ._factorization import Factorization
from ._validate import adopt_rhs, as_operator, float_dtype, prepare_rhs, require_square

__all__ = ["cho_factor", "factorize", "inv", "lstsq", "pinv", "solve"]

ASSUME = ("general", "positive_definite")


# ---- factorize --------------------------------------------------------------
def _factorize_fallback(a: AbstractLinearOperator, assume_a: str) -> Factorization:
    return _factorize_rules(densify(a, "factorize"), assume_a)


_factorize_rules = generic(_factorize_fallback)


@public(_factorize_rules)
def factorize(a: Any, /, *, assume_a: str = "general") -> Factorization:
    """Factorize a square operator once, for many solves and its determinant.

    Parameters
    ----------
    a : operator or array (N, N)
    assume_a : {"general", "positive_definite"}
        ``"general"``: LU with partial pivoting (of each factor, for
        structures); ``"positive_definite"``: Cholesky, which fails with
        :class:`~kronblock.LinAlgError` if ``a`` is not positive definite.

    Returns
    -------
    Factorization
        With ``.solve(b)``, ``.solve(b, adjoint=True)``, ``.slogdet()``,
        ``.logdet()`` and ``.det()``.

    Raises
    ------
    kronblock.LinAlgError
        If ``a`` (or, for a structure, a named factor) is singular or, with
        ``"positive_definite"``, not positive definite.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]]); B = np.array([[2.0, 0.5], [0.5, 1.0]])
    >>> F = kb.factorize(kb.kron(A, B))
    >>> b = np.arange(4.0)
    >>> bool(np.allclose(np.kron(A, B) @ F.solve(b), b))
    True
    >>> bool(np.isclose(F.logdet(), np.linalg.slogdet(np.kron(A, B))[1]))
    True
    """
    op = as_operator(a, "factorize")
    require_square(op, "factorize", "lstsq for a least-squares solution")
    if assume_a not in ASSUME:
        raise ValueError(f"factorize: assume_a must be one of {ASSUME}, got {assume_a!r}")
    return _factorize_rules(op, assume_a)


def cho_factor(a: Any, /) -> Factorization:
    """Cholesky factorization: ``factorize(a, assume_a="positive_definite")``.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> S = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> F = kb.cho_factor(kb.kron(S, S))
    >>> bool(np.isclose(F.logdet(), np.log(np.linalg.det(np.kron(S, S)))))
    True
    """
    return factorize(a, assume_a="positive_definite")


# ---- solve ------------------------------------------------------------------
def _solve_generic(a: AbstractLinearOperator, b: Array) -> Array:
    # Any operator: through its factorization (dense LU if it has no structure).
    return _factorize_rules(a, "general")._solve(b, False)


_solve_rules = generic(_solve_generic)


@public(_solve_rules)
def solve(a: Any, b: Any, /) -> Array:
    """Solve ``A x = b`` for square nonsingular ``A``.

    Parameters
    ----------
    a : operator or array (N, N)
    b : array (N,), (N, K) or (*batch, N, K)

    Returns
    -------
    x : array of ``b``'s shape, in the promoted floating dtype.

    Raises
    ------
    ValueError
        Non-square ``a`` or mismatched shapes.
    kronblock.LinAlgError
        Singular ``a`` (a structure names the singular factor).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[3.0, 1.0], [0.0, 2.0]]); B = np.array([[1.0, 2.0], [3.0, 5.0]])
    >>> b = np.array([1.0, 2.0, 3.0, 4.0])
    >>> x = kb.solve(kb.kron(A, B), b)
    >>> bool(np.allclose(np.kron(A, B) @ x, b))
    True
    """
    op = adopt_rhs(as_operator(a, "solve"), b, "solve")
    require_square(op, "solve", "lstsq for a least-squares solution")
    b2, restore, _ = prepare_rhs(op, b, "solve")
    try:
        return restore(_solve_rules(op, b2))
    except (LinAlgError, ValueError) as exc:
        # a solve goes through a factorization: name the call the user made
        msg = str(exc)
        if not msg.startswith("factorize: "):
            raise
        raise type(exc)("solve: " + msg.removeprefix("factorize: ")) from exc


# ---- inv --------------------------------------------------------------------
def _inv_fallback(a: AbstractLinearOperator) -> AbstractLinearOperator:
    return _inv_rules(densify(a, "inv"))


_inv_rules = generic(_inv_fallback)


@public(_inv_rules)
def inv(a: Any, /) -> AbstractLinearOperator:
    """The inverse, as an operator that keeps the structure (``inv(A⊗B) = A⁻¹⊗B⁻¹``).

    Raises
    ------
    kronblock.LinAlgError
        If ``a`` (or a named factor) is singular.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> Ki = kb.inv(kb.kron(A, A))
    >>> bool(np.allclose(Ki.to_dense(), np.linalg.inv(np.kron(A, A))))
    True
    """
    op = as_operator(a, "inv")
    require_square(op, "inv", "pinv for a pseudo-inverse")
    return _inv_rules(op)


# ---- pinv and lstsq, through the SVD ----------------------------------------
def _cutoff(xp: Any, s: Array, rtol: Any, shape: tuple[int, int], dtype: Any) -> Array:
    if rtol is None:
        rtol = max(shape) * xp.finfo(dtype).eps
    smax = xp.max(s) if s.shape[0] else xp.asarray(0.0, dtype=s.dtype)
    return rtol * smax


def pinv(a: Any, /, *, rtol: float | None = None) -> AbstractLinearOperator:
    """Moore–Penrose pseudo-inverse ``V Σ⁺ Uᴴ`` through the structured SVD.

    Singular values at or below ``rtol · σ_max`` are treated as zero
    (default ``rtol = max(M, N) · eps``, the array API's and
    ``numpy.linalg.pinv(a, rtol=None)``'s).  For a Kronecker product the
    cut-off applies to the *products* of factor singular values, so
    rank-deficient products give NumPy's answer.  Returned lazily as
    ``Vh.H @ diag(σ⁺) @ U.H``.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]); B = np.array([[1.0], [2.0]])
    >>> P = kb.pinv(kb.kron(A, B))
    >>> bool(np.allclose(P.to_dense(), np.linalg.pinv(np.kron(A, B), rtol=None)))
    True
    """
    from ..operators._dense import Diagonal
    from ._spectral import svd

    op = as_operator(a, "pinv")
    u, s, vh = svd(op)
    xp = op.xp
    cut = _cutoff(xp, s, rtol, op.shape, s.dtype)
    keep = s > cut
    sinv = xp.where(keep, 1 / xp.where(keep, s, xp.ones_like(s)), xp.zeros_like(s))
    return Product((vh.H, Diagonal(sinv), u.H))


def _lstsq_generic(
    a: AbstractLinearOperator, b2: Array, rcond: float | None
) -> tuple[Array, Array, int, Array]:
    # Any operator: V Σ⁺ Uᴴ b through its (structured, or dense) SVD.  ``b2`` is
    # (M, K) in the working dtype; returns x (N, K), residuals (K,) or (0,), rank, s.
    from ..operators._dense import Diagonal
    from ._spectral import svd, svdvals

    xp = a.xp
    # the SVD in the precision of the promoted dtype (NumPy promotes A to b's dtype);
    # a real operator keeps a real SVD for a complex right-hand side
    work = astype(a, promote(xp, float_dtype(a), real_dtype(xp, b2.dtype)))
    u, s, vh = svd(work)
    cut = _cutoff(xp, s, rcond, a.shape, s.dtype)
    keep = s > cut
    sinv = xp.where(keep, 1 / xp.where(keep, s, xp.ones_like(s)), xp.zeros_like(s))
    dt = promote(xp, u.dtype, b2.dtype)
    b2 = b2 if b2.dtype == dt else xp.astype(b2, dt)
    x2 = vh.H._matmat(Diagonal(sinv)._matmat(u.H._matmat(b2)))  # V Σ⁺ Uᴴ b
    rank = int(xp.sum(xp.astype(keep, xp.int64)))
    m, n = a.shape
    if rank == n and m > n:
        r = work._matmat(x2) - b2
        res = xp.sum(xp.real(r * xp.conj(r)), axis=0)  # one squared norm per column
    else:
        res = xp.zeros((0,), dtype=s.dtype, device=a.device)
    return x2, res, rank, svdvals(work)


_lstsq_rules = generic(_lstsq_generic)


@public(_lstsq_rules)
def lstsq(a: Any, b: Any, /, rcond: float | None = None) -> tuple[Array, Array, int, Array]:
    """Least-squares solution of ``A x ≈ b``, NumPy's return convention.

    Minimum-norm solution through the structured SVD, with singular values at
    or below ``rcond · σ_max`` treated as zero (default ``eps · max(M, N)``,
    NumPy's).  Returns ``(x, residuals, rank, s)``: ``residuals`` are the
    squared 2-norms of the residual columns when ``rank == N < M`` and empty
    otherwise; ``s`` are the singular values, descending.

    Structures add rules with ``@kronblock.linalg.lstsq.register``; a rule
    ``rule(a, b2, rcond)`` gets ``b2`` of shape ``(M, K)`` in the working
    dtype and returns ``(x2 (N, K), residuals (K,) or (0,), rank, s)``.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]); B = np.array([[2.0], [1.0]])
    >>> y = np.arange(6.0)
    >>> x, res, rank, s = kb.lstsq(kb.kron(A, B), y)
    >>> bool(np.allclose(x, np.linalg.lstsq(np.kron(A, B), y)[0])), rank
    (True, 2)
    """
    op = adopt_rhs(as_operator(a, "lstsq"), b, "lstsq")
    b2, restore, _ = prepare_rhs(op, b, "lstsq")
    x2, res, rank, s = _lstsq_rules(op, b2, rcond)
    if b.ndim > 2 and res.shape[0]:
        res = op.xp.reshape(res, (*b.shape[:-2], b.shape[-1]))
    return restore(x2), res, rank, s
