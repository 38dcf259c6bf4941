"""Block-circulant and multilevel circulant matrices beyond the conformance suite."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import kronblock as kb
from _factories import dense_block_circulant


def test_one_level_scalar_blocks_is_scipy_circulant() -> None:
    c = np.array([4.0, 1.0, 0.0, 2.0, -1.0])
    op = kb.block_circulant(c, levels=1)
    np.testing.assert_array_equal(op.to_dense(), scipy.linalg.circulant(c))
    np.testing.assert_allclose(
        kb.solve(op, np.ones(5)), np.linalg.solve(scipy.linalg.circulant(c), np.ones(5))
    )


def test_bccb_is_the_periodic_2d_convolution() -> None:
    rng = np.random.default_rng(0)
    kernel, image = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    op = kb.block_circulant(kernel, levels=2)
    ref = np.real(np.fft.ifft2(np.fft.fft2(kernel) * np.fft.fft2(image)))
    np.testing.assert_allclose(op @ image.ravel(), ref.ravel(), atol=1e-12)
    # Kronecker of two circulants = the two-level circulant of the outer product
    c1, c2 = rng.standard_normal(6), rng.standard_normal(5)
    two = kb.block_circulant(np.outer(c1, c2), levels=2)
    np.testing.assert_allclose(
        two.to_dense(), np.kron(scipy.linalg.circulant(c1), scipy.linalg.circulant(c2)), atol=1e-14
    )


def test_block_solve_inverse_and_determinant() -> None:
    rng = np.random.default_rng(1)
    c = rng.standard_normal((7, 3, 3)) * 0.1
    c[0] += 3 * np.eye(3)
    op = kb.block_circulant(c)
    dense = dense_block_circulant(c)
    b = rng.standard_normal((21, 4))
    np.testing.assert_allclose(kb.solve(op, b), np.linalg.solve(dense, b), rtol=1e-12)
    inv = kb.inv(op)
    assert isinstance(inv, kb.BlockCirculant)
    np.testing.assert_allclose(inv.to_dense(), np.linalg.inv(dense), atol=1e-13)
    sign, logabs = kb.slogdet(op)
    ref = np.linalg.slogdet(dense)
    assert float(sign) == ref[0]
    np.testing.assert_allclose(logabs, ref[1], rtol=1e-12)


def test_singular_and_bad_input_errors() -> None:
    op = kb.block_circulant(np.array([1.0, -1.0, 0.0, 0.0]), levels=1)  # rows sum to 0
    with pytest.raises(kb.LinAlgError, match=r"singular.*lstsq"):
        kb.solve(op, np.ones(4))
    sign, logabs = kb.slogdet(op)
    assert float(sign) == 0.0 and float(logabs) == -np.inf
    with pytest.raises(ValueError, match="levels must be an int"):
        kb.block_circulant(np.ones((3, 2, 2)), levels=4)
    with pytest.raises(ValueError, match="square m × m blocks"):
        kb.block_circulant(np.ones((3, 2, 3)))
    with pytest.raises(ValueError, match="blocks are 2-D"):
        kb.block_circulant(np.ones((3, 2, 2, 2)), levels=1)


def test_float32_and_large_sizes() -> None:
    rng = np.random.default_rng(2)
    c = rng.standard_normal((64, 64, 2, 2)).astype(np.float32) * np.float32(0.01)
    c[0, 0] += 2 * np.eye(2, dtype=np.float32)
    op = kb.block_circulant(c)  # N = 8192: 512 MiB dense
    b = rng.standard_normal(8192).astype(np.float32)
    x = kb.solve(op, b)
    assert x.dtype == np.float32
    assert np.linalg.norm(op @ x - b) <= 1e-5 * np.linalg.norm(b)
