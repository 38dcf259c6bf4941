"""Block matrices beyond the conformance suite: construction errors, pivots, KKT, structure kept."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import kronblock as kb
from conftest import from_numpy, library, to_numpy


def spd(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.standard_normal((n, n))
    return a @ a.T / n + np.eye(n)


@pytest.fixture(autouse=True)
def _no_densification():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("error", kb.DensificationWarning)
        yield


def test_mirrors_numpy_block_with_zero_blocks() -> None:
    rng = np.random.default_rng(0)
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 1)), rng.standard_normal((4, 1))
    m = kb.block([[a, b], [None, c]])
    ref = np.block([[a, b], [np.zeros((4, 3)), c]])
    assert m.shape == (6, 4) and m.grid_shape == (2, 2)
    np.testing.assert_array_equal(m.to_dense(), ref)
    x = rng.standard_normal((4, 2))
    np.testing.assert_allclose(m @ x, ref @ x)
    np.testing.assert_allclose(x.T @ m.T, (ref @ x).T)
    np.testing.assert_allclose(m.H.to_dense(), ref.T)
    np.testing.assert_allclose(m[[0, 5, 3], [1, 3, 0]], ref[[0, 5, 3], [1, 3, 0]])
    z = kb.block([[0, a], [c, 0]], row_sizes=[2, 4], col_sizes=[1, 3])
    np.testing.assert_array_equal(
        z.to_dense(), np.block([[np.zeros((2, 1)), a], [c, np.zeros((4, 3))]])
    )


def test_construction_errors_name_the_blocks() -> None:
    a, b = np.ones((2, 2)), np.ones((3, 2))
    with pytest.raises(ValueError, match=r"blocks \(0, 0\) and \(0, 1\).*heights 2 and 3"):
        kb.block([[a, b.T.T]])
    with pytest.raises(ValueError, match=r"block row 1 has only zero blocks.*row_sizes="):
        kb.block([[a, a], [0, None]])
    with pytest.raises(ValueError, match=r"block column 0 has only zero blocks.*col_sizes="):
        kb.block([[0, a], [None, a]])
    with pytest.raises(ValueError, match="rows of equal length"):
        kb.block([[a, a], [a]])
    with pytest.raises(TypeError, match=r"block \(0, 1\) is the scalar 2.*kb.identity"):
        kb.block([[a, 2], [a, a]])
    with pytest.raises(ValueError, match="row_sizes says 5"):
        kb.block([[a, a]], row_sizes=[5])
    with pytest.raises(ValueError, match="every block is zero"):
        kb.block([[0]], row_sizes=[2], col_sizes=[2])


def test_kkt_saddle_point_with_a_kronecker_block() -> None:
    rng = np.random.default_rng(1)
    s1, s2 = spd(rng, 20), spd(rng, 30)
    a = kb.kron(s1, s2)  # 600 × 600, factorized by its factors
    bm = rng.standard_normal((15, 600))
    kkt = kb.block([[a, bm.T], [bm, None]])
    ref = np.block([[np.kron(s1, s2), bm.T], [bm, np.zeros((15, 15))]])
    rhs = rng.standard_normal(615)
    f = kb.factorize(kkt)
    assert isinstance(f, kb.BlockFactorization) and f.pivot == 0
    assert isinstance(f.fp, kb.KroneckerFactorization)  # the pivot kept its structure
    x = f.solve(rhs)
    np.testing.assert_allclose(x, np.linalg.solve(ref, rhs), rtol=1e-8, atol=1e-10)
    sign, logabs = f.slogdet()
    ref_sign, ref_logabs = np.linalg.slogdet(ref)
    assert float(sign) == ref_sign == (-1) ** 15  # inertia: 600 positive, 15 negative
    np.testing.assert_allclose(logabs, ref_logabs, rtol=1e-10)


def test_zero_pivot_uses_the_other_diagonal_block() -> None:
    rng = np.random.default_rng(2)
    bm, cm, dm = rng.standard_normal((2, 3)), rng.standard_normal((3, 2)), spd(rng, 3)
    m = kb.block([[None, bm], [cm, dm]])
    ref = np.block([[np.zeros((2, 2)), bm], [cm, dm]])
    f = kb.factorize(m)
    assert f.pivot == 1
    np.testing.assert_allclose(f.solve(np.ones(5)), np.linalg.solve(ref, np.ones(5)))
    np.testing.assert_allclose(kb.inv(m).to_dense(), np.linalg.inv(ref), atol=1e-12)
    np.testing.assert_allclose(kb.det(m), np.linalg.det(ref))


def test_no_diagonal_pivot_is_a_clear_error() -> None:
    rng = np.random.default_rng(3)
    b, c = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    m = kb.block([[None, b], [c, None]])  # nonsingular, but both diagonal blocks are zero
    with pytest.raises(kb.LinAlgError, match=r"solve: no diagonal block.*pivot.*reorder"):
        kb.solve(m, np.ones(6))
    swapped = kb.block([[b, None], [None, c]])  # the way out: permute the unknowns
    np.testing.assert_allclose(swapped @ kb.solve(swapped, np.ones(6)), np.ones(6))


def test_singular_schur_complement_is_reported() -> None:
    a = np.eye(2)
    m = kb.block([[a, a], [a, a]])  # S = A − A A⁻¹ A = 0
    with pytest.raises(kb.LinAlgError, match="singular"):
        kb.solve(m, np.ones(4))
    sign, logabs = kb.slogdet(m)
    assert float(sign) == 0.0 and float(logabs) == -np.inf


def test_block_triangular_keeps_the_diagonal_blocks_structure() -> None:
    rng = np.random.default_rng(4)
    k1 = kb.kron(spd(rng, 5), spd(rng, 4))
    k2 = kb.kron(spd(rng, 3), spd(rng, 6))
    c = rng.standard_normal((18, 20))
    m = kb.block([[k1, None], [c, k2]])
    f = kb.factorize(m)
    assert isinstance(f.fs, kb.KroneckerFactorization)  # S = D exactly: C couples one way only
    ref = m.to_dense()
    rhs = rng.standard_normal((38, 3))
    np.testing.assert_allclose(f.solve(rhs), np.linalg.solve(ref, rhs), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(
        f.solve(rhs, adjoint=True), np.linalg.solve(ref.T, rhs), rtol=1e-9, atol=1e-11
    )
    np.testing.assert_allclose(f.logdet(), np.linalg.slogdet(ref)[1], rtol=1e-12)


def test_inverse_is_a_block_operator() -> None:
    rng = np.random.default_rng(5)
    a, d = spd(rng, 3), spd(rng, 2)
    b = rng.standard_normal((3, 2))
    m = kb.block([[a, b], [b.T, d]])
    mi = kb.inv(m)
    assert isinstance(mi, kb.Block) and mi.row_sizes == (3, 2)
    np.testing.assert_allclose(mi.to_dense(), np.linalg.inv(m.to_dense()), atol=1e-12)
    three = kb.block([[a, b, None], [b.T, d, None], [None, None, spd(rng, 4)]])
    inv3 = kb.inv(three)
    assert isinstance(inv3, kb.Block) and inv3.row_sizes == (3, 6)  # pivot vs the rest
    np.testing.assert_allclose(inv3.to_dense(), np.linalg.inv(three.to_dense()), atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "complex128"])
def test_dtype_preserved(dtype: str) -> None:
    rng = np.random.default_rng(6)
    a = spd(rng, 3).astype(dtype)
    b = rng.standard_normal((3, 2)).astype(dtype)
    m = kb.block([[a, b], [b.conj().T, -np.eye(2, dtype=dtype)]])
    x = kb.solve(m, np.ones(5, dtype=dtype))
    assert x.dtype == np.dtype(dtype)
    np.testing.assert_allclose(m @ x, np.ones(5), rtol=1e-4 if dtype == "float32" else 1e-12)


def test_other_backends(xp: Any) -> None:
    rng = np.random.default_rng(7)
    a, d = spd(rng, 4), spd(rng, 2)
    b = rng.standard_normal((4, 2))
    m = kb.block([[from_numpy(xp, a), from_numpy(xp, b)], [from_numpy(xp, b.T), from_numpy(xp, d)]])
    rhs = rng.standard_normal(6)
    x = kb.solve(m, from_numpy(xp, rhs))
    assert library(x) == xp.__name__.replace("array_api_compat.", "")
    np.testing.assert_allclose(to_numpy(x), np.linalg.solve(np.block([[a, b], [b.T, d]]), rhs))


def test_small_pivot_bordering_a_large_kronecker_block_stays_structured() -> None:
    rng = np.random.default_rng(8)
    for n1, n2 in ((6, 5), (200, 200)):  # N = 30 (checked densely) and 40000 (12.8 GB dense)
        k = kb.kron(spd(rng, n1), spd(rng, n2))
        p_block = spd(rng, 3) * 5
        bmat = rng.standard_normal((3, n1 * n2)) / np.sqrt(n1 * n2)
        cmat = rng.standard_normal((n1 * n2, 3)) / np.sqrt(n1 * n2)
        m = kb.block([[p_block, bmat], [cmat, k]])
        f = kb.factorize(m)
        assert type(f.fs).__name__ == "WoodburyFactorization"  # S = K − C P⁻¹ B, never formed
        rhs = rng.standard_normal(m.shape[0])
        x = f.solve(rhs)
        assert np.linalg.norm(m @ x - rhs) <= 1e-10 * np.linalg.norm(rhs)
        xa = f.solve(rhs, adjoint=True)
        assert np.linalg.norm(m.H @ xa - rhs) <= 1e-10 * np.linalg.norm(rhs)
        if n1 * n2 < 100:
            dense = m.to_dense()
            np.testing.assert_allclose(x, np.linalg.solve(dense, rhs), rtol=1e-10)
            sign, logabs = f.slogdet()
            ref = np.linalg.slogdet(dense)
            assert float(sign) == ref[0]
            np.testing.assert_allclose(logabs, ref[1], rtol=1e-12)
