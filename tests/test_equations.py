"""Matrix equations against SciPy and dense Kronecker references (``kronblock.equations``)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given
from hypothesis import strategies as st

import kronblock as kb
from conftest import to_numpy
from kronblock.equations._generalized import generalized_triangular
from kronblock.linalg import _schur
from kronblock.linalg._sylvester import quasi_triangular_eigvals, triangular_sylvester

# orders that exercise the recursion (LEAF = 64) and its splits next to 2×2 blocks
ORDERS = st.sampled_from([0, 1, 2, 3, 7, 30, 65, 97, 130])
SMALL = st.integers(1, 12)


def _general(rng: np.random.Generator, n: int, dtype: type = np.float64) -> np.ndarray:
    """A non-normal matrix with eigenvalues well off the imaginary axis' mirror images."""
    a = rng.normal(size=(n, n)) / np.sqrt(max(n, 1))
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.normal(size=(n, n)) / np.sqrt(max(n, 1))
    return (a + 3 * np.eye(n)).astype(dtype)  # spectrum in the right half plane: A, B ≠ −λ


def _hermitian(rng: np.random.Generator, n: int) -> np.ndarray:
    q = np.linalg.qr(rng.normal(size=(n, n)))[0] if n else np.zeros((0, 0))
    return (q * rng.uniform(1, 3, size=n)) @ q.T


def _close(x: np.ndarray, ref: np.ndarray, rtol: float = 1e-9) -> None:
    scale = max(float(np.max(np.abs(ref), initial=0.0)), 1e-300)
    assert np.max(np.abs(x - ref), initial=0.0) <= rtol * scale


# ---- solve_sylvester -----------------------------------------------------------------------
@given(m=ORDERS, n=ORDERS, complex_=st.booleans(), seed=st.integers(0, 2**16))
def test_sylvester_matches_scipy(m: int, n: int, complex_: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    dt = np.complex128 if complex_ else np.float64
    a, b = _general(rng, m, dt), _general(rng, n, dt)
    c = rng.normal(size=(m, n)).astype(dt)
    x = kb.solve_sylvester(a, b, c)
    assert x.dtype == dt and x.shape == (m, n)
    if m and n:
        _close(x, sla.solve_sylvester(a, b, c))
        _close(a @ x + x @ b, c)


@given(m=ORDERS, n=ORDERS, seed=st.integers(0, 2**16))
def test_sylvester_hermitian_path(m: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = _hermitian(rng, m), _hermitian(rng, n)
    c = rng.normal(size=(m, n))
    for method in ("auto", "eigh", "schur"):
        x = kb.solve_sylvester(a, b, c, method=method)
        if m and n:
            _close(x, sla.solve_sylvester(a, b, c))


@pytest.mark.parametrize(("ta", "tb"), [("N", "N"), ("T", "N"), ("N", "T"), ("T", "T")])
@pytest.mark.parametrize("kind", ["real", "complex"])
def test_triangular_recursion_every_transpose(ta: str, tb: str, kind: str) -> None:
    rng = np.random.default_rng(7)
    m, n = 150, 131  # splits fall next to the 2×2 blocks of the real Schur forms
    out = "real" if kind == "real" else "complex"
    t = sla.schur(rng.normal(size=(m, m)), output=out)[0]
    s = sla.schur(rng.normal(size=(n, n)), output=out)[0] + 8 * np.eye(n)
    f = rng.normal(size=(m, n))
    ta2 = "C" if (kind == "complex" and ta == "T") else ta
    tb2 = "C" if (kind == "complex" and tb == "T") else tb
    y = triangular_sylvester(t, s, f, ta2, tb2)
    op_t = t if ta == "N" else t.conj().T
    op_s = s if tb == "N" else s.conj().T
    _close(op_t @ y + y @ op_s, f)
    _close(y, sla.solve_sylvester(op_t, op_s, f))


def test_sylvester_float32_stays_float32() -> None:
    rng = np.random.default_rng(1)
    a, b = _general(rng, 70, np.float32), _general(rng, 40, np.float32)
    c = rng.normal(size=(70, 40)).astype(np.float32)
    x = kb.solve_sylvester(a, b, c)
    assert x.dtype == np.float32
    _close(x.astype(np.float64), sla.solve_sylvester(a.astype(float), b.astype(float), c), 1e-4)


def test_sylvester_batches_broadcast() -> None:
    rng = np.random.default_rng(2)
    a = np.stack([_general(rng, 5) for _ in range(3)])  # (3, 5, 5)
    b = _general(rng, 4)  # shared
    c = rng.normal(size=(2, 3, 5, 4))
    x = kb.solve_sylvester(a, b, c)
    assert x.shape == (2, 3, 5, 4)
    for i in range(2):
        for j in range(3):
            _close(x[i, j], sla.solve_sylvester(a[j], b, c[i, j]))


def test_sylvester_is_the_kronsum_solve() -> None:
    """One fact: ``solve(kronsum(A, B), C.ravel()) = solve_sylvester(A, Bᵀ, C).ravel()``."""
    rng = np.random.default_rng(3)
    a, b, c = _general(rng, 6), _general(rng, 5), rng.normal(size=(6, 5))
    lhs = kb.solve(kb.kronsum(a, b), c.ravel())
    _close(kb.solve_sylvester(a, b.T, c).ravel(), lhs)
    dense = np.kron(a, np.eye(5)) + np.kron(np.eye(6), b)
    _close(lhs, np.linalg.solve(dense, c.ravel()))


def test_sylvester_other_backend(xp: object) -> None:
    rng = np.random.default_rng(4)
    a, b, c = _general(rng, 6), _general(rng, 4), rng.normal(size=(6, 4))
    x = kb.solve_sylvester(xp.asarray(a), xp.asarray(b), xp.asarray(c))  # type: ignore[attr-defined]
    assert type(x) is type(xp.asarray(c))  # type: ignore[attr-defined]
    _close(to_numpy(x), sla.solve_sylvester(a, b, c))


def test_sylvester_singular_raises() -> None:
    a = np.array([[1.0, 5.0], [0.0, 2.0]])
    b = np.array([[-2.0, 0.0], [3.0, 4.0]])  # −2 is an eigenvalue of B, 2 one of A
    with pytest.raises(kb.LinAlgError, match=r"singular: A has the eigenvalue 2 and B the eig"):
        kb.solve_sylvester(a, b, np.ones((2, 2)))
    s = np.diag([1.0, 2.0])
    with pytest.raises(kb.LinAlgError, match=r"no unique solution"):
        kb.solve_sylvester(s, -s, np.ones((2, 2)), method="eigh")


def test_sylvester_errors() -> None:
    a, b = np.eye(3), np.eye(2)
    with pytest.raises(ValueError, match=r"C must have shape \(\.\.\., 3, 2\)"):
        kb.solve_sylvester(a, b, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"A must be a square matrix"):
        kb.solve_sylvester(np.ones((3, 2)), b, np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"method must be one of"):
        kb.solve_sylvester(a, b, np.ones((3, 2)), method="lu")
    with pytest.raises(ValueError, match=r"NaN or inf"):
        kb.solve_sylvester(a, b, np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match=r"batch dimensions do not broadcast"):
        kb.solve_sylvester(np.stack([a, a]), b, np.ones((3, 3, 2)))
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"torch"):
        kb.solve_sylvester(a, b, torch.ones((3, 2), dtype=torch.float64))


def test_schur_pair_side_by_side_is_right() -> None:
    rng = np.random.default_rng(5)
    n = _schur.PARALLEL_MIN
    a, b = rng.normal(size=(n, n)), rng.normal(size=(n + 3, n + 3)) + 0j
    (t, u), (s, v) = _schur.schur_pair(a, b)
    _close(u @ t @ u.T, a)
    _close(v @ s @ v.conj().T, b)
    assert np.allclose(np.tril(t, -2), 0) and np.allclose(np.tril(s, -1), 0)
    for f32 in (a.astype(np.float32), b.astype(np.complex64)):
        t32, u32 = _schur.schur(f32)
        assert t32.dtype == f32.dtype
        _close(u32 @ t32 @ u32.conj().T, f32, 1e-4)


@given(n=st.integers(0, 40), seed=st.integers(0, 2**16))
def test_quasi_triangular_eigvals(n: int, seed: int) -> None:
    a = np.random.default_rng(seed).normal(size=(n, n))
    w = quasi_triangular_eigvals(sla.schur(a)[0])
    assert np.allclose(np.sort_complex(w), np.sort_complex(np.linalg.eigvals(a)), atol=1e-8)


# ---- Lyapunov and Stein ---------------------------------------------------------------------
@given(n=ORDERS, complex_=st.booleans(), hermitian=st.booleans(), seed=st.integers(0, 2**16))
def test_continuous_lyapunov_matches_scipy(
    n: int, complex_: bool, hermitian: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    a = _hermitian(rng, n) if hermitian else _general(rng, n, complex if complex_ else float)
    q = rng.normal(size=(n, n))
    q = q + q.T
    x = kb.solve_continuous_lyapunov(a, q)
    if n:
        _close(x, sla.solve_continuous_lyapunov(a, q))
        _close(a @ x + x @ a.conj().T, q)


@given(n=ORDERS, complex_=st.booleans(), seed=st.integers(0, 2**16))
def test_discrete_lyapunov_matches_scipy(n: int, complex_: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n)) / (2 * np.sqrt(max(n, 1)))
    if complex_:
        a = a + 1j * rng.normal(size=(n, n)) / (2 * np.sqrt(max(n, 1)))
    q = rng.normal(size=(n, n))
    x = kb.solve_discrete_lyapunov(a, q)
    assert x.dtype == a.dtype
    if n:
        assert np.max(np.abs(a @ x @ a.conj().T - x + q)) <= 1e-10 * np.max(np.abs(q))
        _close(x, sla.solve_discrete_lyapunov(a, q), 1e-8)


def test_lyapunov_singular_raises() -> None:
    a = np.array([[0.0, 1.0], [-1.0, 0.0]])  # eigenvalues ±i: λ + conj(λ) = 0
    with pytest.raises(kb.LinAlgError, match=r"A has the eigenvalue .* and Aᴴ"):
        kb.solve_continuous_lyapunov(a, np.eye(2))
    rot = np.array([[0.6, -0.8], [0.8, 0.6]])  # on the unit circle
    with pytest.raises(kb.LinAlgError, match=r"λᵢ·conj\(λⱼ\) = 1"):
        kb.solve_discrete_lyapunov(rot, np.eye(2))
    with pytest.raises(ValueError, match=r"Q must have shape \(\.\.\., 2, 2\)"):
        kb.solve_discrete_lyapunov(rot, np.eye(3))


# ---- the generalized Sylvester equation -------------------------------------------------------
def _dense_generalized(a: list[np.ndarray], b: list[np.ndarray], c: np.ndarray) -> np.ndarray:
    m, n = c.shape
    big = sum(np.kron(ai, bi.T) for ai, bi in zip(a, b))  # row-major vec
    return np.linalg.solve(big, c.ravel()).reshape(m, n)


@given(m=SMALL, n=SMALL, terms=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_generalized_sylvester_matches_dense(m: int, n: int, terms: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = [_general(rng, m)] + [rng.normal(size=(m, m)) * 0.3 for _ in range(terms - 1)]
    b = [_general(rng, n)] + [rng.normal(size=(n, n)) * 0.3 for _ in range(terms - 1)]
    c = rng.normal(size=(m, n))
    res = kb.solve_generalized_sylvester(a, b, c)
    assert res.method == {1: "lu", 2: "qz"}.get(terms, "gmres")
    assert res.x.dtype == np.float64 and res.residual < 1e-8
    _close(res.x, _dense_generalized(a, b, c), 1e-7)


def test_generalized_two_terms_large_and_complex() -> None:
    rng = np.random.default_rng(6)
    m, n = 140, 70  # the recursion, not only the leaf
    a = [_general(rng, m, complex), rng.normal(size=(m, m)) / np.sqrt(m)]
    b = [_general(rng, n), rng.normal(size=(n, n)) / np.sqrt(n)]
    c = rng.normal(size=(m, n))
    res = kb.solve_generalized_sylvester(a, b, c)
    assert res.x.dtype == np.complex128
    _close(sum(ai @ res.x @ bi for ai, bi in zip(a, b)), c, 1e-10)


def test_generalized_sylvester_triangular_kernel() -> None:
    rng = np.random.default_rng(8)
    m, n = 100, 90
    # generalized Schur forms of well-separated pencils (random triangular matrices are
    # exponentially ill-conditioned, so they would test nothing but rounding)
    s, t = sla.qz(_general(rng, m), rng.normal(size=(m, m)) / np.sqrt(m), output="complex")[:2]
    r, p = sla.qz(_general(rng, n), rng.normal(size=(n, n)) / np.sqrt(n), output="complex")[:2]
    f = rng.normal(size=(m, n))
    y = generalized_triangular(s, t, r, p, f)
    _close(s @ y @ r + t @ y @ p, f)


def test_generalized_sylvester_errors() -> None:
    with pytest.raises(ValueError, match=r"as many A terms as B terms"):
        kb.solve_generalized_sylvester([np.eye(2)], [], np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"B\[0\] must have shape \(3, 3\)"):
        kb.solve_generalized_sylvester([np.eye(2)], [np.eye(2)], np.ones((2, 3)))
    with pytest.raises(kb.LinAlgError, match=r"singular"):  # A₁XB₁ + A₂XB₂ with A₂ = −A₁
        kb.solve_generalized_sylvester([np.eye(2), -np.eye(2)], [np.eye(2)] * 2, np.ones((2, 2)))
    with pytest.raises(kb.LinAlgError, match=r"A\[0\] or B\[0\] is singular"):
        kb.solve_generalized_sylvester([np.zeros((2, 2))], [np.eye(2)], np.ones((2, 2)))


@given(
    lam=st.lists(st.floats(-5, 5), min_size=1, max_size=8),
    mu=st.lists(st.floats(-5, 5), min_size=1, max_size=8),
    plant=st.booleans(),
)
def test_separation_check_real_fast_path_equals_brute_force(
    lam: list[float], mu: list[float], plant: bool
) -> None:
    """The O((m + n) log n) test for real spectra decides exactly as the all-pairs one."""
    from kronblock.equations._sylvester import check_separated

    l, m = np.array(lam), np.array(mu)
    if plant:
        m[-1] = -l[0]
    tol = 10 * max(l.size, m.size) * np.finfo(float).eps * 1.0
    singular = bool(np.min(np.abs(l[:, None] + m[None, :])) <= tol)
    raised = False
    try:
        check_separated("t", l, m, 1.0)
    except kb.LinAlgError:
        raised = True
    assert raised == singular
    raised_complex = False
    try:  # the all-pairs path, through complex spectra
        check_separated("t", l.astype(complex), m.astype(complex), 1.0)
    except kb.LinAlgError:
        raised_complex = True
    assert raised_complex == singular


def test_review_regressions() -> None:
    """Empty generalized equations, batched real Stein, float32 GMRES default tolerance."""
    import warnings

    res = kb.solve_generalized_sylvester([np.zeros((0, 0))] * 3, [np.eye(3)] * 3, np.zeros((0, 3)))
    assert res.x.shape == (0, 3) and res.method == "empty"
    res = kb.solve_generalized_sylvester([np.eye(2)] * 2, [np.zeros((0, 0))] * 2, np.zeros((2, 0)))
    assert res.x.shape == (2, 0)
    a = np.stack([np.diag([0.5, 0.2]), np.diag([0.1, -0.3])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning from a real batch
        x = kb.solve_discrete_lyapunov(a, np.eye(2))
    assert x.dtype == np.float64
    for i in range(2):
        _close(x[i], sla.solve_discrete_lyapunov(a[i], np.eye(2)))
    rng = np.random.default_rng(0)
    a3 = [(np.eye(4) * 3 + rng.normal(size=(4, 4)) * 0.3).astype(np.float32) for _ in range(3)]
    b3 = [(np.eye(5) + rng.normal(size=(5, 5)) * 0.1).astype(np.float32) for _ in range(3)]
    c = rng.normal(size=(4, 5)).astype(np.float32)
    res = kb.solve_generalized_sylvester(a3, b3, c)
    assert res.x.dtype == np.float32 and res.residual < 1e-4


def test_blas_cap_restored_after_concurrent_calls() -> None:
    """The one-thread BLAS cap of the side-by-side Schur forms is restored, whoever overlaps."""
    from concurrent.futures import ThreadPoolExecutor

    import threadpoolctl  # a dependency of kronblock

    before = [i["num_threads"] for i in threadpoolctl.threadpool_info()]
    rng = np.random.default_rng(1)
    n = _schur.PARALLEL_MIN
    problems = [(_general(rng, n), _general(rng, n), rng.normal(size=(n, n))) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        xs = list(pool.map(lambda p: kb.solve_sylvester(*p), problems))
    for (a, b, c), x in zip(problems, xs):
        _close(a @ x + x @ b, c)
    assert [i["num_threads"] for i in threadpoolctl.threadpool_info()] == before


@pytest.mark.parametrize("complex_", [False, True])
def test_hermitian_path_in_two_threads(complex_: bool) -> None:
    """Orders ≥ PARALLEL_MIN: eigendecompositions and GEMM halves in the capped pool."""
    rng = np.random.default_rng(9)
    m, n = _schur.PARALLEL_MIN + 1, _schur.PARALLEL_MIN + 8  # odd m: unequal halves
    a, b = _hermitian(rng, m), _hermitian(rng, n)
    c = rng.normal(size=(m, n))
    if complex_:
        g = rng.normal(size=(m, m)) + 1j * rng.normal(size=(m, m))
        a = a + (g + g.conj().T) / (4 * np.sqrt(m))
        c = c + 1j * rng.normal(size=(m, n))
    x = kb.solve_sylvester(a, b, c)
    _close(x, sla.solve_sylvester(a, b, c))
    _close(kb.solve_sylvester(a, b, c, method="schur"), x)
