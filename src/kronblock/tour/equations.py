"""Chapter "equations": matrix equations, separable filters, Kronecker regression.

Four sections:

1. Sylvester and Lyapunov equations: the seeds' 3×3 example ``AX + XB = C``
   (which they solve through the dense 9×9 Kronecker system), then the same at
   n = 2000 by Bartels–Stewart, beside the projected cost of the dense
   ``n² × n²`` way; Lyapunov, Stein, and a singular equation refused;
2. separable filters: the seeds' 25×25 experiment (``H ⊗ H`` applied to the
   image) in its three filter types, saved as a PNG, equal to
   ``scipy.ndimage``; the same on a 2000×2000 image; a 2-D kernel split into
   separable terms; exact Tikhonov deblurring through the factor SVDs;
3. the nearest Kronecker product of a sum ``A₁⊗B₁ + A₂⊗B₂`` (Van Loan–Pitsianis);
4. the seeds' mini project, regression on a grid: the one-hot design with rows
   ``e_xᵀ ⊗ e_yᵀ`` solved by least squares through its structure (cell
   means), the separable low-rank model by alternating least squares, and the
   exercise ``min ‖(A⊗B) vec(X) − vec(C)‖`` through the factor pseudo-inverses.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import scipy.linalg

import kronblock as kb
from kronblock.filters import (
    filter_operator,
    separable_decomposition,
    separable_filter,
    tikhonov_deblur,
)

from ._check import Checker
from .kronecker import SEED_FILTERS, conv_matrix_1d

__all__ = ["DESCRIPTION", "run"]

DESCRIPTION = "Sylvester/Lyapunov equations, separable filters, Kronecker regression"

#: Assumed dense throughput for the projected cost of the dense way, in flop/s.
DENSE_FLOPS = 100e9

#: Order of the large Sylvester example (``KRONBLOCK_TOUR_SMALL=1`` shrinks it for tests).
SYLVESTER_N = 2000


def run(check: Checker) -> None:
    """Run the chapter, printing each step and checking it against NumPy/SciPy."""
    rng = np.random.default_rng(7)
    _sylvester(check, rng)
    _filters(check, rng)
    _nearest_kronecker(check, rng)
    _regression(check, rng)


def _small() -> bool:
    return os.environ.get("KRONBLOCK_TOUR_SMALL", "") not in ("", "0")


def _seed_vec(x: np.ndarray) -> np.ndarray:
    """The seeds' ``vec``: columns stacked (``X.T.flatten()``)."""
    return x.T.flatten()


# ---- 1. Sylvester and Lyapunov --------------------------------------------------------------
def _sylvester(check: Checker, rng: np.random.Generator) -> None:
    check.heading("1. Matrix equations: AX + XB = C without the n² × n² system")
    a, b, x0, c = (rng.normal(0, 1, (3, 3)) for _ in range(4))
    check.close(
        "vec identity: vec(AXB) = (Bᵀ⊗A) vec(X) (column-major vec)",
        kb.vec(a @ x0 @ b),
        kb.kron(b.T, a) @ kb.vec(x0),
    )
    # the seeds' way: (I⊗A + Bᵀ⊗I) vec(X) = vec(C), a dense 9×9 solve
    big = np.kron(np.eye(3), a) + np.kron(b.T, np.eye(3))
    x_seed = np.linalg.solve(big, _seed_vec(c)).reshape(3, 3).T
    x = kb.solve_sylvester(a, b, c)
    resid = float(np.linalg.norm(a @ x + x @ b - c))
    check.say(f"  seeds' example: Sylvester residual ‖AX + XB − C‖ = {resid:.2e}")
    check.below("Sylvester residual, 3×3", resid, 1e-13)
    check.close("kb.solve_sylvester = the seeds' dense Kronecker solve", x, x_seed, tol=1e-12)
    check.close("= scipy.linalg.solve_sylvester", x, scipy.linalg.solve_sylvester(a, b, c))
    check.close(
        "one fact: kb.solve(kb.kronsum(A, B), C.ravel()) = solve_sylvester(A, Bᵀ, C).ravel()",
        kb.solve(kb.kronsum(a, b), c.ravel()),
        kb.solve_sylvester(a, b.T, c).ravel(),
        tol=1e-10,
    )

    n = 300 if _small() else SYLVESTER_N
    a = rng.normal(size=(n, n)) / np.sqrt(n) + 2 * np.eye(n)  # non-normal
    b = rng.normal(size=(n, n)) / np.sqrt(n) + 2 * np.eye(n)
    c = rng.normal(size=(n, n))
    start = time.perf_counter()
    x = kb.solve_sylvester(a, b, c)
    seconds = time.perf_counter() - start
    resid = float(np.linalg.norm(a @ x + x @ b - c) / np.linalg.norm(c))
    unknowns = n * n
    dense_bytes = 8.0 * unknowns**2
    dense_days = (2 / 3) * float(unknowns) ** 3 / DENSE_FLOPS / 86400
    dense_time = f"{dense_days / 365:,.1f} years" if dense_days > 365 else f"{dense_days:,.1f} days"
    check.say(
        f"  n = {n}: {unknowns:,} unknowns solved in {seconds:.2f} s (Bartels–Stewart: two "
        f"real Schur forms side by side, recursive blocked triangular solve)"
    )
    check.say(
        f"  the dense way: a {unknowns:,} × {unknowns:,} matrix ({dense_bytes / 1e12:,.0f} TB) "
        f"and an LU of {(2 / 3) * float(unknowns) ** 3:.1e} flops, about {dense_time} "
        f"at {DENSE_FLOPS / 1e9:.0f} Gflop/s"
    )
    check.below(f"relative residual ‖AX + XB − C‖/‖C‖ at n = {n}", resid, 1e-10)

    q = rng.normal(size=(6, 6))
    q = q @ q.T
    stable = rng.normal(size=(6, 6)) - 4 * np.eye(6)
    check.close(
        "continuous Lyapunov AX + XAᵀ = Q = scipy.linalg.solve_continuous_lyapunov",
        kb.solve_continuous_lyapunov(stable, q),
        scipy.linalg.solve_continuous_lyapunov(stable, q),
        tol=1e-10,
    )
    contraction = rng.normal(size=(6, 6)) / 6
    check.close(
        "Stein AXAᵀ − X + Q = 0 = scipy.linalg.solve_discrete_lyapunov",
        kb.solve_discrete_lyapunov(contraction, q),
        scipy.linalg.solve_discrete_lyapunov(contraction, q),
        tol=1e-10,
    )
    a1, a2 = rng.normal(size=(5, 5)) + 3 * np.eye(5), rng.normal(size=(5, 5))
    b1, b2 = rng.normal(size=(4, 4)) + 3 * np.eye(4), rng.normal(size=(4, 4))
    c = rng.normal(size=(5, 4))
    gen = kb.solve_generalized_sylvester([a1, a2], [b1, b2], c)
    dense = np.kron(a1, b1.T) + np.kron(a2, b2.T)  # row-major vec
    check.close(
        f"generalized A₁XB₁ + A₂XB₂ = C ({gen.method}) = dense Kronecker solve",
        gen.x,
        np.linalg.solve(dense, c.ravel()).reshape(5, 4),
        tol=1e-10,
    )
    # A has eigenvalue 2, B has −2: A ⊗ I + I ⊗ Bᵀ is singular
    sa, sb = np.array([[2.0, 1.0], [0.0, 5.0]]), np.array([[-2.0, 0.0], [1.0, 1.0]])
    try:
        kb.solve_sylvester(sa, sb, np.ones((2, 2)))
        refused = ""
    except kb.LinAlgError as exc:
        refused = str(exc)
    check.say(f"  singular equation: {refused[:110]}…")
    check.that("a singular Sylvester equation raises LinAlgError", bool(refused))


# ---- 2. separable filters ------------------------------------------------------------------------
def _filters(check: Checker, rng: np.random.Generator) -> None:
    import scipy.ndimage as ndi

    check.heading("2. Separable filters: (H_row ⊗ H_col) vec(image) without H_row ⊗ H_col")
    n_img = 25
    image = rng.normal(0, 1, (n_img, n_img))
    filtered = {}
    for name, h in SEED_FILTERS.items():
        seed_way = (np.kron(conv_matrix_1d(h, n_img), conv_matrix_1d(h, n_img))
                    @ image.flatten()).reshape(n_img, n_img)  # fmt: skip
        # the seeds' matrix is a correlation with zero padding (correlate=True, constant)
        op = filter_operator(image.shape, [h, h], mode="constant", correlate=True)
        out = separable_filter(image, [h, h], mode="constant", correlate=True)
        filtered[name] = out
        check.close(f"{name}: kb filter_operator @ vec(image) = seeds' np.kron(H, H) @ vec",
                    (op @ image.ravel()).reshape(n_img, n_img), seed_way)  # fmt: skip
        reference = ndi.correlate1d(ndi.correlate1d(image, h, 0, mode="constant"), h, 1,
                                    mode="constant")  # fmt: skip
        check.close(f"{name}: separable_filter = scipy.ndimage.correlate1d on both axes",
                    out, reference)  # fmt: skip
    edge = SEED_FILTERS["edge"]
    check.close(
        "edge: convolution (the default, correlate=False) = −correlation along one axis",
        separable_filter(image, [edge, None], mode="constant"),
        -separable_filter(image, [edge, None], mode="constant", correlate=True),
    )
    _save_png(check, image, filtered)

    side = 500 if _small() else 2000
    big = rng.normal(size=(side, side))
    h = SEED_FILTERS["smooth"]
    start = time.perf_counter()
    out = separable_filter(big, [h, h])  # mode="reflect", scipy.ndimage's default
    ours = time.perf_counter() - start
    start = time.perf_counter()
    reference = ndi.convolve1d(ndi.convolve1d(big, h, axis=0), h, axis=1)
    theirs = time.perf_counter() - start
    check.say(
        f"  {side}×{side} image: separable_filter {ours * 1e3:.0f} ms, scipy.ndimage along both "
        f"axes {theirs * 1e3:.0f} ms; H⊗H would be {side * side:,}² "
        f"({8.0 * side**4 / 1e12:,.0f} TB dense)"
    )
    check.close(f"{side}×{side}: separable_filter = scipy.ndimage.convolve1d ×2", out, reference)

    # a 2-D kernel as a sum of separable terms: a difference of Gaussians has rank 2
    t = np.arange(-6, 7)
    g1, g2 = np.exp(-(t**2) / 4.0), np.exp(-(t**2) / 16.0)
    dog = np.outer(g1, g1) / g1.sum() ** 2 - np.outer(g2, g2) / g2.sum() ** 2
    dec = separable_decomposition(dog, tol=1e-12)
    check.that(f"difference of Gaussians (13×13) splits into {dec.rank} separable terms",
               dec.rank == 2, f"relative error {dec.relative_error:.1e}")  # fmt: skip
    small = rng.normal(size=(60, 50))
    check.close("Σ_r separable_filter(uᵣ, vᵣ) = scipy.ndimage.convolve(image, kernel2d), wrap",
                dec.filter(small, mode="wrap"), ndi.convolve(small, dog, mode="wrap"))  # fmt: skip

    # deblurring: min ‖(H⊗H)x − y‖² + λ‖x‖², exactly through the factor SVDs
    g = np.exp(-(np.arange(-3, 4) ** 2) / 2.0)
    g /= g.sum()
    sharp = rng.random((30, 24))
    blurred = separable_filter(sharp, [g, g], mode="nearest")
    noisy = blurred + 1e-3 * rng.normal(size=blurred.shape)
    lam = 1e-3
    x = tikhonov_deblur(noisy, [g, g], lam, mode="nearest")
    h_big = filter_operator(sharp.shape, [g, g], mode="nearest").to_dense()
    dense = np.linalg.solve(h_big.T @ h_big + lam * np.eye(h_big.shape[1]), h_big.T @ noisy.ravel())
    check.close("Tikhonov deblur through the factor SVDs = dense normal equations",
                x.ravel(), dense, tol=1e-10)  # fmt: skip
    errors = [float(np.linalg.norm(tikhonov_deblur(noisy, [g, g], lam_i, mode="nearest") - sharp))
              for lam_i in (1e-6, 1e-3, 1e-1)]  # fmt: skip
    check.say(
        f"  ‖x_λ − sharp‖ for λ = 1e-6, 1e-3, 1e-1: {errors[0]:.3f}, {errors[1]:.3f}, "
        f"{errors[2]:.3f} (blurred: {np.linalg.norm(noisy - sharp):.3f})"
    )


def _save_png(check: Checker, image: np.ndarray, filtered: dict[str, np.ndarray]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        check.say("  (matplotlib is not installed: no picture; pip install 'kronblock[tour]')")
        return
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.6))
    axes[0].imshow(image, cmap="gray")
    axes[0].set_title("original")
    for ax, (name, out) in zip(axes[1:], filtered.items()):
        ax.imshow(out, cmap="gray")
        ax.set_title(f"{name}: H ⊗ H, never formed")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    path = output_dir() / "separable_filters.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    check.that("the three filtered images saved as a PNG", path.stat().st_size > 0, str(path))


# ---- 3. nearest Kronecker product -------------------------------------------------------------
def _nearest_kronecker(check: Checker, rng: np.random.Generator) -> None:
    check.heading("3. The nearest Kronecker product (Van Loan–Pitsianis)")
    a1, a2 = rng.normal(size=(30, 30)), rng.normal(size=(30, 30))
    b1, b2 = rng.normal(size=(40, 40)), rng.normal(size=(40, 40))
    s = kb.kron(a1, b1) + 0.1 * kb.kron(a2, b2)  # 1200 × 1200, never formed
    approx = kb.nearest_kronecker(s, (30, 30), (40, 40))
    dense = np.kron(a1, b1) + 0.1 * np.kron(a2, b2)
    a, b = approx.factors[0]
    true_error = float(np.linalg.norm(dense - np.kron(a, b)))
    check.say(
        f"  A₁⊗B₁ + 0.1·A₂⊗B₂ ≈ A⊗B: relative error {approx.relative_error:.3f} "
        f"({approx.method}, from the factors)"
    )
    check.close("reported error = ‖M − A⊗B‖_F formed densely", approx.error, true_error, tol=1e-9)
    rearranged = dense.reshape(30, 40, 30, 40).transpose(0, 2, 1, 3).reshape(900, 1600)
    sv = np.linalg.svd(rearranged, compute_uv=False)
    check.close(
        "error = √(σ₂² + σ₃² + …) of the rearranged matrix (optimal)",
        approx.error,
        float(np.sqrt(np.sum(sv[1:] ** 2))),
        tol=1e-9,
    )
    exact = kb.nearest_kronecker(s, (30, 30), (40, 40), rank=2)
    check.below("Kronecker rank 2 reproduces the sum: relative error", exact.relative_error, 1e-12)


# ---- 4. the mini project: regression on a grid ------------------------------------------------
def _regression(check: Checker, rng: np.random.Generator) -> None:
    check.heading("4. Mini project: separable regression on a 12 × 10 grid")
    nx, ny, n_obs = 12, 10, 150
    a_true = np.sin(np.linspace(0, np.pi, nx))
    b_true = np.cos(np.linspace(0, np.pi, ny))
    f_true = np.outer(a_true, b_true)
    obs_x = rng.integers(0, nx, n_obs)
    obs_y = rng.integers(0, ny, n_obs)
    y_obs = f_true[obs_x, obs_y] + 0.05 * rng.normal(0, 1, n_obs)

    design = kb.sampled_kron([kb.identity(nx), kb.identity(ny)], [obs_x, obs_y])
    dense_design = np.zeros((n_obs, nx * ny))
    dense_design[np.arange(n_obs), obs_x * ny + obs_y] = 1.0  # the seeds' loop
    check.close(
        "design rows e_xᵀ ⊗ e_yᵀ = the seeds' dense design", design.to_dense(), dense_design
    )
    f_cells, _, rank, _ = kb.lstsq(design, y_obs)
    check.close(
        "lstsq through the structure (cell means) = dense np.linalg.lstsq (minimum norm)",
        f_cells,
        np.linalg.lstsq(dense_design, y_obs, rcond=None)[0],
        tol=1e-12,
    )
    observed = rank
    err_cells = float(np.linalg.norm(f_cells.reshape(nx, ny) - f_true))
    fit = kb.regression.fit_separable(obs_x, obs_y, y_obs, (nx, ny), rank=1)
    err_sep = float(np.linalg.norm(fit.matrix() - f_true))
    check.say(
        f"  {observed} of {nx * ny} cells observed; ‖F̂ − F‖_F: per-cell least squares "
        f"{err_cells:.4f} (unobserved cells stay 0), separable rank-1 fit by ALS "
        f"{err_sep:.4f} ({fit.iterations} sweeps)"
    )
    check.that(
        "the separable model beats the per-cell fit",
        err_sep < err_cells,
        f"{err_sep:.4f} < {err_cells:.4f}",
    )

    # Medium 2: min ‖(A⊗B) vec(X) − vec(C)‖ through the factor pseudo-inverses
    a, b = rng.normal(size=(8, 5)), rng.normal(size=(7, 4))
    c = rng.normal(size=(8, 7))
    x = kb.lstsq(kb.kron(a, b), c.ravel())[0].reshape(5, 4)
    check.close(
        "min ‖(A⊗B) vec(X) − vec(C)‖: X = A⁺ C (B⁺)ᵀ = dense lstsq",
        x,
        np.linalg.lstsq(np.kron(a, b), c.ravel(), rcond=None)[0].reshape(5, 4),
        tol=1e-10,
    )
    check.close("… = pinv(A) C pinv(B)ᵀ", x, np.linalg.pinv(a) @ c @ np.linalg.pinv(b).T, tol=1e-10)


def output_dir() -> Path:
    """Where the chapter writes its pictures (``KRONBLOCK_TOUR_OUT``, default the cwd)."""
    return Path(os.environ.get("KRONBLOCK_TOUR_OUT", "."))
