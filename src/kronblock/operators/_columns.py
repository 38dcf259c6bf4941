"""Independent right-hand-side columns on several cores, for NumPy FFT products.

An FFT product ``(n, k) → (rows, k)`` treats every column on its own, and
``numpy.fft`` releases the GIL: the ``k`` columns are cut into one chunk per
core and the chunks run on a small process-wide thread pool (the calling
thread takes the first).  BLAS-backed paths do not need this (BLAS has its own
threads); ``numpy.fft`` has none.

Small products stay on one thread: a chunk is worth a thread only above
:data:`PARALLEL_MIN` transformed elements (about 50 µs of FFT work).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["PARALLEL_MIN", "column_chunks", "run_chunks", "threads"]

#: Transformed elements (length × columns) per chunk below which no thread is started.
PARALLEL_MIN = 1 << 16

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def threads() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def column_chunks(k: int, length: int) -> list[slice]:
    """Contiguous column ranges covering ``range(k)``: one per core, each worth a thread.

    Examples
    --------
    >>> from kronblock.operators._columns import column_chunks
    >>> column_chunks(3, 16)                     # too small to split
    [slice(0, 3, None)]
    >>> sum(c.stop - c.start for c in column_chunks(200, 4096))
    200
    """
    parts = max(1, min(threads(), k, (k * length) // PARALLEL_MIN))
    bounds = [round(i * k / parts) for i in range(parts + 1)]
    return [slice(a, b) for a, b in itertools.pairwise(bounds)]


def run_chunks(task: Callable[[int, slice], None], chunks: list[slice]) -> None:
    """``task(i, chunk)`` for every chunk, the later ones on the pool, the first here.

    Exceptions of any chunk propagate (after every chunk has finished).
    """
    if len(chunks) == 1:
        task(0, chunks[0])
        return
    pool = _executor()
    futures = [pool.submit(task, i, c) for i, c in enumerate(chunks) if i > 0]
    try:
        task(0, chunks[0])
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
