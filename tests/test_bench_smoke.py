"""The benchmark suite's smoke run works, so the suite cannot rot.

``python benchmarks/run.py --smoke`` runs one tiny case with kronblock and NumPy
only; it must work without any of the peers, threadpoolctl or matplotlib.
Timing is never asserted here: only that the suite runs, prints its table and
that kronblock's and NumPy's results passed the check against the reference.
"""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _table_rows(stdout: str) -> list[dict[str, str]]:
    """The markdown table's rows as dicts, keyed by the header's columns."""
    lines = [line for line in stdout.splitlines() if line.startswith("|")]
    assert len(lines) >= 3, f"no markdown table in the output:\n{stdout}"
    head = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [
        dict(zip(head, (cell.strip() for cell in line.strip("|").split("|")))) for line in lines[2:]
    ]


def _run_in_benchmarks(code: str) -> None:
    """Run ``code`` in a fresh interpreter in ``benchmarks/``; it must exit 0.

    A subprocess keeps the benchmark modules (``suite``, ``timing``, ...) out of
    this process's ``sys.modules``.
    """
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "benchmarks",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_smoke_run_prints_a_checked_table(tmp_path: pathlib.Path) -> None:
    result = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--smoke", "--no-plot", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    rows = _table_rows(result.stdout)
    assert rows
    for row in rows:
        for library in ("kronblock", "numpy"):
            cell = row[library]
            assert "WRONG" not in cell, f"{library}: {cell}"
            assert re.match(r"[\d.]+ (s|ms|µs|ns)\b", cell), f"{library} has no time: {cell}"
    assert (tmp_path / "results.md").read_text(encoding="utf-8").count("| kronblock |") == 1
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert all(row["outcomes"]["kronblock"]["status"] == "ok" for row in data["rows"])


def test_list_names_the_sums_section_and_smoke_skips_it() -> None:
    result = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert "sums" in names and "solve" in names


KRONSUM_ORDER_CHECK = """
import numpy as np
from sums import _scipy_kronsum, kronsum_reference

rng = np.random.default_rng(0)
factors = [rng.standard_normal((n, n)) for n in (2, 3, 4)]
eye = [np.eye(f.shape[0]) for f in factors]
dense = (
    np.kron(np.kron(factors[0], eye[1]), eye[2])
    + np.kron(np.kron(eye[0], factors[1]), eye[2])
    + np.kron(np.kron(eye[0], eye[1]), factors[2])
)
x = rng.standard_normal(24)
np.testing.assert_allclose(kronsum_reference(factors, x), dense @ x, rtol=1e-12)
np.testing.assert_allclose(_scipy_kronsum(factors).toarray(), dense, rtol=1e-12)
"""


def test_kronsum_helpers_follow_kronblock_order() -> None:
    """The section's float64 reference and SciPy's sparse matrix are kb.kronsum's order."""
    _run_in_benchmarks(KRONSUM_ORDER_CHECK)


ROUNDS_CHECK = """
import math
import numpy as np
import suite
from peers import Adapter, Prepared
from timing import WARMUP_CALLS

calls = []


class Fake(Adapter):
    # answers 1.0, or 2.0 (wrong) from its wrong_from-th call on; records every call
    def __init__(self, name, threads, wrong_from=None):
        super().__init__()
        self.name, self.threads, self.wrong_from, self.count = name, threads, wrong_from, 0

    def missing(self):
        return None

    def matmat(self, factors, x):
        def call():
            self.count += 1
            calls.append(self.name)
            wrong = self.wrong_from is not None and self.count >= self.wrong_from
            return np.array([2.0 if wrong else 1.0])
        return Prepared(call)


def error_of(out):
    return abs(float(out[0]) - 1.0)


# c goes wrong on its second timed call: 1 checked + WARMUP_CALLS warm-up, then 2 per round
second_timed = 1 + WARMUP_CALLS + 4
a, b, c = Fake("a", "openblas"), Fake("b", "openblas"), Fake("c", "omp", second_timed)
trials = [suite.Trial(f, lambda f=f: f.matmat([], None), error_of, 1e-12) for f in (a, b, c)]
for t in trials:
    t.start(reps=3)
calls.clear()
suite.run_rounds(trials)
# rounds: each library's warm-up + timed call, in table order, round after round
assert calls == ["a", "a", "b", "b", "c", "c"] * 2 + ["a", "a", "b", "b"], calls
assert [len(t.times) for t in trials] == [3, 3, 1]
outcomes = [t.outcome() for t in trials]
assert [o.status for o in outcomes] == ["ok", "ok", "wrong"], outcomes
assert outcomes[2].seconds is None and outcomes[2].reason == "err 1.0e+00"
assert suite.pause_between(None, "omp") == 0.0
assert suite.pause_between("openblas", "openblas") == 0.0
assert suite.pause_between("openblas", "omp") == suite.PAUSE_S
assert suite.pause_between("omp", "openblas") == suite.SHORT_PAUSE_S < suite.PAUSE_S

# the machine's speed per row: the probe's median in the fastest row over the row's
from machine import machine_speeds

assert machine_speeds([[1.0, 1.0, 4.0], [2.0, 3.0, 2.0]]) == [1.0, 0.5]
assert machine_speeds([[3.0, 0.1, 4.0], [2.0, 2.0, 2.0]]) == [2.0 / 3.0, 1.0]
"""


def test_matmul_rows_time_libraries_in_rounds() -> None:
    """Timed calls interleave across libraries, a result gone wrong mid-run is WRONG, and
    the machine's speed per row is read off the probe's calls."""
    _run_in_benchmarks(ROUNDS_CHECK)
