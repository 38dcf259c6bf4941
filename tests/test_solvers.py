"""The iterative solvers of :mod:`kronblock.solvers` against independent references.

Systems are built in NumPy with prescribed spectra (well conditioned by
construction), solved in every backend of the ``xp`` fixture, and compared
with ``numpy.linalg.solve`` in double precision; SciPy's ``cg``, ``minres``
and ``gmres`` give the reference iteration counts and answers.  Every
user-facing error is pinned by type and message.
"""

from __future__ import annotations

import pickle
import tracemalloc
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as sla
from hypothesis import given
from hypothesis import strategies as st

import kronblock as kb
from conftest import from_numpy, library, to_numpy
from kronblock.solvers import CG, GMRES, MINRES, PCG, ConvergenceError, SolverResult

METHODS = {"CG": CG, "MINRES": MINRES, "GMRES": GMRES}
# which matrices each method is for (GMRES: restarted, so with a positive definite Hermitian part)
KIND = {"CG": "spd", "MINRES": "hermitian", "GMRES": "posreal"}
DTYPES = ("float64", "float32", "complex128")


# ---- NumPy-only builders ------------------------------------------------------------
def _unitary(rng: np.random.Generator, n: int, cplx: bool) -> np.ndarray:
    g = rng.standard_normal((n, n))
    if cplx:
        g = g + 1j * rng.standard_normal((n, n))
    q, r = np.linalg.qr(g)
    return q * (np.diag(r) / np.abs(np.diag(r)))  # (n, n), Haar-like


def build(kind: str, n: int, cond: float, dtype: str, seed: int) -> np.ndarray:
    """A matrix of ``kind`` with 2-norm condition number ``cond`` (double precision).

    spd: ``Q diag(λ) Qᴴ``, λ in [1, cond]; hermitian: the same with random signs
    (indefinite); general: ``U diag(σ) Vᴴ``, σ in [1, cond] (eigenvalues all around
    the origin: only full GMRES is sure to converge); posreal: the spd matrix plus a
    skew-Hermitian part of norm 1, non-normal, with positive definite Hermitian part
    (restarted GMRES converges) and condition number at most ``cond + 1``.
    """
    rng = np.random.default_rng(seed)
    cplx = dtype.startswith("complex")
    lam = np.geomspace(1.0, cond, n)
    rng.shuffle(lam)
    q = _unitary(rng, n, cplx)
    if kind == "spd":
        a = (q * lam) @ q.conj().T
    elif kind == "hermitian":
        signs = rng.choice([-1.0, 1.0], size=n)
        signs[: min(n, 1)] = -1.0  # at least one negative eigenvalue
        a = (q * (signs * lam)) @ q.conj().T
    elif kind == "general":
        return (q * lam) @ _unitary(rng, n, cplx).conj().T
    else:
        a = (q * lam) @ q.conj().T
    a = (a + a.conj().T) / 2  # exactly Hermitian
    if kind == "posreal":
        g = rng.standard_normal((n, n)) + (1j * rng.standard_normal((n, n)) if cplx else 0)
        s = (g - g.conj().T) / 2
        a = a + s / max(np.linalg.norm(s, 2), 1e-300)
    return a


def rhs(n: int, k: int | None, dtype: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    shape = (n,) if k is None else (n, k)
    b = rng.standard_normal(shape)
    if dtype.startswith("complex"):
        b = b + 1j * rng.standard_normal(shape)
    return b


def rtol_for(dtype: str) -> float:
    return 1e-4 if dtype == "float32" else 1e-10


def check_result(
    res: SolverResult, a: np.ndarray, b: np.ndarray, cond: float, dtype: str, xp: Any
) -> None:
    """``res`` solves ``a x = b`` to its tolerance, in the right library, shape and dtype."""
    assert isinstance(res, SolverResult)
    assert res.converged
    assert tuple(res.x.shape) == b.shape
    assert str(res.x.dtype).split(".")[-1] == dtype
    assert library(res.x) == xp.__name__.replace("array_api_compat.", "")
    assert len(res.history) == res.iterations + 1
    rtol = rtol_for(dtype)
    assert res.rtol == rtol and res.atol == 0.0
    assert res.rtol_reached <= rtol
    x = to_numpy(res.x).astype(np.complex128)
    x2, b2 = x.reshape(b.shape[0], -1), b.reshape(b.shape[0], -1)
    ref = np.linalg.solve(a, b2)  # (N, k), the independent answer
    # the claimed residual, recomputed in double precision (float32 adds its rounding)
    slack = 0.0 if dtype != "float32" else 50 * np.finfo(np.float32).eps * cond
    r = np.linalg.norm(b2 - a @ x2, axis=0)
    assert np.all(r <= (1.01 * rtol + slack) * np.linalg.norm(b2, axis=0) + 1e-300)
    bmax = np.linalg.norm(b2, axis=0).max()
    np.testing.assert_allclose(
        res.residual_norm, r.max(), rtol=0.1, atol=(10 * slack + 1e-13) * bmax
    )
    ref_norm = np.linalg.norm(ref, axis=0)
    err = np.linalg.norm(x2 - ref, axis=0) / np.where(ref_norm > 0, ref_norm, 1.0)
    assert np.all(err <= 2 * cond * (rtol + slack)), (err, cond)


# ---- against dense references, over backends, dtypes, column counts -------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", sorted(METHODS))
@given(
    n=st.integers(1, 16),
    k=st.sampled_from([None, 1, 3]),
    cond=st.floats(1.0, 50.0),
    seed=st.integers(0, 2**16),
)
def test_matches_dense_reference(
    xp: Any, method: str, dtype: str, n: int, k: int | None, cond: float, seed: int
) -> None:
    a = build("general" if method == "GMRES" else KIND[method], n, cond, dtype, seed)
    b = rhs(n, k, dtype, seed)
    solver = METHODS[method](rtol=rtol_for(dtype))  # GMRES: restart=20 ≥ n, full GMRES
    res = solver.solve(from_numpy(xp, a.astype(dtype)), from_numpy(xp, b.astype(dtype)))
    check_result(res, a, b, cond, dtype, xp)
    assert res.method == method
    # columns solved together equal columns solved alone (per-column coefficients)
    if k == 3:
        alone = solver.solve(from_numpy(xp, a.astype(dtype)), from_numpy(xp, b[:, 1].astype(dtype)))
        tol = 4 * cond * (rtol_for(dtype) + (1e-5 if dtype == "float32" else 0))
        np.testing.assert_allclose(
            to_numpy(alone.x),
            to_numpy(res.x)[:, 1],
            rtol=tol,
            atol=tol * np.abs(to_numpy(res.x)).max(),
        )


@pytest.mark.parametrize("method", sorted(METHODS))
def test_kronblock_operators(xp: Any, method: str) -> None:
    # kron of two factors of the method's class, and the same matrix as kb.Dense
    rng = np.random.default_rng(3)
    f1, f2 = build(KIND[method], 5, 4.0, "float64", 1), build("spd", 6, 4.0, "float64", 2)
    if method == "MINRES":  # hermitian ⊗ spd is hermitian indefinite
        assert np.linalg.eigvalsh(np.kron(f1, f2)).min() < 0
    dense = np.kron(f1, f2)
    b = rng.standard_normal((30, 2))
    bx = from_numpy(xp, b)
    for A in (kb.kron(from_numpy(xp, f1), from_numpy(xp, f2)), kb.Dense(from_numpy(xp, dense))):
        res = METHODS[method](rtol=1e-10).solve(A, bx)
        check_result(res, dense, b, 25.0, "float64", xp)  # κ ≤ (4 + 1)·4


def _badly_scaled(n: int, seed: int) -> np.ndarray:
    """SPD, well conditioned up to a diagonal scaling over two decades: Jacobi's case."""
    rng = np.random.default_rng(seed)
    q = _unitary(rng, n, False)
    s = (q * np.linspace(1.0, 3.0, n)) @ q.T
    d = np.logspace(0, 1, n)
    rng.shuffle(d)
    return d[:, None] * s * d[None, :]


@pytest.mark.parametrize("method", sorted(METHODS))
def test_jacobi_preconditioner_cuts_iterations(xp: Any, method: str) -> None:
    a1, a2 = _badly_scaled(6, 1), _badly_scaled(7, 2)
    K = kb.kron(from_numpy(xp, a1), from_numpy(xp, a2))
    M = kb.diag(1.0 / kb.diagonal(K))  # Jacobi, structured: kb.diagonal of a Kronecker
    b = np.random.default_rng(0).standard_normal(42)
    plain = METHODS[method](rtol=1e-8, raise_on_failure=False).solve(K, from_numpy(xp, b))
    pre = METHODS[method](rtol=1e-8, M=M).solve(K, from_numpy(xp, b))
    assert pre.converged
    assert pre.iterations < plain.iterations
    dense = np.kron(a1, a2)
    np.testing.assert_allclose(to_numpy(pre.x), np.linalg.solve(dense, b), rtol=1e-5)
    # the same preconditioner as a callable and as an array
    d = 1.0 / np.kron(np.diag(a1), np.diag(a2))
    as_call = METHODS[method](rtol=1e-8, M=lambda r: from_numpy(xp, d) * r).solve(
        K, from_numpy(xp, b)
    )
    as_array = METHODS[method](rtol=1e-8, M=from_numpy(xp, np.diag(d))).solve(K, from_numpy(xp, b))
    for other in (as_call, as_array):
        assert abs(other.iterations - pre.iterations) <= 1
        np.testing.assert_allclose(to_numpy(other.x), to_numpy(pre.x), rtol=1e-6)


def test_pcg_is_cg_with_a_required_preconditioner() -> None:
    a = _badly_scaled(20, 4)
    b = np.ones(20)
    M = kb.diag(1.0 / np.diag(a))
    p, c = PCG(M=M).solve(a, b), CG(M=M).solve(a, b)
    assert isinstance(PCG(M=M), CG)
    assert p.method == "PCG" and c.method == "CG"
    assert p.iterations == c.iterations
    np.testing.assert_array_equal(p.x, c.x)


# ---- against SciPy -----------------------------------------------------------------
def _count() -> tuple[list[int], Any]:
    n = [0]

    def cb(*_: Any) -> None:
        n[0] += 1

    return n, cb


@pytest.mark.parametrize("rtol", [1e-6, 1e-10])
def test_cg_against_scipy(rtol: float) -> None:
    a = build("spd", 40, 300.0, "float64", 7)
    b = rhs(40, None, "float64", 7)
    m = np.diag(1.0 / np.linspace(1.0, 2.0, 40))  # any SPD preconditioner
    for M in (None, m):
        n, cb = _count()
        xs, info = sla.cg(a, b, rtol=rtol, M=M, callback=cb)
        res = CG(rtol=rtol, M=M).solve(a, b)
        assert info == 0
        assert abs(res.iterations - n[0]) <= 1  # the same algorithm and test
        np.testing.assert_allclose(res.x, xs, rtol=300 * rtol)


def test_minres_against_scipy_and_cg() -> None:
    # indefinite: the answer agrees with SciPy's (SciPy stops on ‖r‖/(‖A‖‖x‖), so compare
    # two tight solves); SPD: MINRES minimises ‖r‖ where CG does not, so it needs no more steps
    a = build("hermitian", 40, 100.0, "float64", 8)
    b = rhs(40, None, "float64", 8)
    xs, info = sla.minres(a, b, rtol=1e-12)
    res = MINRES(rtol=1e-11).solve(a, b)
    assert info == 0
    np.testing.assert_allclose(res.x, xs, rtol=1e-7)
    np.testing.assert_allclose(res.x, np.linalg.solve(a, b), rtol=1e-8)
    spd = build("spd", 40, 300.0, "float64", 9)
    for rtol in (1e-4, 1e-8):
        assert (
            MINRES(rtol=rtol).solve(spd, b).iterations <= CG(rtol=rtol).solve(spd, b).iterations + 1
        )


@pytest.mark.parametrize("restart", [5, 40])
def test_gmres_against_scipy(restart: int) -> None:
    rng = np.random.default_rng(10)
    a = np.eye(40) + 0.5 * rng.standard_normal((40, 40)) / np.sqrt(40)  # field of values near 1
    b = rng.standard_normal(40)
    n, cb = _count()
    xs, info = sla.gmres(a, b, rtol=1e-10, restart=restart, callback=cb, callback_type="pr_norm")
    res = GMRES(rtol=1e-10, restart=restart).solve(a, b)
    assert info == 0
    assert abs(res.iterations - n[0]) <= 2  # counted in inner (Arnoldi) steps
    np.testing.assert_allclose(res.x, xs, rtol=1e-7)


# ---- callbacks and history ------------------------------------------------------------
@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("k", [None, 2])
def test_callback_once_per_iteration(xp: Any, method: str, k: int | None) -> None:
    a = build(KIND[method], 30, 100.0, "float64", 11)
    b = rhs(30, k, "float64", 11)
    calls: list[tuple[int, Any, float]] = []
    extra = {"restart": 8} if method == "GMRES" else {}  # GMRES: several cycles
    solver = METHODS[method](rtol=1e-8, callback=lambda *c: calls.append(c), **extra)
    out = solver.solve(from_numpy(xp, a), from_numpy(xp, b))
    assert [c[0] for c in calls] == list(range(1, out.iterations + 1))
    assert [c[2] for c in calls] == out.history[1:]
    assert all(isinstance(c[2], float) for c in calls)
    assert out.history[0] == pytest.approx(np.linalg.norm(b.reshape(30, -1), axis=0).max())
    assert out.history[-1] <= 1e-8 * out.history[0] * 1.01 * np.sqrt(2)
    h = np.array(out.history)
    if method == "GMRES":
        assert all(c[1] is None for c in calls)  # the iterate is not formed inside a cycle
    else:
        assert all(tuple(c[1].shape) == b.shape for c in calls)
        # the iterate passed is the one reached: its residual is the one reported
        last = to_numpy(calls[-1][1]).reshape(30, -1)
        r = np.linalg.norm(b.reshape(30, -1) - a @ last, axis=0).max()
        assert r == pytest.approx(h[-1], rel=1e-3, abs=1e-12 * h[0])
    if method != "CG":  # MINRES and GMRES minimise ‖r‖: non-increasing, up to rounding
        assert np.all(np.diff(h) <= 1e-10 * h[0])
    else:  # CG's ‖r‖ may go up and down, but decreases overall
        assert h[len(h) // 2] < h[0]


# ---- special right-hand sides and starting points ---------------------------------------
@pytest.mark.parametrize("method", sorted(METHODS))
def test_zero_rhs(xp: Any, method: str) -> None:
    a = build(KIND[method], 6, 10.0, "float64", 12)
    res = METHODS[method]().solve(from_numpy(xp, a), from_numpy(xp, np.zeros(6)))
    assert res.converged and res.iterations == 0 and res.residual_norm == 0.0
    np.testing.assert_array_equal(to_numpy(res.x), np.zeros(6))
    # a zero column among others: its x is zero whatever x0 says
    b = rhs(6, 3, "float64", 12)
    b[:, 1] = 0.0
    x0 = np.ones((6, 3))
    res = METHODS[method](rtol=1e-10).solve(
        from_numpy(xp, a), from_numpy(xp, b), from_numpy(xp, x0)
    )
    np.testing.assert_array_equal(to_numpy(res.x)[:, 1], np.zeros(6))
    check_result(res, a, b, 11.0, "float64", xp)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_x0_at_the_solution_needs_no_iteration(method: str) -> None:
    a = build(KIND[method], 8, 10.0, "float64", 13)
    b = rhs(8, None, "float64", 13)
    res = METHODS[method](rtol=1e-8).solve(a, b, x0=np.linalg.solve(a, b))
    assert res.converged and res.iterations == 0 and res.history == [res.residual_norm]


@pytest.mark.parametrize("method", sorted(METHODS))
def test_inputs_are_not_mutated(xp: Any, method: str) -> None:
    a = build(KIND[method], 10, 10.0, "float64", 14)
    b, x0 = rhs(10, 2, "float64", 14), np.full((10, 2), 0.5)
    ax, bx, x0x = from_numpy(xp, a), from_numpy(xp, b), from_numpy(xp, x0)
    res = METHODS[method](rtol=1e-10).solve(ax, bx, x0x)
    assert res.converged
    np.testing.assert_array_equal(to_numpy(ax), a)
    np.testing.assert_array_equal(to_numpy(bx), b)
    np.testing.assert_array_equal(to_numpy(x0x), x0)
    assert res.x is not x0x


def test_float32_system_stays_float32_and_promotion_follows_numpy() -> None:
    a = build("spd", 12, 10.0, "float64", 15)
    b = rhs(12, None, "float64", 15)
    res = CG(rtol=1e-5).solve(a.astype(np.float32), b.astype(np.float32))
    assert res.x.dtype == np.float32
    res = CG(rtol=1e-10).solve(a, b.astype(np.float32))  # float64 A: float64 x
    assert res.x.dtype == np.float64
    res = CG(rtol=1e-10).solve(a, np.arange(12))  # integers: float64
    assert res.x.dtype == np.float64 and res.converged


def test_other_kinds_of_a() -> None:
    # scipy.sparse (kept sparse), a SciPy LinearOperator (shape and @), torch tensors
    n = 50
    lap = sp.diags([-np.ones(n - 1), 2.5 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1], format="csr")
    b = np.linspace(-1.0, 1.0, n)
    ref = np.linalg.solve(lap.toarray(), b)
    for A in (lap, sla.aslinearoperator(lap)):
        for method in METHODS:
            res = METHODS[method](rtol=1e-10).solve(A, b)
            np.testing.assert_allclose(res.x, ref, rtol=1e-8)


def test_callable_preconditioner_sees_bs_shape() -> None:
    a = _badly_scaled(12, 16)
    d = 1.0 / np.diag(a)
    for b in (np.ones(12), np.ones((12, 3))):
        for method in METHODS:
            seen: set[tuple[int, ...]] = set()

            def M(r: np.ndarray, seen: set[tuple[int, ...]] = seen) -> np.ndarray:
                seen.add(r.shape)
                return d.reshape((12,) + (1,) * (r.ndim - 1)) * r

            res = METHODS[method](rtol=1e-10, M=M).solve(a, b)
            assert seen == {b.shape}
            np.testing.assert_allclose(res.x, np.linalg.solve(a, b), rtol=1e-7)


def test_large_kronecker_never_densified() -> None:
    # N = 10⁴: the dense matrix would take 800 MB; the solvers hold a few (N, k) blocks
    f1, f2 = build("spd", 100, 5.0, "float64", 17), build("spd", 100, 5.0, "float64", 18)
    K = kb.kron(f1, f2)
    b = np.random.default_rng(19).standard_normal((10_000, 2))
    block = b.nbytes
    for solver, blocks in (
        (CG(rtol=1e-8), 14),
        (MINRES(rtol=1e-8), 24),
        (GMRES(rtol=1e-8, restart=10), 24),
    ):
        K @ b  # warm the Kronecker product's plan (kept per column count)
        tracemalloc.start()
        try:
            res = solver.solve(K, b)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert res.converged
        assert peak < blocks * block, (type(solver).__name__, peak / block)
        r = b - (K @ res.x)
        assert np.linalg.norm(r, axis=0).max() <= 1.01e-8 * np.linalg.norm(b, axis=0).max()


# ---- errors ------------------------------------------------------------------------
def _hard() -> tuple[np.ndarray, np.ndarray]:
    return build("spd", 30, 1e4, "float64", 20), rhs(30, None, "float64", 20)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_convergence_error(method: str) -> None:
    a, b = _hard()
    if method == "MINRES":
        a = build("hermitian", 30, 1e4, "float64", 20)
    with pytest.raises(ConvergenceError) as info:
        METHODS[method](maxiter=2).solve(a, b)
    err = info.value
    assert isinstance(err, kb.LinAlgError) and isinstance(err, np.linalg.LinAlgError)
    msg = str(err)
    assert msg.startswith(f"{method} did not converge in 2 iterations: residual ‖b − A x‖ = ")
    for words in (
        "rtol=1e-08",
        "atol=0",
        "Raise maxiter (now 2)",
        "loosen rtol",
        "better preconditioner M",
        "raise_on_failure=False",
    ):
        assert words in msg
    assert ("raise restart (now 20)" in msg) == (method == "GMRES")
    res = err.result
    assert isinstance(res, SolverResult) and res.method == method
    assert not res.converged and res.iterations == 2 and len(res.history) == 3
    assert res.x.shape == b.shape
    true_r = np.linalg.norm(b - a @ res.x)
    assert res.residual_norm == pytest.approx(true_r)
    assert res.rtol_reached == pytest.approx(true_r / np.linalg.norm(b))
    assert f"{res.residual_norm:.3g}" in msg
    # the same, returned instead of raised
    quiet = METHODS[method](maxiter=2, raise_on_failure=False).solve(a, b)
    assert not quiet.converged and quiet.iterations == 2
    np.testing.assert_array_equal(quiet.x, res.x)
    # the error pickles with its result
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == msg and again.result.iterations == 2


def test_convergence_error_names_float32_precision() -> None:
    a, b = _hard()
    with pytest.raises(ConvergenceError, match="near the precision of float32"):
        CG(maxiter=5).solve(a.astype(np.float32), b.astype(np.float32))


def test_cg_refuses_an_indefinite_matrix() -> None:
    a = build("hermitian", 10, 10.0, "float64", 21)
    with pytest.raises(kb.LinAlgError, match="A is not positive definite") as info:
        CG().solve(a, np.ones(10))
    assert not isinstance(info.value, ConvergenceError)
    for words in ("CG.solve", "dᴴ A d", "MINRES", "GMRES"):
        assert words in str(info.value)
    with pytest.raises(kb.LinAlgError, match="A is not positive definite"):
        CG().solve(-np.eye(3), np.ones(3))


@pytest.mark.parametrize("method", ["CG", "MINRES"])
def test_indefinite_preconditioner(method: str) -> None:
    a = build("spd", 10, 10.0, "float64", 22)
    M = np.diag(np.where(np.arange(10) % 2 == 0, 1.0, -1.0))
    with pytest.raises(kb.LinAlgError, match="the preconditioner M is not positive definite"):
        METHODS[method](M=M).solve(a, np.ones(10))


def test_shape_errors() -> None:
    a = np.eye(4)
    with pytest.raises(
        ValueError,
        match=r"A has shape \(4, 4\) but b has shape \(5,\); expected \(4,\) or \(4, k\)",
    ):
        CG().solve(a, np.ones(5))
    with pytest.raises(ValueError, match=r"A has shape \(4, 4\) but b has shape \(3, 2\)"):
        GMRES().solve(kb.kron(np.eye(2), np.eye(2)), np.ones((3, 2)))
    with pytest.raises(
        ValueError, match=r"MINRES.solve: A has shape \(3, 4\); iterative solvers need a square A"
    ):
        MINRES().solve(np.ones((3, 4)), np.ones(3))
    with pytest.raises(
        ValueError, match=r"b must have shape \(4,\) or \(4, k\), got shape \(4, 1, 1\)"
    ):
        CG().solve(a, np.ones((4, 1, 1)))
    with pytest.raises(ValueError, match=r"x0 has shape \(4, 1\) but b has shape \(4,\)"):
        CG().solve(a, np.ones(4), x0=np.ones((4, 1)))
    with pytest.raises(ValueError, match=r"M has shape \(3, 3\); expected \(4, 4\)"):
        CG(M=np.eye(3)).solve(a, np.ones(4))
    with pytest.raises(ValueError, match=r"M\(r\) returned shape \(3,\) for r of shape \(4,\)"):
        CG(M=lambda r: r[:3]).solve(a, np.ones(4))


def test_non_finite_values() -> None:
    with pytest.raises(ValueError, match=r"CG.solve: b has non-finite entries \(inf or NaN\)"):
        CG().solve(np.eye(2), np.array([np.nan, 1.0]))
    with pytest.raises(ValueError, match=r"b \(column 1\) has non-finite entries"):
        GMRES().solve(np.eye(2), np.array([[1.0, np.inf], [1.0, 1.0]]))
    with pytest.raises(ConvergenceError, match="A, M or x0 produced inf or NaN") as info:
        MINRES().solve(np.eye(2), np.ones(2), x0=np.array([np.nan, 0.0]))
    assert info.value.result.iterations == 0


def test_type_and_setting_errors() -> None:
    with pytest.raises(TypeError, match="A must be an operator, an array"):
        CG().solve("matrix", np.ones(2))
    with pytest.raises(
        TypeError, match="M must be an operator or array applied as M @ r, or a callable"
    ):
        CG(M="jacobi")
    with pytest.raises(TypeError, match="PCG: a preconditioner M is required"):
        PCG()  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="rtol must be a finite number ≥ 0, got -1"):
        CG(rtol=-1)
    with pytest.raises(ValueError, match="atol must be a finite number ≥ 0"):
        MINRES(atol=float("nan"))
    with pytest.raises(ValueError, match=r"maxiter must be an integer ≥ 0 or None, got 1\.5"):
        GMRES(maxiter=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="GMRES: restart must be an integer ≥ 1, got 0"):
        GMRES(restart=0)
    with pytest.raises(TypeError, match="callback must be callable"):
        CG(callback=3)  # type: ignore[arg-type]


def test_mixed_libraries_are_refused() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="A holds numpy arrays but b is a torch array"):
        CG().solve(np.eye(3), torch.ones(3, dtype=torch.float64))
    with pytest.raises(TypeError, match="M holds numpy arrays but b is a torch array"):
        CG(M=np.eye(3)).solve(torch.eye(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64))


def test_result_repr_is_short() -> None:
    res = CG().solve(np.eye(1000), np.ones(1000))
    text = repr(res)
    assert text.startswith("SolverResult(method='CG', converged=True, iterations=1")
    assert "shape=(1000,)" in text and len(text) < 300
