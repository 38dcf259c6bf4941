"""Chapter "kronecker_sum": Kronecker sums, Kronecker plus diagonal, product graphs, 3-D Laplacian.

Four sections:

1. the Kronecker sum ``A ⊕ B = A⊗I + I⊗B``: its order, eigenvalues, the
   Sylvester fact ``solve(kronsum(A, B), C.ravel()) = solve_sylvester(A, Bᵀ, C).ravel()``
   for non-normal factors, ``exp(A⊕B) = exp(A)⊗exp(B)``;
2. Gaussian-process algebra: ``K + σ²I`` and ``K + D`` solved and their
   log-determinants taken exactly through the factors, ``K + diag(d)`` by
   preconditioned CG with its report;
3. product graphs: the grid Laplacian as a Kronecker sum, its spectrum, the
   heat kernel, the Poisson problem;
4. the seeds' hard exercise: the 3-D Laplacian ``L₃ = L⊕L⊕L`` on a
   100 × 100 × 100 grid (N = 10⁶), solved by the structured direct solver and
   by CG from :mod:`kronblock.solvers`, beside the cost of the dense way.
"""

from __future__ import annotations

import time
from functools import reduce

import numpy as np
import scipy.linalg
import scipy.sparse

import kronblock as kb
from kronblock import graphs

from ._check import Checker

__all__ = ["DESCRIPTION", "run"]

DESCRIPTION = "Kronecker sums, K + σ²I, product graphs, the 3-D Laplacian at N = 10⁶"

TOL = 1e-10

#: Assumed dense throughput for the comparison, in flop/s.
DENSE_FLOPS = 100e9


def run(check: Checker) -> None:
    """Run the chapter, printing each step and checking it against NumPy/SciPy."""
    rng = np.random.default_rng(5)
    _kronecker_sum(check, rng)
    _kron_plus_diagonal(check, rng)
    _graphs(check, rng)
    _laplacian_3d(check, rng)


def _dense_kronsum(*factors: np.ndarray) -> np.ndarray:
    dims = [f.shape[0] for f in factors]
    out = np.zeros((int(np.prod(dims)),) * 2, dtype=np.result_type(*factors))
    for i, f in enumerate(factors):
        out += reduce(np.kron, [f if j == i else np.eye(d) for j, d in enumerate(dims)])
    return out


def _second_difference(n: int) -> np.ndarray:
    return 2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)


# ---- 1. the Kronecker sum ---------------------------------------------------------------
def _kronecker_sum(check: Checker, rng: np.random.Generator) -> None:
    check.heading("1. The Kronecker sum A ⊕ B = A⊗I + I⊗B")
    a = np.triu(rng.normal(size=(4, 4))) + 3 * np.eye(4)  # non-normal
    b = np.triu(rng.normal(size=(3, 3)), 1) * 2 + np.diag([1.0, 2.0, 4.0])
    s = kb.kronsum(a, b)
    check.say(f"  {s!r}")
    check.close("kb.kronsum(A, B) = A⊗I + I⊗B", s.to_dense(), _dense_kronsum(a, b))
    check.close(
        "scipy.sparse.kronsum takes the other order: kronsum(B, A)",
        s.to_dense(),
        scipy.sparse.kronsum(b, a).toarray(),
    )
    lam = (np.linalg.eigvals(a)[:, None] + np.linalg.eigvals(b)[None, :]).ravel()
    check.close(
        "eigenvalues of A⊕B are λᵢ(A) + μⱼ(B)",
        np.sort_complex(kb.eigvals(s)),
        np.sort_complex(lam),
    )
    check.say()
    check.say("With row-major vec, (A⊕B) X.ravel() = (A X + X Bᵀ).ravel(): a solve with A⊕B is the")
    check.say("Sylvester equation A X + X Bᵀ = C, solved through the Schur forms of A and B")
    check.say("(Bartels–Stewart, LAPACK trsyl), safe for these non-normal factors.")
    c = rng.normal(size=(4, 3))
    x = kb.solve(s, c.ravel())
    check.close(
        "solve(kronsum(A, B), C.ravel()) = solve_sylvester(A, B.T, C).ravel()",
        x,
        scipy.linalg.solve_sylvester(a, b.T, c).ravel(),
        tol=TOL,
    )
    check.close("= np.linalg.solve on the dense 12×12", x, np.linalg.solve(s.to_dense(), c.ravel()))
    sign, logabs = kb.slogdet(s)
    ref = np.linalg.slogdet(_dense_kronsum(a, b))
    check.exact("slogdet sign from the eigenvalue sums", float(sign), float(ref[0]))
    check.close("log|det(A⊕B)| = Σ log|λᵢ + μⱼ|", logabs, ref[1], tol=TOL)
    e = kb.expm(s)
    check.that("expm(A⊕B) is a Kronecker product", isinstance(e, kb.Kronecker), repr(e))
    check.close(
        "exp(A⊕B) = exp(A)⊗exp(B) = scipy.linalg.expm", e.to_dense(),
        scipy.linalg.expm(_dense_kronsum(a, b)), tol=TOL,
    )  # fmt: skip


# ---- 2. Gaussian-process algebra ----------------------------------------------------------
def _rbf(n: int, ell: float) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)
    return np.exp(-((t[:, None] - t[None, :]) ** 2) / (2 * ell**2))


def _kron_plus_diagonal(check: Checker, rng: np.random.Generator) -> None:
    check.heading("2. K + σ²I and K + D: Gaussian processes with separable kernels")
    kt, ks = _rbf(12, 0.2), _rbf(10, 0.3)
    n = 120
    sigma2 = 0.05
    op = kb.kron(kt, ks) + sigma2 * kb.identity(n)
    dense = np.kron(kt, ks) + sigma2 * np.eye(n)
    y = rng.normal(size=n)
    f = kb.factorize(op)
    check.say(f"  kb.factorize(K + σ²I) → {type(f).__name__}: factor eigh once, then")
    check.say("  every solve is two Kronecker products and a division, and logdet is a sum.")
    check.close("(K + σ²I)⁻¹ y", f.solve(y), np.linalg.solve(dense, y), tol=TOL)
    check.close("log det(K + σ²I)", f.logdet(), np.linalg.slogdet(dense)[1], tol=TOL)
    d_t, d_s = rng.uniform(0.5, 2.0, 12), rng.uniform(0.5, 2.0, 10)
    op_d = kb.kron(kt, ks) + kb.kron(kb.diag(d_t), kb.diag(d_s))
    dense_d = np.kron(kt, ks) + np.diag(np.kron(d_t, d_s))
    check.close(
        "K + D, D = D_t⊗D_s, by whitening: solve", kb.solve(op_d, y), np.linalg.solve(dense_d, y),
        tol=TOL,
    )  # fmt: skip
    check.close("K + D: log det", kb.logdet(op_d), np.linalg.slogdet(dense_d)[1], tol=TOL)
    d = rng.uniform(0.05, 1.0, n)  # heteroscedastic noise: no Kronecker structure
    pcg = kb.KroneckerDiagonalPCG(kb.kron(kt, ks) + kb.diag(d))  # what kb.factorize returns
    x = pcg.solve(y)
    res = pcg.last_result
    check.say(
        f"  K + diag(d), arbitrary d > 0: {type(pcg).__name__}, PCG preconditioned by the exact "
        f"(K + mean(d)·I)⁻¹: {res.iterations} iterations, relative residual {res.rtol_reached:.1e}"
    )
    check.that("PCG converged", res.converged, f"{res.iterations} iterations")
    check.close(
        "K + diag(d): PCG = np.linalg.solve", x, np.linalg.solve(np.kron(kt, ks) + np.diag(d), y),
        tol=1e-8,
    )  # fmt: skip


# ---- 3. product graphs ---------------------------------------------------------------------
def _graphs(check: Checker, rng: np.random.Generator) -> None:
    check.heading("3. Product graphs: the grid Laplacian is a Kronecker sum")
    g = graphs.grid(6, 5)
    lap = g.laplacian()
    check.say(f"  graphs.grid(6, 5).laplacian() = {lap!r}")
    l6, l5 = graphs.path(6).laplacian().to_dense(), graphs.path(5).laplacian().to_dense()
    check.close("L(grid) = L(path 6) ⊕ L(path 5)", lap.to_dense(), _dense_kronsum(l6, l5))
    closed = np.sort(
        (
            (2 - 2 * np.cos(np.pi * np.arange(6) / 6))[:, None]
            + (2 - 2 * np.cos(np.pi * np.arange(5) / 5))[None, :]
        ).ravel()
    )
    check.close("its eigenvalues: 4 sin²(πi/2m) + 4 sin²(πj/2n)", kb.eigvalsh(lap), closed)
    heat = kb.funm(lap, lambda lam: np.exp(-0.5 * lam))
    check.close(
        "heat kernel e^{-L/2} through the factor eigenvectors", heat.to_dense(),
        scipy.linalg.expm(-0.5 * lap.to_dense()), tol=TOL,
    )  # fmt: skip
    f = rng.normal(size=(40, 30))
    for boundary in ("dirichlet", "neumann", "periodic"):
        rhs = f - f.mean() if boundary != "dirichlet" else f
        u = graphs.poisson_solve(rhs, boundary=boundary)
        op = graphs.poisson_operator((40, 30), boundary=boundary)
        residual = np.linalg.norm(op @ u.ravel() - rhs.ravel()) / np.linalg.norm(rhs)
        check.below(f"Poisson, {boundary} (fast transforms): residual", residual, 1e-10)
    try:
        graphs.poisson_solve(f + 1.0, boundary="neumann")
    except kb.LinAlgError as exc:
        check.that("Neumann with a non-zero-mean f raises", "mean" in str(exc), str(exc)[:60])
    else:
        check.that("Neumann with a non-zero-mean f raises", False, "no error")


# ---- 4. the 3-D Laplacian at N = 10⁶ --------------------------------------------------------
def _laplacian_3d(check: Checker, rng: np.random.Generator) -> None:
    n = 100
    check.heading(f"4. The seeds' hard exercise: L₃ = L⊕L⊕L on a {n}³ grid (N = 10⁶)")
    lap = _second_difference(n)
    l3 = kb.kronsum(lap, lap, lap)
    big_n = l3.shape[0]
    f = rng.normal(size=big_n)
    check.say(f"  {l3!r}: three 100×100 factors, 240 kB")

    start = time.perf_counter()
    u_direct = kb.solve(l3, f)
    t_direct = time.perf_counter() - start
    start = time.perf_counter()
    l3 @ f
    t_matvec = time.perf_counter() - start
    start = time.perf_counter()
    result = kb.solvers.CG(rtol=1e-10, maxiter=5000).solve(l3, f)
    t_cg = time.perf_counter() - start
    check.say(f"  structured direct solve (factor eigh + 2 Kronecker products): {t_direct:.3f} s")
    check.say(f"  one matvec L₃ @ f: {t_matvec:.3f} s; the direct solve = "
              f"{t_direct / t_matvec:.1f} matvecs")  # fmt: skip
    check.say(
        f"  CG from kronblock.solvers: {t_cg:.2f} s, {result.iterations} iterations, "
        f"relative residual {result.rtol_reached:.1e}"
    )
    norm_f = np.linalg.norm(f)
    check.below("direct: ‖L₃u − f‖ / ‖f‖", np.linalg.norm(l3 @ u_direct - f) / norm_f, 1e-10)
    check.below("CG: ‖L₃u − f‖ / ‖f‖", np.linalg.norm(l3 @ result.x - f) / norm_f, 1e-9)
    diff = np.linalg.norm(result.x - u_direct) / np.linalg.norm(u_direct)
    check.below("direct and CG agree: ‖u_cg − u_direct‖ / ‖u_direct‖", diff, 1e-6)
    flops = 2 / 3 * big_n**3
    seconds = flops / DENSE_FLOPS
    check.say("  The dense way (assuming a sustained 100 GFLOP/s): the matrix is 8·N² bytes =")
    check.say(
        f"  {8 * big_n**2 / 1e12:.0f} TB, its LU (2/3)·N³ = {flops:.1e} flops ≈ "
        f"{seconds / 86400:.0f} days; sparse LU of the 7-point stencil fills in to O(N^(4/3))."
    )
