"""The Sylvester kernel: ``A X + X B = C`` and triangular Kronecker-sum systems.

One fact ties Kronecker sums to Sylvester equations, stated here once.  With
the row-major ``vec`` of NumPy (``X.ravel()``, see :mod:`kronblock._vec`), for
``X`` of shape ``(m, n)``::

    (A ⊗ I_n + I_m ⊗ B) X.ravel() = (A X + X Bᵀ).ravel()

so ``solve(kronsum(A, B), C.ravel())`` equals ``solve_sylvester(A, B.T, C).ravel()``.

Both are solved the Bartels–Stewart way: complex Schur forms ``A = U T Uᴴ``,
``B = V S Vᴴ`` (unitary ``U``, ``V``; upper triangular ``T``, ``S``) turn the
equation into a triangular one, solved by :func:`triangular_sylvester`
(recursive and blocked, ``trsyl`` on small blocks), and back.  No
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

import functools
from typing import Any

import numpy as np
import scipy.linalg as sla
from scipy.linalg import lapack

from .._errors import LinAlgError
from ._schur import schur_pair

__all__ = [
    "LEAF",
    "RealSylvester",
    "kronsum_triangular_solve",
    "quasi_triangular_eigvals",
    "solve_sylvester_kernel",
    "triangular_sylvester",
    "trsyl",
]

LEAF = 64
"""Blocks of :func:`triangular_sylvester` at most this order on both sides go to ``trsyl``."""


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
    fn = _trsyl_function(dtype.char)
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


@functools.cache
def _trsyl_function(char: str) -> Any:
    return lapack.get_lapack_funcs("trsyl", (np.empty(0, np.dtype(char)),))


def _op(a: np.ndarray, trans: str) -> np.ndarray:
    """``op(A)``: ``A``, ``Aᵀ`` (``"T"``) or ``Aᴴ`` (``"C"``), as a view where possible."""
    if trans == "N":
        return a
    return a.T if trans == "T" or a.dtype.kind != "c" else a.conj().T


def _split(t: np.ndarray, k: int) -> int:
    """A split point near ``k`` that keeps the 2×2 blocks of a real Schur factor whole."""
    if t.dtype.kind != "c" and t[k, k - 1] != 0:
        return k + 1 if k + 1 < t.shape[0] else k - 1
    return k


def triangular_sylvester(
    t: np.ndarray, s: np.ndarray, f: np.ndarray, trana: str = "N", tranb: str = "N",
    where: str = "solve_sylvester",
) -> np.ndarray:  # fmt: skip
    """``op(T) Y + Y op(S) = F`` for upper (quasi-)triangular ``T`` (m×m), ``S`` (n×n).

    The recursive blocked solver of Jonsson and Kågström: the larger side is
    split in two, one half solved, its contribution to the other half removed
    by one GEMM, the other half solved; blocks of order at most :data:`LEAF`
    on both sides go to LAPACK's ``trsyl`` (:func:`trsyl`, which raises
    :class:`~kronblock.LinAlgError` for a singular equation).  Splits never
    cut a 2×2 block of a real Schur factor.  ``op`` as in :func:`trsyl`.

    ``O(m²n + mn²)`` flops, nearly all in GEMMs; LAPACK's ``trsyl`` does the
    same flops one row and column at a time (level-2 BLAS), 5–10× slower at
    order 1000.  Returns a new array; ``f`` is not written.

    Examples
    --------
    >>> import numpy as np, scipy.linalg as sla
    >>> rng = np.random.default_rng(0)
    >>> t = sla.schur(rng.normal(size=(150, 150)))[0]; s = sla.schur(rng.normal(size=(90, 90)))[0]
    >>> f = rng.normal(size=(150, 90))
    >>> y = triangular_sylvester(t, s + 9 * np.eye(90), f)
    >>> bool(np.allclose(t @ y + y @ (s + 9 * np.eye(90)), f))
    True
    """
    dtype = np.result_type(t, s, f, np.float32)
    y = np.array(f, dtype=dtype)  # solved in place, block by block
    _recurse(np.asarray(t, dtype), np.asarray(s, dtype), y, trana, tranb, where)
    return y


def _recurse(t: np.ndarray, s: np.ndarray, y: np.ndarray, ta: str, tb: str, where: str) -> None:
    """Overwrite ``y`` (holding ``F``) with the solution of ``op(T) Y + Y op(S) = F``."""
    m, n = y.shape
    if m == 0 or n == 0:
        return
    if m <= LEAF and n <= LEAF:
        y[...] = trsyl(t, s, y, ta, tb, where)
        return
    if m >= n:  # T = [[T₁₁, T₁₂], [0, T₂₂]], Y = [Y₁; Y₂]
        k = _split(t, m // 2)
        t11, t12, t22 = t[:k, :k], t[:k, k:], t[k:, k:]
        y1, y2 = y[:k], y[k:]
        if ta == "N":  # T₂₂Y₂ + Y₂op(S) = F₂, then T₁₁Y₁ + Y₁op(S) = F₁ − T₁₂Y₂
            _recurse(t22, s, y2, ta, tb, where)
            y1 -= t12 @ y2
            _recurse(t11, s, y1, ta, tb, where)
        else:  # op(T) is lower: op(T₁₁)Y₁ + … = F₁, then op(T₂₂)Y₂ + … = F₂ − op(T₁₂)Y₁
            _recurse(t11, s, y1, ta, tb, where)
            y2 -= _op(t12, ta) @ y1
            _recurse(t22, s, y2, ta, tb, where)
    else:  # S = [[S₁₁, S₁₂], [0, S₂₂]], Y = [Y₁, Y₂]
        k = _split(s, n // 2)
        s11, s12, s22 = s[:k, :k], s[:k, k:], s[k:, k:]
        y1, y2 = y[:, :k], y[:, k:]
        if tb == "N":  # op(T)Y₁ + Y₁S₁₁ = F₁, then op(T)Y₂ + Y₂S₂₂ = F₂ − Y₁S₁₂
            _recurse(t, s11, y1, ta, tb, where)
            y2 -= y1 @ s12
            _recurse(t, s22, y2, ta, tb, where)
        else:  # op(S) is lower: … + Y₂op(S₂₂) = F₂, then … + Y₁op(S₁₁) = F₁ − Y₂op(S₁₂)
            _recurse(t, s22, y2, ta, tb, where)
            y1 -= y2 @ _op(s12, tb)
            _recurse(t, s11, y1, ta, tb, where)


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
    y = triangular_sylvester(t, s, f, where=where)
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
                yj = triangular_sylvester(a, t2.conj(), cj, "C", "N", "solve")
            else:  # (T₁+s) Y + Y T₂ᵀ = C, and Y T₂ᵀ = Y (conj T₂)ᴴ
                yj = triangular_sylvester(a, t2.conj(), cj, "N", "C", "solve")
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


def quasi_triangular_eigvals(t: np.ndarray) -> np.ndarray:
    """Eigenvalues of an upper (quasi-)triangular ``T`` from its diagonal and 2×2 blocks: ``O(n)``.

    Examples
    --------
    >>> import numpy as np, scipy.linalg as sla
    >>> a = np.random.default_rng(1).normal(size=(6, 6))
    >>> t = sla.schur(a)[0]
    >>> bool(np.allclose(np.sort_complex(quasi_triangular_eigvals(t)),
    ...                  np.sort_complex(np.linalg.eigvals(a))))
    True
    """
    w = np.diagonal(t).astype(np.result_type(t.dtype, np.complex64))
    if t.dtype.kind == "c" or t.shape[0] < 2:
        return w
    sub = np.nonzero(np.diagonal(t, -1))[0]  # a 2×2 block on rows k, k+1
    a, d = t[sub, sub], t[sub + 1, sub + 1]
    bc = t[sub, sub + 1] * t[sub + 1, sub]
    half = (a - d) / 2
    root = np.sqrt(half.astype(w.dtype) ** 2 + bc)
    w[sub] = (a + d) / 2 + root
    w[sub + 1] = (a + d) / 2 - root
    return w


class RealSylvester:
    """``A X + X Bᵀ = C`` (or ``Aᵀ X + X B = C``), real ``A``, ``B``, many ``C``: real Schur once.

    ``A = U T Uᵀ``, ``B = V S Vᵀ`` (real quasi-triangular ``T``, ``S``; LAPACK
    ``gees`` through SciPy, the two side by side, :mod:`kronblock.linalg._schur`),
    then per right-hand side ``T Y + Y Sᵀ = Uᵀ C V`` by :func:`triangular_sylvester`
    and ``X = U Y Vᵀ``: real arithmetic throughout, the Schur forms computed once
    for every right-hand side.  This is
    ``kronsum(A, B)``'s solve for two real non-normal factors (row-major vec).
    """

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        dtype = np.result_type(a, b, np.float32)  # real data: real Schur forms
        (self.t, self.u), (self.s, self.v) = schur_pair(
            np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype)
        )  # side by side on two cores when large
        self.m, self.n = a.shape[0], b.shape[0]

    def eigenvalues(self) -> tuple[np.ndarray, np.ndarray]:
        """The eigenvalues of ``A`` and ``B`` from their quasi-triangular Schur factors."""
        return quasi_triangular_eigvals(self.t), quasi_triangular_eigvals(self.s)  # O(m + n)

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
                out[j] = triangular_sylvester(self.t, self.s, f[j], "T", "N", where)
            else:  # T Y + Y Sᵀ = F
                out[j] = triangular_sylvester(self.t, self.s, f[j], "N", "T", where)
        x = self.u @ out @ self.v.T
        return np.moveaxis(x, 0, -1).reshape(self.m * self.n, k)
