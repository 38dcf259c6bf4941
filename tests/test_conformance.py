"""The conformance suite: every structure in the factory registry, every operation, against dense.

Each test draws a case (structure, kind, shapes, dtype, seed) with hypothesis,
builds the operator in every backend of the ``xp`` fixture, and runs the
public checks of :mod:`kronblock.testing` against the independent NumPy
reference, with a tolerance from the case's condition number.  Warnings from
kronblock are errors here, so a structured operation that reaches the dense
fallback fails.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kronblock as kb
from _factories import FACTORIES as CORE_FACTORIES
from _factories import GENERAL, HERMITIAN, KINDS, RECT, SPD, Case
from _factories import STRUCTURED as CORE_STRUCTURED
from _factories_block_diagonal import block_diagonal_cases
from _factories_toeplitz import circulant_cases, toeplitz_cases
from conftest import from_numpy, library, to_numpy
from kronblock import testing as kbt

#: Every structure's factory: the core registry plus those kept in their own modules
#: (which import ``_factories``, so they are joined here, not there).
FACTORIES = {
    **CORE_FACTORIES,
    "block_diagonal": block_diagonal_cases,
    "toeplitz": toeplitz_cases,
    "circulant": circulant_cases,
}
STRUCTURED = (*CORE_STRUCTURED, "block_diagonal", "toeplitz", "circulant")
STRUCTURES = sorted(FACTORIES)


def draw_case(data: st.DataObject, structure: str, kinds: tuple[str, ...]) -> Case:
    kind = data.draw(st.sampled_from(kinds), label="kind")
    return data.draw(FACTORIES[structure](kind), label="case")


@contextmanager
def densifying(case: Case, name: str) -> Iterator[None]:
    """Allow the dense fallback for an operation the structure has no identity for.

    A factory lists those in ``info["densifies"]`` (a Kronecker sum has no
    structured Cholesky factor); everything else must stay structured.
    """
    if name in case.info.get("densifies", ()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", kb.DensificationWarning)
            yield
    else:
        yield


def check_dtype(result: Any, case: Case, xp: Any, real: bool = False) -> None:
    """float32 stays float32, complex stays complex; the library is the input's."""
    real_of = {"complex128": "float64", "complex64": "float32"}
    expected = case.dtype if not real else real_of.get(case.dtype, case.dtype)
    assert str(result.dtype).split(".")[-1] == expected, f"dtype {result.dtype} for {case}"
    assert library(result) == xp.__name__.replace("array_api_compat.", "")


@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_matmul_and_adjoint(xp: Any, structure: str, data: st.DataObject) -> None:
    case = draw_case(data, structure, KINDS)
    op = case.build(xp)
    kbt.check_matmul(op, case.dense, case.rtol())
    y = op @ from_numpy(xp, np.ones(case.shape[1], dtype=case.dtype))
    check_dtype(y, case, xp)


@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_dense_transpose_entries(xp: Any, structure: str, data: st.DataObject) -> None:
    case = draw_case(data, structure, KINDS)
    kbt.check_dense(case.build(xp), case.dense, case.rtol())


@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_solve_inv_power(xp: Any, structure: str, data: st.DataObject) -> None:
    case = draw_case(data, structure, (GENERAL, HERMITIAN, SPD))
    op = case.build(xp)
    kbt.check_solve(op, case.dense, case.rtol())
    check_dtype(kb.solve(op, from_numpy(xp, np.ones(case.shape[0], dtype=case.dtype))), case, xp)


@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_determinants(xp: Any, structure: str, data: st.DataObject) -> None:
    case = draw_case(data, structure, (GENERAL, HERMITIAN, SPD))
    with densifying(case, "slogdet"):
        kbt.check_determinant(case.build(xp), case.dense, case.rtol())


@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_cholesky(xp: Any, structure: str, data: st.DataObject) -> None:
    case = draw_case(data, structure, (SPD,))
    with densifying(case, "cholesky"):
        kbt.check_cholesky(case.build(xp), case.dense, case.rtol())


@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_eigh(xp: Any, structure: str, data: st.DataObject) -> None:
    case = draw_case(data, structure, (HERMITIAN, SPD))
    op = case.build(xp)
    with densifying(case, "eigh"):
        kbt.check_eigh(op, case.dense, case.rtol())
        check_dtype(kb.eigvalsh(op), case, xp, real=True)


@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_eig(xp: Any, structure: str, data: st.DataObject) -> None:
    # GENERAL cases have real, separated eigenvalues; HERMITIAN ones too.
    case = draw_case(data, structure, (GENERAL, HERMITIAN))
    with densifying(case, "eig"):
        kbt.check_eig(case.build(xp), case.dense, 4 * case.rtol())


@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_svd_pinv_lstsq(xp: Any, structure: str, data: st.DataObject) -> None:
    # RECT Kronecker products of non-square factors are rank deficient when square:
    # lstsq must still give NumPy's minimum-norm answer and rank.
    case = draw_case(data, structure, (RECT, GENERAL))
    op = case.build(xp)
    with densifying(case, "svd"):
        kbt.check_svd(op, case.dense, case.rtol())
        check_dtype(kb.svd(op)[1], case, xp, real=True)


@pytest.mark.parametrize("structure", STRUCTURES)
@given(data=st.data())
def test_trace_diagonal_norm(xp: Any, structure: str, data: st.DataObject) -> None:
    case = draw_case(data, structure, KINDS)
    with densifying(case, "norm"):
        kbt.check_reductions(case.build(xp), case.dense, case.rtol())


@pytest.mark.parametrize("structure", STRUCTURED)
@given(data=st.data())
def test_fast_path_equals_fallback(structure: str, data: st.DataObject) -> None:
    import array_api_compat.numpy as xnp

    case = draw_case(data, structure, (GENERAL, RECT))
    op = case.build(xnp)
    done = kbt.check_fast_path_equals_fallback(op, 4 * case.rtol())
    square = case.shape[0] == case.shape[1]
    every = {"slogdet", "eig", "svd", "diagonal", "norm", "factorize"}
    if structure in ("kronecker", "scaled_kronecker"):
        assert not square or set(done) == every, done
        assert {"svd", "diagonal", "norm"} <= set(done)
    elif structure in ("block_diagonal", "circulant"):
        assert set(done) == (every if square else {"svd", "diagonal", "norm"}), done
    elif structure == "toeplitz":  # no fast exact eigen- or singular values
        assert set(done) == ({"slogdet", "factorize"} if square else set()) | {"diagonal", "norm"}


def test_check_operator_on_a_user_operator() -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 4))
    spd = a @ a.T + 4 * np.eye(4)
    ran = kbt.check_operator(kb.kron(spd, np.diag([1.0, 2.0])), np.kron(spd, np.diag([1.0, 2.0])))
    assert ran[-1] == "cholesky"
    with pytest.raises(AssertionError, match="matmul"):
        kbt.check_operator(kb.kron(spd, spd), np.kron(spd, spd) + 1e-3)


def test_check_eig_allows_what_an_eigenvalue_condition_allows_and_no_more() -> None:
    import scipy.linalg as sla

    # a nearly defective pair (condition ≈ 3e7): two correct eig routines differ by ~1e-8
    d, a = 4.55392475, 1 / 6
    t = sla.toeplitz([d, -a, -a, a], [d, -a, a, -a])
    kbt.check_eig(kb.aslinearoperator(t), t, 1e-13)
    with pytest.raises(AssertionError, match=r"condition 1\.18"):  # the well-conditioned pair
        kbt.check_eig(kb.aslinearoperator(t + 1e-6 * np.eye(4)), t, 1e-13)
    # a normal matrix: condition 1, the plain relative tolerance
    sym = t + t.T
    kbt.check_eig(kb.aslinearoperator(sym), sym, 1e-13)
    with pytest.raises(AssertionError, match=r"eigvals \(matched\)"):
        kbt.check_eig(kb.aslinearoperator(sym + 1e-9 * np.eye(4)), sym, 1e-13)


def test_no_public_operation_on_kronecker_densifies() -> None:
    rng = np.random.default_rng(0)
    s = [rng.standard_normal((n, n)) for n in (3, 4, 5)]
    spd = [a @ a.T + np.eye(len(a)) for a in s]
    k = kb.kron(*spd)
    r = kb.kron(rng.standard_normal((2, 3)), rng.standard_normal((4, 3)))
    b = rng.standard_normal(k.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", kb.DensificationWarning)
        results = [
            kb.solve(k, b), kb.inv(k), kb.det(k), kb.slogdet(k), kb.logdet(k), kb.eigh(k),
            kb.eigvalsh(k), kb.eigvals(k), kb.eig(k), kb.svd(k), kb.svdvals(k), kb.cholesky(k),
            kb.trace(k), kb.diagonal(k), kb.norm(k), kb.norm(k, 2), kb.pinv(r), kb.lstsq(r, b[:8]),
            kb.matrix_power(k, 3), kb.factorize(k), kb.cho_factor(k), kb.diagonal(r), kb.trace(r),
            k @ k, k.T, k.H, k[1, 2], k[3, :], 2.0 * k, kb.solve(2.0 * k, b), kb.logdet(3.0 * k),
        ]  # fmt: skip
    assert len(results) == 31
    assert isinstance(kb.inv(k), kb.Kronecker) and isinstance(k @ k, kb.Kronecker)
    assert isinstance(kb.cholesky(k), kb.Kronecker) and isinstance(kb.eigh(k)[1], kb.Kronecker)
    np.testing.assert_allclose(to_numpy(results[0]), np.linalg.solve(k.to_dense(), b))
