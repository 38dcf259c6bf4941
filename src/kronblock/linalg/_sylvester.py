"""The Sylvester kernel: ``A X + X B = C`` and triangular Kronecker-sum systems.

One fact ties Kronecker sums to Sylvester equations, stated here once.  With
the row-major ``vec`` of NumPy (``X.ravel()``, see :mod:`kronblock._vec`), for
``X`` of shape ``(m, n)``::

    (A ⊗ I_n + I_m ⊗ B) X.ravel() = (A X + X Bᵀ).ravel()

so ``solve(kronsum(A, B), C.ravel())`` equals ``solve_sylvester(A, B.T, C).ravel()``.

Both are solved the Bartels–Stewart way: complex Schur forms ``A = U T Uᴴ``,
``B = V S Vᴴ`` (unitary ``U``, ``V``; upper triangular ``T``, ``S``) turn the
equation into a triangular one, solved by LAPACK's ``trsyl``, and back.  No
eigenvector basis is used, so non-normal matrices are as safe as normal ones.

For more than two factors, ``T₁ ⊕ T₂ ⊕ … ⊕ T_K`` (each ``Tᵢ`` upper
triangular) is upper triangular; :func:`kronsum_triangular_solve` solves it
by block back-substitution over the first factor's rows, each block a
shifted Kronecker-sum solve of one factor fewer, down to ``trsyl`` on the
last two: ``O(N·Σnᵢ)`` flops plus ``Π_{i<K-1} nᵢ`` LAPACK calls per column.

The kernel runs on the host through SciPy's LAPACK (complex arithmetic);
callers convert with :func:`kronblock._array_api.to_numpy` (eager arrays
only).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
from scipy.linalg import lapack

from .._errors import LinAlgError

__all__ = [
    "RealSylvester",
    "kronsum_triangular_solve",
    "solve_sylvester_kernel",
    "trsyl",
]


def trsyl(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, trana: str = "N", tranb: str = "N", where: str = ""
) -> np.ndarray:
    """``op(A) X + X op(B) = C`` for upper (quasi-)triangular ``A`` (m×m), ``B`` (n×n).

    Complex data: triangular Schur factors, ``op`` ``"N"`` (as is) or ``"C"``
    (conjugate transpose).  Real data: real Schur factors (1×1 and 2×2
    diagonal blocks), ``op`` ``"N"`` or ``"T"``.  LAPACK
    ``ztrsyl``/``ctrsyl``; its overflow ``scale`` is undone.  ``info = 1``
    (``A`` and ``-B`` have equal or very close eigenvalues, so LAPACK perturbed
    them) raises :class:`~kronblock.LinAlgError`: the equation is singular or
    nearly so.  ``O(m²n + mn²)``.
    """
    dtype = np.result_type(a, b, c, np.float32)
    fn = lapack.get_lapack_funcs("trsyl", (np.empty(0, dtype),))
    x, scale, info = fn(
        np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype), np.asarray(c, dtype=dtype),
        trana=trana, tranb=tranb,
    )  # fmt: skip
    if info < 0:  # pragma: no cover - an argument error is a bug here
        raise ValueError(f"{where}: trsyl argument {-info} is invalid")
    if info == 1:
        raise LinAlgError(
            f"{where}: the Sylvester equation is singular or nearly so (A and -B have equal "
            f"or very close eigenvalues)"
        )
    return x / scale if scale != 1.0 else x


def solve_sylvester_kernel(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, where: str = "solve_sylvester"
) -> np.ndarray:
    """``A X + X B = C`` by Bartels–Stewart with complex Schur forms: ``O(m³ + n³ + m²n + mn²)``.

    ``A = U T Uᴴ``, ``B = V S Vᴴ``; ``T Y + Y S = Uᴴ C V``; ``X = U Y Vᴴ``.
    Complex arithmetic; the result is complex (the caller takes the real part
    for real data, where the exact solution is real).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> A, B, C = rng.normal(size=(4, 4)), rng.normal(size=(3, 3)), rng.normal(size=(4, 3))
    >>> A = A + 4 * np.eye(4); B = B + 4 * np.eye(3)
    >>> X = solve_sylvester_kernel(A, B, C).real
    >>> bool(np.allclose(A @ X + X @ B, C))
    True
    """
    t, u = sla.schur(a, output="complex", check_finite=False)
    s, v = sla.schur(b, output="complex", check_finite=False)
    f = u.conj().T @ c @ v
    y = trsyl(t, s, f, where=where)
    return u @ y @ v.conj().T


def kronsum_triangular_solve(
    ts: list[np.ndarray], c: np.ndarray, *, adjoint: bool = False, shift: complex = 0.0
) -> np.ndarray:
    """Solve ``(T₁ ⊕ … ⊕ T_K + shift·I) y = c`` (or its adjoint) for upper triangular ``Tᵢ``.

    Parameters
    ----------
    ts : list of complex upper triangular arrays ``(nᵢ, nᵢ)``
    c : complex array ``(N, k)``, ``N = Πnᵢ``, rows in the row-major (Kronecker) order
    adjoint : solve with ``(⊕Tᵢ + shift·I)ᴴ`` instead

    Notes
    -----
    With ``Y = y.reshape(n₁, rest)`` and ``S = T₂ ⊕ … ⊕ T_K``, the system is
    ``T₁ Y + Y Sᵀ = C`` (the row-major vec fact of the module doc).  Row ``i``
    of ``Y`` solves ``(S + (t₁ᵢᵢ + shift)·I) yᵢ = cᵢ − Σ_{j>i} t₁ᵢⱼ yⱼ``: back-
    substitution (forward, with conjugated coefficients, for the adjoint),
    each step a Kronecker-sum solve with one factor fewer.  Two factors are
    one ``trsyl`` per column; one factor a triangular solve.
    """
    t1 = ts[0]
    n1 = t1.shape[0]
    if len(ts) == 1:
        a = t1 + shift * np.eye(n1, dtype=t1.dtype)
        return sla.solve_triangular(a, c, lower=False, trans=2 if adjoint else 0)
    rest = c.shape[0] // n1 if n1 else 0
    k = c.shape[1]
    if len(ts) == 2:
        t2 = ts[1]
        a = t1 + shift * np.eye(n1, dtype=t1.dtype)
        out = np.empty(c.shape, dtype=np.result_type(c, t1, t2))
        for j in range(k):
            cj = c[:, j].reshape(n1, rest)
            if adjoint:  # (T₁+s)ᴴ Y + Y conj(T₂) = C
                yj = trsyl(a, t2.conj(), cj, trana="C", tranb="N", where="solve")
            else:  # (T₁+s) Y + Y T₂ᵀ = C, and Y T₂ᵀ = Y (conj T₂)ᴴ
                yj = trsyl(a, t2.conj(), cj, trana="N", tranb="C", where="solve")
            out[:, j] = yj.reshape(-1)
        return out
    c3 = c.reshape(n1, rest, k)
    y = np.empty(c3.shape, dtype=np.result_type(c, *ts))
    rows = range(n1) if adjoint else range(n1 - 1, -1, -1)
    for i in rows:
        if adjoint:  # row i of T₁ᴴ Y: Σ_{j≤i} conj(t₁ⱼᵢ) yⱼ
            rhs = c3[i] - np.tensordot(t1[:i, i].conj(), y[:i], axes=1)
        else:  # row i of T₁ Y: Σ_{j≥i} t₁ᵢⱼ yⱼ
            rhs = c3[i] - np.tensordot(t1[i, i + 1 :], y[i + 1 :], axes=1)
        y[i] = kronsum_triangular_solve(ts[1:], rhs, adjoint=adjoint, shift=shift + t1[i, i])
    return y.reshape(c.shape)


class RealSylvester:
    """``A X + X Bᵀ = C`` (or ``Aᵀ X + X B = C``), real ``A``, ``B``, many ``C``: real Schur once.

    ``A = U T Uᵀ``, ``B = V S Vᵀ`` (real quasi-triangular ``T``, ``S``; LAPACK
    ``gees`` through SciPy), then per right-hand side ``T Y + Y Sᵀ = Uᵀ C V``
    by ``dtrsyl`` and ``X = U Y Vᵀ``: real arithmetic throughout, the Schur
    forms computed once for every right-hand side.  This is
    ``kronsum(A, B)``'s solve for two real non-normal factors (row-major vec).
    """

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        self.t, self.u = sla.schur(a, output="real", check_finite=False)
        self.s, self.v = sla.schur(b, output="real", check_finite=False)
        self.m, self.n = a.shape[0], b.shape[0]

    def eigenvalues(self) -> tuple[np.ndarray, np.ndarray]:
        """The eigenvalues of ``A`` and ``B`` from their quasi-triangular Schur factors."""
        return (
            sla.eigvals(self.t, check_finite=False),
            sla.eigvals(self.s, check_finite=False),
        )

    def solve(self, c: np.ndarray, transposed: bool = False, where: str = "solve") -> np.ndarray:
        """``c``: ``(m·n, k)`` right-hand sides in row-major vec; the solutions, same shape.

        ``transposed``: solve with ``(A⊕B)ᵀ = Aᵀ⊕Bᵀ``, i.e. ``Aᵀ X + X B = C``.
        """
        k = c.shape[1]
        cs = np.moveaxis(c.reshape(self.m, self.n, k), -1, 0)  # (k, m, n)
        f = self.u.T @ cs @ self.v  # Uᵀ C V, all columns at once
        out = np.empty_like(f)
        for j in range(k):
            if transposed:  # Tᵀ Y + Y S = F
                out[j] = trsyl(self.t, self.s, f[j], trana="T", tranb="N", where=where)
            else:  # T Y + Y Sᵀ = F
                out[j] = trsyl(self.t, self.s, f[j], trana="N", tranb="T", where=where)
        x = self.u @ out @ self.v.T
        return np.moveaxis(x, 0, -1).reshape(self.m * self.n, k)
