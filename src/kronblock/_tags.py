"""Structural tags: what an operator is known to be, and how that propagates.

A tag is a promise made by whoever built the operator (``cholesky`` returns
lower-triangular factors; a user may write ``kb.aslinearoperator(S,
tags={"hermitian"})``).  Tags only ever *skip checks or choose a faster exact
algorithm*; they never change what is computed.  Untagged operators are
inspected when a rule needs to know (e.g. ``eigh`` checks Hermitian symmetry of
eager data).

Propagation (the only rules, stated once):

- ``kron``: a tag holds for the product if it holds for every factor
  (``hermitian``, ``positive_definite``, ``lower_triangular``,
  ``upper_triangular``, ``diagonal``).
- transpose/adjoint: ``lower_triangular`` and ``upper_triangular`` swap; the
  others stay.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "DIAGONAL",
    "HERMITIAN",
    "KNOWN_TAGS",
    "LOWER",
    "POSITIVE_DEFINITE",
    "UPPER",
    "check_tags",
    "kron_tags",
    "transpose_tags",
]

HERMITIAN = "hermitian"
POSITIVE_DEFINITE = "positive_definite"
LOWER = "lower_triangular"
UPPER = "upper_triangular"
DIAGONAL = "diagonal"

KNOWN_TAGS = frozenset({HERMITIAN, POSITIVE_DEFINITE, LOWER, UPPER, DIAGONAL})


def check_tags(tags: Iterable[str]) -> frozenset[str]:
    """Validate a collection of tag names; ``positive_definite`` implies ``hermitian``."""
    if isinstance(tags, str):
        raise TypeError(f"tags must be a collection of names, got the string {tags!r}")
    out = frozenset(tags)
    unknown = out - KNOWN_TAGS
    if unknown:
        raise ValueError(f"unknown tags {sorted(unknown)}; known tags are {sorted(KNOWN_TAGS)}")
    if POSITIVE_DEFINITE in out:
        out = out | {HERMITIAN}
    return out


def kron_tags(factor_tags: Iterable[frozenset[str]]) -> frozenset[str]:
    """Tags of a Kronecker product: those shared by every factor."""
    common: frozenset[str] | None = None
    for t in factor_tags:
        common = t if common is None else common & t
    return common or frozenset()


def transpose_tags(tags: frozenset[str]) -> frozenset[str]:
    """Tags of the transpose or adjoint: triangular tags swap."""
    out = set(tags)
    lower, upper = LOWER in tags, UPPER in tags
    out.discard(LOWER)
    out.discard(UPPER)
    if lower:
        out.add(UPPER)
    if upper:
        out.add(LOWER)
    return frozenset(out)
