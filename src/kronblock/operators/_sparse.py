"""``Sparse``: a ``scipy.sparse`` matrix or array kept sparse (NumPy backend only).

Its products go through SciPy's sparse kernels; ``solve``/``slogdet`` through a
sparse LU (``scipy.sparse.linalg.splu``).  Spectral operations (``eigh``,
``svd``, ``eigvals``) form the dense matrix *of this factor only*, which is the
intended algorithm for the small factors of a Kronecker product; its budget is
the ``to_dense`` one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, final

import numpy as np

from .._array_api import NUMPY, Array, Namespace
from .._operator import AbstractLinearOperator
from .._tags import transpose_tags
from ..linalg._matfun import expm, funm, rescale

__all__ = ["Sparse", "is_scipy_sparse"]


def is_scipy_sparse(a: Any) -> bool:
    """True for any ``scipy.sparse`` matrix or array."""
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover - SciPy is a dependency
        return False
    return bool(sp.issparse(a))


@final
@dataclass(frozen=True, eq=False, repr=False)
class Sparse(AbstractLinearOperator):
    """A ``scipy.sparse`` matrix as an operator (kept sparse, CSR for products)."""

    matrix: Any
    tags_: frozenset[str] = field(default=frozenset())

    def __post_init__(self) -> None:
        if not is_scipy_sparse(self.matrix):
            raise TypeError(
                f"Sparse: expected a scipy.sparse matrix, got {type(self.matrix).__name__}"
            )
        if self.matrix.ndim != 2:
            raise ValueError(f"Sparse: expected 2-D, got shape {self.matrix.shape}")

    @property
    def shape(self) -> tuple[int, int]:
        m, n = self.matrix.shape
        return (int(m), int(n))

    @property
    def dtype(self) -> Any:
        return self.matrix.dtype

    @property
    def xp(self) -> Namespace:
        return NUMPY

    @property
    def tags(self) -> frozenset[str]:
        return self.tags_

    def _matmat(self, x: Array) -> Array:
        return np.asarray(self.matrix @ x)

    def _adjoint(self) -> AbstractLinearOperator:
        return Sparse(self.matrix.conj().T.tocsr(), transpose_tags(self.tags_))

    def _transpose(self) -> AbstractLinearOperator:
        return Sparse(self.matrix.T.tocsr(), transpose_tags(self.tags_))

    def _to_dense(self) -> Array:
        return self.matrix.toarray()

    def _entries(self, rows: Array, cols: Array) -> Array:
        csr = self.matrix.tocsr()
        return np.asarray(csr[np.asarray(rows), np.asarray(cols)]).ravel()

    def __repr__(self) -> str:
        return f"Sparse(shape={self.shape}, nnz={self.matrix.nnz}, dtype={self.dtype})"


# ---- linear algebra -------------------------------------------------------------
# Registered here, after the class; imported late to keep linalg free of operators.
from .._errors import LinAlgError  # noqa: E402
from .._operator import astype, negate  # noqa: E402
from ..linalg import (  # noqa: E402
    cholesky,
    diagonal,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    factorize,
    inv,
    matrix_power,
    norm,
    slogdet,
    svd,
    trace,
)
from ..linalg._factorization import Factorization  # noqa: E402
from ._dense import Dense  # noqa: E402


class SparseLUFactorization(Factorization):
    """Sparse LU (SuperLU through ``scipy.sparse.linalg.splu``)."""

    def __init__(self, a: Any) -> None:
        import scipy.sparse.linalg as spla

        self.xp, self.n = NUMPY, int(a.shape[0])
        self._a = a
        self.dtype = a.dtype if a.dtype.kind in "fc" else np.dtype(np.float64)
        if a.nnz and not np.all(np.isfinite(a.data)):
            raise ValueError("factorize: the sparse matrix contains NaN or inf")
        try:
            self._lu = spla.splu(a.tocsc().astype(self.dtype))
        except RuntimeError as exc:  # "Factor is exactly singular"
            raise LinAlgError(f"factorize: the sparse matrix is singular ({exc})") from exc

    def _refactor(self, dtype: Any) -> Factorization:
        return SparseLUFactorization(self._a.astype(dtype))

    def _solve(self, b: Array, adjoint: bool) -> Array:
        if b.dtype != self.dtype:
            return self._widened(b.dtype)._solve(b, adjoint)
        return self._lu.solve(
            np.asarray(b, dtype=np.result_type(self.dtype, b.dtype)), trans="H" if adjoint else "N"
        )

    def slogdet(self) -> tuple[Array, Array]:
        # det = det(Pr)·det(Pc)·Π diag(U) (L has a unit diagonal)
        from ..linalg._factorization import slogdet_from_pivots

        d = self._lu.U.diagonal()
        perm = _perm_sign(self._lu.perm_r) * _perm_sign(self._lu.perm_c)
        return slogdet_from_pivots(NUMPY, d, perm)


def _perm_sign(p: np.ndarray) -> float:
    p = np.asarray(p).copy()
    sign = 1.0
    for i in range(p.size):
        while p[i] != i:
            j = p[i]
            p[i], p[j] = p[j], p[i]
            sign = -sign
    return sign


@astype.register
def _astype_sparse(a: Sparse, dtype: Any) -> AbstractLinearOperator:
    return a if a.dtype == dtype else Sparse(a.matrix.astype(dtype), a.tags_)


@negate.register
def _negate_sparse(a: Sparse) -> AbstractLinearOperator:
    return Sparse(-a.matrix, a.tags_ - {"positive_definite"})


def _dense(a: Sparse) -> Dense:
    # The dense matrix of this small factor: the intended algorithm for spectral work.
    return Dense(a.to_dense(), a.tags_)


@factorize.register
def _factorize_sparse(a: Sparse, assume_a: str) -> Factorization:
    if assume_a == "positive_definite":
        return factorize(_dense(a), assume_a=assume_a)
    return SparseLUFactorization(a.matrix)


@inv.register
def _inv_sparse(a: Sparse) -> AbstractLinearOperator:
    f = SparseLUFactorization(a.matrix)
    return Dense(f._solve(np.eye(a.shape[0], dtype=f.dtype), False))


@slogdet.register
def _slogdet_sparse(a: Sparse) -> tuple[Array, Array]:
    try:
        return SparseLUFactorization(a.matrix).slogdet()
    except LinAlgError:
        dt = a.dtype if a.dtype.kind in "fc" else np.dtype(np.float64)
        return np.asarray(0.0, dtype=dt), np.asarray(-np.inf, dtype=np.finfo(dt).dtype)


@eigh.register
def _eigh_sparse(a: Sparse) -> Any:
    return eigh(_dense(a))


@eigvalsh.register
def _eigvalsh_sparse(a: Sparse) -> Any:
    return eigvalsh(_dense(a))


@eig.register
def _eig_sparse(a: Sparse) -> Any:
    return eig(_dense(a))


@eigvals.register
def _eigvals_sparse(a: Sparse) -> Any:
    return eigvals(_dense(a))


@svd.register
def _svd_sparse(a: Sparse) -> Any:
    return svd(_dense(a))


@cholesky.register
def _cholesky_sparse(a: Sparse) -> Any:
    return cholesky(_dense(a))


@diagonal.register
def _diagonal_sparse(a: Sparse) -> Array:
    return np.asarray(a.matrix.diagonal())


@trace.register
def _trace_sparse(a: Sparse) -> Array:
    return np.asarray(a.matrix.diagonal().sum())


@norm.register
def _norm_sparse(a: Sparse, ord: Any) -> Array:
    absm = abs(a.matrix)
    if ord == "fro":
        return np.asarray(np.sqrt((absm.multiply(absm)).sum()))
    if ord in (1, -1):
        s = np.asarray(absm.sum(axis=0)).ravel()
        return np.asarray(s.max() if ord == 1 else s.min())
    if ord in (np.inf, -np.inf):
        s = np.asarray(absm.sum(axis=1)).ravel()
        return np.asarray(s.max() if ord == np.inf else s.min())
    return norm(_dense(a), ord)


@matrix_power.register
def _matrix_power_sparse(a: Sparse, n: int) -> AbstractLinearOperator:
    if n < 0:
        return matrix_power(_inv_sparse(a), -n)
    import scipy.sparse as sp

    out = sp.identity(a.shape[0], dtype=a.dtype, format="csr")
    for _ in range(n):
        out = out @ a.matrix
    return Sparse(out.tocsr())


@expm.register
def _expm_sparse(a: Sparse) -> Any:
    # a small factor: dense expm (the exponential of a sparse matrix is dense)
    return expm(_dense(a))


@funm.register
def _funm_sparse(a: Sparse, func: Any) -> Any:
    return funm(_dense(a), func)


@rescale.register
def _rescale_sparse(a: Sparse, s: Any) -> AbstractLinearOperator:
    return Sparse(a.matrix * s)
