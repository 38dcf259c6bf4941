"""Circulant matrices beyond the conformance suite: conventions, real results, structure kept.

The conformance suite runs on the ``circulant`` factory in ``test_toeplitz.py``;
here are the facts particular to ``Circulant``, each against an independent
reference (``scipy.linalg.circulant``, NumPy's FFT and dense linear algebra).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import scipy.linalg as sla

import kronblock as kb
from conftest import from_numpy, to_numpy
from kronblock.operators._circulant import Circulant, Fourier, Hartley, circulant


def test_convention_is_scipys() -> None:
    c = np.array([1.0, 2.0 + 1j, -3.0, 0.5j])
    np.testing.assert_array_equal(circulant(c).to_dense(), sla.circulant(c))
    np.testing.assert_array_equal(circulant([1, 2, 3]).to_dense(), sla.circulant([1, 2, 3]))
    np.testing.assert_array_equal(circulant(c).T.to_dense(), sla.circulant(c).T)
    np.testing.assert_array_equal(circulant(c).H.to_dense(), sla.circulant(c).conj().T)
    assert circulant(np.array([7.0]))[0, 0] == 7.0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_real_circulants_give_real_results(xp: Any, dtype: str) -> None:
    rng = np.random.default_rng(0)
    n = 9
    c = rng.standard_normal(n).astype(dtype)
    c[0] += 6
    C = circulant(from_numpy(xp, c))
    ref = sla.circulant(c.astype(np.float64))
    x = from_numpy(xp, rng.standard_normal((n, 2)).astype(dtype))
    tol = 1e-4 if dtype == "float32" else 1e-12
    results = {
        "matmul": (C @ x, ref @ to_numpy(x)),
        "solve": (kb.solve(C, x), np.linalg.solve(ref, to_numpy(x))),
        "inv": (kb.inv(C).to_dense(), np.linalg.inv(ref)),
        "power": (kb.matrix_power(C, 3).to_dense(), np.linalg.matrix_power(ref, 3)),
        "expm": (kb.expm(0.1 * C).to_dense(), sla.expm(0.1 * ref)),
    }
    for name, (got, want) in results.items():
        assert str(got.dtype).split(".")[-1] == dtype, name
        np.testing.assert_allclose(to_numpy(got), want, rtol=tol, atol=tol * np.abs(want).max())
    assert isinstance(kb.inv(C), Circulant) and isinstance(kb.matrix_power(C, -2), Circulant)
    assert isinstance(kb.expm(C), Circulant) and isinstance(C @ C, Circulant)
    u, s, vh = kb.svd(C)  # real singular vectors through the Hartley transform
    for part in (u.to_dense(), s, vh.to_dense()):
        assert str(part.dtype).split(".")[-1] == dtype


def test_eigenvalues_are_the_fft_in_dft_order() -> None:
    rng = np.random.default_rng(1)
    c = rng.standard_normal(8)
    w, v = kb.eig(circulant(c))
    np.testing.assert_allclose(w, np.fft.fft(c), atol=1e-12)
    np.testing.assert_array_equal(w[1:][::-1], np.conj(w[1:]))  # exact conjugate pairs
    assert isinstance(v, Fourier) and v.inverse
    vd = v.to_dense()
    np.testing.assert_allclose(vd, np.fft.ifft(np.eye(8), axis=0, norm="ortho"), atol=1e-15)
    np.testing.assert_allclose(sla.circulant(c) @ vd, vd * w, atol=1e-12)
    np.testing.assert_allclose(v[3, 5], vd[3, 5], atol=1e-15)  # entries without the matrix
    np.testing.assert_allclose(kb.eigvals(circulant(c)), w)


def test_eigh_of_a_real_symmetric_circulant_is_real() -> None:
    c = np.array([4.0, 1.0, -0.5, 0.25, -0.5, 1.0])  # c[k] = c[n-k]
    C = circulant(c)
    assert "hermitian" in C.tags
    w, v = kb.eigh(C)
    assert isinstance(v, Hartley) and w.dtype == np.float64 and v.dtype == np.float64
    vd = v.to_dense()
    np.testing.assert_allclose(vd.T @ vd, np.eye(6), atol=1e-14)
    np.testing.assert_allclose((vd * w) @ vd.T, sla.circulant(c), atol=1e-13)
    np.testing.assert_allclose(kb.eigvalsh(C), np.linalg.eigvalsh(sla.circulant(c)))
    with pytest.raises(ValueError, match="the circulant matrix is not symmetric"):
        kb.eigh(circulant(np.array([4.0, 1.0, 2.0])))


def test_singular_circulant_names_the_eigenvalue_and_the_way_out() -> None:
    c = np.array([1.0, -1.0, 0.0, 0.0])  # fft(c)[0] = 0
    C = circulant(c)
    for fn in (kb.inv, kb.factorize, lambda a: kb.solve(a, np.ones(4))):
        with pytest.raises(kb.LinAlgError, match=r"singular: its eigenvalue λ_0 = fft\(c\)\[0\]"):
            fn(C)
    with pytest.raises(kb.LinAlgError, match=r"use kb\.lstsq or kb\.pinv"):
        kb.matrix_power(C, -1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kb.DensificationWarning)  # all structured
        sign, logabs = kb.slogdet(C)
        assert float(sign) == 0.0 and float(logabs) == -np.inf
        assert kb.det(C) == 0.0
        dense = sla.circulant(c)
        np.testing.assert_allclose(kb.pinv(C).to_dense(), np.linalg.pinv(dense), atol=1e-14)
        b = np.arange(4.0)
        x, _, rank, s = kb.lstsq(C, b)
        rx, _, rrank, rs = np.linalg.lstsq(dense, b)
        assert rank == rrank == 3
        np.testing.assert_allclose(x, rx, atol=1e-14)
        np.testing.assert_allclose(s, rs, atol=1e-14)
    # rounding, not exact zeros: fft([1, 1, 1]) = [3, ~1e-16, ~1e-16]
    with pytest.raises(kb.LinAlgError, match="singular"):
        kb.solve(circulant(np.ones(3)), np.ones(3))


def test_positive_definite_factorization() -> None:
    c = np.array([3.0, 1.0, 0.5, 1.0])
    f = kb.cho_factor(circulant(c))
    np.testing.assert_allclose(f.solve(np.ones(4)), np.linalg.solve(sla.circulant(c), np.ones(4)))
    assert np.isclose(f.logdet(), np.linalg.slogdet(sla.circulant(c))[1])
    with pytest.raises(kb.LinAlgError, match="not positive definite: its smallest eigenvalue"):
        kb.cho_factor(circulant(np.array([1.0, 3.0, 0.5, 3.0])))
    with pytest.raises(kb.LinAlgError, match="not positive definite: it is not Hermitian"):
        kb.cho_factor(circulant(np.array([3.0, 1.0, 0.0, 0.0])))


def test_integer_circulant_products_are_exact() -> None:
    c = np.array([2, -1, 0, 5])
    x = np.arange(8).reshape(4, 2)
    y = circulant(c) @ x
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(y, sla.circulant(c) @ x)
    np.testing.assert_array_equal(
        kb.matrix_power(circulant(c), 2).to_dense(), sla.circulant(c) @ sla.circulant(c)
    )


def test_norms_without_the_matrix() -> None:
    rng = np.random.default_rng(2)
    c = rng.standard_normal(7) + 1j * rng.standard_normal(7)
    dense = sla.circulant(c)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kb.DensificationWarning)
        for ord in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
            assert np.isclose(kb.norm(circulant(c), ord), np.linalg.norm(dense, ord)), ord
        assert np.isclose(kb.trace(circulant(c)), np.trace(dense))
        np.testing.assert_array_equal(kb.diagonal(circulant(c)), np.diagonal(dense))


def test_cholesky_is_the_dense_fallback() -> None:
    c = np.array([3.0, 1.0, 0.5, 1.0])
    with pytest.warns(kb.DensificationWarning, match="cholesky"):
        low = kb.cholesky(circulant(c))
    np.testing.assert_allclose(low.to_dense(), np.linalg.cholesky(sla.circulant(c)))


def test_input_errors() -> None:
    with pytest.raises(ValueError, match="circulant: the first column c must be a 1-D array"):
        circulant(np.ones((2, 2)))
    with pytest.raises(ValueError, match="must have at least one entry"):
        circulant([])
    with pytest.raises(TypeError, match="expected an array"):
        circulant("abc")
