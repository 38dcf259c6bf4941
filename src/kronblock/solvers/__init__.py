"""Iterative (Krylov) solvers for ``A x = b`` that only need products ``A @ v``.

Use them where no exact structured solve exists, or where one would cost too
much: a sum of Kronecker products, a Kronecker product plus a low-rank or
diagonal term, a huge sparse factor.  Each solver is a small settings object;
``solve(A, b, x0=None)`` returns a :class:`SolverResult` that says what was
reached (iterations, the true residual, its history) and raises
:class:`ConvergenceError` (a :class:`kronblock.LinAlgError`) when the tolerance
was not met, unless ``raise_on_failure=False``.

==========  ============================  =========================  ==========================
method      matrix ``A``                  preconditioner ``M``       per iteration; memory
==========  ============================  =========================  ==========================
``CG``      Hermitian positive definite   optional, Hermitian p.d.   1 ``A @``, 1 ``M @``,
                                                                     3 dots, 3 axpy; 6 blocks
``PCG``     Hermitian positive definite   required, Hermitian p.d.   as ``CG``
``MINRES``  Hermitian, also indefinite    optional, Hermitian p.d.   1 ``A @``, 1 ``M @``,
                                                                     3 dots, ~10 axpy;
                                                                     13 blocks
``GMRES``   square nonsingular, any       optional, on the right,    step j of a cycle:
            (restarted: ``restart=m``)    any nonsingular            1 ``A @``, 1 ``M @``,
                                                                     j + 1 dots and axpy;
                                                                     m + 5 blocks
==========  ============================  =========================  ==========================

A *block* is one ``(N, k)`` array, ``k`` the number of right-hand sides; no
method ever forms an ``N × N`` matrix.

Conventions shared by all four:

- ``A``: a kronblock operator, an array of any array-API library, a
  ``scipy.sparse`` matrix, or any object with ``shape`` and ``@``.
- ``M`` approximates the **inverse** of ``A`` (SciPy's convention): an
  operator or array applied as ``M @ r``, or a callable ``M(r)`` taking and
  returning arrays of ``b``'s shape.
- ``b``: shape ``(N,)`` or ``(N, k)``; the ``k`` columns are ``k`` independent
  systems, iterated together (one block product ``A @ V`` per iteration,
  per-column coefficients, per-column convergence).  ``x`` has ``b``'s shape.
- Stopping: column ``j`` converges when ``‖b_j − A x_j‖ ≤ max(rtol·‖b_j‖, atol)``
  (SciPy's test; defaults ``rtol=1e-8``, ``atol=0``), judged finally on the
  true residual.  A zero column of ``b`` gives ``x_j = 0`` at once.
- dtype: the promotion of ``A``'s and ``b``'s (float32 stays float32; complex
  Hermitian systems use conjugated inner products).  In float32 pass
  ``rtol`` of about ``1e-5``: the default is below float32's resolution.
- Backends: only the array API standard is used on the vectors (NumPy,
  array-api-strict, PyTorch, CuPy, ...).  Convergence is decided by reading a
  few scalars per iteration on the host, so lazy arrays (Dask, JAX under
  ``jit``) are refused with a ``TypeError``.

Examples
--------
>>> import numpy as np, kronblock as kb
>>> from kronblock.solvers import CG
>>> S = np.array([[2.0, -1.0, 0.0], [-1.0, 2.0, -1.0], [0.0, -1.0, 2.0]])
>>> A = kb.kron(S, np.eye(3)) + kb.kron(np.eye(3), S)   # a 2-D Laplacian, 9 × 9
>>> b = np.ones(9)
>>> res = CG(rtol=1e-12).solve(A, b)
>>> res.converged
True
>>> L = np.kron(S, np.eye(3)) + np.kron(np.eye(3), S)
>>> bool(np.allclose(L @ res.x, b))
True
"""

from .._errors import ConvergenceError
from ._cg import CG, PCG
from ._gmres import GMRES
from ._minres import MINRES
from ._result import SolverResult

__all__ = ["CG", "GMRES", "MINRES", "PCG", "ConvergenceError", "SolverResult"]
