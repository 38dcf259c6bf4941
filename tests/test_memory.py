"""Memory: a Kronecker product of N = 10⁷ works in O(N) memory, never N².

NumPy reports its allocations to ``tracemalloc``, so the traced peak above the
baseline is the memory the operation allocated for arrays (BLAS/LAPACK
workspaces of the small factors are negligible).  One float64 vector of
length N is 80 MB; the dense matrix would be 800 TB.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import kronblock as kb

DIMS = (200, 250, 200)
N = 200 * 250 * 200  # 10⁷
VECTOR_BYTES = N * 8

#: ``K @ x``: the result plus one intermediate (two buffers live at the widest point).
MATMUL_MAX_RATIO = 3.5
#: ``solve``: the result, one intermediate and a working copy for LAPACK's getrs.
SOLVE_MAX_RATIO = 4.5


@pytest.fixture(scope="module")
def problem() -> Iterator[tuple[kb.Kronecker, list[np.ndarray], np.ndarray]]:
    rng = np.random.default_rng(0)
    # well conditioned, non-symmetric factors
    factors = [rng.standard_normal((d, d)) / np.sqrt(d) + 3 * np.eye(d) for d in DIMS]
    k = kb.kron(*factors)
    assert k.shape == (N, N)
    x = rng.standard_normal(N)
    yield k, factors, x


def _peak_ratio(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``fn`` once, return (traced peak above the baseline / one vector, result)."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        out = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - base) / VECTOR_BYTES, out


def _check_rows(factors: list[np.ndarray], x: np.ndarray, y: np.ndarray, rows: np.ndarray) -> None:
    """Check a few entries of ``y = K @ x`` against the definition, without forming K."""
    a, b, c = factors
    n1, n2, n3 = DIMS
    for r in rows:
        i, j, k = np.unravel_index(r, DIMS)
        # K[r, :] = kron(a[i], b[j], c[k]); its product with x contracts each mode in turn
        t = (a[i] @ x.reshape(n1, n2 * n3)).reshape(n2, n3)
        ref = c[k] @ (b[j] @ t)
        np.testing.assert_allclose(y[r], ref, rtol=1e-9, atol=1e-9)


def test_matmul_peak_memory_is_o_n(problem: Any) -> None:
    k, factors, x = problem
    before = x.copy()
    ratio, y = _peak_ratio(lambda: k @ x)
    print(f"\nK @ x, N = {N:.0e}: peak {ratio:.2f} × N·8 bytes above the baseline")
    assert y.shape == (N,)
    assert y.dtype == np.float64
    assert ratio <= MATMUL_MAX_RATIO, f"K @ x peaked at {ratio:.2f} × N·8 bytes"
    # the result occupies at least one vector: the measurement is real
    assert ratio >= 1.0
    rows = np.random.default_rng(1).integers(0, N, size=5)
    _check_rows(factors, x, y, rows)
    np.testing.assert_array_equal(x, before)


def test_matmul_peak_memory_stays_o_n_while_schedules_are_measured(problem: Any) -> None:
    # the first dozen products of a shape time the candidate schedules: same memory
    from kronblock.operators._kron_matmul import TUNING

    k, factors, x = problem
    TUNING.clear()
    try:
        ratios = []
        for _ in range(3 * (TUNING.rounds + 1) + 1):
            ratio, y = _peak_ratio(lambda: k @ x)
            ratios.append(ratio)
        assert all(t.choice is not None for t in TUNING._table.values())
    finally:
        TUNING.clear()
    print(f"\nK @ x while measuring: peaks {[round(r, 2) for r in ratios]} × N·8 bytes")
    assert max(ratios) <= MATMUL_MAX_RATIO, f"K @ x peaked at {max(ratios):.2f} × N·8 bytes"
    _check_rows(factors, x, y, np.random.default_rng(3).integers(0, N, size=3))


def test_solve_peak_memory_is_o_n(problem: Any) -> None:
    k, factors, x = problem
    ratio, sol = _peak_ratio(lambda: kb.solve(k, x))
    print(f"\nsolve(K, x), N = {N:.0e}: peak {ratio:.2f} × N·8 bytes above the baseline")
    assert sol.shape == (N,)
    assert ratio <= SOLVE_MAX_RATIO, f"solve peaked at {ratio:.2f} × N·8 bytes"
    assert ratio >= 1.0
    # K @ sol reproduces x (checked on a few rows, through the definition)
    rows = np.random.default_rng(2).integers(0, N, size=5)
    _check_rows(factors, sol, x, rows)
