"""Conjugate gradients: :class:`CG` and its preconditioned name :class:`PCG`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array_api import Array
from .._errors import LinAlgError
from ._base import IterativeSolver, Problem, check_preconditioner, run_short_recurrence

__all__ = ["CG", "PCG"]


@dataclass
class _CGState:
    z: Array  # (N, k): M r
    d: Array  # (N, k): search directions
    rz: Array  # (k,) real: r_jᴴ M r_j


@dataclass(frozen=True, eq=False, kw_only=True)
class CG(IterativeSolver):
    """Conjugate gradients for Hermitian positive definite ``A``, optionally preconditioned.

    Solves ``A x = b`` for ``b`` of shape ``(N,)`` or ``(N, k)``; the ``k``
    columns are independent systems iterated together (one product
    ``A @ D`` with an ``(N, k)`` block per iteration, per-column step lengths).
    With a preconditioner ``M`` this is preconditioned CG (see :class:`PCG`).

    Parameters
    ----------
    rtol, atol : float, default 1e-8 and 0.0
        Column ``j`` has converged when ``‖b_j − A x_j‖ ≤ max(rtol·‖b_j‖, atol)``
        (SciPy's test).  In single precision use ``rtol`` of about ``1e-5`` or
        more: the default is below what float32 can resolve.
    maxiter : int, optional
        At most this many iterations (products with ``A``); default ``10·N``.
    M : operator, array or callable, optional
        The preconditioner, an *approximate inverse* of ``A`` (as SciPy's
        ``M``): an operator or ``(N, N)`` array applied as ``M @ r``, or a
        callable ``M(r)`` receiving ``r`` of ``b``'s shape (``(N,)`` or
        ``(N, k)``) and returning the same shape.  It must be Hermitian positive
        definite.  Its output is cast to the working dtype.
    callback : callable, optional
        ``callback(iteration, x, residual_norm)`` after each iteration
        (``iteration`` = 1, 2, ...), with the current iterate ``x`` (``b``'s
        shape; a fresh array, never modified afterwards) and the largest
        column residual norm of the recurrence.  Its return value is ignored.
    raise_on_failure : bool, default True
        If ``maxiter`` iterations do not converge, raise
        :class:`~kronblock.solvers.ConvergenceError` (its ``.result`` holds the
        iterate); if False, return the :class:`SolverResult` with
        ``converged=False``.

    Notes
    -----
    Per iteration: one product with ``A``, one with ``M``, three column inner
    products and three ``axpy`` on ``(N, k)`` blocks; memory six ``(N, k)``
    blocks (``x``, ``r``, ``M r``, ``d``, ``A d`` and ``b``).  Convergence is
    tested on the updated residual, then confirmed on the true residual
    ``b − A x`` (if it disagrees, the recurrence restarts from the true
    residual).  ``A`` is assumed Hermitian, which is not checked; ``dᴴ A d ≤ 0``
    for a search direction ``d`` proves ``A`` not positive definite and raises
    :class:`~kronblock.LinAlgError`.

    The arrays of ``b`` are used through the array API standard (NumPy,
    array-api-strict, PyTorch, ...).  Residual norms are read on the host each
    iteration to decide convergence, so lazy arrays (Dask, JAX under ``jit``)
    are not supported.

    Examples
    --------
    A Kronecker product of two SPD matrices, never formed:

    >>> import numpy as np, kronblock as kb
    >>> from kronblock.solvers import CG
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]]); B = np.array([[2.0, 0.5], [0.5, 1.0]])
    >>> b = np.arange(1.0, 5.0)
    >>> res = CG(rtol=1e-10).solve(kb.kron(A, B), b)
    >>> res.converged, res.iterations <= 4, res.x.shape
    (True, True, (4,))
    >>> bool(np.allclose(np.kron(A, B) @ res.x, b))
    True

    Three right-hand sides at once, float32 kept:

    >>> B3 = np.ones((4, 3), dtype=np.float32)
    >>> res = CG(rtol=1e-5).solve(kb.kron(A, B).to_dense().astype(np.float32), B3)
    >>> res.x.shape, res.x.dtype
    ((4, 3), dtype('float32'))
    >>> bool(np.allclose(np.kron(A, B) @ res.x, B3, atol=1e-4))
    True
    """

    def _iterate(
        self, p: Problem, x: Array, r: Array
    ) -> tuple[Array, int, list[float], np.ndarray | None]:
        xp = p.xp
        one = xp.ones((p.k,), dtype=p.rdtype, device=p.device)  # (k,)
        zero = xp.zeros((p.k,), dtype=p.rdtype, device=p.device)  # (k,)

        def start(x: Array, r: Array, rn: np.ndarray, done: np.ndarray) -> _CGState:
            z = p.apply_M(r)  # (N, k)
            rz = p.rdot(r, z)  # (k,)
            if p.M is not None:
                rz_h = p.host(rz)
                check_preconditioner(p, rz_h, ~done & (rn > 0) & (rz_h <= 0))
            return _CGState(z=z, d=z, rz=rz)

        def step(
            s: _CGState, x: Array, r: Array, act: Array, active: np.ndarray, it: int
        ) -> tuple[Array, Array, np.ndarray]:
            Ad = p.A(s.d)  # (N, k)
            dAd = p.rdot(s.d, Ad)  # (k,) dᴴ A d, real for Hermitian A
            use = act & (dAd != 0)
            alpha = xp.where(use, s.rz / xp.where(use, dAd, one), zero)  # (k,), 0 if inactive
            x = x + alpha * s.d  # (N, k)
            r = r - alpha * Ad  # (N, k)
            z = p.apply_M(r)  # (N, k)
            rz = p.rdot(r, z)  # (k,)
            host = p.host(xp.stack([dAd, rz, p.norms(r)]))  # (3, k): one read per iteration
            dAd_h, rz_h, rn = host[0], host[1], host[2]
            bad = active & (dAd_h <= 0)
            if bad.any():
                j = int(np.flatnonzero(bad)[0])
                raise LinAlgError(
                    f"{p.method}.solve: A is not positive definite: dᴴ A d = {float(dAd_h[j]):.3g}"
                    f" ≤ 0 for the search direction d at iteration {it} (column {j} of b); "
                    f"CG needs a Hermitian positive definite A; use MINRES for a Hermitian "
                    f"indefinite A or GMRES for a general one"
                )
            if p.M is not None:
                check_preconditioner(p, rz_h, active & (rn > 0) & (rz_h <= 0))
            beta = xp.where(act, rz / xp.where(act, s.rz, one), zero)  # (k,)
            s.d = z + beta * s.d  # (N, k)
            s.z, s.rz = z, rz
            return x, r, rn

        return run_short_recurrence(p, x, r, start, step)


@dataclass(frozen=True, eq=False, kw_only=True)
class PCG(CG):
    """Preconditioned conjugate gradients: :class:`CG` with a required preconditioner.

    The same algorithm and settings as :class:`CG`; ``M`` is required.  ``M``
    approximates the *inverse* of ``A`` (applied as ``M @ r`` or ``M(r)``,
    SciPy's convention) and must be Hermitian positive definite; a cheap ``M``
    that clusters the eigenvalues of ``M A`` cuts the iterations from about
    ``√κ(A)`` to about ``√κ(M A)``.  An ``M`` found not positive definite
    (``rᴴ M r ≤ 0``) raises :class:`~kronblock.LinAlgError`.

    Parameters
    ----------
    M : operator, array or callable
        The preconditioner (required, keyword).
    rtol, atol, maxiter, callback, raise_on_failure
        As for :class:`CG`.

    Examples
    --------
    Jacobi (diagonal) preconditioning of a badly scaled SPD matrix:

    >>> import numpy as np, kronblock as kb
    >>> from kronblock.solvers import CG, PCG
    >>> rng = np.random.default_rng(0)
    >>> D = np.diag(np.logspace(0, 3, 50))
    >>> S = np.eye(50) + 0.1 * np.ones((50, 50)) / 50
    >>> A = D @ S @ D
    >>> b = rng.normal(size=50)
    >>> plain = CG().solve(A, b)
    >>> jacobi = PCG(M=kb.diag(1.0 / np.diag(A))).solve(A, b)
    >>> jacobi.iterations < plain.iterations
    True
    >>> bool(np.allclose(A @ jacobi.x, b, rtol=0, atol=1e-6 * np.linalg.norm(b)))
    True
    """

    M: Any

    def __post_init__(self) -> None:
        if self.M is None:
            raise TypeError(
                "PCG: a preconditioner M is required (an approximate inverse of A, applied as "
                "M @ r or M(r)); use CG for no preconditioner"
            )
        super().__post_init__()
