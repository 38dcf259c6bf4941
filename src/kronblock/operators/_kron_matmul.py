"""The Kronecker matmul kernel: ``(A₁ ⊗ … ⊗ A_K) @ X`` without forming the product.

The right-hand side ``X`` of shape ``(N, k)`` is viewed as the tensor
``(n₁, …, n_K, k)`` and every factor is applied along its own axis
(``vec``-trick, row-major): the *mode product*.  For factor ``i`` the current
intermediate is viewed, without copying, as ``(left, nᵢ, right)`` and becomes
``(left, mᵢ, right)``:

- ``left == 1``: one GEMM ``Aᵢ (nᵢ × right)``;
- ``right == 1``: one GEMM ``X (left × nᵢ) · Aᵢᵀ``;
- otherwise: one batched GEMM over ``left`` (``Aᵢ`` broadcast, no transposed copy
  of the intermediate).

Four decisions make it fast, each a small readable function below:

1. **Order** (:func:`mode_order`): factors that shrink the intermediate go first
   (exchange argument on the flop count).
2. **Merging** (:func:`merge_plan`): runs of adjacent small square dense factors
   are merged into one dense factor (their Kronecker product) when the cost model
   says fewer, larger GEMMs and fewer passes over the N-vector beat the extra
   flops (``kron(4×4, …, 4×4)`` with eight factors runs as four 16×16 passes).
3. **Schedule** (:func:`numpy_program`, one column, dense factors): the same
   passes can run in three layouts, the mode products above (``"modes"``) or
   one plain GEMM per factor with the layout rotating (``"rotate"``: the front
   axis ``(n, rest)ᵀ @ Aᵀ`` to the back; ``"rotate_back"``: the back axis
   ``A @ (rest, n)ᵀ`` to the front).  Same flops, but BLAS runs them at
   different speeds (batched small GEMMs, which operand is transposed), and
   which wins depends on the BLAS and the dtype.  Vectors that fit in cache
   take ``"rotate"`` (:class:`SmallRotation`, its views made once); larger ones
   are measured: the first dozen products of each factor-shape and dtype try
   the three in turn and the fastest is kept for the process
   (:class:`Tuning`; ``KRONBLOCK_TUNE=0`` keeps ``"modes"``).
4. **Buffers** (NumPy): every pass writes into one of at most two work buffers
   with ``out=``, the last into the result, so a product allocates only the
   result; the work buffers come from one process-wide pool (:data:`WORK_POOL`,
   up to 256 MiB) shared by every product, so even a fresh operator (the
   factor inverses of a new solve) finds its pages already mapped (fresh pages
   cost as much as a pass).  Other libraries take the
   array-API path, which allocates per pass (PyTorch's caching allocator makes
   that cheap).

Memory: the result plus at most two work buffers of the largest intermediate:
O(N·k), never ``M × N``.
"""

from __future__ import annotations

import functools
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array_api import Array, Namespace, is_numpy_namespace
from .._operator import AbstractLinearOperator
from ._dense import Dense, Diagonal, Identity

__all__ = ["apply_general", "kron_matmat", "merge_plan", "mode_order"]

# ---- the cost model ------------------------------------------------------------------------
#: Modelled machine for merge decisions (orders of magnitude of a laptop/server core pair;
#: only ratios between candidate plans matter).
GEMM_RATE = 50e9  # flop/s of a large GEMM
BANDWIDTH = 10e9  # bytes/s of a pass over an intermediate that does not fit in cache
PASS_OVERHEAD = 4e-6  # s of Python and dispatch per pass
CALL_OVERHEAD = 1e-7  # s per small GEMM inside a batched matmul
MAX_MERGED = 16  # a merged factor is at most MAX_MERGED × MAX_MERGED (measured: 16 beats 64, 256)
MAX_MERGE_INPUT = 64  # only factors up to this size are merge candidates
RETAIN_MAX = 256 * 2**20  # bytes of work buffers the process-wide pool keeps between products
ROTATE_MAX = 1 << 14  # vectors up to this length use the rotation schedule (see _rotation)


def gemm_efficiency(q: int) -> float:
    """Fraction of the GEMM rate reached with inner dimension ``q`` (saturating; 1 for q = 0)."""
    return q / (q + 16.0) if q > 0 else 1.0


def pass_time(size: int, q: int, left: int, itemsize: int) -> float:
    """Modelled seconds of one pass of a ``q × q`` factor over an intermediate of ``size``.

    ``max(flops / rate, bytes / bandwidth)`` plus the overheads of the pass and
    of its ``left`` batched GEMM calls.
    """
    flops = 2.0 * size * q
    compute = flops / (GEMM_RATE * gemm_efficiency(q))
    memory = 2.0 * size * itemsize / BANDWIDTH
    return max(compute, memory) + PASS_OVERHEAD + CALL_OVERHEAD * left


@functools.lru_cache(maxsize=256)
def _merge_plan_cached(
    shapes: tuple[tuple[int, int], ...], mergeable: tuple[bool, ...], k: int, itemsize: int
) -> tuple[tuple[int, int], ...]:
    return tuple(merge_plan(shapes, mergeable, k, itemsize))


def merge_plan(
    shapes: Sequence[tuple[int, int]], mergeable: Sequence[bool], k: int, itemsize: int
) -> list[tuple[int, int]]:
    """Contiguous groups ``[start, stop)`` of factors, each applied as one pass.

    Only runs of adjacent *mergeable* factors (dense, square, at most
    ``MAX_MERGE_INPUT``) are grouped, into merged sizes of at most
    ``MAX_MERGED``; a dynamic program over each run minimises the summed
    :func:`pass_time` (passes of square factors keep the intermediate size
    ``N·k``, so each group's cost is independent of the others).  Forming a
    merged factor costs ``q²`` writes, included.
    """
    size = math.prod(n for _, n in shapes) * k
    groups: list[tuple[int, int]] = []
    i = 0
    while i < len(shapes):
        if not mergeable[i]:
            groups.append((i, i + 1))
            i += 1
            continue
        j = i
        while j < len(shapes) and mergeable[j]:
            j += 1
        groups.extend(_best_partition(shapes, i, j, size, itemsize))
        i = j
    return groups


def _best_partition(
    shapes: Sequence[tuple[int, int]], lo: int, hi: int, size: int, itemsize: int
) -> list[tuple[int, int]]:
    best: list[float] = [0.0] + [math.inf] * (hi - lo)
    prev = [0] * (hi - lo + 1)
    for end in range(lo + 1, hi + 1):
        q = 1
        for start in range(end - 1, lo - 1, -1):
            q *= shapes[start][1]
            if q > MAX_MERGED and start < end - 1:
                break
            left = math.prod(n for _, n in shapes[:start])
            cost = pass_time(size, q, left, itemsize)
            if end - start > 1:
                cost += q * q * itemsize / BANDWIDTH + PASS_OVERHEAD
            if best[start - lo] + cost < best[end - lo]:
                best[end - lo] = best[start - lo] + cost
                prev[end - lo] = start
    out = []
    end = hi
    while end > lo:
        start = prev[end - lo]
        out.append((start, end))
        end = start
    return out[::-1]


def mode_order(shapes: Sequence[tuple[int, int]], skip: Sequence[bool]) -> list[int]:
    """The order to apply factors in, minimising flops.

    Applying factor ``i`` to an intermediate of size ``S`` costs ``2·S·mᵢ`` and
    leaves size ``S·mᵢ/nᵢ``.  An exchange argument shows ``i`` should come
    before ``j`` iff ``1/mᵢ − 1/nᵢ > 1/mⱼ − 1/nⱼ``: shrinking factors first,
    growing ones last.  Skipped (identity) factors cost nothing and are left out.
    """
    keyed = [
        (-(1.0 / m - 1.0 / n) if m and n else 0.0, i)
        for i, (m, n) in enumerate(shapes)
        if not skip[i]
    ]
    return [i for _, i in sorted(keyed)]


# ---- the plan ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One pass: factor ``factor`` along the middle axis of ``(left, n, right)``."""

    factor: AbstractLinearOperator
    left: int
    n: int
    m: int
    right: int
    axis: int  # the (merged) factor's axis in the tensor

    @property
    def size_out(self) -> int:
        return self.left * self.m * self.right


def _merge(
    xp: Namespace, factors: Sequence[AbstractLinearOperator], dtype: Any
) -> AbstractLinearOperator:
    # the Kronecker product of a few small factors, formed in the working dtype
    if len(factors) == 1:
        return factors[0]
    out = xp.astype(factors[0].to_dense(), dtype)
    for f in factors[1:]:
        a = xp.astype(f.to_dense(), dtype)
        m1, n1 = out.shape
        m2, n2 = a.shape
        out = xp.reshape(out[:, None, :, None] * a[None, :, None, :], (m1 * m2, n1 * n2))
    return Dense(out)


def plan(
    xp: Namespace, factors: Sequence[AbstractLinearOperator], k: int, dtype: Any
) -> list[Step]:
    """Merge, order and lay out the passes of ``kron(*factors) @ X`` (``k`` columns, ``dtype``)."""
    itemsize = _itemsize(dtype)
    shapes = [f.shape for f in factors]
    mergeable = [
        isinstance(f, Dense) and f.shape[0] == f.shape[1] <= MAX_MERGE_INPUT for f in factors
    ]
    groups = _merge_plan_cached(tuple(shapes), tuple(mergeable), k, itemsize)  # pure: memoised
    merged = [_merge(xp, factors[a:b], dtype) for a, b in groups]
    mshapes = [f.shape for f in merged]
    dims = [n for _, n in mshapes]
    steps = []
    for i in mode_order(mshapes, [isinstance(f, Identity) for f in merged]):
        m, n = mshapes[i]
        left = math.prod(dims[:i])
        right = math.prod(dims[i + 1 :]) * k
        steps.append(Step(merged[i], left, n, m, right, i))
        dims[i] = m
    return steps


# ---- execution -----------------------------------------------------------------------------------
def kron_matmat(
    xp: Namespace,
    factors: Sequence[AbstractLinearOperator],
    x: Array,
    cache: dict[Any, Any] | None = None,
) -> Array:
    """``kron(*factors) @ x`` for ``x`` of shape ``(N, k)``: shape ``(M, k)``.

    ``cache`` (the operator's own, optional) keeps the plan of each
    ``(k, dtype, library)`` seen: the factors are immutable, so a plan stays
    valid, and small products stop paying for planning on every call.
    """
    n_cols = x.shape[1]
    key = (n_cols, x.dtype, type(x))
    program = cache.get(key) if cache is not None else None
    if program is None:
        m_total = math.prod(f.shape[0] for f in factors)
        steps = plan(xp, factors, n_cols, x.dtype)
        if steps and is_numpy_namespace(xp) and isinstance(x, np.ndarray) and _numpy_ready(steps):
            program = numpy_program(steps, x.dtype, m_total, n_cols)
        else:
            program = (tuple(steps), m_total)
        if cache is not None:
            if len(cache) >= 8:
                cache.clear()
            cache[key] = program
    if isinstance(program, (NumpyProgram, TunedProgram, SmallRotation)):
        return program.run(x)
    passes, m_total = program
    if not passes:  # I⊗…⊗I: a fresh array, never the caller's
        return xp.asarray(x, copy=True)
    y = x
    for st in passes:
        y = _apply_step(xp, st, xp.reshape(y, (st.left, st.n, st.right)))
    return xp.reshape(y, (m_total, n_cols))


def _itemsize(dtype: Any) -> int:
    from .._operator import _itemsize as itemsize_of

    return itemsize_of(None, dtype)


def _numpy_ready(steps: Sequence[Step]) -> bool:
    return all(
        (isinstance(s.factor, Dense) and isinstance(s.factor.array, np.ndarray))
        or (isinstance(s.factor, Diagonal) and isinstance(s.factor.diagonal, np.ndarray))
        for s in steps
    )


@dataclass(frozen=True)
class NumpyProgram:
    """The passes of a NumPy product with their operands prepared and buffers laid out.

    Every pass writes into preallocated buffers with ``out=``: the result and at
    most two work buffers.  Buffers alternate backwards from the last pass,
    which writes the result; a pass whose output would not fit the result's
    buffer uses the second work buffer.  The input is only read.
    """

    kinds: tuple[str, ...]  # "left", "right", "rotate", "rotate_back" (one GEMM each),
    # "batched", "diagonal"
    operands: tuple[np.ndarray, ...]  # factor in the working dtype (broadcast for "batched")
    shapes: tuple[tuple[int, int, int, int], ...]  # (left, n, m, right)
    targets: tuple[int, ...]  # 0: result, 1: work, 2: second work
    work_sizes: tuple[int, int]
    m_total: int
    n_cols: int

    @classmethod
    def build(cls, steps: Sequence[Step], dtype: Any, m_total: int, n_cols: int) -> NumpyProgram:
        kinds, operands, shapes, targets = [], [], [], []
        sizes = [0, 0, 0]
        for j, s in enumerate(steps):
            f = s.factor
            if isinstance(f, Diagonal):
                kind, op = "diagonal", f.diagonal.astype(dtype, copy=False)[None, :, None]
            elif s.axis == ROTATE:  # (n, rest)ᵀ @ Aᵀ → (rest, m)
                kind, op = "rotate", f.array.astype(dtype, copy=False).T  # type: ignore[attr-defined]
            elif s.axis == ROTATE_BACK:  # A @ (rest, n)ᵀ → (m, rest)
                kind, op = "rotate_back", f.array.astype(dtype, copy=False)  # type: ignore[attr-defined]
            else:
                a = f.array.astype(dtype, copy=False)  # type: ignore[attr-defined]
                if s.left == 1:
                    kind, op = "left", a
                elif s.right == 1:
                    kind, op = "right", a.T
                else:  # the explicit broadcast keeps NumPy's batched matmul on BLAS
                    kind, op = "batched", np.broadcast_to(a, (s.left, s.m, s.n))
            t = 0 if (len(steps) - 1 - j) % 2 == 0 else 1
            if t == 0 and s.size_out > m_total * n_cols:
                t = 2
            sizes[t] = max(sizes[t], s.size_out)
            kinds.append(kind)
            operands.append(op)
            shapes.append((s.left, s.n, s.m, s.right))
            targets.append(t)
        return cls(
            tuple(kinds), tuple(operands), tuple(shapes), tuple(targets),
            (sizes[1], sizes[2]), m_total, n_cols,
        )  # fmt: skip

    def run(self, x: np.ndarray) -> np.ndarray:
        """``K @ x``; the result is always a fresh array.

        The work buffers come from :data:`WORK_POOL`, shared by every NumPy
        program (up to ``RETAIN_MAX`` bytes): fresh pages cost about as much as
        a pass over them, and a solve builds a new Kronecker product of factor
        inverses each time.  A product running while another holds the pool
        (threads) allocates its own.
        """
        return WORK_POOL.run(self, x)

    def _fresh_work(self, dtype: Any) -> list[np.ndarray | None]:
        return [np.empty(n, dtype=dtype) if n else None for n in self.work_sizes]

    def _run(
        self, x: np.ndarray, work: list[np.ndarray | None], out: np.ndarray | None = None
    ) -> np.ndarray:
        # out: the result's flat buffer (fresh unless given)
        if out is None:
            out = np.empty(self.m_total * self.n_cols, dtype=x.dtype)
        bufs = (
            out,
            work[0] if work[0] is not None else out,
            work[1] if work[1] is not None else out,
        )
        cur = x
        for kind, op, (left, n, m, right), t in zip(
            self.kinds, self.operands, self.shapes, self.targets
        ):
            if kind == "rotate":  # left = 1: the leading axis in, a trailing axis out
                o2 = bufs[t][: right * m].reshape(right, m)
                np.matmul(cur.reshape(n, right).T, op, out=o2)
                cur = o2
                continue
            if kind == "rotate_back":  # left = 1: the trailing axis in, a leading axis out
                o2 = bufs[t][: m * right].reshape(m, right)
                np.matmul(op, cur.reshape(right, n).T, out=o2)
                cur = o2
                continue
            x3 = cur.reshape(left, n, right)
            o = bufs[t][: left * m * right].reshape(left, m, right)
            if kind == "left":  # (m, n) @ (n, right)
                np.matmul(op, x3[0], out=o[0])
            elif kind == "right":  # (left, n) @ (n, m)
                np.matmul(x3[:, :, 0], op, out=o[:, :, 0])
            elif kind == "batched":
                np.matmul(op, x3, out=o)
            else:
                np.multiply(op, x3, out=o)
            cur = o
        return out.reshape(self.m_total, self.n_cols)


class WorkPool:
    """Two work buffers per dtype, shared by all NumPy programs, grown to the largest need.

    ``run`` lends views of them to one product at a time (a lock; a product that
    finds the pool busy allocates its own buffers); buffers larger than
    ``RETAIN_MAX`` in total are not kept.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffers: dict[str, list[np.ndarray]] = {}

    def run(
        self, program: NumpyProgram, x: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        need = [n * x.dtype.itemsize for n in program.work_sizes]
        if sum(need) > RETAIN_MAX or not self._lock.acquire(blocking=False):
            return program._run(x, program._fresh_work(x.dtype), out)
        try:
            return program._run(x, self._lend(x.dtype, program.work_sizes), out)
        finally:
            self._lock.release()

    def _lend(self, dtype: Any, sizes: tuple[int, int]) -> list[np.ndarray | None]:
        key = np.dtype(dtype).str
        have = self._buffers.get(key)
        if have is None or any(b.shape[0] < n for b, n in zip(have, sizes)):
            # grow (never shrink): other dtypes' buffers are dropped to bound the memory
            self._buffers = {
                key: [
                    np.empty(max(n, 0 if have is None else b.shape[0]), dtype=dtype)
                    for n, b in zip(sizes, have or [np.empty(0)] * 2)
                ]
            }
            have = self._buffers[key]
        return [have[i][:n] if n else None for i, n in enumerate(sizes)]


#: The process-wide pool of work buffers (see :class:`WorkPool`).
WORK_POOL = WorkPool()


# ---- schedules: the same passes in other memory layouts ------------------------------------
ROTATE, ROTATE_BACK = -1, -2  # Step.axis of a rotation pass


def _rotatable(steps: Sequence[Step]) -> bool:
    # one column and every axis a dense factor: no identity skipped, no diagonal
    n_total = steps[0].left * steps[0].n * steps[0].right
    covered = math.prod(st.n for st in steps) == n_total
    axes = sorted(st.axis for st in steps)
    dense = all(isinstance(st.factor, Dense) for st in steps)
    return covered and dense and axes == list(range(len(steps)))


def _rotation(steps: Sequence[Step]) -> list[Step]:
    """The cyclic rotation schedule: one plain GEMM per factor, the front axis moving back.

    With the tensor laid out ``(n_a, rest)``, ``(n_a, rest)ᵀ @ A_aᵀ`` is
    ``(rest, m_a)``: the factor's axis leaves the front and comes back at the
    end, so after all factors, in axis order, the layout is ``(m₁, …, m_K)``.
    No batched small GEMMs: for products that fit in cache the per-call
    overhead is what counts.  Marked by ``axis = ROTATE``.
    """
    ordered = sorted(steps, key=lambda st: st.axis)
    dims = [st.n for st in ordered]
    out = []
    for i, st in enumerate(ordered):
        rest = math.prod(dims[i + 1 :]) * math.prod(o.m for o in ordered[:i])
        out.append(Step(st.factor, 1, st.n, st.m, rest, ROTATE))
    return out


def _rotation_back(steps: Sequence[Step]) -> list[Step]:
    """The other rotation: the back axis moves to the front, ``A_a @ (rest, n_a)ᵀ``.

    Factors in reverse axis order: after the last axis the layout is
    ``(m_K, n₁, …, n_{K−1})``, and after all of them ``(m₁, …, m_K)``.  Same
    flops as :func:`_rotation`; BLAS sees the transposed operand on the other
    side, which some kernels run faster.  Marked by ``axis = ROTATE_BACK``.
    """
    ordered = sorted(steps, key=lambda st: st.axis)
    dims = [st.n for st in ordered]
    out = []
    for i in range(len(ordered) - 1, -1, -1):
        st = ordered[i]
        rest = math.prod(dims[:i]) * math.prod(o.m for o in ordered[i + 1 :])
        out.append(Step(st.factor, 1, st.n, st.m, rest, ROTATE_BACK))
    return out


def numpy_program(
    steps: Sequence[Step], dtype: Any, m_total: int, n_cols: int
) -> NumpyProgram | TunedProgram | SmallRotation:
    """The NumPy program of a plan: one schedule, or several tried in turn (:class:`TunedProgram`).

    Three schedules run the same passes with the same flops in different
    layouts: ``"modes"`` (each factor along its own axis: one GEMM for the
    first and last axes, a batched GEMM for middle ones), ``"rotate"`` and
    ``"rotate_back"`` (one plain GEMM per factor, the layout rotating; one
    column and dense factors only).  Which is fastest depends on the BLAS
    kernels (a transposed operand, many small GEMMs), not only on flops:
    measured on a 2-core AMD EPYC with OpenBLAS 0.3.31, ``kron`` of three
    100×100 factors took 6.1 / 7.3 / 5.2 ms in float64 and 2.8 / 2.2 / 2.7 ms
    in float32.  So vectors that fit in cache (at most ``ROTATE_MAX``) take
    ``"rotate"`` (no batched calls), and larger ones choose by measurement.
    """
    build = functools.partial(NumpyProgram.build, dtype=dtype, m_total=m_total, n_cols=n_cols)
    n_total = steps[0].left * steps[0].n * steps[0].right
    if n_cols > 1 or not _rotatable(steps) or len(steps) == 1:
        return build(steps)
    if max(n_total, m_total) <= ROTATE_MAX:
        return SmallRotation.build(build(_rotation(steps)))
    programs = {
        "modes": build(steps),
        "rotate": build(_rotation(steps)),
        "rotate_back": build(_rotation_back(steps)),
    }
    if not TUNING.enabled:
        return programs["modes"]
    key = (tuple((st.factor.shape, st.axis) for st in steps), np.dtype(dtype).str)
    return TunedProgram(programs, TUNING.trials(key, tuple(programs)), m_total * n_cols)


class SmallRotation:
    """A rotation program for vectors that fit in cache, its views made once.

    At this size a product is a few microseconds of GEMM and as many of Python:
    the work buffers are the program's own and every view of them is made at
    construction, so a product is one ``np.matmul`` per factor (the input's
    view, the fresh result's view and nothing else).  A product that finds
    the buffers in use (threads) runs the general program.
    """

    def __init__(self, program: NumpyProgram, dtype: Any) -> None:
        self.general = program
        shapes = program.shapes  # (1, n, m, rest) per pass
        size = max(r * m for _, _, m, r in shapes)  # the largest intermediate
        bufs = (np.empty(size, dtype=dtype), np.empty(size, dtype=dtype))
        self._first = (shapes[0][1], shapes[0][3])
        self._last = (shapes[-1][3], shapes[-1][2])
        self._ops = program.operands
        # outputs of passes 0..K−2 and inputs of passes 1..K−1: alternate buffers
        self._outs = tuple(
            bufs[j % 2][: r * m].reshape(r, m) for j, (_, _, m, r) in enumerate(shapes[:-1])
        )
        self._ins = tuple(
            bufs[j % 2][: n * r].reshape(n, r).T for j, (_, n, _, r) in enumerate(shapes[1:])
        )
        self._lock = threading.Lock()
        self._m, self._dtype = program.m_total, dtype

    @classmethod
    def build(cls, program: NumpyProgram) -> SmallRotation:
        return cls(program, program.operands[0].dtype)

    def run(self, x: np.ndarray) -> np.ndarray:
        if not self._lock.acquire(blocking=False):
            return self.general.run(x)
        try:
            ops = self._ops
            cur = x.reshape(self._first).T
            for op, o, nxt in zip(ops, self._outs, self._ins):
                np.matmul(cur, op, out=o)  # (rest, n) @ (n, m) → (rest, m)
                cur = nxt
            out = np.empty(self._m, dtype=self._dtype)
            np.matmul(cur, ops[-1], out=out.reshape(self._last))
            return out.reshape(self._m, 1)
        finally:
            self._lock.release()


@dataclass
class Trials:
    """Timings of the candidate schedules of one kind of product, and the choice once made.

    Products take the candidates in turn, the one with the fewest timings
    first; once each has ``rounds + 1`` timings, the first of which (cold
    pages, caches) is dropped, the one with the fastest remaining timing is
    kept for good (the best time, not the median: a shared machine only ever
    slows a call down).  Shared by every operator with the same factor shapes
    and dtype.
    """

    names: tuple[str, ...]
    rounds: int
    times: dict[str, list[float]]
    choice: str | None = None

    def next(self) -> str:
        """The schedule the next product runs."""
        if self.choice is not None:
            return self.choice
        return min(self.names, key=lambda name: len(self.times[name]))

    def record(self, name: str, seconds: float) -> None:
        """Add one timing; choose when every candidate has enough."""
        self.times[name].append(seconds)
        if all(len(self.times[n]) > self.rounds for n in self.names):
            best = {n: min(self.times[n][1:]) for n in self.names}
            self.choice = min(self.names, key=best.__getitem__)


class Tuning:
    """The process-wide table of :class:`Trials`, keyed by factor shapes and dtype.

    While a kind of product is being measured, each product's result has its
    pages touched before the clock starts (fresh pages would cost as much as a
    pass and blur the timings); the memory is the same as an untimed product's
    (the result and the pool's two work buffers).  ``enabled = False`` (or the environment
    variable ``KRONBLOCK_TUNE=0`` at import) turns measurement off: every
    product then runs the ``"modes"`` schedule, so results are bitwise
    repeatable from the first call (the schedules sum in different orders and
    can differ in the last bits while they are tried).
    """

    def __init__(self, rounds: int = 3) -> None:
        self.enabled = os.environ.get("KRONBLOCK_TUNE", "1") != "0"
        self.rounds = rounds
        self._lock = threading.Lock()
        self._busy = threading.Lock()  # held by the one product being measured
        self._table: dict[Any, Trials] = {}

    def trials(self, key: Any, names: tuple[str, ...]) -> Trials:
        """The trials of ``key``, made on first use (at most 256 kinds are kept)."""
        with self._lock:
            found = self._table.get(key)
            if found is None:
                if len(self._table) >= 256:
                    self._table.clear()
                found = self._table[key] = Trials(names, self.rounds, {n: [] for n in names})
            return found

    def measure(self, program: TunedProgram, x: np.ndarray) -> np.ndarray | None:
        """Run and time the next candidate of ``program``; ``None`` if another is being timed."""
        if not self._busy.acquire(blocking=False):
            return None
        try:
            trials = program.trials
            name = trials.next()
            out = np.empty(program.size, dtype=x.dtype)
            out.fill(0)  # its pages, before the clock starts
            start = time.perf_counter()
            y = WORK_POOL.run(program.programs[name], x, out=out)
            seconds = time.perf_counter() - start
            with self._lock:
                trials.record(name, seconds)
            return y
        finally:
            self._busy.release()

    def choices(self) -> list[dict[str, Any]]:
        """What was measured: per kind of product, the factor shapes in pass order, the
        dtype, the choice (``None`` while still trying) and each schedule's best time (s).
        """
        with self._lock:
            table = list(self._table.items())
        return [
            {
                "factors": [shape for shape, _ in key[0]],
                "dtype": np.dtype(key[1]).name,
                "choice": t.choice,
                "best_s": {n: min(v[1:]) for n, v in t.times.items() if len(v) > 1},
            }
            for key, t in table
        ]

    def clear(self) -> None:
        """Forget every measurement (the next products measure again)."""
        with self._lock:
            self._table.clear()


#: The process-wide schedule measurements (see :class:`Tuning`).
TUNING = Tuning()


@dataclass(frozen=True)
class TunedProgram:
    """Equivalent NumPy programs of one product; :class:`Trials` says which one runs."""

    programs: dict[str, NumpyProgram]
    trials: Trials
    size: int  # elements of the result

    def run(self, x: np.ndarray) -> np.ndarray:
        choice = self.trials.choice
        if choice is None:
            y = TUNING.measure(self, x)
            if y is not None:
                return y
        return self.programs[choice or "modes"].run(x)


def _apply_step(xp: Namespace, s: Step, x3: Array) -> Array:
    """``(left, n, right) → (left, m, right)`` on any array-API library."""
    f = s.factor
    if isinstance(f, Dense):
        a = f.array if f.array.dtype == x3.dtype else xp.astype(f.array, x3.dtype)
        if s.left == 1:
            return xp.reshape(a @ x3[0, ...], (1, s.m, s.right))
        if s.right == 1:
            return xp.reshape(x3[..., 0] @ xp.matrix_transpose(a), (s.left, s.m, 1))
        return xp.matmul(xp.broadcast_to(a, (s.left, s.m, s.n)), x3)
    if isinstance(f, Diagonal):
        d = f.diagonal if f.diagonal.dtype == x3.dtype else xp.astype(f.diagonal, x3.dtype)
        return d[None, :, None] * x3
    return apply_general(xp, f._matmat, x3, s.m)


def apply_general(xp: Namespace, matmat: Callable[[Array], Array], x3: Array, m: int) -> Array:
    """Any operator along the middle axis: to the front (one copy), apply, move back."""
    left, n, right = x3.shape
    if left == 1:
        return xp.reshape(matmat(x3[0, ...]), (1, m, right))
    x2 = xp.reshape(xp.permute_dims(x3, (1, 0, 2)), (n, left * right))
    y2 = matmat(x2)
    return xp.permute_dims(xp.reshape(y2, (m, left, right)), (1, 0, 2))
