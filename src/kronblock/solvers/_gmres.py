"""Restarted GMRES for general square systems: :class:`GMRES`."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .._array_api import Array, is_complex_dtype
from ._base import IterativeSolver, Problem, hmax

__all__ = ["GMRES"]


def _givens(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rotations zeroing ``b`` under ``a``, per column: ``(k,)`` arrays, ``b`` real ≥ 0.

    Returns ``c`` (real), ``s`` and ``ρ`` with ``[[c, s], [−s̄, c]] @ [a, b] = [ρ, 0]``.
    """
    absa = np.abs(a)
    d = np.hypot(absa, np.abs(b))
    d_safe = np.where(d > 0, d, 1.0)
    phase = np.where(absa > 0, a / np.where(absa > 0, absa, 1.0), 1.0)  # a/|a|, 1 for a = 0
    c = np.where(d > 0, absa / d_safe, 1.0)
    s = np.where(d > 0, phase * np.conj(b) / d_safe, 0.0)
    return c, s, phase * d


def _solve_upper(R: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``R⁻¹ g`` for the small upper triangular ``R`` (least squares if singular)."""
    if np.all(np.diag(R) != 0):
        return np.asarray(scipy.linalg.solve_triangular(R, g, check_finite=False))
    return np.asarray(np.linalg.lstsq(R, g, rcond=None)[0])


@dataclass(frozen=True, eq=False, kw_only=True)
class GMRES(IterativeSolver):
    """Restarted GMRES(m) for a general square nonsingular ``A``, right-preconditioned.

    Builds an orthonormal Krylov basis with Arnoldi (modified Gram–Schmidt) for
    up to ``restart`` steps, then takes the iterate minimising the residual
    over it and starts again from there.  ``b`` may be ``(N,)`` or ``(N, k)``:
    the ``k`` columns run their own Arnoldi processes side by side, sharing
    each product ``A @ V`` with an ``(N, k)`` block.

    Parameters
    ----------
    restart : int, default 20
        Arnoldi steps per cycle, ``m`` (capped at ``N``).  Memory is ``m + 5``
        blocks of shape ``(N, k)`` (a basis of ``m + 1``, then ``x``, ``r``,
        ``b`` and ``A M v``); larger ``m`` converges in fewer iterations on hard
        problems, at more orthogonalization work per step.
    rtol, atol : float, default 1e-8 and 0.0
        Column ``j`` has converged when ``‖b_j − A x_j‖ ≤ max(rtol·‖b_j‖, atol)``.
        The test is on the unpreconditioned residual (right preconditioning
        leaves it unchanged).
    maxiter : int, optional
        At most this many iterations in all, counting Arnoldi steps (products
        with ``A``) over all cycles; default ``10·N``.  (SciPy's ``gmres``
        counts restart cycles instead.)
    M : operator, array or callable, optional
        Preconditioner approximating the *inverse* of ``A``, applied as
        ``M @ r`` or ``M(r)`` (``r`` of ``b``'s shape); any nonsingular ``M``.
        It is applied on the **right**: GMRES solves ``A M y = b`` and returns
        ``x = M y``, so the residual it minimises and tests is the true
        ``b − A x``.  (SciPy's ``gmres`` preconditions on the left.)
    callback : callable, optional
        ``callback(iteration, None, residual_norm)`` after each Arnoldi step.
        The iterate is not formed inside a cycle (that would cost a product
        with ``M`` and ``restart`` ``axpy`` per step), so the second argument is
        always ``None``; ``residual_norm`` is GMRES's estimate of the largest
        column residual norm, exact up to rounding.
    raise_on_failure : bool, default True
        Raise :class:`~kronblock.solvers.ConvergenceError` if not converged in
        ``maxiter`` iterations, else return the result with ``converged=False``.

    Notes
    -----
    Step ``j`` of a cycle costs one product with ``A`` and one with ``M``,
    ``j + 1`` column inner products and ``axpy`` on ``(N, k)`` blocks; the
    small Hessenberg least-squares problem is solved on the host with Givens
    rotations.  At the end of each cycle the true residual ``b − A x`` is
    computed (one more product with ``A``, not counted as an iteration) and
    decides convergence.  Residual estimates are read on the host each step,
    so lazy arrays are not supported.

    Examples
    --------
    A non-symmetric Kronecker product:

    >>> import numpy as np, kronblock as kb
    >>> from kronblock.solvers import GMRES
    >>> A = np.array([[3.0, 1.0], [-1.0, 2.0]]); B = np.array([[2.0, 0.0, 1.0],
    ...                                                       [1.0, 3.0, 0.0],
    ...                                                       [0.0, 1.0, 4.0]])
    >>> b = np.arange(1.0, 7.0)
    >>> res = GMRES(rtol=1e-10).solve(kb.kron(A, B), b)
    >>> res.converged, res.iterations <= 6
    (True, True)
    >>> bool(np.allclose(res.x, np.linalg.solve(np.kron(A, B), b)))
    True
    """

    restart: int = 20

    def __post_init__(self) -> None:
        super().__post_init__()
        m = self.restart
        if not isinstance(m, numbers.Integral) or isinstance(m, bool) or m < 1:
            raise ValueError(f"GMRES: restart must be an integer ≥ 1, got {m!r}")

    def _failure_hint(self) -> str:
        return f", or raise restart (now {self.restart})"

    def _iterate(
        self, p: Problem, x: Array, r: Array
    ) -> tuple[Array, int, list[float], np.ndarray | None]:
        xp = p.xp
        k = p.k
        m = max(1, min(int(self.restart), p.n))
        hdtype = np.complex128 if is_complex_dtype(xp, p.dtype) else np.float64
        one = xp.ones((k,), dtype=p.rdtype, device=p.device)  # (k,)
        zero = xp.zeros((k,), dtype=p.rdtype, device=p.device)  # (k,)
        rn = p.host(p.norms(r))  # (k,) true residual norms
        history = [hmax(rn)]
        it = 0
        while True:
            active = ~(rn <= p.thresh)  # (k,) host; NaN stays active
            if not active.any() or it >= p.maxiter or not np.isfinite(rn).all():
                break
            # V[0] = r / ‖r‖ on the active columns, 0 elsewhere
            scale = np.where(active, 1.0 / np.where(rn > 0, rn, 1.0), 0.0)  # (k,)
            V = [r * p.to_device(scale, p.rdtype)]  # the Arnoldi basis: m + 1 blocks (N, k)
            R = np.zeros((m, m, k), dtype=hdtype)  # rotated Hessenberg = triangular, per column
            g = np.zeros((m + 1, k), dtype=hdtype)  # rotated ‖r‖ e_1
            g[0] = np.where(active, rn, 0.0)
            cs = np.zeros((m, k), dtype=hdtype)
            sn = np.zeros((m, k), dtype=hdtype)
            steps = np.zeros(k, dtype=np.int64)  # Arnoldi steps each column's update uses
            est = rn.copy()  # (k,) residual estimates
            act = p.to_device(active, bool)
            for j in range(m):
                if it >= p.maxiter:
                    break
                it += 1
                w = p.A(p.apply_M(V[j]))  # (N, k): A M v_j
                hs = []
                for i in range(j + 1):  # modified Gram–Schmidt
                    h = p.dot(V[i], w)  # (k,): v_iᴴ w
                    w = w - h * V[i]
                    hs.append(h)
                hn = p.norms(w)  # (k,) real
                if j + 1 < m:  # v_{j+1} = w / ‖w‖, 0 on inactive or broken-down columns
                    use = act & (hn > 0)
                    V.append(w * xp.where(use, one / xp.where(use, hn, one), zero))
                col = p.host(xp.stack([*hs, xp.astype(hn, p.dtype)])).astype(hdtype)  # (j+2, k)
                for i in range(j):  # the rotations so far, then a new one
                    t = cs[i] * col[i] + sn[i] * col[i + 1]
                    col[i + 1] = -np.conj(sn[i]) * col[i] + cs[i] * col[i + 1]
                    col[i] = t
                c, s, rho = _givens(col[j], col[j + 1])
                col[j] = rho
                R[: j + 1, j, active] = col[: j + 1, active]
                cs[j, active], sn[j, active] = c[active], s[active]
                g[j + 1, active] = (-np.conj(s) * g[j])[active]
                g[j, active] = (c * g[j])[active]
                steps[active] = j + 1
                est[active] = np.abs(g[j + 1, active])
                history.append(hmax(est))
                p.notify(it, None, history[-1])
                active = active & ~(est <= p.thresh)
                if not active.any():
                    break
                act = p.to_device(active, bool)
            # x ← x + M V y with y = R⁻¹ g per column (its own number of steps)
            Y = np.zeros((m, k), dtype=hdtype)  # (m, k)
            for col_j in range(k):
                sj = int(steps[col_j])
                if sj:
                    Y[:sj, col_j] = _solve_upper(R[:sj, :sj, col_j], g[:sj, col_j])
            Yd = p.to_device(Y, p.dtype)  # (m, k)
            u = V[0] * Yd[0, :]  # (N, k)
            for i in range(1, int(steps.max())):
                u = u + V[i] * Yd[i, :]
            x = x + p.apply_M(u)
            r = p.residual(x)  # the true residual ends every cycle
            rn = p.host(p.norms(r))
        return x, it, history, rn
