"""``scipy.sparse`` factors stay sparse inside ``kb.kron`` and agree with ``np.kron``."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest
import scipy.sparse as sp

import kronblock as kb

NORMS = (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)


def random_nonsingular(n: int, seed: int, fmt: str) -> sp.spmatrix:
    """A random sparse matrix with its diagonal shifted away from zero (diagonally dominant)."""
    rng = np.random.default_rng(seed)
    r = sp.random(n, n, density=0.3, random_state=seed, format="csr")
    shift = sp.diags(rng.choice([-1.0, 1.0], n) * (abs(r).sum(axis=1).A1 + 1.0))
    return (r + shift).asformat(fmt)


def laplacian(n: int, fmt: str) -> sp.spmatrix:
    """The 1-D Laplacian: tridiagonal (-1, 2, -1), symmetric positive definite."""
    off = -np.ones(n - 1)
    return sp.diags([off, 2 * np.ones(n), off], [-1, 0, 1]).asformat(fmt)


def _case(kind: str) -> list[sp.spmatrix]:
    if kind == "csr+csc":
        return [random_nonsingular(5, 1, "csr"), random_nonsingular(4, 2, "csc")]
    if kind == "laplacian+csr":
        return [laplacian(6, "csc"), random_nonsingular(3, 3, "csr")]
    if kind == "three":
        return [
            random_nonsingular(3, 4, "csc"),
            laplacian(4, "csr"),
            random_nonsingular(5, 5, "csr"),
        ]
    if kind == "sparray":
        return [sp.csr_array(random_nonsingular(4, 6, "csr")), sp.csc_array(laplacian(5, "csc"))]
    raise AssertionError(kind)


KINDS = ("csr+csc", "laplacian+csr", "three", "sparray")


def _dense(factors: list[sp.spmatrix]) -> np.ndarray:
    return reduce(np.kron, [f.toarray() for f in factors])


def _snapshot(factors: list[sp.spmatrix]) -> list[np.ndarray]:
    return [f.toarray().copy() for f in factors]


@pytest.mark.parametrize("kind", KINDS)
def test_factors_stay_sparse(kind: str) -> None:
    factors = _case(kind)
    k = kb.kron(*factors)
    assert len(k.factors) == len(factors)
    for f, src in zip(k.factors, factors, strict=True):
        assert isinstance(f, kb.Sparse)
        assert f.shape == src.shape
        assert sp.issparse(f.matrix)
    assert k.shape == _dense(factors).shape
    np.testing.assert_allclose(k.to_dense(), _dense(factors), rtol=0, atol=0)


@pytest.mark.parametrize("kind", KINDS)
def test_matmul(kind: str) -> None:
    factors = _case(kind)
    copies = _snapshot(factors)
    k, ref = kb.kron(*factors), _dense(factors)
    n = ref.shape[0]
    rng = np.random.default_rng(10)
    x1, x2, x3 = rng.standard_normal(n), rng.standard_normal((n, 3)), rng.standard_normal((2, n, 2))
    for x in (x1, x2, x3):
        before = x.copy()
        y = k @ x
        assert isinstance(y, np.ndarray)
        np.testing.assert_allclose(y, ref @ x, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(x1 @ k, x1 @ ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(k.T @ x1, ref.T @ x1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(k.H.to_dense(), ref.T, rtol=0, atol=0)
    rows, cols = np.array([0, -1, 3, n // 2]), np.array([-1, 0, 2, n // 3])
    np.testing.assert_allclose(k[rows, cols], ref[rows, cols], rtol=1e-14)
    np.testing.assert_allclose(k[1, :], ref[1, :], rtol=1e-14)
    for f, c in zip(factors, copies, strict=True):
        np.testing.assert_array_equal(f.toarray(), c)


@pytest.mark.parametrize("kind", KINDS)
def test_solve(kind: str) -> None:
    factors = _case(kind)
    copies = _snapshot(factors)
    k, ref = kb.kron(*factors), _dense(factors)
    n = ref.shape[0]
    rng = np.random.default_rng(11)
    b1, b2 = rng.standard_normal(n), rng.standard_normal((n, 4))
    np.testing.assert_allclose(kb.solve(k, b1), np.linalg.solve(ref, b1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(kb.solve(k, b2), np.linalg.solve(ref, b2), rtol=1e-10, atol=1e-12)
    f = kb.factorize(k)
    np.testing.assert_allclose(
        f.solve(b1, adjoint=True), np.linalg.solve(ref.T, b1), rtol=1e-10, atol=1e-12
    )
    for fac, c in zip(factors, copies, strict=True):
        np.testing.assert_array_equal(fac.toarray(), c)


@pytest.mark.parametrize("kind", KINDS)
def test_slogdet(kind: str) -> None:
    factors = _case(kind)
    k, ref = kb.kron(*factors), _dense(factors)
    sign, logabs = kb.slogdet(k)
    rs, rl = np.linalg.slogdet(ref)
    assert float(sign) == pytest.approx(rs)
    np.testing.assert_allclose(float(logabs), rl, rtol=1e-10)
    fs, fl = kb.factorize(k).slogdet()
    assert float(fs) == pytest.approx(rs)
    np.testing.assert_allclose(float(fl), rl, rtol=1e-10)


def test_slogdet_negative_sign() -> None:
    # a factor with a negative determinant raised to an odd power
    swap = sp.csr_matrix(np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]))
    other = laplacian(3, "csc")  # n = 3: det(swap)^3 < 0
    k = kb.kron(swap, other)
    ref = np.kron(swap.toarray(), other.toarray())
    sign, logabs = kb.slogdet(k)
    rs, rl = np.linalg.slogdet(ref)
    assert rs == -1
    assert float(sign) == -1.0
    np.testing.assert_allclose(float(logabs), rl, rtol=1e-12)
    np.testing.assert_allclose(float(kb.det(k)), np.linalg.det(ref), rtol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_inv(kind: str) -> None:
    factors = _case(kind)
    k, ref = kb.kron(*factors), _dense(factors)
    ki = kb.inv(k)
    assert isinstance(ki, kb.Kronecker)
    np.testing.assert_allclose(ki.to_dense(), np.linalg.inv(ref), rtol=1e-10, atol=1e-12)
    x = np.random.default_rng(12).standard_normal(ref.shape[0])
    np.testing.assert_allclose(ki @ (k @ x), x, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_eigh_of_symmetric_sparse_factors(fmt: str) -> None:
    l1, l2 = laplacian(5, fmt), laplacian(4, "csr" if fmt == "csc" else "csc")
    k = kb.kron(l1, l2)
    assert all(isinstance(f, kb.Sparse) for f in k.factors)
    ref = np.kron(l1.toarray(), l2.toarray())
    w, v = kb.eigh(k)
    np.testing.assert_allclose(np.sort(w), np.linalg.eigvalsh(ref), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose((v @ kb.diag(w) @ v.H).to_dense(), ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(v.H.to_dense() @ v.to_dense(), np.eye(20), atol=1e-12)
    np.testing.assert_allclose(kb.eigvalsh(k), np.linalg.eigvalsh(ref), rtol=1e-10, atol=1e-12)
    # the 1-D Laplacian's eigenvalues are known in closed form: 2 - 2 cos(jπ/(n+1))
    lam = lambda n: 2 - 2 * np.cos(np.arange(1, n + 1) * np.pi / (n + 1))  # noqa: E731
    np.testing.assert_allclose(np.sort(w), np.sort(np.kron(lam(5), lam(4))), rtol=1e-10)
    low = kb.cholesky(k)
    np.testing.assert_allclose(low.to_dense(), np.linalg.cholesky(ref), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_trace_diagonal_norm(kind: str) -> None:
    factors = _case(kind)
    k, ref = kb.kron(*factors), _dense(factors)
    np.testing.assert_allclose(float(kb.trace(k)), np.trace(ref), rtol=1e-12)
    np.testing.assert_allclose(kb.diagonal(k), np.diag(ref), rtol=1e-14)
    for o in NORMS:
        np.testing.assert_allclose(
            float(kb.norm(k, o)), np.linalg.norm(ref, o), rtol=1e-10, err_msg=f"ord={o!r}"
        )


def test_rectangular_sparse_factors() -> None:
    a = sp.random(3, 5, density=0.5, random_state=7, format="csr")
    b = sp.random(4, 2, density=0.6, random_state=8, format="csc")
    k = kb.kron(a, b)
    ref = np.kron(a.toarray(), b.toarray())
    assert all(isinstance(f, kb.Sparse) for f in k.factors)
    x = np.random.default_rng(9).standard_normal(10)
    np.testing.assert_allclose(k @ x, ref @ x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(kb.diagonal(k), np.diag(ref), rtol=1e-14)
    np.testing.assert_allclose(float(kb.trace(k)), np.trace(ref), rtol=1e-12, atol=1e-14)
    for o in ("fro", 1, np.inf):
        np.testing.assert_allclose(float(kb.norm(k, o)), np.linalg.norm(ref, o), rtol=1e-10)


def test_mixed_sparse_and_dense_factors() -> None:
    s = laplacian(4, "csr")
    d = np.random.default_rng(13).standard_normal((3, 3)) + 3 * np.eye(3)
    k = kb.kron(s, d)
    assert isinstance(k.factors[0], kb.Sparse)
    assert isinstance(k.factors[1], kb.Dense)
    ref = np.kron(s.toarray(), d)
    b = np.arange(12.0)
    np.testing.assert_allclose(kb.solve(k, b), np.linalg.solve(ref, b), rtol=1e-10)
    np.testing.assert_allclose(kb.inv(k).to_dense(), np.linalg.inv(ref), rtol=1e-10, atol=1e-12)
    rs, rl = np.linalg.slogdet(ref)
    sign, logabs = kb.slogdet(k)
    assert float(sign) == rs
    np.testing.assert_allclose(float(logabs), rl, rtol=1e-10)


def test_complex_kronecker_with_a_real_sparse_factor() -> None:
    # kron(complex, real sparse): the solve runs in complex128, as np.linalg.solve does.
    a = np.array([[2.0, 1j], [-1j, 3.0]])
    s = random_nonsingular(3, 14, "csc")
    k = kb.kron(a, s)
    assert isinstance(k.factors[1], kb.Sparse)
    ref = np.kron(a, s.toarray())
    b = np.arange(6.0) + 0.5j
    x = kb.solve(k, b)
    assert x.dtype == np.complex128
    np.testing.assert_allclose(x, np.linalg.solve(ref, b), rtol=1e-10)
    sign, logabs = kb.slogdet(k)
    rs, rl = np.linalg.slogdet(ref)
    np.testing.assert_allclose(complex(sign), rs, rtol=1e-10)
    np.testing.assert_allclose(float(logabs), rl, rtol=1e-10)


def test_real_sparse_operator_complex_right_hand_side() -> None:
    s = random_nonsingular(4, 15, "csr")
    b = np.array([1.0 + 1j, 2.0, -3j, 0.5])
    x = kb.solve(s, b)
    assert x.dtype == np.complex128
    np.testing.assert_allclose(x, np.linalg.solve(s.toarray(), b), rtol=1e-10)
