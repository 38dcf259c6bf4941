"""The ``blocks`` case: block-diagonal, Toeplitz, block-Toeplitz and BCCB solves, many columns.

kronblock against what SciPy and NumPy users write today, float64, every
result checked by its residual ``‖A x − b‖ / ‖b‖ ≤ 1e-8`` (``A`` applied
densely in float64, or by the FFT for the BCCB row):

- ``block_diag``: 200 SPD blocks of 20×20 (N = 4000), 200 right-hand sides:
  ``kb.solve(kb.block_diag(*blocks), B)`` against SciPy's dense solve of
  ``scipy.linalg.block_diag(*blocks)`` (``assume_a="pos"``; forming the dense
  matrix is setup) and a NumPy loop over the blocks;
- ``toeplitz_spd``: the symmetric positive definite Toeplitz matrix
  ``t_k = 0.9^k`` plus ``I`` (n = 2000), 200 right-hand sides: ``kb.solve``
  (Levinson–Durbin once, Gohberg–Semencul for all columns) against
  ``scipy.linalg.solve_toeplitz`` (which loops over the columns) and a dense
  Cholesky solve (``cho_factor`` + ``cho_solve``; forming the matrix is setup);
- ``block_toeplitz``: a 2-channel stationary covariance, 2000 steps (N = 4000),
  20 right-hand sides: kronblock's PCG with T. Chan's block-circulant
  preconditioner against a dense Cholesky solve;
- ``bccb``: a periodic 2-D blur on 512 × 512 (N = 262144), 4 right-hand sides:
  ``kb.solve(kb.block_circulant(kernel, levels=2), B)`` against the hand-written
  NumPy FFT deconvolution.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg
from machine import Machine
from peers import Prepared
from report import Row
from suite import _seed
from sums import SOLVE_TOL, _Library, _log, _residual, _row, sums_table
from timing import Skip

__all__ = ["BLOCKS_CASE", "BLOCKS_LIBRARIES", "blocks_section"]

BLOCKS_CASE = "blocks"
"""``--cases`` name of this section."""

BLOCKS_LIBRARIES = ("kronblock", "scipy", "numpy")
"""Columns of the section's table."""

TOEPLITZ_N, TOEPLITZ_RHS = 2000, 200
TOEPLITZ_TARGET = 4.0
"""The issue's target: kronblock's SPD Toeplitz solve at least this many times faster than
the faster of ``scipy.linalg.solve_toeplitz`` and a dense Cholesky solve."""


def _libraries(peers: list[str] | None) -> list[_Library]:
    modules = {
        "kronblock": ("kronblock", "kronblock"),
        "scipy": ("scipy.linalg", "scipy"),
        "numpy": ("numpy", "numpy"),
    }
    names = [n for n in BLOCKS_LIBRARIES if peers is None or n == "kronblock" or n in peers]
    return [_Library(name, *modules[name]) for name in names]


def _tag(row: Row) -> Row:
    row.extra["section"] = BLOCKS_CASE
    return row


def _spd(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.standard_normal((n, n))
    return a @ a.T / n + np.eye(n)


# ---- the rows --------------------------------------------------------------------------------
def _block_diag(libraries: list[_Library], reps: int) -> Row:
    import kronblock as kb

    rng = np.random.default_rng(_seed("block_diag"))
    blocks = [_spd(rng, 20) for _ in range(200)]
    b = rng.standard_normal((4000, 200))
    dense = scipy.linalg.block_diag(*blocks)
    error_of = _residual(lambda x: (dense @ x.reshape(4000, 200)).reshape(-1), b.reshape(-1))

    def scipy_dense() -> Prepared:
        return Prepared(
            lambda: scipy.linalg.solve(dense, b, assume_a="pos", check_finite=False),
            note="dense solve",
        )

    def numpy_loop() -> Prepared:
        def call() -> np.ndarray:
            return np.concatenate(
                [np.linalg.solve(blk, b[20 * i : 20 * i + 20]) for i, blk in enumerate(blocks)]
            )

        return Prepared(call, note="loop")

    op = kb.block_diag(*blocks)
    tasks: dict[str, Callable[[], Prepared]] = {
        "kronblock": lambda: Prepared(lambda: kb.solve(op, b)),
        "scipy": scipy_dense,
        "numpy": numpy_loop,
    }
    desc = "200 SPD blocks of 20×20, 200 right-hand sides"
    return _tag(_row("block_diag", desc, "4000", libraries, tasks, error_of, SOLVE_TOL, reps))


def _toeplitz(libraries: list[_Library], reps: int) -> Row:
    import kronblock as kb

    rng = np.random.default_rng(_seed("toeplitz_spd"))
    n, k = TOEPLITZ_N, TOEPLITZ_RHS
    c = 0.9 ** np.arange(n)
    c[0] += 1.0  # Kac–Murdock–Szegő plus identity: SPD, condition ≈ 20
    dense = scipy.linalg.toeplitz(c)
    b = rng.standard_normal((n, k))
    error_of = _residual(lambda x: (dense @ x.reshape(n, k)).reshape(-1), b.reshape(-1))
    op = kb.toeplitz(c)

    def scipy_levinson() -> Prepared:
        return Prepared(lambda: scipy.linalg.solve_toeplitz(c, b), note="solve_toeplitz")

    def cholesky() -> Prepared:
        def call() -> np.ndarray:
            factor = scipy.linalg.cho_factor(dense, check_finite=False)
            return scipy.linalg.cho_solve(factor, b, check_finite=False)

        return Prepared(call, note="dense Cholesky")

    tasks: dict[str, Callable[[], Prepared]] = {
        "kronblock": lambda: Prepared(lambda: kb.solve(op, b)),
        "scipy": scipy_levinson,
        "numpy": cholesky,
    }
    desc = f"SPD Toeplitz n={n}, {k} right-hand sides"
    return _tag(_row("toeplitz_spd", desc, str(n), libraries, tasks, error_of, SOLVE_TOL, reps))


def _block_toeplitz(libraries: list[_Library], reps: int) -> Row:
    import kronblock as kb

    rng = np.random.default_rng(_seed("block_toeplitz"))
    p, k = 2000, 20
    lags = np.arange(p)
    decay = np.exp(-lags / 30.0) * np.cos(lags / 5.0)
    c = np.empty((p, 2, 2))
    c[:, 0, 0], c[:, 1, 1] = decay, 0.5 * decay
    c[:, 0, 1] = c[:, 1, 0] = 0.3 * decay
    c[0] += 0.1 * np.eye(2)
    op = kb.block_toeplitz(c)
    dense = op.to_dense()
    b = rng.standard_normal((2 * p, k))
    error_of = _residual(lambda x: (dense @ x.reshape(2 * p, k)).reshape(-1), b.reshape(-1))

    def kronblock() -> Prepared:
        solver = kb.BlockToeplitzSolver(op)

        def call() -> tuple[Any, Any]:
            return solver.solve(b), solver.last_result

        prepared = Prepared(call)

        def convert(out: Any) -> Any:
            prepared.note = f"{out[1].method}, {out[1].iterations} it"
            return out[0]

        prepared.convert = convert
        return prepared

    def cholesky() -> Prepared:
        def call() -> np.ndarray:
            factor = scipy.linalg.cho_factor(dense, check_finite=False)
            return scipy.linalg.cho_solve(factor, b, check_finite=False)

        return Prepared(call, note="dense Cholesky")

    tasks: dict[str, Callable[[], Prepared]] = {"kronblock": kronblock, "scipy": cholesky}
    desc = f"2-channel block Toeplitz, {p} steps, {k} right-hand sides"
    return _tag(
        _row("block_toeplitz", desc, str(2 * p), libraries, tasks, error_of, SOLVE_TOL, reps)
    )


def _bccb(libraries: list[_Library], reps: int) -> Row:
    import kronblock as kb

    rng = np.random.default_rng(_seed("bccb"))
    side, k = 512, 4
    kernel = np.zeros((side, side))
    kernel[:3, :3] = np.array([[4.0, 2.0, 1.0], [2.0, 1.0, 0.5], [1.0, 0.5, 0.25]]) / 12.25
    kernel[0, 0] += 0.5
    symbol = np.fft.fft2(kernel)
    b = rng.standard_normal((side * side, k))

    def apply(x: np.ndarray) -> np.ndarray:
        xs = x.reshape(side, side, k)
        y = np.fft.ifft2(symbol[:, :, None] * np.fft.fft2(xs, axes=(0, 1)), axes=(0, 1)).real
        return y.reshape(-1)

    error_of = _residual(apply, b.reshape(-1))
    op = kb.block_circulant(kernel, levels=2)

    def numpy_fft() -> Prepared:
        def call() -> np.ndarray:
            bs = b.reshape(side, side, k)
            x = np.fft.ifft2(np.fft.fft2(bs, axes=(0, 1)) / symbol[:, :, None], axes=(0, 1))
            return x.real.reshape(-1, k)

        return Prepared(call, note="fft2 / symbol")

    def no_scipy() -> Prepared:
        raise Skip("dense 550 GB")

    tasks: dict[str, Callable[[], Prepared]] = {
        "kronblock": lambda: Prepared(lambda: kb.solve(op, b)),
        "scipy": no_scipy,
        "numpy": numpy_fft,
    }
    desc = f"BCCB deblur {side}×{side}, {k} right-hand sides"
    return _tag(_row("bccb", desc, str(side * side), libraries, tasks, error_of, SOLVE_TOL, reps))


# ---- the section ----------------------------------------------------------------------------
def _toeplitz_note(rows: list[Row]) -> str | None:
    row = next((r for r in rows if r.case == "toeplitz_spd"), None)
    if row is None or not row.kronblock_seconds():
        return None
    mine = row.kronblock_seconds()
    assert mine is not None
    peers = {
        name: out.seconds
        for name, out in row.outcomes.items()
        if name != "kronblock" and out.status == "ok" and out.seconds
    }
    if not peers:
        return None
    name, best = min(peers.items(), key=lambda item: item[1])
    label = {"scipy": "solve_toeplitz", "numpy": "dense Cholesky"}[name]
    ratio = best / mine
    verdict = "met" if ratio >= TOEPLITZ_TARGET else "missed"
    return (
        f"SPD Toeplitz, n = {TOEPLITZ_N}, {TOEPLITZ_RHS} right-hand sides: kronblock is "
        f"{ratio:.1f}× faster than the faster of solve_toeplitz and a dense Cholesky solve "
        f"({label}); target ≥ {TOEPLITZ_TARGET:.0f}×: {verdict}."
    )


def blocks_section(
    reps: int, peers: list[str] | None, machine: Machine
) -> tuple[list[Row], str, list[str]]:
    """Run every row of the section; returns the rows, the markdown table and its notes."""
    start = time.perf_counter()
    libraries = _libraries(peers)
    for library in libraries:
        library.missing()
    rows: list[Row] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for make in (_block_diag, _toeplitz, _block_toeplitz, _bccb):
            _log(f"  {make.__name__.strip('_')} ...")
            rows.append(make(libraries, reps))
    names = [library.name for library in libraries]
    table = sums_table(rows, names)
    notes = [
        _toeplitz_note(rows),
        "Cells: a checked median (calls over 1 s: one timed call); every solve checked by "
        f"‖A x − b‖/‖b‖ ≤ {SOLVE_TOL:g}; the scipy and numpy columns are what a user writes "
        "without kronblock (named in each cell); kronblock / matvec is not measured here (—).",
        f"Section wall time: {time.perf_counter() - start:.0f} s.",
    ]
    return rows, table, [n for n in notes if n]
