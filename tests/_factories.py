"""The factory registry: each structure draws a case and builds an independent dense reference.

A *case* holds what hypothesis drew (factor kinds, shapes, dtype, seed), a
``build(xp)`` that makes the kronblock operator in a backend, and ``dense``,
the NumPy float64/complex128 reference built independently of kronblock
(``np.kron``, ``np.diag``, ...).  Matrices have prescribed, well-separated
spectra, so every solve is well conditioned by construction and ``cond`` bounds
the reference's condition number (tolerances come from it).

A new structure adds one ``Factory`` entry to ``FACTORIES`` and gets the whole
conformance suite in ``test_conformance.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import numpy as np
import scipy.sparse as sp
from hypothesis import strategies as st

import kronblock as kb

#: Matrix kinds: what a case is guaranteed to be.
GENERAL = "general"  # square, nonsingular, diagonalizable with real, separated eigenvalues
HERMITIAN = "hermitian"  # square, Hermitian, nonsingular (indefinite)
SPD = "spd"  # Hermitian positive definite
RECT = "rect"  # any shape, full rank factors, singular values in [1, 2]
KINDS = (GENERAL, HERMITIAN, SPD, RECT)

DTYPES = ("float64", "float32", "complex128", "complex64")
WIDER = {"float32": "float64", "complex64": "complex128"}
MAX_N = 256  # keeps dense references (and their O(N³) checks) fast


def _unitary(rng: np.random.Generator, n: int, cplx: bool) -> np.ndarray:
    z = rng.standard_normal((n, n))
    if cplx:
        z = z + 1j * rng.standard_normal((n, n))
    q, r = np.linalg.qr(z)
    d = np.diag(r)
    return q * (d / np.where(np.abs(d) == 0, 1, np.abs(d)))


def _separated(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    """``n`` values spread over ``[lo, hi]``, at least ``(hi-lo)/(2n)`` apart."""
    if n == 1:
        return np.array([rng.uniform(lo, hi)])
    base = np.linspace(lo, hi, n)
    jitter = rng.uniform(-0.25, 0.25, n) * (hi - lo) / (n - 1)
    return rng.permutation(np.clip(base + jitter, lo, hi))


def matrix(rng: np.random.Generator, kind: str, m: int, n: int, cplx: bool) -> np.ndarray:
    """A matrix of the given kind with a prescribed spectrum (condition number ≤ 4)."""
    if kind == RECT:
        k = min(m, n)
        s = _separated(rng, k, 1.0, 2.0)
        u = _unitary(rng, m, cplx)[:, :k]
        v = _unitary(rng, n, cplx)[:, :k]
        return (u * s) @ v.conj().T
    if kind == SPD:
        q = _unitary(rng, n, cplx)
        return (q * _separated(rng, n, 1.0, 3.0)) @ q.conj().T
    if kind == HERMITIAN:
        q = _unitary(rng, n, cplx)
        lam = _separated(rng, n, 1.0, 3.0) * rng.choice([-1.0, 1.0], n)
        return (q * lam) @ q.conj().T
    # GENERAL: V diag(λ) V⁻¹ with cond(V) ≤ 2 and real eigenvalues in ±[1, 2]
    u1, u2 = _unitary(rng, n, cplx), _unitary(rng, n, cplx)
    v = (u1 * _separated(rng, n, 1.0, 2.0)) @ u2.conj().T
    lam = _separated(rng, n, 1.0, 2.0) * rng.choice([-1.0, 1.0], n)
    return (v * lam) @ np.linalg.inv(v)


@dataclass
class Case:
    """One drawn operator: how to build it, and its independent dense reference."""

    name: str
    kind: str
    dtype: str
    dense: np.ndarray  # float64 / complex128 reference (built with NumPy only)
    build: Callable[[Any], kb.AbstractLinearOperator]
    cond: float  # bound on the reference's condition number
    nfactors: int = 1
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.dense.shape  # type: ignore[return-value]

    @property
    def square(self) -> bool:
        return self.dense.shape[0] == self.dense.shape[1]

    @property
    def eps(self) -> float:
        single = self.dtype in ("float32", "complex64")
        return float(np.finfo(np.float32 if single else np.float64).eps)

    def rtol(self, extra: float = 1.0) -> float:
        """Tolerance from the condition number: ``c · K · cond · eps``."""
        return 50.0 * extra * max(self.nfactors, 1) * self.cond * self.eps

    def __repr__(self) -> str:
        return (
            f"Case({self.name}, kind={self.kind}, dtype={self.dtype}, shape={self.shape}, "
            f"{self.info})"
        )


def _cast(a: np.ndarray, dtype: str) -> np.ndarray:
    if dtype.startswith("complex"):
        return a.astype(dtype)
    return a.real.astype(dtype) if np.iscomplexobj(a) else a.astype(dtype)


def _to_backend(xp: Any, a: np.ndarray) -> Any:
    return xp.asarray(np.ascontiguousarray(a))


# ---- Kronecker ----------------------------------------------------------------------
FACTOR_TYPES = ("dense", "dense", "dense", "diagonal", "identity", "sparse")


@st.composite
def kronecker_cases(draw: st.DrawFn, kind: str, dtypes: tuple[str, ...] = DTYPES) -> Case:
    """A Kronecker product of 1 to 5 factors of ``kind``, with N ≤ MAX_N."""
    nf = draw(st.integers(1, 5), label="factors")
    budget = MAX_N
    shapes = []
    for i in range(nf):
        cap = max(1, round(budget ** (1.0 / (nf - i))) + 1)
        m = draw(st.integers(1, min(cap, 9)), label=f"m{i}")
        n = draw(st.integers(1, min(cap, 9)), label=f"n{i}") if kind == RECT else m
        budget = max(1, budget // max(m, n))
        shapes.append((m, n))
    dtype = draw(st.sampled_from(dtypes), label="dtype")
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    types = [draw(st.sampled_from(FACTOR_TYPES), label=f"type{i}") for i in range(nf)]
    # mixed precision: one single-precision case in two has one double-precision factor,
    # so the product is double and must be computed in double (as NumPy would)
    wide = dtype in WIDER and draw(st.booleans(), label="mixed precision")
    rng = np.random.default_rng(seed)
    cplx = dtype.startswith("complex")
    used_wide = False

    factors_np, builders, conds = [], [], []
    for (m, n), t in zip(shapes, types):
        if t == "identity" and m == n and kind != RECT:
            a = np.eye(n)
            factors_np.append(a)
            builders.append(lambda xp, n=n: kb.identity(n))
            conds.append(1.0)
            continue
        if t == "diagonal" and m == n:
            lo, hi = (1.0, 3.0) if kind in (SPD,) else (1.0, 2.0)
            d = _separated(rng, n, lo, hi)
            if kind in (GENERAL, HERMITIAN):
                d = d * rng.choice([-1.0, 1.0], n)
            d = _cast(d, dtype)
            factors_np.append(np.diag(d.astype(np.complex128 if cplx else np.float64)))
            builders.append(lambda xp, d=d: kb.diag(_to_backend(xp, d)))
            conds.append(3.0)
            continue
        fdtype = WIDER[dtype] if wide and not used_wide else dtype
        used_wide = used_wide or fdtype != dtype
        a = _cast(matrix(rng, kind, m, n, cplx), fdtype)
        if kind in (HERMITIAN, SPD):
            a = (a + a.conj().T) / 2  # exact symmetry after rounding
        ref = a.astype(np.complex128 if cplx else np.float64)
        factors_np.append(ref)
        conds.append({GENERAL: 8.0, RECT: 2.0}.get(kind, 3.0))
        if t == "sparse":
            builders.append(
                lambda xp, a=a: (
                    kb.aslinearoperator(sp.csr_array(a))
                    if _is_np(xp)
                    else kb.Dense(_to_backend(xp, a))
                )
            )
        else:
            builders.append(lambda xp, a=a: _to_backend(xp, a))

    if all(t == "identity" for t in types) and kind != RECT:
        # keep at least one factor with data, so the case has a dtype and a library
        n0 = shapes[0][0]
        a = _cast(matrix(rng, kind, n0, n0, cplx), dtype)
        factors_np[0] = a.astype(np.complex128 if cplx else np.float64)
        builders[0] = lambda xp, a=a: _to_backend(xp, a)
        conds[0] = 8.0
    dense = reduce(np.kron, factors_np)
    if used_wide:
        dtype = WIDER[dtype]

    def build(xp: Any) -> kb.AbstractLinearOperator:
        return kb.kron(*[b(xp) for b in builders])

    cond = float(math.prod(conds))
    return Case(
        "kronecker",
        kind,
        dtype,
        dense,
        build,
        cond,
        nf,
        {"shapes": shapes, "types": types, "seed": seed, "mixed": used_wide},
    )


def _is_np(xp: Any) -> bool:
    return "numpy" in getattr(xp, "__name__", "")


@st.composite
def scaled_kronecker_cases(draw: st.DrawFn, kind: str, dtypes: tuple[str, ...] = DTYPES) -> Case:
    """``s · kron(...)``: the Scaled combinator must keep every Kronecker fast path."""
    inner = draw(kronecker_cases(kind, dtypes))
    choices = [2.5, 0.5] if kind in (SPD,) else [2.5, -0.5]
    s = draw(st.sampled_from(choices), label="scalar")

    def build(xp: Any) -> kb.AbstractLinearOperator:
        return s * inner.build(xp)

    return Case(
        "scaled_kronecker",
        kind,
        inner.dtype,
        s * inner.dense,
        build,
        inner.cond,
        inner.nfactors,
        {**inner.info, "scalar": s},
    )


@st.composite
def dense_cases(draw: st.DrawFn, kind: str, dtypes: tuple[str, ...] = DTYPES) -> Case:
    """A plain dense matrix (the leaf every structure reduces to)."""
    m = draw(st.integers(1, 12), label="m")
    n = draw(st.integers(1, 12), label="n") if kind == RECT else m
    dtype = draw(st.sampled_from(dtypes), label="dtype")
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    rng = np.random.default_rng(seed)
    a = _cast(matrix(rng, kind, m, n, dtype.startswith("complex")), dtype)
    if kind in (HERMITIAN, SPD):
        a = (a + a.conj().T) / 2
    ref = a.astype(np.complex128 if dtype.startswith("complex") else np.float64)
    return Case(
        "dense", kind, dtype, ref, lambda xp: kb.Dense(_to_backend(xp, a)), 8.0, 1, {"seed": seed}
    )


# ---- Kronecker sums --------------------------------------------------------------------
def _with_spectrum(
    rng: np.random.Generator, lam: np.ndarray, cplx: bool, normal: bool
) -> np.ndarray:
    """``Q diag(λ) Qᴴ`` (normal) or ``V diag(λ) V⁻¹`` with ``cond(V) ≤ 2`` (not normal)."""
    n = lam.shape[0]
    if normal:
        q = _unitary(rng, n, cplx)
        return (q * lam) @ q.conj().T
    u1, u2 = _unitary(rng, n, cplx), _unitary(rng, n, cplx)
    v = (u1 * _separated(rng, n, 1.0, 2.0)) @ u2.conj().T
    return (v * lam) @ np.linalg.inv(v)


def _dense_kronsum(factors: list[np.ndarray]) -> np.ndarray:
    dims = [f.shape[0] for f in factors]
    out = np.zeros((math.prod(dims),) * 2, dtype=np.result_type(*factors))
    for i, f in enumerate(factors):
        out += reduce(np.kron, [f if j == i else np.eye(d) for j, d in enumerate(dims)])
    return out


@st.composite
def kronsum_cases(draw: st.DrawFn, kind: str, dtypes: tuple[str, ...] = DTYPES) -> Case:
    """A Kronecker sum of 1 to 4 square factors whose eigenvalue sums stay away from 0.

    SPD: factor spectra in [1, 3].  HERMITIAN: factor 0 has eigenvalues
    ±[2K, 2K+1], the others [-0.5, 0.5] (indefinite, |sums| ≥ K).  GENERAL
    (and RECT, a Kronecker sum being square): non-normal factors with
    eigenvalues in [1, 2].  Factors are dense or diagonal.
    """
    nf = draw(st.integers(1, 4), label="factors")
    budget = MAX_N
    dims = []
    for i in range(nf):
        cap = max(1, round(budget ** (1.0 / (nf - i))))
        n = draw(st.integers(1, min(cap, 7)), label=f"n{i}")
        budget = max(1, budget // n)
        dims.append(n)
    dtype = draw(st.sampled_from(dtypes), label="dtype")
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    types = [
        draw(st.sampled_from(("dense", "dense", "diagonal")), label=f"type{i}") for i in range(nf)
    ]
    rng = np.random.default_rng(seed)
    cplx = dtype.startswith("complex")
    general = kind in (GENERAL, RECT)
    factors_np, builders = [], []
    for i, (n, t) in enumerate(zip(dims, types)):
        if kind == SPD:
            lam = _separated(rng, n, 1.0, 3.0)
        elif kind == HERMITIAN:
            lam = (
                _separated(rng, n, 2.0 * nf, 2.0 * nf + 1) * rng.choice([-1.0, 1.0], n)
                if i == 0
                else _separated(rng, n, -0.5, 0.5)
            )
        else:
            lam = _separated(rng, n, 1.0, 2.0)
        if t == "diagonal":
            d = _cast(lam, dtype)
            factors_np.append(np.diag(d.astype(np.complex128 if cplx else np.float64)))
            builders.append(lambda xp, d=d: kb.diag(_to_backend(xp, d)))
            continue
        a = _cast(_with_spectrum(rng, lam, cplx, normal=not general), dtype)
        if not general:
            a = (a + a.conj().T) / 2
        factors_np.append(a.astype(np.complex128 if cplx else np.float64))
        builders.append(lambda xp, a=a: _to_backend(xp, a))

    def build(xp: Any) -> kb.AbstractLinearOperator:
        return kb.kronsum(*[b(xp) for b in builders])

    # eigenvalue sums within [K, 3K] (|·| ≥ K for HERMITIAN); eigenbasis condition ≤ 2^K
    cond = 3.0 * (2.0**nf if general else 1.0) * (3.0 if kind == HERMITIAN else 1.0)
    # no structured identity: Cholesky always, the SVD family for non-normal factors
    densifies = {"cholesky"} | (
        {"svd", "norm"} if general and any(t == "dense" for t in types) else set()
    )
    return Case(
        "kronsum", GENERAL if kind == RECT else kind, dtype, _dense_kronsum(factors_np), build,
        cond, nf, {"dims": dims, "types": types, "seed": seed, "densifies": densifies},
    )  # fmt: skip


# ---- Kronecker plus diagonal: s·K + t·B -------------------------------------------------
@st.composite
def kron_plus_diagonal_cases(draw: st.DrawFn, kind: str, dtypes: tuple[str, ...] = DTYPES) -> Case:
    """``K + c·I``, ``K + D`` (``D`` a Kronecker product of positive diagonals), ``K + B₁⊗B₂``.

    SPD: K's factors positive definite, any of the three variants.  Every
    other kind: ``K + c·I`` with indefinite Hermitian factors (spectra
    ±[1, 2]) and ``c = 0.5``, so ``|λ + c| ≥ 0.5``.
    """
    nf = draw(st.integers(1, 3), label="factors")
    budget = MAX_N
    dims = []
    for i in range(nf):
        cap = max(1, round(budget ** (1.0 / (nf - i))))
        n = draw(st.integers(1, min(cap, 7)), label=f"n{i}")
        budget = max(1, budget // n)
        dims.append(n)
    dtype = draw(st.sampled_from(dtypes), label="dtype")
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    spd = kind == SPD
    variant = (
        draw(st.sampled_from(("shift", "kron_diag", "kron_pd")), label="variant")
        if spd
        else "shift"
    )
    rng = np.random.default_rng(seed)
    cplx = dtype.startswith("complex")
    n_total = math.prod(dims)
    ks, bs = [], []
    for n in dims:
        lam = _separated(rng, n, 1.0, 2.0)
        if not spd:
            lam = lam * rng.choice([-1.0, 1.0], n)
        a = _cast(_with_spectrum(rng, lam, cplx, normal=True), dtype)
        ks.append((a + a.conj().T) / 2)
        if variant == "kron_diag":
            bs.append(_cast(_separated(rng, n, 1.0, 2.0), dtype))
        elif variant == "kron_pd":
            b = _cast(_with_spectrum(rng, _separated(rng, n, 1.0, 2.0), cplx, normal=True), dtype)
            bs.append((b + b.conj().T) / 2)
    ref_k = reduce(np.kron, [a.astype(np.complex128 if cplx else np.float64) for a in ks])
    c = 0.5
    if variant == "shift":
        dense = ref_k + c * np.eye(n_total)
    elif variant == "kron_diag":
        dense = ref_k + np.diag(reduce(np.kron, [b.real.astype(np.float64) for b in bs]))
    else:
        dense = ref_k + reduce(
            np.kron, [b.astype(np.complex128 if cplx else np.float64) for b in bs]
        )

    def build(xp: Any) -> kb.AbstractLinearOperator:
        k = kb.kron(*[_to_backend(xp, a) for a in ks])
        if variant == "shift":
            return k + c * kb.identity(n_total)
        if variant == "kron_diag":
            return k + kb.kron(*[kb.diag(_to_backend(xp, b)) for b in bs])
        return k + kb.kron(*[_to_backend(xp, b) for b in bs])

    unitary = variant == "shift"
    densifies = {"cholesky", "norm"} | (set() if unitary else {"svd", "eig", "eigh"})
    cond = 2.0 ** (nf + 2) if spd else 4.0 ** (nf + 1)
    return Case(
        "kron_plus_diagonal", kind if spd else HERMITIAN, dtype, dense, build, cond, nf,
        {"dims": dims, "variant": variant, "seed": seed, "densifies": densifies},
    )  # fmt: skip


# ---- block matrices -----------------------------------------------------------------------
def _partition(a: np.ndarray, rows: list[int], cols: list[int]) -> list[list[np.ndarray]]:
    ro, co = np.cumsum([0, *rows]), np.cumsum([0, *cols])
    return [
        [a[ro[i] : ro[i + 1], co[j] : co[j + 1]] for j in range(len(cols))]
        for i in range(len(rows))
    ]


def _small(rng: np.random.Generator, m: int, n: int, cplx: bool, scale: float) -> np.ndarray:
    z = rng.standard_normal((m, n)) + (1j * rng.standard_normal((m, n)) if cplx else 0)
    return scale * z / max(1.0, math.sqrt(m * n))


@st.composite
def block_cases(draw: st.DrawFn, kind: str, dtypes: tuple[str, ...] = DTYPES) -> Case:
    """A 1×1 to 3×3 grid of blocks (dense, Kronecker, zero), with a dense ``np.block`` reference.

    SPD: ``L D Lᴴ`` (block-partitioned) or Kronecker diagonal blocks with a small
    coupling.  HERMITIAN: ``L D Lᴴ`` with an indefinite ``D``, or a saddle-point
    (KKT) matrix ``[[A, Bᵀ], [B, 0]]`` with ``A`` a Kronecker product.  GENERAL:
    ``L U`` (every leading block nonsingular), block lower triangular, or a zero
    (1, 1) block that forces the other pivot.  RECT: any partitions.
    """
    dtype = draw(st.sampled_from(dtypes), label="dtype")
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    rng = np.random.default_rng(seed)
    cplx = dtype.startswith("complex")
    variants = {
        SPD: ("ldl", "kron_coupled"),
        HERMITIAN: ("ldl", "kkt"),
        GENERAL: ("lu", "triangular", "zero_pivot"),
        RECT: ("rect",),
    }[kind]
    variant = draw(st.sampled_from(variants), label="variant")
    nb = 2 if variant in ("kkt", "zero_pivot") else draw(st.integers(1, 3), label="blocks")
    rows = [draw(st.integers(1, 5), label=f"m{i}") for i in range(nb)]
    cols = list(rows)
    blocks: list[list[Any]]
    if variant == "rect":
        cols = [draw(st.integers(1, 5), label=f"n{j}") for j in range(draw(st.integers(1, 3)))]
        dense = _small(rng, sum(rows), sum(cols), cplx, 3.0)
        blocks = [
            [b if rng.random() < 0.7 else 0 for b in r] for r in _partition(dense, rows, cols)
        ]
        cond = 1.0
    elif variant == "kron_coupled":
        # diagonal blocks kron(S1, S2) (eigenvalues ≥ 1), Hermitian coupling of norm ≤ 0.3
        blocks = [[0] * nb for _ in range(nb)]
        diag_dense = []
        for i in range(nb):
            n1 = draw(st.integers(1, 3), label=f"k{i}")
            n2 = draw(st.integers(1, 3), label=f"l{i}")
            s1 = matrix(rng, SPD, n1, n1, cplx)
            s2 = matrix(rng, SPD, n2, n2, cplx)
            s1, s2 = (s1 + s1.conj().T) / 2, (s2 + s2.conj().T) / 2
            rows[i] = n1 * n2
            blocks[i][i] = ("kron", s1, s2)
            diag_dense.append(np.kron(s1, s2))
        cols = list(rows)
        total = sum(rows)
        e = _small(rng, total, total, cplx, 0.3 / max(nb, 1))
        e = (e + e.conj().T) / 2
        parts = _partition(e, rows, cols)
        for i in range(nb):
            for j in range(i + 1, nb):
                if rng.random() < 0.6:  # a coupling pair (i, j), (j, i) = its adjoint
                    blocks[i][j], blocks[j][i] = parts[i][j], parts[j][i]
        cond = 20.0
    elif variant == "kkt":
        n1 = draw(st.integers(1, 3), label="a1")
        n2 = draw(st.integers(1, 2), label="a2")
        p = draw(st.integers(1, n1 * n2), label="constraints")
        s1, s2 = matrix(rng, SPD, n1, n1, cplx), matrix(rng, SPD, n2, n2, cplx)
        s1, s2 = (s1 + s1.conj().T) / 2, (s2 + s2.conj().T) / 2
        bmat = matrix(rng, RECT, p, n1 * n2, cplx)  # full rank, singular values in [1, 2]
        blocks = [[("kron", s1, s2), bmat.conj().T], [bmat, 0]]
        rows = cols = [n1 * n2, p]
        cond = 100.0
    else:
        n = sum(rows)
        low = np.eye(n) + np.tril(_small(rng, n, n, cplx, 0.5), -1)
        lam = _separated(rng, n, 1.0, 2.0)
        if variant == "ldl" and kind == HERMITIAN:
            lam = lam * rng.choice([-1.0, 1.0], n)
        if variant == "ldl":
            dense = (low * lam) @ low.conj().T
        else:
            up = np.diag(lam * rng.choice([-1.0, 1.0], n)) + np.triu(
                _small(rng, n, n, cplx, 0.5), 1
            )
            dense = low @ up
        parts = _partition(dense, rows, cols)
        blocks = [list(r) for r in parts]
        if variant == "triangular":
            for i in range(nb):
                for j in range(i + 1, nb):
                    blocks[i][j] = 0
        if variant == "zero_pivot":
            m0 = rows[0]
            n1 = draw(st.integers(m0, m0 + 3), label="n1")
            rows = cols = [m0, n1]
            bm = matrix(rng, RECT, m0, n1, cplx)
            cm = matrix(rng, RECT, n1, m0, cplx)
            dm = matrix(rng, GENERAL, n1, n1, cplx)
            blocks = [[0, bm], [cm, dm]]
        cond = 50.0

    def as_dense(b: Any, m: int, n: int) -> np.ndarray:
        if isinstance(b, tuple):
            return np.kron(b[1], b[2])
        if isinstance(b, int):
            return np.zeros((m, n))
        return b

    cast_blocks = [
        [b if isinstance(b, int) else (
            ("kron", _cast(b[1], dtype), _cast(b[2], dtype)) if isinstance(b, tuple)
            else _cast(b, dtype)
        ) for b in r]
        for r in blocks
    ]  # fmt: skip
    wide = np.complex128 if cplx else np.float64
    dense = np.block(
        [
            [as_dense(b, rows[i], cols[j]).astype(wide) for j, b in enumerate(r)]
            for i, r in enumerate(cast_blocks)
        ]
    )
    if kind in (HERMITIAN, SPD):
        dense = (dense + dense.conj().T) / 2  # the reference of what was cast

    def build(xp: Any) -> kb.AbstractLinearOperator:
        grid = [
            [0 if isinstance(b, int) else (
                kb.kron(_to_backend(xp, b[1]), _to_backend(xp, b[2])) if isinstance(b, tuple)
                else _to_backend(xp, b)
            ) for b in r]
            for r in cast_blocks
        ]  # fmt: skip
        return kb.block(grid, row_sizes=rows, col_sizes=cols)

    if all(isinstance(b, int) for r in cast_blocks for b in r):
        return draw(block_cases(kind, dtypes))  # pragma: no cover - an all-zero draw
    return Case(
        "block", kind, dtype, dense, build, cond, nb,
        {"variant": variant, "rows": rows, "cols": cols, "seed": seed,
         "densifies": {"cholesky", "eig", "eigh", "svd", "norm"}},
    )  # fmt: skip


# ---- block-circulant (multilevel) --------------------------------------------------------
def _reverse_levels(c: np.ndarray, levels: int) -> np.ndarray:
    for ax in range(levels):
        n = c.shape[ax]
        c = np.take(c, [(-j) % n for j in range(n)], axis=ax)
    return c


def dense_block_circulant(c: np.ndarray) -> np.ndarray:
    """The dense matrix of a first block column ``(n₁, …, n_d, m, m)``, entry by entry."""
    lv, m = c.shape[:-2], c.shape[-1]
    idx = list(np.ndindex(*lv))
    out = np.zeros((len(idx) * m,) * 2, dtype=c.dtype)
    for bi, i in enumerate(idx):
        for bj, j in enumerate(idx):
            ell = tuple((a - b) % n for a, b, n in zip(i, j, lv))
            out[bi * m : (bi + 1) * m, bj * m : (bj + 1) * m] = c[ell]
    return out


@st.composite
def block_circulant_cases(draw: st.DrawFn, kind: str, dtypes: tuple[str, ...] = DTYPES) -> Case:
    """1 to 3 circulant levels of sizes 1–4, blocks 1×1 to 3×3, with a dominant ``c[0]``.

    The off-zero blocks have spectral norms summing to at most 1, so every
    Fourier block ``ĉ_ℓ = c[0] + E_ℓ`` has ``‖E_ℓ‖ ≤ 1``; ``c[0]`` has singular
    values (GENERAL) or eigenvalues (SPD: [3, 4]; HERMITIAN: ±[3, 4]) away from it.
    """
    nlev = draw(st.integers(1, 3), label="levels")
    levels = [draw(st.integers(1, 4), label=f"n{i}") for i in range(nlev)]
    m = draw(st.integers(1, 3), label="m")
    dtype = draw(st.sampled_from(dtypes), label="dtype")
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    rng = np.random.default_rng(seed)
    cplx = dtype.startswith("complex")
    g = rng.standard_normal((*levels, m, m)) + (
        1j * rng.standard_normal((*levels, m, m)) if cplx else 0
    )
    count = max(math.prod(levels) - 1, 1)
    for ell in np.ndindex(*levels):
        g[ell] /= count * max(np.linalg.norm(g[ell], 2), 1e-12)
    zero = (0,) * nlev
    if kind in (HERMITIAN, SPD):
        g = (g + np.conj(np.swapaxes(_reverse_levels(g, nlev), -1, -2))) / 2
        lam = _separated(rng, m, 3.0, 4.0)
        if kind == HERMITIAN:
            lam = lam * rng.choice([-1.0, 1.0], m)
        g[zero] = _with_spectrum(rng, lam, cplx, normal=True)
        g[zero] = (g[zero] + g[zero].conj().T) / 2
    else:
        g[zero] = 4 * matrix(rng, RECT, m, m, cplx)  # singular values in [4, 8]
    c = _cast(g, dtype)
    if kind in (HERMITIAN, SPD):  # exact Hermitian symmetry after rounding
        c = (c + np.conj(np.swapaxes(_reverse_levels(c, nlev), -1, -2))) / 2
    dense = dense_block_circulant(c.astype(np.complex128 if cplx else np.float64))

    def build(xp: Any) -> kb.AbstractLinearOperator:
        return kb.block_circulant(_to_backend(xp, c))

    return Case(
        "block_circulant", GENERAL if kind == RECT else kind, dtype, dense, build, 4.0, nlev,
        {"levels": levels, "m": m, "seed": seed, "densifies": {"cholesky", "eig", "eigh", "svd"}},
    )  # fmt: skip


# ---- block-Toeplitz (multilevel) ------------------------------------------------------------
def dense_block_toeplitz(t: np.ndarray) -> np.ndarray:
    """The dense matrix of centred diagonals ``(2n₁−1, …, m, m)``, entry by entry."""
    lv = tuple((s + 1) // 2 for s in t.shape[:-2])
    m = t.shape[-1]
    idx = list(np.ndindex(*lv))
    out = np.zeros((len(idx) * m,) * 2, dtype=t.dtype)
    for bi, i in enumerate(idx):
        for bj, j in enumerate(idx):
            off = tuple(a - b + n - 1 for a, b, n in zip(i, j, lv))
            out[bi * m : (bi + 1) * m, bj * m : (bj + 1) * m] = t[off]
    return out


@st.composite
def block_toeplitz_cases(draw: st.DrawFn, kind: str, dtypes: tuple[str, ...] = DTYPES) -> Case:
    """1 or 2 Toeplitz levels of sizes 1–5, blocks 1×1 to 3×3, a dominant diagonal block.

    Off-centre blocks have spectral norms summing to at most 1, so ``T = I⊗t₀ + E``
    with ``‖E‖ ≤ 1`` and ``t₀`` as in the block-circulant factory.  Solves are
    iterative (to a residual of 1e-12, float32: 1e-5): ``cond`` is set so that
    the tolerance allows for that.
    """
    nlev = draw(st.integers(1, 2), label="levels")
    levels = [draw(st.integers(1, 5), label=f"n{i}") for i in range(nlev)]
    m = draw(st.integers(1, 3), label="m")
    dtype = draw(st.sampled_from(dtypes), label="dtype")
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    rng = np.random.default_rng(seed)
    cplx = dtype.startswith("complex")
    shape = (*(2 * n - 1 for n in levels), m, m)
    g = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if cplx else 0)
    count = max(math.prod(2 * n - 1 for n in levels) - 1, 1)
    for ell in np.ndindex(*shape[:-2]):
        g[ell] /= count * max(np.linalg.norm(g[ell], 2), 1e-12)
    centre = tuple(n - 1 for n in levels)
    flip = tuple(slice(None, None, -1) for _ in levels)

    def hermitize(a: np.ndarray) -> np.ndarray:
        return (a + np.conj(np.swapaxes(a[flip], -1, -2))) / 2

    if kind in (HERMITIAN, SPD):
        g = hermitize(g)
        lam = _separated(rng, m, 3.0, 4.0)
        if kind == HERMITIAN:
            lam = lam * rng.choice([-1.0, 1.0], m)
        g[centre] = _with_spectrum(rng, lam, cplx, normal=True)
        g[centre] = (g[centre] + g[centre].conj().T) / 2
    else:
        g[centre] = 4 * matrix(rng, RECT, m, m, cplx)
    t = _cast(g, dtype)
    if kind in (HERMITIAN, SPD):
        t = hermitize(t)
    dense = dense_block_toeplitz(t.astype(np.complex128 if cplx else np.float64))

    def build(xp: Any) -> kb.AbstractLinearOperator:
        return kb.multilevel_toeplitz(_to_backend(xp, t))

    densifies = {"cholesky", "eig", "eigh", "svd", "norm", "slogdet"}
    return Case(
        "block_toeplitz", GENERAL if kind == RECT else kind, dtype, dense, build, 1e4, nlev,
        {"levels": levels, "m": m, "seed": seed, "densifies": densifies},
    )  # fmt: skip


#: name -> strategy factory ``(kind, dtypes) -> SearchStrategy[Case]``.
FACTORIES: dict[str, Callable[..., st.SearchStrategy[Case]]] = {
    "kronecker": kronecker_cases,
    "scaled_kronecker": scaled_kronecker_cases,
    "dense": dense_cases,
    "kronsum": kronsum_cases,
    "kron_plus_diagonal": kron_plus_diagonal_cases,
    "block": block_cases,
    "block_circulant": block_circulant_cases,
    "block_toeplitz": block_toeplitz_cases,
}

#: Structures for which no public operation may reach the dense fallback.
STRUCTURED = (
    "kronecker",
    "scaled_kronecker",
    "dense",
    "kronsum",
    "kron_plus_diagonal",
    "block",
    "block_circulant",
    "block_toeplitz",
)
