"""Generic linear-algebra functions on operators.

Each function validates its input and dispatches on the operator's class
(``functools.singledispatch``).  Structures register fast paths in their own
files, e.g. ``@kronblock.linalg.solve.register``; an operator without one gets
the dense fallback, which emits :class:`~kronblock.DensificationWarning`.
"""

from ._det import det, logdet, slogdet
from ._factorization import Factorization
from ._matfun import expm, funm
from ._reduce import diagonal, matrix_power, norm, trace
from ._solve import cho_factor, factorize, inv, lstsq, pinv, solve
from ._spectral import cholesky, eig, eigh, eigvals, eigvalsh, svd, svdvals

__all__ = [
    "Factorization",
    "cho_factor",
    "cholesky",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "expm",
    "factorize",
    "funm",
    "inv",
    "logdet",
    "lstsq",
    "matrix_power",
    "norm",
    "pinv",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "trace",
]
