"""Edge cases found in review: promotion, scalars, zero sizes, aliasing, index shapes.

Each test compares against NumPy or checks an exact error, and would fail
if the defect it names came back.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import kronblock as kb
from conftest import to_numpy

RNG = np.random.default_rng(42)
A43 = RNG.standard_normal((4, 3))
B32 = RNG.standard_normal((3, 2))


def _spd(n: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


def _general(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, n)) + n * np.eye(n)


def test_lstsq_keeps_the_imaginary_part_of_a_complex_rhs() -> None:
    b = RNG.standard_normal(12) + 1j * RNG.standard_normal(12)
    x = kb.lstsq(kb.kron(A43, B32), b)[0]
    np.testing.assert_allclose(x, np.linalg.lstsq(np.kron(A43, B32), b)[0], atol=1e-12)


def test_float32_operator_with_float64_rhs_computes_in_float64() -> None:
    a, b = A43.astype(np.float32), B32.astype(np.float32)
    ref_op = np.kron(a.astype(np.float64), b.astype(np.float64))  # exact products
    y = RNG.standard_normal(12)
    x = kb.lstsq(kb.kron(a, b), y)[0]
    assert x.dtype == np.float64
    np.testing.assert_allclose(x, np.linalg.lstsq(ref_op, y)[0], atol=1e-12)
    sq = kb.kron(_general(3, 1).astype(np.float32), _general(2, 2).astype(np.float32))
    ref_sq = np.kron(*(f.astype(np.float64) for f in (sq.factors[0].array, sq.factors[1].array)))
    z = kb.solve(sq, y[:6])
    assert z.dtype == np.float64
    np.testing.assert_allclose(z, np.linalg.solve(ref_sq, y[:6]), rtol=1e-12)


def test_mixed_precision_factors_decompose_in_the_wider_precision() -> None:
    a32 = _spd(3, 3).astype(np.float32)
    b64 = _spd(2, 4)
    k = kb.kron(a32, b64)
    ref = np.kron(a32.astype(np.float64), b64)
    assert k.dtype == np.float64
    np.testing.assert_allclose(kb.inv(k).to_dense(), np.linalg.inv(ref), rtol=1e-12)
    np.testing.assert_allclose(kb.eigvalsh(k), np.linalg.eigvalsh(ref), rtol=1e-12)
    np.testing.assert_allclose(kb.slogdet(k)[1], np.linalg.slogdet(ref)[1], rtol=1e-13)
    np.testing.assert_allclose(kb.svdvals(k), np.linalg.svd(ref, compute_uv=False), rtol=1e-12)
    np.testing.assert_allclose(kb.norm(k, 2), np.linalg.norm(ref, 2), rtol=1e-12)
    np.testing.assert_allclose(kb.cholesky(k).to_dense(), np.linalg.cholesky(ref), rtol=1e-12)
    np.testing.assert_allclose(kb.trace(k), np.trace(ref), rtol=1e-13)


@pytest.mark.parametrize("scalar", [np.complex64(2 + 1j), np.asarray(2 + 1j), 2 + 1j])
def test_adjoint_solve_conjugates_every_kind_of_complex_scalar(scalar: object) -> None:
    g, h = _general(3, 5), _general(2, 6)
    s = complex(scalar)  # type: ignore[arg-type]
    b = RNG.standard_normal(6)
    got = kb.factorize(scalar * kb.kron(g, h)).solve(b, adjoint=True)
    np.testing.assert_allclose(got, np.linalg.solve((s * np.kron(g, h)).conj().T, b), atol=1e-13)


@pytest.mark.parametrize("fn", [kb.cholesky, kb.cho_factor])
def test_cholesky_refuses_a_non_symmetric_matrix(fn: object) -> None:
    p = _spd(3, 7)
    p[0, 2] += 1.5
    with pytest.raises(ValueError, match="not symmetric"):
        fn(kb.kron(p, _spd(2, 8)))  # type: ignore[operator]


def test_numpy_scalars_are_weak_and_keep_float32() -> None:
    a, b = _spd(3, 9).astype(np.float32), _spd(2, 10).astype(np.float32)
    s = np.float64(2.0) * kb.kron(a, b)
    x = np.ones(6, dtype=np.float32)
    assert s.dtype == np.float32
    assert (s @ x).dtype == np.float32
    assert kb.trace(s).dtype == np.float32
    assert isinstance(s.scalar, float)  # type: ignore[attr-defined]


def test_matrix_power_of_a_numpy_int_scaled_operator() -> None:
    g, h = _general(2, 11), _general(2, 12)
    got = kb.matrix_power(np.int64(-3) * kb.kron(g, h), -2).to_dense()
    np.testing.assert_allclose(got, np.linalg.matrix_power(-3 * np.kron(g, h), -2), rtol=1e-12)


def test_cholesky_of_negated_sparse_factors() -> None:
    p, q = _spd(3, 13), _spd(2, 14)
    got = kb.cholesky(kb.kron(sp.csr_matrix(-p), -q)).to_dense()
    np.testing.assert_allclose(got, np.linalg.cholesky(np.kron(p, q)), rtol=1e-12, atol=1e-12)


def test_zero_size_factors() -> None:
    k = kb.kron(_general(3, 15), np.zeros((0, 0)))
    sign, logabs = kb.slogdet(k)
    assert (float(sign), float(logabs)) == tuple(
        float(v) for v in np.linalg.slogdet(np.zeros((0, 0)))
    )
    assert float(kb.det(k)) == 1.0
    lazy = kb.kron(np.ones((2, 1)), np.ones((2, 0))) @ kb.kron(np.ones((1, 2)), np.ones((0, 3)))
    assert lazy.shape == (4, 6)
    np.testing.assert_array_equal(lazy.to_dense(), np.zeros((4, 6)))


def test_factorization_solve_refuses_another_library() -> None:
    torch = pytest.importorskip("torch")  # optional backend
    f = kb.factorize(kb.kron(_spd(2, 16), _spd(2, 17)))
    with pytest.raises(TypeError, match="numpy arrays but the right-hand side is a torch"):
        f.solve(torch.ones(4, dtype=torch.float64))


def test_batched_lstsq_residuals_have_the_batch_shape() -> None:
    b = RNG.standard_normal((2, 12, 3))
    x, res, rank, _ = kb.lstsq(kb.kron(A43, B32), b)
    assert x.shape == (2, 6, 3) and res.shape == (2, 3) and rank == 6
    for i in range(2):
        rx, rres, _, _ = np.linalg.lstsq(np.kron(A43, B32), b[i])
        np.testing.assert_allclose(x[i], rx, atol=1e-12)
        np.testing.assert_allclose(res[i], rres, rtol=1e-10)


@pytest.mark.parametrize(
    "key",
    [
        (np.array([[0, 1], [2, 3]]), slice(0, 3)),
        (slice(1, 9, 2), np.array([[0, 1], [2, 3]])),
        (np.array([1, 2]), np.array([[0], [3]])),
        (slice(None, None, -2), slice(1, None, 3)),
        ([1, -2], 3),
        (-1, slice(None)),
    ],
)
def test_entry_access_has_numpy_shapes(key: tuple) -> None:
    k = kb.kron(A43, B32)
    got, want = k[key], np.kron(A43, B32)[key]
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_results_never_alias_inputs() -> None:
    b = np.ones(6)
    ident = kb.kron(kb.identity(2, np.float64), kb.identity(3, np.float64))
    for y in (kb.solve(ident, b), ident @ b, kb.identity(6) @ b, kb.cho_factor(ident).solve(b)):
        assert not np.shares_memory(y, b)
        np.testing.assert_array_equal(y, b)


def test_errors_name_the_call_the_user_made() -> None:
    singular = kb.kron(np.zeros((2, 2)), np.eye(2))
    with pytest.raises(kb.LinAlgError, match=r"^solve: factor 0"):
        kb.solve(singular, np.ones(4))
    with pytest.raises(kb.LinAlgError, match=r"^factorize: factor 0"):
        kb.factorize(singular)


def test_singular_determinants_are_quiet_and_unsigned() -> None:
    k = -kb.kron(np.diag([1.0, 0.0, 2.0]), np.eye(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "divide by zero in log"
        sign, logabs = kb.slogdet(k)
        d_sign, d_logabs = kb.slogdet(kb.kron(kb.diag(np.array([1.0, 0.0])), np.eye(2)))
    assert float(sign) == 0.0 and not np.signbit(float(sign)) and float(logabs) == -np.inf
    assert float(d_sign) == 0.0 and float(d_logabs) == -np.inf


def test_scalar_of_another_library_becomes_a_python_number() -> None:
    torch = pytest.importorskip("torch")  # optional backend
    k = torch.tensor(2.0) * kb.kron(_spd(2, 18), _spd(2, 19))
    np.testing.assert_allclose(
        to_numpy(k @ np.ones(4)), 2 * np.kron(_spd(2, 18), _spd(2, 19)) @ np.ones(4)
    )
