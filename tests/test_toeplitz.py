"""Toeplitz matrices beyond the conformance suite (which runs ``_factories_toeplitz.py``).

Particular to ``Toeplitz``: SciPy's conventions, the two
product methods, the solve ladder (Levinson–Durbin, non-symmetric Levinson,
GMRES/CG with circulant preconditioners), breakdowns and singular matrices
(errors tested by message), many right-hand sides against SciPy's
``solve_toeplitz``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import scipy.linalg as sla

import kronblock as kb
from _factories_toeplitz import FACTORIES_TOEPLITZ
from conftest import from_numpy, to_numpy
from kronblock.operators._toeplitz import (
    ToeplitzFactorization,
    _banded_matmat,
    _fft_matmat,
    circulant_preconditioner,
    toeplitz,
)
from kronblock.solvers import ConvergenceError

STRUCTURES = sorted(FACTORIES_TOEPLITZ)


# ---- SciPy's conventions ---------------------------------------------------------------------
def test_conventions_are_scipys() -> None:
    c = np.array([1.0 + 2j, 2.0 - 1j, 3.0 + 0.5j])
    r = np.array([9.0, 4.0 + 1j, 5.0, 6.0j])
    # without r: Hermitian, r = conj(c) (and c[0] stays as given, as SciPy's)
    np.testing.assert_array_equal(toeplitz(c).to_dense(), sla.toeplitz(c))
    # r[0] is ignored: c[0] is the diagonal
    np.testing.assert_array_equal(toeplitz(c, r).to_dense(), sla.toeplitz(c, r))
    np.testing.assert_array_equal(toeplitz(c, r).T.to_dense(), sla.toeplitz(c, r).T)
    # lists, rectangular both ways, mixed dtypes promote as NumPy does
    np.testing.assert_array_equal(
        toeplitz([1, 2], [1, 3, 4]).to_dense(), sla.toeplitz([1, 2], [1, 3, 4])
    )
    t = toeplitz(np.arange(4), np.array([0.0, 0.5]))
    assert t.dtype == np.float64 and t.shape == (4, 2)
    np.testing.assert_array_equal(t.to_dense(), sla.toeplitz(np.arange(4), [0.0, 0.5]))


def test_hermitian_tag_only_when_exact() -> None:
    c = np.array([2.0, 0.5, 0.1])
    assert "hermitian" in toeplitz(c).tags
    assert "hermitian" not in toeplitz(c, c + 1e-15).tags
    assert "hermitian" not in toeplitz(c, c[:2]).tags  # rectangular


def test_integer_toeplitz_products_are_exact() -> None:
    c, r = np.array([3, -1, 2, 7]), np.array([3, 4, 0, 0, 5])
    t = toeplitz(c, r)
    x = np.arange(10).reshape(5, 2)
    y = t @ x
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(y, sla.toeplitz(c, r) @ x)


# ---- the two product methods ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128", "complex64"])
@pytest.mark.parametrize(("m", "n"), [(1, 1), (1, 7), (9, 1), (50, 50), (30, 70), (70, 30)])
def test_banded_and_fft_products_agree(xp: Any, dtype: str, m: int, n: int) -> None:
    rng = np.random.default_rng(m * 100 + n)
    c, r = rng.standard_normal(m), rng.standard_normal(n)
    if dtype.startswith("complex"):
        c, r = c + 1j * rng.standard_normal(m), r + 1j * rng.standard_normal(n)
    c[5:], r[3:] = 0.0, 0.0  # a band of at most 8 diagonals
    c, r = c.astype(dtype), r.astype(dtype)
    t = toeplitz(from_numpy(xp, c), from_numpy(xp, r))
    x = rng.standard_normal((n, 4)).astype(dtype)
    ref = sla.toeplitz(c.astype(complex), r.astype(complex)) @ x
    tol = 1e-5 if dtype in ("float32", "complex64") else 1e-12
    for how in (_banded_matmat, _fft_matmat):
        y = how(t, from_numpy(xp, x))
        assert str(y.dtype).split(".")[-1] == dtype
        np.testing.assert_allclose(to_numpy(y), ref, rtol=tol, atol=tol * np.abs(ref).max())


def test_cost_model_picks_the_band_for_short_bands_only() -> None:
    n = 4096
    tri = toeplitz(np.r_[2.0, -1.0, np.zeros(n - 2)])
    full = toeplitz(0.5 ** np.arange(n))
    assert tri.product_method(1) == "banded" and tri.product_method(64) == "banded"
    assert full.product_method(1) == "fft" and full.product_method(64) == "fft"
    # the nonzero diagonals are found once, from the data
    assert tri.nonzero_diagonals() == [n - 2, n - 1, n]


# ---- solves: the ladder ------------------------------------------------------------------------
def _kms(n: int, rho: float, cplx: bool = False) -> np.ndarray:
    k = np.arange(n)
    c = rho**k * (np.exp(0.4j * k) if cplx else 1.0)
    return c


@pytest.mark.parametrize("cplx", [False, True])
def test_spd_many_right_hand_sides_match_solve_toeplitz(cplx: bool) -> None:
    n, k = 300, 7
    c = _kms(n, 0.8, cplx) + 0.3 * _kms(n, -0.5)
    rng = np.random.default_rng(1)
    b = rng.standard_normal((n, k)) + (1j * rng.standard_normal((n, k)) if cplx else 0)
    t = toeplitz(c)
    f = kb.factorize(t)
    assert f.method == "levinson-durbin" and f.positive_definite
    x = f.solve(b)
    ref = sla.solve_toeplitz(c, b)  # SciPy: one recursion per column
    np.testing.assert_allclose(x, ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())
    np.testing.assert_allclose(kb.solve(t, b[:, 0]), ref[:, 0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(
        f.solve(b, adjoint=True), np.linalg.solve(sla.toeplitz(c).conj().T, b), rtol=1e-9
    )
    sign, logabs = kb.slogdet(t)
    ref_sign, ref_logabs = np.linalg.slogdet(sla.toeplitz(c))
    assert abs(complex(sign) - ref_sign) < 1e-12
    assert abs(float(logabs) - ref_logabs) < 1e-9 * abs(ref_logabs)
    assert np.isclose(float(np.real(kb.logdet(t))), ref_logabs, rtol=1e-10)
    # batches of right-hand sides: (*batch, n, k)
    bb = np.stack([b, 2 * b])
    np.testing.assert_allclose(kb.solve(t, bb)[1], 2 * ref, rtol=1e-9, atol=1e-9)


def test_float32_stays_float32_and_is_accurate() -> None:
    n = 200
    c = (_kms(n, 0.6) + np.r_[1.0, np.zeros(n - 1)]).astype(np.float32)
    b = np.random.default_rng(2).standard_normal((n, 3)).astype(np.float32)
    t = toeplitz(c)
    x = kb.solve(t, b)
    assert x.dtype == np.float32 and (t @ b).dtype == np.float32
    ref = np.linalg.solve(sla.toeplitz(c.astype(np.float64)), b.astype(np.float64))
    assert np.abs(x - ref).max() <= 1e-5 * np.abs(ref).max()
    assert kb.slogdet(t)[1].dtype == np.float32


def test_nonsymmetric_levinson_and_adjoint() -> None:
    rng = np.random.default_rng(3)
    n = 120
    c = rng.standard_normal(n) * 0.6 ** np.arange(n)
    r = rng.standard_normal(n) * 0.7 ** np.arange(n)
    c[0] = r[0] = 4.0
    t = toeplitz(c, r)
    dense = sla.toeplitz(c, r)
    f = kb.factorize(t)
    assert f.method == "levinson" and f.quality is not None and f.quality < 1e-12
    b = rng.standard_normal((n, 5))
    np.testing.assert_allclose(f.solve(b), np.linalg.solve(dense, b), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        f.solve(b, adjoint=True), np.linalg.solve(dense.T, b), rtol=1e-10, atol=1e-12
    )
    assert f.last_result is None  # the residual check passed: no refinement
    np.testing.assert_allclose(kb.inv(t) @ b, np.linalg.solve(dense, b), rtol=1e-10, atol=1e-12)
    ref = np.linalg.slogdet(dense)
    sign, logabs = kb.slogdet(t)
    assert float(sign) == ref[0] and np.isclose(float(logabs), ref[1], rtol=1e-12)


def test_indefinite_hermitian_goes_the_checked_way() -> None:
    n = 60
    c = _kms(n, 0.5)
    c[0] = c[0] - 1.2  # indefinite: the symbol (1-ρ²)/|1-ρe^{iθ}|² - 1.2 changes sign
    t = toeplitz(c)
    dense = sla.toeplitz(c)
    w = np.linalg.eigvalsh(dense)
    assert w[0] < 0 < w[-1]
    f = kb.factorize(t)
    assert not f.positive_definite and f.method in ("levinson", "gmres")
    b = np.random.default_rng(4).standard_normal((n, 2))
    ref = np.linalg.solve(dense, b)
    np.testing.assert_allclose(f.solve(b), ref, rtol=1e-7, atol=1e-9 * np.abs(ref).max())
    with pytest.raises(kb.LinAlgError, match="not positive definite"):
        kb.cho_factor(t)


def test_breakdown_falls_back_to_preconditioned_gmres() -> None:
    # c₀ = 0: the leading 1×1 block is singular, the matrix is not
    c = np.array([0.0, 1.0, 2.0, 0.5, 0.25])
    r = np.array([0.0, 3.0, -1.0, 0.5, 1.0])
    dense = sla.toeplitz(c, r)
    assert abs(np.linalg.det(dense)) > 1e-3
    t = toeplitz(c, r)
    f = kb.factorize(t)
    assert f.method == "gmres" and f.breakdown == 0
    b = np.arange(10.0).reshape(5, 2)
    np.testing.assert_allclose(f.solve(b), np.linalg.solve(dense, b), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        f.solve(b, adjoint=True), np.linalg.solve(dense.T, b), rtol=1e-10, atol=1e-12
    )
    assert f.last_result is not None and f.last_result.converged
    np.testing.assert_allclose(kb.solve(t, b), np.linalg.solve(dense, b), rtol=1e-10, atol=1e-12)
    # no Levinson determinant here: the dense fallback, said by its warning
    with pytest.warns(kb.DensificationWarning, match="slogdet"):
        sign, logabs = kb.slogdet(t)
    ref = np.linalg.slogdet(dense)
    assert float(sign) == ref[0] and np.isclose(float(logabs), ref[1])


def test_breakdown_in_a_later_step() -> None:
    # the leading 2×2 block [[1, 1], [1, 1]] is singular, the 4×4 matrix is not
    c = np.array([1.0, 1.0, 0.3, -2.0])
    r = np.array([1.0, 1.0, 2.0, 0.5])
    dense = sla.toeplitz(c, r)
    assert abs(np.linalg.det(dense)) > 1e-2
    f = kb.factorize(toeplitz(c, r))
    assert f.breakdown == 1 and f.method == "gmres"
    b = np.array([1.0, -2.0, 0.5, 3.0])
    np.testing.assert_allclose(f.solve(b), np.linalg.solve(dense, b), rtol=1e-10, atol=1e-12)
    with pytest.raises(kb.LinAlgError, match=r"broke down at step 1: the leading 2×2 block"):
        ToeplitzFactorization(toeplitz(c, r), method="levinson")


def test_unstable_levinson_is_caught_not_returned() -> None:
    # a leading block that is nearly singular (not exactly): Levinson runs through but
    # amplifies rounding; the check sees it and the answer is still right
    c = np.array([1e-9, 1.0, 0.5, 0.2, 0.1, 0.05])
    r = np.array([1e-9, 2.0, -0.3, 0.4, 0.0, 0.1])
    dense = sla.toeplitz(c, r)
    t = toeplitz(c, r)
    f = kb.factorize(t)
    b = np.random.default_rng(5).standard_normal((6, 3))
    ref = np.linalg.solve(dense, b)
    x = f.solve(b)
    assert np.abs(dense @ x - b).max() <= 1e-12 * np.abs(b).max() * np.linalg.norm(dense, 1)
    np.testing.assert_allclose(x, ref, rtol=1e-8, atol=1e-10 * np.abs(ref).max())


def test_singular_toeplitz_is_an_error_naming_it() -> None:
    t = toeplitz(np.ones(3))  # rank 1: Levinson breaks down, GMRES cannot converge
    with pytest.raises(kb.LinAlgError, match="singular or too ill-conditioned") as info:
        kb.solve(t, np.array([1.0, 0.0, 0.0]))
    assert isinstance(info.value, ConvergenceError)
    assert "broke down at step 1" in str(info.value) and "kb.lstsq" in str(info.value)
    assert str(info.value).startswith("solve: ")
    assert info.value.result.converged is False
    with pytest.raises(kb.LinAlgError, match="not positive definite: its leading 2×2 block"):
        kb.cho_factor(t)
    with pytest.raises(kb.LinAlgError, match="broke down at step 0"):
        ToeplitzFactorization(toeplitz(np.zeros(4)), method="levinson")
    # singular by a zero last prediction error: the same way out
    with pytest.raises(kb.LinAlgError, match="singular or too ill-conditioned"):
        kb.solve(toeplitz([1.0, -1.0], [1.0, -1.0]), np.array([1.0, 2.0]))


def test_positive_definite_needs_hermitian() -> None:
    c = np.array([3.0, 1.0, 0.5])
    with pytest.raises(kb.LinAlgError, match="not positive definite: it is not Hermitian"):
        kb.cho_factor(toeplitz(c, np.array([3.0, -1.0, 0.5])))
    # Hermitian up to rounding is accepted (the column is used), as a dense Cholesky does
    f = kb.cho_factor(toeplitz(c, c * (1 + 1e-14)))
    assert f.positive_definite
    np.testing.assert_allclose(f.solve(np.ones(3)), np.linalg.solve(sla.toeplitz(c), np.ones(3)))


@pytest.mark.parametrize("preconditioner", ["chan", "strang"])
def test_iterative_methods(xp: Any, preconditioner: str) -> None:
    n = 400
    c = 1.0 / (1.0 + np.arange(n)) ** 2  # a positive symbol (Wiener class)
    c[0] += 0.1
    t = toeplitz(from_numpy(xp, c))
    b = np.random.default_rng(6).standard_normal((n, 3))
    ref = sla.solve_toeplitz(c, b)
    for method in ("cg", "gmres"):
        f = ToeplitzFactorization(t, method=method, preconditioner=preconditioner)
        assert f.method == method
        x = to_numpy(f.solve(from_numpy(xp, b)))
        np.testing.assert_allclose(x, ref, rtol=1e-9, atol=1e-10 * np.abs(ref).max())
        res = f.last_result
        assert res is not None and res.converged and res.iterations < 40
        assert res.method == method.upper()
    # a user tolerance is reported as asked
    f = ToeplitzFactorization(t, method="gmres", rtol=1e-4)
    f.solve(from_numpy(xp, b))
    assert f.last_result.converged and f.last_result.rtol == 1e-4


def test_iterative_method_errors() -> None:
    c = 1.0 / (1.0 + np.arange(200))
    r = np.r_[c[0], -c[1:]]
    with pytest.raises(kb.LinAlgError, match="method='cg' needs a Hermitian"):
        ToeplitzFactorization(toeplitz(c, r), method="cg")
    f = ToeplitzFactorization(toeplitz(c, r), method="gmres", maxiter=2, restart=2)
    with pytest.raises(ConvergenceError, match="stopped after 2 iterations") as info:
        f.solve(np.ones(200))
    assert "T. Chan circulant preconditioner" in str(info.value)
    assert info.value.result.iterations == 2
    with pytest.raises(ValueError, match="method must be one of"):
        ToeplitzFactorization(toeplitz(c), method="lu")
    with pytest.raises(ValueError, match="preconditioner must be one of"):
        ToeplitzFactorization(toeplitz(c), preconditioner="tyrtyshnikov")


def test_circulant_preconditioners() -> None:
    c, r = np.array([4.0, 1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0, 7.0])
    t = sla.toeplitz(c, r)
    # T. Chan: the Frobenius-nearest circulant, sₖ = ((n-k) tₖ + k t_{k-n}) / n
    chan = circulant_preconditioner(c, r, "chan")
    best = np.array(
        [np.mean(np.diag(t, -k).tolist() + np.diag(t, 4 - k).tolist()) for k in range(4)]
    )
    np.testing.assert_allclose(chan, best)
    # Strang: the central diagonals, their mean at k = n/2
    np.testing.assert_allclose(circulant_preconditioner(c, r, "strang"), [4.0, 1.0, 4.0, 5.0])


def test_inverse_is_lazy_and_exact() -> None:
    c = _kms(50, 0.7)
    ti = kb.inv(toeplitz(c))
    assert not isinstance(ti, np.ndarray) and ti.shape == (50, 50)
    np.testing.assert_allclose(ti.to_dense(), np.linalg.inv(sla.toeplitz(c)), atol=1e-12)


def test_input_errors() -> None:
    with pytest.raises(ValueError, match="the first column c must be a 1-D array"):
        toeplitz(np.ones((2, 2)))
    with pytest.raises(ValueError, match="must have at least one entry"):
        toeplitz(np.ones(0))
    with pytest.raises(ValueError, match="the first row r must be a 1-D array"):
        toeplitz(np.ones(2), np.ones((1, 2)))
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="cannot be mixed"):
        toeplitz(np.ones(2), torch.ones(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="needs a square operator, got shape"):
        kb.solve(toeplitz(np.ones(3), np.ones(2)), np.ones(3))
    with pytest.raises(ValueError, match="contains NaN or inf"):
        kb.solve(toeplitz(np.array([1.0, np.nan])), np.ones(2))


def test_no_structured_operation_densifies_unexpectedly() -> None:
    n = 64
    t = toeplitz(_kms(n, 0.5))
    r = toeplitz(np.arange(1.0, 6.0), np.arange(1.0, 9.0))
    b = np.ones(n)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kb.DensificationWarning)
        out = [
            kb.solve(t, b), kb.inv(t) @ b, kb.det(t), kb.slogdet(t), kb.logdet(t),
            kb.factorize(t), kb.cho_factor(t), kb.trace(t), kb.diagonal(t), kb.diagonal(r),
            kb.norm(t), kb.norm(r, 1), kb.norm(r, -np.inf), t @ b, b @ t, t.T @ b, t.H @ b,
            t[3, :], r[:, 2], 2.0 * t @ b, kb.solve(2.0 * t, b), kb.trace(r),
        ]  # fmt: skip
    assert len(out) == 22
    for name, fn in (("eigh", kb.eigvalsh), ("svd", kb.svd), ("cholesky", kb.cholesky)):
        with pytest.warns(kb.DensificationWarning, match=name):
            fn(t)


def test_concurrent_solves_do_not_share_buffers() -> None:
    from concurrent.futures import ThreadPoolExecutor

    n = 500
    c = _kms(n, 0.7)
    t = toeplitz(c)
    f = kb.factorize(t)
    rng = np.random.default_rng(7)
    bs = [rng.standard_normal((n, 8)) for _ in range(8)]
    with ThreadPoolExecutor(4) as pool:
        xs = list(pool.map(f.solve, bs))
        ys = list(pool.map(lambda b: t @ b, bs))
    for b, x, y in zip(bs, xs, ys):
        np.testing.assert_allclose(sla.toeplitz(c) @ x, b, atol=1e-10)
        np.testing.assert_allclose(y, sla.toeplitz(c) @ b, atol=1e-10)
    assert not np.shares_memory(f.solve(bs[0]), f.solve(bs[1]))  # results are fresh arrays
