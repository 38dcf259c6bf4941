"""Factories for ``Toeplitz`` and ``Circulant``: hypothesis strategies drawing a :class:`Case`.

Same contract as ``tests/_factories.py``: each case holds ``build(xp)`` (the
kronblock operator in a backend) and ``dense``, a NumPy float64/complex128
reference built independently of kronblock, with ``scipy.linalg.toeplitz``
and ``scipy.linalg.circulant`` from the (dtype-cast) defining vectors.

``cond`` is the reference's actual 2-norm condition number (computed by
NumPy) times ``1 + log₂ n``: FFT-based products and solves round like
``eps·log n``.  The matrices are drawn so that every kind holds by
construction and the Levinson recursion is stable on them (every leading
block well conditioned); breakdowns and the GMRES fallback are tested with
hand-made matrices in ``test_toeplitz.py``.

Kinds
-----
Toeplitz
    SPD: Hermitian positive definite, either ``Σ αₗ ρₗ^|k| e^{iωₗk}`` plus a
    shift (a positive symbol, full band) or a short diagonally dominant band.
    HERMITIAN: such an SPD matrix shifted by ``−β`` where ``β`` lies in the
    widest gap of the spectra of *all* its leading blocks (indefinite,
    every leading block nonsingular), scaled to ``|det| = 1``.  GENERAL:
    non-Hermitian with well-conditioned eigenvalues, ``D H D⁻¹`` for an SPD
    Toeplitz ``H`` and ``D = diag(ρⁱ)`` (full band), or tridiagonal with
    ``b·c > 0`` (see :func:`_general_columns`).  RECT: a rectangular
    Toeplitz matrix of full rank.
Circulant
    Prescribed spectra ``λ = fft(c)``: real ``[1, 3]`` (SPD), ``±[1, 3]``
    (HERMITIAN), complex with ``|λ| ∈ [1, 2]`` (GENERAL; also for RECT, a
    circulant being square); conjugate-symmetric for real dtypes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.linalg as sla
from hypothesis import strategies as st

from _factories import DTYPES, GENERAL, HERMITIAN, RECT, SPD, Case, _cast, _separated
from kronblock.operators._circulant import circulant
from kronblock.operators._toeplitz import toeplitz

MAX_T = 40  # Toeplitz order
MAX_C = 64  # circulant order

#: What has no structured rule (the dense fallback runs, with its warning).
TOEPLITZ_DENSIFIES = frozenset({"cholesky", "eigh", "eig", "svd", "norm"})
CIRCULANT_DENSIFIES = frozenset({"cholesky"})


def _ref(a: np.ndarray, cplx: bool) -> np.ndarray:
    return a.astype(np.complex128 if cplx else np.float64)


def _to_backend(xp: Any, a: np.ndarray) -> Any:
    return xp.asarray(np.ascontiguousarray(a))


def _cond(dense: np.ndarray) -> float:
    """``max(cond(A), cond(V))·(1 + log₂ n)`` with ``V`` the eigenvectors of a square ``A``.

    ``cond(V)`` bounds how far rounding moves the eigenvalues (Bauer–Fike); it is
    1 for the normal kinds.
    """
    s = np.linalg.svd(dense, compute_uv=False)
    n = max(dense.shape)
    cond = float(s[0] / s[-1])
    if dense.shape[0] == dense.shape[1] and not np.allclose(dense, dense.conj().T):
        cond = max(cond, float(np.linalg.cond(np.linalg.eig(dense)[1])))
    return cond * (1.0 + math.log2(n))


def _phases(rng: np.random.Generator, n: int, cplx: bool) -> np.ndarray:
    if cplx:
        return np.exp(2j * np.pi * rng.random(n))
    return rng.choice([-1.0, 1.0], n)


# ---- Toeplitz -------------------------------------------------------------------------------
def _spd_column(rng: np.random.Generator, n: int, cplx: bool, variant: str) -> np.ndarray:
    k = np.arange(n)
    if variant == "band":
        b = int(rng.integers(1, 5))
        c = np.zeros(n, dtype=np.complex128 if cplx else np.float64)
        m = min(b, n - 1)
        c[1 : m + 1] = rng.standard_normal(m) * _phases(rng, m, cplx)
        c[0] = 1.0 + 3.0 * np.abs(c[1:]).sum()  # Gershgorin: eigenvalues ≥ 1 + Σ|cₖ|
        return c
    # Σ αₗ ρₗ^|k| e^{iωₗk}: a positive symbol (a sum of shifted Poisson kernels)
    c = np.zeros(n, dtype=np.complex128)
    for _ in range(int(rng.integers(1, 4))):
        alpha, rho, omega = rng.uniform(0.2, 1.0), rng.uniform(0.0, 0.7), rng.uniform(0, np.pi)
        wave = np.exp(1j * omega * k) if cplx else np.cos(omega * k)
        c = c + alpha * rho**k * wave
    c[0] += 1.0
    return c if cplx else c.real


def _hermitian_shift(dense: np.ndarray) -> float:
    """``β`` in the widest gap of the spectra of all leading blocks, inside ``T``'s range."""
    n = dense.shape[0]
    lam = np.linalg.eigvalsh(dense)
    if n == 1:
        return 2.0 * float(lam[0])  # 1 × 1: make it negative
    spectra = np.concatenate([np.linalg.eigvalsh(dense[:j, :j]) for j in range(1, n + 1)])
    pts = np.sort(spectra[(spectra >= lam[0]) & (spectra <= lam[-1])])
    gaps = np.diff(pts)
    i = int(np.argmax(gaps))
    return float((pts[i] + pts[i + 1]) / 2)


def _general_columns(
    rng: np.random.Generator, n: int, cplx: bool, variant: str
) -> tuple[np.ndarray, np.ndarray]:
    """A non-Hermitian Toeplitz matrix with real (or, complex: rotated) eigenvalues.

    ``similar``: ``D H D⁻¹`` with ``H`` Hermitian positive definite Toeplitz (the
    SPD ``decay`` kind, possibly negated) and ``D = diag(ρⁱ)``: again Toeplitz,
    ``tₖ = hₖ ρᵏ``, with ``H``'s eigenvalues and eigenvector condition
    ``ρ^{−(n−1)} ≤ 20``; its leading blocks are those of ``H``, similarly scaled.
    ``tridiagonal``: ``b·c > 0``, eigenvalues ``a ± 2√(bc)·cos(jπ/(n+1))``, diagonally
    dominant.  Complex dtypes multiply by a random phase.
    """
    dt = np.complex128 if cplx else np.float64
    c, r = np.zeros(n, dtype=dt), np.zeros(n, dtype=dt)
    if variant == "similar":
        h = _spd_column(rng, n, cplx, "decay") * rng.choice([-1.0, 1.0])
        rho = rng.uniform(20.0 ** (-1.0 / max(n - 1, 1)), 1.0) ** rng.choice([-1.0, 1.0])
        k = np.arange(n)
        c[:] = h * rho**k
        r[:] = np.conj(h) * rho ** (-k)
    else:
        if n > 1:
            lower = rng.uniform(0.5, 1.0)
            upper = lower * rng.uniform(0.8, 1.25)  # b·c > 0: real eigenvalues
            sign = rng.choice([-1.0, 1.0])
            c[1], r[1] = sign * lower, sign * upper
        off = np.abs(c[1:]).sum() + np.abs(r[1:]).sum()
        c[0] = (1.0 + 1.5 * off) * rng.choice([-1.0, 1.0])  # diagonally dominant
    if cplx:
        phase = np.exp(2j * np.pi * rng.random())
        c, r = c * phase, r * phase
    r[0] = c[0]
    return c, r


@st.composite
def toeplitz_cases(draw: st.DrawFn, kind: str, dtypes: tuple[str, ...] = DTYPES) -> Case:
    """A Toeplitz matrix of ``kind`` (see the module docstring), order 1 to ``MAX_T``."""
    dtype = draw(st.sampled_from(dtypes), label="dtype")
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    cplx = dtype.startswith("complex")
    rng = np.random.default_rng(seed)
    m = draw(st.integers(1, MAX_T), label="m")
    if kind == RECT:
        n = draw(st.integers(1, MAX_T), label="n")
        for _ in range(20):  # full rank, moderately conditioned (deterministic retries)
            c = rng.standard_normal(m) * (_phases(rng, m, True) if cplx else 1.0)
            r = rng.standard_normal(n) * (_phases(rng, n, True) if cplx else 1.0)
            c, r = _cast(c, dtype), _cast(r, dtype)
            dense = sla.toeplitz(_ref(c, cplx), _ref(r, cplx))
            s = np.linalg.svd(dense, compute_uv=False)
            if s[-1] > 1e-3 * s[0]:
                break
        variant = "random"
        hermitian_default = False
    elif kind in (SPD, HERMITIAN):
        n = m
        variant = draw(st.sampled_from(("decay", "band")), label="variant")
        c = _spd_column(rng, n, cplx, variant)
        if kind == HERMITIAN:
            c[0] = c[0] - _hermitian_shift(sla.toeplitz(c))
            # |det| = 1: no determinant under- or overflows in single precision
            c = c / np.exp(np.mean(np.log(np.abs(np.linalg.eigvalsh(sla.toeplitz(c))))))
        c = _cast(c, dtype)
        if cplx:
            c[0] = c[0].real  # a Hermitian diagonal is real
        r = c.conj()
        hermitian_default = draw(st.booleans(), label="r omitted")
    else:  # GENERAL
        n = m
        variant = draw(st.sampled_from(("similar", "tridiagonal")), label="variant")
        c64, r64 = _general_columns(rng, n, cplx, variant)
        c, r = _cast(c64, dtype), _cast(r64, dtype)
        hermitian_default = False
    dense = sla.toeplitz(_ref(c, cplx), _ref(r, cplx))

    def build(xp: Any) -> Any:
        if hermitian_default:
            return toeplitz(_to_backend(xp, c))
        return toeplitz(_to_backend(xp, c), _to_backend(xp, r))

    info = {
        "m": m,
        "n": dense.shape[1],
        "variant": variant,
        "seed": seed,
        "densifies": TOEPLITZ_DENSIFIES,
    }
    return Case("toeplitz", kind, dtype, dense, build, _cond(dense), 1, info)


# ---- Circulant -------------------------------------------------------------------------------
def _circulant_spectrum(rng: np.random.Generator, n: int, kind: str, real: bool) -> np.ndarray:
    """``n`` eigenvalues of the kind, conjugate-symmetric (``λ₋ₖ = conj λₖ``) when ``real``."""
    count = n // 2 + 1 if real else n
    if kind in (SPD, HERMITIAN):
        h = _separated(rng, count, 1.0, 3.0).astype(np.complex128)
        if kind == HERMITIAN:
            h = h * rng.choice([-1.0, 1.0], count)
    else:
        mag = _separated(rng, count, 1.0, 2.0)
        spread = np.pi if real else 2 * np.pi  # real: k and −k carry conjugate phases
        ang = spread * (np.arange(count) + rng.uniform(0.1, 0.9, count)) / count
        h = mag * np.exp(1j * ang)
        if real:
            h[0] = mag[0] * rng.choice([-1.0, 1.0])
            if n % 2 == 0:
                h[-1] = mag[-1] * rng.choice([-1.0, 1.0])
    if not real:
        return h
    return np.concatenate([h, np.conj(h[1 : n - n // 2][::-1])])


@st.composite
def circulant_cases(draw: st.DrawFn, kind: str, dtypes: tuple[str, ...] = DTYPES) -> Case:
    """A circulant with a prescribed spectrum ``fft(c)`` (see the module docstring)."""
    n = draw(st.integers(1, MAX_C), label="n")
    dtype = draw(st.sampled_from(dtypes), label="dtype")
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    cplx = dtype.startswith("complex")
    rng = np.random.default_rng(seed)
    col = np.fft.ifft(_circulant_spectrum(rng, n, kind, not cplx))
    if kind in (SPD, HERMITIAN):
        rev = np.concatenate([col[:1], col[1:][::-1]])
        col = (col + rev.conj()) / 2  # exactly Hermitian after rounding
    c = _cast(col if cplx else col.real, dtype)
    dense = sla.circulant(_ref(c, cplx))
    if kind in (SPD, HERMITIAN):
        np.testing.assert_array_equal(dense, dense.conj().T)  # the kind holds exactly

    def build(xp: Any) -> Any:
        return circulant(_to_backend(xp, c))

    info = {"n": n, "seed": seed, "densifies": CIRCULANT_DENSIFIES}
    kind_out = GENERAL if kind == RECT else kind
    return Case("circulant", kind_out, dtype, dense, build, _cond(dense), 1, info)


#: name -> strategy factory ``(kind, dtypes) -> SearchStrategy[Case]`` (as ``FACTORIES``).
FACTORIES_TOEPLITZ = {"toeplitz": toeplitz_cases, "circulant": circulant_cases}
