"""vec and unvec: the one place that knows the ordering conventions.

Two orders:

- ``"F"`` (column stacking): the textbook ``vec``, for which
  ``vec(A X B) = (Bᵀ ⊗ A) vec(X)``;
- ``"C"`` (NumPy's row-major ``ravel``), for which
  ``(A ⊗ B) X.ravel() = (A X Bᵀ).ravel()``.

For a tensor ``X`` of shape ``(n₁, …, n_K)``, ``kron(A₁, …, A_K) @ X.ravel()``
applies ``Aᵢ`` along axis ``i``: see :func:`kron_apply`.
"""

from __future__ import annotations

import math
from typing import Any

from ._array_api import Array, namespace_of

__all__ = ["kron_apply", "unvec", "vec"]

ORDERS = ("F", "C")


def _check_order(order: str, where: str) -> None:
    if order not in ORDERS:
        raise ValueError(
            f"{where}: order must be 'F' (column stacking, the textbook vec) or 'C' "
            f"(row-major), got {order!r}"
        )


def vec(x: Array, order: str = "F") -> Array:
    """Stack an array into a vector.

    Parameters
    ----------
    x : array (n₁, …, n_d)
    order : {"F", "C"}
        ``"F"`` stacks columns (first index fastest): the mathematical ``vec``
        with ``vec(A X B) = (Bᵀ ⊗ A) vec(X)``.  ``"C"`` is ``x.ravel()``.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> rng = np.random.default_rng(0)
    >>> A, X, B = rng.normal(size=(3, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    >>> lhs = kb.vec(A @ X @ B)
    >>> rhs = kb.kron(B.T, A) @ kb.vec(X)
    >>> bool(np.allclose(lhs, rhs))
    True
    """
    _check_order(order, "vec")
    xp = namespace_of(x, where="vec")
    if order == "F":
        x = xp.permute_dims(x, tuple(range(x.ndim - 1, -1, -1)))
    return xp.reshape(x, (-1,))


def unvec(v: Array, shape: tuple[int, ...], order: str = "F") -> Array:
    """Inverse of :func:`vec`: ``unvec(vec(X, order), X.shape, order) == X``.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> X = np.arange(6.0).reshape(2, 3)
    >>> bool(np.array_equal(kb.unvec(kb.vec(X), (2, 3)), X))
    True
    """
    _check_order(order, "unvec")
    xp = namespace_of(v, where="unvec")
    shape = tuple(int(s) for s in shape)
    if getattr(v, "ndim", None) != 1 or v.shape[0] != math.prod(shape):
        raise ValueError(
            f"unvec: expected a vector of length {math.prod(shape)} for shape {shape}, "
            f"got shape {tuple(getattr(v, 'shape', ()))}"
        )
    if order == "C":
        return xp.reshape(v, shape)
    t = xp.reshape(v, shape[::-1])
    return xp.permute_dims(t, tuple(range(len(shape) - 1, -1, -1)))


def kron_apply(k: Any, x: Array) -> Array:
    """Apply a Kronecker operator to an unflattened tensor.

    ``kron_apply(kron(A₁, …, A_K), X)`` for ``X`` of shape ``(n₁, …, n_K)``
    (optionally with trailing axes, treated as columns) returns the tensor of
    shape ``(m₁, …, m_K, …)`` with ``Aᵢ`` applied along axis ``i``; with the
    row-major convention, its ravel is ``K @ X.ravel()``.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> rng = np.random.default_rng(1)
    >>> A, B, X = rng.normal(size=(2, 3)), rng.normal(size=(4, 5)), rng.normal(size=(3, 5))
    >>> bool(np.allclose(kb.kron_apply(kb.kron(A, B), X), A @ X @ B.T))
    True
    """
    from .operators._kronecker import Kronecker

    if not isinstance(k, Kronecker):
        raise TypeError(
            f"kron_apply: expected a Kronecker operator (kb.kron(...)), got {type(k).__name__}"
        )
    xp = k.check_namespace(x, "kron_apply")
    cols = k.col_dims
    nd = len(cols)
    if tuple(x.shape[:nd]) != cols:
        raise ValueError(
            f"kron_apply: expected a tensor whose leading axes are {cols} (the factors' column "
            f"sizes), got shape {tuple(x.shape)}"
        )
    trailing = tuple(x.shape[nd:])
    y = k.matmat(xp.reshape(x, (math.prod(cols), math.prod(trailing))))
    return xp.reshape(y, k.row_dims + trailing)
