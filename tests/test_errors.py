"""Every user-facing error, by type and by message.

Each ``pytest.raises`` pins the exception class *and* the words a user needs:
the shapes involved, the factor at fault, the way out.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

import kronblock as kb

RNG = np.random.default_rng(2024)
A = RNG.standard_normal((2, 2)) + 3 * np.eye(2)
B = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
R23 = RNG.standard_normal((2, 3))
R32 = RNG.standard_normal((3, 2))
SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])  # exactly singular (a zero pivot in LU)


def _spd(n: int, seed: int) -> np.ndarray:
    g = np.random.default_rng(seed).standard_normal((n, n))
    return g @ g.T + n * np.eye(n)


def _k() -> kb.Kronecker:
    return kb.kron(A, B)


def esc(s: str) -> str:
    return re.escape(s)


# ---- bare scalars and arrays in + and - ---------------------------------------------
@pytest.mark.parametrize(
    ("expr", "fix"),
    [
        (lambda k: k + 1, "A + s * kb.identity(6)"),
        (lambda k: 1 + k, "s * kb.identity(6) + A"),
        (lambda k: k + 2.5, "A + s * kb.identity(6)"),
        (lambda k: k + np.float64(2.0), "A + s * kb.identity(6)"),
        (lambda k: k - 1.5, "A - s * kb.identity(6)"),
        (lambda k: 2 - k, "s * kb.identity(6) - A"),
        (lambda k: k + 1j, "A + s * kb.identity(6)"),
    ],
)
def test_adding_a_bare_scalar_is_a_type_error(expr: Any, fix: str) -> None:
    # the message names the operator's class and shows the way out, in the user's order
    with pytest.raises(TypeError, match=esc("to a Kronecker")):
        expr(_k())
    with pytest.raises(TypeError, match=esc(fix)):
        expr(_k())


@pytest.mark.parametrize(
    "make",
    [
        lambda: kb.Dense(np.ones((4, 4))),
        lambda: kb.diag(np.ones(4)),
        lambda: kb.Dense(np.ones((4, 4))) + kb.diag(np.ones(4)),
        lambda: kb.identity(4),
    ],
)
def test_adding_a_bare_scalar_names_the_identity_of_the_right_size(make: Any) -> None:
    op = make()
    with pytest.raises(TypeError, match=r"ambiguous.*" + esc("s * kb.identity(4)")):
        op + 3.0
    with pytest.raises(TypeError, match=esc("s * kb.identity(4)")):
        3.0 + op


def test_adding_an_array_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=esc("kb.aslinearoperator(X)")):
        _k() + np.ones((6, 6))
    with pytest.raises(TypeError, match=esc("A - kb.aslinearoperator(X)")):
        _k() - np.ones((6, 6))


def test_operator_sum_shape_mismatch() -> None:
    with pytest.raises(ValueError, match=esc("shapes (6, 6) and (5, 5) differ")):
        _k() + kb.Dense(np.ones((5, 5)))
    with pytest.raises(ValueError, match=r"Sum: terms have different shapes"):
        kb.Sum((_k(), kb.Dense(np.ones((5, 5)))))


def test_scalar_matmul_and_operator_times_operator() -> None:
    with pytest.raises(TypeError, match=r"use \* to multiply an operator by a scalar, not @"):
        _k() @ 2.0
    with pytest.raises(TypeError, match=r"use \* to multiply an operator by a scalar, not @"):
        2.0 @ _k()
    with pytest.raises(TypeError, match=r"operator \* operator is not defined; use A @ B"):
        _k() * _k()
    with pytest.raises(TypeError, match=r"Scaled: expected a scalar, got ndarray"):
        kb.Scaled(np.ones(3), _k())


def test_no_implicit_conversion_and_no_iteration() -> None:
    with pytest.raises(TypeError, match=r"Kronecker is a lazy operator.*call \.to_dense\(\)"):
        np.asarray(_k())
    with pytest.raises(TypeError, match=r"Kronecker is not iterable; index rows with A\[i, :\]"):
        list(_k())


# ---- shapes of right-hand sides --------------------------------------------------------
def test_matvec_shape_mismatch_names_both_shapes() -> None:
    k = _k()
    with pytest.raises(
        ValueError, match=esc("operator of shape (6, 6) applied to an array of shape (5,)")
    ):
        k @ np.ones(5)
    with pytest.raises(
        ValueError, match=r"matvec: shape mismatch: operator of shape \(6, 6\).*\(5,\)"
    ):
        k.matvec(np.ones(5))
    with pytest.raises(
        ValueError, match=esc("of shape (6, 6) applied to an array of shape (5, 2)")
    ):
        k.matmat(np.ones((5, 2)))
    with pytest.raises(ValueError, match=esc("array of shape (3, 5, 2); expected (*batch, 6, K)")):
        k @ np.ones((3, 5, 2))
    with pytest.raises(ValueError, match=r"rmatmul: shape mismatch.*\(6, 6\).*\(5,\)"):
        np.ones(5) @ k
    with pytest.raises(TypeError, match=r"use \* to multiply an operator by a scalar"):
        k @ np.asarray(1.0)  # a 0-d array is a scalar
    with pytest.raises(
        ValueError, match=esc("right-hand side must be an array of shape (6,) or (6, K)")
    ):
        kb.solve(k, np.asarray(1.0))


def test_matvec_and_matmat_check_dimensionality() -> None:
    k = _k()
    with pytest.raises(
        ValueError, match=esc("matvec: expected a vector of shape (6,), got shape (6, 1)")
    ):
        k.matvec(np.ones((6, 1)))
    with pytest.raises(
        ValueError, match=esc("matmat: expected shape (6, K)") + r".*got shape \(6,\)"
    ):
        k.matmat(np.ones(6))


def test_solve_shape_mismatch_names_both_shapes() -> None:
    k = _k()
    with pytest.raises(
        ValueError, match=esc("operator of shape (6, 6) and right-hand side of shape (5,)")
    ):
        kb.solve(k, np.ones(5))
    with pytest.raises(ValueError, match=esc("solve: shape mismatch") + r".*\(6, 6\).*\(4, 3\)"):
        kb.solve(k, np.ones((4, 3)))
    with pytest.raises(
        ValueError, match=esc("expected a right-hand side with 6 rows, got shape (5,)")
    ):
        kb.factorize(k).solve(np.ones(5))
    with pytest.raises(ValueError, match=r"lstsq: shape mismatch.*\(6, 6\).*\(7,\)"):
        kb.lstsq(k, np.ones(7))


def test_compose_shape_mismatch() -> None:
    with pytest.raises(
        ValueError, match=esc("matmul: shape mismatch: (6, 6) @ (5, 5) (inner sizes 6 and 5")
    ):
        _k() @ kb.Dense(np.ones((5, 5)))
    with pytest.raises(ValueError, match=esc("(2, 3) @ (2, 3)")):
        kb.Product((kb.Dense(R23), kb.Dense(R23)))


# ---- non-square ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fn", "hint"),
    [
        (lambda a: kb.solve(a, np.ones(2)), "lstsq"),
        (lambda a: kb.factorize(a), "lstsq"),
        (lambda a: kb.cho_factor(a), "lstsq"),
        (lambda a: kb.inv(a), "pinv"),
        (lambda a: kb.det(a), ""),
        (lambda a: kb.slogdet(a), ""),
        (lambda a: kb.logdet(a), ""),
        (lambda a: kb.eigh(a), ""),
        (lambda a: kb.eigvalsh(a), ""),
        (lambda a: kb.eig(a), ""),
        (lambda a: kb.cholesky(a), ""),
        (lambda a: kb.matrix_power(a, 2), ""),
    ],
)
@pytest.mark.parametrize("make", [lambda: kb.Dense(R23), lambda: R23, lambda: kb.kron(R23, B)])
def test_square_only_functions_reject_non_square(fn: Any, hint: str, make: Any) -> None:
    a = make()
    shape = "(2, 3)" if getattr(a, "shape", (2, 3)) == (2, 3) else "(6, 9)"
    with pytest.raises(
        ValueError, match=r"needs a square operator, got shape " + esc(shape) + r".*" + hint
    ):
        fn(a)


# A square product of non-square factors: shape (2·2·3, 2·3·2) = (12, 12), factor 1 is (2, 3).
def _square_of_rectangles() -> kb.Kronecker:
    return kb.kron(A, R23, R32)


@pytest.mark.parametrize(
    ("fn", "where", "hint"),
    [
        (lambda k: kb.solve(k, np.ones(12)), "solve", "lstsq"),
        (lambda k: kb.factorize(k), "factorize", "lstsq"),
        (lambda k: kb.inv(k), "inv", "pinv"),
        (lambda k: kb.cholesky(k), "cholesky", "not positive definite"),
        (lambda k: kb.matrix_power(k, -1), "matrix_power", "inverse"),
    ],
)
def test_kronecker_with_a_non_square_factor_is_singular(fn: Any, where: str, hint: str) -> None:
    # rank Π min(mᵢ, nᵢ) = 8 < 12: singular, named, with the way out
    k = _square_of_rectangles()
    assert k.shape == (12, 12)
    pattern = rf"{where}: factor 1 of the Kronecker product has shape \(2, 3\).*singular.*{hint}"
    with pytest.raises(kb.LinAlgError, match=pattern):
        fn(k)


def test_spectra_of_a_square_product_of_non_square_factors_fall_back_with_a_warning() -> None:
    # No factor identity gives the eigenvalues here: the generic rule runs, and says so.
    k = _square_of_rectangles()
    dense = np.kron(np.kron(A, R23), R32)
    with pytest.warns(kb.DensificationWarning, match="eig"):
        w = kb.eigvals(k)
    np.testing.assert_allclose(
        np.sort_complex(w), np.sort_complex(np.linalg.eigvals(dense)), atol=1e-9
    )
    sym = kb.kron(R23, R32) + kb.kron(R23, R32).T  # a Sum: generic too
    with pytest.warns(kb.DensificationWarning):
        np.testing.assert_allclose(kb.eigvalsh(sym), np.linalg.eigvalsh(sym.to_dense()), atol=1e-9)
    p = kb.matrix_power(k, 2)  # lazy product, no densification
    np.testing.assert_allclose(p.to_dense(), dense @ dense, rtol=1e-12, atol=1e-12)


def test_det_of_a_square_product_of_non_square_factors_is_zero() -> None:
    # Not an error: the product is square and singular (rank 2·2·2 = 8 < 12).
    k = _square_of_rectangles()
    dense = np.kron(np.kron(A, R23), R32)
    assert np.linalg.matrix_rank(dense) == 8
    sign, logabs = kb.slogdet(k)
    assert float(sign) == 0.0
    assert float(logabs) == -np.inf
    assert float(kb.det(k)) == 0.0
    assert abs(np.linalg.det(dense)) < 1e-8


# ---- singular and indefinite --------------------------------------------------------------
def test_linalgerror_is_numpys() -> None:
    assert issubclass(kb.LinAlgError, np.linalg.LinAlgError)
    assert issubclass(kb.DenseBudgetError, ValueError)
    assert issubclass(kb.DensificationWarning, kb.KronblockWarning)
    assert issubclass(kb.KronblockWarning, UserWarning)


@pytest.mark.parametrize(
    ("fn", "hint"),
    [
        (lambda k: kb.solve(k, np.ones(k.shape[0])), "lstsq"),
        (lambda k: kb.factorize(k), "lstsq"),
        (lambda k: kb.inv(k), "pinv"),
    ],
)
@pytest.mark.parametrize("make", [lambda: kb.kron(A, SINGULAR), lambda: kb.kron(A, SINGULAR, B)])
def test_singular_factor_is_named(fn: Any, hint: str, make: Any) -> None:
    k = make()
    pattern = r"factor 1 \(shape \(2, 2\)\) of the Kronecker product: .*singular.*" + hint
    with pytest.raises(kb.LinAlgError, match=pattern) as info:
        fn(k)
    assert isinstance(info.value, np.linalg.LinAlgError)
    # and NumPy's own handler catches it
    with pytest.raises(np.linalg.LinAlgError):
        fn(k)


def test_singular_dense_and_diagonal() -> None:
    with pytest.raises(kb.LinAlgError, match=r"solve: the matrix is singular"):
        kb.solve(SINGULAR, np.ones(2))
    with pytest.raises(kb.LinAlgError, match=r"factorize: the matrix is singular"):
        kb.factorize(SINGULAR)
    with pytest.raises(kb.LinAlgError, match=r"inv: the diagonal matrix is singular"):
        kb.inv(kb.diag(np.array([1.0, 0.0])))
    with pytest.raises(kb.LinAlgError, match=r"scaled by 0, so it is singular"):
        kb.inv(0 * kb.Dense(A))


def test_singular_sparse_factor_is_named() -> None:
    s = sp.csr_matrix(SINGULAR)
    with pytest.raises(kb.LinAlgError, match=r"factor 1 \(shape \(2, 2\)\).*singular"):
        kb.solve(kb.kron(A, s), np.ones(4))


def test_logdet_of_a_negative_determinant_names_slogdet() -> None:
    swap = np.array([[0.0, 1.0], [1.0, 0.0]])  # det = -1
    k = kb.kron(swap, _spd(3, 1))  # det = (-1)^3 · det(S)^2 < 0
    dense = np.kron(swap, _spd(3, 1))
    ref_sign, ref_log = np.linalg.slogdet(dense)
    assert ref_sign == -1
    sign, logabs = kb.slogdet(k)
    assert float(sign) == -1.0
    np.testing.assert_allclose(float(logabs), ref_log, rtol=1e-12)
    with pytest.raises(
        kb.LinAlgError, match=r"logdet: the determinant is negative.*kronblock\.slogdet"
    ):
        kb.logdet(k)
    with pytest.raises(kb.LinAlgError, match=r"the determinant is negative.*slogdet"):
        kb.factorize(k).logdet()
    with pytest.raises(np.linalg.LinAlgError, match="slogdet"):
        kb.logdet(kb.Dense(swap))


@pytest.mark.parametrize("fn", [kb.eigh, kb.eigvalsh])
def test_eigh_of_a_non_symmetric_factor_names_it(fn: Any) -> None:
    name = fn.__name__
    k = kb.kron(_spd(2, 2), B)
    pattern = (
        rf"{name}: factor 1 \(shape \(3, 3\)\) of the Kronecker product: "
        r"the matrix is not symmetric"
    )
    with pytest.raises(ValueError, match=pattern):
        fn(k)
    with pytest.raises(ValueError, match=r"not Hermitian"):
        fn(kb.kron(_spd(2, 2), np.array([[1.0, 1j], [1j, 1.0]])))


def test_cholesky_of_a_non_positive_definite_kronecker() -> None:
    s, t = _spd(3, 3), _spd(2, 4)
    indefinite = np.diag([1.0, -1.0])
    for k in (kb.kron(s, -t), kb.kron(-s, t), kb.kron(s, indefinite), kb.kron(-s, -t, -s)):
        with pytest.raises(kb.LinAlgError, match=r"cholesky"):
            kb.cholesky(k)
        with pytest.raises(kb.LinAlgError):
            kb.cho_factor(k)
    with pytest.raises(kb.LinAlgError, match=r"factor 1 \(shape \(2, 2\)\).*not positive definite"):
        kb.cholesky(kb.kron(s, indefinite))
    with pytest.raises(kb.LinAlgError, match=r"cholesky: the matrix is not positive definite"):
        kb.cholesky(indefinite)


def test_cholesky_of_two_negative_definite_factors_succeeds() -> None:
    # kron(-S, -T) = kron(S, T) is positive definite.
    s, t = _spd(3, 5), _spd(2, 6)
    dense = np.kron(-s, -t)
    low = kb.cholesky(kb.kron(-s, -t))
    np.testing.assert_allclose(low.to_dense(), np.linalg.cholesky(dense), rtol=1e-10, atol=1e-12)
    f = kb.cho_factor(kb.kron(-s, -t))
    b = np.arange(6.0)
    np.testing.assert_allclose(f.solve(b), np.linalg.solve(dense, b), rtol=1e-10)
    np.testing.assert_allclose(float(f.logdet()), np.linalg.slogdet(dense)[1], rtol=1e-12)


def test_cholesky_of_two_negated_operator_factors_succeeds() -> None:
    s, t = _spd(3, 7), _spd(2, 8)
    low = kb.cholesky(kb.kron(-kb.Dense(s), -kb.Dense(t)))
    np.testing.assert_allclose(
        low.to_dense(), np.linalg.cholesky(np.kron(s, t)), rtol=1e-10, atol=1e-12
    )


# ---- libraries -------------------------------------------------------------------------------
def test_mixing_numpy_and_torch_names_both_libraries() -> None:
    torch = pytest.importorskip("torch")  # optional backend
    at, bt = torch.asarray(A), torch.asarray(B)
    with pytest.raises(TypeError, match=r"kron: .*different libraries: numpy and torch"):
        kb.kron(A, bt)
    with pytest.raises(TypeError, match=r"kron: .*different libraries: torch and numpy"):
        kb.kron(at, B)
    k = kb.kron(A, B)
    x = torch.ones(6, dtype=torch.float64)
    both = r"holds numpy arrays but the argument is a torch array"
    with pytest.raises(TypeError, match=r"matmul: .*" + both):
        k @ x
    with pytest.raises(TypeError, match=r"rmatmul: .*" + both):
        x @ k
    with pytest.raises(TypeError, match=r"solve: .*" + both):
        kb.solve(k, x)
    kt = kb.kron(at, bt)
    with pytest.raises(TypeError, match=r"holds torch arrays but the argument is a numpy array"):
        kt @ np.ones(6)
    with pytest.raises(TypeError, match=r"Sum: .*numpy and torch"):
        kb.Dense(A) + kb.Dense(at)
    with pytest.raises(TypeError, match=r"matmul: .*numpy and torch"):
        kb.Dense(A) @ kb.Dense(at)
    with pytest.raises(TypeError, match=r"kron_apply: .*numpy.*torch"):
        kb.kron_apply(k, torch.ones((2, 3), dtype=torch.float64))


def test_not_an_array() -> None:
    with pytest.raises(TypeError, match=r"expected an array .* got object"):
        kb.aslinearoperator(object())
    with pytest.raises(TypeError, match=r"solve: expected an operator or a 2-D array"):
        kb.solve(object(), np.ones(2))
    with pytest.raises(TypeError, match=r"matmul: expected an array .* got str"):
        _k() @ "x"


# ---- non-finite input ------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_factor_is_a_value_error(bad: float) -> None:
    poisoned = A.copy()
    poisoned[0, 1] = bad
    kept = poisoned.copy()
    k = kb.kron(B, poisoned)
    named = r"factor 1 \(shape \(2, 2\)\).*NaN or inf"
    with pytest.raises(ValueError, match=r"solve: " + named):
        kb.solve(k, np.ones(6))
    with pytest.raises(ValueError, match=r"factorize: " + named):
        kb.factorize(k)
    with pytest.raises(ValueError, match=r"inv: " + named):
        kb.inv(k)
    with pytest.raises(ValueError, match=r"NaN or inf"):
        kb.cho_factor(kb.kron(_spd(3, 9), poisoned))
    with pytest.raises(ValueError, match=r"factor 1 \(shape \(2, 2\)\).*NaN or inf"):
        kb.solve(kb.kron(B, sp.csr_matrix(poisoned)), np.ones(6))
    np.testing.assert_array_equal(poisoned, kept)  # the input is left as it was


# ---- the dense budget ------------------------------------------------------------------------
def test_to_dense_past_the_budget() -> None:
    k = kb.kron(kb.identity(100000), np.ones((100, 100)))
    assert k.shape == (10**7, 10**7)
    # 10¹⁴ float64 entries = 8·10¹⁴ B = 727.6 TiB
    with pytest.raises(kb.DenseBudgetError, match=esc("(10000000, 10000000) would need 727.6 TiB")):
        k.to_dense()
    with pytest.raises(ValueError, match=r"over the budget of 1\.0 GiB.*max_bytes"):
        k.to_dense()


def test_to_dense_small_budget() -> None:
    k = _k()  # 6 × 6 float64: 288 B
    with pytest.raises(
        kb.DenseBudgetError, match=esc("shape (6, 6) would need 288 B, over the budget of 100 B")
    ):
        k.to_dense(max_bytes=100)
    np.testing.assert_allclose(k.to_dense(max_bytes=288), np.kron(A, B))
    k32 = kb.kron(A.astype(np.float32), B.astype(np.float32))  # 144 B
    with pytest.raises(kb.DenseBudgetError, match=esc("144 B")):
        k32.to_dense(max_bytes=143)
    assert k32.to_dense(max_bytes=144).dtype == np.float32
    with pytest.raises(kb.DenseBudgetError, match=r"Sum of shape \(6, 6\) would need 288 B"):
        (k + k).to_dense(max_bytes=200)


# ---- vec / unvec -------------------------------------------------------------------------------
def test_vec_unvec_errors() -> None:
    with pytest.raises(ValueError, match=r"vec: order must be 'F' .* or 'C' .*got 'K'"):
        kb.vec(np.ones((2, 3)), order="K")
    with pytest.raises(ValueError, match=r"unvec: order must be 'F'.*got 'A'"):
        kb.unvec(np.ones(6), (2, 3), order="A")
    with pytest.raises(
        ValueError,
        match=esc("unvec: expected a vector of length 6 for shape (2, 3), got shape (5,)"),
    ):
        kb.unvec(np.ones(5), (2, 3))
    with pytest.raises(ValueError, match=esc("length 6 for shape (2, 3), got shape (6, 1)")):
        kb.unvec(np.ones((6, 1)), (2, 3), order="C")


def test_kron_apply_errors() -> None:
    with pytest.raises(ValueError, match=esc("leading axes are (2, 3)") + r".*got shape \(3, 2\)"):
        kb.kron_apply(_k(), np.ones((3, 2)))
    with pytest.raises(TypeError, match=r"kron_apply: expected a Kronecker operator.*got Dense"):
        kb.kron_apply(kb.Dense(A), np.ones(2))


# ---- arguments of the linalg functions -----------------------------------------------------
@pytest.mark.parametrize("n", [1.5, 2.0, "2", None, np.float64(2.0)])
def test_matrix_power_needs_an_integer(n: Any) -> None:
    with pytest.raises(
        TypeError, match=r"matrix_power: the exponent must be an integer, got " + esc(repr(n))
    ):
        kb.matrix_power(_k(), n)


def test_matrix_power_accepts_numpy_integers() -> None:
    got = kb.matrix_power(_k(), np.int64(3)).to_dense()
    np.testing.assert_allclose(got, np.linalg.matrix_power(np.kron(A, B), 3), rtol=1e-10)


@pytest.mark.parametrize("ord_", [3, 0, "max", "fro2", 1.5])
def test_norm_with_a_bad_ord(ord_: Any) -> None:
    with pytest.raises(
        ValueError, match=r"norm: ord=" + esc(repr(ord_)) + r" is not a matrix norm"
    ):
        kb.norm(_k(), ord_)


def test_factorize_assume_a() -> None:
    with pytest.raises(
        ValueError, match=r"assume_a must be one of \('general', 'positive_definite'\), got 'sym'"
    ):
        kb.factorize(_k(), assume_a="sym")


# ---- constructors and indexing ----------------------------------------------------------
def test_constructor_errors() -> None:
    with pytest.raises(ValueError, match=esc("Dense: expected a 2-D array, got shape (3,)")):
        kb.Dense(np.ones(3))
    with pytest.raises(
        ValueError,
        match=esc("Diagonal: expected a 1-D array of diagonal entries, got shape (2, 2)"),
    ):
        kb.diag(np.ones((2, 2)))
    with pytest.raises(
        ValueError,
        match=esc("aslinearoperator: expected a 2-D array (a matrix), got shape (2, 2, 2)"),
    ):
        kb.aslinearoperator(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match=r"identity: n must be a non-negative int, got -1"):
        kb.identity(-1)
    with pytest.raises(ValueError, match=r"kron: needs at least one factor"):
        kb.kron()
    with pytest.raises(ValueError, match=r"unknown tags \['sym'\]"):
        kb.aslinearoperator(A, tags={"sym"})
    with pytest.raises(TypeError, match=r"tags must be a collection of names, got the string"):
        kb.aslinearoperator(A, tags="hermitian")
    with pytest.raises(TypeError, match=r"tags can only be given when wrapping an array"):
        kb.aslinearoperator(kb.Dense(A), tags={"hermitian"})


def test_indexing_errors() -> None:
    k = _k()
    with pytest.raises(IndexError, match=r"index with two indices, A\[i, j\]"):
        k[0]
    with pytest.raises(IndexError, match=r"row index 6 is out of bounds for size 6"):
        k[6, 0]
    with pytest.raises(IndexError, match=r"column index -7 is out of bounds for size 6"):
        k[0, -7]
    with pytest.raises(IndexError, match=r"row index out of bounds for size 6"):
        k[np.array([0, 6]), np.array([0, 0])]
    with pytest.raises(IndexError, match=r"boolean row index is not supported"):
        k[True, 0]
    with pytest.raises(IndexError, match=r"column indices must be integers, got dtype float64"):
        k[0, np.array([0.5])]


# ---- the dense fallback warns ----------------------------------------------------------------
def test_dense_fallback_warns_and_is_right() -> None:
    s = kb.kron(A, B) + kb.kron(B, A)
    dense = np.kron(A, B) + np.kron(B, A)
    b = np.arange(6.0)
    with pytest.warns(
        kb.DensificationWarning, match=r"no structured rule for Sum; forming the dense 6×6"
    ):
        x = kb.solve(s, b)
    np.testing.assert_allclose(x, np.linalg.solve(dense, b), rtol=1e-10)
    with pytest.warns(kb.DensificationWarning, match=r"slogdet: no structured rule for Sum"):
        sign, logabs = kb.slogdet(s)
    ref = np.linalg.slogdet(dense)
    assert float(sign) == ref[0]
    np.testing.assert_allclose(float(logabs), ref[1], rtol=1e-12)
    with pytest.warns(kb.DensificationWarning, match=r"inv: no structured rule for Sum"):
        inv = kb.inv(s)
    np.testing.assert_allclose(inv.to_dense(), np.linalg.inv(dense), rtol=1e-10, atol=1e-12)


def test_dense_fallback_is_an_error_under_the_test_configuration() -> None:
    # pyproject.toml turns the warning into an error, so silent densification fails CI.
    s = kb.kron(A, B) + kb.kron(B, A)
    with pytest.raises(kb.DensificationWarning):
        kb.solve(s, np.ones(6))
    # a structured path does not warn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kb.solve(kb.kron(A, B), np.ones(6))
