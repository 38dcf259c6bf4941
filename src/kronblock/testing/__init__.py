"""A conformance suite users can run on their own operators.

>>> import numpy as np, kronblock as kb
>>> from kronblock.testing import check_operator
>>> A = np.array([[2.0, 1.0], [1.0, 3.0]]); B = np.array([[4.0, 1.0], [1.0, 2.0]])
>>> ran = check_operator(kb.kron(A, B), np.kron(A, B))
>>> "solve" in ran and "eigh" in ran and "cholesky" in ran
True
"""

from ._checks import (
    assert_close,
    check_cholesky,
    check_dense,
    check_determinant,
    check_eig,
    check_eigh,
    check_fast_path_equals_fallback,
    check_matmul,
    check_operator,
    check_reductions,
    check_solve,
    check_svd,
    default_rtol,
)

__all__ = [
    "assert_close",
    "check_cholesky",
    "check_dense",
    "check_determinant",
    "check_eig",
    "check_eigh",
    "check_fast_path_equals_fallback",
    "check_matmul",
    "check_operator",
    "check_reductions",
    "check_solve",
    "check_svd",
    "default_rtol",
]
