"""The tour's checks: compare a kronblock result with a NumPy reference, one printed line each.

Every check can fail.  A line reads::

      ok    mixed product (A⊗B)(C⊗D) = AC⊗BD                  max err 3.1e-16
      FAIL  determinant det(A⊗B)                              max err 2.0e-01 > tol 1.0e-12

and a failed check is recorded in :attr:`Checker.failures`, so the command line
exits non-zero.  The error of :meth:`Checker.close` is
``max|got − ref| / max(1, max|ref|)``: absolute for entries of size at most 1,
relative to the largest entry otherwise.
"""

from __future__ import annotations

import sys
from typing import Any, SupportsFloat, TextIO

import numpy as np

from .._operator import AbstractLinearOperator

__all__ = ["Checker"]

#: Width of the label column.
LABEL_WIDTH = 56


def _as_numpy(x: Any) -> np.ndarray:
    """A NumPy array of ``x``; an operator is formed explicitly with ``to_dense``."""
    if isinstance(x, AbstractLinearOperator):
        x = x.to_dense()
    return np.asarray(x)


class Checker:
    """Prints the tour's narration and checks, and records the failures.

    Parameters
    ----------
    stream : text stream, optional
        Where to print; ``sys.stdout`` (looked up at each print) by default.

    Attributes
    ----------
    passed : int
        Number of checks that passed.
    failures : list of str
        Labels of the checks that failed.

    Examples
    --------
    >>> import io, numpy as np
    >>> c = Checker(io.StringIO())
    >>> c.close("one plus one", np.array([2.0]), np.array([2.0]))
    True
    >>> c.close("wrong", np.array([2.0]), np.array([3.0]))
    False
    >>> c.ok, c.failures
    (False, ['wrong'])
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self.passed = 0
        self.failures: list[str] = []

    @property
    def ok(self) -> bool:
        """True while no check has failed."""
        return not self.failures

    # ---- narration ----------------------------------------------------------
    def say(self, text: str = "") -> None:
        """Print a line of narration."""
        print(text, file=self._stream or sys.stdout)

    def heading(self, title: str) -> None:
        """Print a section heading."""
        self.say()
        self.say(title)
        self.say("─" * len(title))

    def show(self, name: str, value: Any) -> None:
        """Print ``name`` and an array (or operator, formed densely), indented."""
        text = np.array2string(_as_numpy(value), max_line_width=96, precision=4)
        self.say(f"  {name} =")
        for line in text.splitlines():
            self.say(f"    {line}")

    # ---- checks ---------------------------------------------------------------
    def _record(self, label: str, passed: bool, detail: str) -> bool:
        status = "ok" if passed else "FAIL"
        self.say(f"  {status:<5} {label:<{LABEL_WIDTH}} {detail}".rstrip())
        if passed:
            self.passed += 1
        else:
            self.failures.append(label)
        return passed

    def close(self, label: str, got: Any, expected: Any, *, tol: float = 1e-12) -> bool:
        """Check ``got`` against the reference ``expected`` to a tolerance.

        Parameters
        ----------
        label : str
            What is checked, printed on the line.
        got, expected : array_like or operator
            The kronblock result and the NumPy reference; shapes must agree
            exactly (no broadcasting).
        tol : float
            Largest accepted ``max|got − expected| / max(1, max|expected|)``
            (the maximum over finite reference entries).  Equal infinities
            agree; NaN, or an infinity against anything else, fails.

        Returns
        -------
        bool
            Whether the check passed.
        """
        g, e = _as_numpy(got), _as_numpy(expected)
        if g.shape != e.shape:
            return self._record(label, False, f"shape {g.shape} ≠ reference {e.shape}")
        if g.size == 0:
            return self._record(label, True, "empty")
        with np.errstate(all="ignore"):
            gc, ec = g.astype(np.complex128), e.astype(np.complex128)
            diff = np.where(gc == ec, 0.0, np.abs(gc - ec))  # equal infinities agree
            finite = np.abs(ec[np.isfinite(ec)])
            scale = max(1.0, float(np.max(finite))) if finite.size else 1.0
            err = float(np.max(diff)) / scale
        passed = bool(err <= tol)  # False for NaN
        detail = f"max err {err:.1e}" if passed else f"max err {err:.1e} > tol {tol:.1e}"
        return self._record(label, passed, detail)

    def exact(self, label: str, got: Any, expected: Any) -> bool:
        """Check that ``got`` equals ``expected`` entry for entry (same shape, no tolerance)."""
        g, e = _as_numpy(got), _as_numpy(expected)
        if g.shape != e.shape:
            return self._record(label, False, f"shape {g.shape} ≠ reference {e.shape}")
        passed = bool(np.array_equal(g, e))
        if passed:
            return self._record(label, True, "exact")
        wrong = int(np.count_nonzero(g != e))
        return self._record(label, False, f"{wrong} of {e.size} entries differ")

    def below(self, label: str, value: SupportsFloat, limit: float) -> bool:
        """Check that a non-negative measure (a residual, say) is at most ``limit``."""
        v = float(value)
        passed = bool(v <= limit)  # False for NaN
        return self._record(label, passed, f"{v:.1e} {'≤' if passed else '>'} {limit:.0e}")

    def that(self, label: str, condition: bool, detail: str = "") -> bool:
        """Check a yes/no fact (``detail`` says what was seen)."""
        return self._record(label, bool(condition), detail)
