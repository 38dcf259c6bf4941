"""``BlockToeplitz``: block-Toeplitz matrices, at one or several levels (BTTB), and their solves.

A ``d``-level block-Toeplitz matrix with ``m × m`` blocks is given by all its
blocks along the diagonals: ``t`` of shape ``(2n₁−1, …, 2n_d−1, m, m)``, the
block for the level offsets ``(k₁, …, k_d)`` (``−nₗ < kₗ < nₗ``) stored at
index ``(k₁ + n₁ − 1, …)``; with rows ``(i, a)`` and columns ``(j, b)``
(row-major, ``N = Πnₗ·m``)::

    T[(i, a), (j, b)] = t[i₁ − j₁ + n₁ − 1, …, i_d − j_d + n_d − 1, a, b].

``d = 2``, ``m = 1`` is the BTTB matrix of a zero-padded 2-D convolution;
``d = 1`` is a block-Toeplitz matrix ``[T_{i−j}]``, e.g. the covariance of a
stationary vector-valued sequence.

- **Products** embed every level into a circulant of size ``2nₗ − 1`` and go
  through :class:`~kronblock.BlockCirculant`'s FFT:
  ``O(2^d·N·(m + log Πnₗ))``.
- **Solves** are iterative (there is no exact fast solver for general block
  Toeplitz matrices): preconditioned conjugate gradients for Hermitian
  matrices, restarted GMRES otherwise, both preconditioned by T. Chan's
  optimal block-circulant approximation (per level
  ``c_j = ((n−j)·t_j + j·t_{j−n}) / n``), inverted exactly through the FFT.
  Each solve reports what it reached (:attr:`BlockToeplitzSolver.last_result`)
  and raises :class:`~kronblock.solvers.ConvergenceError` when it does not
  converge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, final

from .._array_api import (
    Array,
    Namespace,
    as_float_dtype,
    device_of,
    is_eager,
    namespace_of,
    real_dtype,
)
from .._errors import LinAlgError
from .._operator import AbstractLinearOperator, astype, negate
from ..linalg import diagonal, factorize, inv, norm, trace
from ..linalg._factorization import Factorization, SolveOperator
from ._block_circulant import (
    BlockCirculant,
    BlockCirculantFactorization,
    dense_from_entries,
    permute_levels,
)

__all__ = ["BlockToeplitz", "BlockToeplitzSolver", "block_toeplitz", "multilevel_toeplitz"]


@final
@dataclass(frozen=True, eq=False, repr=False)
class BlockToeplitz(AbstractLinearOperator):
    """A ``d``-level block-Toeplitz matrix from its diagonals (see the module doc).

    Build it with :func:`block_toeplitz` (one level, first block column and
    row) or :func:`multilevel_toeplitz` (any number of levels).
    """

    diagonals: Array  # (2n₁−1, …, 2n_d−1, m, m)

    def __post_init__(self) -> None:
        xp = namespace_of(self.diagonals, where="block_toeplitz")
        t = self.diagonals
        if t.ndim < 3 or t.shape[-1] != t.shape[-2] or any(s % 2 == 0 for s in t.shape[:-2]):
            raise ValueError(
                f"block_toeplitz: expected the diagonals as an array of shape "
                f"(2n₁−1, …, 2n_d−1, m, m) (odd level sizes, square blocks), got {tuple(t.shape)}"
            )
        object.__setattr__(self, "_xp", xp)

    @property
    def levels(self) -> tuple[int, ...]:
        """``(n₁, …, n_d)``, outermost first."""
        return tuple((int(s) + 1) // 2 for s in self.diagonals.shape[:-2])

    @property
    def m(self) -> int:
        """The block size."""
        return int(self.diagonals.shape[-1])

    @property
    def shape(self) -> tuple[int, int]:
        n = math.prod(self.levels) * self.m
        return (n, n)

    @property
    def dtype(self) -> Any:
        return self.diagonals.dtype

    @property
    def xp(self) -> Namespace:
        return self._xp  # type: ignore[attr-defined]

    @property
    def device(self) -> Any:
        return device_of(self.diagonals)

    def embedding(self) -> BlockCirculant:
        """The block circulant of sizes ``2nₗ − 1`` whose leading ``nₗ`` rows and columns are ``T``.

        Its first block column holds offsets ``0 … nₗ−1`` at ``0 … nₗ−1`` and
        offsets ``−(nₗ−1) … −1`` at ``nₗ … 2nₗ−2``: a cyclic shift of the
        centred diagonals along every level.
        """
        # position p ↦ offset p (p < n) or p − (2n − 1) (p ≥ n), stored at offset + n − 1
        maps = [list(range(n - 1, 2 * n - 1)) + list(range(0, n - 1)) for n in self.levels]
        return BlockCirculant(permute_levels(self.xp, self.diagonals, maps))

    def _matmat(self, x: Array) -> Array:
        # zero-pad every level to 2nₗ − 1, apply the circulant embedding, keep the leading part
        xp = self.xp
        k = x.shape[1]
        lv = self.levels
        big = tuple(2 * n - 1 for n in lv)
        xt = xp.reshape(x, (*lv, self.m, k))
        padded = xp.zeros((*big, self.m, k), dtype=x.dtype, device=device_of(x))
        region = (*(slice(0, n) for n in lv), ...)
        padded[region] = xt  # our own fresh array
        y = self.embedding()._matmat(xp.reshape(padded, (-1, k)))
        y = xp.reshape(y, (*big, self.m, k))[region]
        return xp.reshape(y, (self.shape[0], k))

    def _flipped(self) -> Array:
        # offsets negated: index 2n − 2 − i at every level
        maps = [list(range(2 * n - 2, -1, -1)) for n in self.levels]
        return permute_levels(self.xp, self.diagonals, maps)

    def _adjoint(self) -> AbstractLinearOperator:
        # Tᴴ[(i,a),(j,b)] = conj(t[j − i][b, a]): offsets negated, blocks conjugate-transposed
        xp = self.xp
        return BlockToeplitz(xp.conj(xp.matrix_transpose(self._flipped())))

    def _transpose(self) -> AbstractLinearOperator:
        return BlockToeplitz(self.xp.matrix_transpose(self._flipped()))

    def _to_dense(self) -> Array:
        return dense_from_entries(self)

    def _entries(self, rows: Array, cols: Array) -> Array:
        xp = self.xp
        m = self.m
        a, b = rows % m, cols % m
        ri, ci = rows // m, cols // m
        flat = xp.zeros_like(a)
        stride = 1
        for n in reversed(self.levels):
            flat = flat + ((ri % n) - (ci % n) + n - 1) * stride
            ri, ci = ri // n, ci // n
            stride *= 2 * n - 1
        return xp.take(xp.reshape(self.diagonals, (-1,)), (flat * m + a) * m + b)

    def __repr__(self) -> str:
        lv = "×".join(str(n) for n in self.levels)
        return f"BlockToeplitz(levels {lv}, blocks {self.m}×{self.m}, shape={self.shape})"


def block_toeplitz(c: Any, r: Any = None) -> BlockToeplitz:
    """A block-Toeplitz matrix ``[T_{i−j}]`` from its first block column and first block row.

    Parameters
    ----------
    c : array ``(p, m, m)``
        ``c[k] = T_k``, the blocks below the diagonal (``c[0]`` on it).
    r : array ``(p, m, m)``, optional
        ``r[k] = T_{−k}``, the blocks right of the diagonal; ``r[0]`` is
        ignored (``c[0]`` is the diagonal block, as in ``scipy.linalg.toeplitz``).
        Default ``r[k] = c[k]ᴴ``: a Hermitian block-Toeplitz matrix.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> c = np.array([[[4.0, 1.0], [1.0, 3.0]], [[1.0, 0.5], [0.0, 1.0]], [[0.2, 0.0], [0.1, 0.2]]])
    >>> T = kb.block_toeplitz(c)                      # 3 × 3 blocks of 2 × 2, Hermitian
    >>> D = T.to_dense()
    >>> bool(np.allclose(D[2:4, 0:2], c[1]) and np.allclose(D[0:2, 2:4], c[1].T))
    True
    >>> x = kb.solve(T, np.ones(6))                   # PCG, T. Chan block-circulant preconditioner
    >>> bool(np.allclose(D @ x, np.ones(6)))
    True
    """
    xp = namespace_of(c, r, where="block_toeplitz")
    cc = xp.asarray(c)
    if cc.ndim != 3 or cc.shape[1] != cc.shape[2] or cc.shape[0] == 0:
        raise ValueError(
            f"block_toeplitz: c must have shape (p, m, m) with p ≥ 1 (square blocks), got "
            f"{tuple(cc.shape)}; for scalar entries use kb.toeplitz"
        )
    if r is None:
        rr = xp.conj(xp.matrix_transpose(cc))
    else:
        rr = xp.asarray(r)
        if tuple(rr.shape) != tuple(cc.shape):
            raise ValueError(
                f"block_toeplitz: r must have the shape of c, {tuple(cc.shape)}, got "
                f"{tuple(rr.shape)}"
            )
    if rr.dtype != cc.dtype:
        from .._array_api import promote

        dt = promote(xp, cc.dtype, rr.dtype)
        cc, rr = xp.astype(cc, dt), xp.astype(rr, dt)
    p = cc.shape[0]
    # offsets −(p−1) … −1 are r[p−1] … r[1]; 0 … p−1 are c[0] … c[p−1]
    idx = xp.asarray(list(range(p - 1, 0, -1)), device=device_of(cc))
    t = xp.concat([xp.take(rr, idx, axis=0), cc], axis=0) if p > 1 else cc
    return BlockToeplitz(t)


def multilevel_toeplitz(t: Any, *, levels: int | None = None) -> BlockToeplitz:
    """A ``d``-level (block-)Toeplitz matrix from all its diagonals, centred.

    Parameters
    ----------
    t : array ``(2n₁−1, …, 2n_d−1[, m, m])``
        The (block) entry for level offsets ``(k₁, …)`` at ``(k₁ + n₁ − 1, …)``.
    levels : int, optional
        ``d``: default ``t.ndim − 2`` (blocks on the last two axes);
        ``levels = t.ndim`` means ``1 × 1`` blocks (BTTB for ``d = 2``).

    Examples
    --------
    >>> import numpy as np, scipy.signal, kronblock as kb
    >>> kernel = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    >>> img = np.random.default_rng(0).normal(size=(5, 6))
    >>> t = np.zeros((9, 11)); t[3:6, 4:7] = kernel   # offsets −4…4 and −5…5
    >>> T = kb.multilevel_toeplitz(t, levels=2)       # BTTB: zero-padded convolution
    >>> ref = scipy.signal.convolve2d(img, kernel, mode="same")
    >>> bool(np.allclose(T @ img.ravel(), ref.ravel()))
    True
    """
    xp = namespace_of(t, where="multilevel_toeplitz")
    arr = xp.asarray(t)
    if levels is None:
        levels = arr.ndim - 2
    if not isinstance(levels, int) or levels < 1 or levels > arr.ndim:
        raise ValueError(
            f"multilevel_toeplitz: levels must be an int from 1 to t.ndim = {arr.ndim}, got "
            f"{levels!r}"
        )
    if levels == arr.ndim:
        arr = xp.reshape(arr, (*arr.shape, 1, 1))
    elif levels != arr.ndim - 2:
        raise ValueError(
            f"multilevel_toeplitz: t of shape {tuple(arr.shape)} with levels={levels} leaves "
            f"{arr.ndim - levels} block axes; blocks are 2-D or 1×1 (levels = t.ndim)"
        )
    return BlockToeplitz(arr)


# ---- the preconditioner and the solve ---------------------------------------------------------
def tchan_circulant(op: BlockToeplitz) -> BlockCirculant:
    """T. Chan's optimal block circulant: per level ``c_j = ((n−j)·t_j + j·t_{j−n}) / n``.

    It minimises ``‖C − T‖_F`` over block circulants (level by level, the
    weights are separable); it is Hermitian (positive definite) when ``T`` is.
    """
    xp = op.xp
    c = op.diagonals
    dt = as_float_dtype(xp, c.dtype)
    c = xp.astype(c, dt)
    for ax, n in enumerate(op.levels):
        pos = xp.asarray([j + n - 1 for j in range(n)], device=op.device)  # t_j, j = 0…n−1
        neg = xp.asarray([max(j - 1, 0) for j in range(n)], device=op.device)  # t_{j−n} (w=0 at 0)
        w_pos = xp.asarray([(n - j) / n for j in range(n)], dtype=real_dtype(xp, dt))
        w_neg = xp.asarray([j / n for j in range(n)], dtype=real_dtype(xp, dt))
        shape = [1] * c.ndim
        shape[ax] = n
        w_pos = xp.astype(xp.reshape(w_pos, tuple(shape)), dt)
        w_neg = xp.astype(xp.reshape(w_neg, tuple(shape)), dt)
        c = xp.take(c, pos, axis=ax) * w_pos + xp.take(c, neg, axis=ax) * w_neg
    return BlockCirculant(c)


def _is_hermitian(op: BlockToeplitz) -> bool:
    """``t[−k] = t[k]ᴴ`` at every level, to rounding (``8·eps·max|t|``; eager data only)."""
    xp = op.xp
    t = op.diagonals
    if not is_eager(t):
        return False
    rev = xp.conj(xp.matrix_transpose(op._flipped()))
    diff = xp.max(xp.abs(t - rev))
    eps = xp.finfo(real_dtype(xp, as_float_dtype(xp, t.dtype))).eps
    return bool(diff <= 8 * eps * xp.max(xp.abs(t)))


class BlockToeplitzSolver(Factorization):
    """Iterative solves with a block-Toeplitz matrix, preconditioned by its T. Chan circulant.

    Parameters
    ----------
    op : BlockToeplitz
    rtol : float, optional
        Relative residual: default ``1e-12`` in double precision, ``1e-5`` in single.
    maxiter : int, optional
        Default ``min(2000, max(200, N))``.
    restart : int
        GMRES restart length (non-Hermitian matrices).

    Hermitian matrices run :class:`~kronblock.solvers.PCG` (falling back to
    GMRES if CG detects indefiniteness); others right-preconditioned
    :class:`~kronblock.solvers.GMRES`.  Each iteration costs one product with
    ``T`` (FFTs of size ``Π(2nₗ − 1)``) and one exact preconditioner solve
    (FFTs of size ``Πnₗ``); ``last_result`` reports the latest solve.  A
    solve that stops short of ``rtol`` but whose backward error
    ``‖b − Tx‖ / (‖T‖·‖x‖ + ‖b‖)`` is below it is accepted; otherwise
    :class:`~kronblock.solvers.ConvergenceError` is raised.
    """

    def __init__(
        self,
        op: BlockToeplitz,
        *,
        rtol: float | None = None,
        maxiter: int | None = None,
        restart: int = 50,
    ) -> None:
        xp = op.xp
        self.op, self.xp, self.n = op, xp, op.shape[0]
        self.dtype = as_float_dtype(xp, op.dtype)
        single = real_dtype(xp, self.dtype) == xp.float32
        self.rtol = rtol if rtol is not None else (1e-5 if single else 1e-12)
        self.maxiter = maxiter if maxiter is not None else min(2000, max(200, self.n))
        self.restart = restart
        self.hermitian = _is_hermitian(op)
        self.last_result: Any = None
        try:
            self.preconditioner: Factorization | None = BlockCirculantFactorization(
                tchan_circulant(op)
            )
        except LinAlgError:  # a singular approximation: no preconditioner
            self.preconditioner = None
        self._norm = float(norm(op, "fro")) if self.n else 0.0

    def _solve(self, b: Array, adjoint: bool) -> Array:
        from ..solvers import GMRES, PCG, ConvergenceError

        op: AbstractLinearOperator = self.op.H if adjoint else self.op
        pre = self.preconditioner
        m = None if pre is None else (lambda r: pre._solve(r, adjoint))
        result = None
        if self.hermitian:
            try:
                solver: Any = PCG(
                    M=m if m is not None else (lambda r: r),
                    rtol=self.rtol,
                    maxiter=self.maxiter,
                    raise_on_failure=False,
                )
                result = solver.solve(op, b)
            except LinAlgError:  # indefinite: CG does not apply
                result = None
        if result is None or not result.converged:
            gm = GMRES(
                M=m, rtol=self.rtol, maxiter=self.maxiter, restart=self.restart,
                raise_on_failure=False,
            )  # fmt: skip
            result = gm.solve(op, b)
        self.last_result = result
        if not result.converged and self._backward_error(op, b, result.x) > self.rtol:
            raise ConvergenceError(
                f"solve: {result.method} on the block-Toeplitz matrix stopped after "
                f"{result.iterations} iterations at relative residual {result.rtol_reached:.1e} "
                f"(asked {self.rtol:.0e}); raise maxiter or loosen rtol "
                f"(kb.BlockToeplitzSolver(T, rtol=..., maxiter=...)), or solve densely",
                result,
            )
        return result.x

    def _backward_error(self, op: AbstractLinearOperator, b: Array, x: Array) -> float:
        xp = self.xp
        r = b - op._matmat(x)
        rn = xp.linalg.vector_norm(r, axis=0)
        den = self._norm * xp.linalg.vector_norm(x, axis=0) + xp.linalg.vector_norm(b, axis=0)
        return float(xp.max(rn / xp.where(den == 0, xp.ones_like(den), den)))

    def slogdet(self) -> tuple[Array, Array]:
        """No structured identity for a general block Toeplitz: the dense fallback (warns)."""
        from ..linalg import slogdet

        return slogdet.dispatch(AbstractLinearOperator)(self.op)


@factorize.register
def _factorize_block_toeplitz(op: BlockToeplitz, assume_a: str) -> Factorization:
    """An iterative solver object (PCG or GMRES with the T. Chan preconditioner); see its doc."""
    if assume_a == "positive_definite" and not _is_hermitian(op):
        raise LinAlgError("factorize: the block-Toeplitz matrix is not Hermitian")
    return BlockToeplitzSolver(op)


@inv.register
def _inv_block_toeplitz(op: BlockToeplitz) -> AbstractLinearOperator:
    """``T⁻¹`` as a lazy operator: each product is a preconditioned iterative solve."""
    f = BlockToeplitzSolver(op)
    return SolveOperator(f, False, f.dtype)


@diagonal.register
def _diagonal_block_toeplitz(op: BlockToeplitz) -> Array:
    """``diag(t[0, …, 0])`` repeated ``Πnₗ`` times: ``O(N)``."""
    xp = op.xp
    centre = tuple(n - 1 for n in op.levels)
    d = xp.linalg.diagonal(op.diagonals[(*centre, ...)])
    return xp.reshape(xp.broadcast_to(d[None, :], (math.prod(op.levels), op.m)), (-1,))


@trace.register
def _trace_block_toeplitz(op: BlockToeplitz) -> Array:
    """``Πnₗ · trace(t[0, …, 0])``."""
    xp = op.xp
    centre = tuple(n - 1 for n in op.levels)
    return xp.sum(xp.linalg.diagonal(op.diagonals[(*centre, ...)])) * math.prod(op.levels)


@norm.register
def _norm_block_toeplitz(op: BlockToeplitz, ord: Any) -> Array:
    """Frobenius: offset ``k`` appears ``Πₗ (nₗ − |kₗ|)`` times: ``O(Π(2nₗ−1)·m²)``."""
    xp = op.xp
    if ord not in ("fro", None):
        return norm.dispatch(AbstractLinearOperator)(op, ord)
    sq = xp.sum(xp.abs(op.diagonals) ** 2, axis=(-2, -1))
    for ax, n in enumerate(op.levels):
        counts = xp.asarray(
            [float(n - abs(k)) for k in range(-(n - 1), n)], dtype=sq.dtype, device=op.device
        )
        shape = [1] * sq.ndim
        shape[ax] = 2 * n - 1
        sq = sq * xp.reshape(counts, tuple(shape))
    return xp.sqrt(xp.sum(sq))


@negate.register
def _negate_block_toeplitz(op: BlockToeplitz) -> AbstractLinearOperator:
    return BlockToeplitz(-op.diagonals)


@astype.register
def _astype_block_toeplitz(op: BlockToeplitz, dtype: Any) -> AbstractLinearOperator:
    return op if op.dtype == dtype else BlockToeplitz(op.xp.astype(op.diagonals, dtype))
