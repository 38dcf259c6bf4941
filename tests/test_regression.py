"""Kronecker-factored regression: the separable model, the per-cell model, the seed's Medium 2."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kronblock as kb
from kronblock.operators._sampled_kronecker import sampled_kron
from kronblock.regression import SeparableFit, fit_separable

NX, NY, N_OBS = 12, 10, 150  # the seed's mini project


def seed_data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    f_true = np.outer(np.sin(np.linspace(0, np.pi, NX)), np.cos(np.linspace(0, np.pi, NY)))
    x, y = rng.integers(0, NX, N_OBS), rng.integers(0, NY, N_OBS)
    v = f_true[x, y] + 0.05 * rng.normal(0, 1, N_OBS)
    return f_true, x, y, v


def cell_means(x: np.ndarray, y: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The seed's estimator: lstsq with the one-hot design ``e_x ⊗ e_y`` (kept lazy)."""
    design = sampled_kron([kb.identity(NX), kb.identity(NY)], [x, y])
    return kb.lstsq(design, v)[0].reshape(NX, NY)


@pytest.mark.parametrize("seed", range(5))
def test_separable_fit_beats_cell_means_on_the_seeds_problem(seed: int) -> None:
    f_true, x, y, v = seed_data(seed)
    fit = fit_separable(x, y, v, (NX, NY), rank=1)
    assert fit.converged
    err = np.linalg.norm(fit.matrix() - f_true)
    base = np.linalg.norm(cell_means(x, y, v) - f_true)
    # unobserved cells (about 30 of 120) cost the cell means ~|F| each; the rank-1 model
    # fills them from its row and column factors
    assert np.unique(x * NY + y).size < NX * NY
    assert err < 0.2 * base
    assert err < 0.4


@given(
    nx=st.integers(1, 8),
    ny=st.integers(1, 8),
    seed=st.integers(0, 2**31 - 1),
    data=st.data(),
)
def test_exact_low_rank_recovery(nx: int, ny: int, seed: int, data: Any) -> None:
    rank = data.draw(st.integers(1, min(nx, ny)), label="rank")
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(nx, rank)) @ rng.normal(size=(rank, ny))
    gx, gy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    extra = rng.integers(0, nx * ny, data.draw(st.integers(0, 10), label="repeats"))
    cells = rng.permutation(np.concatenate([np.arange(nx * ny), extra]))
    x, y = gx.ravel()[cells], gy.ravel()[cells]
    fit = fit_separable(x, y, f[x, y], (nx, ny), rank=rank, seed=seed)
    assert fit.rank == rank
    assert np.linalg.norm(fit.matrix() - f) <= 1e-8 * max(np.linalg.norm(f), 1.0)
    np.testing.assert_allclose(fit.predict(x, y), f[x, y], atol=1e-8 * max(np.abs(f).max(), 1))


def test_history_decreases_and_result_fields() -> None:
    _, x, y, v = seed_data(11)
    fit = fit_separable(x, y, v, (NX, NY), rank=2, ridge=1e-3, maxiter=300)
    assert isinstance(fit, SeparableFit)
    h = np.array(fit.history)
    assert np.all(np.diff(h) <= 1e-12 * h[:-1])  # ALS never increases f
    assert fit.objective == h[-1] and fit.iterations == h.size
    resid = fit.predict(x, y) - v
    assert fit.residual_norm == pytest.approx(np.linalg.norm(resid))
    # columns balanced: ‖a_r‖ = ‖b_r‖
    np.testing.assert_allclose(
        np.linalg.norm(fit.left, axis=0), np.linalg.norm(fit.right, axis=0), rtol=1e-10
    )


def test_ridge_shrinks_and_zeroes_unobserved_lines() -> None:
    _, x, y, v = seed_data(3)
    keep = x != 5  # grid row 5 never observed
    x, y, v = x[keep], y[keep], v[keep]
    norms = []
    for ridge in (0.0, 0.1, 1.0, 10.0):
        fit = fit_separable(x, y, v, (NX, NY), ridge=ridge)
        assert np.all(fit.matrix()[5] == 0.0)  # no information: F̂ is 0 there
        norms.append(np.linalg.norm(fit.matrix()))
    assert all(a > b for a, b in itertools.pairwise(norms))  # a nuclear-norm penalty shrinks


def test_float32_values_give_float32_factors_and_inputs_untouched() -> None:
    _, x, y, v = seed_data(4)
    v32 = v.astype(np.float32)
    keep = (x.copy(), y.copy(), v32.copy())
    fit = fit_separable(x, y, v32, (NX, NY))
    assert fit.left.dtype == np.float32 and fit.matrix().dtype == np.float32
    for a, b in zip((x, y, v32), keep):
        np.testing.assert_array_equal(a, b)


def test_seed_is_reproducible() -> None:
    _, x, y, v = seed_data(5)
    a = fit_separable(x, y, v, (NX, NY), rank=2, seed=7)
    b = fit_separable(x, y, v, (NX, NY), rank=2, seed=7)
    np.testing.assert_array_equal(a.matrix(), b.matrix())


@pytest.mark.parametrize(
    ("args", "kwargs", "err", "match"),
    [
        (([0, 12], [0, 1], [1.0, 2.0], (12, 10)), {}, ValueError, "index 12, out of range"),
        (([0, 1], [0, -1], [1.0, 2.0], (12, 10)), {}, ValueError, "index -1"),
        (([0, 1], [0], [1.0, 2.0], (12, 10)), {}, ValueError, "lengths 2, 1 and 2"),
        (([0, 1], [0, 1], [1.0, 2.0], (12, 10)), {"rank": 0}, ValueError, "between 1 and"),
        (([0, 1], [0, 1], [1.0, 2.0], (3, 2)), {"rank": 3}, ValueError, r"min\(NX, NY\) = 2"),
        (([0, 1], [0, 1], [1.0, 2.0], (3, 2)), {"rank": 1.5}, TypeError, "rank must be an int"),
        (([0.0, 1.0], [0, 1], [1.0, 2.0], (3, 2)), {}, TypeError, "integers"),
        (([0, 1], [0, 1], [1j, 2.0], (3, 2)), {}, TypeError, "real"),
        (([0, 1], [0, 1], [np.nan, 2.0], (3, 2)), {}, ValueError, "finite"),
        (([0, 1], [0, 1], [1.0, 2.0], (3, 2)), {"ridge": -1.0}, ValueError, "ridge"),
        (([0, 1], [0, 1], [1.0, 2.0], (3, 2)), {"maxiter": 0}, ValueError, "maxiter"),
        (([], [], [], (3, 2)), {}, ValueError, "no observations"),
        (([0], [0], [1.0], 3), {}, ValueError, r"shape must be \(NX, NY\)"),
        (([0], [0], [1.0], (9.5, 7)), {}, TypeError, r"shape must be two ints"),
        (([0, 1], [0, 1], [1.0, 2.0], (3, 2)), {"maxiter": 2.0}, TypeError, "maxiter"),
        (([0, 1], [0, 1], [1.0, 2.0], (3, 2)), {"ridge": "1"}, TypeError, "ridge must be a real"),
    ],
)
def test_errors(
    args: tuple[Any, ...], kwargs: dict[str, Any], err: type[Exception], match: str
) -> None:
    with pytest.raises(err, match=match):
        fit_separable(*args, **kwargs)


# ---- the seed's Medium 2: min ‖(A ⊗ B) vec(X) − vec(C)‖ -------------------------------
def factor(rng: np.random.Generator, m: int, n: int, rank: int) -> np.ndarray:
    """An m × n matrix of the given rank (rank-deficient when rank < min(m, n))."""
    return rng.normal(size=(m, rank)) @ rng.normal(size=(rank, n))


@given(
    m1=st.integers(1, 5),
    n1=st.integers(1, 5),
    m2=st.integers(1, 5),
    n2=st.integers(1, 5),
    seed=st.integers(0, 2**31 - 1),
    data=st.data(),
)
def test_kronecker_least_squares_through_factor_pseudo_inverses(
    m1: int, n1: int, m2: int, n2: int, seed: int, data: Any
) -> None:
    rng = np.random.default_rng(seed)
    r1 = data.draw(st.integers(1, min(m1, n1)), label="rank A")
    r2 = data.draw(st.integers(1, min(m2, n2)), label="rank B")
    a, b = factor(rng, m1, n1, r1), factor(rng, m2, n2, r2)
    c = rng.normal(size=(m1, m2))
    x, res, rank, s = kb.lstsq(kb.kron(a, b), c.ravel())  # no densification: a warning errors
    # row-major vec: (A ⊗ B) X.ravel() = (A X Bᵀ).ravel(), so X = A⁺ C (B⁺)ᵀ
    want = np.linalg.pinv(a) @ c @ np.linalg.pinv(b).T
    scale = max(np.abs(want).max(), 1.0)
    np.testing.assert_allclose(x.reshape(n1, n2), want, atol=1e-8 * scale)
    rx, rres, rrank, rs = np.linalg.lstsq(np.kron(a, b), c.ravel(), rcond=None)
    np.testing.assert_allclose(x, rx, atol=1e-8 * scale)
    assert rank == rrank == r1 * r2
    np.testing.assert_allclose(s, rs, atol=1e-10 * max(rs.max(), 1.0))
    assert res.shape == rres.shape
    np.testing.assert_allclose(res, rres, rtol=1e-8, atol=1e-10)
