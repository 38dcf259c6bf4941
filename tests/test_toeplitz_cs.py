"""The circulant–skew-circulant form of a Toeplitz inverse (``operators/_toeplitz_cs.py``).

The identity ``T⁻¹ = ½[C(g₁)S(Jh₁) + C(g₂)S(Jh₂)]`` is checked against dense
matrices built independently (``scipy.linalg.circulant`` and a skew-circulant
written out entry by entry); the solves that use it against
``scipy.linalg.solve_toeplitz`` and dense solves, adjoint included; and the
accuracy guard: an ill-conditioned matrix, where the form would lose five
digits, is solved by the Gohberg–Semencul formula instead.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, settings
from hypothesis import strategies as st

import kronblock as kb
from kronblock.operators._toeplitz_cs import cs_generators


def skew_circulant(v: np.ndarray) -> np.ndarray:
    n = v.shape[0]
    i, j = np.indices((n, n))
    return np.where(i >= j, v[(i - j) % n], -v[(i - j) % n])


def _toeplitz_pair(rng: np.random.Generator, n: int, symmetric: bool) -> tuple[np.ndarray, ...]:
    col = rng.standard_normal(n) * 0.5 ** np.arange(n)
    col[0] = 3.0
    row = col.copy() if symmetric else rng.standard_normal(n) * 0.5 ** np.arange(n)
    row[0] = col[0]
    return col, row


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 24), symmetric=st.booleans(), seed=st.integers(0, 2**31))
def test_displacement_identity_against_dense(n: int, symmetric: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    col, row = _toeplitz_pair(rng, n, symmetric)
    t = sla.toeplitz(col, row)
    a = np.linalg.inv(t)
    g1, g2, h1, h2 = cs_generators(
        col, row, lambda v: np.linalg.solve(t, v), lambda v: np.linalg.solve(t.T, v)
    )
    z1 = np.roll(np.eye(n), 1, axis=0)  # Z₁: down-shift, wrap-around +1
    zm1 = z1.copy()
    zm1[0, -1] = -1.0  # Z₋₁
    displacement = z1 @ a - a @ zm1
    np.testing.assert_allclose(
        displacement, np.outer(g1, h1) + np.outer(g2, h2), atol=1e-12 * np.abs(a).max()
    )
    form = 0.5 * (
        sla.circulant(g1) @ skew_circulant(h1[::-1]) + sla.circulant(g2) @ skew_circulant(h2[::-1])
    )
    np.testing.assert_allclose(form, a, atol=1e-12 * np.abs(a).max())


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_solves_use_the_form_and_match_scipy(symmetric: bool, dtype: type) -> None:
    rng = np.random.default_rng(1)
    n, k = 400, 37
    col, row = _toeplitz_pair(rng, n, symmetric)
    t = kb.toeplitz(col.astype(dtype), row.astype(dtype))
    f = kb.factorize(t)
    b = rng.standard_normal((n, k)).astype(dtype)
    x, xa = f.solve(b), f.solve(b, adjoint=True)
    assert x.dtype == xa.dtype == dtype
    assert f._plan(np.dtype(dtype), False).cs is not None  # type: ignore[attr-defined]
    assert f._plan(np.dtype(dtype), True).cs is not None  # type: ignore[attr-defined]
    same = f._plan(np.dtype(dtype), True) is f._plan(np.dtype(dtype), False)  # type: ignore[attr-defined]
    assert same == symmetric  # a symmetric T's inverse is its own transpose: one plan
    c64, r64 = col.astype(dtype).astype(np.float64), row.astype(dtype).astype(np.float64)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    b64 = b.astype(np.float64)
    np.testing.assert_allclose(x, sla.solve_toeplitz((c64, r64), b64), rtol=tol, atol=tol)
    np.testing.assert_allclose(xa, sla.solve_toeplitz((r64, c64), b64), rtol=tol, atol=tol)
    np.testing.assert_allclose(f.solve(b[:, 0]), x[:, 0], rtol=tol, atol=tol)


def test_ill_conditioned_matrices_keep_the_gohberg_semencul_formula() -> None:
    # a Gaussian kernel (condition ≈ 5e7): the circulant form's growth is ~1e5 times
    # the Gohberg–Semencul form's, and its residual would be ~2e-4
    n = 300
    col = np.exp(-0.5 * (np.arange(n) / 20.0) ** 2)
    col[0] += 1e-6
    f = kb.factorize(kb.toeplitz(col))
    b = np.random.default_rng(2).standard_normal((n, 20))
    x = f.solve(b)
    plan = f._plan(np.dtype(np.float64), False)  # type: ignore[attr-defined]
    assert plan.cs is None
    residual = np.linalg.norm(sla.toeplitz(col) @ x - b) / np.linalg.norm(b)
    assert residual < 1e-8
