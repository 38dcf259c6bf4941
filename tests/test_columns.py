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
    # four chunks whatever this machine has, so the split is exercised everywhere
    monkeypatch.setattr(_columns, "threads", lambda: 4)


def test_chunks_cover_the_columns_in_order() -> None:
    for k in (1, 2, 3, 7, 200):
        for length in (8, 4096, 1 << 20):
            chunks = _columns.column_chunks(k, length)
            assert chunks[0].start == 0 and chunks[-1].stop == k
            assert all(a.stop == b.start for a, b in itertools.pairwise(chunks))
            assert all(c.stop > c.start for c in chunks)
            assert len(chunks) <= min(_columns.threads(), k)
    assert len(_columns.column_chunks(1000, 4)) == 1  # 4000 elements: one thread


def test_every_chunk_runs_once_and_errors_propagate(four_threads: None) -> None:
    chunks = _columns.column_chunks(40, 1 << 16)
    assert len(chunks) == 4
    seen: list[int] = []
    _columns.run_chunks(lambda i, c: seen.append(i), chunks)
    assert sorted(seen) == [0, 1, 2, 3]

    def fail_third(i: int, c: slice) -> None:
        if i == 2:
            raise ValueError("chunk 2")

    with pytest.raises(ValueError, match="chunk 2"):
        _columns.run_chunks(fail_third, chunks)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_split_toeplitz_solve_and_product_match_scipy(four_threads: None, dtype: type) -> None:
    rng = np.random.default_rng(0)
    n, k = 300, 500  # length 600 × 500 columns: four chunks
    c = 0.8 ** np.arange(n) * (1.0 + 0.5j if dtype == np.complex128 else 1.0)
    c[0] = 3.0
    r = np.conj(c)
    b = rng.standard_normal((n, k)).astype(dtype)
    if dtype == np.complex128:
        b = b + 1j * rng.standard_normal((n, k))
    t = kb.toeplitz(c.astype(dtype))
    assert len(_columns.column_chunks(k, 2 * n)) == 4
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


def test_split_circulant_product_matches_dense(four_threads: None) -> None:
    rng = np.random.default_rng(1)
    n, k = 512, 300
    c = rng.standard_normal(n)
    b = rng.standard_normal((n, k))
    before = b.copy()
    y = kb.circulant(c) @ b
    np.testing.assert_array_equal(b, before)
    np.testing.assert_allclose(y, sla.circulant(c) @ b, rtol=1e-11, atol=1e-11 * np.abs(y).max())
