"""Column chunks on the thread pool (``operators/_columns.py``) and the FFT paths using them.

A product or solve with many right-hand sides is cut into one chunk of
columns per core; every chunk must land in its own columns, in the caller's
dtype, for real and complex data, and an error in any chunk must reach the
caller.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.linalg as sla

import kronblock as kb
from kronblock.operators import _columns


@pytest.fixture
def four_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    # four workers whatever this machine has, so the split is exercised everywhere
    monkeypatch.setattr(_columns, "threads", lambda: 4)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_columns, "CHUNK_ELEMENTS", 1 << 14)


def test_chunks_cover_the_columns_in_order() -> None:
    for k in (1, 2, 3, 7, 200):
        for length in (8, 4096, 1 << 20):
            chunks = _columns.column_chunks(k, length)
            assert chunks[0].start == 0 and chunks[-1].stop == k
            assert all(a.stop == b.start for a, b in itertools.pairwise(chunks))
            widths = [c.stop - c.start for c in chunks]
            assert min(widths) >= 1 and max(widths) - min(widths) <= 1
            assert max(widths) <= max(1, _columns.CHUNK_ELEMENTS // length)
    assert len(_columns.column_chunks(1000, 4)) == 1  # 4000 elements: one chunk


def test_every_chunk_runs_once_per_worker_and_errors_propagate(four_threads: None) -> None:
    chunks = _columns.column_chunks(20, 1 << 17)  # one column per chunk
    assert len(chunks) == 20
    seen: list[tuple[int, int]] = []
    _columns.run_chunks(lambda w, c: seen.append((w, c.start)), chunks, 1 << 17)
    assert sorted(start for _, start in seen) == list(range(20))
    assert {w for w, _ in seen} == {0, 1, 2, 3}
    assert all(start % 4 == w for w, start in seen)  # worker w takes chunks w, w + 4, …
    small: list[int] = []
    _columns.run_chunks(lambda w, c: small.append(w), _columns.column_chunks(3, 8), 8)
    assert small == [0]  # below PARALLEL_MIN: the calling thread only

    def fail_third(w: int, c: slice) -> None:
        if c.start == 2:
            raise ValueError("chunk 2")

    with pytest.raises(ValueError, match="chunk 2"):
        _columns.run_chunks(fail_third, chunks, 1 << 17)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_split_toeplitz_solve_and_product_match_scipy(
    four_threads: None, small_chunks: None, dtype: type
) -> None:
    rng = np.random.default_rng(0)
    n, k = 300, 500  # length 600 × 500 columns: 3 × 10⁵ elements
    c = 0.8 ** np.arange(n) * (1.0 + 0.5j if dtype == np.complex128 else 1.0)
    c[0] = 3.0
    r = np.conj(c)
    b = rng.standard_normal((n, k)).astype(dtype)
    if dtype == np.complex128:
        b = b + 1j * rng.standard_normal((n, k))
    t = kb.toeplitz(c.astype(dtype))
    assert len(_columns.column_chunks(k, 2 * n)) > 4  # several chunks per worker
    x = kb.solve(t, b)
    y = t @ b
    assert x.dtype == y.dtype == dtype
    dense = sla.toeplitz(c, r)
    tol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(y, dense @ b, rtol=tol, atol=tol * np.abs(dense @ b).max())
    expected = sla.solve_toeplitz(
        (c, r), b.astype(np.complex128 if dtype == np.complex128 else np.float64)
    )
    np.testing.assert_allclose(x, expected, rtol=tol, atol=tol * np.abs(expected).max())


def test_split_circulant_product_matches_dense(four_threads: None, small_chunks: None) -> None:
    rng = np.random.default_rng(1)
    n, k = 512, 300
    c = rng.standard_normal(n)
    b = rng.standard_normal((n, k))
    before = b.copy()
    y = kb.circulant(c) @ b
    np.testing.assert_array_equal(b, before)
    np.testing.assert_allclose(y, sla.circulant(c) @ b, rtol=1e-11, atol=1e-11 * np.abs(y).max())


def test_operators_of_different_orders_share_the_workspace_safely() -> None:
    # the kept zero-padded buffers are keyed by every size: a smaller order never
    # finds another's data in its padding
    rng = np.random.default_rng(2)
    k = 40
    cases = []
    for n in (300, 250, 300, 299):
        c = 0.7 ** np.arange(n)
        c[0] = 2.5
        cases.append((c, rng.standard_normal((n, k))))
    for c, b in cases + cases[::-1]:
        t = kb.toeplitz(c)
        np.testing.assert_allclose(kb.solve(t, b), sla.solve_toeplitz(c, b), rtol=1e-11, atol=1e-11)
        np.testing.assert_allclose(t @ b, sla.toeplitz(c) @ b, rtol=1e-11, atol=1e-11)


def test_num_threads_environment_variable_caps_the_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRONBLOCK_NUM_THREADS", "1")
    assert _columns.threads() == 1
    seen: list[int] = []
    _columns.run_chunks(lambda w, c: seen.append(w), _columns.column_chunks(64, 1 << 17), 1 << 17)
    assert set(seen) == {0} and len(seen) == 64
    monkeypatch.setenv("KRONBLOCK_NUM_THREADS", "not a number")
    assert _columns.threads() >= 1
