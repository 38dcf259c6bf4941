"""``BlockCirculant``: block-circulant matrices, at one or several levels, and their FFT algebra.

A ``d``-level block-circulant matrix with ``m × m`` blocks is given by its
*first block column* ``c`` of shape ``(n₁, …, n_d, m, m)``: with rows indexed
``(i₁, …, i_d, a)`` and columns ``(j₁, …, j_d, b)`` (row-major, ``N = Πnₗ·m``),

    C[(i, a), (j, b)] = c[(i₁ − j₁) mod n₁, …, (i_d − j_d) mod n_d, a, b].

``d = 1``, ``m = 1`` is ``scipy.linalg.circulant(c)``; ``d = 2``, ``m = 1`` is
the BCCB matrix of a periodic 2-D convolution.  The ``d``-dimensional DFT
over the level indices block-diagonalizes it (``F`` the unitary DFT of size
``Πnₗ``)::

    C = (F ⊗ I_m)ᴴ · blockdiag(ĉ_ℓ) · (F ⊗ I_m),    ĉ = fftn(c, over the d level axes)

so a product is an FFT, ``Πnₗ`` small ``m × m`` products and an inverse FFT,
``O(N·(m + log Πnₗ))``; a solve, determinant or eigenvalue problem is ``Πnₗ``
independent ``m × m`` problems, done in one batched call.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, final

from .._array_api import (
    Array,
    Namespace,
    as_float_dtype,
    device_of,
    is_complex_dtype,
    is_eager,
    namespace_of,
    real_dtype,
)
from .._errors import LinAlgError
from .._operator import AbstractLinearOperator, astype, negate
from ..linalg import diagonal, eigvals, eigvalsh, factorize, inv, norm, slogdet, trace
from ..linalg._factorization import Factorization, slogdet_of_values

__all__ = ["BlockCirculant", "BlockCirculantFactorization", "block_circulant"]


def _complex_dtype(xp: Namespace, dtype: Any) -> Any:
    if is_complex_dtype(xp, dtype):
        return dtype
    return xp.complex64 if dtype == xp.float32 else xp.complex128


@final
@dataclass(frozen=True, eq=False, repr=False)
class BlockCirculant(AbstractLinearOperator):
    """A ``d``-level block-circulant matrix from its first block column (see the module doc).

    Build it with :func:`block_circulant`.  ``blocks`` has shape
    ``(n₁, …, n_d, m, m)``.
    """

    blocks: Array

    def __post_init__(self) -> None:
        xp = namespace_of(self.blocks, where="block_circulant")
        if self.blocks.ndim < 3 or self.blocks.shape[-1] != self.blocks.shape[-2]:
            raise ValueError(
                f"block_circulant: expected the first block column as an array of shape "
                f"(n₁, …, n_d, m, m) with square m × m blocks, got {tuple(self.blocks.shape)}"
            )
        object.__setattr__(self, "_xp", xp)

    @property
    def levels(self) -> tuple[int, ...]:
        """``(n₁, …, n_d)``: the circulant sizes, outermost first."""
        return tuple(int(s) for s in self.blocks.shape[:-2])

    @property
    def m(self) -> int:
        """The block size."""
        return int(self.blocks.shape[-1])

    @property
    def shape(self) -> tuple[int, int]:
        n = math.prod(self.levels) * self.m
        return (n, n)

    @property
    def dtype(self) -> Any:
        return self.blocks.dtype

    @property
    def xp(self) -> Namespace:
        return self._xp  # type: ignore[attr-defined]

    @property
    def device(self) -> Any:
        return device_of(self.blocks)

    @property
    def _axes(self) -> tuple[int, ...]:
        return tuple(range(len(self.levels)))

    def symbol(self, dtype: Any = None) -> Array:
        """``ĉ = fftn(c)`` over the level axes: the ``Πnₗ`` diagonal blocks, ``(n₁, …, m, m)``."""
        xp = self.xp
        c = self.blocks
        cdt = _complex_dtype(xp, as_float_dtype(xp, c.dtype) if dtype is None else dtype)
        cache: dict[Any, Array] = self.__dict__.setdefault("_symbols", {})
        key = ("full", str(cdt))
        if key not in cache:
            cache[key] = xp.fft.fftn(xp.astype(c, cdt), axes=self._axes)
        return cache[key]

    def half_symbol(self, dtype: Any) -> Array:
        """``rfftn(c)`` for real blocks: the non-redundant half of ``ĉ`` (last level halved)."""
        xp = self.xp
        cache: dict[Any, Array] = self.__dict__.setdefault("_symbols", {})
        key = ("half", str(dtype))
        if key not in cache:
            cache[key] = xp.fft.rfftn(xp.astype(self.blocks, dtype), axes=self._axes)
        return cache[key]

    def fourier_apply(self, x: Array, blocks: Callable[[bool, Any], Array]) -> Array:
        """``(F⊗I)ᴴ blockdiag(β_ℓ) (F⊗I) x`` for per-frequency blocks ``β = blocks(half, dtype)``.

        Real blocks and real ``x``: real FFTs (half the spectrum; ``β`` must come
        from a real circulant's symbol).  ``m = 1``: a broadcast product, no
        batched 1×1 matmuls.  ``O(N·(m + log Πnₗ))``.
        """
        xp = self.xp
        k = x.shape[1]
        x_t = xp.reshape(x, (*self.levels, self.m, k))
        real = not is_complex_dtype(xp, x.dtype) and not is_complex_dtype(xp, self.blocks.dtype)
        if real:
            xh = xp.fft.rfftn(x_t, axes=self._axes)
        else:
            xh = xp.fft.fftn(xp.astype(x_t, _complex_dtype(xp, x.dtype)), axes=self._axes)
        beta = blocks(real, xh.dtype if not real else x.dtype)
        if beta.dtype != xh.dtype:
            beta = xp.astype(beta, xh.dtype)
        yh = beta * xh if self.m == 1 else xp.matmul(beta, xh)
        if real:
            y = xp.fft.irfftn(yh, s=self.levels, axes=self._axes)
        else:
            y = xp.fft.ifftn(yh, axes=self._axes)
            if not is_complex_dtype(xp, x.dtype):
                y = xp.real(y)
        return xp.reshape(xp.astype(y, x.dtype), (self.shape[0], k))

    def _matmat(self, x: Array) -> Array:
        # y = (F⊗I)ᴴ blockdiag(ĉ) (F⊗I) x: an FFT, batched m×m products, an inverse FFT
        return self.fourier_apply(
            x, lambda half, dt: self.half_symbol(dt) if half else self.symbol(dt)
        )

    def _reversed(self) -> Array:
        # c'[j] = c[−j mod n] at every level
        return permute_levels(
            self.xp, self.blocks, [[(-j) % n for j in range(n)] for n in self.levels]
        )

    def _adjoint(self) -> AbstractLinearOperator:
        # Cᴴ[(i,a),(j,b)] = conj(c[j − i, b, a]): the reversed, conjugate-transposed blocks
        xp = self.xp
        return BlockCirculant(xp.conj(xp.matrix_transpose(self._reversed())))

    def _transpose(self) -> AbstractLinearOperator:
        return BlockCirculant(self.xp.matrix_transpose(self._reversed()))

    def _to_dense(self) -> Array:
        return dense_from_entries(self)

    def _entries(self, rows: Array, cols: Array) -> Array:
        # index arithmetic: level offsets (iₗ − jₗ) mod nₗ and the in-block (a, b)
        xp = self.xp
        m = self.m
        a, b = rows % m, cols % m
        ri, ci = rows // m, cols // m
        flat = xp.zeros_like(a)
        stride = 1
        for n in reversed(self.levels):
            flat = flat + ((ri % n - ci % n) % n) * stride
            ri, ci = ri // n, ci // n
            stride *= n
        c = xp.reshape(self.blocks, (-1,))
        return xp.take(c, (flat * m + a) * m + b)

    def __repr__(self) -> str:
        lv = "×".join(str(n) for n in self.levels)
        return f"BlockCirculant(levels {lv}, blocks {self.m}×{self.m}, shape={self.shape})"


def permute_levels(xp: Namespace, a: Array, maps: list[list[int]]) -> Array:
    """``a`` with its leading axis ``ℓ`` re-indexed by ``maps[ℓ]`` (one ``take`` per level)."""
    for ax, idx in enumerate(maps):
        a = xp.take(a, xp.asarray(idx, device=device_of(a)), axis=ax)
    return a


def dense_from_entries(op: AbstractLinearOperator) -> Array:
    """The dense matrix of a square operator, read through its index arithmetic (``_entries``)."""
    xp = op.xp
    r = xp.arange(op.shape[0], device=op.device)
    rows = xp.reshape(xp.broadcast_to(r[:, None], op.shape), (-1,))
    cols = xp.reshape(xp.broadcast_to(r[None, :], op.shape), (-1,))
    return xp.reshape(op._entries(rows, cols), op.shape)


def block_circulant(c: Any, *, levels: int | None = None) -> BlockCirculant:
    """A (multilevel) block-circulant matrix from its first block column.

    Parameters
    ----------
    c : array
        ``(n₁, …, n_d, m, m)``: ``c[ℓ]`` is the block at block row ``ℓ`` of the
        first block column, at every level.
    levels : int, optional
        ``d``, the number of leading circulant axes.  Default ``c.ndim − 2``
        (blocks are the last two axes).  ``levels=c.ndim`` makes the blocks
        ``1 × 1``: ``block_circulant(k, levels=2)`` is the BCCB matrix of the
        periodic 2-D convolution with kernel ``k``.

    Examples
    --------
    >>> import numpy as np, scipy.linalg, kronblock as kb
    >>> c = np.array([1.0, 2.0, 0.0, 3.0])
    >>> C = kb.block_circulant(c, levels=1)            # scipy.linalg.circulant(c)
    >>> bool(np.allclose(C.to_dense(), scipy.linalg.circulant(c)))
    True
    >>> k = np.arange(12.0).reshape(3, 4)
    >>> img = np.random.default_rng(0).normal(size=(3, 4))
    >>> y = kb.block_circulant(k, levels=2) @ img.ravel()   # periodic 2-D convolution
    >>> ref = np.real(np.fft.ifft2(np.fft.fft2(k) * np.fft.fft2(img)))
    >>> bool(np.allclose(y, ref.ravel()))
    True
    """
    xp = namespace_of(c, where="block_circulant")
    arr = xp.asarray(c)
    if levels is None:
        levels = arr.ndim - 2
    if not isinstance(levels, int) or levels < 1 or levels > arr.ndim:
        raise ValueError(
            f"block_circulant: levels must be an int from 1 to c.ndim = {arr.ndim}, got {levels!r}"
        )
    if levels == arr.ndim:
        arr = xp.reshape(arr, (*arr.shape, 1, 1))
    elif levels != arr.ndim - 2:
        raise ValueError(
            f"block_circulant: c of shape {tuple(arr.shape)} with levels={levels} leaves "
            f"{arr.ndim - levels} block axes; blocks are 2-D (levels = c.ndim − 2) or 1×1 "
            f"(levels = c.ndim)"
        )
    return BlockCirculant(arr)


# ---- factorization ----------------------------------------------------------------------
class BlockCirculantFactorization(Factorization):
    """The ``Πnₗ`` diagonal blocks ``ĉ_ℓ`` of the FFT, inverted once in one batched call.

    Set-up: ``fftn`` of the blocks and a batched inverse, ``O(Πnₗ·(m³ + m² log Πnₗ))``.
    A solve: an FFT, batched ``m × m`` products with ``ĉ_ℓ⁻¹``, an inverse FFT.
    ``log|det C| = Σ_ℓ log|det ĉ_ℓ|``.
    """

    def __init__(self, op: BlockCirculant) -> None:
        xp = op.xp
        self.op, self.xp, self.n = op, xp, op.shape[0]
        self.dtype = as_float_dtype(xp, op.dtype)
        sym = op.symbol()
        self.sym = sym
        m = op.m
        flat = xp.reshape(sym, (-1, m, m))
        if m == 1:
            values = xp.reshape(flat, (-1,))
            mags = xp.abs(values)
        else:
            mags = _min_singular(xp, flat)
        if is_eager(mags) and self.n:
            scale = float(xp.max(xp.abs(flat))) if flat.shape[0] else 0.0
            eps = float(xp.finfo(real_dtype(xp, self.dtype)).eps)
            smallest = float(xp.min(mags))
            if smallest <= 10 * max(self.n, 1) * eps * max(scale, 1e-300):
                raise LinAlgError(
                    f"factorize: the block-circulant matrix is singular: a diagonal block of its "
                    f"Fourier transform has smallest singular value {smallest:.3g}; use lstsq or "
                    f"pinv"
                )
        if m == 1:
            self._slog = slogdet_of_values(xp, values, self.dtype, 0.0)
            self.sym_inv = 1 / sym
        else:
            sign, logabs = xp.linalg.slogdet(flat)
            self._slog = _combine_block_slogdets(xp, sign, logabs, self.dtype)
            self.sym_inv = xp.linalg.inv(sym)
        self._half_inv: dict[Any, Array] = {}

    def _inverse_blocks(self, half: bool, dtype: Any, adjoint: bool) -> Array:
        xp, op = self.xp, self.op
        if half:  # real blocks: the inverse of the half symbol
            key = str(dtype)
            if key not in self._half_inv:
                h = op.half_symbol(dtype)
                self._half_inv[key] = 1 / h if op.m == 1 else xp.linalg.inv(h)
            s = self._half_inv[key]
        else:
            s = self.sym_inv
        if adjoint:  # Cᴴ = (F⊗I)ᴴ blockdiag(ĉ_ℓᴴ) (F⊗I)
            s = xp.conj(s) if op.m == 1 else xp.conj(xp.matrix_transpose(s))
        return s

    def _solve(self, b: Array, adjoint: bool) -> Array:
        return self.op.fourier_apply(b, lambda half, dt: self._inverse_blocks(half, dt, adjoint))

    def inverse_operator(self, dtype: Any, device: Any, adjoint: bool = False) -> Any:
        op = inverse_of(self)
        return op.H if adjoint else op

    def slogdet(self) -> tuple[Array, Array]:
        return self._slog


def _combine_block_slogdets(
    xp: Namespace, signs: Array, logabs: Array, dtype: Any
) -> tuple[Array, Array]:
    """``Π sign_ℓ``, ``Σ log|det ĉ_ℓ|``; a real matrix's sign from ``Σ arg`` (a multiple of π)."""
    total = xp.sum(logabs)
    zero = xp.any(signs == 0)
    if is_complex_dtype(xp, dtype):
        sign = xp.prod(signs)
    else:
        angles = xp.astype(xp.atan2(xp.imag(signs), xp.real(signs)), xp.float64)
        theta = xp.remainder(xp.sum(angles), 2 * math.pi)
        one = xp.ones_like(theta)
        sign = xp.astype(xp.where(xp.cos(theta) >= 0, one, -one), dtype)
    sign = xp.where(zero, xp.zeros_like(sign), sign)
    return sign, xp.where(zero, xp.asarray(-math.inf, dtype=total.dtype), total)


def _min_singular(xp: Namespace, flat: Array) -> Array:
    return xp.min(xp.linalg.svdvals(flat), axis=-1)


def inverse_of(f: BlockCirculantFactorization) -> BlockCirculant:
    """``C⁻¹`` is block circulant: its first block column is ``ifftn(ĉ⁻¹)``."""
    xp, op = f.xp, f.op
    c = xp.fft.ifftn(f.sym_inv, axes=op._axes)
    if not is_complex_dtype(xp, op.dtype):
        c = xp.real(c)
    return BlockCirculant(xp.astype(c, f.dtype))


@factorize.register
def _factorize_block_circulant(op: BlockCirculant, assume_a: str) -> Factorization:
    """FFT block-diagonalization: ``Πnₗ`` independent ``m × m`` blocks, inverted in one call."""
    f = BlockCirculantFactorization(op)
    if assume_a == "positive_definite":
        xp = op.xp
        w = xp.linalg.eigvalsh(f.sym) if _is_hermitian(op) else None
        if w is None or bool(xp.min(w) <= 0):
            raise LinAlgError("factorize: the block-circulant matrix is not positive definite")
    return f


@inv.register
def _inv_block_circulant(op: BlockCirculant) -> AbstractLinearOperator:
    """``C⁻¹`` as a block-circulant matrix: ``O(Πnₗ·m³ + N log Πnₗ)``."""
    return inverse_of(BlockCirculantFactorization(op))


@slogdet.register
def _slogdet_block_circulant(op: BlockCirculant) -> tuple[Array, Array]:
    """``Σ_ℓ log|det ĉ_ℓ|``, sign from the product of the blocks' (real matrices: ±1)."""
    try:
        return BlockCirculantFactorization(op).slogdet()
    except LinAlgError:
        xp = op.xp
        dt = as_float_dtype(xp, op.dtype)
        return (
            xp.asarray(0.0, dtype=dt, device=op.device),
            xp.asarray(-math.inf, dtype=real_dtype(xp, dt), device=op.device),
        )


@eigvals.register
def _eigvals_block_circulant(op: BlockCirculant) -> Array:
    """The eigenvalues of the ``Πnₗ`` blocks ``ĉ_ℓ`` (for ``m = 1``, ``ĉ`` itself), level order."""
    xp = op.xp
    sym = op.symbol()
    flat = xp.reshape(sym, (-1, op.m, op.m))
    if op.m == 1:
        return xp.reshape(flat, (-1,))
    from .._delegate import eigvals as _eigvals

    return xp.reshape(_eigvals(xp, flat), (-1,))


def _is_hermitian(op: BlockCirculant) -> bool:
    """``C = Cᴴ`` ⇔ ``c[−ℓ] = c[ℓ]ᴴ`` at every level, to rounding (``8·eps·max|c|``; eager)."""
    xp = op.xp
    if not is_eager(op.blocks):
        return False
    rev = xp.conj(xp.matrix_transpose(op._reversed()))
    if op.shape[0] == 0:
        return True
    diff = xp.max(xp.abs(op.blocks - rev))
    scale = xp.max(xp.abs(op.blocks))
    eps = xp.finfo(real_dtype(xp, as_float_dtype(xp, op.dtype))).eps
    return bool(diff <= 8 * eps * scale)


@eigvalsh.register
def _eigvalsh_block_circulant(op: BlockCirculant) -> Array:
    """Hermitian (``c[−ℓ] = c[ℓ]ᴴ``): the blocks ``ĉ_ℓ`` are Hermitian; all eigenvalues sorted."""
    xp = op.xp
    if not _is_hermitian(op):
        raise ValueError("eigvalsh: the block-circulant matrix is not Hermitian; use eigvals")
    w = xp.linalg.eigvalsh(op.symbol())
    return xp.sort(xp.reshape(w, (-1,)))


@diagonal.register
def _diagonal_block_circulant(op: BlockCirculant) -> Array:
    """``diag(c[0, …, 0])`` repeated ``Πnₗ`` times: ``O(N)``."""
    xp = op.xp
    c0 = op.blocks[(*((0,) * len(op.levels)), ...)]
    d = xp.linalg.diagonal(c0)
    return xp.reshape(xp.broadcast_to(d[None, :], (math.prod(op.levels), op.m)), (-1,))


@trace.register
def _trace_block_circulant(op: BlockCirculant) -> Array:
    """``Πnₗ · trace(c[0, …, 0])``."""
    xp = op.xp
    c0 = op.blocks[(*((0,) * len(op.levels)), ...)]
    return xp.sum(xp.linalg.diagonal(c0)) * math.prod(op.levels)


@norm.register
def _norm_block_circulant(op: BlockCirculant, ord: Any) -> Array:
    """Frobenius ``sqrt(Πnₗ · Σ_ℓ ‖c_ℓ‖²)``; 2, −2, nuclear from the blocks' singular values."""
    xp = op.xp
    if ord in ("fro", None):
        c = op.blocks
        return xp.sqrt(xp.sum(xp.abs(c) ** 2) * math.prod(op.levels))
    if ord in (2, -2, "nuc"):
        # C = (F⊗I)ᴴ blockdiag(ĉ) (F⊗I): singular values of the blocks
        s = xp.linalg.svdvals(xp.reshape(op.symbol(), (-1, op.m, op.m)))
        return {2: xp.max, -2: xp.min}.get(ord, xp.sum)(s)
    if ord in (1, -1, math.inf, -math.inf):
        # every block column (row) holds each block once: column sums of Σ_ℓ |c_ℓ|
        axis = -2 if ord in (1, -1) else -1
        sums = xp.sum(xp.sum(xp.abs(xp.reshape(op.blocks, (-1, op.m, op.m))), axis=0), axis=axis)
        return xp.max(sums) if ord in (1, math.inf) else xp.min(sums)
    return norm.dispatch(AbstractLinearOperator)(op, ord)


@negate.register
def _negate_block_circulant(op: BlockCirculant) -> AbstractLinearOperator:
    return BlockCirculant(-op.blocks)


@astype.register
def _astype_block_circulant(op: BlockCirculant, dtype: Any) -> AbstractLinearOperator:
    return op if op.dtype == dtype else BlockCirculant(op.xp.astype(op.blocks, dtype))
