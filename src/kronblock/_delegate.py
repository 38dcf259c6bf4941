"""What the array API standard lacks: one function per routine.

Each routine calls the backend's native implementation where it has one
(NumPy → SciPy's LAPACK wrappers, PyTorch → ``torch.linalg``, JAX →
``jax.scipy.linalg``) and otherwise falls back to a standard-only route, as
documented per function.  A round trip through SciPy on the host is used only
for eager arrays; lazy arrays raise ``TypeError`` rather than being computed.

Routines
--------
LUFactor        LU with partial pivoting: ``solve`` (and adjoint solve), ``slogdet``.
                NumPy: ``scipy.linalg.lu_factor``; PyTorch: ``torch.linalg.lu_factor``;
                others: keeps the matrix and calls ``xp.linalg.solve``/``slogdet``.
solve_triangular
                NumPy: ``scipy.linalg.solve_triangular``; PyTorch:
                ``torch.linalg.solve_triangular``; JAX: ``jax.scipy.linalg``;
                others: ``xp.linalg.solve`` (correct, not triangular-fast).
eig, eigvals    ``xp.linalg.eig`` where the namespace has it (NumPy, PyTorch,
                array-api-strict ≥ 2025.12); otherwise SciPy on the host.
schur           complex Schur form ``A = Z T Zᴴ``: SciPy (``scipy.linalg.schur``),
                on the host for every library but NumPy (no array-API library
                has one; eager arrays only).
expm            NumPy: ``scipy.linalg.expm``; PyTorch: ``torch.linalg.matrix_exp``;
                JAX: ``jax.scipy.linalg.expm``; others: SciPy on the host.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._array_api import (
    Array,
    Namespace,
    from_numpy,
    is_eager,
    is_numpy_namespace,
    library_name,
    to_numpy,
)

__all__ = ["LUFactor", "eig", "eigvals", "expm", "schur", "solve_triangular"]


def _is_torch(xp: Namespace) -> bool:
    return library_name(xp) == "torch"


def _is_jax(xp: Namespace) -> bool:
    return library_name(xp).startswith("jax")


class LUFactor:
    """An LU factorization ``P A = L U`` of a square matrix, reused for many solves.

    Parameters
    ----------
    xp : namespace
    a : array (n, n)
    """

    def __init__(self, xp: Namespace, a: Array) -> None:
        self.xp = xp
        self.n = int(a.shape[0])
        self._a = a
        self._kind = "generic"
        if is_numpy_namespace(xp):
            import scipy.linalg as sla

            with warnings.catch_warnings():
                # Exactly singular matrices: we check U's diagonal ourselves.
                warnings.simplefilter("ignore", sla.LinAlgWarning)
                self._lu, self._piv = sla.lu_factor(a, check_finite=False)
            self._kind = "scipy"
        elif _is_torch(xp):
            import torch

            # the _ex variant: an exactly singular matrix is reported by is_singular(), as
            # for SciPy, not by torch's own RuntimeError
            self._lu, self._piv, _ = torch.linalg.lu_factor_ex(a)
            self._kind = "torch"

    def u_diagonal(self) -> Array | None:
        """Diagonal of U (None on the generic route)."""
        if self._kind == "generic":
            return None
        return self.xp.linalg.diagonal(self._lu)

    def is_singular(self) -> bool:
        """True if U has an exactly zero pivot (eager arrays only)."""
        xp = self.xp
        d = self.u_diagonal()
        if d is None:
            sign, _ = xp.linalg.slogdet(self._a)
            return bool(sign == 0)
        return bool(xp.any(d == 0))

    def solve(self, b: Array, adjoint: bool = False) -> Array:
        """Solve ``A x = b`` (or ``Aᴴ x = b``) for ``b`` of shape (n, k)."""
        xp = self.xp
        if self._kind == "scipy":
            import scipy.linalg as sla

            return sla.lu_solve(
                (self._lu, self._piv), b, trans=2 if adjoint else 0, check_finite=False
            )
        if self._kind == "torch":
            import torch

            return torch.linalg.lu_solve(self._lu, self._piv, b, adjoint=adjoint)
        a = xp.conj(xp.matrix_transpose(self._a)) if adjoint else self._a
        return xp.linalg.solve(a, b)

    def slogdet(self) -> tuple[Array, Array]:
        """``(sign, log|det|)`` from the pivots and U's diagonal."""
        xp = self.xp
        d = self.u_diagonal()
        if d is None:
            res = xp.linalg.slogdet(self._a)
            return res[0], res[1]
        if self._kind == "scipy":
            swaps = int(np.count_nonzero(self._piv != np.arange(self.n)))
        else:
            ar = xp.arange(1, self.n + 1, dtype=self._piv.dtype, device=self._piv.device)
            swaps = int(xp.sum(xp.astype(self._piv != ar, xp.int64)))
        from .linalg._factorization import slogdet_from_pivots

        return slogdet_from_pivots(xp, d, -1.0 if swaps % 2 else 1.0)


def solve_triangular(
    xp: Namespace, a: Array, b: Array, *, lower: bool, adjoint: bool = False
) -> Array:
    """Solve ``T x = b`` (or ``Tᴴ x = b``) for triangular ``T`` (see the module doc)."""
    if is_numpy_namespace(xp):
        import scipy.linalg as sla

        return sla.solve_triangular(
            a, b, lower=lower, trans=2 if adjoint else 0, check_finite=False
        )
    if _is_torch(xp):
        import torch

        if adjoint:
            return torch.linalg.solve_triangular(a.mH, b, upper=lower)
        return torch.linalg.solve_triangular(a, b, upper=not lower)
    if _is_jax(xp):
        import jax.scipy.linalg as jsl

        return jsl.solve_triangular(a, b, lower=lower, trans=2 if adjoint else 0)
    t = xp.conj(xp.matrix_transpose(a)) if adjoint else a
    return xp.linalg.solve(t, b)


def eig(xp: Namespace, a: Array) -> tuple[Array, Array]:
    """Eigenvalues and right eigenvectors of a general square matrix (complex)."""
    native = getattr(xp.linalg, "eig", None)
    if native is not None and not _is_jax(xp):
        w, v = native(a)
        return _complex(xp, w, a), _complex(xp, v, a)
    if not is_eager(a):
        raise TypeError(f"eig: {library_name(xp)} has no eig and the array is lazy")
    import scipy.linalg as sla

    w, v = sla.eig(to_numpy(a))
    return from_numpy(w, a), from_numpy(v, a)


def eigvals(xp: Namespace, a: Array) -> Array:
    """Eigenvalues of a general square matrix (complex)."""
    native = getattr(xp.linalg, "eigvals", None)
    if native is not None and not _is_jax(xp):
        return _complex(xp, native(a), a)
    if not is_eager(a):
        raise TypeError(f"eigvals: {library_name(xp)} has no eigvals and the array is lazy")
    import scipy.linalg as sla

    return from_numpy(sla.eigvals(to_numpy(a)), a)


def _complex(xp: Namespace, w: Array, like: Array) -> Array:
    if xp.isdtype(w.dtype, "complex floating"):
        return w
    target = xp.complex64 if like.dtype in (xp.float32, xp.complex64) else xp.complex128
    return xp.astype(w, target)


def finite_check(xp: Namespace, a: Array) -> bool:
    """True if eager ``a`` has only finite entries (lazy arrays: True, unchecked)."""
    if not is_eager(a):
        return True
    return bool(xp.all(xp.isfinite(a)))


def _host(where: str, a: Array) -> np.ndarray:
    if not is_eager(a):
        raise TypeError(
            f"{where}: needs SciPy on the host and the {type(a).__name__} array is lazy; "
            f"compute it first"
        )
    return to_numpy(a)


def schur(xp: Namespace, a: Array) -> tuple[Array, Array]:
    """Complex Schur form ``A = Z T Zᴴ``: ``T`` upper triangular, ``Z`` unitary (complex dtype).

    Through ``scipy.linalg.schur(output="complex")``, on the host for libraries
    other than NumPy (eager arrays only; see the module doc).
    """
    import scipy.linalg as sla

    t, z = sla.schur(_host("schur", a), output="complex", check_finite=False)
    return from_numpy(t, a), from_numpy(z, a)


def expm(xp: Namespace, a: Array) -> Array:
    """The matrix exponential of a square matrix (see the module doc for the routes)."""
    if is_numpy_namespace(xp):
        import scipy.linalg as sla

        return sla.expm(a)
    if _is_torch(xp):
        import torch

        return torch.linalg.matrix_exp(a)
    if _is_jax(xp):
        import jax.scipy.linalg as jsl

        return jsl.expm(a)
    import scipy.linalg as sla

    return from_numpy(sla.expm(_host("expm", a)), a)
