"""Determinants: ``slogdet`` (the one with the dense fallback), ``det``, ``logdet``."""

from __future__ import annotations

from typing import Any

from .._array_api import Array
from .._operator import AbstractLinearOperator
from ._dispatch import densify, generic, public
from ._factorization import logdet_from_slogdet
from ._validate import as_operator, require_square

__all__ = ["det", "logdet", "slogdet"]


def _slogdet_fallback(a: AbstractLinearOperator) -> tuple[Array, Array]:
    return _slogdet_rules(densify(a, "slogdet"))


_slogdet_rules = generic(_slogdet_fallback)


@public(_slogdet_rules)
def slogdet(a: Any, /) -> tuple[Array, Array]:
    """Sign and natural log of the absolute determinant, as NumPy's ``slogdet``.

    Returns
    -------
    sign, logabsdet : 0-d arrays
        ``sign`` is ±1 (real), a unit complex number (complex), or 0 for a
        singular operator, with ``logabsdet = -inf``.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> B = np.diag([2.0, 3.0, -1.0])
    >>> sign, logabs = kb.slogdet(kb.kron(A, B))
    >>> ref = np.linalg.slogdet(np.kron(A, B))
    >>> bool(sign == ref[0] and np.isclose(logabs, ref[1]))
    True
    """
    op = as_operator(a, "slogdet")
    require_square(op, "slogdet")
    return _slogdet_rules(op)


def _det_generic(a: AbstractLinearOperator) -> Array:
    # det = sign · exp(log|det|): no overflow in the intermediate products.
    sign, logabs = _slogdet_rules(a)
    return sign * a.xp.exp(a.xp.astype(logabs, sign.dtype))


_det_rules = generic(_det_generic)


@public(_det_rules)
def det(a: Any, /) -> Array:
    """The determinant (through ``slogdet`` for structures, so no intermediate overflow).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0]]); B = np.array([[0.0, 5.0], [6.0, 7.0]])
    >>> # det(A⊗B) = det(A)^p · det(B)^m with p = m = 2
    >>> bool(np.isclose(kb.det(kb.kron(A, B)), np.linalg.det(A) ** 2 * np.linalg.det(B) ** 2))
    True
    """
    op = as_operator(a, "det")
    require_square(op, "det")
    return _det_rules(op)


def logdet(a: Any, /) -> Array:
    """``log det A``.

    Real operators: :class:`~kronblock.LinAlgError` naming ``slogdet`` if the
    determinant is negative; ``-inf`` if it is zero.  Complex operators: the
    principal ``log(sign) + log|det|``.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> S = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> dense = np.kron(np.kron(S, S), S)
    >>> bool(np.isclose(kb.logdet(kb.kron(S, S, S)), np.log(np.linalg.det(dense))))
    True
    """
    op = as_operator(a, "logdet")
    require_square(op, "logdet")
    sign, logabs = _slogdet_rules(op)
    return logdet_from_slogdet(op.xp, sign, logabs, "logdet")
