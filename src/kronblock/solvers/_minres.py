"""MINRES for Hermitian, possibly indefinite, systems: :class:`MINRES`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._array_api import Array
from ._base import IterativeSolver, Problem, check_preconditioner, run_short_recurrence

__all__ = ["MINRES"]


@dataclass
class _MinresState:
    """Paige–Saunders MINRES, per column.  Vectors ``(N, k)``; scalars ``(k,)`` real."""

    r1: Array  # previous Lanczos residual
    r2: Array  # current Lanczos residual
    y: Array  # M r2
    w: Array  # search directions w_k, w_{k-1}
    w2: Array
    Aw: Array  # A w_k, A w_{k-1}: they update the residual r = b − A x
    Aw2: Array
    beta: Array
    oldb: Array
    dbar: Array
    epsln: Array
    phibar: Array
    cs: Array
    sn: Array
    first: bool = True


@dataclass(frozen=True, eq=False, kw_only=True)
class MINRES(IterativeSolver):
    """MINRES for Hermitian ``A``, definite or indefinite, optionally preconditioned.

    Minimises the residual over the Krylov space with a three-term (Lanczos)
    recurrence (Paige and Saunders, 1975; the recurrence of SciPy's
    ``minres``), so memory stays O(N·k).  ``b`` may be ``(N,)`` or ``(N, k)``:
    the columns are iterated together with per-column coefficients.

    Parameters
    ----------
    rtol, atol : float, default 1e-8 and 0.0
        Column ``j`` has converged when ``‖b_j − A x_j‖ ≤ max(rtol·‖b_j‖, atol)``
        (the 2-norm of the residual, also when preconditioned; SciPy's
        ``minres`` tests ``‖r‖ / (‖A‖‖x‖)`` instead).
    maxiter : int, optional
        At most this many iterations (products with ``A``); default ``10·N``.
    M : operator, array or callable, optional
        Preconditioner approximating the *inverse* of ``A``, applied as
        ``M @ r`` or ``M(r)`` (``r`` of ``b``'s shape); it must be Hermitian
        *positive definite* even when ``A`` is indefinite.  ``rᴴ M r ≤ 0``
        raises :class:`~kronblock.LinAlgError`.
    callback : callable, optional
        ``callback(iteration, x, residual_norm)`` after each iteration, with the
        current iterate ``x`` (``b``'s shape) and the largest column residual
        norm.
    raise_on_failure : bool, default True
        Raise :class:`~kronblock.solvers.ConvergenceError` if not converged in
        ``maxiter`` iterations, else return the result with ``converged=False``.

    Notes
    -----
    Per iteration: one product with ``A`` and one with ``M``, three column
    inner products, about ten ``axpy`` on ``(N, k)`` blocks; memory thirteen
    ``(N, k)`` blocks.  Besides SciPy's recurrence, the products ``A w`` are
    carried along, so that the residual ``b − A x`` itself is updated (not
    estimated from the rotations, which give its norm only without a
    preconditioner); convergence is confirmed on the true residual at the end.
    ``A`` is assumed Hermitian (not checked: a non-Hermitian ``A`` gives a
    wrong answer or no convergence; use :class:`GMRES`).  Residual norms are
    read on the host each iteration, so lazy arrays are not supported.

    Examples
    --------
    An indefinite Kronecker product (CG would refuse it):

    >>> import numpy as np, kronblock as kb
    >>> from kronblock.solvers import MINRES
    >>> A = np.array([[2.0, 1.0], [1.0, -3.0]]); B = np.array([[4.0, 1.0], [1.0, 2.0]])
    >>> b = np.array([1.0, -2.0, 0.5, 3.0])
    >>> res = MINRES(rtol=1e-10).solve(kb.kron(A, B), b)
    >>> res.converged, res.method
    (True, 'MINRES')
    >>> bool(np.allclose(res.x, np.linalg.solve(np.kron(A, B), b)))
    True
    """

    def _iterate(
        self, p: Problem, x: Array, r: Array
    ) -> tuple[Array, int, list[float], np.ndarray | None]:
        xp = p.xp
        one = xp.ones((p.k,), dtype=p.rdtype, device=p.device)  # (k,)
        zero = xp.zeros((p.k,), dtype=p.rdtype, device=p.device)  # (k,)
        eps = float(xp.finfo(p.rdtype).eps)

        def safe_inv(a: Array) -> Array:  # 1/a, and 0 where a == 0: (k,)
            nz = a != 0
            return xp.where(nz, one / xp.where(nz, a, one), zero)

        def start(x: Array, r: Array, rn: np.ndarray, done: np.ndarray) -> _MinresState:
            y = p.apply_M(r)  # (N, k)
            b1 = p.rdot(r, y)  # (k,): rᴴ M r
            if p.M is not None:
                b1_h = p.host(b1)
                check_preconditioner(p, b1_h, ~done & (rn > 0) & (b1_h <= 0))
            beta1 = xp.sqrt(xp.where(b1 > 0, b1, zero))  # (k,)
            zeros = xp.zeros_like(r)  # (N, k)
            return _MinresState(
                r1=r,
                r2=r,
                y=y,
                w=zeros,
                w2=zeros,
                Aw=zeros,
                Aw2=zeros,
                beta=beta1,
                oldb=zero,
                dbar=zero,
                epsln=zero,
                phibar=beta1,
                cs=-one,
                sn=zero,
            )

        def step(
            s: _MinresState, x: Array, r: Array, act: Array, active: np.ndarray, it: int
        ) -> tuple[Array, Array, np.ndarray]:
            # Lanczos: v = y/β, A v, then r2 ← A v − α/β r2 − β/β_old r1
            inv_beta = safe_inv(s.beta)  # (k,)
            v = inv_beta * s.y  # (N, k)
            Av = p.A(v)  # (N, k)
            y = Av
            if not s.first:
                y = y - (s.beta * safe_inv(s.oldb)) * s.r1
            alfa = p.rdot(v, y)  # (k,)
            y = y - (alfa * inv_beta) * s.r2
            s.r1, s.r2 = s.r2, y
            s.y = p.apply_M(s.r2)  # (N, k)
            s.oldb = s.beta
            beta2 = p.rdot(s.r2, s.y)  # (k,): β² = r2ᴴ M r2
            s.beta = xp.sqrt(xp.where(beta2 > 0, beta2, zero))
            s.first = False
            # The QR factorization of the tridiagonal matrix, one Givens rotation per step.
            oldeps = s.epsln
            delta = s.cs * s.dbar + s.sn * alfa
            gbar = s.sn * s.dbar - s.cs * alfa
            s.epsln = s.sn * s.beta
            s.dbar = -s.cs * s.beta
            gamma = xp.sqrt(gbar * gbar + s.beta * s.beta)
            gamma = xp.where(gamma > eps, gamma, eps * one)  # (k,)
            s.cs = gbar / gamma
            s.sn = s.beta / gamma
            phi = s.cs * s.phibar  # (k,)
            s.phibar = s.sn * s.phibar
            # w_k = (v − ε w_{k−2} − δ w_{k−1}) / γ, and the same for A w (no extra product)
            w1, s.w2 = s.w2, s.w
            s.w = (v - oldeps * w1 - delta * s.w2) / gamma  # (N, k)
            Aw1, s.Aw2 = s.Aw2, s.Aw
            s.Aw = (Av - oldeps * Aw1 - delta * s.Aw2) / gamma  # (N, k)
            # x ← x + φ w, r ← r − φ A w, on the active columns only
            x = xp.where(act, x + phi * s.w, x)
            r = xp.where(act, r - phi * s.Aw, r)
            host = p.host(xp.stack([beta2, p.norms(r)]))  # (2, k): one read per iteration
            if p.M is not None:
                # β² = 0 is a Lanczos breakdown (the answer is exact); β² < 0 proves M indefinite
                check_preconditioner(p, host[0], active & (host[0] < 0))
            return x, r, host[1]

        return run_short_recurrence(p, x, r, start, step)
