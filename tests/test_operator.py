"""The operator model: leaves, lazy combinators, ``@`` both ways, ``.T``/``.H``, entries, algebra.

Every result is compared with an independent NumPy float64/complex128 reference
built from the same data (``np.kron``, ``np.diag``, plain matrix products).
"""

from __future__ import annotations

from functools import reduce
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

import kronblock as kb
from conftest import from_numpy, library, to_numpy

DTYPES = ("float32", "float64", "complex128")

#: The operators of the model, each built with an independent dense reference.
KINDS = (
    "dense",
    "diagonal",
    "identity",
    "sum",
    "difference",
    "product",
    "scaled",
    "conjugate",
    "aslinearoperator",
    "kronecker",
    "shifted",
)


def _lib(xp: Any) -> str:
    return xp.__name__.replace("array_api_compat.", "")


def _rand(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    a = rng.standard_normal(shape)
    if dtype.startswith("complex"):
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def _ref(a: np.ndarray) -> np.ndarray:
    """A float64 / complex128 copy (the reference precision)."""
    return np.asarray(a, dtype=np.complex128 if np.iscomplexobj(a) else np.float64)


def _tol(dtype: str) -> dict[str, float]:
    if dtype in ("float32", "complex64"):
        return {"rtol": 2e-4, "atol": 2e-4}
    return {"rtol": 1e-10, "atol": 1e-10}


def _close(got: Any, ref: np.ndarray, dtype: str) -> None:
    np.testing.assert_allclose(to_numpy(got), ref, **_tol(dtype))


def build(kind: str, xp: Any, dtype: str, seed: int = 0) -> tuple[Any, np.ndarray, list[Any]]:
    """``(operator, dense reference, [the raw input arrays])`` for one kind."""
    rng = np.random.default_rng(seed)
    if kind == "dense":
        a = _rand(rng, (5, 4), dtype)
        arr = from_numpy(xp, a)
        return kb.Dense(arr), _ref(a), [arr]
    if kind == "aslinearoperator":
        a = _rand(rng, (5, 4), dtype)
        arr = from_numpy(xp, a)
        return kb.aslinearoperator(arr), _ref(a), [arr]
    if kind == "diagonal":
        d = _rand(rng, (4,), dtype)
        arr = from_numpy(xp, d)
        return kb.diag(arr), np.diag(_ref(d)), [arr]
    if kind == "identity":
        return kb.identity(4), np.eye(4), []
    if kind in ("sum", "difference"):
        a, b = _rand(rng, (5, 4), dtype), _rand(rng, (5, 4), dtype)
        aa, bb = from_numpy(xp, a), from_numpy(xp, b)
        if kind == "sum":
            return kb.Dense(aa) + kb.Dense(bb), _ref(a) + _ref(b), [aa, bb]
        return kb.Dense(aa) - kb.Dense(bb), _ref(a) - _ref(b), [aa, bb]
    if kind == "product":
        a, b = _rand(rng, (5, 3), dtype), _rand(rng, (3, 4), dtype)
        aa, bb = from_numpy(xp, a), from_numpy(xp, b)
        return kb.Product((kb.Dense(aa), kb.Dense(bb))), _ref(a) @ _ref(b), [aa, bb]
    if kind == "scaled":
        a = _rand(rng, (5, 4), dtype)
        s = (1.5 - 0.5j) if dtype.startswith("complex") else -2.5
        arr = from_numpy(xp, a)
        return s * kb.Dense(arr), s * _ref(a), [arr]
    if kind == "conjugate":
        a = _rand(rng, (5, 4), dtype)
        arr = from_numpy(xp, a)
        return kb.Conjugate(kb.Dense(arr)), np.conj(_ref(a)), [arr]
    if kind == "kronecker":
        a, b = _rand(rng, (2, 3), dtype), _rand(rng, (3, 2), dtype)
        c = _rand(rng, (1, 2), dtype)
        aa, bb, cc = from_numpy(xp, a), from_numpy(xp, b), from_numpy(xp, c)
        ref = np.kron(np.kron(_ref(a), _ref(b)), _ref(c))
        return kb.kron(aa, bb, cc), ref, [aa, bb, cc]
    if kind == "shifted":
        a = _rand(rng, (4, 4), dtype)
        arr = from_numpy(xp, a)
        return kb.Dense(arr) + 2 * kb.identity(4), _ref(a) + 2 * np.eye(4), [arr]
    raise AssertionError(kind)


def _op_dtype(kind: str, dtype: str) -> str:
    """The dtype an operator of ``kind`` built in ``dtype`` reports (identity: float64)."""
    return "float64" if kind == "identity" else dtype


def _rmatmul(x: Any, op: Any) -> Any:
    """``x @ op``; array-api-strict arrays refuse to defer, so call ``rmatmul`` there."""
    if library(x) == "array_api_strict":
        return op.rmatmul(x)
    return x @ op


def _snapshot(arrays: list[Any]) -> list[np.ndarray]:
    return [to_numpy(a).copy() for a in arrays]


def _unchanged(arrays: list[Any], copies: list[np.ndarray]) -> None:
    for a, c in zip(arrays, copies, strict=True):
        np.testing.assert_array_equal(to_numpy(a), c)


# ---- application ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_matvec_matmat_batch(xp: Any, kind: str, dtype: str) -> None:
    op, ref, raw = build(kind, xp, dtype)
    m, n = ref.shape
    assert op.shape == (m, n)
    rng = np.random.default_rng(1)
    x1, x2, x3 = _rand(rng, (n,), dtype), _rand(rng, (n, 3), dtype), _rand(rng, (2, 3, n, 2), dtype)
    copies = _snapshot(raw)
    for x in (x1, x2, x3):
        xb = from_numpy(xp, x)
        before = to_numpy(xb).copy()
        y = op @ xb
        assert library(y) == _lib(xp)
        want_shape = (*x.shape[:-2], m, x.shape[-1]) if x.ndim > 1 else (m,)
        assert tuple(y.shape) == want_shape
        assert to_numpy(y).dtype == np.dtype(dtype)
        _close(y, ref @ _ref(x), dtype)
        np.testing.assert_array_equal(to_numpy(xb), before)
    _close(op.matvec(from_numpy(xp, x1)), ref @ _ref(x1), dtype)
    _close(op.matmat(from_numpy(xp, x2)), ref @ _ref(x2), dtype)
    _close(op.matmat(from_numpy(xp, x3)), ref @ _ref(x3), dtype)
    _unchanged(raw, copies)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_rmatmul(xp: Any, kind: str, dtype: str) -> None:
    op, ref, raw = build(kind, xp, dtype)
    m, _ = ref.shape
    rng = np.random.default_rng(2)
    copies = _snapshot(raw)
    for shape in ((m,), (3, m), (2, 3, m)):
        x = _rand(rng, shape, dtype)
        xb = from_numpy(xp, x)
        y = _rmatmul(xb, op)
        assert library(y) == _lib(xp)
        _close(y, _ref(x) @ ref, dtype)
        _close(op.rmatmul(xb), _ref(x) @ ref, dtype)
        np.testing.assert_array_equal(to_numpy(xb), x)
    _unchanged(raw, copies)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_transpose_and_adjoint(xp: Any, kind: str, dtype: str) -> None:
    op, ref, raw = build(kind, xp, dtype)
    copies = _snapshot(raw)
    rng = np.random.default_rng(3)
    m, n = ref.shape
    assert op.T.shape == (n, m)
    assert op.H.shape == (n, m)
    _close(op.T.to_dense(), ref.T, dtype)
    _close(op.H.to_dense(), ref.conj().T, dtype)
    _close(op.mT.to_dense(), ref.T, dtype)
    _close(op.T.T.to_dense(), ref, dtype)
    _close(op.H.H.to_dense(), ref, dtype)
    _close(op.H.T.to_dense(), ref.conj(), dtype)
    x = _rand(rng, (m,), dtype)
    _close(op.T @ from_numpy(xp, x), ref.T @ _ref(x), dtype)
    _close(op.H @ from_numpy(xp, x), ref.conj().T @ _ref(x), dtype)
    _unchanged(raw, copies)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_to_dense(xp: Any, kind: str, dtype: str) -> None:
    op, ref, raw = build(kind, xp, dtype)
    copies = _snapshot(raw)
    d = op.to_dense()
    # A neutral identity has no data of its own: NumPy float64.
    assert library(d) == ("numpy" if kind == "identity" else _lib(xp))
    assert to_numpy(d).dtype == np.dtype(_op_dtype(kind, dtype))
    assert tuple(d.shape) == ref.shape
    _close(d, ref, dtype)
    assert len(op) == ref.shape[0]
    assert op.ndim == 2
    assert op.size == ref.size
    _unchanged(raw, copies)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_entries(xp: Any, kind: str, dtype: str) -> None:
    op, ref, raw = build(kind, xp, dtype)
    copies = _snapshot(raw)
    _, n = ref.shape
    want = np.dtype(_op_dtype(kind, dtype))
    e = op[1, 2]
    assert tuple(e.shape) == ()
    assert to_numpy(e).dtype == want
    _close(e, ref[1, 2], dtype)
    _close(op[-1, -2], ref[-1, -2], dtype)
    row = op[2, :]
    assert tuple(row.shape) == (n,)
    assert to_numpy(row).dtype == want
    _close(row, ref[2, :], dtype)
    _close(op[-1, :], ref[-1, :], dtype)
    _close(op[:, 1], ref[:, 1], dtype)
    _close(op[:, -1], ref[:, -1], dtype)
    _close(op[1:4, -1], ref[1:4, -1], dtype)
    _close(op[::-1, 0], ref[::-1, 0], dtype)
    _close(op[:, :], ref, dtype)
    rows = np.array([0, -1, 2, 3, -4, 0])
    cols = np.array([-1, 0, 1, 3, 2, 0])
    got = op[rows, cols]
    assert tuple(got.shape) == (6,)
    _close(got, ref[rows, cols], dtype)
    _close(op[list(rows), list(cols)], ref[rows, cols], dtype)
    r2, c2 = np.array([[0], [3], [-1]]), np.array([[1, -1, 0]])
    _close(op[r2, c2], ref[r2, c2], dtype)
    _close(op[rows, 1], ref[rows, 1], dtype)
    _close(op[rows, :], ref[rows, :], dtype)
    _unchanged(raw, copies)


def test_entries_with_torch_index_tensors() -> None:
    torch = pytest.importorskip("torch")  # optional backend
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 3))
    k = kb.kron(torch.asarray(a), torch.asarray(b))
    ref = np.kron(a, b)
    rows, cols = torch.tensor([0, -1, 4]), torch.tensor([11, -3, 0])
    np.testing.assert_allclose(to_numpy(k[rows, cols]), ref[rows.numpy(), cols.numpy()])


# ---- algebra ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_add_sub_neg_scale(xp: Any, dtype: str) -> None:
    rng = np.random.default_rng(5)
    a, b, c = _rand(rng, (2, 2), dtype), _rand(rng, (3, 3), dtype), _rand(rng, (6, 6), dtype)
    d = _rand(rng, (6,), dtype)
    raw = [from_numpy(xp, v) for v in (a, b, c, d)]
    copies = _snapshot(raw)
    k = kb.kron(raw[0], raw[1])
    dn = kb.Dense(raw[2])
    dg = kb.diag(raw[3])
    rk, rc, rd = np.kron(_ref(a), _ref(b)), _ref(c), np.diag(_ref(d))
    neg = -k
    cases = [
        (k + dn, rk + rc),
        (k - dn, rk - rc),
        (dn - k, rc - rk),
        (k + dn + dg, rk + rc + rd),
        (k - dn - dg, rk - rc - rd),
        (-k, -rk),
        (-neg, rk),
        (+k, rk),
        (3 * k, 3 * rk),
        (k * 3, 3 * rk),
        (k / 4, rk / 4),
        (2 * (3 * k), 6 * rk),
        ((k + dn) / 2, (rk + rc) / 2),
        (-(k - dg), rd - rk),
        (k + 0.5 * kb.identity(6), rk + 0.5 * np.eye(6)),
        (k - kb.identity(6), rk - np.eye(6)),
    ]
    if dtype.startswith("complex"):
        cases.append(((1 + 2j) * k, (1 + 2j) * rk))
        cases.append((k / 1j, rk / 1j))
    x = _rand(rng, (6,), dtype)
    for op, ref in cases:
        assert op.shape == ref.shape
        assert library(op.to_dense()) == _lib(xp)
        _close(op.to_dense(), ref, dtype)
        _close(op @ from_numpy(xp, x), ref @ _ref(x), dtype)
        _close(op.H.to_dense(), ref.conj().T, dtype)
    _unchanged(raw, copies)


def test_combinator_types_and_flattening() -> None:
    rng = np.random.default_rng(6)
    a, b, c = (kb.Dense(rng.standard_normal((3, 3))) for _ in range(3))
    s = a + b + c
    assert isinstance(s, kb.Sum)
    assert len(s.terms) == 3
    assert isinstance(a - b, kb.Sum)
    sc = 2 * (3 * a)
    assert isinstance(sc, kb.Scaled)
    assert sc.scalar == 6
    assert sc.operator is a
    assert isinstance(-a, kb.Scaled)
    assert (+a) is a
    p = kb.Product((kb.Product((a, b)), c))
    assert len(p.factors) == 3
    ref = a.to_dense() @ b.to_dense() @ c.to_dense()
    np.testing.assert_allclose(p.to_dense(), ref, rtol=1e-12, atol=1e-12)
    assert isinstance(kb.Conjugate(a), kb.Conjugate)
    assert isinstance(kb.kron(kb.kron(a, b), c), kb.Kronecker)
    assert len(kb.kron(kb.kron(a, b), c).factors) == 3


def test_aslinearoperator_wraps() -> None:
    rng = np.random.default_rng(7)
    a = rng.standard_normal((3, 2))
    op = kb.Dense(a)
    assert kb.aslinearoperator(op) is op
    wrapped = kb.aslinearoperator(a)
    assert isinstance(wrapped, kb.Dense)
    assert wrapped.array is a
    lst = kb.aslinearoperator([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(lst, kb.Dense)
    np.testing.assert_array_equal(lst.to_dense(), [[1.0, 2.0], [3.0, 4.0]])
    s = sp.random(4, 3, density=0.5, random_state=0, format="csr")
    ws = kb.aslinearoperator(s)
    assert isinstance(ws, kb.Sparse)
    np.testing.assert_allclose(ws.to_dense(), s.toarray())
    tagged = kb.aslinearoperator(a @ a.T, tags={"positive_definite"})
    assert {"positive_definite", "hermitian"} <= tagged.tags


@pytest.mark.parametrize("dtype", DTYPES)
def test_complex_scalar_on_real_operator(dtype: str) -> None:
    rng = np.random.default_rng(8)
    a = _rand(rng, (3, 3), dtype)
    op = (2 - 1j) * kb.Dense(a)
    ref = (2 - 1j) * _ref(a)
    want = {"float32": np.complex64, "float64": np.complex128, "complex128": np.complex128}[dtype]
    assert op.to_dense().dtype == want
    np.testing.assert_allclose(op.to_dense(), ref, **_tol(dtype))
    np.testing.assert_allclose(op.H.to_dense(), ref.conj().T, **_tol(dtype))
    np.testing.assert_allclose(op.T.to_dense(), ref.T, **_tol(dtype))


# ---- composition --------------------------------------------------------------------------
def test_compose_dense_dense_is_dense(xp: Any) -> None:
    rng = np.random.default_rng(9)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
    aa, bb = from_numpy(xp, a), from_numpy(xp, b)
    p = kb.Dense(aa) @ kb.Dense(bb)
    assert isinstance(p, kb.Dense)
    assert p.shape == (4, 5)
    assert library(p.to_dense()) == _lib(xp)
    _close(p.to_dense(), a @ b, "float64")
    np.testing.assert_array_equal(to_numpy(aa), a)
    np.testing.assert_array_equal(to_numpy(bb), b)


def test_compose_int_and_float_dense_promotes() -> None:
    a = np.array([[1, 2], [3, 4]])
    b = np.array([[0.5, 1.0], [1.5, -2.0]])
    p = kb.Dense(a) @ kb.Dense(b)
    assert isinstance(p, kb.Dense)
    assert p.dtype == np.float64
    np.testing.assert_allclose(p.to_dense(), a @ b)


def test_compose_kronecker_matching(xp: Any) -> None:
    rng = np.random.default_rng(10)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((4, 2))
    c, d = rng.standard_normal((3, 5)), rng.standard_normal((2, 3))
    k1 = kb.kron(from_numpy(xp, a), from_numpy(xp, b))
    k2 = kb.kron(from_numpy(xp, c), from_numpy(xp, d))
    p = k1 @ k2
    assert isinstance(p, kb.Kronecker)
    assert len(p.factors) == 2
    assert all(isinstance(f, kb.Dense) for f in p.factors)
    _close(p.factors[0].to_dense(), a @ c, "float64")
    _close(p.factors[1].to_dense(), b @ d, "float64")
    _close(p.to_dense(), np.kron(a, b) @ np.kron(c, d), "float64")
    x = rng.standard_normal(p.shape[1])
    _close(p @ from_numpy(xp, x), np.kron(a, b) @ np.kron(c, d) @ x, "float64")


def test_compose_kronecker_grouped(xp: Any) -> None:
    # kron(A, B, C) @ kron(D, E) with D matching A⊗B (cols 3·2 = 6) and E matching C.
    rng = np.random.default_rng(11)
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((4, 2)), rng.standard_normal((3, 5))
    d, e = rng.standard_normal((6, 2)), rng.standard_normal((5, 3))
    k1 = kb.kron(*(from_numpy(xp, v) for v in (a, b, c)))
    k2 = kb.kron(from_numpy(xp, d), from_numpy(xp, e))
    p = k1 @ k2
    assert isinstance(p, kb.Kronecker)
    assert len(p.factors) == 2
    assert p.factors[0].shape == (8, 2)
    assert p.factors[1].shape == (3, 3)
    assert isinstance(p.factors[1], kb.Dense)
    _close(p.factors[0].to_dense(), np.kron(a, b) @ d, "float64")
    _close(p.factors[1].to_dense(), c @ e, "float64")
    ref = np.kron(np.kron(a, b), c) @ np.kron(d, e)
    _close(p.to_dense(), ref, "float64")
    # and the reverse grouping: kron(D', E') @ kron(A', B', C') with D' matching A'⊗B'
    a2, b2, c2 = (
        rng.standard_normal((3, 2)),
        rng.standard_normal((2, 2)),
        rng.standard_normal((5, 4)),
    )
    d2, e2 = rng.standard_normal((3, 6)), rng.standard_normal((2, 5))
    q = kb.kron(from_numpy(xp, d2), from_numpy(xp, e2)) @ kb.kron(
        *(from_numpy(xp, v) for v in (a2, b2, c2))
    )
    assert isinstance(q, kb.Kronecker)
    _close(q.to_dense(), np.kron(d2, e2) @ np.kron(np.kron(a2, b2), c2), "float64")


def test_compose_kronecker_not_matching_stays_lazy(xp: Any) -> None:
    # Column dims (3, 2) against row dims (2, 3): no common split.
    rng = np.random.default_rng(12)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((4, 2))
    c, d = rng.standard_normal((2, 2)), rng.standard_normal((3, 5))
    k1 = kb.kron(from_numpy(xp, a), from_numpy(xp, b))
    k2 = kb.kron(from_numpy(xp, c), from_numpy(xp, d))
    p = k1 @ k2
    assert isinstance(p, kb.Product)
    assert p.shape == (8, 10)
    ref = np.kron(a, b) @ np.kron(c, d)
    _close(p.to_dense(), ref, "float64")
    x = rng.standard_normal((10, 2))
    _close(p @ from_numpy(xp, x), ref @ x, "float64")
    _close(p.T.to_dense(), ref.T, "float64")
    _close(p[3, :], ref[3, :], "float64")


def test_compose_lazy_product_of_other_operators(xp: Any) -> None:
    rng = np.random.default_rng(13)
    a, b = rng.standard_normal((2, 2)), rng.standard_normal((3, 3))
    c = rng.standard_normal((6, 4))
    d = rng.standard_normal(4)
    k = kb.kron(from_numpy(xp, a), from_numpy(xp, b))
    p = k @ kb.Dense(from_numpy(xp, c)) @ kb.diag(from_numpy(xp, d))
    assert isinstance(p, kb.Product)
    ref = np.kron(a, b) @ c @ np.diag(d)
    _close(p.to_dense(), ref, "float64")
    dd = kb.diag(from_numpy(xp, d)) @ kb.diag(from_numpy(xp, d))
    assert isinstance(dd, kb.Diagonal)
    _close(dd.to_dense(), np.diag(d * d), "float64")


# ---- the neutral identity ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", ("float32", "float64"))
def test_neutral_identity_adopts_library_and_dtype(xp: Any, dtype: str) -> None:
    rng = np.random.default_rng(14)
    a, b = _rand(rng, (2, 2), dtype), _rand(rng, (3, 3), dtype)
    k = kb.kron(from_numpy(xp, a), from_numpy(xp, b))
    ref = np.kron(_ref(a), _ref(b))
    s = k + 2 * kb.identity(6)
    assert library(s.to_dense()) == _lib(xp)
    assert to_numpy(s.to_dense()).dtype == np.dtype(dtype)
    assert s.dtype == k.dtype
    _close(s.to_dense(), ref + 2 * np.eye(6), dtype)
    x = _rand(rng, (6,), dtype)
    y = s @ from_numpy(xp, x)
    assert library(y) == _lib(xp)
    assert to_numpy(y).dtype == np.dtype(dtype)
    _close(y, (ref + 2 * np.eye(6)) @ _ref(x), dtype)
    _close(s[1, :], ref[1, :] + 2 * np.eye(6)[1, :], dtype)
    t = 2 * kb.identity(6) - k
    _close(t.to_dense(), 2 * np.eye(6) - ref, dtype)
    # I @ K and K @ I simplify to K itself
    assert (kb.identity(6) @ k) is k
    assert (k @ kb.identity(6)) is k
    # applying the identity returns the argument's library and dtype
    z = kb.identity(6) @ from_numpy(xp, x)
    assert library(z) == _lib(xp)
    assert to_numpy(z).dtype == np.dtype(dtype)
    np.testing.assert_array_equal(to_numpy(z), x)


@pytest.mark.parametrize("dtype", ("float32", "float64"))
def test_neutral_identity_as_kronecker_factor(xp: Any, dtype: str) -> None:
    rng = np.random.default_rng(15)
    a = _rand(rng, (3, 3), dtype)
    k = kb.kron(kb.identity(2), from_numpy(xp, a))
    ref = np.kron(np.eye(2), _ref(a))
    x = _rand(rng, (6,), dtype)
    y = k @ from_numpy(xp, x)
    assert library(y) == _lib(xp)
    _close(y, ref @ _ref(x), dtype)
    d = k.to_dense()
    assert library(d) == _lib(xp)
    assert to_numpy(d).dtype == np.dtype(dtype)
    _close(d, ref, dtype)


@pytest.mark.parametrize("dtype", ("float32", "float64"))
def test_neutral_identity_kronecker_factor_entries(xp: Any, dtype: str) -> None:
    rng = np.random.default_rng(16)
    a = _rand(rng, (3, 3), dtype)
    k = kb.kron(kb.identity(2), from_numpy(xp, a))
    ref = np.kron(np.eye(2), _ref(a))
    e = k[4, 5]
    assert library(e) == _lib(xp)
    assert to_numpy(e).dtype == np.dtype(dtype)
    _close(e, ref[4, 5], dtype)
    _close(k[1, :], ref[1, :], dtype)
    rows, cols = np.array([0, 4, -1]), np.array([3, 5, -1])
    _close(k[rows, cols], ref[rows, cols], dtype)


@pytest.mark.parametrize("dtype", ("float32", "float64"))
def test_neutral_identity_kronecker_factor_linalg(xp: Any, dtype: str) -> None:
    rng = np.random.default_rng(17)
    a = _rand(rng, (3, 3), dtype) + 4 * np.eye(3, dtype=dtype)
    k = kb.kron(kb.identity(2), from_numpy(xp, a))
    ref = np.kron(np.eye(2), _ref(a))
    diag = kb.diagonal(k)
    assert library(diag) == _lib(xp)
    assert to_numpy(diag).dtype == np.dtype(dtype)
    _close(diag, np.diag(ref), dtype)
    _close(kb.trace(k), np.trace(ref), dtype)
    sign, logabs = kb.slogdet(k)
    rs, rl = np.linalg.slogdet(ref)
    _close(sign, rs, dtype)
    _close(logabs, rl, dtype)
    _close(kb.inv(k).to_dense(), np.linalg.inv(ref), dtype)


@pytest.mark.parametrize("dtype", ("float32", "float64"))
def test_neutral_scaled_identity_as_kronecker_factor(xp: Any, dtype: str) -> None:
    # 2·I has no data of its own either: inside kron it must adopt A's library and dtype.
    rng = np.random.default_rng(20)
    a = _rand(rng, (2, 2), dtype) + 3 * np.eye(2, dtype=dtype)
    k = kb.kron(from_numpy(xp, a), 2 * kb.identity(3))
    ref = np.kron(_ref(a), 2 * np.eye(3))
    x = _rand(rng, (6,), dtype)
    _close(k @ from_numpy(xp, x), ref @ _ref(x), dtype)
    d = k.to_dense()
    assert library(d) == _lib(xp)
    assert to_numpy(d).dtype == np.dtype(dtype)
    _close(d, ref, dtype)
    e = k[4, 4]
    assert library(e) == _lib(xp)
    assert to_numpy(e).dtype == np.dtype(dtype)
    _close(e, ref[4, 4], dtype)
    diag = kb.diagonal(k)
    assert library(diag) == _lib(xp)
    assert to_numpy(diag).dtype == np.dtype(dtype)
    _close(diag, np.diag(ref), dtype)
    sign, logabs = kb.slogdet(k)
    rs, rl = np.linalg.slogdet(ref)
    _close(sign, rs, dtype)
    _close(logabs, rl, dtype)


@pytest.mark.parametrize("scalar", (2.5, 1j))
def test_neutral_identity_with_float_scalar_on_int_operator(xp: Any, scalar: complex) -> None:
    # int operator + 2.5·I has fractional entries: it cannot keep an integer dtype, and
    # the promoted dtype is the float64 (complex128) of linear algebra, not float32.
    a = np.array([[2, 1], [1, 3]])
    s = kb.Dense(from_numpy(xp, a)) + scalar * kb.identity(2)
    want = np.complex128 if isinstance(scalar, complex) else np.float64
    ref = a + scalar * np.eye(2)
    d = s.to_dense()
    assert to_numpy(d).dtype == want
    np.testing.assert_allclose(to_numpy(d), ref, rtol=1e-12)
    assert np.dtype(str(s.dtype).split(".")[-1]) == want


# ---- dtypes -------------------------------------------------------------------------------
def test_float32_in_float32_out(xp: Any) -> None:
    rng = np.random.default_rng(18)
    a = (rng.standard_normal((3, 3)) + 3 * np.eye(3)).astype(np.float32)
    b = (rng.standard_normal((2, 2)) + 3 * np.eye(2)).astype(np.float32)
    k = kb.kron(from_numpy(xp, a), from_numpy(xp, b))
    ref = np.kron(_ref(a), _ref(b))
    x = rng.standard_normal(6).astype(np.float32)
    xb = from_numpy(xp, x)
    f32 = np.dtype(np.float32)
    checks = {
        "K @ x": (k @ xb, ref @ x),
        "x @ K": (_rmatmul(xb, k), x @ ref),
        "to_dense": (k.to_dense(), ref),
        "T": (k.T.to_dense(), ref.T),
        "2K": ((2 * k).to_dense(), 2 * ref),
        "K/2": ((k / 2).to_dense(), ref / 2),
        "-K": ((-k).to_dense(), -ref),
        "K+K": ((k + k).to_dense(), 2 * ref),
        "K-K/2": ((k - k / 2).to_dense(), ref / 2),
        "K@K": ((k @ k).to_dense(), ref @ ref),
        "entry": (k[1, 2], ref[1, 2]),
        "row": (k[1, :], ref[1, :]),
        "solve": (kb.solve(k, xb), np.linalg.solve(ref, x)),
        "inv": (kb.inv(k).to_dense(), np.linalg.inv(ref)),
        "det": (kb.det(k), np.linalg.det(ref)),
        "logabsdet": (kb.slogdet(k)[1], np.linalg.slogdet(ref)[1]),
        "diagonal": (kb.diagonal(k), np.diag(ref)),
        "trace": (kb.trace(k), np.trace(ref)),
        "norm": (kb.norm(k), np.linalg.norm(ref)),
    }
    for name, (got, want) in checks.items():
        assert to_numpy(got).dtype == f32, name
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-4, atol=1e-4, err_msg=name)
    assert k.dtype == from_numpy(xp, a).dtype
    np.testing.assert_array_equal(to_numpy(xb), x)


def test_int_operator_int_dense_float64_linalg(xp: Any) -> None:
    a = np.array([[2, 1], [1, 3]])
    b = np.array([[4, 1, 0], [1, 3, 1], [0, 1, 2]])
    k = kb.kron(from_numpy(xp, a), from_numpy(xp, b))
    ref = np.kron(a, b)
    i64, f64 = np.dtype(np.int64), np.dtype(np.float64)
    d = k.to_dense()
    assert to_numpy(d).dtype == i64
    np.testing.assert_array_equal(to_numpy(d), ref)
    x = np.arange(6) - 2
    y = k @ from_numpy(xp, x)
    assert to_numpy(y).dtype == i64
    np.testing.assert_array_equal(to_numpy(y), ref @ x)
    assert to_numpy(k[1, 2]).dtype == i64
    np.testing.assert_array_equal(to_numpy(k[[0, 5], [1, -1]]), ref[[0, 5], [1, -1]])
    np.testing.assert_array_equal(to_numpy((2 * k).to_dense()), 2 * ref)
    np.testing.assert_array_equal(to_numpy((k + k).to_dense()), 2 * ref)
    np.testing.assert_array_equal(to_numpy(k.T.to_dense()), ref.T)
    half = (k / 2).to_dense()
    assert to_numpy(half).dtype == f64
    np.testing.assert_allclose(to_numpy(half), ref / 2)
    rf = ref.astype(np.float64)
    linalg = {
        "solve": (kb.solve(k, from_numpy(xp, x)), np.linalg.solve(rf, x)),
        "inv": (kb.inv(k).to_dense(), np.linalg.inv(rf)),
        "det": (kb.det(k), np.linalg.det(rf)),
        "logdet": (kb.logdet(k), np.linalg.slogdet(rf)[1]),
        "eigvalsh": (kb.eigvalsh(k), np.linalg.eigvalsh(rf)),
        "cholesky": (kb.cholesky(k).to_dense(), np.linalg.cholesky(rf)),
        "norm": (kb.norm(k, 2), np.linalg.norm(rf, 2)),
    }
    for name, (got, want) in linalg.items():
        assert to_numpy(got).dtype == f64, name
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-10, atol=1e-10, err_msg=name)


SOLVE_PROMOTION = {
    # name: (factors' dtypes, right-hand side dtype, promoted dtype)
    "real operator, complex rhs": (("float64",), "complex128", "complex128"),
    "float32 operator, float64 rhs": (("float32",), "float64", "float64"),
    "kron(complex, real)": (("complex128", "float64"), "float64", "complex128"),
    "kron(real, complex), complex rhs": (("float64", "complex128"), "complex128", "complex128"),
    "kron(float32, float64)": (("float32", "float64"), "float64", "float64"),
}


@pytest.mark.parametrize("case", sorted(SOLVE_PROMOTION))
def test_solve_promotes_like_numpy(xp: Any, case: str) -> None:
    # The answer is computed in the promoted dtype, as np.linalg.solve does: no imaginary
    # part dropped, no float32 rounding of a float64 right-hand side.
    dtypes, bdtype, want = SOLVE_PROMOTION[case]
    rng = np.random.default_rng(21)
    sizes = (3, 2)
    factors = [_rand(rng, (n, n), dt) + 3 * np.eye(n, dtype=dt) for n, dt in zip(sizes, dtypes)]
    op = kb.kron(*(from_numpy(xp, f) for f in factors))
    dense = reduce(np.kron, [f.astype(want) for f in factors])
    b = _rand(rng, (dense.shape[0],), bdtype)
    x = kb.solve(op, from_numpy(xp, b))
    assert to_numpy(x).dtype == np.dtype(want)
    np.testing.assert_allclose(to_numpy(x), np.linalg.solve(dense, b.astype(want)), rtol=1e-10)
    x2 = kb.factorize(op).solve(from_numpy(xp, b))
    np.testing.assert_allclose(to_numpy(x2), np.linalg.solve(dense, b.astype(want)), rtol=1e-10)


# ---- inputs are never modified ------------------------------------------------------------
@pytest.mark.parametrize("dtype", ("float64", "complex128"))
def test_inputs_never_mutated(xp: Any, dtype: str) -> None:
    rng = np.random.default_rng(19)
    a = _rand(rng, (3, 3), dtype)
    a = a @ a.conj().T + 3 * np.eye(3)
    b = _rand(rng, (2, 2), dtype)
    b = b @ b.conj().T + 2 * np.eye(2)
    d = _rand(rng, (6,), dtype)
    raw = [from_numpy(xp, v) for v in (a, b, d)]
    x = from_numpy(xp, _rand(rng, (6,), dtype))
    xm = from_numpy(xp, _rand(rng, (6, 3), dtype))
    xb = from_numpy(xp, _rand(rng, (2, 6, 2), dtype))
    xr = from_numpy(xp, _rand(rng, (2, 2, 6), dtype))
    watched = [*raw, x, xm, xb, xr]
    copies = _snapshot(watched)
    k = kb.kron(raw[0], raw[1])
    dg = kb.diag(raw[2])
    calls = [
        lambda: k @ x,
        lambda: k @ xm,
        lambda: k @ xb,
        lambda: k.matvec(x),
        lambda: k.matmat(xm),
        lambda: k.rmatmul(x),
        lambda: k.rmatmul(xr),
        lambda: k.T @ x,
        lambda: k.H @ xm,
        lambda: k.to_dense(),
        lambda: k[1, 2],
        lambda: k[np.array([0, -1]), np.array([2, 3])],
        lambda: (k + dg) @ x,
        lambda: (k - dg).to_dense(),
        lambda: (-k) @ x,
        lambda: (2 * k / 3) @ xm,
        lambda: (k @ k).to_dense(),
        lambda: (k @ dg) @ x,
        lambda: dg @ x,
        lambda: dg.to_dense(),
        lambda: (k + kb.identity(6)) @ x,
        lambda: kb.solve(k, x),
        lambda: kb.solve(k, xb),
        lambda: kb.factorize(k).solve(xm, adjoint=True),
        lambda: kb.inv(k) @ x,
        lambda: kb.slogdet(k),
        lambda: kb.eigh(k),
        lambda: kb.cholesky(k).to_dense(),
        lambda: kb.cho_factor(k).solve(x),
        lambda: kb.svdvals(k),
        lambda: kb.diagonal(k),
        lambda: kb.trace(k),
        lambda: kb.norm(k, "nuc"),
    ]
    for i, call in enumerate(calls):
        call()
        for arr, c in zip(watched, copies, strict=True):
            np.testing.assert_array_equal(to_numpy(arr), c, err_msg=f"call {i} mutated an input")
