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
    """The section's float64 reference and SciPy's sparse matrix are kb.kronsum's order.

    Run in a subprocess, so that the benchmark modules (``suite``, ``timing``, ...)
    stay out of this process's ``sys.modules``.
    """
    result = subprocess.run(
        [sys.executable, "-c", KRONSUM_ORDER_CHECK],
        cwd=ROOT / "benchmarks",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
