"""A conformance suite users can run on their own operators.

>>> import numpy as np, kronblock as kb
>>> from kronblock.testing import check_operator
>>> A = np.array([[2.0, 1.0], [1.0, 3.0]]); B = np.array([[4.0, 1.0], [1.0, 2.0]])
>>> ran = check_operator(kb.kron(A, B), np.kron(A, B))
>>> "solve" in ran and "eigh" in ran and "cholesky" in ran
True
"""

from . import _checks
from ._checks import *  # noqa: F403  (the public checks, listed once in _checks.__all__)

__all__ = list(_checks.__all__)
