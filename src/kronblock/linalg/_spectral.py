"""Spectral functions: ``eigh``, ``eigvalsh``, ``eig``, ``eigvals``, ``svd``, ``svdvals``,
``cholesky``.

Conventions: where NumPy has the function and returns arrays only, kronblock
returns NumPy's order (``eigvalsh`` ascending, ``svdvals`` descending).  Where
eigen- or singular *vectors* come back, they are operators that keep the
structure, and the values come in the matching structural order (for a
Kronecker product: the Kronecker order, see :class:`~kronblock.Kronecker`), so
``V @ diag(w) @ V.H`` and ``U @ diag(s) @ Vh`` reconstruct the operator.
"""

from __future__ import annotations

from typing import Any

from .._array_api import Array
from .._operator import AbstractLinearOperator
from ._dispatch import densify, generic, public
from ._validate import as_operator, require_square

__all__ = ["cholesky", "eig", "eigh", "eigvals", "eigvalsh", "svd", "svdvals"]


# ---- eigh / eigvalsh ----------------------------------------------------------
def _eigh_fallback(a: AbstractLinearOperator) -> tuple[Array, AbstractLinearOperator]:
    return _eigh_rules(densify(a, "eigh"))


_eigh_rules = generic(_eigh_fallback)


@public(_eigh_rules)
def eigh(a: Any, /) -> tuple[Array, AbstractLinearOperator]:
    """Eigen-decomposition ``A = V diag(w) Vᴴ`` of a Hermitian operator.

    Returns
    -------
    w : array (N,)
        Real eigenvalues: ascending for a dense matrix (NumPy's order); for a
        structure, in the order that matches ``V`` (documented by the
        structure; sort with ``kb.eigvalsh`` if you need them ascending).
    V : operator (N, N)
        Unitary, with the structure kept (a Kronecker product of factor
        eigenvector matrices for a Kronecker product).

    Raises
    ------
    ValueError
        If ``a`` (or a named factor) is not Hermitian (checked on eager data).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[2.0, 1.0], [1.0, 2.0]]); B = np.array([[4.0, 0.0], [0.0, 1.0]])
    >>> w, V = kb.eigh(kb.kron(A, B))
    >>> bool(np.allclose((V @ kb.diag(w) @ V.H).to_dense(), np.kron(A, B)))
    True
    """
    op = as_operator(a, "eigh")
    require_square(op, "eigh")
    return _eigh_rules(op)


def _eigvalsh_generic(a: AbstractLinearOperator) -> Array:
    w, _ = _eigh_rules(a)
    return a.xp.sort(w)


_eigvalsh_rules = generic(_eigvalsh_generic)


@public(_eigvalsh_rules)
def eigvalsh(a: Any, /) -> Array:
    """Eigenvalues of a Hermitian operator, ascending (NumPy's ``eigvalsh``).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[2.0, 1.0], [1.0, 2.0]]); B = np.array([[4.0, 0.0], [0.0, 1.0]])
    >>> bool(np.allclose(kb.eigvalsh(kb.kron(A, B)), np.linalg.eigvalsh(np.kron(A, B))))
    True
    """
    op = as_operator(a, "eigvalsh")
    require_square(op, "eigvalsh")
    return _eigvalsh_rules(op)


# ---- eig / eigvals --------------------------------------------------------------
def _eig_fallback(a: AbstractLinearOperator) -> tuple[Array, AbstractLinearOperator]:
    return _eig_rules(densify(a, "eig"))


_eig_rules = generic(_eig_fallback)


@public(_eig_rules)
def eig(a: Any, /) -> tuple[Array, AbstractLinearOperator]:
    """Eigenvalues and right eigenvectors ``A V = V diag(w)`` of a general operator.

    Complex results always (the array API convention).  ``V`` keeps the
    structure; ``w`` is in the matching order.  For a non-diagonalizable
    operator ``V`` is singular, as with NumPy.
    """
    op = as_operator(a, "eig")
    require_square(op, "eig")
    return _eig_rules(op)


def _eigvals_generic(a: AbstractLinearOperator) -> Array:
    return _eig_rules(a)[0]


_eigvals_rules = generic(_eigvals_generic)


@public(_eigvals_rules)
def eigvals(a: Any, /) -> Array:
    """Eigenvalues of a general square operator (complex; structural order).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[1.0, 2.0], [0.0, 3.0]]); B = np.array([[0.0, -1.0], [1.0, 0.0]])
    >>> w = kb.eigvals(kb.kron(A, B))       # products λᵢ μⱼ
    >>> bool(np.allclose(np.sort_complex(w), np.sort_complex(np.linalg.eigvals(np.kron(A, B)))))
    True
    """
    op = as_operator(a, "eigvals")
    require_square(op, "eigvals")
    return _eigvals_rules(op)


# ---- svd / svdvals ----------------------------------------------------------------
def _svd_fallback(
    a: AbstractLinearOperator,
) -> tuple[AbstractLinearOperator, Array, AbstractLinearOperator]:
    return _svd_rules(densify(a, "svd"))


_svd_rules = generic(_svd_fallback)


@public(_svd_rules)
def svd(a: Any, /) -> tuple[AbstractLinearOperator, Array, AbstractLinearOperator]:
    """Compact singular value decomposition ``A = U diag(s) Vh``.

    Returns
    -------
    U : operator (M, r) with orthonormal columns
    s : array (r,) of non-negative singular values: descending for a dense
        matrix; for a structure, the order matching ``U`` and ``Vh`` (the
        Kronecker order for a Kronecker product).  ``r`` may be smaller than
        ``min(M, N)``: the missing singular values are zero.  Use
        :func:`svdvals` for all ``min(M, N)`` of them, descending.
    Vh : operator (r, N) with orthonormal rows

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]); B = np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> U, s, Vh = kb.svd(kb.kron(A, B))
    >>> bool(np.allclose((U @ kb.diag(s) @ Vh).to_dense(), np.kron(A, B)))
    True
    """
    op = as_operator(a, "svd")
    return _svd_rules(op)


def svdvals(a: Any, /) -> Array:
    """All ``min(M, N)`` singular values, descending (NumPy's ``svdvals``).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[1.0, 2.0, 0.0]]); B = np.array([[3.0], [4.0]])
    >>> bool(np.allclose(kb.svdvals(kb.kron(A, B)), np.linalg.svd(np.kron(A, B), compute_uv=False)))
    True
    """
    op = as_operator(a, "svdvals")
    xp = op.xp
    _, s, _ = _svd_rules(op)
    s = xp.flip(xp.sort(s))
    k = min(op.shape)
    if s.shape[0] < k:
        s = xp.concat([s, xp.zeros((k - s.shape[0],), dtype=s.dtype, device=op.device)])
    return s[:k]


# ---- cholesky -------------------------------------------------------------------
def _cholesky_fallback(a: AbstractLinearOperator) -> AbstractLinearOperator:
    return _cholesky_rules(densify(a, "cholesky"))


_cholesky_rules = generic(_cholesky_fallback)


@public(_cholesky_rules)
def cholesky(a: Any, /, *, upper: bool = False) -> AbstractLinearOperator:
    """Cholesky factor of a Hermitian positive definite operator, structure kept.

    Returns ``L`` (lower triangular, ``A = L Lᴴ``), or ``U = Lᴴ`` with
    ``upper=True`` (NumPy's keyword).  For a Kronecker product, ``L`` is the
    Kronecker product of the factors' Cholesky factors.

    Raises
    ------
    kronblock.LinAlgError
        If ``a`` (or a named factor) is not positive definite.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> S = np.array([[4.0, 2.0], [2.0, 3.0]]); T = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> L = kb.cholesky(kb.kron(S, T))
    >>> bool(np.allclose(L.to_dense(), np.linalg.cholesky(np.kron(S, T))))
    True
    """
    op = as_operator(a, "cholesky")
    require_square(op, "cholesky")
    low = _cholesky_rules(op)
    return low.H if upper else low
