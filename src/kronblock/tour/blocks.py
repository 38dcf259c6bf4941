"""Chapter "blocks": block matrices, from the seed's example to block-Toeplitz covariances.

Four sections:

1. the seed's block matrix ``[[A11, 0], [0, A22]]`` through ``kb.block`` and
   ``kb.block_diag``, integers exactly;
2. a multi-task covariance in blocks ``[[K₁₁, K₁₂], [K₂₁, K₂₂]]`` with
   Kronecker diagonal blocks, solved through the Schur complement, and a
   saddle-point (KKT) system;
3. block-diagonal systems: many small blocks stored as one stack, solved in
   one batched call;
4. a block-Toeplitz sequence covariance (a stationary 2-channel process,
   10⁵ time steps, N = 2·10⁵: 320 GB dense), solved by PCG with a
   block-circulant preconditioner, and a periodic 2-D deconvolution through
   a two-level block-circulant (BCCB) matrix.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.linalg

import kronblock as kb

from ._check import Checker

__all__ = ["DESCRIPTION", "run"]

DESCRIPTION = "block matrices: Schur complements, block-diagonal, block-Toeplitz at N = 2·10⁵"

TOL = 1e-10


def run(check: Checker) -> None:
    """Run the chapter, printing each step and checking it against NumPy/SciPy."""
    rng = np.random.default_rng(11)
    _seed_block(check)
    _multitask(check, rng)
    _block_diagonal(check, rng)
    _sequences(check, rng)


def _spd(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.normal(size=(n, n))
    return a @ a.T / n + np.eye(n)


# ---- 1. the seed's block matrix ---------------------------------------------------------
def _seed_block(check: Checker) -> None:
    check.heading("1. The seed's block matrix, through kb.block")
    a11 = np.array([[1, 2], [3, 4]])
    a22 = np.array([[5, 6], [7, 8]])
    reference = np.block([[a11, np.zeros((2, 2))], [np.zeros((2, 2)), a22]])
    m = kb.block([[a11, 0], [0, a22]])  # zero blocks cost nothing
    check.say(f"  kb.block([[A11, 0], [0, A22]]) = {m!r}")
    check.show("block matrix", m.to_dense())
    check.exact("kb.block = np.block of the seed, integers", m.to_dense(), reference)
    check.exact("kb.block_diag(A11, A22) = the same", kb.block_diag(a11, a22).to_dense(), reference)
    check.close(
        "solve through the blocks: x = [A11⁻¹ b₁; A22⁻¹ b₂]", kb.solve(m, np.arange(4.0)),
        np.linalg.solve(reference, np.arange(4.0)),
    )  # fmt: skip
    check.close("det = det(A11)·det(A22)", kb.det(m), np.linalg.det(reference))


# ---- 2. a multi-task covariance in blocks -------------------------------------------------
def _multitask(check: Checker, rng: np.random.Generator) -> None:
    check.heading("2. A multi-task covariance in blocks, solved through the Schur complement")
    check.say("Two tasks observed on a 40 × 30 grid: each task's covariance is K_t ⊗ K_s")
    check.say("(1200 × 1200, kept as a Kronecker product), the cross-covariance a dense block;")
    check.say("the Schur complement is formed densely at its own block size only.")
    k1 = kb.kron(_spd(rng, 40), _spd(rng, 30))
    k2 = kb.kron(_spd(rng, 40), _spd(rng, 30))
    cross = rng.normal(size=(1200, 1200)) * 0.01
    cov = kb.block([[k1, cross], [cross.T, k2]])
    dense = cov.to_dense()
    y = rng.normal(size=2400)
    start = time.perf_counter()
    f = kb.factorize(cov)
    assert isinstance(f, kb.BlockFactorization)
    x = f.solve(y)
    t_block = time.perf_counter() - start
    start = time.perf_counter()
    x_ref = np.linalg.solve(dense, y)
    t_dense = time.perf_counter() - start
    check.say(
        f"  pivot block {f.pivot} ({type(f.fp).__name__}), Schur complement "
        f"{type(f.fs).__name__}: {t_block * 1e3:.1f} ms; dense LU: {t_dense * 1e3:.1f} ms"
    )
    check.close("Σ⁻¹ y through the Schur complement = np.linalg.solve", x, x_ref, tol=TOL)
    check.close("log det Σ = log det K₁ + log det S", f.logdet(), np.linalg.slogdet(dense)[1])

    check.say()
    check.say("A saddle-point (KKT) system [[A, Bᵀ], [B, 0]]: minimise ½xᵀAx − fᵀx subject to")
    check.say("B x = g, with A = K_t ⊗ K_s (1200 × 1200) and 10 constraints.")
    bmat = rng.normal(size=(10, 1200))
    kkt = kb.block([[k1, bmat.T], [bmat, 0]])
    rhs = rng.normal(size=1210)
    sol = kb.solve(kkt, rhs)
    ref = np.linalg.solve(kkt.to_dense(), rhs)
    check.close("KKT solve = np.linalg.solve", sol, ref, tol=TOL)
    check.below(
        "the constraints hold: ‖B x − g‖", np.linalg.norm(bmat @ sol[:1200] - rhs[1200:]), 1e-9
    )
    sign, _ = kb.slogdet(kkt)
    check.exact("inertia: det sign = (−1)^10 (1200 positive, 10 negative)", float(sign), 1.0)


# ---- 3. block-diagonal systems ---------------------------------------------------------
def _block_diagonal(check: Checker, rng: np.random.Generator) -> None:
    check.heading("3. Block-diagonal: 500 blocks of 20 × 20 as one stack")
    blocks = [_spd(rng, 20) for _ in range(500)]
    d = kb.block_diag(*blocks)
    b = rng.normal(size=(10000, 8))
    start = time.perf_counter()
    x = kb.solve(d, b)
    t_kb = time.perf_counter() - start
    start = time.perf_counter()
    x_ref = np.concatenate(
        [np.linalg.solve(blk, b[20 * i : 20 * i + 20]) for i, blk in enumerate(blocks)]
    )
    t_loop = time.perf_counter() - start
    check.say(
        f"  kb.solve: {t_kb * 1e3:.1f} ms (one batched call); a Python loop of 500 "
        f"np.linalg.solve: {t_loop * 1e3:.1f} ms; the dense 10000² matrix would be 800 MB"
    )
    check.close("block-diagonal solve = block by block", x, x_ref, tol=TOL)
    ref_logdet = sum(np.linalg.slogdet(blk)[1] for blk in blocks)
    check.close("logdet = Σ logdet(blocks)", kb.logdet(d), ref_logdet, tol=TOL)
    seen = kb.as_block_diagonal(kb.kron(kb.identity(500), blocks[0]))
    check.that("kron(I₅₀₀, A) is recognised as block-diagonal", seen is not None, repr(seen))
    if seen is not None:
        check.close(
            "… with A on its diagonal", seen.to_dense()[:40, :40],
            scipy.linalg.block_diag(blocks[0], blocks[0]),
        )  # fmt: skip


# ---- 4. sequences: block Toeplitz and block circulant -------------------------------------------
def _sequences(check: Checker, rng: np.random.Generator) -> None:
    p = 100_000
    check.heading(f"4. A block-Toeplitz sequence covariance: 2 channels × {p} steps")
    lags = np.arange(p)
    decay = np.exp(-lags / 50.0) * np.cos(lags / 7.0)  # a damped oscillation
    c = np.empty((p, 2, 2))
    c[:, 0, 0], c[:, 1, 1] = decay, 0.5 * decay
    c[:, 0, 1] = c[:, 1, 0] = 0.3 * decay
    c[0] += 0.1 * np.eye(2)  # observation noise
    t = kb.block_toeplitz(c)
    n = t.shape[0]
    check.say(f"  {t!r}: the dense matrix would be {8 * n * n / 1e9:.0f} GB")
    y = rng.normal(size=n)
    f = kb.BlockToeplitzSolver(t)  # what kb.factorize(t) returns
    start = time.perf_counter()
    x = f.solve(y)
    t_solve = time.perf_counter() - start
    res = f.last_result
    check.say(
        f"  {res.method} with T. Chan's block-circulant preconditioner: {res.iterations} "
        f"iterations, {t_solve:.2f} s, relative residual {res.rtol_reached:.1e}"
    )
    check.that("converged", res.converged, f"{res.iterations} iterations")
    check.below("‖T x − y‖ / ‖y‖", np.linalg.norm(t @ x - y) / np.linalg.norm(y), 1e-10)
    small = kb.block_toeplitz(c[:300])
    check.close(
        "the same solver at 300 steps = np.linalg.solve", kb.solve(small, y[:600]),
        np.linalg.solve(small.to_dense(), y[:600]), tol=1e-9,
    )  # fmt: skip

    check.say()
    check.say("A periodic 2-D blur is a two-level block-circulant (BCCB) matrix: deblurring a")
    check.say("256 × 256 image is 65536 independent divisions in Fourier space.")
    img = rng.normal(size=(256, 256))
    kernel = np.zeros((256, 256))
    kernel[:3, :3] = np.array([[4.0, 2.0, 1.0], [2.0, 1.0, 0.5], [1.0, 0.5, 0.25]]) / 12.25
    kernel[0, 0] += 0.5  # well conditioned
    blur = kb.block_circulant(kernel, levels=2)
    blurred = blur @ img.ravel()
    start = time.perf_counter()
    restored = kb.solve(blur, blurred)
    t_bccb = time.perf_counter() - start
    check.say(f"  kb.solve(BCCB 65536², blurred): {t_bccb * 1e3:.1f} ms")
    check.close("deblurred image = the original", restored, img.ravel(), tol=1e-9)
