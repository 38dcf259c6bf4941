"""``nearest_kronecker``: the Van Loan–Pitsianis approximation against a dense NumPy reference."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kronblock as kb
from conftest import from_numpy, to_numpy
from kronblock.approximation import KroneckerApproximation, nearest_kronecker

Shape = tuple[int, int]


def rearrange(m: np.ndarray, sa: Shape, sb: Shape) -> np.ndarray:
    """R[(i₁, j₁), (i₂, j₂)] = M[i₁·m₂ + i₂, j₁·n₂ + j₂], by NumPy alone."""
    (m1, n1), (m2, n2) = sa, sb
    return m.reshape(m1, m2, n1, n2).transpose(0, 2, 1, 3).reshape(m1 * n1, m2 * n2)


def tail(m: np.ndarray, sa: Shape, sb: Shape, rank: int) -> float:
    s = np.linalg.svd(rearrange(m, sa, sb), compute_uv=False)
    return float(np.sqrt(np.sum(s[rank:] ** 2)))


def reconstruct(approx: KroneckerApproximation) -> np.ndarray:
    return sum(np.kron(to_numpy(a), to_numpy(b)) for a, b in approx.factors)  # type: ignore[return-value]


shapes = st.tuples(st.integers(1, 4), st.integers(1, 4))


@given(sa=shapes, sb=shapes, seed=st.integers(0, 2**31 - 1), cplx=st.booleans())
def test_exact_recovery_of_a_kronecker_product(sa: Shape, sb: Shape, seed: int, cplx: bool) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    if cplx:
        a = a + 1j * rng.normal(size=sa)
    m = np.kron(a, b)
    for given_m, method in ((m, "svd"), (kb.kron(a, b), "factored")):
        approx = nearest_kronecker(given_m, sa, sb)
        assert approx.method == method and approx.rank == 1
        assert approx.relative_error < 1e-12
        a0, b0 = approx.factors[0]
        np.testing.assert_allclose(np.kron(a0, b0), m, atol=1e-12 * np.abs(m).max())
        # A reproduced up to a scalar: |⟨A₀, A⟩| = ‖A₀‖‖A‖
        cos = abs(np.vdot(a0, a)) / (np.linalg.norm(a0) * np.linalg.norm(a))
        assert cos == pytest.approx(1.0, abs=1e-12)
        # the scale is split evenly: ‖A₀‖_F = ‖B₀‖_F = √σ₀
        assert np.linalg.norm(a0) == pytest.approx(np.linalg.norm(b0), rel=1e-12)


@given(sa=shapes, sb=shapes, seed=st.integers(0, 2**31 - 1), data=st.data())
def test_optimal_against_the_dense_svd(sa: Shape, sb: Shape, seed: int, data: Any) -> None:
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(sa[0] * sb[0], sa[1] * sb[1]))
    most = min(sa[0] * sa[1], sb[0] * sb[1])
    rank = data.draw(st.integers(1, most), label="rank")
    approx = nearest_kronecker(m, sa, sb, rank=rank)
    ref = tail(m, sa, sb, rank)
    resid = np.linalg.norm(m - reconstruct(approx))
    assert approx.error == pytest.approx(ref, abs=1e-10)
    assert approx.error == pytest.approx(resid, abs=1e-10)
    assert approx.norm == pytest.approx(np.linalg.norm(m), rel=1e-12)
    assert approx.relative_error == pytest.approx(resid / np.linalg.norm(m), abs=1e-10)
    s = np.linalg.svd(rearrange(m, sa, sb), compute_uv=False)
    np.testing.assert_allclose(approx.singular_values, s[:rank], atol=1e-10)
    if rank < most:  # ARPACK: the same leading values and error
        lz = nearest_kronecker(m, sa, sb, rank=rank, method="svds")
        assert lz.method == "svds"
        np.testing.assert_allclose(lz.singular_values, s[:rank], rtol=1e-8, atol=1e-10)
        assert lz.error == pytest.approx(ref, abs=1e-6 * np.linalg.norm(m))
        np.testing.assert_allclose(reconstruct(lz), reconstruct(approx), atol=1e-6)


@st.composite
def structured(draw: st.DrawFn) -> tuple[kb.AbstractLinearOperator, Shape, Shape]:
    """Kronecker sums, sums of scaled Kronecker products, identities and diagonals."""
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1), label="seed"))
    kind = draw(st.sampled_from(["kronsum", "kronsum3", "sum", "identity", "diagonal", "mixed"]))
    n1, n2 = draw(st.integers(1, 4), label="n1"), draw(st.integers(1, 4), label="n2")
    sq = ((n1, n1), (n2, n2))
    if kind == "kronsum":
        return kb.kronsum(rng.normal(size=(n1, n1)), rng.normal(size=(n2, n2))), *sq
    if kind == "kronsum3":  # A ⊕ B ⊕ C split as (A ⊕ B) ⊗ … : three terms
        c = draw(st.integers(1, 3), label="n3")
        op = kb.kronsum(*(rng.normal(size=(k, k)) for k in (n1, n2, c)))
        return op, (n1 * n2, n1 * n2), (c, c)
    if kind == "identity":
        return kb.identity(n1 * n2, np.float64), *sq
    if kind == "diagonal":
        return kb.diag(rng.normal(size=n1 * n2)), *sq
    sa = draw(shapes, label="shape_a")
    sb = draw(shapes, label="shape_b")
    nterms = draw(st.integers(1, 4), label="terms")
    terms = [
        float(rng.normal()) * kb.kron(rng.normal(size=sa), rng.normal(size=sb))
        for _ in range(nterms)
    ]
    if kind == "mixed" and sa[0] == sa[1] and sb[0] == sb[1]:
        terms.append(kb.kronsum(rng.normal(size=sa), rng.normal(size=sb)))
        terms.append(kb.identity(sa[0] * sb[0]))
    return kb.Sum(tuple(terms)), sa, sb


@given(case=structured(), data=st.data())
def test_structured_operators_equal_their_dense_versions(
    case: tuple[kb.AbstractLinearOperator, Shape, Shape], data: Any
) -> None:
    op, sa, sb = case
    dense = op.to_dense()
    most = min(sa[0] * sa[1], sb[0] * sb[1])
    rank = data.draw(st.integers(1, most), label="rank")
    fast = nearest_kronecker(op, sa, sb, rank=rank)  # no DensificationWarning (an error here)
    slow = nearest_kronecker(dense, sa, sb, rank=rank)
    assert fast.method == "factored" and slow.method == "svd"
    scale = max(np.linalg.norm(dense), 1.0)
    np.testing.assert_allclose(fast.singular_values, slow.singular_values, atol=1e-10 * scale)
    assert fast.error == pytest.approx(slow.error, abs=1e-9 * scale)
    assert fast.error == pytest.approx(tail(dense, sa, sb, rank), abs=1e-9 * scale)
    assert fast.norm == pytest.approx(np.linalg.norm(dense), rel=1e-10, abs=1e-12)
    assert fast.error == pytest.approx(np.linalg.norm(dense - reconstruct(fast)), abs=1e-9 * scale)
    np.testing.assert_allclose(fast.operator.to_dense(), reconstruct(fast), atol=1e-12 * scale)


def test_kronsum_has_kronecker_rank_two() -> None:
    rng = np.random.default_rng(5)
    s = kb.kronsum(rng.normal(size=(5, 5)), rng.normal(size=(6, 6)))
    approx = nearest_kronecker(s, (5, 5), (6, 6), rank=3)
    assert approx.error < 1e-12
    assert float(approx.singular_values[2]) == 0.0  # the third term is zero
    assert not np.any(approx.factors[2][0]) and not np.any(approx.factors[2][1])
    np.testing.assert_allclose(approx.operator.to_dense(), s.to_dense(), atol=1e-12)


def test_factored_path_never_forms_m() -> None:
    # 10⁶ × 10⁶ (8 TB dense): the factored path needs only the 1000 × 1000 factors
    rng = np.random.default_rng(6)
    a1, b1, a2, b2 = (rng.normal(size=(1000, 1000)) for _ in range(4))
    f = kb.kron(a1, b1) + 0.5 * kb.kron(a2, b2)
    approx = nearest_kronecker(f, (1000, 1000), (1000, 1000), rank=2)
    assert approx.relative_error < 1e-12


def test_kfac_preconditioner_example() -> None:
    rng = np.random.default_rng(7)

    def spd(n: int) -> np.ndarray:
        g = rng.normal(size=(n, n))
        return g @ g.T / n + np.eye(n)

    a1, b1, a2, b2 = spd(6), spd(5), spd(6), spd(5)
    f = kb.kron(a1, b1) + kb.kron(a2, b2)
    approx = nearest_kronecker(f, (6, 6), (5, 5))
    a, b = approx.factors[0]
    # the nearest Kronecker product of a sum of SPD products is itself SPD
    assert np.all(np.linalg.eigvalsh(a) > 0) and np.all(np.linalg.eigvalsh(b) > 0)
    dense = f.to_dense()
    assert approx.error == pytest.approx(np.linalg.norm(dense - np.kron(a, b)), rel=1e-10)


def test_dtype_and_backends(xp: Any) -> None:
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=(2, 4)).astype(np.float32)
    k = kb.kron(from_numpy(xp, a), from_numpy(xp, b))
    for given_m in (k, from_numpy(xp, np.kron(a, b))):
        approx = nearest_kronecker(given_m, (3, 2), (2, 4))
        a0, b0 = approx.factors[0]
        assert str(a0.dtype).endswith("float32") and str(b0.dtype).endswith("float32")
        assert approx.relative_error < 1e-5
        np.testing.assert_allclose(to_numpy(approx.operator.to_dense()), np.kron(a, b), atol=1e-5)
    ints = nearest_kronecker(
        np.kron(np.eye(2, dtype=int), np.ones((2, 2), dtype=int)), (2, 2), (2, 2)
    )
    assert ints.factors[0][0].dtype == np.float64 and ints.error < 1e-12


def test_fallback_warns_and_is_right() -> None:
    rng = np.random.default_rng(9)
    t = kb.toeplitz(rng.normal(size=6), rng.normal(size=6))
    dense = t.to_dense()
    with pytest.warns(kb.DensificationWarning, match="nearest_kronecker.*Toeplitz"):
        approx = nearest_kronecker(t, (2, 3), (3, 2), rank=2)
    assert approx.error == pytest.approx(tail(dense, (2, 3), (3, 2), 2), abs=1e-12)
    # a Kronecker product whose factors do not align with the split
    k = kb.kron(rng.normal(size=(2, 2)), rng.normal(size=(3, 3)))
    with pytest.warns(kb.DensificationWarning, match="split"):
        approx = nearest_kronecker(k, (3, 3), (2, 2))
    assert approx.error == pytest.approx(tail(k.to_dense(), (3, 3), (2, 2), 1), abs=1e-12)


def test_kronecker_of_many_factors_splits_at_a_prefix() -> None:
    rng = np.random.default_rng(10)
    fs = [rng.normal(size=(2, 3)), rng.normal(size=(3, 1)), rng.normal(size=(2, 2))]
    k = kb.kron(*fs)
    approx = nearest_kronecker(k, (6, 3), (2, 2))
    assert approx.method == "factored" and approx.error < 1e-12
    np.testing.assert_allclose(approx.operator.to_dense(), k.to_dense(), atol=1e-12)


def test_input_not_mutated() -> None:
    m = np.arange(16.0).reshape(4, 4)
    keep = m.copy()
    nearest_kronecker(m, (2, 2), (2, 2), rank=2)
    np.testing.assert_array_equal(m, keep)


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"shape_a": (2, 3), "shape_b": (3, 3)}, ValueError, r"shape \(6, 9\).*\(6, 6\)"),
        ({"shape_a": (2, 2), "shape_b": (3, 3), "rank": 5}, ValueError, "min.*= 4"),
        ({"shape_a": (2, 2), "shape_b": (3, 3), "rank": 0}, ValueError, "between 1"),
        ({"shape_a": (2, 2), "shape_b": (3, 3), "rank": 1.0}, TypeError, "rank must be an int"),
        ({"shape_a": (2, 2), "shape_b": (3, 3), "method": "qr"}, ValueError, "method must be"),
        (
            {"shape_a": (2, 2), "shape_b": (3, 3), "method": "factored"},
            ValueError,
            "use method='svd'",
        ),
        (
            {"shape_a": (2, 2), "shape_b": (3, 3), "rank": 4, "method": "svds"},
            ValueError,
            "rank < min",
        ),
        ({"shape_a": 4, "shape_b": (3, 3)}, TypeError, "pair of ints"),
        ({"shape_a": (0, 2), "shape_b": (3, 3)}, ValueError, "positive"),
    ],
)
def test_errors(kwargs: dict[str, Any], err: type[Exception], match: str) -> None:
    m = np.ones((6, 6))
    with pytest.raises(err, match=match):
        nearest_kronecker(m, **kwargs)


@given(grid=shapes, sb=shapes, seed=st.integers(0, 2**31 - 1), zero=st.booleans(), data=st.data())
def test_block_operators_are_read_block_by_block(
    grid: Shape, sb: Shape, seed: int, zero: bool, data: Any
) -> None:
    """A grid of m₁ × n₁ dense m₂ × n₂ blocks: R's rows are the blocks (no densification)."""
    rng = np.random.default_rng(seed)
    (m1, n1), (m2, n2) = grid, sb
    rows = [[rng.normal(size=(m2, n2)) for _ in range(n1)] for _ in range(m1)]
    entries: list[list[Any]] = [list(r) for r in rows]
    if zero and m1 * n1 > 1:
        entries[0][0] = None  # a zero block
        rows[0][0] = np.zeros((m2, n2))
    op = kb.block(entries, row_sizes=[m2] * m1, col_sizes=[n2] * n1)
    dense = np.block(rows)
    rank = data.draw(st.integers(1, min(m1 * n1, m2 * n2)), label="rank")
    fast = nearest_kronecker(op, grid, sb, rank=rank)  # no DensificationWarning (an error here)
    assert fast.error == pytest.approx(tail(dense, grid, sb, rank), abs=1e-9)
    assert fast.error == pytest.approx(np.linalg.norm(dense - reconstruct(fast)), abs=1e-9)
    diag = [rng.normal(size=(m2, n2)) for _ in range(m1)]
    bd = kb.block_diag(*diag)
    approx = nearest_kronecker(bd, (m1, m1), sb, rank=min(rank, m1))
    assert approx.method == "factored"
    reference = np.asarray(bd.to_dense())
    assert approx.error == pytest.approx(tail(reference, (m1, m1), sb, approx.rank), abs=1e-9)
    np.testing.assert_allclose(reconstruct(approx), approx.operator.to_dense(), atol=1e-12)


def test_misaligned_blocks_fall_back_with_a_warning() -> None:
    op = kb.block([[np.eye(2), np.ones((2, 3))], [np.ones((1, 2)), np.eye(1, 3)]])  # 3 × 5
    with pytest.warns(kb.DensificationWarning, match=r"no factored rearrangement for Block"):
        approx = nearest_kronecker(op, (3, 5), (1, 1))
    assert approx.error == pytest.approx(0.0, abs=1e-12)
