"""The tour: chapters that run the seed examples through kronblock and check them.

Run it with ``python -m kronblock tour`` (all chapters, in order),
``python -m kronblock tour --list`` or ``python -m kronblock tour CHAPTER``.

Each chapter is a module with a function ``run(check)`` taking a
:class:`~kronblock.tour._check.Checker`; it prints what it does and checks every
kronblock result against a NumPy reference.  To add a chapter, write its module
and add one line to :data:`CHAPTERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from . import blocks, equations, kronecker, kronecker_sum
from ._check import Checker

__all__ = ["CHAPTERS", "Chapter", "Checker"]


class Chapter(NamedTuple):
    """A chapter of the tour: a one-line description and the function that runs it."""

    description: str
    run: Callable[[Checker], None]


#: The chapters, in the order ``python -m kronblock tour`` runs them.
CHAPTERS: dict[str, Chapter] = {
    "kronecker": Chapter(kronecker.DESCRIPTION, kronecker.run),
    "kronecker_sum": Chapter(kronecker_sum.DESCRIPTION, kronecker_sum.run),
    "blocks": Chapter(blocks.DESCRIPTION, blocks.run),
    "equations": Chapter(equations.DESCRIPTION, equations.run),
}
