"""Matrix equations solved through their Kronecker structure.

The vec identity turns a matrix equation into a Kronecker system
(row-major, :mod:`kronblock._vec`): ``(A X B).ravel() = (A ⊗ Bᵀ) X.ravel()``.
The seeds solve ``AX + XB = C`` by forming that ``mn × mn`` system
(``O(m³n³)``); here every equation costs ``O(m³ + n³)``.

=================================  ================================  =========================
function                           equation                          method
=================================  ================================  =========================
:func:`solve_sylvester`            ``AX + XB = C``                   Bartels–Stewart (real
                                                                     Schur forms side by side,
                                                                     recursive blocked
                                                                     triangular solve) or
                                                                     Hermitian eigenbases
:func:`solve_continuous_lyapunov`  ``AX + XAᴴ = Q``                  one Schur form (or eigh)
:func:`solve_discrete_lyapunov`    ``AXAᴴ − X + Q = 0`` (Stein)      one complex Schur form,
                                                                     triangular recursion
:func:`solve_generalized_sylvester` ``Σᵢ AᵢXBᵢ = C``                 1 term: LU; 2: QZ;
                                                                     more: GMRES preconditioned
                                                                     by the rank-2 truncation
=================================  ================================  =========================

Singular equations raise :class:`~kronblock.LinAlgError` naming the
eigenvalues at fault.  Every function takes arrays of any eager array library
(the work runs on the host through SciPy's LAPACK; the result comes back in
the caller's library), and all but the generalized one broadcast leading batch
dimensions.
"""

from ._generalized import (
    GeneralizedSylvester,
    solve_discrete_lyapunov,
    solve_generalized_sylvester,
)
from ._sylvester import solve_continuous_lyapunov, solve_sylvester

__all__ = [
    "GeneralizedSylvester",
    "solve_continuous_lyapunov",
    "solve_discrete_lyapunov",
    "solve_generalized_sylvester",
    "solve_sylvester",
]
