"""Chapter "kronecker": the Kronecker product, from the seeds' examples to a 10⁶ × 10⁶ solve.

Four sections:

1. the examples of the seed texts (the block matrix, the Kronecker products
   of the course and the blog, vec, the Sylvester equation, the separable
   filter), run through kronblock and checked against NumPy, integer
   examples exactly;
2. the seed's exercises and mini project;
3. the Kronecker identities (mixed product, transpose, inverse, determinant,
   eigenvalues, vec, trace, norms, Cholesky) on random matrices;
4. one large case, ``kron(A₁, A₂, A₃)`` with three 100 × 100 factors
   (N = 10⁶), solved and its log-determinant taken through the factors.

Kronecker sums (the Sylvester operator ``I ⊗ A + Bᵀ ⊗ I``, Laplacians of
product graphs) have their own chapter, ``kronecker_sum``; a block operator
is not part of kronblock yet, so the seed's block matrix is written here as
a sum of Kronecker products.
"""

from __future__ import annotations

import math
import time
import tracemalloc

import numpy as np
import scipy.linalg

import kronblock as kb

from ._check import Checker

__all__ = ["DESCRIPTION", "SEED_FILTERS", "conv_matrix_1d", "run"]

DESCRIPTION = "the Kronecker product: seed examples, identities, a 10⁶ × 10⁶ solve"

#: Tolerance for results that go through a factorization of small random factors.
TOL = 1e-10


def run(check: Checker) -> None:
    """Run the chapter, printing each step and checking it against NumPy.

    Parameters
    ----------
    check : Checker
        Prints the narration and records failed checks.
    """
    _seed_examples(check)
    _seed_exercises(check)
    _identities(check, np.random.default_rng(2024))
    _large_case(check, np.random.default_rng(7))


# ---- 1. the seeds' examples -------------------------------------------------------
def _seed_examples(check: Checker) -> None:
    check.heading("1. The seeds' examples, through kronblock")

    check.say("The block matrix of the seed, [[A11, 0], [0, A22]], is block diagonal, so it is a")
    check.say("sum of two Kronecker products: diag(1, 0) ⊗ A11 + diag(0, 1) ⊗ A22 (a lazy Sum;")
    check.say("a block operator for general blocks comes in a later chapter).")
    a11 = np.array([[1, 2], [3, 4]])
    a22 = np.array([[5, 6], [7, 8]])
    block = kb.kron(np.diag([1, 0]), a11) + kb.kron(np.diag([0, 1]), a22)
    reference = np.block([[a11, np.zeros((2, 2))], [np.zeros((2, 2)), a22]])
    check.show("diag(1,0)⊗A11 + diag(0,1)⊗A22", block.to_dense())
    check.exact("block diagonal as a Sum of Kroneckers = np.block", block.to_dense(), reference)

    check.say()
    check.say("The seed's Kronecker product, kept lazy: kb.kron(A, B) stores A and B only.")
    a = np.array([[1, 2], [3, 4]])
    b = np.array([[0, 5], [6, 7]])
    k = kb.kron(a, b)
    check.say(f"  {k!r}")
    check.show("A ⊗ B", k.to_dense())
    check.exact("kb.kron(A, B) = np.kron(A, B), integers", k.to_dense(), np.kron(a, b))
    check.that(
        "integer factors give an integer product",
        np.issubdtype(k.to_dense().dtype, np.integer),
        f"dtype {k.to_dense().dtype}",
    )
    x = np.arange(4)
    check.exact("(A ⊗ B) @ x without forming A ⊗ B", k @ x, np.kron(a, b) @ x)

    check.say()
    check.say("The blog's examples, against the results printed in the blog:")
    row = np.array([[1, 2]])
    blog = [
        ("[[1,2],[3,4]] ⊗ [[1,2]]", kb.kron(a, row), [[1, 2, 2, 4], [3, 6, 4, 8]]),
        (
            "[[1,2],[3,4]] ⊗ [[1,2],[3,4]]",
            kb.kron(a, a),
            [[1, 2, 2, 4], [3, 4, 6, 8], [3, 6, 4, 8], [9, 12, 12, 16]],
        ),
        (
            "[[1,2],[3,4]] ⊗ [[5,6],[7,8]]",
            kb.kron(a, a22),
            [[5, 6, 10, 12], [7, 8, 14, 16], [15, 18, 20, 24], [21, 24, 28, 32]],
        ),
        ("I₃ ⊗ [[1,2],[3,4]]", kb.kron(kb.identity(3), a), np.kron(np.eye(3, dtype=int), a)),
        (
            "diag(1,5,10) ⊗ [[1,2],[3,4]]",
            kb.kron(kb.diag(np.array([1, 5, 10])), a),
            [
                [1, 2, 0, 0, 0, 0],
                [3, 4, 0, 0, 0, 0],
                [0, 0, 5, 10, 0, 0],
                [0, 0, 15, 20, 0, 0],
                [0, 0, 0, 0, 10, 20],
                [0, 0, 0, 0, 30, 40],
            ],
        ),
    ]
    for name, op, printed in blog:
        check.exact(f"{name} = the blog's result", op.to_dense(), np.asarray(printed))
    check.show("diag(1,5,10) ⊗ [[1,2],[3,4]]", blog[-1][1].to_dense())

    rng = np.random.default_rng(42)
    check.say()
    check.say("vec stacks columns (kb.vec, order='F'), so vec(A X B) = (Bᵀ ⊗ A) vec(X):")
    av, bv, xv = (rng.normal(size=(3, 3)) for _ in range(3))
    check.exact("kb.vec(X) stacks the columns", kb.vec(xv), xv.T.flatten())
    check.exact("kb.unvec(kb.vec(X), X.shape) = X", kb.unvec(kb.vec(xv), xv.shape), xv)
    check.close(
        "vec(AXB) = (Bᵀ⊗A) vec(X)",
        kb.kron(bv.T, av) @ kb.vec(xv),
        (av @ xv @ bv).flatten(order="F"),
    )
    check.say("NumPy's row-major ravel (order='C') gives (A ⊗ B) X.ravel() = (A X Bᵀ).ravel():")
    check.close(
        "(A⊗B) X.ravel() = (A X Bᵀ).ravel()",
        kb.kron(av, bv) @ kb.vec(xv, order="C"),
        (av @ xv @ bv.T).ravel(),
    )

    check.say()
    check.say("The Sylvester equation A X + X B = C is (I ⊗ A + Bᵀ ⊗ I) vec(X) = vec(C), and")
    check.say("I ⊗ A + Bᵀ ⊗ I is the Kronecker sum kb.kronsum(Bᵀ, A) (= Bᵀ⊗I + I⊗A): kronblock")
    check.say("solves it through Schur forms of A and B (Bartels–Stewart), never forming it.")
    cv = rng.normal(size=(3, 3))
    m = kb.kronsum(bv.T, av)
    x_ref = scipy.linalg.solve_sylvester(av, bv, cv)
    check.close("(I⊗A + Bᵀ⊗I) vec(X) = vec(C), applied lazily", m @ kb.vec(x_ref), kb.vec(cv))
    check.close(
        "kb.kronsum(Bᵀ, A) = I⊗A + Bᵀ⊗I",
        m.to_dense(),
        np.kron(np.eye(3), av) + np.kron(bv.T, np.eye(3)),
    )
    x_vec = kb.solve(m, kb.vec(cv))
    x_syl = kb.unvec(x_vec, (3, 3))
    check.close("Sylvester X = scipy.linalg.solve_sylvester", x_syl, x_ref, tol=TOL)
    residual = np.linalg.norm(av @ x_syl + x_syl @ bv - cv)
    check.below("Sylvester residual ‖AX + XB − C‖", residual, 1e-12)

    check.say()
    check.say("The separable 2-D filter: (H ⊗ H) image.ravel() = (H image Hᵀ).ravel().")
    n_img = 25
    image = rng.normal(size=(n_img, n_img))
    for kind, h in SEED_FILTERS.items():
        hm = conv_matrix_1d(h, n_img)
        h2 = kb.kron(hm, hm)
        got = h2 @ image.ravel()
        check.close(
            f"{kind}: kb.kron(H, H) @ img = np.kron(H, H) @ img",
            got,
            np.kron(hm, hm) @ image.ravel(),
        )
        check.close(f"{kind}: kb.kron(H, H) @ img = H img Hᵀ", got, (hm @ image @ hm.T).ravel())
    check.close(
        "kb.kron_apply(H⊗H, image) keeps the 25×25 shape",
        kb.kron_apply(h2, image),
        hm @ image @ hm.T,
    )
    check.say(
        f"  kb.kron(H, H) stores 2·{n_img}² = {2 * n_img**2} numbers; np.kron(H, H) is "
        f"{n_img**2}×{n_img**2} = {n_img**4} numbers."
    )


#: The seeds' three 1-D filters ("smooth", "edge", "sharpen"), shared with the equations chapter.
SEED_FILTERS = {
    "smooth": np.array([0.25, 0.5, 0.25]),
    "edge": np.array([-1.0, 0.0, 1.0]),
    "sharpen": np.array([-1.0, 5.0, -1.0]),
}


def conv_matrix_1d(h: np.ndarray, n: int) -> np.ndarray:
    """The seed's ``n × n`` matrix of the 1-D filter ``h``, centred, zero-padded at the ends.

    Parameters
    ----------
    h : array (k,)
        Filter taps.
    n : int
        Signal length.

    Returns
    -------
    array (n, n)
    """
    c = np.zeros((n, n))
    pad = len(h) // 2
    for i in range(n):
        for ki, hv in enumerate(h):
            j = i + ki - pad
            if 0 <= j < n:
                c[i, j] = hv
    return c


# ---- 2. the seed's exercises ------------------------------------------------------
def _seed_exercises(check: Checker) -> None:
    check.heading("2. The seed's exercises")
    rng = np.random.default_rng(3)

    check.say("Easy 1: I ⊗ B is block diagonal, B repeated; its inverse is I ⊗ B⁻¹.")
    b = np.array([[1.0, 2.0], [3.0, 4.0]])
    ib = kb.kron(kb.identity(3), b)
    check.exact("I₃ ⊗ B = block_diag(B, B, B)", ib.to_dense(), scipy.linalg.block_diag(b, b, b))
    inv_ib = kb.inv(ib)
    check.say(f"  kb.inv(I₃ ⊗ B) = {inv_ib!r}")
    binv = np.linalg.inv(b)
    check.close(
        "inv(I₃ ⊗ B) = block_diag(B⁻¹, B⁻¹, B⁻¹)",
        inv_ib.to_dense(),
        scipy.linalg.block_diag(binv, binv, binv),
    )

    check.say()
    check.say("Easy 2: for symmetric A and B the eigenvalues of A ⊗ B are the products λᵢμⱼ.")
    s = _symmetric(rng, 4)
    t = _symmetric(rng, 3)
    lam, mu = np.linalg.eigvalsh(s), np.linalg.eigvalsh(t)
    w = kb.eigvalsh(kb.kron(s, t))
    check.close(
        "kb.eigvalsh(A⊗B) = np.linalg.eigvalsh(np.kron(A, B))", w, np.linalg.eigvalsh(np.kron(s, t))
    )
    check.close("kb.eigvalsh(A⊗B) = sorted products λᵢμⱼ", w, np.sort(np.outer(lam, mu).ravel()))

    check.say()
    check.say("Medium 1: a block-diagonal matvec without forming the matrix; with equal-sized")
    check.say("blocks it is Σᵢ eᵢeᵢᵀ ⊗ Aᵢ (general blocks: the block operator, later).")
    blocks = [rng.normal(size=(4, 4)) for _ in range(3)]
    bd: kb.AbstractLinearOperator = kb.kron(np.diag([1.0, 0, 0]), blocks[0])
    for i in (1, 2):
        bd = bd + kb.kron(np.diag(np.eye(3)[i]), blocks[i])
    v = rng.normal(size=12)
    check.close(
        "Σ eᵢeᵢᵀ⊗Aᵢ @ x = block_diag(A₁, A₂, A₃) @ x", bd @ v, scipy.linalg.block_diag(*blocks) @ v
    )

    check.say()
    check.say("Medium 2: min ‖(A ⊗ B) vec(X) − vec(C)‖ with rectangular A (6×3), B (5×4),")
    check.say("through the structured SVD (kb.lstsq); the answer is X = B⁺ C (A⁺)ᵀ.")
    a = rng.normal(size=(6, 3))
    bm = rng.normal(size=(5, 4))
    c = rng.normal(size=(5, 6))
    k = kb.kron(a, bm)
    x, res, rank, sv = kb.lstsq(k, kb.vec(c))
    x_ref, res_ref, rank_ref, sv_ref = np.linalg.lstsq(np.kron(a, bm), kb.vec(c), rcond=None)
    check.close("kb.lstsq x = np.linalg.lstsq x", x, x_ref, tol=TOL)
    check.close("kb.lstsq residual = np.linalg.lstsq residual", res, res_ref, tol=TOL)
    check.exact("kb.lstsq rank = np.linalg.lstsq rank", rank, rank_ref)
    check.close("kb.lstsq singular values = NumPy's", sv, sv_ref)
    x_closed = np.linalg.pinv(bm) @ c @ np.linalg.pinv(a).T
    check.close("unvec(x) = B⁺ C (A⁺)ᵀ", kb.unvec(x, (4, 3)), x_closed, tol=TOL)

    check.say()
    check.say("Mini project: separable regression on a 12 × 10 grid; each design row is e_x ⊗ e_y.")
    nx, ny, n_obs = 12, 10, 150
    f_true = np.outer(np.sin(np.linspace(0, np.pi, nx)), np.cos(np.linspace(0, np.pi, ny)))
    obs_x = rng.integers(0, nx, n_obs)
    obs_y = rng.integers(0, ny, n_obs)
    y_obs = f_true[obs_x, obs_y] + 0.05 * rng.normal(size=n_obs)
    design = np.zeros((n_obs, nx * ny))  # the seed's loop
    for i, (xi, yi) in enumerate(zip(obs_x, obs_y)):
        design[i, xi * ny + yi] = 1.0
    ex, ey = np.eye(nx), np.eye(ny)
    rows = [kb.kron(ex[xi : xi + 1], ey[yi : yi + 1]).to_dense() for xi, yi in zip(obs_x, obs_y)]
    check.exact("rows kb.kron(e_x, e_y) = the seed's design matrix", np.vstack(rows), design)
    f_hat = np.linalg.lstsq(design, y_obs, rcond=None)[0].reshape(nx, ny)
    err = np.linalg.norm(f_hat - f_true, "fro")
    unseen = nx * ny - len(set(zip(obs_x.tolist(), obs_y.tolist())))
    check.say(f"  the seed's fit (np.linalg.lstsq on the dense design): ‖F̂ − F‖_F = {err:.4f};")
    check.say(f"  {unseen} of {nx * ny} grid points have no observation and are estimated as 0.")


def _symmetric(rng: np.random.Generator, n: int) -> np.ndarray:
    q = rng.normal(size=(n, n))
    return q + q.T


def _spd(rng: np.random.Generator, n: int) -> np.ndarray:
    q = rng.normal(size=(n, n))
    return q @ q.T + n * np.eye(n)


def _negative_det(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random non-symmetric, indefinite matrix with a negative determinant."""
    q = rng.normal(size=(n, n)) + np.eye(n)
    if np.linalg.det(q) > 0:
        q[0] = -q[0]
    return q


# ---- 3. the identities on random matrices -------------------------------------------
def _identities(check: Checker, rng: np.random.Generator) -> None:
    check.heading("3. Kronecker identities on random matrices")
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(2, 5))
    c, d = rng.normal(size=(4, 3)), rng.normal(size=(5, 2))
    k = kb.kron(a, b)
    dense = np.kron(a, b)

    prod = kb.kron(a, b) @ kb.kron(c, d)
    check.that(
        "(A⊗B)(C⊗D) is again a Kronecker product",
        isinstance(prod, kb.Kronecker),
        f"got {type(prod).__name__}",
    )
    check.close("mixed product (A⊗B)(C⊗D) = AC⊗BD", prod.to_dense(), np.kron(a @ c, b @ d))
    check.close("transpose (A⊗B)ᵀ = Aᵀ⊗Bᵀ", k.T.to_dense(), dense.T)

    x = rng.normal(size=(4, 5))
    check.close(
        "row-major (A⊗B) X.ravel() = (A X Bᵀ).ravel()", k @ x.ravel(), (a @ x @ b.T).ravel()
    )
    y = rng.normal(size=(5, 4))
    check.close("vec(B Y Aᵀ) = (A⊗B) vec(Y), order 'F'", k @ kb.vec(y), kb.vec(b @ y @ a.T))
    t = rng.normal(size=(4, 5, 2))
    e = rng.normal(size=(3, 2))
    check.close(
        "kron_apply(A⊗B⊗E, T) = T ×₁ A ×₂ B ×₃ E",
        kb.kron_apply(kb.kron(a, b, e), t),
        np.einsum("ai,bj,ck,ijk->abc", a, b, e, t),
    )

    for ord_ in ("fro", 2, "nuc", 1, np.inf):
        check.close(
            f"norm(A⊗B, {ord_!r}) = product of the factors' norms",
            kb.norm(k, ord_),
            np.linalg.norm(dense, ord_),
        )
    check.close(
        "svdvals(A⊗B) = NumPy's, descending", kb.svdvals(k), np.linalg.svd(dense, compute_uv=False)
    )
    check.close("pinv(A⊗B) = A⁺⊗B⁺", kb.pinv(k).to_dense(), np.linalg.pinv(dense), tol=TOL)

    check.say()
    m, p = 4, 3  # rows of A, rows of B
    sa, sb = _negative_det(rng, m), _negative_det(rng, p)
    ks, dense_s = kb.kron(sa, sb), np.kron(sa, sb)
    det_a, det_b = np.linalg.det(sa), np.linalg.det(sb)
    check.say(
        f"  non-symmetric, indefinite factors: det(A) = {det_a:.4f} (m = {m}), "
        f"det(B) = {det_b:.4f} (p = {p})"
    )
    check.close("det(A⊗B) = det(A)^p · det(B)^m", kb.det(ks), det_a**p * det_b**m, tol=TOL)
    check.close(
        "det(A⊗B) = np.linalg.det(np.kron(A, B))", kb.det(ks), np.linalg.det(dense_s), tol=TOL
    )
    sign, logabs = kb.slogdet(ks)
    sign_ref, logabs_ref = np.linalg.slogdet(dense_s)
    check.exact(f"slogdet sign = NumPy's ({float(sign):+.0f})", sign, sign_ref)
    check.close("slogdet log|det| = NumPy's", logabs, logabs_ref, tol=TOL)
    check.close("inverse (A⊗B)⁻¹ = A⁻¹⊗B⁻¹", kb.inv(ks).to_dense(), np.linalg.inv(dense_s), tol=TOL)
    rhs = rng.normal(size=m * p)
    check.close("solve (A⊗B) x = b", kb.solve(ks, rhs), np.linalg.solve(dense_s, rhs), tol=TOL)
    check.close("trace(A⊗B) = trace(A)·trace(B)", kb.trace(ks), np.trace(dense_s))

    w = kb.eigvals(ks)
    w_ref = np.linalg.eigvals(dense_s)
    gap = (
        max(
            np.abs(w[:, None] - w_ref[None, :]).min(axis=1).max(),
            np.abs(w[:, None] - w_ref[None, :]).min(axis=0).max(),
        )
        / np.abs(w_ref).max()
    )
    check.below("eigvals(A⊗B) = products λᵢμⱼ, matched to NumPy's", gap, 1e-10)

    check.say()
    s, u = _spd(rng, 4), _spd(rng, 3)
    kp = kb.kron(s, u)
    dense_p = np.kron(s, u)
    wh, v = kb.eigh(kp)
    check.close(
        "eigh: V diag(w) Vᵀ = A⊗B, V = V_A⊗V_B", (v @ kb.diag(wh) @ v.T).to_dense(), dense_p
    )
    check.close(
        "cholesky(A⊗B) = L_A⊗L_B = np.linalg.cholesky",
        kb.cholesky(kp).to_dense(),
        np.linalg.cholesky(dense_p),
    )
    check.close(
        "logdet(A⊗B) of positive definite factors", kb.logdet(kp), np.linalg.slogdet(dense_p)[1]
    )


# ---- 4. one large case --------------------------------------------------------------
#: Assumed dense throughput for the comparison, in flop/s.
DENSE_FLOPS = 100e9


def _large_case(check: Checker, rng: np.random.Generator) -> None:
    check.heading("4. A large case: K = A₁ ⊗ A₂ ⊗ A₃, three 100 × 100 factors, N = 10⁶")
    n = 100
    factors = [3.0 * np.eye(n) + rng.normal(size=(n, n)) / math.sqrt(n) for _ in range(3)]
    k = kb.kron(*factors)
    big_n = k.shape[0]
    stored = sum(f.nbytes for f in factors)
    check.say(f"  {k!r}")
    check.say(
        f"  kronblock stores 3 × {n}×{n} factors: {stored / 1e3:.0f} kB; "
        f"condition numbers {', '.join(f'{np.linalg.cond(f):.1f}' for f in factors)}"
    )
    b = rng.normal(size=big_n)

    start = time.perf_counter()
    x = kb.solve(k, b)
    t_solve = time.perf_counter() - start
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    kb.solve(k, b)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    extra_mb = (peak - base) / 1e6
    check.say(
        f"  kb.solve(K, b):  {t_solve:.3f} s, peak extra memory {extra_mb:.1f} MB "
        f"(b itself is {b.nbytes / 1e6:.1f} MB)"
    )

    residual = np.linalg.norm(k @ x - b) / np.linalg.norm(b)
    check.below("solve: ‖K x − b‖ / ‖b‖", residual, 1e-10)

    start = time.perf_counter()
    sign, logabs = kb.slogdet(k)
    t_slogdet = time.perf_counter() - start
    check.say(
        f"  kb.slogdet(K):   {t_slogdet:.4f} s → sign {float(sign):+.0f}, "
        f"log|det K| = {float(logabs):.6e}"
    )
    check.say(
        f"  (each N/nᵢ = {big_n // n} is even, so the sign is +1 whatever the factors' signs)"
    )
    parts = [np.linalg.slogdet(f) for f in factors]
    sign_ref = math.prod(float(s) ** (big_n // n) for s, _ in parts)
    logabs_ref = sum((big_n // n) * float(la) for _, la in parts)
    check.exact("slogdet sign = Π sign(det Aᵢ)^(N/nᵢ)", float(sign), sign_ref)
    check.close("slogdet log|det| = Σ (N/nᵢ) log|det Aᵢ|", logabs, logabs_ref)

    dense_bytes = 8 * big_n**2
    flops = 2 / 3 * big_n**3
    seconds = flops / DENSE_FLOPS
    check.say("  The dense way, for comparison (assuming a sustained 100 GFLOP/s):")
    check.say(f"    the matrix alone: 8·N² bytes = {dense_bytes / 1e12:.0f} TB of memory;")
    check.say(
        f"    LU for solve or slogdet: (2/3)·N³ = {flops:.1e} flops ≈ {seconds:.1e} s "
        f"≈ {seconds / 86400:.0f} days."
    )
