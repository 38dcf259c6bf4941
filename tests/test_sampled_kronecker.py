"""``SampledKronecker`` (``sampled_kron``): rows of a Kronecker product, and its ``lstsq`` rule."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kronblock as kb
from conftest import from_numpy, to_numpy
from kronblock import testing as kbt
from kronblock.operators._sampled_kronecker import SampledKronecker, sampled_kron


@st.composite
def grids(draw: st.DrawFn) -> tuple[tuple[int, ...], list[np.ndarray], np.random.Generator]:
    """A grid of 1 to 3 axes, scattered observations with repeats and empty cells."""
    naxes = draw(st.integers(1, 3), label="axes")
    dims = tuple(draw(st.integers(1, 5), label=f"n{i}") for i in range(naxes))
    n_obs = draw(st.integers(1, 3 * math.prod(dims) + 2), label="n_obs")
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1), label="seed"))
    full = draw(st.booleans(), label="cover every cell")
    if full:  # every cell at least once, then random repeats
        cells = np.concatenate(
            [np.arange(math.prod(dims)), rng.integers(0, math.prod(dims), n_obs)]
        )
        rows = list(np.unravel_index(rng.permutation(cells), dims))
    else:
        rows = [rng.integers(0, d, n_obs) for d in dims]
    return dims, [np.asarray(r, dtype=np.int64) for r in rows], rng


def _one_hot(dims: tuple[int, ...], rows: list[np.ndarray]) -> np.ndarray:
    flat = np.ravel_multi_index(tuple(rows), dims)
    return np.eye(math.prod(dims))[flat]


@given(grid=grids(), k=st.sampled_from([None, 1, 3]))
def test_lstsq_of_one_hot_design_is_numpys_minimum_norm_answer(
    grid: tuple[tuple[int, ...], list[np.ndarray], np.random.Generator], k: int | None
) -> None:
    dims, rows, rng = grid
    a = sampled_kron([kb.identity(d) for d in dims], rows)
    dense = _one_hot(dims, rows)
    assert np.array_equal(a.to_dense(), dense)
    b = rng.normal(size=(dense.shape[0],) if k is None else (dense.shape[0], k))
    x, res, rank, s = kb.lstsq(a, b)  # no DensificationWarning: the rule is exact
    rx, rres, rrank, rs = np.linalg.lstsq(dense, b, rcond=None)
    assert rank == rrank == np.unique(np.ravel_multi_index(tuple(rows), dims)).size
    assert x.shape == rx.shape
    np.testing.assert_allclose(x, rx, atol=1e-12)
    np.testing.assert_allclose(s, rs, atol=1e-12)
    assert res.shape == rres.shape
    np.testing.assert_allclose(res, rres, rtol=1e-10, atol=1e-12)


@given(grid=grids())
def test_lstsq_cell_means(
    grid: tuple[tuple[int, ...], list[np.ndarray], np.random.Generator],
) -> None:
    dims, rows, rng = grid
    b = rng.normal(size=rows[0].shape[0])
    x = kb.lstsq(sampled_kron([kb.identity(d) for d in dims], rows), b)[0]
    flat = np.ravel_multi_index(tuple(rows), dims)
    counts = np.bincount(flat, minlength=x.size)
    means = np.bincount(flat, weights=b, minlength=x.size) / np.maximum(counts, 1)
    np.testing.assert_allclose(x, means, atol=1e-12)  # 0 on unobserved cells


def test_lstsq_rcond_cuts_cells_like_numpy() -> None:
    rows = [np.array([0, 0, 0, 0, 1, 2]), np.array([0, 0, 0, 0, 1, 0])]
    a = sampled_kron([kb.identity(3), kb.identity(2)], rows)
    b = np.arange(6.0)
    for rcond in (None, 0.6):  # √1/√4 = 0.5 < 0.6: the single cells are cut
        out = kb.lstsq(a, b, rcond=rcond)
        ref = np.linalg.lstsq(a.to_dense(), b, rcond=rcond)
        assert out[2] == ref[2]
        for got, want in zip((out[0], out[3]), (ref[0], ref[3])):
            np.testing.assert_allclose(got, want, atol=1e-12)


def test_lstsq_batch_and_float32_and_backends(xp: Any) -> None:
    rng = np.random.default_rng(1)
    rows = [np.array([0, 1, 1, 2, 2, 2, 0, 1, 2, 0]), np.array([0, 0, 1, 1, 0, 1, 1, 1, 0, 0])]
    dims = (3, 2)
    ident = [kb.Identity(d, xp.float32, xp) for d in dims]
    a = sampled_kron(ident, rows)
    b = rng.normal(size=(2, 10, 3)).astype(np.float32)
    x, res, rank, s = kb.lstsq(a, from_numpy(xp, b))
    assert str(x.dtype).endswith("float32") and x.shape == (2, 6, 3)
    dense = _one_hot(dims, rows)
    for i in range(2):
        rx, rres, _, rs = np.linalg.lstsq(dense, b[i], rcond=None)
        np.testing.assert_allclose(to_numpy(x)[i], rx, atol=1e-5)
        np.testing.assert_allclose(to_numpy(res)[i], rres, rtol=1e-4)
    assert rank == 6
    np.testing.assert_allclose(to_numpy(s), rs, atol=1e-5)


@given(grid=grids(), cplx=st.booleans())
def test_matmul_adjoint_dense_against_numpy(
    grid: tuple[tuple[int, ...], list[np.ndarray], np.random.Generator], cplx: bool
) -> None:
    dims, rows, rng = grid
    factors = []
    for d in dims:
        f = rng.normal(size=(d, int(rng.integers(1, 4))))
        factors.append(f + 1j * rng.normal(size=f.shape) if cplx else f)
    a = sampled_kron(factors, rows)
    full = factors[0]
    for f in factors[1:]:
        full = np.kron(full, f)
    dense = full[np.ravel_multi_index(tuple(rows), dims)]
    assert a.shape == dense.shape
    kbt.check_matmul(a, dense, 1e-12)
    kbt.check_dense(a, dense, 1e-12)


def test_backends_matmul_and_adjoint(xp: Any) -> None:
    rng = np.random.default_rng(2)
    a1, a2 = rng.normal(size=(4, 3)), rng.normal(size=(3, 5))
    rows = [np.array([0, 3, 3, 1, 2, 0, 0]), np.array([2, 2, 2, 0, 1, 0, 1])]
    op = sampled_kron([from_numpy(xp, a1), from_numpy(xp, a2)], rows)
    dense = np.kron(a1, a2)[rows[0] * 3 + rows[1]]
    kbt.check_matmul(op, dense, 1e-12)
    kbt.check_dense(op, dense, 1e-12)


def test_matvec_does_not_form_the_sampled_matrix() -> None:
    # 10⁶ columns, 10⁶ kept rows: a dense N_obs × N matrix would need 8 TB
    n = 1000
    rng = np.random.default_rng(3)
    a1, a2 = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    rows = [rng.integers(0, n, 10), rng.integers(0, n, 10)]
    op = sampled_kron([a1, a2], rows)
    x = rng.normal(size=(n, n))
    y = op @ x.ravel()
    ref = np.einsum("kj,jl,kl->k", a1[rows[0]], x, a2[rows[1]])  # A₁[i,:] X A₂[j,:]ᵀ
    np.testing.assert_allclose(y, ref, rtol=1e-10)


def test_non_identity_factors_use_the_generic_rule() -> None:
    rng = np.random.default_rng(4)
    a1, a2 = rng.normal(size=(3, 2)), rng.normal(size=(2, 2))
    rows = [np.array([0, 1, 2, 2, 0]), np.array([1, 1, 0, 1, 0])]
    op = sampled_kron([a1, a2], rows)
    b = rng.normal(size=5)
    with pytest.warns(kb.DensificationWarning, match="SampledKronecker"):
        x, _, rank, _ = kb.lstsq(op, b)
    ref = np.linalg.lstsq(op.to_dense(), b, rcond=None)
    np.testing.assert_allclose(x, ref[0], atol=1e-10)
    assert rank == ref[2]


def test_neutral_identities_adopt_the_data() -> None:
    rows = [np.array([0, 1]), np.array([1, 1])]
    a = sampled_kron([kb.identity(2), kb.identity(2)], rows)
    assert a.is_neutral
    y = a @ np.arange(4, dtype=np.float32)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [1.0, 3.0])
    np.testing.assert_array_equal(a.H @ np.array([1.0, 2.0]), [0.0, 1.0, 0.0, 2.0])


def test_inputs_are_not_mutated_and_indices_are_copied() -> None:
    r0, r1 = np.array([0, 1, 1]), np.array([1, 0, 1])
    a = sampled_kron([kb.identity(2), kb.identity(2)], [r0, r1])
    r0[0] = 1  # the operator keeps its own copy
    assert a.rows[0][0] == 0
    assert isinstance(a, SampledKronecker) and not a.rows[0].flags.writeable
    b = np.array([1.0, 2.0, 3.0])
    kb.lstsq(a, b)
    np.testing.assert_array_equal(b, [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("factors", "rows", "err", "match"),
    [
        ([], [], ValueError, "at least one factor"),
        ([np.eye(2)], [[0], [1]], ValueError, "1 factors but 2 index arrays"),
        ([np.eye(2), np.eye(3)], [[0, 1], [0]], ValueError, "different lengths"),
        (
            [np.eye(2), np.eye(3)],
            [[0, 2], [0, 0]],
            ValueError,
            "index 2, out of range for factor 0",
        ),
        ([np.eye(2)], [[-1]], ValueError, "index -1"),
        ([np.eye(2)], [[0.5]], TypeError, "integers"),
        ([np.eye(2)], [[[0]]], ValueError, "1-D"),
        (np.eye(2), [[0]], TypeError, "sequence"),
    ],
)
def test_errors(factors: Any, rows: Any, err: type[Exception], match: str) -> None:
    with pytest.raises(err, match=match):
        sampled_kron(factors, rows)


def test_identity_designs_take_the_right_hand_sides_library(xp: Any) -> None:
    """Untyped identities adopt b's library and dtype in solve and lstsq (torch, float32)."""
    rows_x, rows_y = np.array([0, 1, 2, 2]), np.array([1, 0, 1, 1])
    y = np.array([1.0, 2.0, 3.0, 5.0])
    for dtype in ("float64", "float32"):
        yb = xp.asarray(y, dtype=getattr(xp, dtype))
        design = kb.sampled_kron(
            [kb.identity(3), kb.identity(2)], [xp.asarray(rows_x), xp.asarray(rows_y)]
        )
        x, _, rank, _ = kb.lstsq(design, yb)
        assert x.dtype == yb.dtype and rank == 3
        dense = np.zeros((4, 6))
        dense[np.arange(4), rows_x * 2 + rows_y] = 1.0
        np.testing.assert_allclose(to_numpy(x), np.linalg.lstsq(dense, y, rcond=None)[0], 1e-6)
        z = kb.solve(kb.identity(4), yb)
        assert z.dtype == yb.dtype
        np.testing.assert_allclose(to_numpy(z), y)
