"""The block-diagonal factory: hypothesis draws the blocks, SciPy builds the dense reference.

A case is ``block_diag(B₁, …, B_p)`` with 1 to 6 *groups* of blocks, each
group one of

- ``dense``: a dense block of the case's kind (rectangular for ``RECT``);
- ``diagonal``: a ``kb.diag`` block;
- ``kronecker``: ``kb.kron`` of two small factors of the kind (sometimes
  ``kron(I_2, A)``);
- ``kronsum``: ``kb.kronsum`` of two Hermitian factors (square);
- ``identity``: ``kb.identity(n)`` (neutral, bound by the others);
- ``stacked``: 2 to 4 equal-shape dense blocks in a row (the stacked path);
- ``repeated``: one operator object given 2 or 3 times in a row (stored once);
- ``empty``: a ``0 × 0`` block (``0 × n`` or ``m × 0`` for ``RECT``).

The reference is ``scipy.linalg.block_diag`` of NumPy float64/complex128
blocks built with ``np.kron``/``np.diag`` only.  Spectra are prescribed as in
``_factories.matrix``, so every block, and hence the whole matrix, is
well conditioned for its kind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg as sla
from hypothesis import strategies as st

import kronblock as kb
from _factories import (
    DTYPES,
    GENERAL,
    HERMITIAN,
    RECT,
    SPD,
    Case,
    _cast,
    _separated,
    _to_backend,
    _unitary,
    matrix,
)
from kronblock.operators._block_diagonal import block_diag

GROUPS = (
    "dense",
    "dense",
    "diagonal",
    "kronecker",
    "kronsum",
    "identity",
    "stacked",
    "stacked",
    "repeated",
    "empty",
)

Builder = Callable[[Any], Any]


def _dense_block(
    rng: np.random.Generator, kind: str, m: int, n: int, dtype: str
) -> tuple[np.ndarray, np.ndarray]:
    """(block in the case's dtype, its float64/complex128 reference)."""
    cplx = dtype.startswith("complex")
    a = _cast(matrix(rng, kind, m, n, cplx), dtype)
    if kind in (HERMITIAN, SPD):
        a = (a + a.conj().T) / 2  # exact symmetry after rounding
    return a, a.astype(np.complex128 if cplx else np.float64)


def _hermitian_factor(
    rng: np.random.Generator, lam: np.ndarray, dtype: str
) -> tuple[np.ndarray, np.ndarray]:
    cplx = dtype.startswith("complex")
    q = _unitary(rng, lam.shape[0], cplx)
    a = _cast((q * lam) @ q.conj().T, dtype)
    a = (a + a.conj().T) / 2
    return a, a.astype(np.complex128 if cplx else np.float64)


@st.composite
def block_diagonal_cases(draw: st.DrawFn, kind: str, dtypes: tuple[str, ...] = DTYPES) -> Case:
    """``block_diag`` of 1 to 6 groups of blocks of ``kind`` (see the module notes)."""
    ngroups = draw(st.integers(1, 6), label="groups")
    dtype = draw(st.sampled_from(dtypes), label="dtype")
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    groups = [draw(st.sampled_from(GROUPS), label=f"group{g}") for g in range(ngroups)]
    rng = np.random.default_rng(seed)
    cplx = dtype.startswith("complex")
    ref_dt = np.complex128 if cplx else np.float64
    rect = kind == RECT

    refs: list[np.ndarray] = []
    # each entry: (builder of one operator or array, copies of the same object)
    builders: list[tuple[Builder, int]] = []
    densifies: set[str] = set()
    conds: list[float] = [1.0]
    shapes: list[tuple[int, int]] = []

    def size(label: str, lo: int = 1, hi: int = 5) -> int:
        return draw(st.integers(lo, hi), label=label)

    for g, group in enumerate(groups):
        if group == "dense":
            m = size(f"m{g}")
            n = size(f"n{g}") if rect else m
            a, ref = _dense_block(rng, kind, m, n, dtype)
            refs.append(ref)
            builders.append((lambda xp, a=a: _to_backend(xp, a), 1))
            conds.append(8.0)
        elif group == "stacked":
            count = size(f"count{g}", 2, 4)
            m = size(f"m{g}", 1, 4)
            n = size(f"n{g}", 1, 4) if rect else m
            for _ in range(count):
                a, ref = _dense_block(rng, kind, m, n, dtype)
                refs.append(ref)
                builders.append((lambda xp, a=a: kb.Dense(_to_backend(xp, a)), 1))
            conds.append(8.0)
        elif group == "repeated":
            count = size(f"count{g}", 2, 3)
            m = size(f"m{g}", 1, 4)
            n = size(f"n{g}", 1, 4) if rect else m
            if rect and n == m:
                # a square RECT block has complex eigenvalues; repeated exactly, their
                # order under np.sort_complex is ambiguous for the fast-path comparison
                n = m + 1
            a, ref = _dense_block(rng, kind, m, n, dtype)
            refs.extend([ref] * count)
            builders.append((lambda xp, a=a: kb.Dense(_to_backend(xp, a)), count))
            conds.append(8.0)
        elif group == "diagonal":
            n = size(f"n{g}")
            lo, hi = (1.0, 3.0) if kind == SPD else (1.0, 2.0)
            d = _separated(rng, n, lo, hi)
            if kind in (GENERAL, HERMITIAN):
                d = d * rng.choice([-1.0, 1.0], n)
            d = _cast(d, dtype)
            refs.append(np.diag(d.astype(ref_dt)))
            builders.append((lambda xp, d=d: kb.diag(_to_backend(xp, d)), 1))
            conds.append(3.0)
        elif group == "kronecker":
            with_identity = draw(st.booleans(), label=f"identity{g}") and not rect
            m1, m2 = size(f"m{g}a", 1, 3), size(f"m{g}b", 1, 3)
            n1 = size(f"n{g}a", 1, 3) if rect else m1
            n2 = size(f"n{g}b", 1, 3) if rect else m2
            a2, r2 = _dense_block(rng, kind, m2, n2, dtype)
            if with_identity:
                refs.append(np.kron(np.eye(m1), r2))
                builders.append(
                    (lambda xp, a2=a2, m1=m1: kb.kron(kb.identity(m1), _to_backend(xp, a2)), 1)
                )
                conds.append(8.0)
            else:
                a1, r1 = _dense_block(rng, kind, m1, n1, dtype)
                refs.append(np.kron(r1, r2))
                densifies.update({"expm", "funm"})  # no matrix functions of A⊗B
                builders.append(
                    (lambda xp, a1=a1, a2=a2: kb.kron(_to_backend(xp, a1), _to_backend(xp, a2)), 1)
                )
                conds.append(64.0)
        elif group == "kronsum":
            n1, n2 = size(f"n{g}a", 1, 3), size(f"n{g}b", 1, 3)
            if kind == HERMITIAN:  # indefinite, |λ₁ᵢ + λ₂ⱼ| ≥ 3
                lam1 = _separated(rng, n1, 4.0, 5.0) * rng.choice([-1.0, 1.0], n1)
                lam2 = _separated(rng, n2, -0.5, 0.5)
            else:  # positive: sums in [2, 6] (a GENERAL case need not be non-normal)
                lam1, lam2 = _separated(rng, n1, 1.0, 3.0), _separated(rng, n2, 1.0, 3.0)
            a1, r1 = _hermitian_factor(rng, lam1, dtype)
            a2, r2 = _hermitian_factor(rng, lam2, dtype)
            refs.append(np.kron(r1, np.eye(n2)) + np.kron(np.eye(n1), r2))
            builders.append(
                (lambda xp, a1=a1, a2=a2: kb.kronsum(_to_backend(xp, a1), _to_backend(xp, a2)), 1)
            )
            densifies.add("cholesky")  # a Kronecker sum has no structured Cholesky factor
            conds.append(3.0)
        elif group == "identity":
            n = size(f"n{g}")
            refs.append(np.eye(n, dtype=ref_dt))
            builders.append((lambda xp, n=n: kb.identity(n), 1))
        else:  # empty
            m, n = (size(f"m{g}", 0, 2), size(f"n{g}", 0, 2)) if rect else (0, 0)
            if rect and m and n:
                m = 0
            refs.append(np.zeros((m, n), dtype=ref_dt))
            builders.append(
                (lambda xp, m=m, n=n: kb.Dense(_to_backend(xp, np.zeros((m, n), dtype))), 1)
            )
        shapes.append(refs[-1].shape)

    if all(group in ("identity", "empty") for group in groups):
        # keep one block with data, so the case has a dtype and a library
        a, ref = _dense_block(rng, kind, 2, 3 if rect else 2, dtype)
        refs.append(ref)
        builders.append((lambda xp, a=a: _to_backend(xp, a), 1))
        conds.append(8.0)
        groups.append("dense")

    dense = sla.block_diag(*refs).astype(ref_dt)

    def build(xp: Any) -> kb.AbstractLinearOperator:
        blocks: list[Any] = []
        for make, copies in builders:
            op = make(xp)
            blocks.extend([op] * copies)
        return block_diag(*blocks)

    return Case(
        "block_diagonal", kind, dtype, dense, build, 2.0 * max(conds), 2,
        {"groups": groups, "seed": seed, "densifies": densifies, "shapes": shapes},
    )  # fmt: skip
