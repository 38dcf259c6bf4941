"""The benchmark run: machine limits, every case with every library, solve and slogdet, sums.

Imported by ``run.py`` only after the environment has been cleaned (NumPy reads
its BLAS settings when it is first imported).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import math
import statistics
import sys
import time
import traceback
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.linalg
from cases import CASES, SMOKE_CASE, Case, make_problem, reference_matmat
from machine import (
    Machine,
    blas_info,
    blas_threads,
    bounds,
    cpu_snapshot,
    gemm_probe,
    machine_speeds,
    measure_machine,
    others_cpu,
)
from peers import ALL_ADAPTERS, OPENBLAS, Adapter, Prepared, configure_torch, version_of
from report import CONTENTION_FLAG, Row, header, table, write_json, write_plot
from timing import (
    Outcome,
    Skip,
    format_seconds,
    measure,
    relative_error,
    timed_call,
    tolerance,
    warm_up,
)

__all__ = [
    "PAUSE_S",
    "SOLVE_CASE",
    "SUMS_CASE",
    "Trial",
    "pause_between",
    "run_one",
    "run_rounds",
    "run_suite",
]

SOLVE_CASE = "solve"
"""``--cases`` name of the solve and slogdet rows (issue 4, item 3)."""

PAUSE_S = 0.15
"""Sleep between two libraries, so that one library's BLAS/OpenMP threads stop
spinning before the next is timed (NumPy and SciPy each bundle an OpenBLAS; on
two cores a NumPy GEMM right after a SciPy call can run 4× slower)."""

SHORT_PAUSE_S = 0.01
"""Sleep after a library on an OpenMP pool before one on another pool (libgomp's
workers stop spinning within a millisecond)."""

SMOKE_LIBRARIES = ("kronblock", "numpy")

SUMS_CASE = "sums"
"""``--cases`` name of the Kronecker sum / Kronecker plus diagonal section (``sums.py``)."""

BLOCKS_CASE = "blocks"
EQUATIONS_CASE = "equations"
"""``--cases`` name of the Sylvester and separable-filter section (``equations.py``)."""
"""``--cases`` name of the block-diagonal / Toeplitz / block Toeplitz / BCCB section."""


class Wrong(Exception):
    """A checked result is wrong; the message is the short reason."""

    def __init__(self, reason: str, error: float) -> None:
        super().__init__(reason)
        self.error = error


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _short(exc: BaseException, limit: int = 48) -> str:
    text = f"{exc.__class__.__name__}: {exc}".splitlines()[0]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pause_between(previous: str | None, following: str) -> float:
    """Seconds to sleep between a call on thread pool ``previous`` and one on ``following``.

    OpenBLAS's workers keep spinning for about 0.1 s after a call, and on two
    cores they halve the speed of an OpenMP library timed in that window
    (measured: pyfastkron's ``K4_n32`` 16 ms right after a kronblock product,
    3.6 ms after 0.15 s); OpenMP workers (libgomp) go to sleep within a
    millisecond.  Calls on the same pool need no pause: the paired warm-up
    right before each timed call wakes its own threads.
    """
    if previous is None or previous == following:
        return 0.0
    return PAUSE_S if previous == OPENBLAS else SHORT_PAUSE_S


class Trial:
    """One library on one case: prepared, checked and warmed up, then timed call by call.

    :meth:`start` does the untimed part (a setup or first-call failure becomes
    the outcome at once), :meth:`time_once` one checked timed call, and
    :meth:`outcome` the cell.  :func:`run_one` runs one trial's calls back to
    back; :func:`run_rounds` interleaves several trials.

    Parameters
    ----------
    adapter : Adapter
    prepare : callable
        Untimed setup; returns the :class:`~peers.Prepared` call.
    error_of : callable
        Relative error of a converted result (NaN when not finite).
    tol : float
        Largest error that is still right.
    """

    def __init__(
        self,
        adapter: Adapter,
        prepare: Callable[[], Prepared],
        error_of: Callable[[Any], float],
        tol: float,
    ) -> None:
        self.adapter, self.prepare, self.error_of, self.tol = adapter, prepare, error_of, tol
        self.errors: list[float] = []
        self.times: list[float] = []
        self.wanted = 0
        self.prepared: Prepared | None = None
        self.failed: Outcome | None = None
        self.paired = False

    @property
    def pool(self) -> str:
        """The thread pool the library's calls run on (see :func:`pause_between`)."""
        return self.adapter.threads

    @property
    def pending(self) -> bool:
        """Whether timed calls are still wanted."""
        return self.failed is None and len(self.times) < self.wanted

    def _check(self, out: Any) -> None:
        assert self.prepared is not None
        try:
            error = self.error_of(self.prepared.convert(out))
        except ValueError as exc:  # a result that cannot be compared is wrong too
            raise Wrong(_short(exc), math.nan) from exc
        self.errors.append(error)
        if not error <= self.tol:  # NaN is wrong too
            reason = "NaN" if math.isnan(error) else f"err {error:.1e}"
            raise Wrong("wrong sign" if math.isinf(error) else reason, error)

    def _fail(self, exc: BaseException) -> None:
        name = self.adapter.name
        if isinstance(exc, Skip):
            self.failed = Outcome(name, "skip", reason=str(exc))
        elif isinstance(exc, Wrong):
            self.failed = Outcome(name, "wrong", error=exc.error, reason=str(exc))
        elif isinstance(exc, MemoryError):
            self.failed = Outcome(name, "error", reason="out of memory", detail=repr(exc))
        else:  # a peer's failure is a cell, not a crash
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self.failed = Outcome(name, "error", reason=_short(exc), detail=detail)

    def start(self, reps: int, single_s: float | None = None) -> None:
        """Prepare, run and check the first call, warm up (see :func:`~timing.warm_up`)."""
        reason = self.adapter.missing()
        if reason is not None:
            self.failed = Outcome(self.adapter.name, "missing", reason="missing", detail=reason)
            return
        try:
            self.prepared = self.prepare()
            warmed = warm_up(self.prepared.call, reps, self._check, single_s=single_s)
        except Exception as exc:
            self._fail(exc)
            return
        if warmed.reps == 0:  # the first call was the only one
            self.times.append(warmed.first_s)
        self.wanted, self.paired = max(warmed.reps, 1), warmed.paired

    def time_once(self) -> None:
        """One timed call, checked after its clock stopped."""
        assert self.prepared is not None
        try:
            self.times.append(timed_call(self.prepared.call, self._check, self.paired))
        except Exception as exc:
            self._fail(exc)

    def outcome(self) -> Outcome:
        """The median of the timed calls, or why there is none; never a time when wrong."""
        if self.failed is not None:
            return self.failed
        note = self.prepared.note if self.prepared is not None else ""
        median = statistics.median(self.times)
        return Outcome(self.adapter.name, "ok", median, self.times, max(self.errors), note=note)


def run_one(
    adapter: Adapter,
    prepare: Callable[[], Prepared],
    error_of: Callable[[Any], float],
    tol: float,
    reps: int,
    single_s: float | None = None,
) -> Outcome:
    """Prepare, check and time one library on one case, its timed calls back to back.

    Parameters
    ----------
    adapter, prepare, error_of, tol
        As for :class:`Trial`.
    reps : int
    single_s : float, optional
        A first call slower than this is the only timed call (see
        :func:`~timing.measure`).

    Returns
    -------
    Outcome
        Never a time for a wrong result.
    """
    trial = Trial(adapter, prepare, error_of, tol)
    trial.start(reps, single_s)
    run_rounds([trial])
    return trial.outcome()


def run_rounds(trials: list[Trial]) -> None:
    """Time started trials in rounds: each round one timed call of every trial still pending.

    Interleaving puts every library under the same machine: on a shared VM
    the speed drifts by up to ~1.5× over minutes, and libraries timed one
    after the other would each meet a different machine.  Between libraries
    on different thread pools the round sleeps :func:`pause_between`.
    """
    previous: str | None = None
    gc.collect()
    gc.disable()
    try:
        while any(t.pending for t in trials):
            for trial in trials:
                if trial.pending:
                    time.sleep(pause_between(previous, trial.pool))
                    trial.time_once()
                    previous = trial.pool
    finally:
        gc.enable()


def _no_error(out: Any) -> float:
    return 0.0


def _seed(name: str) -> int:
    """A stable seed per case, whatever cases are selected."""
    return zlib.crc32(name.encode())


class GemmProbe(Adapter):
    """Not a library: the machine's probe (:func:`~machine.gemm_probe`), timed in a row's rounds."""

    name = "probe"

    def missing(self) -> str | None:
        return None


def matmul_row(
    case: Case, dtype: np.dtype, adapters: list[Adapter], reps: int, probe: bool = False
) -> Row:
    """Every library on one matmul case in one dtype.

    Parameters
    ----------
    case : Case
    dtype : numpy dtype
    adapters : list of Adapter
    reps : int
    probe : bool
        Also time the machine's probe (:func:`~machine.gemm_probe`) in the
        row's rounds, its calls kept in ``row.extra["probe_s"]`` (see
        :func:`add_machine_speeds`).

    Returns
    -------
    Row
        Without bounds; :func:`run_suite` adds them.
    """
    problem = make_problem(case, dtype, _seed(case.name))
    tol = tolerance(dtype)
    start = cpu_snapshot()
    trials = [
        Trial(
            adapter,
            lambda adapter=adapter: adapter.matmat(problem.factors, problem.x),
            lambda out: relative_error(out, problem.reference),
            tol,
        )
        for adapter in adapters
    ]
    if probe:
        call = gemm_probe(dtype)
        trials.append(Trial(GemmProbe(), lambda: Prepared(call, lambda out: out), _no_error, 1.0))
    previous: str | None = None
    for trial in trials:  # setup, checked first call and warm-up, one library at a time
        time.sleep(pause_between(previous, trial.pool))
        trial.start(reps)
        previous = trial.pool
    time.sleep(PAUSE_S)
    run_rounds(trials)
    outcomes = {}
    for trial in trials[: len(adapters)]:
        outcome = outcomes[trial.adapter.name] = trial.outcome()
        _log(f"  {case.name} {dtype.name} {trial.adapter.name}: {outcome.cell()}")
    row = Row(case.name, case.description, dtype.name, case.size_label, outcomes)
    if probe and trials[-1].outcome().status == "ok":
        row.extra["probe_s"] = trials[-1].times
    row.extra["others_cpu"] = others_cpu(start, cpu_snapshot())
    return row


def _expected_slogdet(factors: list[np.ndarray]) -> tuple[float, float]:
    """``slogdet(A₁ ⊗ … ⊗ A_K)`` from the factors: ``Σ (N/nᵢ) log|det Aᵢ|``, signs likewise."""
    total = math.prod(f.shape[0] for f in factors)
    sign, logabs = 1.0, 0.0
    for factor in factors:
        factor_sign, factor_logabs = np.linalg.slogdet(factor)
        power = total // factor.shape[0]
        sign *= float(factor_sign) ** (power % 2)
        logabs += power * float(factor_logabs)
    return sign, logabs


def _slogdet_error(expected: tuple[float, float]) -> Callable[[Any], float]:
    def error_of(out: Any) -> float:
        sign, logabs = out
        if not (math.isfinite(sign) and math.isfinite(logabs)):
            return math.nan
        if sign != expected[0]:
            return math.inf
        return abs(logabs - expected[1]) / abs(expected[1])

    return error_of


def solve_rows(adapters: list[Adapter], reps: int) -> tuple[list[Row], dict[str, Any]]:
    """Solve and slogdet of three 100×100 factors (N = 10⁶), and what the solve is made of.

    The factors are standard normal + 20·I (condition numbers about 5).  The
    solve is checked by its residual ``‖K x − b‖ / ‖b‖`` (K applied with the
    float64 reference vec trick), slogdet against the per-factor formula.

    Parameters
    ----------
    adapters : list of Adapter
    reps : int

    Returns
    -------
    rows : list of Row
        The solve row and the slogdet row.
    parts : dict
        Median times of one kronblock matvec and of the three LU factorisations.
    """
    rng = np.random.default_rng(_seed(SOLVE_CASE))
    n, count = 100, 3
    factors = [rng.standard_normal((n, n)) + 20 * np.eye(n) for _ in range(count)]
    b = rng.standard_normal(n**count)
    b_norm = float(np.linalg.norm(b))

    def residual(x: Any) -> float:
        value = float(np.linalg.norm(reference_matmat(factors, np.asarray(x).reshape(-1)) - b))
        return value / b_norm if math.isfinite(value) else math.nan

    expected = _expected_slogdet(factors)
    tol = tolerance(np.dtype(np.float64))
    rows = []
    for kind, prepare_of, error_of in (
        ("solve", lambda a: a.solve(factors, b), residual),
        ("slogdet", lambda a: a.slogdet(factors), _slogdet_error(expected)),
    ):
        outcomes = {}
        start = cpu_snapshot()
        for adapter in adapters:
            outcomes[adapter.name] = run_one(
                adapter, lambda a=adapter, p=prepare_of: p(a), error_of, tol, reps
            )
            _log(f"  {kind} {adapter.name}: {outcomes[adapter.name].cell()}")
            time.sleep(PAUSE_S)
        description = f"{kind} K=3, n=100 (A+20·I)"
        rows.append(Row(kind, description, "float64", "1e6", outcomes))
        rows[-1].extra["others_cpu"] = others_cpu(start, cpu_snapshot())
    parts = _solve_parts(factors, b, reps)
    for row in rows:
        row.extra.update(parts)
    return rows, parts


def _solve_parts(factors: list[np.ndarray], b: np.ndarray, reps: int) -> dict[str, Any]:
    """Median times of one kronblock matvec and of the factors' LU decompositions."""
    parts: dict[str, Any] = {}
    try:
        import kronblock as kb

        op = kb.kron(*factors)
        parts["matvec_s"] = measure(lambda: op @ b, reps, lambda out: None).median
    except Exception as exc:  # kronblock's failure is reported, not fatal
        parts["matvec_error"] = _short(exc)
    time.sleep(PAUSE_S)
    lu = measure(lambda: [scipy.linalg.lu_factor(f) for f in factors], reps, lambda out: None)
    parts["lu_s"] = lu.median
    return parts


def _solve_note(rows: list[Row], parts: dict[str, Any]) -> str:
    """One line: the kronblock solve next to one matvec and the three LUs."""
    solve = rows[0].kronblock_seconds()
    matvec = parts.get("matvec_s")
    pieces = [f"kronblock solve {format_seconds(solve)}" if solve else "kronblock solve —"]
    pieces.append(
        f"one kronblock matvec {format_seconds(matvec)}"
        if matvec
        else f"matvec {parts.get('matvec_error', '—')}"
    )
    pieces.append(f"3 LU of 100×100 {format_seconds(parts['lu_s'])}")
    if solve and matvec:
        pieces.append(f"solve = {solve / matvec:.2f} matvecs")
    return "Solve at N = 10⁶: " + "; ".join(pieces) + "."


def select_adapters(args: argparse.Namespace) -> list[Adapter]:
    """The libraries of this run: kronblock and NumPy only with ``--smoke``."""
    adapters = [cls() for cls in ALL_ADAPTERS]
    if args.smoke:
        return [a for a in adapters if a.name in SMOKE_LIBRARIES]
    if args.peers:
        wanted = set(args.peers) | {"kronblock"}
        return [a for a in adapters if a.name in wanted]
    return adapters


SECTIONS = (SOLVE_CASE, SUMS_CASE, BLOCKS_CASE, EQUATIONS_CASE)
"""The ``--cases`` names that are not matmul cases."""


def select_cases(args: argparse.Namespace) -> tuple[list[Case], set[str]]:
    """The matmul cases, and which of :data:`SECTIONS` to run."""
    if args.smoke:
        return [SMOKE_CASE], set()
    if not args.cases:
        return list(CASES.values()), set(SECTIONS)
    matmul = [CASES[name] for name in args.cases if name in CASES]
    return matmul, set(args.cases) & set(SECTIONS)


def _settings(
    args: argparse.Namespace, unset_env: dict[str, str], torch_note: str, adapters: list[Adapter]
) -> dict[str, Any]:
    missing = [f"{a.name} ({a.missing()})" for a in adapters if a.missing() is not None]
    if unset_env:
        env = "unset for this process: " + ", ".join(f"{k}={v}" for k, v in unset_env.items())
    elif args.smoke:
        env = "left as it is (--smoke)"
    else:
        env = "no OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE to unset"
    versions = {"numpy": np.__version__, "scipy": scipy.__version__}
    versions |= {a.name: a.version() for a in adapters if a.missing() is None}
    if importlib.util.find_spec("torch") is not None:
        versions["torch"] = version_of("torch")
    return {
        "smoke": args.smoke,
        "reps": args.reps,
        "dtypes": args.dtypes,
        "env": env,
        "torch": torch_note,
        "versions": versions,
        "missing": missing,
    }


MATMUL_CELLS = (
    "Cells: a time is a checked median; WRONG (err …) is a result off the float64 "
    "reference; (dense) = NumPy multiplied by np.kron(...), else its vec trick; "
    "vs fastest peer = fastest peer's time / kronblock's (≥ 1 means kronblock wins)."
)


def _notes(rows: list[Row], settings: dict[str, Any]) -> list[str]:
    """The lines printed at the end: contention and the run's wall time."""
    notes = []
    if any(row.extra.get("others_cpu", 0.0) > CONTENTION_FLAG for row in rows):
        notes.append(
            f"† other processes used more than {CONTENTION_FLAG:.0%} of the CPU while this "
            "row was measured: its times competed for the cores (rerun on a quiet machine)."
        )
    notes.append(f"Total wall time: {settings['wall_s']:.0f} s.")
    return notes


def add_machine_speeds(rows: list[Row]) -> None:
    """Set ``extra["machine_speed"]`` of every row that timed the probe (per dtype)."""
    for dtype in sorted({row.dtype for row in rows}):
        probed = [row for row in rows if row.dtype == dtype and "probe_s" in row.extra]
        if probed:
            speeds = machine_speeds([row.extra["probe_s"] for row in probed])
            for row, speed in zip(probed, speeds):
                row.extra["machine_speed"] = speed


def _speed_note(rows: list[Row]) -> str | None:
    """The machine's speed while each matmul row ran (see :func:`add_machine_speeds`)."""
    speeds = [(row, row.extra["machine_speed"]) for row in rows if "machine_speed" in row.extra]
    if not speeds:
        return None
    parts = ", ".join(f"{row.case} {row.dtype} {speed:.2f}" for row, speed in speeds)
    return (
        "Machine speed during each matmul row (a probe, one Kronecker pass of a 100×100 "
        "factor over a 10⁶-vector, timed in every row's rounds: its median in the fastest "
        "row over its median in this row; at 0.8 every time in that row, kronblock's ratios "
        f"to the bounds included, is about 1/0.8 = 1.25× what the fastest row saw): {parts}."
    )


def _schedules() -> list[dict[str, Any]]:
    """kronblock's measured matmul schedules (one entry per factor shapes and dtype)."""
    from kronblock.operators._kron_matmul import TUNING

    return TUNING.choices()


def _schedule_note(schedules: list[dict[str, Any]]) -> str | None:
    """One line per kind of product: the schedule kronblock kept and the trial times."""
    if not schedules:
        return None
    parts = []
    for s in schedules:
        shapes = "⊗".join(f"{m}×{n}" for m, n in s["factors"])
        times = ", ".join(f"{k} {format_seconds(v)}" for k, v in s["best_s"].items())
        parts.append(f"{shapes} {s['dtype']}: {s['choice'] or 'still trying'} ({times})")
    return (
        "kronblock's matmul schedules (chosen by its own measurement during the warm-up; "
        "best trial time of each): " + "; ".join(parts) + "."
    )


def _write(
    out: Path,
    text: str,
    machine: Machine,
    rows: list[Row],
    settings: dict[str, Any],
    libraries: list[str],
    plot: bool,
) -> None:
    """Write results.md, results.json and (unless told not to) matmul.png."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.md").write_text(text + "\n", encoding="utf-8")
    write_json(out / "results.json", machine, rows, settings)
    if plot:
        _log(write_plot(out / "matmul.png", rows, libraries))


def run_suite(args: argparse.Namespace, unset_env: dict[str, str]) -> int:
    """Run the benchmark, print the header and the table, write the files.

    Parameters
    ----------
    args : argparse.Namespace
        From ``run.py``.
    unset_env : dict
        The environment variables ``run.py`` unset (name → old value).

    Returns
    -------
    int
        0, or 1 when kronblock's result was wrong or failed on a case.
    """
    start = cpu_snapshot()
    dtypes = [np.dtype(name) for name in args.dtypes]
    adapters = select_adapters(args)
    cases, sections = select_cases(args)
    with_solve, with_sums = SOLVE_CASE in sections, SUMS_CASE in sections
    with_blocks, with_equations = BLOCKS_CASE in sections, EQUATIONS_CASE in sections
    for adapter in adapters:
        adapter.missing()  # import everything now, so the BLAS list below is complete
    use_torch = not args.smoke and importlib.util.find_spec("torch") is not None
    torch_note = configure_torch(blas_threads(blas_info())) if use_torch else "torch: not used"
    _log("measuring the machine ...")
    float64 = np.dtype(np.float64)
    gemm_dtypes = [*dtypes, float64] if with_sums and float64 not in dtypes else dtypes
    machine = measure_machine(gemm_dtypes, quick=args.smoke, use_torch=use_torch)
    machine_others = others_cpu(start, cpu_snapshot())
    rows = []
    for case in cases:
        for dtype in dtypes:
            rows.append(matmul_row(case, dtype, adapters, args.reps, probe=not args.smoke))
            rows[-1].bounds = bounds(case, dtype, machine)
    add_machine_speeds(rows)
    solve_note = None
    if with_solve:
        solve, parts = solve_rows(adapters, args.reps)
        rows.extend(solve)
        solve_note = _solve_note(solve, parts)
    sums_rows: list[Row] = []
    sums_text: list[str] = []
    if with_sums:
        from sums import sums_section  # imports this module: not at the top

        _log("Kronecker sums and Kronecker plus diagonal ...")
        sums_rows, sums_table, sums_notes = sums_section(args.reps, args.peers, machine)
        sums_text = ["## Kronecker sums, K + σ²I and K + diag(d)", sums_table, *sums_notes]
    if with_blocks:
        from blocks import blocks_section  # imports this module: not at the top

        _log("block-diagonal, Toeplitz, block-Toeplitz, BCCB ...")
        block_rows, block_table, block_notes = blocks_section(args.reps, args.peers, machine)
        sums_rows += block_rows
        sums_text += ["## Block structures: many right-hand sides", block_table, *block_notes]
    if with_equations:
        from equations import equations_section  # imports this module: not at the top

        _log("Sylvester equations, separable filters ...")
        eq_rows, eq_table, eq_notes = equations_section(args.reps, args.peers, machine)
        sums_rows += eq_rows
        sums_text += ["## Matrix equations and separable filters", eq_table, *eq_notes]
    settings = _settings(args, unset_env, torch_note, adapters)
    end = cpu_snapshot()
    settings |= {
        "wall_s": end.wall - start.wall,
        "others_cpu": others_cpu(start, end),
        "others_cpu_machine": machine_others,
    }
    schedules = _schedules()
    settings["kronblock_schedules"] = schedules
    libraries = [a.name for a in adapters]
    schedule_note = _schedule_note(schedules)
    speed_note = _speed_note(rows)
    matmul = (
        [table(rows, libraries), solve_note, speed_note, schedule_note, MATMUL_CELLS]
        if rows
        else []
    )
    notes = _notes(rows + sums_rows, settings)
    text = "\n\n".join(
        part for part in [header(machine, settings), *matmul, *sums_text, *notes] if part
    )
    print(text)
    _write(Path(args.out), text, machine, rows + sums_rows, settings, libraries, not args.no_plot)
    failed = [
        row for row in rows + sums_rows if row.outcomes["kronblock"].status in ("wrong", "error")
    ]
    return 1 if failed else 0
