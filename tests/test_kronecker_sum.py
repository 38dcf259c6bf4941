"""Kronecker sums beyond the conformance suite: the Sylvester fact, singular sums, matrix functions.

The conformance suite (``tests/test_conformance.py``, factory ``kronsum``) checks every
operation against dense NumPy on drawn cases; here are the facts and errors particular to
``KroneckerSum``, each against an independent reference (NumPy, SciPy).
"""

from __future__ import annotations

import warnings
from functools import reduce
from typing import Any

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import kronblock as kb
from conftest import from_numpy, library, to_numpy


def dense_kronsum(*factors: np.ndarray) -> np.ndarray:
    dims = [f.shape[0] for f in factors]
    return sum(
        reduce(np.kron, [f if j == i else np.eye(d) for j, d in enumerate(dims)])
        for i, f in enumerate(factors)
    )


def nonnormal(rng: np.random.Generator, n: int, shift: float = 3.0) -> np.ndarray:
    # upper triangular part makes it far from normal; eigenvalues shift ± O(1)
    return np.triu(rng.standard_normal((n, n)), 1) * 3 + np.diag(shift + rng.random(n))


def spd(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.standard_normal((n, n))
    return a @ a.T / n + np.eye(n)


def path_laplacian(n: int) -> np.ndarray:
    lap = 2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)
    lap[0, 0] = lap[-1, -1] = 1
    return lap


@given(
    m=st.integers(1, 8), n=st.integers(1, 8), k=st.integers(1, 3), seed=st.integers(0, 2**31 - 1)
)
def test_solve_kronsum_is_solve_sylvester(m: int, n: int, k: int, seed: int) -> None:
    """With row-major vec, solve(kronsum(A, B), C.ravel()) = solve_sylvester(A, B.T, C).ravel()."""
    rng = np.random.default_rng(seed)
    a, b = nonnormal(rng, m), nonnormal(rng, n)
    cs = rng.standard_normal((k, m, n))
    s = kb.kronsum(a, b)
    x = kb.solve(s, cs.reshape(k, m * n).T)  # k right-hand sides, one per column
    for j in range(k):
        ref = sla.solve_sylvester(a, b.T, cs[j])
        np.testing.assert_allclose(x[:, j], ref.ravel(), rtol=1e-9, atol=1e-12)
    assert x.dtype == np.float64


def test_order_is_numpys_not_scipy_sparse() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((2, 2))
    ours = kb.kronsum(a, b).to_dense()
    np.testing.assert_allclose(ours, np.kron(a, np.eye(2)) + np.kron(np.eye(3), b))
    np.testing.assert_allclose(ours, sp.kronsum(b, a).toarray())  # SciPy's argument order


def test_nested_sums_flatten_and_matvec_matches_dense() -> None:
    rng = np.random.default_rng(1)
    f = [rng.standard_normal((n, n)) for n in (2, 3, 4)]
    s = kb.kronsum(kb.kronsum(f[0], f[1]), f[2])
    assert len(s.factors) == 3
    x = rng.standard_normal((24, 2))
    np.testing.assert_allclose(s @ x, dense_kronsum(*f) @ x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.T @ s, x.T @ dense_kronsum(*f), rtol=1e-12, atol=1e-12)


def test_non_square_factor_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"kronsum: factor 1 has shape \(2, 3\).*square"):
        kb.kronsum(np.eye(2), np.ones((2, 3)))
    with pytest.raises(ValueError, match="at least one factor"):
        kb.kronsum()


def test_singular_sum_raises_and_slogdet_is_zero() -> None:
    lap = path_laplacian(4)  # eigenvalue 0, so L ⊕ L is singular
    s = kb.kronsum(lap, lap)
    b = np.ones(16)
    with pytest.raises(kb.LinAlgError, match=r"solve: the Kronecker sum is singular.*lstsq"):
        kb.solve(s, b)
    with pytest.raises(kb.LinAlgError, match="singular"):
        kb.inv(s)
    sign, logabs = kb.slogdet(s)  # eigenvalue sums at the rounding level count as zero
    assert float(sign) == 0.0 and float(logabs) == -np.inf
    assert float(kb.det(s)) == 0.0
    # the minimum-norm least-squares answer, through the structured SVD (normal factors)
    x, _, rank, _ = kb.lstsq(s, b - b.mean())
    ref, _, ref_rank, _ = np.linalg.lstsq(dense_kronsum(lap, lap), b - b.mean(), rcond=None)
    assert rank == ref_rank == 15
    np.testing.assert_allclose(x, ref, atol=1e-12)


def test_singular_general_sum_raises() -> None:
    a = np.array([[1.0, 5.0], [0.0, 2.0]])  # eigenvalues 1, 2; -a has -1, -2
    s = kb.kronsum(a, -a.T)
    with pytest.raises(kb.LinAlgError, match="singular"):
        kb.solve(s, np.ones(4))


def test_positive_definite_factorization() -> None:
    rng = np.random.default_rng(2)
    a, b = spd(rng, 4), spd(rng, 3)
    f = kb.cho_factor(kb.kronsum(a, b))
    np.testing.assert_allclose(f.logdet(), np.linalg.slogdet(dense_kronsum(a, b))[1])
    with pytest.raises(kb.LinAlgError, match="not positive definite"):
        kb.cho_factor(kb.kronsum(a, -3 * b))
    with pytest.raises(kb.LinAlgError, match="not positive definite"):
        kb.cho_factor(kb.kronsum(a, nonnormal(rng, 3)))


def test_normal_non_hermitian_factors_use_the_unitary_eigenbasis() -> None:
    # a rotation (orthogonal) and a skew-symmetric plus shift: normal, not symmetric
    t = 0.7
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]) * 2
    skew = np.array([[0.0, 1.0, 2.0], [-1.0, 0.0, 3.0], [-2.0, -3.0, 0.0]]) + np.eye(3)
    third = np.diag([1.0, -0.5])
    s = kb.kronsum(rot, skew, third)
    dense = dense_kronsum(rot, skew, third)
    f = kb.factorize(s)
    assert f.diagonal  # every factor's Schur form is diagonal
    b = np.arange(12.0)
    x = f.solve(b)
    assert x.dtype == np.float64
    np.testing.assert_allclose(x, np.linalg.solve(dense, b), rtol=1e-12)
    sign, logabs = kb.slogdet(s)
    ref = np.linalg.slogdet(dense)
    assert float(sign) == ref[0]
    np.testing.assert_allclose(logabs, ref[1], rtol=1e-12)
    np.testing.assert_allclose(kb.norm(s, 2), np.linalg.norm(dense, 2))
    two = kb.kronsum(rot, skew)  # two real factors: the real Bartels–Stewart route
    assert isinstance(kb.factorize(two), kb.linalg.Factorization)
    np.testing.assert_allclose(
        kb.solve(two, b[:6]), np.linalg.solve(dense_kronsum(rot, skew), b[:6]), rtol=1e-12
    )


def test_expm_is_a_kronecker_product_of_factor_exponentials() -> None:
    rng = np.random.default_rng(3)
    a, b = nonnormal(rng, 3, -1.0), rng.standard_normal((4, 4))
    s = kb.kronsum(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kb.DensificationWarning)
        e = kb.expm(s)
        heat = kb.expm(-0.3 * s)  # scaling goes into the factors: still a Kronecker product
    assert isinstance(e, kb.Kronecker) and isinstance(heat, kb.Kronecker)
    d = dense_kronsum(a, b)
    np.testing.assert_allclose(e.to_dense(), sla.expm(d), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(heat.to_dense(), sla.expm(-0.3 * d), rtol=1e-10, atol=1e-12)


def test_funm_heat_kernel_and_resolvent() -> None:
    l1, l2, l3 = path_laplacian(5), path_laplacian(4), path_laplacian(3)
    s = kb.kronsum(l1, l2, l3)
    d = dense_kronsum(l1, l2, l3)
    x = np.random.default_rng(4).standard_normal(60)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kb.DensificationWarning)
        heat = kb.funm(s, lambda lam: np.exp(-0.5 * lam))
        resolvent = kb.funm(s, lambda lam: 1 / (lam + 2.0))
        # f(2·S) with f = √ (eigenvalue 0 may round below zero: clip it)
        scaled = kb.funm(2.0 * s, lambda lam: np.sqrt(np.maximum(lam, 0.0)))
    np.testing.assert_allclose(heat @ x, sla.expm(-0.5 * d) @ x, rtol=1e-10)
    np.testing.assert_allclose(resolvent @ x, np.linalg.solve(d + 2 * np.eye(60), x), rtol=1e-10)
    np.testing.assert_allclose(scaled.to_dense(), sla.sqrtm(2 * d).real, atol=1e-10)


def test_funm_refuses_non_normal_factors() -> None:
    rng = np.random.default_rng(5)
    s = kb.kronsum(nonnormal(rng, 3), np.eye(2))
    with pytest.raises(kb.LinAlgError, match=r"factor 0.*not normal.*expm"):
        kb.funm(s, np.exp)


def test_no_public_operation_on_a_hermitian_sum_densifies() -> None:
    rng = np.random.default_rng(6)
    fs = [spd(rng, n) for n in (3, 4, 5)]
    s = kb.kronsum(*fs)
    b = rng.standard_normal(60)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kb.DensificationWarning)
        results = [
            kb.solve(s, b), kb.inv(s), kb.det(s), kb.slogdet(s), kb.logdet(s), kb.eigh(s),
            kb.eigvalsh(s), kb.eigvals(s), kb.eig(s), kb.svd(s), kb.svdvals(s), kb.trace(s),
            kb.diagonal(s), kb.norm(s), kb.norm(s, 2), kb.norm(s, 1), kb.norm(s, "nuc"),
            kb.pinv(s), kb.lstsq(s, b), kb.factorize(s), kb.cho_factor(s), kb.expm(s),
            kb.funm(s, np.log), s.T, s.H, s[1, 2], s[3, :], kb.solve(2.0 * s, b),
        ]  # fmt: skip
    assert len(results) == 28
    d = dense_kronsum(*fs)
    np.testing.assert_allclose(results[0], np.linalg.solve(d, b), rtol=1e-10)
    np.testing.assert_allclose(results[22].to_dense(), sla.logm(d), atol=1e-10)


def test_general_sums_do_not_densify_the_exact_operations() -> None:
    rng = np.random.default_rng(7)
    fs = [nonnormal(rng, n) for n in (3, 4, 2)]
    s = kb.kronsum(*fs)
    d = dense_kronsum(*fs)
    b = rng.standard_normal((24, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", kb.DensificationWarning)
        x = kb.solve(s, b)
        xa = kb.factorize(s).solve(b, adjoint=True)
        sign, logabs = kb.slogdet(s)
        norms = [kb.norm(s, o) for o in ("fro", 1, -1, np.inf, -np.inf)]
    np.testing.assert_allclose(x, np.linalg.solve(d, b), rtol=1e-10)
    np.testing.assert_allclose(xa, np.linalg.solve(d.T, b), rtol=1e-10)
    ref = np.linalg.slogdet(d)
    assert float(sign) == ref[0]
    np.testing.assert_allclose(logabs, ref[1], rtol=1e-12)
    for o, v in zip(("fro", 1, -1, np.inf, -np.inf), norms):
        np.testing.assert_allclose(v, np.linalg.norm(d, o), rtol=1e-12)


def test_large_sum_solve_and_logdet_without_forming_it() -> None:
    rng = np.random.default_rng(8)
    fs = [spd(rng, 30) for _ in range(3)]  # N = 27000: the dense matrix would be 5.8 GB
    s = kb.kronsum(*fs)
    b = rng.standard_normal(27000)
    x = kb.solve(s, b)
    assert np.linalg.norm(s @ x - b) <= 1e-10 * np.linalg.norm(b)
    lam = reduce(
        lambda u, v: (u[:, None] + v[None, :]).ravel(), [np.linalg.eigvalsh(f) for f in fs]
    )
    np.testing.assert_allclose(kb.logdet(s), np.sum(np.log(lam)), rtol=1e-12)
    g = [nonnormal(rng, 30) for _ in range(3)]
    sg = kb.kronsum(*g)
    xg = kb.solve(sg, b)
    assert np.linalg.norm(sg @ xg - b) <= 1e-9 * np.linalg.norm(b)


@pytest.mark.parametrize("dtype", ["float32", "complex64", "complex128"])
def test_dtypes_are_preserved(dtype: str) -> None:
    rng = np.random.default_rng(9)
    a = nonnormal(rng, 3).astype(dtype)
    b = spd(rng, 4).astype(dtype)
    s = kb.kronsum(a, b)
    rhs = np.ones(12, dtype=dtype)
    x = kb.solve(s, rhs)
    assert x.dtype == np.dtype(dtype)
    ref = np.linalg.solve(dense_kronsum(a, b).astype(np.complex128), rhs)
    np.testing.assert_allclose(x, ref, rtol=1e-4 if dtype in ("float32", "complex64") else 1e-12)


def test_general_solve_on_other_backends(xp: Any) -> None:
    rng = np.random.default_rng(10)
    a, b = nonnormal(rng, 3), nonnormal(rng, 4)
    s = kb.kronsum(from_numpy(xp, a), from_numpy(xp, b))
    rhs = rng.standard_normal(12)
    x = kb.solve(s, from_numpy(xp, rhs))
    assert library(x) == xp.__name__.replace("array_api_compat.", "")
    np.testing.assert_allclose(to_numpy(x), np.linalg.solve(dense_kronsum(a, b), rhs), rtol=1e-10)
    e = kb.expm(s)
    np.testing.assert_allclose(to_numpy(e.to_dense()), sla.expm(dense_kronsum(a, b)), rtol=1e-9)


# ---- regressions found in review --------------------------------------------------------
def test_nearly_symmetric_factors_take_the_general_path() -> None:
    a = np.array([[1.0, 0.0], [0.003, 1.0]], dtype=np.float32)  # far from symmetric in float32
    x = kb.solve(kb.kronsum(a, np.ones((1, 1), dtype=np.float32)), np.ones(2, dtype=np.float32))
    np.testing.assert_allclose(x, np.linalg.solve(a + np.eye(2), np.ones(2)), rtol=1e-6)
    d = np.array([1 + 1e-8j, 2.0])  # complex diagonal, not exactly real: not Hermitian
    b = np.array([[2.0, 1.0], [1.0, 3.0]])
    ref = np.linalg.solve(dense_kronsum(np.diag(d), b), np.ones(4))
    np.testing.assert_allclose(kb.solve(kb.kronsum(kb.diag(d), b), np.ones(4)), ref, rtol=1e-12)


def test_ill_conditioned_float32_sum_is_not_called_singular() -> None:
    lap = path_laplacian(30).astype(np.float32)
    s = kb.kronsum(lap + np.float32(1e-4) * np.eye(30, dtype=np.float32), lap)  # cond ≈ 8e4
    sign, logabs = kb.slogdet(s)
    ref = np.linalg.slogdet(s.to_dense().astype(np.float64))
    assert float(sign) == ref[0]
    np.testing.assert_allclose(float(logabs), ref[1], rtol=1e-5)
    x = kb.solve(s, np.ones(900, dtype=np.float32))
    assert np.linalg.norm(s @ x - 1) / 30 < 1e-2  # backward stable at cond·eps32


def test_complex64_phase_is_accumulated_in_double() -> None:
    rng = np.random.default_rng(11)
    fs = []
    for _ in range(3):  # Hermitian plus 5i·I: eigenvalues off the real axis, N = 27000
        g = rng.standard_normal((30, 30))
        fs.append(g + g.T + 5j * np.eye(30))
    s64 = kb.kronsum(*[f.astype(np.complex64) for f in fs])
    s128 = kb.kronsum(*fs)
    p64, p128 = complex(kb.slogdet(s64)[0]), complex(kb.slogdet(s128)[0])
    assert abs(p64 - p128) < 1e-2  # a float32 angle sum would be off by ~0.1 rad here


def test_inverse_of_a_real_sum_with_a_complex_eigenbasis_is_real() -> None:
    rot = np.array([[2.0, -1.0], [1.0, 2.0]])  # normal, complex eigenvectors
    s = kb.kronsum(rot, np.diag([1.0, 3.0]))
    i = kb.inv(s)
    assert i.dtype == np.float64
    np.testing.assert_allclose(i.to_dense(), np.linalg.inv(s.to_dense()), atol=1e-14)


def test_frobenius_norm_without_cancellation() -> None:
    rng = np.random.default_rng(12)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((4, 4))
    s = kb.kronsum(a + 1e4 * np.eye(3), b - 1e4 * np.eye(4))  # = kronsum(a, b) exactly
    np.testing.assert_allclose(kb.norm(s), np.linalg.norm(dense_kronsum(a, b)), rtol=1e-10)


def test_expm_of_a_scaled_shifted_sum_keeps_the_structure() -> None:
    rng = np.random.default_rng(13)
    a, b = spd(rng, 3), spd(rng, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kb.DensificationWarning)
        e1 = kb.expm(-0.5 * (kb.kronsum(a, b) + 2.0 * kb.identity(12)))
        e2 = kb.expm(-0.5 * (kb.kron(a, b) + kb.identity(12)))
    np.testing.assert_allclose(
        e1.to_dense(), sla.expm(-0.5 * (dense_kronsum(a, b) + 2 * np.eye(12))), atol=1e-14
    )
    np.testing.assert_allclose(
        e2.to_dense(), sla.expm(-0.5 * (np.kron(a, b) + np.eye(12))), atol=1e-14
    )


def test_funm_of_a_defective_dense_matrix_raises() -> None:
    jordan = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]])
    with pytest.raises(kb.LinAlgError, match=r"inaccurate.*expm"):
        kb.funm(jordan, np.exp)


def test_empty_factors() -> None:
    s = kb.kronsum(np.zeros((0, 0)), np.eye(3))
    assert s.shape == (0, 0)
    assert (s @ np.zeros(0)).shape == (0,)
    assert kb.solve(s, np.zeros(0)).shape == (0,)
    k = kb.kron(np.ones((2, 0)), np.eye(3))  # as numpy.kron: shape (6, 0)
    np.testing.assert_array_equal(k @ np.zeros(0), np.zeros(6))
