"""Exceptions and warnings of kronblock, and helpers that word their messages.

Types:

- ``ValueError`` for shapes and values, ``TypeError`` for types and array
  namespaces (Python's own);
- :class:`LinAlgError` (a subclass of :class:`numpy.linalg.LinAlgError`) for
  numerical failure: a singular or indefinite factor, named;
- :class:`ConvergenceError` (a :class:`LinAlgError`) when an iterative solver
  stops before its tolerance, carrying what it reached;
- :class:`DenseBudgetError` (a ``ValueError``) when ``to_dense`` would pass its
  memory budget;
- :class:`DensificationWarning` whenever a generic dense fallback runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "ConvergenceError",
    "DenseBudgetError",
    "DensificationWarning",
    "KronblockWarning",
    "LinAlgError",
    "format_bytes",
]


class LinAlgError(np.linalg.LinAlgError):
    """A numerical failure: singular, not positive definite, not converged.

    Subclasses :class:`numpy.linalg.LinAlgError`, so code that catches NumPy's
    error catches kronblock's too.
    """


class ConvergenceError(LinAlgError):
    """An iterative solver stopped (at ``maxiter``) before reaching its tolerance.

    Raised by the solvers of :mod:`kronblock.solvers` when
    ``raise_on_failure=True`` (their default).  The message names the method,
    the iterations done, the residual reached against the one requested, and
    the ways out: raise ``maxiter``, loosen ``rtol``, use a better
    preconditioner ``M``.

    Attributes
    ----------
    result : kronblock.solvers.SolverResult
        What the solver reached: the last iterate ``result.x``,
        ``result.iterations``, ``result.residual_norm``, ``result.history``.
    """

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message)
        self.result = result

    def __reduce__(self) -> tuple[Any, ...]:  # pickles with its result
        return (type(self), (str(self), self.result))


class DenseBudgetError(ValueError):
    """Raised when forming a dense matrix would exceed the ``max_bytes`` budget."""


class KronblockWarning(UserWarning):
    """Base class of kronblock's warnings."""


class DensificationWarning(KronblockWarning):
    """A generic dense fallback formed the full matrix of a structured operator.

    The fallback is correct but costs O(N²) memory and O(N³) time.  The test
    suite turns this warning into an error, so that a structure that silently
    densifies fails CI.
    """


def format_bytes(n: float) -> str:
    """Return ``n`` bytes in a human unit, e.g. ``'28.8 GiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")  # pragma: no cover
