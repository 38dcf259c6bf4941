"""The conformance suite: every structure in the factory registry, every operation, against dense.

Each test draws a case (structure, kind, shapes, dtype, seed) with hypothesis,
builds the operator in every backend of the ``xp`` fixture, and compares with
the independent NumPy reference.  Warnings from kronblock are errors here, so a
structured operation that reaches the dense fallback fails.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kronblock as kb
from _factories import FACTORIES, GENERAL, HERMITIAN, KINDS, RECT, SPD, Case
from conftest import from_numpy, library, to_numpy

STRUCTURES = sorted(FACTORIES)


def draw_case(data: st.DataObject, structure: str, kinds: tuple[str, ...]) -> Case:
    kind = data.draw(st.sampled_from(kinds), label="kind")
    return data.draw(FACTORIES[structure](kind), label="case")


def np_dtype(case: Case) -> Any:
    return {"float32": np.float32, "float64": np.float64, "complex128": np.complex128}[case.dtype]


def rand(case: Case, shape: tuple[int, ...], seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if case.dtype == "complex128":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(np_dtype(case))


def assert_close(
    actual: Any, expected: np.ndarray, case: Case, extra: float = 1.0, what: str = ""
) -> None:
    """Norm-wise comparison: ``max|a − e| ≤ rtol · max(max|e|, 1)`` with ``rtol`` from ``cond``."""
    a = to_numpy(actual).astype(np.complex128)
    e = np.asarray(expected).astype(np.complex128)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape} for {case}"
    if a.size == 0:
        return
    scale = max(float(np.max(np.abs(e))), 1.0)
    err = float(np.max(np.abs(a - e)))
    assert err <= case.rtol(extra) * scale, (
        f"{what}: error {err:.3g} > {case.rtol(extra) * scale:.3g} for {case}"
    )


def check_dtype(result: Any, case: Case, xp: Any, real: bool = False) -> None:
    """float32 stays float32, complex stays complex; the library is the input's."""
    expected = {"float32": "float32", "float64": "float64", "complex128": "complex128"}[case.dtype]
    if real:
        expected = {"complex128": "float64"}.get(expected, expected)
    assert str(result.dtype).split(".")[-1] == expected, f"dtype {result.dtype} for {case}"
    assert library(result) == xp.__name__.replace("array_api_compat.", ""), (
        f"library of {type(result)}"
    )


# ---- products ------------------------------------------------------------------------
@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_apply(xp: Any, structure: str, data: st.DataObject) -> None:
    case = draw_case(data, structure, KINDS)
    op = case.build(xp)
    m, n = case.shape
    assert op.shape == (m, n)
    for shape in [(n,), (n, 3), (2, n, 3)]:
        x = rand(case, shape)
        y = op @ from_numpy(xp, x)
        ref = np.einsum(
            "ij,...jk->...ik", case.dense, x.reshape((-1, n, 3) if len(shape) == 3 else (n, -1))
        )
        assert_close(y, ref.reshape(y.shape), case, what=f"matmul {shape}")
        check_dtype(y, case, xp)
    for shape in [(m,), (4, m)]:
        x = rand(case, shape, seed=3)
        y = op.rmatmul(from_numpy(xp, x))
        assert_close(y, x @ case.dense, case, what="rmatmul")


@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_adjoint_dot_test(xp: Any, structure: str, data: st.DataObject) -> None:
    # <A x, y> = <x, Aᴴ y>
    case = draw_case(data, structure, KINDS)
    op = case.build(xp)
    m, n = case.shape
    x, y = rand(case, (n,), 1), rand(case, (m,), 2)
    ax = to_numpy(op @ from_numpy(xp, x))
    ahy = to_numpy(op.H @ from_numpy(xp, y))
    lhs, rhs = np.vdot(y, ax), np.vdot(ahy, x)
    assert abs(lhs - rhs) <= case.rtol() * max(
        1.0, np.linalg.norm(x) * np.linalg.norm(y) * np.abs(case.dense).max()
    )


@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_dense_transpose_entries(xp: Any, structure: str, data: st.DataObject) -> None:
    case = draw_case(data, structure, KINDS)
    op = case.build(xp)
    assert_close(op.to_dense(), case.dense, case, what="to_dense")
    assert_close(op.T.to_dense(), case.dense.T, case, what="T")
    assert_close(op.H.to_dense(), case.dense.conj().T, case, what="H")
    m, n = case.shape
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, m, 7), rng.integers(0, n, 7)
    assert_close(op[rows, cols], case.dense[rows, cols], case, what="entries")
    assert_close(op[int(rows[0]), :], case.dense[rows[0], :], case, what="row")
    assert_close(op[:, int(cols[0])], case.dense[:, cols[0]], case, what="column")
    assert_close(op[int(rows[1]), int(cols[1])], case.dense[rows[1], cols[1]], case, what="entry")


# ---- solves and determinants -------------------------------------------------------------------
@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_solve_inv_det(xp: Any, structure: str, data: st.DataObject) -> None:
    case = draw_case(data, structure, (GENERAL, HERMITIAN, SPD))
    op = case.build(xp)
    n = case.shape[0]
    b = rand(case, (n, 2))
    x = kb.solve(op, from_numpy(xp, b))
    check_dtype(x, case, xp)
    assert_close(x, np.linalg.solve(case.dense, b), case, what="solve")
    x1 = kb.solve(op, from_numpy(xp, b[:, 0]))
    assert_close(x1, np.linalg.solve(case.dense, b[:, 0]), case, what="solve (N,)")
    assert_close(kb.inv(op).to_dense(), np.linalg.inv(case.dense), case, what="inv")

    f = kb.factorize(op)
    assert_close(f.solve(from_numpy(xp, b)), np.linalg.solve(case.dense, b), case, what="factorize")
    assert_close(
        f.solve(from_numpy(xp, b), adjoint=True),
        np.linalg.solve(case.dense.conj().T, b),
        case,
        what="adjoint",
    )

    sign, logabs = kb.slogdet(op)
    ref_sign, ref_logabs = np.linalg.slogdet(case.dense)
    assert abs(complex(to_numpy(sign)) - ref_sign) <= 1e-3, f"sign {sign} vs {ref_sign} for {case}"
    assert abs(float(to_numpy(logabs)) - ref_logabs) <= case.rtol() * max(1.0, abs(ref_logabs)) * n
    fs, fl = f.slogdet()
    assert abs(complex(to_numpy(fs)) - ref_sign) <= 1e-3
    assert abs(float(to_numpy(fl)) - ref_logabs) <= case.rtol() * max(1.0, abs(ref_logabs)) * n
    ref_det = np.linalg.det(case.dense)
    if abs(ref_det) < np.finfo(np_dtype(case)).max / 10:  # else float32 overflows, as NumPy's does
        det = complex(to_numpy(kb.det(op)))
        assert abs(det - ref_det) <= case.rtol() * n * max(abs(ref_det), 1e-300)
    if case.dtype != "complex128" and ref_sign < 0:
        with pytest.raises(kb.LinAlgError, match="slogdet"):
            kb.logdet(op)
    else:
        ld = complex(to_numpy(kb.logdet(op)))
        ref_ld = np.log(complex(ref_sign)) + ref_logabs
        assert abs(np.exp(1j * ld.imag) - np.exp(1j * ref_ld.imag)) <= 1e-3
        assert abs(ld.real - ref_ld.real) <= case.rtol() * max(1.0, abs(ref_ld.real)) * n

    assert_close(
        kb.matrix_power(op, 2).to_dense(), np.linalg.matrix_power(case.dense, 2), case, 4, "power 2"
    )
    assert_close(
        kb.matrix_power(op, -1).to_dense(), np.linalg.inv(case.dense), case, what="power -1"
    )


@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_cholesky_and_pd_factorization(xp: Any, structure: str, data: st.DataObject) -> None:
    case = draw_case(data, structure, (SPD,))
    op = case.build(xp)
    low = kb.cholesky(op)
    ld = to_numpy(low.to_dense())
    assert np.allclose(np.triu(ld, 1), 0), "cholesky factor is not lower triangular"
    assert_close(ld, np.linalg.cholesky(case.dense), case, what="cholesky")
    assert_close(
        kb.cholesky(op, upper=True).to_dense(),
        np.linalg.cholesky(case.dense).conj().T,
        case,
        what="upper",
    )
    f = kb.cho_factor(op)
    b = rand(case, (case.shape[0],))
    assert_close(
        f.solve(from_numpy(xp, b)), np.linalg.solve(case.dense, b), case, what="cho_factor"
    )
    assert (
        abs(float(to_numpy(f.logdet()).real) - np.linalg.slogdet(case.dense)[1])
        <= case.rtol() * case.shape[0]
    )


# ---- spectra -------------------------------------------------------------------------------------
@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_eigh(xp: Any, structure: str, data: st.DataObject) -> None:
    case = draw_case(data, structure, (HERMITIAN, SPD))
    op = case.build(xp)
    w, v = kb.eigh(op)
    check_dtype(w, case, xp, real=True)
    vd = to_numpy(v.to_dense())
    wn = to_numpy(w)
    # eigenvectors through reconstruction, eigenvalues after sorting
    assert_close((vd * wn) @ vd.conj().T, case.dense, case, what="V diag(w) Vᴴ")
    assert_close(vd.conj().T @ vd, np.eye(case.shape[0]), case, what="VᴴV")
    ref = np.linalg.eigvalsh(case.dense)
    assert_close(np.sort(wn), ref, case, what="eigh values")
    wh = kb.eigvalsh(op)
    assert_close(wh, ref, case, what="eigvalsh (ascending)")
    assert np.all(np.diff(to_numpy(wh)) >= 0)


@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_eig(xp: Any, structure: str, data: st.DataObject) -> None:
    # GENERAL cases have real, separated eigenvalues: compare sorted.
    case = draw_case(data, structure, (GENERAL,))
    op = case.build(xp)
    ref = np.sort(np.linalg.eigvals(case.dense).real)
    w = to_numpy(kb.eigvals(op))
    assert np.iscomplexobj(w)
    assert_close(np.sort(w.real), ref, case, 4, "eigvals")
    w2, v = kb.eig(op)
    vd, w2n = to_numpy(v.to_dense()), to_numpy(w2)
    assert_close(case.dense @ vd, vd * w2n, case, 4, "A V = V diag(w)")


@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_svd_pinv_lstsq(xp: Any, structure: str, data: st.DataObject) -> None:
    case = draw_case(data, structure, (RECT, GENERAL))
    op = case.build(xp)
    u, s, vh = kb.svd(op)
    check_dtype(s, case, xp, real=True)
    ud, sn, vhd = to_numpy(u.to_dense()), to_numpy(s), to_numpy(vh.to_dense())
    assert_close((ud * sn) @ vhd, case.dense, case, what="U diag(s) Vh")
    assert_close(ud.conj().T @ ud, np.eye(ud.shape[1]), case, what="UᴴU")
    ref_s = np.linalg.svd(case.dense, compute_uv=False)
    assert_close(kb.svdvals(op), ref_s, case, what="svdvals")
    assert_close(kb.pinv(op).to_dense(), np.linalg.pinv(case.dense, rtol=None), case, 4, "pinv")
    b = rand(case, (case.shape[0], 2))
    x, res, rank, sv = kb.lstsq(op, from_numpy(xp, b))
    rx, rres, rrank, rs = np.linalg.lstsq(case.dense, b)
    assert rank == rrank
    assert_close(x, rx, case, 4, "lstsq x")
    assert_close(sv, rs, case, what="lstsq s")
    assert to_numpy(res).shape == rres.shape
    if rres.size:
        assert_close(res, rres, case, 4 * case.shape[0], "lstsq residuals")


@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_rank_deficient_lstsq(xp: Any, structure: str, data: st.DataObject) -> None:
    # Rectangular factors make square products rank deficient: NumPy's minimum-norm answer.
    case = draw_case(data, structure, (RECT,))
    op = case.build(xp)
    b = rand(case, (case.shape[0],))
    x, _, rank, _ = kb.lstsq(op, from_numpy(xp, b))
    rx, _, rrank, _ = np.linalg.lstsq(case.dense, b)
    assert rank == rrank == np.linalg.matrix_rank(case.dense)
    assert_close(x, rx, case, 4, "minimum-norm lstsq")


# ---- reductions ------------------------------------------------------------------
@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_trace_diagonal_norm(xp: Any, structure: str, data: st.DataObject) -> None:
    case = draw_case(data, structure, KINDS)
    op = case.build(xp)
    assert_close(kb.diagonal(op), np.diagonal(case.dense), case, what="diagonal")
    assert_close(kb.trace(op), np.asarray(np.trace(case.dense)), case, what="trace")
    for ord in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        val = float(to_numpy(kb.norm(op, ord)))
        ref = float(np.linalg.norm(case.dense, ord))
        assert abs(val - ref) <= case.rtol() * max(ref, 1.0), (
            f"norm {ord}: {val} vs {ref} for {case}"
        )


# ---- fast path equals fallback ---------------------------------------------------------------
FALLBACK_OPS = {
    "slogdet": lambda f, op: f(op),
    "eig": lambda f, op: f(op)[0],
    "svd": lambda f, op: f(op)[1],
    "diagonal": lambda f, op: f(op),
    "norm": lambda f, op: f(op, "fro"),
    "factorize": lambda f, op: f(op, "general").slogdet()[1],
}


@pytest.mark.parametrize("name", sorted(FALLBACK_OPS))
@given(data=st.data())
def test_fast_path_equals_fallback(name: str, data: st.DataObject) -> None:
    import array_api_compat.numpy as xnp

    case = draw_case(data, "kronecker", (GENERAL,))
    op = case.build(xnp)
    fn = getattr(kb.linalg, name)
    fast = fn.dispatch(type(op))
    generic = fn.dispatch(kb.AbstractLinearOperator)
    assert fast is not generic, f"{name} has no structured rule for Kronecker"
    call = FALLBACK_OPS[name]
    with pytest.warns(kb.DensificationWarning):
        slow = call(generic, op)
    quick = call(fast, op)
    if name in ("eig", "svd"):  # values in different orders: compare sorted
        quick, slow = np.sort(to_numpy(quick).real), np.sort(to_numpy(slow).real)
    if isinstance(quick, tuple):
        for q, s in zip(quick, slow):
            assert_close(q, to_numpy(s), case, 4, name)
    else:
        assert_close(quick, to_numpy(slow), case, 4, name)


def test_no_public_operation_on_kronecker_densifies() -> None:
    import warnings

    rng = np.random.default_rng(0)
    s = [rng.standard_normal((n, n)) for n in (3, 4, 5)]
    spd = [a @ a.T + np.eye(len(a)) for a in s]
    k = kb.kron(*spd)
    r = kb.kron(rng.standard_normal((2, 3)), rng.standard_normal((4, 3)))
    b = rng.standard_normal(k.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", kb.DensificationWarning)
        results = [
            kb.solve(k, b),
            kb.inv(k),
            kb.det(k),
            kb.slogdet(k),
            kb.logdet(k),
            kb.eigh(k),
            kb.eigvalsh(k),
            kb.eigvals(k),
            kb.eig(k),
            kb.svd(k),
            kb.svdvals(k),
            kb.cholesky(k),
            kb.trace(k),
            kb.diagonal(k),
            kb.norm(k),
            kb.norm(k, 2),
            kb.pinv(r),
            kb.lstsq(r, b[:8]),
            kb.matrix_power(k, 3),
            kb.factorize(k),
            kb.cho_factor(k),
            kb.diagonal(r),
            kb.trace(r),
            k @ k,
            k.T,
            k.H,
            k[1, 2],
            k[3, :],
        ]
    assert len(results) == 28
    assert isinstance(kb.inv(k), kb.Kronecker) and isinstance(k @ k, kb.Kronecker)
    assert isinstance(kb.cholesky(k), kb.Kronecker) and isinstance(kb.eigh(k)[1], kb.Kronecker)
