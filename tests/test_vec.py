"""vec / unvec and the Kronecker identities they make true, checked against ``np.kron``."""

from __future__ import annotations

from functools import reduce
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kronblock as kb
from conftest import from_numpy, library, to_numpy

dims = st.integers(min_value=1, max_value=5)


def _lib(xp: Any) -> str:
    return xp.__name__.replace("array_api_compat.", "")


# ---- round trips --------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3,), (2, 3), (4, 1), (2, 3, 4), (1, 5, 2)])
@pytest.mark.parametrize("order", ["F", "C"])
def test_vec_unvec_round_trip(xp: Any, shape: tuple[int, ...], order: str) -> None:
    x = np.arange(float(np.prod(shape))).reshape(shape) * 0.5 - 1.0
    xb = from_numpy(xp, x)
    v = kb.vec(xb, order=order)
    assert library(v) == _lib(xp)
    assert tuple(v.shape) == (x.size,)
    np.testing.assert_array_equal(to_numpy(v), x.ravel(order=order))
    back = kb.unvec(v, shape, order=order)
    assert library(back) == _lib(xp)
    assert tuple(back.shape) == shape
    np.testing.assert_array_equal(to_numpy(back), x)
    np.testing.assert_array_equal(to_numpy(xb), x)  # not modified


def test_vec_default_order_is_column_stacking() -> None:
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(kb.vec(x), [1.0, 4.0, 2.0, 5.0, 3.0, 6.0])
    np.testing.assert_array_equal(kb.vec(x, order="C"), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    np.testing.assert_array_equal(kb.unvec(np.array([1.0, 4.0, 2.0, 5.0, 3.0, 6.0]), (2, 3)), x)
    # the 3-D column-stacking order: first index fastest
    t = np.arange(24.0).reshape(2, 3, 4)
    v = kb.vec(t)
    assert v[1] == t[1, 0, 0]
    assert v[2] == t[0, 1, 0]
    assert v[6] == t[0, 0, 1]


@pytest.mark.parametrize("dtype", ["float32", "complex128", "int64"])
def test_vec_keeps_the_dtype(xp: Any, dtype: str) -> None:
    x = (np.arange(12).reshape(3, 4) + (1j if dtype == "complex128" else 0)).astype(dtype)
    for order in ("F", "C"):
        v = kb.vec(from_numpy(xp, x), order=order)
        assert to_numpy(v).dtype == np.dtype(dtype)
        np.testing.assert_array_equal(to_numpy(kb.unvec(v, (3, 4), order=order)), x)


@given(shape=st.lists(dims, min_size=1, max_size=4), order=st.sampled_from(["F", "C"]))
def test_vec_unvec_round_trip_hypothesis(shape: list[int], order: str) -> None:
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(tuple(shape))
    v = kb.vec(x, order=order)
    np.testing.assert_array_equal(v, x.ravel(order=order))
    np.testing.assert_array_equal(kb.unvec(v, tuple(shape), order=order), x)


# ---- the Kronecker identities -----------------------------------------------------------------
def _abx(seed: int, m: int, n: int, p: int, q: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, n)), rng.standard_normal((n, p)), rng.standard_normal((p, q))


@pytest.mark.parametrize(
    ("m", "n", "p", "q"), [(3, 4, 5, 2), (1, 3, 2, 4), (4, 2, 2, 1), (2, 2, 2, 2)]
)
def test_vec_of_axb_order_f(xp: Any, m: int, n: int, p: int, q: int) -> None:
    # vec(A X B) = (Bᵀ ⊗ A) vec(X), A: m×n, X: n×p, B: p×q.
    a, x, b = _abx(m * 100 + q, m, n, p, q)
    k = kb.kron(from_numpy(xp, b.T), from_numpy(xp, a))
    lhs = (a @ x @ b).ravel(order="F")
    rhs = k @ kb.vec(from_numpy(xp, x))
    assert library(rhs) == _lib(xp)
    np.testing.assert_allclose(to_numpy(rhs), lhs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.kron(b.T, a) @ x.ravel(order="F"), lhs, rtol=1e-10, atol=1e-12)
    back = kb.unvec(rhs, (m, q))
    np.testing.assert_allclose(to_numpy(back), a @ x @ b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("m", "n", "p", "q"), [(3, 4, 5, 2), (1, 3, 2, 4), (4, 2, 2, 1), (2, 2, 2, 2)]
)
def test_kron_of_x_ravel_order_c(xp: Any, m: int, n: int, p: int, q: int) -> None:
    # (A ⊗ B) X.ravel() = (A X Bᵀ).ravel(), A: m×n, B: q×p, X: n×p.
    rng = np.random.default_rng(m * 10 + p)
    a, b, x = rng.standard_normal((m, n)), rng.standard_normal((q, p)), rng.standard_normal((n, p))
    k = kb.kron(from_numpy(xp, a), from_numpy(xp, b))
    lhs = k @ kb.vec(from_numpy(xp, x), order="C")
    rhs = (a @ x @ b.T).ravel()
    np.testing.assert_allclose(to_numpy(lhs), rhs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.kron(a, b) @ x.ravel(), rhs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        to_numpy(kb.unvec(lhs, (m, q), order="C")), a @ x @ b.T, rtol=1e-10, atol=1e-12
    )


@given(m=dims, n=dims, p=dims, q=dims, seed=st.integers(0, 2**16))
def test_vec_identities_hypothesis(m: int, n: int, p: int, q: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, x, b = rng.standard_normal((m, n)), rng.standard_normal((n, p)), rng.standard_normal((p, q))
    # order "F": vec(A X B) = (Bᵀ ⊗ A) vec(X)
    got_f = kb.kron(b.T, a) @ kb.vec(x)
    np.testing.assert_allclose(got_f, (a @ x @ b).ravel(order="F"), rtol=1e-10, atol=1e-10)
    # order "C": (A ⊗ Bᵀ) X.ravel() = (A X B).ravel()
    got_c = kb.kron(a, b.T) @ kb.vec(x, order="C")
    np.testing.assert_allclose(got_c, (a @ x @ b).ravel(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got_c, np.kron(a, b.T) @ x.ravel(), rtol=1e-10, atol=1e-10)


# ---- kron_apply ---------------------------------------------------------------------------------
def test_kron_apply_3d(xp: Any) -> None:
    rng = np.random.default_rng(7)
    a, b, c = rng.standard_normal((3, 2)), rng.standard_normal((4, 3)), rng.standard_normal((2, 4))
    x = rng.standard_normal((2, 3, 4))
    k = kb.kron(*(from_numpy(xp, f) for f in (a, b, c)))
    xb = from_numpy(xp, x)
    y = kb.kron_apply(k, xb)
    assert library(y) == _lib(xp)
    assert tuple(y.shape) == (3, 4, 2)
    dense = np.kron(np.kron(a, b), c)
    np.testing.assert_allclose(to_numpy(y), (dense @ x.ravel()).reshape(3, 4, 2), rtol=1e-10)
    # mode products: A along axis 0, B along 1, C along 2
    np.testing.assert_allclose(
        to_numpy(y), np.einsum("ia,jb,kc,abc->ijk", a, b, c, x), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_array_equal(to_numpy(xb), x)


def test_kron_apply_trailing_axes(xp: Any) -> None:
    rng = np.random.default_rng(8)
    a, b, c = rng.standard_normal((2, 2)), rng.standard_normal((3, 4)), rng.standard_normal((1, 3))
    x = rng.standard_normal((2, 4, 3, 5))
    k = kb.kron(*(from_numpy(xp, f) for f in (a, b, c)))
    y = kb.kron_apply(k, from_numpy(xp, x))
    assert tuple(y.shape) == (2, 3, 1, 5)
    dense = np.kron(np.kron(a, b), c)
    ref = (dense @ x.reshape(24, 5)).reshape(2, 3, 1, 5)
    np.testing.assert_allclose(to_numpy(y), ref, rtol=1e-10, atol=1e-12)


@given(
    shapes=st.lists(st.tuples(dims, dims), min_size=1, max_size=3),
    trailing=st.lists(st.integers(1, 3), max_size=1),
    seed=st.integers(0, 2**16),
)
def test_kron_apply_hypothesis(
    shapes: list[tuple[int, int]], trailing: list[int], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    factors = [rng.standard_normal(s) for s in shapes]
    cols = tuple(n for _, n in shapes)
    rows = tuple(m for m, _ in shapes)
    x = rng.standard_normal(cols + tuple(trailing))
    y = kb.kron_apply(kb.kron(*factors), x)
    dense = reduce(np.kron, factors)
    k = int(np.prod(trailing)) if trailing else 1
    ref = (dense @ x.reshape(int(np.prod(cols)), k)).reshape(rows + tuple(trailing))
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-10)
    # and its ravel is K @ x.ravel()
    if not trailing:
        np.testing.assert_allclose(y.ravel(), dense @ x.ravel(), rtol=1e-10, atol=1e-10)
