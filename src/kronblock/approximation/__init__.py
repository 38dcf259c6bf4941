"""Structured approximations: the nearest Kronecker product and Kronecker-rank-r sums.

:func:`nearest_kronecker` finds ``min ‖M − Σ_r A_r ⊗ B_r‖_F`` (Van Loan and
Pitsianis) through the SVD of the rearrangement of ``M``, reading that
rearrangement in factored form from structured operators (Kronecker products,
Kronecker sums, and sums and multiples of them) so that ``M`` is never formed.

This package sits beside :mod:`kronblock.linalg` rather than inside it: its
rules read the structures (``Kronecker``, ``KroneckerSum``, ``Diagonal``, ...),
and ``linalg/`` imports no structure (the structures import ``linalg/``).
"""

from ._nearest_kronecker import KroneckerApproximation, nearest_kronecker

__all__ = ["KroneckerApproximation", "nearest_kronecker"]
