"""Validation and normalisation shared by the public linalg functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._array_api import Array, Namespace, as_float_dtype, device_of, namespace_of
from .._operator import AbstractLinearOperator, as_columns

__all__ = ["adopt_rhs", "as_operator", "float_dtype", "prepare_rhs", "require_square"]


def as_operator(a: Any, where: str) -> AbstractLinearOperator:
    """Wrap arrays as operators; anything else is a ``TypeError``."""
    from ..operators._dense import aslinearoperator

    try:
        return aslinearoperator(a)
    except TypeError as exc:
        raise TypeError(f"{where}: expected an operator or a 2-D array; {exc}") from exc


def adopt_rhs(a: AbstractLinearOperator, b: Any, where: str) -> AbstractLinearOperator:
    """A neutral operator (untyped identities, or built from them) takes ``b``'s library.

    It adopts ``b``'s namespace, device and floating dtype, as it does in a
    product, so that ``solve(identity(n), b)`` works for a PyTorch ``b`` and
    keeps float32.  Other operators, and non-arrays, pass through unchanged.
    """
    if not a.is_neutral or getattr(b, "ndim", None) is None:
        return a
    xp = namespace_of(b, where=where)
    return a._adopt(xp, as_float_dtype(xp, b.dtype), device_of(b))


def require_square(a: AbstractLinearOperator, where: str, alternative: str = "") -> None:
    """``ValueError`` naming the shape if ``a`` is not square."""
    m, n = a.shape
    if m != n:
        hint = f"; use {alternative}" if alternative else ""
        raise ValueError(f"{where}: needs a square operator, got shape {a.shape}{hint}")


def float_dtype(a: AbstractLinearOperator) -> Any:
    """The floating dtype linear algebra on ``a`` runs in."""
    return as_float_dtype(a.xp, a.dtype)


def prepare_rhs(
    a: AbstractLinearOperator, b: Any, where: str, rows: int | None = None
) -> tuple[Array, Callable[[Array], Array], Namespace]:
    """Check ``b`` against ``a`` and bring it to ``(N, K)`` in the working dtype."""
    xp = a.check_namespace(b, where)
    n = a.shape[0] if rows is None else rows
    if getattr(b, "ndim", 0) == 0:
        raise ValueError(
            f"{where}: the right-hand side must be an array of shape ({n},) or ({n}, K)"
        )
    got = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if got != n:
        expect = f"({n},) or ({n}, K)" if b.ndim <= 2 else f"(*batch, {n}, K)"
        raise ValueError(
            f"{where}: shape mismatch: operator of shape {a.shape} and right-hand side of "
            f"shape {tuple(b.shape)}; expected {expect}"
        )
    dt = xp.result_type(float_dtype(a), as_float_dtype(xp, b.dtype))
    if b.dtype != dt:
        b = xp.astype(b, dt)
    b2, restore = as_columns(xp, b)
    return b2, restore, xp
