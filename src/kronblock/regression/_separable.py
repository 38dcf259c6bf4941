"""Separable (low-rank) regression on a grid: ``F ≈ Σ_r a_r b_rᵀ`` from scattered samples.

The model: observations ``v_k ≈ F[x_k, y_k]``, ``k < N_obs``, on an
``NX × NY`` grid, with ``F = L Rᵀ`` (``L``: ``NX × r``, ``R``: ``NY × r``).
The design of the plain per-cell model is the row-sampled Kronecker product
with rows ``e_{x_k}ᵀ ⊗ e_{y_k}ᵀ``; it is rank deficient as soon as a cell is
unobserved, and its least-squares answer (the cell means) says nothing about
those cells.  The separable model shares one value per row and column of the
grid, so every observed row and column informs every cell.

Objective (``λ`` = ``ridge``)::

    f(L, R) = Σ_k (L[x_k] · R[y_k] − v_k)² + λ (‖L‖_F² + ‖R‖_F²)

Alternating least squares: with ``R`` fixed, ``f`` separates over the rows of
``L``: row ``i`` solves the ``r × r`` system
``(G_i + λ I) L[i] = h_i`` with ``G_i = Σ_{x_k = i} R[y_k] R[y_k]ᵀ`` and
``h_i = Σ_{x_k = i} v_k R[y_k]``; likewise for ``R`` with ``L`` fixed.  The
``G_i`` and ``h_i`` of all rows are formed at once (one sparse
row-by-observation incidence product of the ``N_obs`` outer products, no
Python loop over observations) and solved as one batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, final

import numpy as np
import scipy.sparse as sp

__all__ = ["SeparableFit", "fit_separable"]


@final
@dataclass(frozen=True, eq=False)
class SeparableFit:
    """A fitted separable model ``F̂ = L Rᵀ = Σ_r a_r b_rᵀ``.

    Attributes
    ----------
    left : ndarray (NX, rank)
        ``L``, columns ``a_r``.
    right : ndarray (NY, rank)
        ``R``, columns ``b_r``; columns of ``L`` and ``R`` have equal norms
        (the scale of each term is split evenly).
    iterations : int
        ALS sweeps done (one sweep = the ``L`` and the ``R`` half-steps).
    objective : float
        The final ``f(L, R)`` (see the module docstring).
    residual_norm : float
        ``‖F̂[x, y] − v‖₂`` over the observations.
    converged : bool
        Whether the relative decrease of ``f`` fell below ``tol`` (or ``f``
        reached ``(tol·‖v‖)²``) within ``maxiter`` sweeps.
    history : tuple of float
        ``f`` after each sweep.
    """

    left: np.ndarray
    right: np.ndarray
    iterations: int
    objective: float
    residual_norm: float
    converged: bool
    history: tuple[float, ...]

    @property
    def rank(self) -> int:
        return int(self.left.shape[1])

    def matrix(self) -> np.ndarray:
        """The reconstruction ``F̂ = L Rᵀ`` (``NX × NY``)."""
        return self.left @ self.right.T

    def predict(self, rows: Any, cols: Any) -> np.ndarray:
        """``F̂[rows[k], cols[k]] = L[rows[k]] · R[cols[k]]`` without forming ``F̂``."""
        r = _indices(rows, "rows", self.left.shape[0], "predict")
        c = _indices(cols, "cols", self.right.shape[0], "predict")
        if r.shape != c.shape:
            raise ValueError(
                f"predict: rows and cols have lengths {r.shape[0]} and {c.shape[0]}; "
                f"give one (row, col) pair per point"
            )
        return np.einsum("kr,kr->k", self.left[r], self.right[c])


def _indices(idx: Any, name: str, size: int, where: str) -> np.ndarray:
    arr = np.asarray(idx)
    if arr.ndim != 1:
        raise ValueError(f"{where}: {name} must be a 1-D integer array, got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        raise TypeError(f"{where}: {name} must hold integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= size):
        bad = int(arr.min()) if arr.min() < 0 else int(arr.max())
        raise ValueError(
            f"{where}: {name} holds the index {bad}, out of range for a grid axis of "
            f"size {size} (valid: 0 to {size - 1})"
        )
    return arr


def _incidence(idx: np.ndarray, size: int) -> sp.csr_array:
    """``E`` (``size × N_obs``) with ``E[idx[k], k] = 1``: ``E @ w`` sums ``w`` per grid line."""
    n = idx.shape[0]
    return sp.csr_array((np.ones(n), (idx, np.arange(n))), shape=(size, n))


def _half_step(
    incidence: sp.csr_array, other: np.ndarray, v: np.ndarray, ridge: float
) -> np.ndarray:
    """All rows of one factor at once: ``(G_i + λI) x_i = h_i``, ``i < size``.

    ``other`` is ``(N_obs, r)``: the other factor's rows at each observation.
    ``G = E · [z_k z_kᵀ]`` (``size × r × r``), ``h = E · [v_k z_k]``: two sparse
    products, ``O(N_obs·r²)``; then a batched ``r × r`` solve, ``O(size·r³)``.
    """
    n, r = other.shape
    outer = (other[:, :, None] * other[:, None, :]).reshape(n, r * r)
    g = np.asarray(incidence @ outer).reshape(-1, r, r)
    h = np.asarray(incidence @ (v[:, None] * other))
    if ridge > 0:
        return np.linalg.solve(g + ridge * np.eye(r), h[:, :, None])[:, :, 0]
    # λ = 0: the minimum-norm solution, also for lines with fewer than r observations
    return (np.linalg.pinv(g, hermitian=True) @ h[:, :, None])[:, :, 0]


def _balance(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rescale term by term so ``‖a_r‖ = ‖b_r‖`` (``L Rᵀ`` unchanged)."""
    nl, nr = np.linalg.norm(left, axis=0), np.linalg.norm(right, axis=0)
    ok = (nl > 0) & (nr > 0)
    c = np.sqrt(np.where(ok, nr, 1.0) / np.where(ok, nl, 1.0))
    return left * c, right / c


def fit_separable(
    rows: Any,
    cols: Any,
    values: Any,
    shape: Sequence[int],
    rank: int = 1,
    *,
    ridge: float = 0.0,
    maxiter: int = 500,
    tol: float = 1e-12,
    seed: int | None = 0,
) -> SeparableFit:
    """Fit ``F ≈ Σ_{r<rank} a_r b_rᵀ`` to scattered grid observations by alternating least squares.

    Parameters
    ----------
    rows, cols : 1-D integer arrays of length N_obs
        Grid coordinates ``(x_k, y_k)`` of each observation (repeats welcome).
    values : 1-D real array of length N_obs
        ``v_k ≈ F[x_k, y_k]``.
    shape : (NX, NY)
    rank : int, default 1
        ``1 ≤ rank ≤ min(NX, NY)``.
    ridge : float, default 0
        ``λ ≥ 0`` in ``λ(‖L‖_F² + ‖R‖_F²)``.  Since ``min λ(‖L‖² + ‖R‖²)`` over
        factorizations of ``F̂`` is ``2λ‖F̂‖_*``, this is a nuclear-norm
        penalty: it shrinks every term and makes each ``r × r`` system
        positive definite (a grid line without observations then gets ``0``).
        With ``λ = 0`` each system is solved in the minimum-norm sense
        (pseudo-inverse), so under-observed lines are still well defined.
    maxiter : int, default 500
        The most ALS sweeps.
    tol : float, default 1e-12
        Stop when ``f`` decreases by less than ``tol·f`` in a sweep, or when
        ``f ≤ (tol·‖v‖)²``.
    seed : int or None, default 0
        Seeds the random Gaussian start of ``R`` (the first half-step solves
        for ``L``), so runs are reproducible.

    Returns
    -------
    SeparableFit
        ``left``, ``right``, ``.matrix()`` (``L Rᵀ``), ``.predict(rows, cols)``,
        ``iterations``, ``objective``, ``residual_norm``, ``converged``,
        ``history``.  Factors are float64, or float32 for float32 ``values``.

    Notes
    -----
    Cost per sweep: ``O(N_obs·r² + (NX + NY)·r³)``; memory ``O(N_obs·r²)``.
    ALS decreases ``f`` monotonically; for data with missing cells it can
    stop at a local minimum, which a different ``seed`` may avoid.  Grid
    lines never observed carry no information: their factor rows are ``0``
    (both with ``λ > 0`` and with ``λ = 0``), so ``F̂`` is ``0`` there.

    Raises
    ------
    ValueError
        Mismatched lengths, indices out of the grid, no observations,
        non-finite values, ``rank`` outside ``[1, min(NX, NY)]``, negative
        ``ridge`` or ``tol``, ``maxiter < 1``.
    TypeError
        Non-integer indices or ``rank``, complex values.

    Examples
    --------
    The seed's separable regression: ``f(x, y) = sin(x)·cos(y)`` on a 12 × 10
    grid from 150 noisy samples; some cells are never observed.

    >>> import numpy as np
    >>> from kronblock.regression import fit_separable
    >>> rng = np.random.default_rng(0)
    >>> NX, NY, N_OBS = 12, 10, 150
    >>> F_true = np.outer(np.sin(np.linspace(0, np.pi, NX)), np.cos(np.linspace(0, np.pi, NY)))
    >>> x, y = rng.integers(0, NX, N_OBS), rng.integers(0, NY, N_OBS)
    >>> v = F_true[x, y] + 0.05 * rng.normal(size=N_OBS)
    >>> fit = fit_separable(x, y, v, (NX, NY), rank=1)
    >>> fit.converged
    True
    >>> err = np.linalg.norm(fit.matrix() - F_true)
    >>> cells = np.zeros((NX, NY)); np.add.at(cells, (x, y), 1)
    >>> means = np.zeros((NX, NY)); np.add.at(means, (x, y), v)
    >>> means = means / np.maximum(cells, 1)                # the per-cell lstsq answer
    >>> bool(err < 0.3 * np.linalg.norm(means - F_true))
    True
    """
    where = "fit_separable"
    if isinstance(shape, (int, np.integer)) or len(shape) != 2:
        raise ValueError(f"{where}: shape must be (NX, NY), got {shape!r}")
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"{where}: shape must be two ints (NX, NY), got {shape!r}")
    nx, ny = (int(s) for s in shape)
    if nx < 1 or ny < 1:
        raise ValueError(f"{where}: shape must be positive, got {(nx, ny)}")
    x = _indices(rows, "rows", nx, where)
    y = _indices(cols, "cols", ny, where)
    v_in = np.asarray(values)
    if v_in.ndim != 1:
        raise ValueError(f"{where}: values must be 1-D, got shape {v_in.shape}")
    if np.iscomplexobj(v_in):
        raise TypeError(f"{where}: values must be real, got dtype {v_in.dtype}")
    if not (x.shape[0] == y.shape[0] == v_in.shape[0]):
        raise ValueError(
            f"{where}: rows, cols and values have lengths {x.shape[0]}, {y.shape[0]} and "
            f"{v_in.shape[0]}; give one (row, col, value) per observation"
        )
    if x.shape[0] == 0:
        raise ValueError(f"{where}: no observations")
    out_dtype = np.float32 if v_in.dtype == np.float32 else np.float64
    v = v_in.astype(np.float64)
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{where}: values must be finite; drop or impute the NaN/inf entries")
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)):
        raise TypeError(f"{where}: rank must be an int, got {rank!r}")
    if not 1 <= rank <= min(nx, ny):
        raise ValueError(f"{where}: rank={rank} must be between 1 and min(NX, NY) = {min(nx, ny)}")
    for name, value in (("ridge", ridge), ("tol", tol)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{where}: {name} must be a real number, got {value!r}")
    if not (ridge >= 0 and math.isfinite(ridge)):
        raise ValueError(f"{where}: ridge must be finite and >= 0, got {ridge}")
    if not (tol >= 0):
        raise ValueError(f"{where}: tol must be >= 0, got {tol}")
    if isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer)):
        raise TypeError(f"{where}: maxiter must be a positive int, got {maxiter!r}")
    if maxiter < 1:
        raise ValueError(f"{where}: maxiter must be a positive int, got {maxiter!r}")

    r = int(rank)
    ex, ey = _incidence(x, nx), _incidence(y, ny)
    right = np.random.default_rng(seed).standard_normal((ny, r))
    left = np.zeros((nx, r))
    floor = (tol * float(np.linalg.norm(v))) ** 2
    history: list[float] = []
    converged = False
    f_prev = math.inf
    it = 0
    for it in range(1, int(maxiter) + 1):
        left = _half_step(ex, right[y], v, ridge)  # rows of L, R fixed
        right = _half_step(ey, left[x], v, ridge)  # rows of R, L fixed
        left, right = _balance(left, right)
        resid = np.einsum("kr,kr->k", left[x], right[y]) - v
        f = float(resid @ resid) + ridge * float(np.sum(left**2) + np.sum(right**2))
        history.append(f)
        if f <= floor or (it > 1 and f_prev - f <= tol * f_prev):
            converged = True
            break
        f_prev = f
    resid = np.einsum("kr,kr->k", left[x], right[y]) - v
    return SeparableFit(
        left=left.astype(out_dtype),
        right=right.astype(out_dtype),
        iterations=it,
        objective=history[-1],
        residual_norm=float(np.linalg.norm(resid)),
        converged=converged,
        history=tuple(history),
    )
