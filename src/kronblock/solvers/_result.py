"""What an iterative solve returns: :class:`SolverResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SolverResult"]


@dataclass(frozen=True, eq=False)
class SolverResult:
    """The outcome of an iterative solve, converged or not.

    Attributes
    ----------
    x : array
        The iterate reached, of ``b``'s shape, in the working dtype (the
        promotion of ``A``'s and ``b``'s dtypes: float32 in, float32 out).
    converged : bool
        Whether every column satisfies ``‖b_j − A x_j‖ ≤ max(rtol·‖b_j‖, atol)``,
        judged on the *true* residual recomputed at the end (not only on the
        residual the recurrence carries).
    iterations : int
        Iterations done: products with ``A`` inside the recurrence.  The
        residual recomputations (at the end, and where the recurrence claimed
        convergence but the true residual did not confirm it) are not counted.
    residual_norm : float
        ``max_j ‖b_j − A x_j‖`` over the columns ``j`` of ``b`` (one column for a
        vector ``b``), recomputed from ``x`` at the end.
    rtol_reached : float
        ``max_j ‖b_j − A x_j‖ / ‖b_j‖`` (a zero column of ``b`` counts as 0).
    rtol, atol : float
        The tolerances asked for.
    method : str
        ``"CG"``, ``"PCG"``, ``"MINRES"`` or ``"GMRES"``.
    history : list of float
        Residual norms (the maximum over the columns): ``history[0]`` is the
        initial residual and ``history[i]`` the one after iteration ``i``, so
        ``len(history) == iterations + 1``.  These are the norms the method
        tracks (the updated residual of CG and MINRES, GMRES's least-squares
        estimate), which can drift from the true residual by rounding.

    Examples
    --------
    >>> import numpy as np
    >>> from kronblock.solvers import CG
    >>> res = CG().solve(np.diag([1.0, 2.0, 4.0]), np.ones(3))
    >>> res.converged, res.iterations, len(res.history)
    (True, 3, 4)
    >>> bool(np.allclose(res.x, [1.0, 0.5, 0.25]))
    True
    """

    x: Any
    converged: bool
    iterations: int
    residual_norm: float
    rtol_reached: float
    rtol: float
    atol: float
    method: str
    history: list[float] = field(default_factory=list)

    def __repr__(self) -> str:
        shape = tuple(getattr(self.x, "shape", ()))
        dtype = getattr(self.x, "dtype", None)
        dt = getattr(dtype, "name", None) or str(dtype)
        return (
            f"SolverResult(method={self.method!r}, converged={self.converged}, "
            f"iterations={self.iterations}, residual_norm={self.residual_norm:.3g}, "
            f"rtol_reached={self.rtol_reached:.3g}, rtol={self.rtol:g}, atol={self.atol:g}, "
            f"x=<{type(self.x).__name__} shape={shape} dtype={dt}>)"
        )
