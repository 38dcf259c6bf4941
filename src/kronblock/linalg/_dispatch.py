"""How linalg generics are built: one singledispatch table per operation.

Each public function in :mod:`kronblock.linalg` validates and normalises its
arguments, then calls its rule table.  Structures add rules in their own files
with ``@kronblock.linalg.solve.register`` (the same ``register`` as
``functools.singledispatch``).  The rule for ``AbstractLinearOperator`` is the
generic one: for most operations, the dense fallback, which emits
:class:`~kronblock.DensificationWarning`.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, Protocol, TypeVar

from .._errors import DensificationWarning, format_bytes
from .._operator import AbstractLinearOperator, _itemsize

__all__ = ["densify", "generic", "public"]

P = ParamSpec("P")
R_co = TypeVar("R_co", covariant=True)


class Dispatched(Protocol, Generic[P, R_co]):
    """A public linalg function: callable, with its rule table's ``register``/``dispatch``."""

    register: Any
    dispatch: Any
    rules: Any

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...


def generic(fallback: Callable[..., Any]) -> Any:
    """A rule table whose rule for any operator is ``fallback``."""
    table = functools.singledispatch(fallback)
    table.register(AbstractLinearOperator, fallback)
    return table


def public(table: Any) -> Callable[[Callable[P, R_co]], Dispatched[P, R_co]]:
    """Attach ``table``'s ``register``/``dispatch`` to the public function."""

    def deco(fn: Callable[P, R_co]) -> Dispatched[P, R_co]:
        out: Any = fn
        out.register = table.register
        out.dispatch = table.dispatch
        out.rules = table
        return out

    return deco


def densify(a: AbstractLinearOperator, where: str) -> Any:
    """Form ``a`` densely for a fallback, with a :class:`DensificationWarning`."""
    from ..operators._dense import Dense

    m, n = a.shape
    need = m * n * _itemsize(a.xp, a.dtype)
    warnings.warn(
        f"{where}: no structured rule for {type(a).__name__}; forming the dense "
        f"{m}×{n} matrix ({format_bytes(need)}) and using the dense algorithm",
        DensificationWarning,
        stacklevel=4,
    )
    return Dense(a.to_dense())
