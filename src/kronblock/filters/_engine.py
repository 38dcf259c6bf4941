"""The fast separable filter: ``(H₀ ⊗ H₁ ⊗ …) x.ravel()`` without forming anything.

Row-major ``vec``: ``(H₀ ⊗ H₁ ⊗ … ⊗ H_{d−1}) x.ravel()`` is ``x`` filtered by
``H_a`` along each axis ``a`` in turn (``(A ⊗ B) X.ravel() = (A X Bᵀ).ravel()``).
Each pass follows ``scipy.ndimage``'s order (axis 0 first); with
``mode="constant"`` and ``cval ≠ 0`` each pass adds its border term before the
next pass reads it, exactly as applying ``correlate1d`` axis after axis does.

Two algorithms per axis, chosen by the kernel length (``taps``):

- *direct* (``taps ≤`` :data:`DIRECT_MAX_TAPS`): ``out[..., i, ...] = Σ_k w[k] ·
  x[..., i + k − c, ...]`` as ``L`` scaled slices accumulated with
  ``numpy.multiply``/``numpy.add`` into preallocated buffers (``2L − 1`` passes
  over data in cache, no padded copy); the at most ``L − 1`` boundary outputs
  per axis use the summed sparse rows of :class:`AxisFilter`.  Consecutive
  direct axes are *fused*: the array is cut into blocks of whole slabs along
  axis 0 (about :data:`BLOCK_BYTES` each) and every pass of the group runs on
  a block while it is in cache, so the image crosses memory once per group,
  not once per axis.  Blocks are shared out over threads
  (:func:`kronblock.operators._columns.run_chunks`; NumPy releases the GIL).
  Cost ``O(L·N)`` per axis.
- *FFT* (longer kernels): the signal extended by the index map along the axis
  (``n + L − 1`` samples), one real FFT product of length
  ``next_fast_len(n + L − 1)`` and a slice: ``O(N log n)`` per axis,
  independent of ``L``, with ``scipy.fft``'s threads.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.fft

from ..operators._columns import column_chunks, run_chunks
from ._boundary import extend_index
from ._convolution import AxisFilter

__all__ = ["BLOCK_BYTES", "DIRECT_MAX_TAPS", "apply_filters"]

#: Kernels up to this many taps are applied directly; longer ones by FFT.  Measured on a
#: 2-core machine, 2000 × 2000, both axes: direct ≈ FFT at 13–17 taps (float64 78 vs 89 ms at
#: 13, 104 vs 89 ms at 17; float32 49 vs 48 ms at 13, 82 vs 50 ms at 21).
DIRECT_MAX_TAPS = 16
#: Bytes per block of the direct filter.  Measured (4000 × 4000, 3/5/9 taps): 256 KiB blocks
#: 58/92/170 ms, 1 MiB 33–37/58/104–113 ms, 4 MiB 49/80/134 ms (float64): large enough that
#: the Python overhead per ufunc call is amortised, small enough for the caches.
BLOCK_BYTES = 1 << 20


def apply_filters(x: np.ndarray, plans: Sequence[AxisFilter | None], method: str) -> np.ndarray:
    """``x`` filtered by ``plans[a]`` along each axis ``a`` (``None``: untouched), in order.

    ``x`` already has the compute dtype; it is read, never written.  The result
    is a new C-contiguous array.
    """
    cur = np.ascontiguousarray(x)
    if method == "auto" and any(p is not None and p.taps > DIRECT_MAX_TAPS for p in plans):
        # an FFT spreads a NaN or inf over the whole line (and rounds relative to the
        # largest entry): non-finite data take the direct passes, as scipy.ndimage does
        method = "auto" if bool(np.isfinite(x).all()) else "direct"
    group: list[tuple[int, AxisFilter]] = []
    for axis, plan in enumerate(plans):
        if plan is None:
            continue
        fft = method == "fft" or (method == "auto" and plan.taps > DIRECT_MAX_TAPS)
        if not fft:
            group.append((axis, plan))
            continue
        if group:
            cur = _direct(cur, group)
            group = []
        cur = _fft_pass(cur, plan, axis)
    if group:
        cur = _direct(cur, group)
    if cur is x:  # nothing to filter: still a new array (inputs are never shared)
        cur = x.copy()
    return cur


# ---- direct: scaled slices, fused per block ------------------------------------------------
def _direct(x: np.ndarray, passes: list[tuple[int, AxisFilter]]) -> np.ndarray:
    shape = x.shape
    n0 = shape[0]
    row = math.prod(shape[1:])  # elements per slab along axis 0
    rows = max(1, BLOCK_BYTES // max(1, row * x.itemsize))
    parts = max(1, -(-n0 // rows))
    bounds = [round(i * n0 / parts) for i in range(parts + 1)]
    chunks = [slice(a, b) for a, b in itertools.pairwise(bounds) if b > a]
    width = max(c.stop - c.start for c in chunks) * row
    out = np.empty(shape, dtype=x.dtype)
    buffers: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def task(worker: int, chunk: slice) -> None:
        if worker not in buffers:
            buffers[worker] = (
                np.empty(width, dtype=x.dtype),
                np.empty(width, dtype=x.dtype),
                np.empty(width, dtype=x.dtype),
            )
        a_buf, b_buf, tmp = buffers[worker]
        r0, r1 = chunk.start, chunk.stop
        m = r1 - r0
        block_shape = (m, *shape[1:])
        src: np.ndarray = x[r0:r1]
        spare = [a_buf, b_buf]
        for p, (axis, plan) in enumerate(passes):
            if p == len(passes) - 1:
                dst = out[r0:r1]
            else:
                dst = spare[p % 2][: m * row].reshape(block_shape)
            if axis == 0:
                _axis0(x.reshape(n0, row), dst.reshape(m, row), plan, r0, r1, tmp)
            else:
                _inner(src, dst, plan, axis, tmp)
            src = dst

    run_chunks(task, chunks, row)
    return out


def _accumulate(
    dst: np.ndarray, sources: list[np.ndarray], weights: np.ndarray, tmp: np.ndarray
) -> None:
    """``dst = Σ_k weights[k] · sources[k]`` (all one shape), through ``tmp`` (flat)."""
    t = tmp[: dst.size].reshape(dst.shape)
    np.multiply(sources[0], weights[0], out=dst)
    for s, wk in zip(sources[1:], weights[1:]):
        np.multiply(s, wk, out=t)
        np.add(dst, t, out=dst)


def _axis0(
    x2: np.ndarray, dst: np.ndarray, plan: AxisFilter, r0: int, r1: int, tmp: np.ndarray
) -> None:
    """Rows ``r0:r1`` of axis 0's pass: ``x2`` is the whole input as ``(n0, row)``."""
    w, c = plan.weights, plan.center
    a, b = max(r0, plan.lo), min(r1, plan.hi)
    if b > a:  # interior rows i read x2[i − c + k]
        _accumulate(
            dst[a - r0 : b - r0],
            [x2[a - c + k : b - c + k] for k in range(plan.taps)],
            w,
            tmp,
        )
    for i, cols, vals in plan.edges:
        if r0 <= i < r1:
            _edge(dst[i - r0], x2, cols, vals, plan.border[i], tmp, axis=0)


def _inner(src: np.ndarray, dst: np.ndarray, plan: AxisFilter, axis: int, tmp: np.ndarray) -> None:
    """The pass along ``axis ≥ 1`` of one block, ``src → dst`` (both C-contiguous)."""
    shape = src.shape
    pre = math.prod(shape[:axis])
    post = math.prod(shape[axis + 1 :])
    n = plan.n
    w, c, lo, hi = plan.weights, plan.center, plan.lo, plan.hi
    if post == 1:  # the contiguous last axis: (pre, n)
        s2, d2 = src.reshape(pre, n), dst.reshape(pre, n)
        if hi > lo:
            _accumulate(
                d2[:, lo:hi], [s2[:, lo - c + k : hi - c + k] for k in range(plan.taps)], w, tmp
            )
        for i, cols, vals in plan.edges:
            _edge(d2[:, i], s2, cols, vals, plan.border[i], tmp, axis=1)
        return
    s3, d3 = src.reshape(pre, n, post), dst.reshape(pre, n, post)
    if hi > lo:
        _accumulate(
            d3[:, lo:hi], [s3[:, lo - c + k : hi - c + k] for k in range(plan.taps)], w, tmp
        )
    for i, cols, vals in plan.edges:
        _edge(d3[:, i], s3, cols, vals, plan.border[i], tmp, axis=1)


def _edge(
    dst: np.ndarray,
    src: np.ndarray,
    cols: np.ndarray,
    vals: np.ndarray,
    border: Any,
    tmp: np.ndarray,
    axis: int,
) -> None:
    """One boundary output: ``dst = Σ_j vals[j] · src[cols[j]] + border`` along ``axis``."""
    if cols.shape[0] == 0:
        dst[...] = border
        return
    take = (lambda j: src[j]) if axis == 0 else (lambda j: src[:, j])
    _accumulate(dst, [take(int(j)) for j in cols], vals, tmp)
    if border != 0:
        np.add(dst, border, out=dst)


# ---- FFT: one transform product along the axis, in cache-sized chunks ------------------
def _fft_pass(x: np.ndarray, plan: AxisFilter, axis: int) -> np.ndarray:
    """The pass along ``axis`` by FFT: ``out[i] = Σ_k w[k] · x_ext[i + k]``.

    ``x_ext[t] = x[ext(t − c)]``, ``t = 0, …, n + L − 2`` (zero where
    ``OUTSIDE``); the correlation is the convolution with the reversed weights,
    whose circular form of length ``size ≥ n + L − 1`` is exact at the
    outputs ``L − 1, …, L + n − 2`` kept.  The array is cut into pieces of
    about :data:`~kronblock.operators._columns.CHUNK_ELEMENTS` transformed
    elements (lines along ``axis``), shared out over the threads.
    """
    shape = x.shape
    n, taps, c = plan.n, plan.taps, plan.center
    pre, post = math.prod(shape[:axis]), math.prod(shape[axis + 1 :])
    idx = extend_index(np.arange(-c, n + taps - 1 - c), n, plan.mode)
    outside = idx < 0
    gather = np.where(outside, 0, idx)
    any_outside = bool(outside.any())
    complex_ = np.iscomplexobj(x) or np.iscomplexobj(plan.weights)
    size = scipy.fft.next_fast_len(n + taps - 1, real=not complex_)
    flip = plan.weights[::-1]
    spec_w = scipy.fft.fft(flip, size) if complex_ else scipy.fft.rfft(flip, size)
    spec_w = spec_w.astype(np.result_type(x.dtype, np.complex64), copy=False)
    forward, backward = (
        (scipy.fft.fft, scipy.fft.ifft) if complex_ else (scipy.fft.rfft, scipy.fft.irfft)
    )
    add_border = plan.mode == "constant" and plan.cval != 0
    x3 = x.reshape(pre, n, post)
    out = np.empty(shape, dtype=x.dtype)
    o3 = out.reshape(pre, n, post)
    keep = slice(taps - 1, taps - 1 + n)

    def lines(src: np.ndarray, line_axis: int) -> np.ndarray:
        """Filtered lines of ``src`` along ``line_axis`` (0 or 1)."""
        ext = np.take(src, gather, axis=line_axis)  # (n + L − 1) samples per line
        if any_outside:
            ext[(outside, slice(None)) if line_axis == 0 else (slice(None), outside)] = 0
        spec = forward(ext, size, axis=line_axis)
        spec *= spec_w[:, None] if line_axis == 0 else spec_w[None, :]
        full = backward(spec, size, axis=line_axis)
        return full[keep] if line_axis == 0 else full[:, keep]

    if post == 1:  # lines are the rows of (pre, n)
        chunks = column_chunks(pre, size)

        def rows_task(worker: int, chunk: slice) -> None:
            o3[chunk, :, 0] = lines(x3[chunk, :, 0], 1)

        run_chunks(rows_task, chunks, size)
    else:  # lines are the columns of each (n, post) slab
        per = column_chunks(post, size)
        items = [(p, q) for p in range(pre) for q in per]

        def cols_task(worker: int, chunk: slice) -> None:
            for p, q in items[chunk]:
                o3[p, :, q] = lines(x3[p, :, q], 0)

        run_chunks(
            cols_task,
            [slice(i, i + 1) for i in range(len(items))],
            size * max(q.stop - q.start for q in per),
        )
    if add_border:
        b = plan.border.reshape([-1 if a == axis else 1 for a in range(x.ndim)])
        np.add(out, b, out=out)
    return out
