"""Sums with exact structured algorithms: K + σ²I, K + D, A₁⊗B₁ + A₂⊗B₂, and K + diag(d) by PCG.

References are dense NumPy float64; each structured path is also checked not to densify.
"""

from __future__ import annotations

import warnings
from functools import reduce

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kronblock as kb
from kronblock.solvers import ConvergenceError


def spd(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.standard_normal((n, n))
    return a @ a.T / n + 0.1 * np.eye(n)


def sym(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.standard_normal((n, n))
    return (a + a.T) / 2


@pytest.fixture(autouse=True)
def _no_densification():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("error", kb.DensificationWarning)
        yield


@given(
    dims=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    sigma2=st.floats(0.05, 5.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_kron_plus_shift_solve_logdet_eigh(dims: list[int], sigma2: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    fs = [spd(rng, n) for n in dims]
    n = int(np.prod(dims))
    op = kb.kron(*fs) + sigma2 * kb.identity(n)
    dense = reduce(np.kron, fs) + sigma2 * np.eye(n)
    b = rng.standard_normal((n, 2))
    f = kb.factorize(op)  # one factorization: many solves and the logdet
    np.testing.assert_allclose(f.solve(b), np.linalg.solve(dense, b), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(f.logdet(), np.linalg.slogdet(dense)[1], rtol=1e-10, atol=1e-10)
    w, v = kb.eigh(op)
    vd = v.to_dense()
    np.testing.assert_allclose((vd * w) @ vd.T, dense, atol=1e-10 * np.abs(dense).max())
    np.testing.assert_allclose(kb.eigvalsh(op), np.linalg.eigvalsh(dense), rtol=1e-10)


def test_gp_sized_kron_plus_noise_never_forms_the_matrix() -> None:
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 120)
    s = np.linspace(0, 1, 90)
    kt = np.exp(-((t[:, None] - t[None, :]) ** 2) / 0.02)  # RBF kernels, numerically singular
    ks = np.exp(-((s[:, None] - s[None, :]) ** 2) / 0.05)
    op = kb.kron(kt, ks) + 0.1 * kb.identity(120 * 90)  # N = 10800: 933 MB dense
    y = rng.standard_normal(120 * 90)
    f = kb.factorize(op)
    alpha = f.solve(y)
    assert np.linalg.norm(op @ alpha - y) <= 1e-8 * np.linalg.norm(y)
    lam = np.kron(np.linalg.eigvalsh(kt), np.linalg.eigvalsh(ks)) + 0.1
    np.testing.assert_allclose(f.logdet(), np.sum(np.log(lam)), rtol=1e-10)


@given(dims=st.lists(st.integers(1, 5), min_size=1, max_size=3), seed=st.integers(0, 2**31 - 1))
def test_kron_plus_kronecker_diagonal_by_whitening(dims: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    fs = [spd(rng, n) for n in dims]
    ds = [rng.uniform(0.5, 2.0, n) for n in dims]
    op = kb.kron(*fs) + kb.kron(*[kb.diag(d) for d in ds])
    dense = reduce(np.kron, fs) + np.diag(reduce(np.kron, ds))
    b = rng.standard_normal(dense.shape[0])
    np.testing.assert_allclose(kb.solve(op, b), np.linalg.solve(dense, b), rtol=1e-8, atol=1e-10)
    sign, logabs = kb.slogdet(op)
    ref = np.linalg.slogdet(dense)
    assert float(sign) == ref[0]
    np.testing.assert_allclose(logabs, ref[1], rtol=1e-10, atol=1e-10)


@given(n=st.integers(1, 6), m=st.integers(1, 6), seed=st.integers(0, 2**31 - 1))
def test_sum_of_two_kronecker_products(n: int, m: int, seed: int) -> None:
    """A₁⊗B₁ + A₂⊗B₂ (A₁, B₁ symmetric indefinite; A₂, B₂ SPD) by generalized eigenproblems."""
    rng = np.random.default_rng(seed)
    a1, b1, a2, b2 = sym(rng, n), sym(rng, m), spd(rng, n), spd(rng, m)
    op = kb.kron(a1, b1) + kb.kron(a2, b2)
    dense = np.kron(a1, b1) + np.kron(a2, b2)
    if np.linalg.cond(dense) > 1e8:
        return  # an (almost) singular draw: nothing to compare
    b = rng.standard_normal(n * m)
    rtol = 1e-12 * np.linalg.cond(dense) * 100
    np.testing.assert_allclose(kb.solve(op, b), np.linalg.solve(dense, b), rtol=rtol, atol=rtol)
    sign, logabs = kb.slogdet(op)
    ref = np.linalg.slogdet(dense)
    assert float(sign) == ref[0]
    np.testing.assert_allclose(logabs, ref[1], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(kb.inv(op).to_dense(), np.linalg.inv(dense), rtol=rtol, atol=rtol)


def test_kronsum_plus_shift_stays_a_kronecker_sum() -> None:
    rng = np.random.default_rng(1)
    a, b = sym(rng, 3), sym(rng, 4)
    op = 2.0 * kb.kronsum(a, b) + 5.0 * kb.identity(12)
    dense = 2 * (np.kron(a, np.eye(4)) + np.kron(np.eye(3), b)) + 5 * np.eye(12)
    assert isinstance(kb.factorize(op), kb.KroneckerSumFactorization)
    np.testing.assert_allclose(kb.solve(op, np.ones(12)), np.linalg.solve(dense, np.ones(12)))
    np.testing.assert_allclose(kb.eigvalsh(op), np.linalg.eigvalsh(dense), atol=1e-12)
    assert isinstance(kb.expm(op), kb.Kronecker)


def test_kron_plus_arbitrary_diagonal_by_pcg() -> None:
    rng = np.random.default_rng(2)
    fs = [spd(rng, 20), spd(rng, 30)]
    d = rng.uniform(0.1, 3.0, 600)  # no Kronecker structure
    op = kb.kron(*fs) + kb.diag(d)
    dense = np.kron(*fs) + np.diag(d)
    b = rng.standard_normal((600, 3))
    f = kb.factorize(op)
    assert isinstance(f, kb.KroneckerDiagonalPCG)
    x = f.solve(b)
    res = f.last_result
    assert res.converged and res.method == "PCG"
    assert res.rtol_reached <= 1e-12 and res.iterations < 100
    np.testing.assert_allclose(x, np.linalg.solve(dense, b), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(kb.solve(op, b[:, 0]), np.linalg.solve(dense, b[:, 0]), rtol=1e-9)
    # the preconditioner matters: plain CG needs many more iterations
    plain = kb.solvers.CG(rtol=1e-12, maxiter=5000).solve(op, b[:, 0])
    assert plain.iterations > f.last_result.iterations


def test_pcg_non_convergence_and_logdet_fallback() -> None:
    rng = np.random.default_rng(3)
    fs = [spd(rng, 10), spd(rng, 10)]
    d = rng.uniform(0.01, 100.0, 100)
    op = kb.kron(*fs) + kb.diag(d)
    f = kb.KroneckerDiagonalPCG(op, maxiter=1)
    with pytest.raises(ConvergenceError, match="PCG") as info:
        f.solve(np.ones(100))
    assert info.value.result.iterations == 1
    assert isinstance(info.value, kb.LinAlgError)
    with pytest.warns(kb.DensificationWarning):
        _, logabs = f.slogdet()
    ref = np.linalg.slogdet(np.kron(*fs) + np.diag(d))
    np.testing.assert_allclose(logabs, ref[1], rtol=1e-12)


def test_unstructured_sums_fall_back_with_a_warning() -> None:
    rng = np.random.default_rng(4)
    a = rng.standard_normal((3, 3))  # not symmetric: no generalized eigenproblem
    op = kb.kron(a, np.eye(2)) + 0.5 * kb.identity(6)
    with pytest.warns(kb.DensificationWarning):
        x = kb.solve(op, np.ones(6))
    np.testing.assert_allclose(
        x, np.linalg.solve(np.kron(a, np.eye(2)) + 0.5 * np.eye(6), np.ones(6))
    )
    with pytest.raises(ValueError, match="KroneckerDiagonalPCG: expected"):
        kb.KroneckerDiagonalPCG(op)


def test_the_better_conditioned_term_is_the_metric() -> None:
    rng = np.random.default_rng(5)
    q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    b1 = (q * np.array([1e-12, 1.0, 1.0, 1.0])) @ q.T
    b1 = (b1 + b1.T) / 2  # positive definite, cond 1e12
    s4, s5 = spd(rng, 4), spd(rng, 5)
    op = kb.kron(s4, s5) + kb.kron(b1, np.eye(5))  # the whole is well conditioned
    dense = np.kron(s4, s5) + np.kron(b1, np.eye(5))
    b = rng.standard_normal(20)
    np.testing.assert_allclose(kb.solve(op, b), np.linalg.solve(dense, b), rtol=1e-12)
    np.testing.assert_allclose(kb.slogdet(op)[1], np.linalg.slogdet(dense)[1], rtol=1e-12)


def test_pcg_accepts_a_stagnated_but_backward_stable_solve() -> None:
    rng = np.random.default_rng(6)
    q, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    a = (q * np.linspace(1e-9, 1.0, 30)) @ q.T
    a = (a + a.T) / 2
    b_ = spd(rng, 30)
    d = rng.uniform(1e-9, 1e-8, 900)
    op = kb.kron(a, b_) + kb.diag(d)  # cond ≈ 1e9: the residual cannot reach 1e-12·‖b‖
    dense = np.kron(a, b_) + np.diag(d)
    rhs = rng.standard_normal(900)
    x = kb.solve(op, rhs)
    ref = np.linalg.solve(dense, rhs)
    assert np.linalg.norm(x - ref) <= 1e-6 * np.linalg.norm(ref)


def test_inverse_of_kron_plus_diagonal_is_a_pcg_operator() -> None:
    rng = np.random.default_rng(7)
    fs = [spd(rng, 6), spd(rng, 5)]
    d = rng.uniform(0.5, 2.0, 30)
    inv_op = kb.inv(kb.kron(*fs) + kb.diag(d))
    dense = np.kron(*fs) + np.diag(d)
    np.testing.assert_allclose(inv_op @ np.ones(30), np.linalg.solve(dense, np.ones(30)), rtol=1e-9)


def test_non_square_kronecker_plus_diagonal_falls_back() -> None:
    rng = np.random.default_rng(8)
    k = kb.kron(rng.standard_normal((2, 3)), rng.standard_normal((3, 2)))  # 6 × 6
    d = rng.uniform(1.0, 2.0, 6)
    with pytest.warns(kb.DensificationWarning):
        x = kb.solve(k + kb.diag(d), np.ones(6))
    np.testing.assert_allclose(x, np.linalg.solve(k.to_dense() + np.diag(d), np.ones(6)))


def test_block_diagonal_plus_shift_stays_block_diagonal() -> None:
    rng = np.random.default_rng(9)
    blocks = [rng.standard_normal((3, 3)) for _ in range(4)]
    blocks.append(kb.kronsum(np.diag([2.0, 3.0]), sym(rng, 2)))
    d = kb.block_diag(*blocks)
    n = d.shape[0]
    for op, dense in (
        (d + 2.0 * kb.identity(n), d.to_dense() + 2 * np.eye(n)),
        (-0.5 * d + kb.identity(n), -0.5 * d.to_dense() + np.eye(n)),
    ):
        b = rng.standard_normal(n)
        np.testing.assert_allclose(kb.solve(op, b), np.linalg.solve(dense, b), rtol=1e-10)
        np.testing.assert_allclose(kb.inv(op).to_dense(), np.linalg.inv(dense), atol=1e-12)
        sign, logabs = kb.slogdet(op)
        ref = np.linalg.slogdet(dense)
        assert float(sign) == ref[0]
        np.testing.assert_allclose(logabs, ref[1], rtol=1e-12)


def test_several_shifts_are_one_shift() -> None:
    rng = np.random.default_rng(10)
    a, b = spd(rng, 3), spd(rng, 4)
    op = kb.kron(a, b) + 0.1 * kb.identity(12) + 0.2 * kb.identity(12)
    dense = np.kron(a, b) + 0.3 * np.eye(12)
    np.testing.assert_allclose(kb.solve(op, np.ones(12)), np.linalg.solve(dense, np.ones(12)))
    np.testing.assert_allclose(kb.logdet(op), np.linalg.slogdet(dense)[1], rtol=1e-12)
