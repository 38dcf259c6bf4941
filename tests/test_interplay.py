"""Structures inside structures: Kronecker products of Toeplitz or circulant factors, blocks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg

import kronblock as kb


@pytest.fixture(autouse=True)
def _no_densification():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("error", kb.DensificationWarning)
        yield


def test_kron_of_circulants_solves_through_ffts() -> None:
    rng = np.random.default_rng(0)
    c1, c2 = rng.standard_normal(64), rng.standard_normal(50)
    c1[0] += 10
    c2[0] += 10
    k = kb.kron(kb.circulant(c1), kb.circulant(c2))
    f = kb.factorize(k)
    assert all(isinstance(p, kb.CirculantFactorization) for p in f.parts)
    inverse = kb.inv(k)
    assert isinstance(inverse, kb.Kronecker)
    assert all(isinstance(g, kb.Circulant) for g in inverse.factors)  # both structures kept
    dense = np.kron(scipy.linalg.circulant(c1), scipy.linalg.circulant(c2))
    b = rng.standard_normal(3200)
    np.testing.assert_allclose(kb.solve(k, b), np.linalg.solve(dense, b), rtol=1e-10)
    sign, logabs = kb.slogdet(k)
    ref = np.linalg.slogdet(dense)
    assert float(sign) == ref[0]
    np.testing.assert_allclose(logabs, ref[1], rtol=1e-12)


def test_kron_of_toeplitz_and_circulant() -> None:
    rng = np.random.default_rng(1)
    t = rng.standard_normal(40)
    t[0] += 10
    c = rng.standard_normal(30)
    c[0] += 10
    k = kb.kron(kb.toeplitz(t), kb.circulant(c))
    dense = np.kron(scipy.linalg.toeplitz(t), scipy.linalg.circulant(c))
    b = rng.standard_normal(1200)
    np.testing.assert_allclose(k @ b, dense @ b, rtol=1e-12)
    np.testing.assert_allclose(kb.solve(k, b), np.linalg.solve(dense, b), rtol=1e-9)


def test_blocks_of_kronecker_and_toeplitz_operators() -> None:
    rng = np.random.default_rng(2)
    a = rng.standard_normal((4, 4))
    spd = a @ a.T + 4 * np.eye(4)
    t = np.r_[5.0, rng.standard_normal(11) * 0.3]
    top = kb.kron(spd, spd)  # 16 × 16
    bottom = kb.toeplitz(t)  # 12 × 12, symmetric positive definite
    coupling = rng.standard_normal((16, 12)) * 0.1
    m = kb.block([[top, coupling], [coupling.T, bottom]])
    dense = m.to_dense()
    rhs = rng.standard_normal(28)
    np.testing.assert_allclose(kb.solve(m, rhs), np.linalg.solve(dense, rhs), rtol=1e-10)
    d = kb.block_diag(top, bottom, kb.circulant(np.r_[3.0, 0.5, 0.0, 0.5]))
    np.testing.assert_allclose(
        kb.logdet(d),
        np.linalg.slogdet(top.to_dense())[1]
        + np.linalg.slogdet(scipy.linalg.toeplitz(t))[1]
        + np.linalg.slogdet(scipy.linalg.circulant([3.0, 0.5, 0.0, 0.5]))[1],
        rtol=1e-12,
    )
