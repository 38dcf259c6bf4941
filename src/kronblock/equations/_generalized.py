"""Generalized Sylvester equations ``Σᵢ Aᵢ X Bᵢ = C`` and the Stein equation.

Row-major vec (:mod:`kronblock._vec`): ``(A X B).ravel() = (A ⊗ Bᵀ) X.ravel()``,
so ``Σᵢ AᵢXBᵢ = C`` is the system ``(Σᵢ Aᵢ ⊗ Bᵢᵀ) X.ravel() = C.ravel()``.

- One term: ``X = A⁻¹ C B⁻¹`` (two LU solves).
- Two terms, directly: the generalized Schur (QZ) forms ``A₁ = Q₁ S Z₁ᴴ``,
  ``A₂ = Q₁ T Z₁ᴴ`` and ``B₁ = Q₂ R Z₂ᴴ``, ``B₂ = Q₂ P Z₂ᴴ`` (all of ``S``,
  ``T``, ``R``, ``P`` upper triangular) turn it into ``S Y R + T Y P = Q₁ᴴ C Z₂``
  with ``X = Z₁ Y Q₂ᴴ``, solved by :func:`generalized_triangular`.
- More terms: GMRES on the Kronecker sum, preconditioned by the exact solve of
  the best two-term approximation (the Kronecker-rank-2 truncation of
  ``Σᵢ Aᵢ ⊗ Bᵢᵀ``, Van Loan–Pitsianis), which is exact when the extra terms
  vanish.
- Stein (discrete Lyapunov) ``A X Aᴴ − X + Q = 0``: the two-term equation with
  ``A₁ = A``, ``B₁ = Aᴴ``, ``A₂ = −I``, ``B₂ = I``; one complex Schur form
  ``A = U T Uᴴ`` gives both pencils.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg as sla

from .._array_api import Array, from_numpy
from .._errors import LinAlgError
from ..linalg._sylvester import LEAF
from ._sylvester import _real_if_real, batched, fmt_number, host_arrays, square_stack

__all__ = [
    "GeneralizedSylvester",
    "generalized_triangular",
    "solve_discrete_lyapunov",
    "solve_generalized_sylvester",
]


# ---- the triangular kernel ---------------------------------------------------------------
def generalized_triangular(
    s: np.ndarray, t: np.ndarray, r: np.ndarray, p: np.ndarray, f: np.ndarray
) -> np.ndarray:
    """``S Y R + T Y P = F`` for upper triangular ``S``, ``T`` (m×m) and ``R``, ``P`` (n×n).

    Recursive and blocked like
    :func:`~kronblock.linalg._sylvester.triangular_sylvester`: the larger side
    is halved, one half solved, its contribution removed from the other by
    GEMMs; blocks of at most 64 on both sides are solved column by column,
    column ``j`` being the triangular system ``(rⱼⱼ S + pⱼⱼ T) yⱼ = …``.
    ``O(m²n + mn²)``.  The caller checks that no ``sᵢᵢrⱼⱼ + tᵢᵢpⱼⱼ`` vanishes.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> s, t = np.triu(rng.normal(size=(5, 5))) + 4 * np.eye(5), np.triu(rng.normal(size=(5, 5)))
    >>> r, p = np.triu(rng.normal(size=(3, 3))) + 4 * np.eye(3), np.triu(rng.normal(size=(3, 3)))
    >>> f = rng.normal(size=(5, 3))
    >>> y = generalized_triangular(s, t, r, p, f)
    >>> bool(np.allclose(s @ y @ r + t @ y @ p, f))
    True
    """
    y = np.array(f, dtype=np.result_type(s, t, r, p, f))
    _recurse(s, t, r, p, y)
    return y


def _recurse(s: np.ndarray, t: np.ndarray, r: np.ndarray, p: np.ndarray, y: np.ndarray) -> None:
    """Overwrite ``y`` (holding ``F``) with the solution of ``S Y R + T Y P = F``."""
    m, n = y.shape
    if m == 0 or n == 0:
        return
    if m <= LEAF and n <= LEAF:
        _columns(s, t, r, p, y)
    elif m >= n:  # rows: S₂₂Y₂R + T₂₂Y₂P = F₂, then F₁ −= S₁₂Y₂R + T₁₂Y₂P
        k = m // 2
        y1, y2 = y[:k], y[k:]
        _recurse(s[k:, k:], t[k:, k:], r, p, y2)
        y1 -= s[:k, k:] @ (y2 @ r) + t[:k, k:] @ (y2 @ p)
        _recurse(s[:k, :k], t[:k, :k], r, p, y1)
    else:  # columns: SY₁R₁₁ + TY₁P₁₁ = F₁, then F₂ −= SY₁R₁₂ + TY₁P₁₂
        k = n // 2
        y1, y2 = y[:, :k], y[:, k:]
        _recurse(s, t, r[:k, :k], p[:k, :k], y1)
        y2 -= (s @ y1) @ r[:k, k:] + (t @ y1) @ p[:k, k:]
        _recurse(s, t, r[k:, k:], p[k:, k:], y2)


def _columns(s: np.ndarray, t: np.ndarray, r: np.ndarray, p: np.ndarray, y: np.ndarray) -> None:
    """The leaf: column ``j`` solves ``(rⱼⱼS + pⱼⱼT) yⱼ = fⱼ − Σ_{k<j} (rₖⱼ S + pₖⱼ T) yₖ``."""
    sy = np.zeros_like(y)  # S yₖ and T yₖ of the columns solved so far
    ty = np.zeros_like(y)
    for j in range(y.shape[1]):
        rhs = y[:, j] - sy[:, :j] @ r[:j, j] - ty[:, :j] @ p[:j, j]
        yj = sla.solve_triangular(r[j, j] * s + p[j, j] * t, rhs, check_finite=False)
        y[:, j] = yj
        sy[:, j] = s @ yj
        ty[:, j] = t @ yj


# ---- pencils and the singularity test ----------------------------------------------------
@dataclass(frozen=True)
class _Pencils:
    """``A₁ = Q₁SZ₁ᴴ``, ``A₂ = Q₁TZ₁ᴴ``, ``B₁ = Q₂RZ₂ᴴ``, ``B₂ = Q₂PZ₂ᴴ`` (complex)."""

    s: np.ndarray
    t: np.ndarray
    q1: np.ndarray
    z1: np.ndarray
    r: np.ndarray
    p: np.ndarray
    q2: np.ndarray
    z2: np.ndarray

    def check(self, where: str, what: Callable[[int, int], str]) -> None:
        """``LinAlgError`` if some ``sᵢᵢrⱼⱼ + tᵢᵢpⱼⱼ`` is zero up to rounding."""
        ds, dt = np.diagonal(self.s), np.diagonal(self.t)
        dr, dp = np.diagonal(self.r), np.diagonal(self.p)
        if ds.size == 0 or dr.size == 0:
            return
        scale = np.max(np.abs(self.s)) * np.max(np.abs(self.r)) + np.max(np.abs(self.t)) * np.max(
            np.abs(self.p)
        )
        tol = 10 * max(ds.size, dr.size) * np.finfo(ds.real.dtype).eps * scale
        rows = max(1, 2**20 // dr.size)
        for start in range(0, ds.size, rows):
            sl = slice(start, start + rows)
            block = np.abs(ds[sl, None] * dr[None, :] + dt[sl, None] * dp[None, :])
            i, j = np.unravel_index(int(np.argmin(block)), block.shape)
            if block[i, j] <= tol:
                raise LinAlgError(
                    f"{where}: the equation is singular: {what(start + int(i), int(j))}"
                )

    def solve(self, c: np.ndarray) -> np.ndarray:
        """``X = Z₁ Y Q₂ᴴ`` with ``S Y R + T Y P = Q₁ᴴ C Z₂``."""
        f = self.q1.conj().T @ c @ self.z2
        y = generalized_triangular(self.s, self.t, self.r, self.p, f)
        return self.z1 @ y @ self.q2.conj().T


def _pencils(a1: np.ndarray, a2: np.ndarray, b1: np.ndarray, b2: np.ndarray) -> _Pencils:
    s, t, q1, z1 = sla.qz(a1, a2, output="complex", check_finite=False)
    r, p, q2, z2 = sla.qz(b1, b2, output="complex", check_finite=False)
    return _Pencils(s, t, q1, z1, r, p, q2, z2)


# ---- the public functions ----------------------------------------------------------------
def solve_discrete_lyapunov(a: Array, q: Array, /) -> Array:
    """Solve the discrete Lyapunov (Stein) equation ``A X Aᴴ − X + Q = 0``.

    ``scipy.linalg.solve_discrete_lyapunov``'s equation, solved directly (no
    bilinear transformation, so eigenvalues near 1 lose no accuracy): one
    complex Schur form ``A = U T Uᴴ``; with ``J`` the reversal permutation,
    ``Aᴴ = (UJ)(JTᴴJ)(UJ)ᴴ`` is in Schur form too, and the equation becomes
    the triangular ``T Y (JTᴴJ) − Y = −UᴴQUJ`` (:func:`generalized_triangular`),
    ``X = U Y (UJ)ᴴ``.  ``O(n³)``.  Batches, backends and dtypes as
    :func:`~kronblock.equations.solve_sylvester`.

    Raises
    ------
    LinAlgError
        If two eigenvalues of ``A`` satisfy ``λᵢ·conj(λⱼ) = 1`` up to rounding
        (e.g. one on the unit circle): no unique solution.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[0.5, 0.2], [0.0, -0.3]]); Q = np.eye(2)
    >>> X = kb.solve_discrete_lyapunov(A, Q)
    >>> bool(np.allclose(A @ X @ A.T - X + Q, 0))
    True
    """
    where = "solve_discrete_lyapunov"
    (ha, hq), like, _ = host_arrays(where, a, q)
    n = square_stack(where, "A", ha)
    if hq.ndim < 2 or hq.shape[-2:] != (n, n):
        raise ValueError(f"{where}: Q must have shape (..., {n}, {n}), got shape {hq.shape}")

    def one(a2: np.ndarray, q2: np.ndarray) -> np.ndarray:
        t, u = sla.schur(a2, output="complex", check_finite=False)
        uj = u[:, ::-1]
        eye = np.eye(n, dtype=t.dtype)
        pencils = _Pencils(t, -eye, u, u, np.ascontiguousarray(t.conj().T[::-1, ::-1]), eye, uj, uj)
        lam = np.diagonal(t)
        pencils.check(
            where,
            lambda i, j: (
                f"A has the eigenvalues {fmt_number(lam[i])} and {fmt_number(lam[n - 1 - j])} with "
                f"λᵢ·conj(λⱼ) = 1 up to rounding, so A ⊗ conj(A) − I is singular"
            ),
        )
        return pencils.solve(-q2)

    x = batched(where, one, (n, n), ha, hq)
    return from_numpy(_real_if_real(x, ha, hq), like)


@dataclass(frozen=True)
class GeneralizedSylvester:
    """What :func:`solve_generalized_sylvester` did: the solution and how it was reached.

    Attributes
    ----------
    x : array (m, n)
        The solution, in the library of ``C``.
    method : str
        ``"lu"`` (one term), ``"qz"`` (two terms, direct), ``"gmres"``, or
        ``"empty"`` (``m`` or ``n`` is zero).
    iterations : int
        GMRES iterations (0 for the direct methods).
    residual : float
        ``‖Σ AᵢXBᵢ − C‖_F / ‖C‖_F``, computed.
    """

    x: Any
    method: str
    iterations: int
    residual: float


def solve_generalized_sylvester(
    a: Sequence[Array], b: Sequence[Array], c: Array, /, *, rtol: float | None = None,
    maxiter: int | None = None,
) -> GeneralizedSylvester:  # fmt: skip
    """Solve ``Σᵢ Aᵢ X Bᵢ = C`` for ``X`` (m×n): ``Aᵢ`` m×m, ``Bᵢ`` n×n.

    Parameters
    ----------
    a, b : sequences of arrays, the same length p ≥ 1
    c : array (m, n)
    rtol, maxiter : for GMRES (three or more terms): stop at
        ``‖Σ AᵢXBᵢ − C‖_F ≤ rtol·‖C‖_F``; default ``rtol`` 1e-10, or 1e-5 in
        single precision.

    Returns
    -------
    GeneralizedSylvester
        ``.x`` the solution, with the method, iterations and the residual.

    Notes
    -----
    One term: ``A⁻¹CB⁻¹``.  Two terms: QZ of the pencils ``(A₁, A₂)`` and
    ``(B₁, B₂)`` and the triangular recursion, ``O(m³ + n³)``; singular (a
    ``LinAlgError``) when ``α s + β t`` pairs vanish, i.e. some generalized
    eigenvalue of ``(A₁, −A₂)`` times one of ``(B₂, B₁)`` is 1.  More terms:
    GMRES on ``Σ Aᵢ ⊗ Bᵢᵀ`` (each product ``O(p·mn(m+n))``), right-
    preconditioned by the two-term solve of its Kronecker-rank-2 truncation
    (Van Loan–Pitsianis: the SVD of ``[vec Aᵢ]`` against ``[vec Bᵢᵀ]``), so
    the iteration count depends on how much the other terms weigh.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> rng = np.random.default_rng(0)
    >>> A = [np.eye(4) * 3 + rng.normal(size=(4, 4)) * 0.3 for _ in range(3)]
    >>> B = [np.eye(5) + rng.normal(size=(5, 5)) * 0.1 for _ in range(3)]
    >>> C = rng.normal(size=(4, 5))
    >>> res = kb.solve_generalized_sylvester(A, B, C)
    >>> res.method, bool(np.allclose(sum(a @ res.x @ b for a, b in zip(A, B)), C))
    ('gmres', True)
    """
    where = "solve_generalized_sylvester"
    if len(a) != len(b) or len(a) == 0:
        raise ValueError(
            f"{where}: needs as many A terms as B terms, at least one; got {len(a)} and {len(b)}"
        )
    p = len(a)
    hosts, _, dtype = host_arrays(where, c, *a, *b)
    hc, ha, hb = hosts[0], hosts[1 : 1 + p], hosts[1 + p :]
    if hc.ndim != 2:
        raise ValueError(f"{where}: C must be a matrix (m, n), got shape {hc.shape}")
    m, n = hc.shape
    for i in range(p):
        for name, h, k in (("A", ha[i], m), ("B", hb[i], n)):
            if h.shape != (k, k):
                raise ValueError(
                    f"{where}: {name}[{i}] must have shape ({k}, {k}) to fit C of shape "
                    f"({m}, {n}), got {h.shape}"
                )
    if m == 0 or n == 0:
        result, method, its = np.zeros((m, n), dtype=dtype), "empty", 0
    elif p == 1:
        try:
            x = sla.solve(ha[0], sla.solve(hb[0].T, hc.T, check_finite=False).T)
        except np.linalg.LinAlgError as exc:
            raise LinAlgError(f"{where}: A[0] or B[0] is singular ({exc})") from exc
        result, method, its = x, "lu", 0
    elif p == 2:
        pencils = _pencils(ha[0], ha[1], hb[0], hb[1])
        pencils.check(where, _pair_message)
        result, method, its = pencils.solve(hc), "qz", 0
    else:
        if rtol is None:  # well above the dtype's resolution
            rtol = 1e-10 if np.finfo(dtype).eps < 1e-10 else 1e-5
        result, its = _gmres(where, ha, hb, hc, rtol, maxiter)
        method = "gmres"
    result = _real_if_real(result, hc, *ha, *hb).astype(
        np.result_type(dtype, result.dtype) if dtype.kind == "c" else dtype, copy=False
    )
    lhs = sum(ai @ result @ bi for ai, bi in zip(ha, hb))
    residual = float(np.linalg.norm(lhs - hc) / max(float(np.linalg.norm(hc)), 1e-300))
    return GeneralizedSylvester(from_numpy(result, c), method, its, residual)


def _pair_message(i: int, j: int) -> str:
    return (
        f"the pencil pair (A₁, A₂), (B₁, B₂) has s·r + t·p = 0 at generalized eigenvalues "
        f"{i} and {j} (up to rounding), so Σ Aᵢ ⊗ Bᵢᵀ is singular"
    )


def _rank2(ha: list[np.ndarray], hb: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The best two-term approximation ``Σ₂ Ãᵣ ⊗ B̃ᵣᵀ`` of ``Σᵢ Aᵢ ⊗ Bᵢᵀ`` (Van Loan–Pitsianis).

    The rearrangement of ``Σ Aᵢ ⊗ Bᵢᵀ`` is ``U Wᵀ`` with ``U = [vec Aᵢ]``,
    ``W = [vec Bᵢᵀ]``: thin QR of both and the SVD of the p×p core.
    """
    m, n = ha[0].shape[0], hb[0].shape[0]
    u = np.stack([x.ravel() for x in ha], axis=1)  # (m², p)
    w = np.stack([x.T.ravel() for x in hb], axis=1)  # (n², p)
    qu, ru = np.linalg.qr(u)
    qw, rw = np.linalg.qr(w)
    uc, sig, vch = np.linalg.svd(ru @ rw.T)
    k = min(2, sig.size)  # 1 when m = 1 or n = 1: the second term is zero
    left = qu @ (uc[:, :k] * np.sqrt(sig[:k]))
    right = qw @ (vch[:k].T * np.sqrt(sig[:k]))
    a2 = [left[:, r].reshape(m, m) for r in range(k)] + [np.zeros((m, m))] * (2 - k)
    b2 = [right[:, r].reshape(n, n).T for r in range(k)] + [np.zeros((n, n))] * (2 - k)
    return a2, b2  # B̃ᵣ from vec B̃ᵣᵀ


def _gmres(
    where: str, ha: list[np.ndarray], hb: list[np.ndarray], hc: np.ndarray, rtol: float,
    maxiter: int | None,
) -> tuple[np.ndarray, int]:  # fmt: skip
    from .._operator import AbstractLinearOperator
    from ..operators._kronecker import kron
    from ..solvers import GMRES

    m, n = hc.shape
    op: AbstractLinearOperator = kron(ha[0], hb[0].T)
    for ai, bi in zip(ha[1:], hb[1:]):
        op = op + kron(ai, bi.T)  # Σ Aᵢ ⊗ Bᵢᵀ, products through the factors
    try:
        a2, b2 = _rank2(ha, hb)
        pencils = _pencils(a2[0], a2[1], b2[0], b2[1])
        pencils.check(where, _pair_message)
    except LinAlgError:  # a singular truncation: precondition with the first two terms
        pencils = _pencils(ha[0], ha[1], hb[0], hb[1])

    real = all(h.dtype.kind != "c" for h in (hc, *ha, *hb))

    def precondition(r: np.ndarray) -> np.ndarray:
        z = pencils.solve(r.reshape(m, n)).reshape(r.shape)
        return np.ascontiguousarray(z.real) if real else z  # exact for a real truncation

    res = GMRES(rtol=rtol, maxiter=maxiter, M=precondition).solve(op, hc.ravel())
    return np.asarray(res.x).reshape(m, n), int(res.iterations)
