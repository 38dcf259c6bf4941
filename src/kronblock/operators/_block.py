"""``Block``: a matrix of blocks ``[[A, B], [C, D]]`` (any operators) and its Schur complements.

Notation: block ``(i, j)`` is ``mᵢ × nⱼ``; zero blocks are stored as ``None``
and cost nothing.  ``M = Σ mᵢ``, ``N = Σ nⱼ``.

Solves, determinants and the inverse of a square block matrix (row and
column partitions equal) go through Schur complements.  With a diagonal
block ``P = B_kk`` as pivot and the other blocks ``R``::

    [[P, B], [C, D]] = [[I, 0], [C P⁻¹, I]] · [[P, 0], [0, S]] · [[I, P⁻¹ B], [0, I]],
    S = D − C P⁻¹ B,   det = det(P) · det(S)

``P`` is factorized through its own structure (a Kronecker pivot by its
factors); ``S`` is again a block matrix over ``R`` whose block ``(i, j)`` is
``D_ij`` itself where ``C_i`` or ``B_j`` is zero (so structure survives, and a
block triangular matrix becomes plain block substitution), and
``D_ij − C_i (P⁻¹ B_j)`` formed densely at its own block size otherwise —
except for two block rows whose ``D`` is structured and larger than the
pivot: there ``S = D − C (P⁻¹B)`` is a low-rank update of ``D`` and is
factorized by Woodbury through ``D``'s own factorization
(:class:`WoodburyFactorization`), never formed.
The recursion ends at one block.  The first diagonal block that factorizes
is the pivot (a symmetric permutation of the blocks: the determinant and the
solution are unchanged); when none does, a :class:`~kronblock.LinAlgError`
names the way out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, final

import numpy as np

from .._array_api import Array, Namespace, as_float_dtype, promote
from .._errors import LinAlgError
from .._operator import (
    AbstractLinearOperator,
    Composite,
    Product,
    Scaled,
    Sum,
    adopt_neutral,
    astype,
    common_device,
    common_dtype,
    common_namespace,
)
from ..linalg import diagonal, factorize, inv, norm, slogdet, trace
from ..linalg._factorization import Factorization
from ._dense import Dense, aslinearoperator

__all__ = ["Block", "BlockFactorization", "block"]

Entry = AbstractLinearOperator | None


def _is_zero(a: Any) -> bool:
    if a is None:
        return True
    if isinstance(a, (bool, int, float, complex, np.number)) and a == 0:
        return True
    return False


@final
@dataclass(frozen=True, eq=False, repr=False)
class Block(Composite):
    """A lazy block matrix: a grid of operators (``None`` for a zero block).

    Build it with :func:`block`.  ``row_sizes[i]`` is the height of block row
    ``i``, ``col_sizes[j]`` the width of block column ``j``.

    Cost of ``M @ X`` (``X`` of shape ``(N, k)``): the sum over non-zero blocks
    of their products; zero blocks cost nothing.
    """

    blocks: tuple[tuple[Entry, ...], ...]
    row_sizes: tuple[int, ...]
    col_sizes: tuple[int, ...]

    def __post_init__(self) -> None:
        parts = [b for row in self.blocks for b in row if b is not None]
        if not parts:
            raise ValueError(
                "block: every block is zero; use kb.Dense(np.zeros((M, N))) for a zero matrix"
            )
        adopted = iter(adopt_neutral(parts, "block"))
        grid = tuple(
            tuple(None if b is None else next(adopted) for b in row) for row in self.blocks
        )
        object.__setattr__(self, "blocks", grid)
        self._settle()

    # ---- the interface ---------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return (sum(self.row_sizes), sum(self.col_sizes))

    @property
    def parts(self) -> tuple[AbstractLinearOperator, ...]:
        return tuple(b for row in self.blocks for b in row if b is not None)

    def _settle(self) -> None:
        parts = self.parts
        xp = common_namespace(parts, "block")
        meta = (xp, common_dtype(parts, xp), common_device(parts), all(p.is_neutral for p in parts))
        object.__setattr__(self, "_meta", meta)

    def _adopt(self, xp: Namespace, dtype: Any, device: Any) -> AbstractLinearOperator:
        grid = tuple(
            tuple(None if b is None else b._adopt(xp, dtype, device) for b in row)
            for row in self.blocks
        )
        return Block(grid, self.row_sizes, self.col_sizes)

    @property
    def grid_shape(self) -> tuple[int, int]:
        """The number of block rows and block columns."""
        return (len(self.row_sizes), len(self.col_sizes))

    @property
    def aligned(self) -> bool:
        """True when the row and column partitions agree (square diagonal blocks)."""
        return self.row_sizes == self.col_sizes

    def _offsets(self, sizes: Sequence[int]) -> list[int]:
        out = [0]
        for s in sizes:
            out.append(out[-1] + s)
        return out

    def _split(self, x: Array, sizes: Sequence[int]) -> list[Array]:
        off = self._offsets(sizes)
        return [x[off[j] : off[j + 1], ...] for j in range(len(sizes))]

    def _matmat(self, x: Array) -> Array:
        # y_i = Σ_j B_ij x_j over the non-zero blocks
        xp = self.xp
        xs = self._split(x, self.col_sizes)
        k = x.shape[1]
        rows = []
        for i, row in enumerate(self.blocks):
            acc = None
            for j, b in enumerate(row):
                if b is None:
                    continue
                y = b._matmat(xs[j])
                if y.dtype != x.dtype:
                    y = xp.astype(y, x.dtype)
                acc = y if acc is None else acc + y
            if acc is None:
                acc = xp.zeros((self.row_sizes[i], k), dtype=x.dtype, device=self.device)
            rows.append(acc)
        return xp.concat(rows, axis=0)

    def _adjoint(self) -> AbstractLinearOperator:
        grid = tuple(
            tuple(None if row[i] is None else row[i].H for row in self.blocks)  # type: ignore[union-attr]
            for i in range(len(self.col_sizes))
        )
        return Block(grid, self.col_sizes, self.row_sizes)

    def _transpose(self) -> AbstractLinearOperator:
        grid = tuple(
            tuple(None if row[i] is None else row[i].T for row in self.blocks)  # type: ignore[union-attr]
            for i in range(len(self.col_sizes))
        )
        return Block(grid, self.col_sizes, self.row_sizes)

    def _to_dense(self) -> Array:
        xp, dt = self.xp, self.dtype
        rows = []
        for i, row in enumerate(self.blocks):
            cells = []
            for j, b in enumerate(row):
                if b is None:
                    cells.append(
                        xp.zeros(
                            (self.row_sizes[i], self.col_sizes[j]), dtype=dt, device=self.device
                        )
                    )
                else:
                    d = b.to_dense()
                    cells.append(d if d.dtype == dt else xp.astype(d, dt))
            rows.append(xp.concat(cells, axis=1))
        return xp.concat(rows, axis=0)

    def _entries(self, rows: Array, cols: Array) -> Array:
        # locate each (row, col) in its block and read it there: O(len) plus per-block reads
        from .._operator import _host

        xp, dt = self.xp, self.dtype
        r = np.asarray(_host(rows), dtype=np.int64)
        c = np.asarray(_host(cols), dtype=np.int64)
        roff = np.asarray(self._offsets(self.row_sizes))
        coff = np.asarray(self._offsets(self.col_sizes))
        bi = np.searchsorted(roff, r, side="right") - 1
        bj = np.searchsorted(coff, c, side="right") - 1
        out = np.zeros(r.shape[0], dtype=np.dtype(str(_np_dtype(dt))))
        for i, j in {(int(p), int(q)) for p, q in zip(bi, bj)}:
            b = self.blocks[i][j]
            if b is None:
                continue
            sel = np.nonzero((bi == i) & (bj == j))[0]
            lr = xp.asarray(r[sel] - roff[i], device=self.device)
            lc = xp.asarray(c[sel] - coff[j], device=self.device)
            out[sel] = _as_host(b._entries(lr, lc))
        return xp.asarray(out, device=self.device)

    def __repr__(self) -> str:
        m, n = self.grid_shape
        return f"Block({m}×{n} blocks, shape={self.shape}, dtype={self.dtype})"


def _np_dtype(dt: Any) -> Any:
    name = str(dt).split(".")[-1]
    return np.dtype(name)


def _as_host(a: Array) -> np.ndarray:
    from .._array_api import to_numpy

    return np.asarray(to_numpy(a))


def _entry(a: Any, i: int, j: int) -> Entry:
    if _is_zero(a):
        return None
    if isinstance(a, (bool, int, float, complex, np.number)):
        raise TypeError(
            f"block: block ({i}, {j}) is the scalar {a!r}; only 0 (or None) stands for a block; "
            f"write s * kb.identity(n) for a multiple of the identity"
        )
    return aslinearoperator(a)


def block(
    blocks: Sequence[Sequence[Any]],
    *,
    row_sizes: Sequence[int] | None = None,
    col_sizes: Sequence[int] | None = None,
) -> Block:
    """A lazy block matrix, mirroring ``numpy.block`` for a 2-D grid.

    Parameters
    ----------
    blocks : list of lists
        Block rows of equal length.  Entries are arrays (any array-API
        library, ``scipy.sparse``), operators, or ``0``/``None`` for a zero
        block, whose size comes from its block row and column.
    row_sizes, col_sizes : sequence of int, optional
        Heights of the block rows and widths of the block columns; needed only
        where a whole block row or column is zero.

    Raises
    ------
    ValueError
        Ragged grids, blocks whose shapes disagree within a block row or
        column (the message names both), or an all-zero block row or column
        without its size.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]]); B = np.array([[1.0], [2.0]])
    >>> M = kb.block([[A, B], [B.T, 0]])       # a saddle-point (KKT) matrix
    >>> bool(np.array_equal(M.to_dense(), np.block([[A, B], [B.T, np.zeros((1, 1))]])))
    True
    >>> x = kb.solve(M, np.ones(3))            # through the Schur complement -Bᵀ A⁻¹ B
    >>> bool(np.allclose(M.to_dense() @ x, np.ones(3)))
    True
    """
    grid = [list(r) for r in blocks]
    if not grid or not all(len(r) == len(grid[0]) for r in grid) or not grid[0]:
        raise ValueError(
            "block: expected a non-empty grid of block rows of equal length, got row lengths "
            f"{[len(r) for r in grid]}"
        )
    entries = [[_entry(a, i, j) for j, a in enumerate(r)] for i, r in enumerate(grid)]
    rs = _sizes(entries, row_sizes, axis=0)
    cs = _sizes(entries, col_sizes, axis=1)
    return Block(tuple(tuple(r) for r in entries), tuple(rs), tuple(cs))


def _sizes(entries: list[list[Entry]], given: Sequence[int] | None, axis: int) -> list[int]:
    what = ("row", "column")[axis]
    kw = ("row_sizes", "col_sizes")[axis]
    count = len(entries) if axis == 0 else len(entries[0])
    if given is not None and len(given) != count:
        raise ValueError(f"block: {kw} has {len(given)} entries for {count} block {what}s")
    out = []
    for k in range(count):
        line = entries[k] if axis == 0 else [r[k] for r in entries]
        seen: dict[int, tuple[int, int]] = {}
        for other, b in enumerate(line):
            if b is not None:
                seen.setdefault(b.shape[axis], (k, other) if axis == 0 else (other, k))
        if len(seen) > 1:
            (s1, p1), (s2, p2) = list(seen.items())[:2]
            raise ValueError(
                f"block: blocks {p1} and {p2} are in the same block {what} but have "
                f"{'heights' if axis == 0 else 'widths'} {s1} and {s2}"
            )
        size = next(iter(seen)) if seen else None
        if given is not None:
            if size is not None and size != given[k]:
                raise ValueError(
                    f"block: block {what} {k} has size {size} but {kw} says {given[k]}"
                )
            size = given[k]
        if size is None:
            raise ValueError(
                f"block: block {what} {k} has only zero blocks, so its size is unknown; give "
                f"it with {kw}="
            )
        out.append(int(size))
    return out


# ---- Schur-complement factorization ------------------------------------------------------
def _dense_of(op: AbstractLinearOperator, dtype: Any) -> Array:
    d = op.to_dense()
    return d if d.dtype == dtype else op.xp.astype(d, dtype)


def _schur_block(d: Entry, c: Entry, w: Array | None, dtype: Any) -> Entry:
    """``D − C W`` (``W = P⁻¹ B``), dense at the block size; ``D`` itself if ``C`` or ``W`` is 0."""
    if c is None or w is None:
        return None if d is None else astype(d, dtype)
    cw = c._matmat(w) if c.dtype == dtype else astype(c, dtype)._matmat(w)
    if d is None:
        return Dense(-cw)
    return Dense(_dense_of(d, dtype) - cw)


class BlockFactorization(Factorization):
    """``[[P, B], [C, D]] = L · diag(P, S) · U`` with pivot ``P = B_kk`` and ``S = D − C P⁻¹ B``.

    ``P`` and ``S`` are factorized through their own structure (``S`` a
    :class:`Block` again, recursively).  A solve: ``y = P⁻¹ b_k``,
    ``x_R = S⁻¹ (b_R − C y)``, ``x_k = P⁻¹ (b_k − B x_R)``; the adjoint solve
    uses ``Pᴴ``, ``Sᴴ`` with ``B`` and ``C`` swapped and conjugate-transposed.
    ``det = det(P) · det(S)``.
    """

    def __init__(
        self,
        op: Block,
        pivot: int,
        fp: Factorization,
        fs: Factorization,
        dtype: Any,
    ) -> None:
        self.xp, self.n, self.dtype = op.xp, op.shape[0], dtype
        self.op, self.pivot, self.fp, self.fs = op, pivot, fp, fs
        k = pivot
        self.rest = [i for i in range(len(op.row_sizes)) if i != k]
        self.b_row = [op.blocks[k][j] for j in self.rest]  # B: row k without the pivot
        self.c_col = [op.blocks[i][k] for i in self.rest]  # C: column k without the pivot
        off = op._offsets(op.row_sizes)
        self.ranges = [(off[i], off[i + 1]) for i in range(len(op.row_sizes))]

    def _solve(self, b: Array, adjoint: bool) -> Array:
        xp = self.xp
        lo, hi = self.ranges[self.pivot]
        b_k = b[lo:hi, ...]
        b_r = xp.concat([b[s:e, ...] for s, e in (self.ranges[i] for i in self.rest)], axis=0)
        sizes_r = [self.ranges[i][1] - self.ranges[i][0] for i in self.rest]
        # the operators that couple the pivot to the rest, in this direction
        if adjoint:
            down = [None if c is None else c.H for c in self.b_row]  # Bᴴ: pivot → rest
            up = [None if c is None else c.H for c in self.c_col]  # Cᴴ: rest → pivot
        else:
            down = list(self.c_col)  # C: pivot → rest
            up = list(self.b_row)  # B: rest → pivot
        y = self.fp._solve(b_k, adjoint)
        parts = []
        for op, size in zip(down, sizes_r):
            if op is None:
                parts.append(xp.zeros((size, b.shape[1]), dtype=b.dtype, device=_device(b)))
            else:
                parts.append(_cast(xp, op._matmat(_cast(xp, y, op.dtype, b.dtype)), b.dtype))
        x_r = self.fs._solve(b_r - xp.concat(parts, axis=0), adjoint)
        acc = b_k
        start = 0
        for op, size in zip(up, sizes_r):
            piece = x_r[start : start + size, ...]
            start += size
            if op is not None:
                acc = acc - _cast(xp, op._matmat(_cast(xp, piece, op.dtype, b.dtype)), b.dtype)
        x_k = self.fp._solve(acc, adjoint)
        # back to the original block order
        pieces: list[Array] = [x_k] * len(self.ranges)
        start = 0
        for i, size in zip(self.rest, sizes_r):
            pieces[i] = x_r[start : start + size, ...]
            start += size
        pieces[self.pivot] = x_k
        return xp.concat(pieces, axis=0)

    def slogdet(self) -> tuple[Array, Array]:
        xp = self.xp
        s1, l1 = self.fp.slogdet()
        s2, l2 = self.fs.slogdet()
        if s1.dtype != s2.dtype:
            dt = promote(xp, s1.dtype, s2.dtype)
            s1, s2 = xp.astype(s1, dt), xp.astype(s2, dt)
        sign = s1 * s2
        logabs = l1 + xp.astype(l2, l1.dtype) if l2.dtype != l1.dtype else l1 + l2
        return sign, xp.where(sign == 0, xp.asarray(-math.inf, dtype=logabs.dtype), logabs)


def _device(a: Array) -> Any:
    from .._array_api import device_of

    return device_of(a)


def _cast(xp: Namespace, a: Array, *dtypes: Any) -> Array:
    target = promote(xp, *dtypes) if len(dtypes) > 1 else dtypes[0]
    return a if a.dtype == target else xp.astype(a, target)


def _sub_block(op: Block, keep: Sequence[int], grid: list[list[Entry]]) -> AbstractLinearOperator:
    sizes = tuple(op.row_sizes[i] for i in keep)
    if len(keep) == 1:
        only = grid[0][0]
        if only is None:
            raise LinAlgError("factorize: a Schur complement is exactly zero: singular")
        return only
    if all(b is None for row in grid for b in row):
        raise LinAlgError("factorize: a Schur complement is exactly zero: singular")
    return Block(tuple(tuple(r) for r in grid), sizes, sizes)


class WoodburyFactorization(Factorization):
    """``S = D − U V`` (``U``: q×p, ``V``: p×q, ``p`` small) through ``D``'s own factorization.

    Woodbury: ``S⁻¹ = D⁻¹ + D⁻¹U (I − V D⁻¹U)⁻¹ V D⁻¹``, with the p×p capacitance
    ``I − V D⁻¹U`` factorized once; ``det S = det D · det(I − V D⁻¹U)``.  Set-up:
    ``p`` solves with ``D``; a solve: one with ``D`` (two for the adjoint) and
    ``O(q·p)``.  The Schur complement of a small pivot bordering a large
    structured block (a Kronecker product, say) stays structured this way.
    """

    def __init__(self, fd: Factorization, u: Array, v: Array, dtype: Any) -> None:
        xp = fd.xp
        self.xp, self.n, self.dtype = xp, fd.n, dtype
        self.fd, self.u, self.v = fd, u, v
        self.du = fd._solve(u, False)  # D⁻¹U: q × p
        p = int(u.shape[1])
        cap = xp.eye(p, dtype=self.du.dtype, device=_device(u)) - v @ self.du
        self.fcap = factorize(Dense(cap))

    def _solve(self, b: Array, adjoint: bool) -> Array:
        xp = self.xp
        if not adjoint:  # x = z + D⁻¹U (I − V D⁻¹U)⁻¹ V z, z = D⁻¹ b
            z = self.fd._solve(b, False)
            t = self.fcap._solve(_cast(xp, self.v, z.dtype) @ z, False)
            return z + _cast(xp, self.du, z.dtype) @ t
        # Sᴴ = Dᴴ − Vᴴ Uᴴ: x = z + D⁻ᴴ Vᴴ (I − Uᴴ D⁻ᴴ Vᴴ)⁻¹ Uᴴ z, and that capacitance is capᴴ
        z = self.fd._solve(b, True)
        uh = xp.conj(xp.matrix_transpose(_cast(xp, self.u, z.dtype)))
        t = self.fcap._solve(uh @ z, True)
        vh = xp.conj(xp.matrix_transpose(_cast(xp, self.v, z.dtype)))
        return z + self.fd._solve(vh @ t, True)

    def slogdet(self) -> tuple[Array, Array]:
        xp = self.xp
        s1, l1 = self.fd.slogdet()
        s2, l2 = self.fcap.slogdet()
        if s1.dtype != s2.dtype:
            dt = promote(xp, s1.dtype, s2.dtype)
            s1, s2 = xp.astype(s1, dt), xp.astype(s2, dt)
        sign = s1 * s2
        logabs = l1 + (xp.astype(l2, l1.dtype) if l2.dtype != l1.dtype else l2)
        return sign, xp.where(sign == 0, xp.asarray(-math.inf, dtype=logabs.dtype), logabs)


def _low_rank_schur(
    op: Block, k: int, rest: list[int], ws: dict[int, Array], dtype: Any, assume_a: str
) -> Factorization | None:
    """Two block rows, ``D`` structured and larger than the pivot: ``S = D − C (P⁻¹B)``, Woodbury.

    ``None`` (the dense-at-block-size route) for larger grids, a dense ``D``, a
    pivot at least as large as ``D``, or a positive definite factorization
    (which must prove ``S`` positive definite: a Cholesky at its block size).
    """
    if len(rest) != 1 or assume_a != "general":
        return None
    (r,) = rest
    d, c = op.blocks[r][r], op.blocks[r][k]
    w = ws.get(r)
    if d is None or isinstance(d, Dense) or c is None or w is None:
        return None
    if op.row_sizes[k] >= op.row_sizes[r]:
        return None
    fd = factorize(astype(d, dtype), assume_a="general")
    return WoodburyFactorization(fd, _dense_of(c, dtype), w, dtype)


def _factorize_block_matrix(op: Block, assume_a: str) -> Factorization:
    """Pivot on the first diagonal block that factorizes; recurse on the Schur complement."""
    dtype = as_float_dtype(op.xp, op.dtype)
    nb = len(op.row_sizes)
    if nb == 1:
        only = op.blocks[0][0]
        if only is None:
            raise LinAlgError("factorize: the block matrix is zero: singular")
        return factorize(astype(only, dtype), assume_a=assume_a)
    tried = []
    for k in range(nb):
        p = op.blocks[k][k]
        if p is None:
            tried.append(f"{k} (zero)")
            continue
        try:
            fp = factorize(astype(p, dtype), assume_a=assume_a)
        except LinAlgError:
            tried.append(f"{k} (singular)")
            continue
        rest = [i for i in range(nb) if i != k]
        # W_j = P⁻¹ B_j, dense at its block's size, only where B_j is non-zero
        ws: dict[int, Array] = {}
        for j in rest:
            bj = op.blocks[k][j]
            if bj is not None:
                ws[j] = fp._solve(_dense_of(bj, dtype), False)
        try:
            low_rank = _low_rank_schur(op, k, rest, ws, dtype, assume_a)
            if low_rank is not None:
                fs = low_rank
            else:
                grid = [
                    [_schur_block(op.blocks[i][j], op.blocks[i][k], ws.get(j), dtype) for j in rest]
                    for i in rest
                ]
                fs = factorize(_sub_block(op, rest, grid), assume_a=assume_a)
        except LinAlgError as exc:
            inner = str(exc).split(": ", 1)[-1]
            raise LinAlgError(
                f"factorize: the block matrix is singular: with block {k} as pivot, its Schur "
                f"complement is singular ({inner})"
            ) from exc
        return BlockFactorization(op, k, fp, fs, dtype)
    raise LinAlgError(
        f"factorize: no diagonal block of the {nb}×{nb} block matrix can serve as a pivot "
        f"(blocks {', '.join(tried)}), though the whole may be nonsingular; reorder the blocks "
        f"so that a nonsingular block is on the diagonal (e.g. kb.block([[B, A], [D, C]]) with "
        f"the unknowns permuted), or solve densely with kb.aslinearoperator(M.to_dense())"
    )


@factorize.register
def _factorize_block(op: Block, assume_a: str) -> Factorization:
    """Schur complements over the blocks (see the module doc); unaligned partitions: dense."""
    if not op.aligned:
        return factorize.dispatch(AbstractLinearOperator)(op, assume_a)
    return _factorize_block_matrix(op, assume_a)


@slogdet.register
def _slogdet_block(op: Block) -> tuple[Array, Array]:
    """``det = det(P) · det(S)`` recursively; a singular matrix gives ``(0, -inf)``."""
    if not op.aligned:
        return slogdet.dispatch(AbstractLinearOperator)(op)
    xp = op.xp
    try:
        return _factorize_block_matrix(op, "general").slogdet()
    except LinAlgError as exc:
        if "no diagonal block" in str(exc):
            raise LinAlgError(str(exc).replace("factorize:", "slogdet:", 1)) from exc
        dt = as_float_dtype(xp, op.dtype)
        from .._array_api import real_dtype

        return (
            xp.asarray(0.0, dtype=dt, device=op.device),
            xp.asarray(-math.inf, dtype=real_dtype(xp, dt), device=op.device),
        )


@inv.register
def _inv_block(op: Block) -> AbstractLinearOperator:
    """``[[P, B], [C, D]]⁻¹ = [[P⁻¹ + P⁻¹ B S⁻¹ C P⁻¹, −P⁻¹ B S⁻¹], [−S⁻¹ C P⁻¹, S⁻¹]]``, lazy.

    Returned as a :class:`Block` over the pivot and the rest (for a 2×2 grid,
    its own partition; for a larger grid pivoting on block 0, a 2×2 partition
    whose second block is the inverse of the rest's Schur complement); any
    other pivot gives the inverse as a lazy solve operator.
    """
    if not op.aligned:
        return inv.dispatch(AbstractLinearOperator)(op)
    f = _factorize_block_matrix(op, "general")
    if not isinstance(f, BlockFactorization):
        return inv(op.blocks[0][0])
    nb = len(op.row_sizes)
    if nb > 2 and f.pivot != 0:
        from ..linalg._factorization import SolveOperator

        return SolveOperator(f, False, f.dtype)
    dt, dev = f.dtype, op.device
    p_inv = f.fp.inverse_operator(dt, dev)
    s_inv = f.fs.inverse_operator(dt, dev)
    k = f.pivot
    rest_sizes = tuple(op.row_sizes[i] for i in f.rest)
    b = _row_operator(f.b_row, op.row_sizes[k], rest_sizes)
    c = _col_operator(f.c_col, op.row_sizes[k], rest_sizes)
    top_right = None if b is None else Scaled(-1, Product((p_inv, b, s_inv)))
    bottom_left = None if c is None else Scaled(-1, Product((s_inv, c, p_inv)))
    top_left: AbstractLinearOperator = p_inv
    if b is not None and c is not None:
        top_left = Sum((p_inv, Product((p_inv, b, s_inv, c, p_inv))))
    m_k, m_r = op.row_sizes[k], sum(rest_sizes)
    if k == 0:
        return Block(((top_left, top_right), (bottom_left, s_inv)), (m_k, m_r), (m_k, m_r))
    return Block(((s_inv, bottom_left), (top_right, top_left)), (m_r, m_k), (m_r, m_k))


def _row_operator(ops: Sequence[Entry], height: int, widths: tuple[int, ...]) -> Entry:
    if all(o is None for o in ops):
        return None
    if len(ops) == 1:
        return ops[0]
    return Block((tuple(ops),), (height,), widths)


def _col_operator(ops: Sequence[Entry], width: int, heights: tuple[int, ...]) -> Entry:
    if all(o is None for o in ops):
        return None
    if len(ops) == 1:
        return ops[0]
    return Block(tuple((o,) for o in ops), heights, (width,))


# ---- reductions ----------------------------------------------------------------------------
@diagonal.register
def _diagonal_block(op: Block) -> Array:
    """Aligned partitions: the diagonal blocks' diagonals (zeros for zero blocks); else entries."""
    xp = op.xp
    if not op.aligned:
        r = xp.arange(min(op.shape), device=op.device)
        return op._entries(r, r)
    pieces = []
    for i, size in enumerate(op.row_sizes):
        b = op.blocks[i][i]
        if b is None:
            pieces.append(xp.zeros((size,), dtype=op.dtype, device=op.device))
        else:
            d = diagonal(b)
            pieces.append(d if d.dtype == op.dtype else xp.astype(d, op.dtype))
    return xp.concat(pieces, axis=0)


@trace.register
def _trace_block(op: Block) -> Array:
    """Aligned partitions: ``Σ trace(B_ii)``; else the sum of the diagonal."""
    xp = op.xp
    if not op.aligned:
        return xp.sum(_diagonal_block(op))
    out = xp.asarray(0, dtype=op.dtype, device=op.device)
    for i in range(len(op.row_sizes)):
        b = op.blocks[i][i]
        if b is not None:
            t = trace(b)
            out = out + (t if t.dtype == op.dtype else xp.astype(t, op.dtype))
    return out


@norm.register
def _norm_block(op: Block, ord: Any) -> Array:
    """Frobenius: ``sqrt(Σ ‖B_ij‖²)`` over the non-zero blocks; other norms: the dense fallback."""
    if ord not in ("fro", None):
        return norm.dispatch(AbstractLinearOperator)(op, ord)
    xp = op.xp
    total = None
    for b in op.parts:
        v = norm(b, "fro")
        total = v * v if total is None else total + v * v
    assert total is not None
    return xp.sqrt(total)


@astype.register
def _astype_block(op: Block, dtype: Any) -> AbstractLinearOperator:
    grid = tuple(tuple(None if b is None else astype(b, dtype) for b in row) for row in op.blocks)
    return Block(grid, op.row_sizes, op.col_sizes)
