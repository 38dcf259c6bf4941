"""kronblock: large structured matrices as lazy operators.

Kronecker products and block matrices are kept in their compact form and
computed with through their structure: products, solves, inverses,
determinants, eigen- and singular values, Cholesky, traces, never forming the
big matrix unless asked.

>>> import numpy as np, kronblock as kb
>>> rng = np.random.default_rng(0)
>>> A, B = rng.normal(size=(30, 30)), rng.normal(size=(40, 40))
>>> K = kb.kron(A, B)                       # 1200 × 1200, never formed
>>> x = rng.normal(size=1200)
>>> bool(np.allclose(K @ x, np.kron(A, B) @ x))
True
"""

from . import approximation, equations, filters, linalg, regression, solvers
from ._errors import (
    ConvergenceError,
    DenseBudgetError,
    DensificationWarning,
    KronblockWarning,
    LinAlgError,
)
from ._operator import (
    DEFAULT_MAX_BYTES,
    AbstractLinearOperator,
    Conjugate,
    Product,
    Scaled,
    Sum,
    register_matmul,
)
from ._vec import kron_apply, unvec, vec
from .approximation import KroneckerApproximation, nearest_kronecker
from .equations import (
    GeneralizedSylvester,
    solve_continuous_lyapunov,
    solve_discrete_lyapunov,
    solve_generalized_sylvester,
    solve_sylvester,
)
from .linalg import (
    Factorization,
    cho_factor,
    cholesky,
    det,
    diagonal,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    expm,
    factorize,
    funm,
    inv,
    logdet,
    lstsq,
    matrix_power,
    norm,
    pinv,
    slogdet,
    solve,
    svd,
    svdvals,
    trace,
)
from .linalg import _combinator_rules as _combinator_rules
from .operators import _dense_rules as _dense_rules
from .operators import _sum_rules as _sum_rules
from .operators._block import Block, BlockFactorization, block
from .operators._block_circulant import BlockCirculant, block_circulant
from .operators._block_diagonal import (
    BlockDiagonal,
    BlockDiagonalFactorization,
    as_block_diagonal,
    block_diag,
)
from .operators._block_toeplitz import (
    BlockToeplitz,
    BlockToeplitzSolver,
    block_toeplitz,
    multilevel_toeplitz,
)
from .operators._circulant import Circulant, CirculantFactorization, circulant
from .operators._dense import Dense, Diagonal, Identity, aslinearoperator, diag, identity
from .operators._kronecker import Kronecker, KroneckerFactorization, kron
from .operators._kronecker_sum import KroneckerSum, KroneckerSumFactorization, kronsum
from .operators._sampled_kronecker import SampledKronecker, sampled_kron
from .operators._sparse import Sparse
from .operators._sum_rules import KroneckerDiagonalPCG
from .operators._toeplitz import Toeplitz, ToeplitzFactorization, toeplitz

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MAX_BYTES",
    "AbstractLinearOperator",
    "Block",
    "BlockCirculant",
    "BlockDiagonal",
    "BlockDiagonalFactorization",
    "BlockFactorization",
    "BlockToeplitz",
    "BlockToeplitzSolver",
    "Circulant",
    "CirculantFactorization",
    "Conjugate",
    "ConvergenceError",
    "Dense",
    "DenseBudgetError",
    "DensificationWarning",
    "Diagonal",
    "Factorization",
    "GeneralizedSylvester",
    "Identity",
    "KronblockWarning",
    "Kronecker",
    "KroneckerApproximation",
    "KroneckerDiagonalPCG",
    "KroneckerFactorization",
    "KroneckerSum",
    "KroneckerSumFactorization",
    "LinAlgError",
    "Product",
    "SampledKronecker",
    "Scaled",
    "Sparse",
    "Sum",
    "Toeplitz",
    "ToeplitzFactorization",
    "__version__",
    "approximation",
    "as_block_diagonal",
    "aslinearoperator",
    "block",
    "block_circulant",
    "block_diag",
    "block_toeplitz",
    "cho_factor",
    "cholesky",
    "circulant",
    "det",
    "diag",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "equations",
    "expm",
    "factorize",
    "filters",
    "funm",
    "graphs",
    "identity",
    "inv",
    "kron",
    "kron_apply",
    "kronsum",
    "linalg",
    "logdet",
    "lstsq",
    "matrix_power",
    "multilevel_toeplitz",
    "nearest_kronecker",
    "norm",
    "pinv",
    "register_matmul",
    "regression",
    "sampled_kron",
    "slogdet",
    "solve",
    "solve_continuous_lyapunov",
    "solve_discrete_lyapunov",
    "solve_generalized_sylvester",
    "solve_sylvester",
    "solvers",
    "svd",
    "svdvals",
    "toeplitz",
    "trace",
    "unvec",
    "vec",
]

from . import graphs
