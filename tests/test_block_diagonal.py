"""BlockDiagonal beyond the conformance suite: matrix functions, storage paths, kron(I, A), errors.

The conformance suite (``test_conformance.py``) runs the drawn cases of
``_factories_block_diagonal`` against ``scipy.linalg.block_diag`` references.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given
from hypothesis import strategies as st

import kronblock as kb
from _factories import HERMITIAN, SPD, Case
from _factories_block_diagonal import block_diagonal_cases
from conftest import from_numpy, library, to_numpy
from kronblock import testing as kbt
from kronblock.operators._block_diagonal import (
    BlockDiagonal,
    BlockDiagonalFactorization,
    as_block_diagonal,
    block_diag,
)


def draw_case(data: st.DataObject, kinds: tuple[str, ...]) -> Case:
    kind = data.draw(st.sampled_from(kinds), label="kind")
    return data.draw(block_diagonal_cases(kind), label="case")


@contextmanager
def densifying(case: Case, name: str) -> Iterator[None]:
    """Allow the dense fallback where a block has no identity (``info["densifies"]``)."""
    if name in case.info.get("densifies", ()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", kb.DensificationWarning)
            yield
    else:
        yield


def check_dtype(result: Any, case: Case, xp: Any, real: bool = False) -> None:
    real_of = {"complex128": "float64", "complex64": "float32"}
    expected = case.dtype if not real else real_of.get(case.dtype, case.dtype)
    assert str(result.dtype).split(".")[-1] == expected, f"dtype {result.dtype} for {case}"
    assert library(result) == xp.__name__.replace("array_api_compat.", "")


# ---- matrix functions on drawn cases ------------------------------------------------------
@given(data=st.data())
def test_matrix_functions(data: st.DataObject) -> None:
    case = draw_case(data, (HERMITIAN, SPD))
    op = case.build(np)
    with densifying(case, "expm"):
        e = kb.expm(-0.5 * op)
    assert isinstance(e, BlockDiagonal)
    kbt.assert_close(e.to_dense(), sla.expm(-0.5 * case.dense), case.rtol(4), "expm")
    with densifying(case, "funm"):
        f = kb.funm(op, lambda lam: 1 / (lam + 10.0))
    ref = np.linalg.inv(case.dense + 10.0 * np.eye(case.shape[0]))
    kbt.assert_close(f.to_dense(), ref, case.rtol(4), "funm")


# ---- storage: stacked and repeated blocks --------------------------------------------------
def _spd(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


def test_equal_shape_dense_blocks_are_stacked_once() -> None:
    rng = np.random.default_rng(0)
    blocks = [_spd(rng, 4) for _ in range(5)]
    d = block_diag(*blocks, np.ones((2, 3)), *blocks[:2])
    assert [(s.count, s.stack is not None) for s in d.segments] == [
        (5, True),
        (1, False),
        (2, True),
    ]
    stack = d.segments[0].stack
    assert stack.shape == (5, 4, 4)
    # blocks are views of the stack, and rebuilt operators reuse it (no copy)
    assert np.shares_memory(d.blocks[3].array, stack)
    assert d.T.segments[0].stack.base is stack or np.shares_memory(d.T.segments[0].stack, stack)
    assert np.shares_memory(block_diag(*d.blocks[1:4]).segments[0].stack, stack)
    np.testing.assert_array_equal(
        d.to_dense(), sla.block_diag(*blocks, np.ones((2, 3)), *blocks[:2])
    )


def test_stacked_solve_is_batched_and_matches_dense() -> None:
    rng = np.random.default_rng(1)
    blocks = [rng.standard_normal((20, 20)) + 6 * np.eye(20) for _ in range(200)]
    d = block_diag(*blocks)
    assert len(d.segments) == 1 and d.segments[0].count == 200
    b = rng.standard_normal((4000, 3))
    ref = np.linalg.solve(sla.block_diag(*blocks), b)
    np.testing.assert_allclose(kb.solve(d, b), ref, rtol=1e-9, atol=1e-12)
    f = kb.factorize(d)
    assert isinstance(f, BlockDiagonalFactorization)
    np.testing.assert_allclose(f.solve(b), ref, rtol=1e-9, atol=1e-12)
    sign, logabs = kb.slogdet(d)
    rs, rl = np.linalg.slogdet(sla.block_diag(*blocks))
    assert sign == rs and np.isclose(logabs, rl)
    assert isinstance(kb.inv(d), BlockDiagonal) and kb.inv(d).segments[0].count == 200


def test_repeated_block_is_stored_and_factorized_once() -> None:
    rng = np.random.default_rng(2)
    a = kb.Dense(_spd(rng, 3))
    d = block_diag(a, a, a, a)
    assert [(s.count, s.op is a) for s in d.segments] == [(4, True)]
    ref = sla.block_diag(*[a.array] * 4)
    x = rng.standard_normal((12, 2))
    np.testing.assert_allclose(d @ x, ref @ x)
    f = kb.factorize(d)
    assert len(f.pieces) == 1 and f.pieces[0][1] == 4  # type: ignore[attr-defined]
    np.testing.assert_allclose(f.solve(x), np.linalg.solve(ref, x))
    inv = kb.inv(d)
    assert inv.blocks[0] is inv.blocks[3]
    w, v = kb.eigh(d)
    assert v.blocks[0] is v.blocks[1]
    np.testing.assert_allclose(np.sort(w), np.linalg.eigvalsh(ref))


def test_mixed_precision_blocks_decompose_in_the_wider_dtype() -> None:
    rng = np.random.default_rng(3)
    a32 = (rng.standard_normal((3, 3)) + 3 * np.eye(3)).astype(np.float32)
    b64 = rng.standard_normal((2, 2)) + 3 * np.eye(2)
    d = block_diag(a32, b64)
    assert d.dtype == np.float64
    ref = sla.block_diag(a32.astype(np.float64), b64)
    x = kb.solve(d, np.ones(5))
    assert x.dtype == np.float64
    np.testing.assert_allclose(x, np.linalg.solve(ref, np.ones(5)), rtol=1e-12)


def test_float32_stacked_factorization_widens_for_a_float64_rhs() -> None:
    rng = np.random.default_rng(4)
    blocks = [(rng.standard_normal((3, 3)) + 3 * np.eye(3)).astype(np.float32) for _ in range(3)]
    d = block_diag(*blocks)
    f = kb.factorize(d)
    b = rng.standard_normal(9)
    x = f.solve(b)
    assert x.dtype == np.float64
    ref = np.linalg.solve(sla.block_diag(*blocks).astype(np.float64), b)
    np.testing.assert_allclose(x, ref, rtol=1e-12)


# ---- SciPy's conventions ----------------------------------------------------------------
def test_mirrors_scipy_for_rows_scalars_and_empty_blocks() -> None:
    args = [np.array([1.0, 2.0]), 3.0, np.zeros((0, 2)), np.ones((2, 0)), [[4.0, 5.0]]]
    d = block_diag(*args)
    ref = sla.block_diag(*args)
    assert d.shape == ref.shape == (5, 7)
    np.testing.assert_array_equal(d.to_dense(), ref)
    np.testing.assert_array_equal(d @ np.arange(7.0), ref @ np.arange(7.0))
    np.testing.assert_array_equal(d[:, 2], ref[:, 2])
    assert block_diag([]).shape == sla.block_diag([]).shape == (1, 0)


def test_one_by_one_blocks() -> None:
    vals = [2.0, -3.0, 0.5, 4.0]
    d = block_diag(*vals)
    assert d.segments[0].count == 4 and d.segments[0].stack is not None
    ref = np.diag(vals)
    np.testing.assert_allclose(kb.solve(d, np.ones(4)), 1 / np.array(vals))
    np.testing.assert_allclose(kb.det(d), np.prod(vals))
    np.testing.assert_allclose(kb.eigvalsh(d), np.sort(vals))
    np.testing.assert_allclose(kb.norm(d, -2), 0.5)
    np.testing.assert_array_equal(kb.diagonal(d), np.diagonal(ref))


def test_square_matrix_with_rectangular_blocks_is_singular() -> None:
    rng = np.random.default_rng(5)
    a, b, c = rng.standard_normal((1, 2)), rng.standard_normal((2, 1)), _spd(rng, 2)
    d = block_diag(c, a, b)
    ref = sla.block_diag(c, a, b)
    sign, logabs = kb.slogdet(d)
    assert sign == 0 and logabs == -np.inf
    with pytest.raises(kb.LinAlgError, match=r"solve: block 1 .* has shape \(1, 2\).*singular"):
        kb.solve(d, np.ones(5))
    with pytest.raises(kb.LinAlgError, match="use pinv"):
        kb.inv(d)
    np.testing.assert_allclose(kb.diagonal(d), np.diagonal(ref))
    np.testing.assert_allclose(kb.trace(d), np.trace(ref))
    assert kb.norm(d, -2) == 0.0
    # eigenvalues: the square block by its rule, the rectangular run formed densely (warned)
    with pytest.warns(kb.DensificationWarning, match="BlockDiagonal"):
        w = kb.eigvals(d)
    np.testing.assert_allclose(
        np.sort_complex(w), np.sort_complex(np.linalg.eigvals(ref)), atol=1e-12
    )


def test_kron_of_blocks_and_block_of_kronecker() -> None:
    rng = np.random.default_rng(6)
    s = [_spd(rng, 2) for _ in range(3)]
    d = block_diag(kb.kron(s[0], s[1]), s[2], s[2] + np.eye(2))
    k = kb.kron(d, s[0])  # a block-diagonal factor inside a Kronecker product
    ref = np.kron(sla.block_diag(np.kron(s[0], s[1]), s[2], s[2] + np.eye(2)), s[0])
    np.testing.assert_allclose(kb.solve(k, np.ones(16)), np.linalg.solve(ref, np.ones(16)))
    np.testing.assert_allclose(kb.logdet(k), np.linalg.slogdet(ref)[1])
    nested = block_diag(d, block_diag(s[1], s[2]))
    assert len(nested.blocks) == 5  # flattened


# ---- kron(I, A) --------------------------------------------------------------------------
def test_kron_identity_is_recognised_as_repeated_blocks() -> None:
    rng = np.random.default_rng(7)
    a = rng.standard_normal((3, 2))
    k = kb.kron(kb.identity(2), kb.identity(2), a)
    d = as_block_diagonal(k)
    assert d is not None and len(d.blocks) == 4 and len(d.segments) == 1
    assert d.segments[0].op is k.factors[-1]  # stored once, not copied
    np.testing.assert_array_equal(d.to_dense(), k.to_dense())
    assert as_block_diagonal(kb.kron(a, kb.identity(2))) is None
    assert as_block_diagonal(d) is d


def test_products_with_kron_identity_stay_block_diagonal() -> None:
    rng = np.random.default_rng(8)
    bs = [rng.standard_normal((2, 3)) for _ in range(3)]
    a = rng.standard_normal((3, 4))
    left = block_diag(*bs) @ kb.kron(kb.identity(3), a)
    assert isinstance(left, BlockDiagonal) and left.segments[0].stack is not None
    np.testing.assert_allclose(left.to_dense(), sla.block_diag(*[b @ a for b in bs]))
    c = rng.standard_normal((5, 2))
    right = kb.kron(kb.identity(3), c) @ block_diag(*bs)
    assert isinstance(right, BlockDiagonal)
    np.testing.assert_allclose(right.to_dense(), sla.block_diag(*[c @ b for b in bs]))
    # repeated @ repeated: the one product, repeated
    twice = kb.kron(kb.identity(3), c) @ block_diag(*[bs[0]] * 3)
    assert isinstance(twice, BlockDiagonal)


def test_products_of_block_diagonals() -> None:
    rng = np.random.default_rng(9)
    a = [rng.standard_normal((2, 2)) for _ in range(4)]
    b = [rng.standard_normal((2, 3)) for _ in range(4)]
    p = block_diag(*a) @ block_diag(*b)  # stacked @ stacked: one batched matmul
    assert isinstance(p, BlockDiagonal) and p.segments[0].count == 4
    np.testing.assert_allclose(p.to_dense(), sla.block_diag(*a) @ sla.block_diag(*b))
    # partitions that differ: grouped between the shared offsets
    q = block_diag(*a) @ block_diag(sla.block_diag(b[0], b[1]), b[2], b[3])
    assert isinstance(q, BlockDiagonal) and len(q.blocks) == 3
    np.testing.assert_allclose(
        q.to_dense(), sla.block_diag(*a) @ sla.block_diag(b[0], b[1], b[2], b[3])
    )
    # nothing shared: lazy
    r = block_diag(a[0], a[1]) @ block_diag(
        rng.standard_normal((1, 1)), rng.standard_normal((3, 3))
    )
    assert isinstance(r, kb.Product)


def test_no_public_operation_densifies() -> None:
    rng = np.random.default_rng(10)
    s = [_spd(rng, 3) for _ in range(4)]
    d = block_diag(*s, kb.kron(s[0], s[1]), kb.diag(np.array([1.0, 2.0])), kb.identity(2))
    r = block_diag(rng.standard_normal((2, 3)), rng.standard_normal((4, 2)), *s[:2])
    # matrix functions: a Kronecker product has none of its own, kron(I, A) is p copies of A
    e = block_diag(*s, kb.kron(kb.identity(2), s[1]), kb.kronsum(s[0], s[1]), kb.identity(2))
    b = rng.standard_normal(d.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", kb.DensificationWarning)
        results = [
            kb.solve(d, b), kb.inv(d), kb.det(d), kb.slogdet(d), kb.logdet(d), kb.eigh(d),
            kb.eigvalsh(d), kb.eigvals(d), kb.eig(d), kb.svd(d), kb.svdvals(d), kb.cholesky(d),
            kb.trace(d), kb.diagonal(d), kb.norm(d), kb.norm(d, 2), kb.pinv(r), kb.lstsq(r, b[:12]),
            kb.matrix_power(d, 3), kb.matrix_power(d, -2), kb.factorize(d), kb.cho_factor(d),
            kb.diagonal(r), kb.trace(r), d @ d, d.T, d.H, d[1, 2], d[3, :], 2.0 * d,
            kb.solve(2.0 * d, b), kb.logdet(3.0 * d), kb.expm(-e), kb.funm(e, np.sqrt), -d,
        ]  # fmt: skip
    assert len(results) == 35
    for res in (kb.inv(d), d @ d, kb.cholesky(d), kb.eigh(d)[1], kb.expm(-e), kb.funm(e, np.sqrt)):
        assert isinstance(res, BlockDiagonal), type(res)
    np.testing.assert_allclose(results[0], np.linalg.solve(d.to_dense(), b))
    ref = e.to_dense()
    np.testing.assert_allclose(kb.funm(e, np.sqrt).to_dense(), sla.sqrtm(ref), rtol=1e-10)
    np.testing.assert_allclose(kb.expm(-e).to_dense(), sla.expm(-ref), rtol=1e-10, atol=1e-14)


# ---- errors --------------------------------------------------------------------------------
def test_singular_dense_block_is_named(xp: Any) -> None:
    rng = np.random.default_rng(11)
    good = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    bad = np.array([[1.0, 2.0], [2.0, 4.0]])
    d = block_diag(from_numpy(xp, good), from_numpy(xp, bad))
    calls = [
        (lambda: kb.solve(d, from_numpy(xp, np.ones(5))), "solve"),
        (lambda: kb.inv(d), "inv"),
        (lambda: kb.factorize(d), "factorize"),
    ]
    for call, where in calls:
        with pytest.raises(kb.LinAlgError, match=rf"{where}: block 1 \(shape \(2, 2\)\).*singular"):
            call()
    with pytest.raises(kb.LinAlgError, match="use lstsq"):
        kb.solve(d, from_numpy(xp, np.ones(5)))
    assert float(to_numpy(kb.slogdet(d)[0])) == 0.0


def test_singular_stacked_block_is_named(xp: Any) -> None:
    rng = np.random.default_rng(12)
    blocks = [rng.standard_normal((2, 2)) + 3 * np.eye(2) for _ in range(4)]
    blocks[2] = np.array([[1.0, 2.0], [2.0, 4.0]])
    d = block_diag(*[from_numpy(xp, a) for a in blocks])
    assert d.segments[0].stack is not None
    rhs = from_numpy(xp, np.ones(8))
    with pytest.raises(
        kb.LinAlgError, match=r"solve: block 2 \(shape \(2, 2\)\) .*singular.*lstsq"
    ):
        kb.solve(d, rhs)
    with pytest.raises(kb.LinAlgError, match=r"inv: block 2 .*singular.*pinv"):
        kb.inv(d)
    with pytest.raises(kb.LinAlgError, match=r"factorize: block 2 .*singular"):
        kb.factorize(d)
    with pytest.raises(kb.LinAlgError, match=r"cholesky: block 0 .*not positive definite"):
        kb.cholesky(block_diag(*[from_numpy(xp, -a - a.T) for a in blocks[:2]]))
    with pytest.raises(ValueError, match=r"eigh: block 0 .*not symmetric"):
        kb.eigh(d)


def test_not_positive_definite_block_is_named() -> None:
    s = np.array([[2.0, 1.0], [1.0, 2.0]])
    d = block_diag(s, kb.kron(s, -s))
    with pytest.raises(kb.LinAlgError, match=r"cholesky: block 1 \(shape \(4, 4\)\)"):
        kb.cholesky(d)
    with pytest.raises(kb.LinAlgError, match=r"block 1 .*not positive definite"):
        kb.cho_factor(d)


def test_construction_errors() -> None:
    with pytest.raises(ValueError, match=r"block_diag: needs at least one block.*\(1, 0\)"):
        block_diag()
    with pytest.raises(
        ValueError, match=r"block_diag: block 1 has shape \(2, 2, 2\); blocks must be 2-D"
    ):
        block_diag(np.eye(2), np.zeros((2, 2, 2)))
    with pytest.raises(TypeError, match="block_diag: block 0: expected an array"):
        block_diag(object())
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"block_diag: .*numpy and torch"):
        block_diag(np.eye(2), torch.eye(2, dtype=torch.float64))


def test_shape_errors() -> None:
    d = block_diag(np.eye(2), np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"shape mismatch: operator of shape \(3, 5\)"):
        d @ np.ones(3)
    with pytest.raises(ValueError, match=r"solve: needs a square operator, got shape \(3, 5\)"):
        kb.solve(d, np.ones(3))
    with pytest.raises(ValueError, match=r"matmul: shape mismatch: \(3, 5\) @ \(3, 3\)"):
        d @ block_diag(np.eye(3))


def test_torch_stacked_path_keeps_the_library_and_dtype() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    blocks = [torch.asarray(_spd(rng, 3), dtype=torch.float32) for _ in range(4)]
    d = block_diag(*blocks)
    x = kb.solve(d, torch.ones(12))
    assert isinstance(x, torch.Tensor) and x.dtype == torch.float32
    ref = np.linalg.solve(sla.block_diag(*[b.numpy() for b in blocks]), np.ones(12))
    np.testing.assert_allclose(x.numpy(), ref, rtol=1e-4)
    w = kb.eigvalsh(d)
    assert isinstance(w, torch.Tensor) and w.dtype == torch.float32
