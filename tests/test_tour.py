"""The command line and the tour: ``python -m kronblock tour``, and the check helper."""

from __future__ import annotations

import importlib.util
import io
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import kronblock as kb
from kronblock import _cli, tour
from kronblock.tour import Chapter, Checker

TMP = tempfile.mkdtemp(prefix="kronblock-tour-")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kronblock", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )


# ---- the command line, in a subprocess ---------------------------------------------
def test_tour_list() -> None:
    proc = _run("tour", "--list")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(tour.CHAPTERS)
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)  # name and description
    assert lines[0].startswith("kronecker ")


def test_tour_kronecker_chapter() -> None:
    proc = _run("tour", "kronecker")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "FAIL" not in out
    assert "Warning" not in proc.stderr, proc.stderr
    ok_lines = [line for line in out.splitlines() if line.startswith("  ok    ")]
    assert len(ok_lines) >= 40
    for label in (
        "kb.kron(A, B) = np.kron(A, B), integers",
        "block diagonal as a Sum of Kroneckers = np.block",
        "vec(AXB) = (Bᵀ⊗A) vec(X)",
        "mixed product (A⊗B)(C⊗D) = AC⊗BD",
        "det(A⊗B) = det(A)^p · det(B)^m",
        "solve: ‖K x − b‖ / ‖b‖",
    ):
        assert any(label in line for line in ok_lines), label
    assert re.search(rf"^kronecker: all {len(ok_lines)} checks ok ", out, re.MULTILINE)


def test_tour_kronecker_sum_chapter() -> None:
    proc = _run("tour", "kronecker_sum")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "FAIL" not in out and "Warning" not in proc.stderr, proc.stderr
    ok_lines = [line for line in out.splitlines() if line.startswith("  ok    ")]
    for label in (
        "solve(kronsum(A, B), C.ravel()) = solve_sylvester(A, B.T, C).ravel()",
        "log det(K + σ²I)",
        "L(grid) = L(path 6) ⊕ L(path 5)",
        "direct and CG agree",
    ):
        assert any(label in line for line in ok_lines), label
    assert re.search(rf"^kronecker_sum: all {len(ok_lines)} checks ok ", out, re.MULTILINE)


def test_tour_blocks_chapter() -> None:
    proc = _run("tour", "blocks")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "FAIL" not in out and "Warning" not in proc.stderr, proc.stderr
    ok_lines = [line for line in out.splitlines() if line.startswith("  ok    ")]
    for label in (
        "kb.block = np.block of the seed, integers",
        "Σ⁻¹ y through the Schur complement = np.linalg.solve",
        "KKT solve = np.linalg.solve",
        "block-diagonal solve = block by block",
        "‖T x − y‖ / ‖y‖",
        "deblurred image = the original",
    ):
        assert any(label in line for line in ok_lines), label
    assert re.search(rf"^blocks: all {len(ok_lines)} checks ok ", out, re.MULTILINE)


def test_tour_unknown_chapter_is_a_usage_error() -> None:
    proc = _run("tour", "no-such-chapter")
    assert proc.returncode == 2
    assert "no chapter 'no-such-chapter'" in proc.stderr


# ---- the runner, in process -------------------------------------------------------
def _register(monkeypatch: pytest.MonkeyPatch, name: str, fn: object) -> None:
    chapters = dict(tour.CHAPTERS)
    chapters[name] = Chapter(f"test chapter {name}", fn)  # type: ignore[arg-type]
    monkeypatch.setattr(tour, "CHAPTERS", chapters)


def test_failing_check_makes_the_command_fail(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def bad(check: Checker) -> None:
        check.close("one is two", np.array([1.0]), np.array([2.0]))

    _register(monkeypatch, "bad", bad)
    assert _cli.main(["tour", "bad"]) == 1
    out = capsys.readouterr().out
    assert "  FAIL  one is two" in out
    assert "FAILED chapters: bad" in out


def test_raising_chapter_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(check: Checker) -> None:
        raise RuntimeError("boom")

    def fine(check: Checker) -> None:
        check.close("fine", np.zeros(2), np.zeros(2))

    # Only these two chapters: the second still runs after the first raised.
    monkeypatch.setattr(
        tour, "CHAPTERS", {"boom": Chapter("raises", boom), "fine": Chapter("passes", fine)}
    )
    assert _cli.main(["tour"]) == 1
    captured = capsys.readouterr()
    assert "RuntimeError: boom" in captured.err
    assert "  ok    fine" in captured.out
    assert "FAILED chapters: boom" in captured.out


def test_densification_in_a_chapter_fails_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def densifies(check: Checker) -> None:
        a = np.array([[2.0, 1.0], [0.0, 3.0]])
        s = kb.kron(a, np.eye(2)) + kb.aslinearoperator(np.eye(4))  # no structured solve
        check.close("solve", kb.solve(s, np.ones(4)), np.ones(4))

    _register(monkeypatch, "densifies", densifies)
    assert _cli.main(["tour", "densifies"]) == 1
    assert "DensificationWarning" in capsys.readouterr().err


# ---- the check helper ---------------------------------------------------------------
def test_checker_close_passes_and_fails() -> None:
    out = io.StringIO()
    c = Checker(out)
    assert c.close("equal", np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-14]))
    assert c.ok and c.passed == 1
    assert not c.close("off by 0.1", np.array([1.0, 2.1]), np.array([1.0, 2.0]))
    assert not c.ok
    assert c.failures == ["off by 0.1"]
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("  ok    equal") and "max err" in lines[0]
    assert lines[1].startswith("  FAIL  off by 0.1") and "> tol" in lines[1]


@pytest.mark.parametrize(
    ("got", "expected"),
    [
        (np.ones(3), np.ones(4)),  # shape mismatch, no broadcasting
        (np.ones((1, 3)), np.ones(3)),
        (np.array([np.nan]), np.array([1.0])),  # NaN never passes
        (np.array([np.inf]), np.array([1.0])),  # an infinity against a number
        (np.array([1.0, 2.0]), np.array([np.inf, 1.0])),  # an infinity does not hide errors
    ],
)
def test_checker_close_cannot_be_fooled(got: np.ndarray, expected: np.ndarray) -> None:
    c = Checker(io.StringIO())
    assert not c.close("x", got, expected, tol=1.0)
    assert c.failures == ["x"]


def test_checker_close_is_relative_for_large_entries() -> None:
    c = Checker(io.StringIO())
    assert c.close("big", np.array([1e6 + 1e-7]), np.array([1e6]))
    assert not c.close("small", np.array([1e-7]), np.array([0.0]))
    assert c.close("equal infinities", np.array([-np.inf, 1.0]), np.array([-np.inf, 1.0]))


def test_checker_exact_below_that_and_operators() -> None:
    out = io.StringIO()
    c = Checker(out)
    a = np.array([[1, 2], [3, 4]])
    assert c.exact("kron", kb.kron(a, a), np.kron(a, a))  # an operator is formed densely
    assert not c.exact("one entry", np.array([1, 2]), np.array([1, 3]))
    assert not c.exact("shape", np.array([1, 2]), np.array([[1, 2]]))
    assert c.below("residual", 1e-15, 1e-10)
    assert not c.below("residual too big", 1e-3, 1e-10)
    assert not c.below("nan residual", float("nan"), 1e-10)
    assert c.that("fact", True)
    assert not c.that("false fact", False, "detail")
    assert c.passed == 3
    assert c.failures == ["one entry", "shape", "residual too big", "nan residual", "false fact"]
    text = out.getvalue()
    assert "1 of 2 entries differ" in text
    assert text.count("  FAIL  ") == 5


def test_tour_equations_chapter() -> None:
    env = {**os.environ, "KRONBLOCK_TOUR_SMALL": "1", "KRONBLOCK_TOUR_OUT": str(TMP)}
    proc = subprocess.run(
        [sys.executable, "-m", "kronblock", "tour", "equations"],
        capture_output=True, text=True, encoding="utf-8", timeout=300, check=False, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "FAIL" not in out
    assert "Warning" not in proc.stderr, proc.stderr
    ok_lines = [line for line in out.splitlines() if line.startswith("  ok    ")]
    for label in (
        "kb.solve_sylvester = the seeds' dense Kronecker solve",
        "relative residual ‖AX + XB − C‖/‖C‖ at n = 300",
        "a singular Sylvester equation raises LinAlgError",
        "reported error = ‖M − A⊗B‖_F formed densely",
        "lstsq through the structure (cell means) = dense np.linalg.lstsq",
        "the separable model beats the per-cell fit",
        "sharpen: kb filter_operator @ vec(image) = seeds' np.kron(H, H) @ vec",
        "edge: separable_filter = scipy.ndimage.correlate1d on both axes",
        "500×500: separable_filter = scipy.ndimage.convolve1d ×2",
        "Tikhonov deblur through the factor SVDs = dense normal equations",
    ):
        assert any(label in line for line in ok_lines), label
    assert re.search(rf"^equations: all {len(ok_lines)} checks ok ", out, re.MULTILINE)
    if importlib.util.find_spec("matplotlib") is not None:
        assert (Path(TMP) / "separable_filters.png").stat().st_size > 1000
