"""Timing one prepared call, and checking what it returned.

Each measurement runs the call once as warm-up and checks its result, runs it
again untimed up to ``WARMUP_CALLS`` times or ``WARMUP_S`` seconds (steady
state: kronblock measures its candidate schedules during a kind of product's
first dozen calls, and other libraries have caches and JITs of their own), then
``reps`` times runs an untimed warm-up call immediately followed by a timed
call (:func:`time.perf_counter`), whose result is checked after its clock has
stopped; the median counts.  A library that returns a right answer once and a
wrong one later is WRONG.

:func:`measure` does all of it for one call; its two stages, :func:`warm_up`
and :func:`timed_call`, let the suite interleave the timed calls of several
libraries in rounds (``suite.run_rounds``).
"""

from __future__ import annotations

import contextlib
import gc
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = [
    "Outcome",
    "Skip",
    "Timing",
    "Warmed",
    "measure",
    "relative_error",
    "timed_call",
    "tolerance",
    "warm_up",
]

Status = Literal["ok", "wrong", "skip", "error", "missing"]

#: Untimed calls after the first (checked) one, for every library alike, at most
#: ``WARMUP_S`` seconds of them: kronblock's schedule trials take 12 products.
WARMUP_CALLS = 12
WARMUP_S = 1.0

PAIRED_WARMUP_MAX_S = 0.25
"""Calls faster than this get their own warm-up right before each timed call (waking
BLAS/OpenMP threads costs up to a few milliseconds); slower ones do not, since a few
milliseconds are under 2 % of them (this halves the time spent on the slowest peers)."""


class Skip(Exception):
    """A library cannot run a case; the message is the short reason for the cell."""


@dataclass
class Outcome:
    """What one library did on one case.

    Attributes
    ----------
    library : str
    status : {"ok", "wrong", "skip", "error", "missing"}
    seconds : float or None
        Median time of the timed calls (``ok`` only).
    times : list of float
        Every timed call.
    error : float or None
        Relative error against the reference (worst of the checked results).
    reason : str
        Short text for the cell when there is no time.
    detail : str
        Longer explanation, kept in the JSON.
    note : str
        Short tag shown after the time (e.g. which NumPy strategy ran).
    """

    library: str
    status: Status
    seconds: float | None = None
    times: list[float] = field(default_factory=list)
    error: float | None = None
    reason: str = ""
    detail: str = ""
    note: str = ""

    def cell(self) -> str:
        """The table cell: a time, WRONG with the error, or the reason."""
        if self.status == "ok" and self.seconds is not None:
            text = format_seconds(self.seconds)
            return f"{text} ({self.note})" if self.note else text
        if self.status == "wrong":
            return f"WRONG ({self.reason})"
        if self.status == "missing":
            return "missing"
        return self.reason


def format_seconds(seconds: float) -> str:
    """``0.0123`` → ``12.3 ms``; three significant digits."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


@dataclass
class Timing:
    """Raw result of :func:`measure`: the median and every timed call, in seconds."""

    median: float
    times: list[float]


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS on one thread while checking a result (when threadpoolctl is installed).

    A check is a dense product; run on all cores, it leaves the BLAS worker
    threads spinning for up to ~0.1 s, and a library that is not BLAS-bound
    (FFT threads, say) would run its next warm-up and timed call against them.
    On one thread the workers stay asleep, so the check costs the timed call
    nothing.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # the smoke run without the bench extra
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@dataclass
class Warmed:
    """A call after its checked first run and its untimed warm-up (:func:`warm_up`).

    Attributes
    ----------
    first_s : float
        Seconds of the first (checked) call.
    reps : int
        Timed calls still wanted (0 when the first call was the only one).
    paired : bool
        Whether each timed call gets its own warm-up call right before it.
    """

    first_s: float
    reps: int
    paired: bool


def warm_up(
    call: Callable[[], Any],
    reps: int,
    check: Callable[[Any], None],
    budget_s: float = 2.0,
    single_s: float | None = None,
) -> Warmed:
    """Run ``call`` once and check it, then warm it up untimed; how many timed calls follow.

    Parameters are those of :func:`measure`.  A wrong first result raises from
    ``check`` before any further call, so a wrong library costs no timing.

    Returns
    -------
    Warmed
    """
    start = time.perf_counter()
    first = call()
    first_s = time.perf_counter() - start
    with one_blas_thread():
        check(first)
    del first
    if single_s is not None and first_s > single_s:
        return Warmed(first_s, 0, False)
    warm_start, warm_calls = time.perf_counter(), 0
    while warm_calls < WARMUP_CALLS and time.perf_counter() - warm_start + first_s < WARMUP_S:
        call()
        warm_calls += 1
    if first_s > 10.0:
        reps = 1
    elif first_s * reps > budget_s:
        reps = max(3, min(reps, int(budget_s / max(first_s, 1e-9))))
    return Warmed(first_s, reps, first_s < PAIRED_WARMUP_MAX_S)


def timed_call(call: Callable[[], Any], check: Callable[[Any], None], paired: bool) -> float:
    """Seconds of one call, after its own untimed warm-up when ``paired``; checked afterwards."""
    if paired:
        call()  # the second warm-up, right before the timed call
    start = time.perf_counter()
    out = call()
    seconds = time.perf_counter() - start
    with one_blas_thread():  # every timed result, outside the timed region
        check(out)
    return seconds


def measure(
    call: Callable[[], Any],
    reps: int,
    check: Callable[[Any], None],
    budget_s: float = 2.0,
    single_s: float | None = None,
) -> Timing:
    """Warm up and check, then time ``call``, each timed call right after a warm-up.

    Every timed call is checked after its clock has stopped.  The check takes
    long enough for a library's BLAS/OpenMP threads to fall asleep (waking them
    costs up to a few milliseconds on a small VM), so each timed call faster
    than :data:`PAIRED_WARMUP_MAX_S` is preceded by an untimed warm-up call of
    its own: the timed call always finds its threads awake, as in a loop of
    back-to-back calls.

    Parameters
    ----------
    call : callable
        The prepared call (no arguments); everything it needs was set up before.
    reps : int
        Timed calls wanted.
    check : callable
        Raises on a wrong result; run on the first warm-up's result (so that a
        wrong library costs no timing) and on every timed call's result.
    budget_s : float
        When ``reps`` timed calls would take longer than this (judged from the
        first warm-up), fewer are timed, but at least 3; a call slower than 10 s
        is timed once.
    single_s : float, optional
        When the first (checked) call took longer than this, it is the only
        timed call: no further warm-up or timed call (waking threads is
        negligible at that length, and each call costs seconds).

    Returns
    -------
    Timing
    """
    warmed = warm_up(call, reps, check, budget_s, single_s)
    if warmed.reps == 0:
        return Timing(warmed.first_s, [warmed.first_s])
    gc.collect()
    gc.disable()
    try:
        times = [timed_call(call, check, warmed.paired) for _ in range(warmed.reps)]
    finally:
        gc.enable()
    return Timing(statistics.median(times), times)


def tolerance(dtype: np.dtype) -> float:
    """Norm-wise relative tolerance: 1e-10 for float64, 1e-4 for float32.

    Parameters
    ----------
    dtype : numpy dtype

    Returns
    -------
    float
    """
    return 1e-10 if np.dtype(dtype).itemsize >= 8 else 1e-4


def relative_error(result: np.ndarray, reference: np.ndarray) -> float:
    """``‖result − reference‖ / ‖reference‖`` in float64 (NaN if any is not finite).

    Parameters
    ----------
    result : ndarray
        Reshaped to the reference's shape; a different size is an error.
    reference : ndarray

    Returns
    -------
    float
    """
    result = np.asarray(result)
    if result.size != reference.size:
        raise ValueError(f"shape {result.shape}, expected {reference.shape}")
    diff = result.reshape(reference.shape).astype(np.float64) - reference
    error = float(np.linalg.norm(diff) / np.linalg.norm(reference))
    return error if np.isfinite(error) else float("nan")
