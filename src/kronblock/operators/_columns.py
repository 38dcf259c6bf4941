"""Independent right-hand-side columns in cache-sized chunks, on several cores.

An FFT product ``(n, k) → (rows, k)`` treats every column on its own.  Two
things make many columns faster than one big batched transform:

- *cache*: the transforms, products and transposes of a chunk of columns whose
  buffers fit in cache run about twice as fast as the same work on all ``k``
  columns at once (measured on one core: a Gohberg–Semencul solve of order
  2000 on 200 columns, 23.8 ms in one piece, 12.3 to 14.7 ms in chunks of 8 to
  32 columns; on two cores 8.1 ms in chunks of 32);
- *cores*: ``numpy.fft`` releases the GIL but has no threads of its own, so the
  chunks are shared out over a small process-wide thread pool (the calling
  thread works too).  BLAS-backed paths do not need this (BLAS has threads).

:func:`column_chunks` cuts ``k`` columns of a transform of length ``L`` into
chunks of at most :data:`CHUNK_ELEMENTS` transformed elements;
:func:`run_chunks` runs ``task(worker, chunk)`` for each, worker ``w`` taking
chunks ``w, w + W, …`` so that it can keep one set of buffers (hot in cache)
for all of them.  Small products stay on the calling thread.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["CHUNK_ELEMENTS", "PARALLEL_MIN", "column_chunks", "run_chunks", "threads"]

#: Transformed elements (length × columns) per chunk: its FFT buffers stay in cache.
CHUNK_ELEMENTS = 1 << 17
#: Transformed elements in all below which no thread is started (about 100 µs of work).
PARALLEL_MIN = 1 << 17

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def threads() -> int:
    """Threads for column chunks: the cores this process may run on (its CPU affinity
    where the OS reports it), at most ``KRONBLOCK_NUM_THREADS`` when that is set.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    limit = os.environ.get("KRONBLOCK_NUM_THREADS", "")
    return max(1, min(cores, int(limit))) if limit.strip().isdigit() else cores


def column_chunks(k: int, length: int) -> list[slice]:
    """Contiguous column ranges of nearly equal width covering ``range(k)``.

    Each holds at most :data:`CHUNK_ELEMENTS` elements of a transform of
    ``length`` (at least one column).

    Examples
    --------
    >>> from kronblock.operators._columns import column_chunks
    >>> column_chunks(3, 16)                     # small: one chunk
    [slice(0, 3, None)]
    >>> chunks = column_chunks(200, 4000)        # at most 32 columns × 4000 ≤ 2¹⁷ elements
    >>> len(chunks), sum(c.stop - c.start for c in chunks)
    (7, 200)
    """
    width = max(1, CHUNK_ELEMENTS // max(length, 1))
    parts = max(1, -(-k // width))
    bounds = [round(i * k / parts) for i in range(parts + 1)]
    return [slice(a, b) for a, b in itertools.pairwise(bounds)]


def run_chunks(task: Callable[[int, slice], None], chunks: list[slice], length: int) -> None:
    """``task(worker, chunk)`` for every chunk; workers ``1, 2, …`` on the pool.

    Worker ``w`` of ``W`` takes chunks ``w, w + W, …`` in order; worker 0 is the
    calling thread.  ``W`` is 1 below :data:`PARALLEL_MIN` transformed elements
    in all.  Exceptions of any worker propagate, after every worker has stopped.
    """
    total = sum(c.stop - c.start for c in chunks) * length
    workers = min(threads(), len(chunks)) if total >= PARALLEL_MIN else 1

    def work(w: int) -> None:
        for c in chunks[w::workers]:
            task(w, c)

    if workers == 1:
        work(0)
        return
    pool = _executor()
    futures = [pool.submit(work, w) for w in range(1, workers)]
    try:
        work(0)
    finally:
        for f in futures:
            f.exception()  # wait for all before raising anything
    for f in futures:
        f.result()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=max(1, threads() - 1), thread_name_prefix="kronblock-fft"
            )
        return _pool
