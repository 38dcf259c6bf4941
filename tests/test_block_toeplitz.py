"""Block-Toeplitz and multilevel Toeplitz matrices beyond the conformance suite."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.signal

import kronblock as kb
from _factories import dense_block_toeplitz


def test_first_block_column_and_row() -> None:
    rng = np.random.default_rng(0)
    c, r = rng.standard_normal((4, 2, 2)), rng.standard_normal((4, 2, 2))
    t = kb.block_toeplitz(c, r).to_dense()
    for i in range(4):
        for j in range(4):
            block = t[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
            np.testing.assert_array_equal(block, c[i - j] if i >= j else r[j - i])
    h = kb.block_toeplitz(c).to_dense()  # r = cᴴ: Hermitian when c[0] is
    np.testing.assert_array_equal(h[0:2, 2:4], c[1].T)
    # one level, 1×1 blocks: scipy.linalg.toeplitz
    cs, rs = rng.standard_normal(5), rng.standard_normal(5)
    s = kb.block_toeplitz(cs[:, None, None], rs[:, None, None])
    np.testing.assert_array_equal(s.to_dense(), scipy.linalg.toeplitz(cs, rs))


def test_bttb_is_the_zero_padded_convolution() -> None:
    rng = np.random.default_rng(1)
    kernel = rng.standard_normal((3, 5))
    img = rng.standard_normal((7, 9))
    t = np.zeros((13, 17))
    t[5:8, 6:11] = kernel  # offsets −6…6 and −8…8, the kernel centred at offset 0
    op = kb.multilevel_toeplitz(t, levels=2)
    ref = scipy.signal.convolve2d(img, kernel, mode="same")
    np.testing.assert_allclose(op @ img.ravel(), ref.ravel(), atol=1e-12)


def test_hermitian_uses_pcg_general_uses_gmres() -> None:
    rng = np.random.default_rng(2)
    c = rng.standard_normal((30, 3, 3)) * 0.05
    c[0] = np.eye(3) * 3
    h = kb.block_toeplitz(c)
    f = kb.factorize(h)
    x = f.solve(np.ones(90))
    assert f.last_result.method == "PCG" and f.last_result.converged
    np.testing.assert_allclose(x, np.linalg.solve(h.to_dense(), np.ones(90)), rtol=1e-10)
    g = kb.block_toeplitz(c, rng.standard_normal((30, 3, 3)) * 0.05)
    fg = kb.factorize(g)
    xg = fg.solve(np.ones(90))
    assert fg.last_result.method == "GMRES"
    np.testing.assert_allclose(xg, np.linalg.solve(g.to_dense(), np.ones(90)), rtol=1e-10)


def test_sequence_covariance_far_beyond_dense() -> None:
    # a stationary 2-channel AR(1)-like covariance, 20000 time steps: N = 40000 (12.8 GB dense)
    p = 20000
    lags = np.arange(p)
    rho = 0.9**lags
    c = np.empty((p, 2, 2))
    c[:, 0, 0], c[:, 1, 1] = rho, 0.5 * rho
    c[:, 0, 1], c[:, 1, 0] = 0.3 * rho, 0.3 * rho
    c[0] += 0.1 * np.eye(2)  # observation noise
    t = kb.block_toeplitz(c)
    y = np.random.default_rng(3).standard_normal(2 * p)
    f = kb.factorize(t)
    x = f.solve(y)
    assert f.last_result.converged and f.last_result.iterations < 100
    assert np.linalg.norm(t @ x - y) <= 1e-10 * np.linalg.norm(y)


def test_non_convergence_and_bad_input() -> None:
    rng = np.random.default_rng(4)
    c = rng.standard_normal((40, 2, 2))
    c[0] += 0.5 * np.eye(2)
    t = kb.block_toeplitz(c, rng.standard_normal((40, 2, 2)))
    with pytest.raises(kb.ConvergenceError, match=r"block-Toeplitz.*maxiter"):
        kb.BlockToeplitzSolver(t, maxiter=2).solve(np.ones(80))
    with pytest.raises(ValueError, match=r"c must have shape \(p, m, m\)"):
        kb.block_toeplitz(np.ones((3, 2, 3)))
    with pytest.raises(ValueError, match="r must have the shape of c"):
        kb.block_toeplitz(np.ones((3, 2, 2)), np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="odd level sizes"):
        kb.BlockToeplitz(np.ones((4, 2, 2)))
    with pytest.raises(kb.LinAlgError, match="not Hermitian"):
        kb.cho_factor(t)


def test_dense_reference_helper_agrees() -> None:
    rng = np.random.default_rng(5)
    t = rng.standard_normal((5, 3, 2, 2))
    np.testing.assert_array_equal(kb.multilevel_toeplitz(t).to_dense(), dense_block_toeplitz(t))
