"""Reductions and powers: ``trace``, ``diagonal``, ``norm``, ``matrix_power``."""

from __future__ import annotations

from typing import Any

from .._array_api import Array
from .._operator import AbstractLinearOperator, Product
from ._dispatch import densify, generic, public
from ._validate import as_operator, require_square

__all__ = ["MATRIX_NORMS", "diagonal", "matrix_power", "norm", "trace"]

#: The matrix norms of ``numpy.linalg.norm`` (``None`` is Frobenius).
MATRIX_NORMS = (None, "fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf"))


def _diagonal_fallback(a: AbstractLinearOperator) -> Array:
    d = densify(a, "diagonal")
    return a.xp.linalg.diagonal(d.array)


_diagonal_rules = generic(_diagonal_fallback)


@public(_diagonal_rules)
def diagonal(a: Any, /) -> Array:
    """The main diagonal, length ``min(M, N)`` (as ``numpy.diagonal``).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0]]); B = np.array([[0.0, 5.0], [6.0, 7.0]])
    >>> bool(np.array_equal(kb.diagonal(kb.kron(A, B)), np.diagonal(np.kron(A, B))))
    True
    """
    return _diagonal_rules(as_operator(a, "diagonal"))


def _trace_generic(a: AbstractLinearOperator) -> Array:
    return a.xp.sum(_diagonal_rules(a))


_trace_rules = generic(_trace_generic)


@public(_trace_rules)
def trace(a: Any, /) -> Array:
    """Sum of the main diagonal (``trace(A⊗B) = trace(A)·trace(B)``).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0]]); B = np.array([[0.0, 5.0], [6.0, 7.0]])
    >>> bool(np.isclose(kb.trace(kb.kron(A, B)), np.trace(A) * np.trace(B)))
    True
    """
    return _trace_rules(as_operator(a, "trace"))


def _norm_fallback(a: AbstractLinearOperator, ord: Any) -> Array:
    return _norm_rules(densify(a, "norm"), ord)


_norm_rules = generic(_norm_fallback)


@public(_norm_rules)
def norm(a: Any, /, ord: Any = None) -> Array:
    """Matrix norm, as ``numpy.linalg.norm`` for 2-D input.

    Parameters
    ----------
    ord : {None, "fro", "nuc", 1, -1, 2, -2, inf, -inf}
        ``None``/``"fro"`` Frobenius, ``"nuc"`` nuclear, ``2``/``-2`` largest
        and smallest singular value, ``1``/``-1`` max/min column sum,
        ``inf``/``-inf`` max/min row sum.  For a Kronecker product every one
        of these is the product of the factors' norms.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0]]); B = np.array([[0.0, 5.0], [6.0, 7.0]])
    >>> bool(np.isclose(kb.norm(kb.kron(A, B), 2), np.linalg.norm(np.kron(A, B), 2)))
    True
    """
    if ord not in MATRIX_NORMS:
        raise ValueError(
            f"norm: ord={ord!r} is not a matrix norm; use one of None, 'fro', 'nuc', 1, -1, 2, "
            f"-2, inf, -inf"
        )
    return _norm_rules(as_operator(a, "norm"), "fro" if ord is None else ord)


def _matrix_power_generic(a: AbstractLinearOperator, n: int) -> AbstractLinearOperator:
    # Lazy: Aⁿ as a product of n references to A (A⁻ⁿ through inv).
    from ..operators._dense import Identity
    from ._solve import inv

    if n == 0:
        return Identity(a.shape[0], a.dtype, a.xp, a.device)
    base = a if n > 0 else inv(a)
    return base if abs(n) == 1 else Product((base,) * abs(n))


_matrix_power_rules = generic(_matrix_power_generic)


@public(_matrix_power_rules)
def matrix_power(a: Any, n: int, /) -> AbstractLinearOperator:
    """``Aⁿ`` for an integer ``n`` (negative through the inverse), structure kept.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[1.0, 1.0], [0.0, 1.0]]); B = np.array([[2.0, 0.0], [1.0, 1.0]])
    >>> P = kb.matrix_power(kb.kron(A, B), 3)          # = kron(A³, B³)
    >>> bool(np.allclose(P.to_dense(), np.linalg.matrix_power(np.kron(A, B), 3)))
    True
    """
    import operator

    try:
        n = operator.index(n)
    except TypeError as exc:
        raise TypeError(f"matrix_power: the exponent must be an integer, got {n!r}") from exc
    op = as_operator(a, "matrix_power")
    require_square(op, "matrix_power")
    return _matrix_power_rules(op, n)
