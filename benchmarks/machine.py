"""The machine's limits: memory bandwidth, GEMM throughput, and the per-case bounds.

Bandwidth is the best large copy (``np.copyto``, read + write bytes counted)
over one and two threads; GEMM throughput is the best square matmul over a few
sizes and over NumPy and PyTorch (when importable).  A peak measured too low
would flatter every ratio, so both are *best* of several, never medians.
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from cases import Case, passes

__all__ = [
    "Bounds",
    "CpuSnapshot",
    "Machine",
    "blas_info",
    "blas_threads",
    "bounds",
    "cpu_model",
    "cpu_snapshot",
    "gemm_probe",
    "machine_speeds",
    "measure_bandwidth",
    "measure_gemm",
    "measure_machine",
    "others_cpu",
]


@dataclass
class Machine:
    """What the machine can do, as measured at the start of the run.

    Attributes
    ----------
    cpu : str
        CPU model from ``/proc/cpuinfo``.
    cores : int
        CPUs this process may run on.
    blas : list of dict
        ``threadpoolctl.threadpool_info()`` (empty when threadpoolctl is missing).
    bandwidth : float
        Best copy bandwidth in bytes/s (read + write).
    bandwidth_by_threads : dict
        Best bandwidth for each thread count.
    gemm : dict
        Best GEMM rate in flop/s per dtype name.
    gemm_detail : dict
        Per dtype: the library and size of the best rate, and every measurement.
    date : str
        ISO timestamp of the run.
    """

    cpu: str
    cores: int
    blas: list[dict[str, Any]]
    bandwidth: float
    bandwidth_by_threads: dict[int, float]
    gemm: dict[str, float]
    gemm_detail: dict[str, dict[str, Any]] = field(default_factory=dict)
    date: str = ""


def cpu_model() -> str:
    """The CPU model name from ``/proc/cpuinfo`` (``platform.processor()`` elsewhere).

    Returns
    -------
    str
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def core_count() -> int:
    """Number of CPUs this process may run on.

    Returns
    -------
    int
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def blas_info() -> list[dict[str, Any]]:
    """The loaded BLAS/OpenMP libraries and their thread counts.

    Returns
    -------
    list of dict
        ``threadpoolctl.threadpool_info()``, or an empty list when threadpoolctl
        is not installed.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return list(threadpool_info())


def blas_threads(info: list[dict[str, Any]]) -> int:
    """Thread count of NumPy's BLAS.

    Parameters
    ----------
    info : list of dict
        From :func:`blas_info`.

    Returns
    -------
    int
        The thread count of the first BLAS whose path lies under ``numpy``, or
        the first BLAS, or (no threadpoolctl) the number of cores.
    """
    blases = [lib for lib in info if lib.get("user_api") == "blas"]
    for lib in blases:
        if "numpy" in str(lib.get("filepath", "")):
            return int(lib["num_threads"])
    return int(blases[0]["num_threads"]) if blases else core_count()


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU time of the whole machine and of this process at one moment.

    Attributes
    ----------
    wall : float
        ``time.perf_counter()``.
    busy, steal : float
        Machine-wide busy and stolen (hypervisor) CPU seconds from ``/proc/stat``
        (NaN where there is no ``/proc/stat``).
    own : float
        This process's user + system CPU seconds (all its threads).
    """

    wall: float
    busy: float
    steal: float
    own: float


def cpu_snapshot() -> CpuSnapshot:
    """Read the machine's and this process's CPU time.

    Returns
    -------
    CpuSnapshot
    """
    busy = steal = float("nan")
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
        ticks = os.sysconf("SC_CLK_TCK")
        # user nice system idle iowait irq softirq steal ...
        busy = (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / ticks
        steal = fields[7] / ticks
    except (OSError, ValueError, IndexError):
        pass
    times = os.times()
    return CpuSnapshot(time.perf_counter(), busy, steal, times.user + times.system)


def others_cpu(start: CpuSnapshot, end: CpuSnapshot) -> float:
    """Share of the machine used by other processes (and the hypervisor) in between.

    Parameters
    ----------
    start, end : CpuSnapshot

    Returns
    -------
    float
        ``(busy + steal − own CPU time) / (wall time · cores)``, clipped at 0;
        NaN without ``/proc/stat``.  Above a few percent, the timings in
        between competed for the cores.
    """
    wall = (end.wall - start.wall) * core_count()
    if wall <= 0:
        return 0.0
    others = (end.busy - start.busy) + (end.steal - start.steal) - (end.own - start.own)
    return max(0.0, others / wall)


def _best_time(call: Callable[[], object], reps: int) -> float:
    """Best wall time of ``reps`` calls after one warm-up."""
    call()
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def measure_bandwidth(nbytes: int = 256 * 2**20, reps: int = 5) -> dict[int, float]:
    """Best copy bandwidth over one and two threads.

    Parameters
    ----------
    nbytes : int
        Size of the source array (the destination has the same size).
    reps : int
        Copies timed per thread count; the best counts.

    Returns
    -------
    dict
        ``{threads: bytes/s}``, counting ``2 · nbytes`` (read + write) per copy.
        Two threads each copy one half; NumPy releases the GIL in ``copyto``.
    """
    src = np.ones(nbytes // 8)
    dst = np.zeros_like(src)  # touched, so no page faults inside the timing
    half = src.size // 2
    halves = [(dst[:half], src[:half]), (dst[half:], src[half:])]
    result = {1: 2 * nbytes / _best_time(lambda: np.copyto(dst, src), reps)}
    with ThreadPoolExecutor(max_workers=2) as pool:

        def two_threads() -> None:
            for future in [pool.submit(np.copyto, d, s) for d, s in halves]:
                future.result()

        result[2] = 2 * nbytes / _best_time(two_threads, reps)
    return result


def _gemm_caller(library: str, dtype: np.dtype, size: int) -> Callable[[], object]:
    """A square matmul of ``size`` in ``library`` ("numpy" or "torch")."""
    rng = np.random.default_rng(size)
    a = rng.standard_normal((size, size)).astype(dtype)
    b = rng.standard_normal((size, size)).astype(dtype)
    if library == "torch":
        import torch

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        return lambda: torch.matmul(ta, tb)
    return lambda: a @ b


PROBE_SHAPE = (100, 10_000)
"""The probe is one Kronecker pass: a 100×100 factor times a 100×10⁴ block of a
10⁶-vector (:func:`gemm_probe`)."""


def gemm_probe(dtype: np.dtype) -> Callable[[], object]:
    """The probe: ``A @ X`` with ``A`` 100×100 and ``X`` 100×10⁴ in ``dtype``, into a fixed result.

    One pass of a ``K3_n100`` product: it streams a 10⁶-vector through the caches as
    the Kronecker cases do, so it slows down with them when neighbours on the host
    take the caches and memory bandwidth, which a large square GEMM (compute-bound,
    cache-blocked) hardly notices.
    """
    rng = np.random.default_rng(PROBE_SHAPE[1])
    n, r = PROBE_SHAPE
    a = rng.standard_normal((n, n)).astype(dtype)
    x = rng.standard_normal((n, r)).astype(dtype)
    out = np.empty((n, r), dtype=dtype)
    return lambda: np.matmul(a, x, out=out)


def machine_speeds(row_times: list[list[float]]) -> list[float]:
    """The machine's speed in each row: the probe's median in the fastest row over its median there.

    On a shared VM the speed drifts by up to ~1.5× over minutes, and a row
    measured on a slowed machine shows every library, and its ratio to the
    bounds, that much slower.  Medians against a median: the fastest single
    call of a hundred would read even a steady machine as 0.8–0.9.  Only calls
    timed inside rows count: the probe timed back to back when the machine's
    limits were measured disagreed with every row of its dtype by up to 1.5×,
    in either direction (0.65–0.73 in one run, 1.14–1.26 in another).

    Parameters
    ----------
    row_times : list of list of float
        The probe's timed calls in each row (one dtype).

    Returns
    -------
    list of float
        One speed per row, at most 1 (1: the row where the machine was fastest).
    """
    medians = [statistics.median(times) for times in row_times]
    return [min(medians) / median for median in medians]


def measure_gemm(
    dtype: np.dtype,
    sizes: tuple[int, ...] = (1000, 2000, 3000, 4000),
    use_torch: bool = True,
    max_call_s: float = 1.0,
) -> tuple[float, dict[str, Any]]:
    """Best square-GEMM rate for ``dtype`` over ``sizes`` and libraries.

    Parameters
    ----------
    dtype : numpy dtype
    sizes : tuple of int
        Square sizes tried in increasing order; each is the best of 3 calls
        after a warm-up.
    use_torch : bool
        Also try ``torch.matmul`` (torch must be importable).
    max_call_s : float
        A size whose single call is predicted (from that library's best rate so
        far) to take longer than this is skipped, to keep the run short (float64
        at 4000 on a small machine).

    Returns
    -------
    rate : float
        Best flop/s.
    detail : dict
        ``best`` (library and size) and ``all`` (every rate, or "skipped").
    """
    measured: dict[str, float | str] = {}
    best, best_at = 0.0, ""
    for library in ("numpy", "torch") if use_torch else ("numpy",):
        library_best = 0.0
        for size in sizes:
            flops = 2.0 * size**3
            if library_best > 0 and flops / library_best > max_call_s:
                measured[f"{library} n={size}"] = f"skipped (call > {max_call_s:.1f} s)"
                continue
            rate = flops / _best_time(_gemm_caller(library, dtype, size), reps=3)
            measured[f"{library} n={size}"] = rate
            library_best = max(library_best, rate)
            if rate > best:
                best, best_at = rate, f"{library} n={size}"
    return best, {"best": best_at, "all": measured}


def measure_machine(dtypes: list[np.dtype], quick: bool, use_torch: bool) -> Machine:
    """Measure everything the bounds need.

    Parameters
    ----------
    dtypes : list of numpy dtype
        GEMM rates are measured for these.
    quick : bool
        Smoke mode: a 32 MB copy and one GEMM size (rough numbers, fast).
    use_torch : bool
        Include PyTorch in the GEMM measurement.

    Returns
    -------
    Machine
    """
    nbytes = 32 * 2**20 if quick else 256 * 2**20
    by_threads = measure_bandwidth(nbytes, reps=2 if quick else 5)
    sizes = (500,) if quick else (1000, 2000, 3000, 4000)
    gemm: dict[str, float] = {}
    detail: dict[str, dict[str, Any]] = {}
    for dtype in dtypes:
        gemm[dtype.name], detail[dtype.name] = measure_gemm(dtype, sizes, use_torch)
    return Machine(
        cpu=cpu_model(),
        cores=core_count(),
        blas=blas_info(),
        bandwidth=max(by_threads.values()),
        bandwidth_by_threads=by_threads,
        gemm=gemm,
        gemm_detail=detail,
        date=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    )


@dataclass(frozen=True)
class Bounds:
    """Lower bounds on the time of one case, in seconds.

    Attributes
    ----------
    flops : int
        Flops of the passes in the flops-minimising order.
    bytes_kpass, bytes_onepass : int
        Bytes each model must move.
    kpass, onepass : float
        ``max(flops / GEMM rate, bytes / bandwidth)`` for each byte model.
    """

    flops: int
    bytes_kpass: int
    bytes_onepass: int
    kpass: float
    onepass: float


def bounds(case: Case, dtype: np.dtype, machine: Machine) -> Bounds:
    """The K-pass and one-pass bounds of ``case`` in ``dtype`` on ``machine``.

    The K-pass model reads and writes every intermediate once per factor:
    ``Σ (size_in + size_out) · itemsize``; the one-pass model reads the input
    and writes the output once: ``(N·k + M·k) · itemsize``.

    Parameters
    ----------
    case : Case
    dtype : numpy dtype
    machine : Machine

    Returns
    -------
    Bounds
    """
    steps = passes(case)
    itemsize = np.dtype(dtype).itemsize
    flops = sum(step.flops for step in steps)
    bytes_kpass = sum(step.size_in + step.size_out for step in steps) * itemsize
    bytes_onepass = (case.n_in + case.n_out) * case.k * itemsize
    compute = flops / machine.gemm[np.dtype(dtype).name]
    return Bounds(
        flops=flops,
        bytes_kpass=bytes_kpass,
        bytes_onepass=bytes_onepass,
        kpass=max(compute, bytes_kpass / machine.bandwidth),
        onepass=max(compute, bytes_onepass / machine.bandwidth),
    )
