"""``Toeplitz``: the lazy Toeplitz matrix ``toeplitz(c, r)`` and all its fast paths.

Convention (``scipy.linalg.toeplitz``): ``c`` is the first column (length
``m``), ``r`` the first row (length ``n``; ``r[0]`` is ignored and ``c[0]``
used), ``T[i, j] = c[i − j]`` for ``i ≥ j`` and ``r[j − i]`` above the
diagonal; without ``r`` the matrix is Hermitian, ``r = conj(c)``.  The
``m + n − 1`` diagonals are kept in one vector ``v = [r_{n−1}, …, r₁, c₀, …,
c_{m−1}]`` with ``T[i, j] = v[n − 1 + i − j]``.

Products (``T X`` for ``X`` of shape ``(n, k)``), by a small cost model:

- *banded*: one shifted ``axpy`` per nonzero diagonal, ``O(b·m·k)`` for
  ``b`` nonzero diagonals, chosen when ``b`` is small;
- *circulant embedding*: ``T`` is the leading ``m × n`` block of the circulant
  of order ``L = next_fast_len(m + n − 1)`` with first column
  ``[c, 0, …, 0, r_{n−1}, …, r₁]``, applied by FFT: ``O(L log L · k)``.

Solves (square ``T``), through :class:`ToeplitzFactorization` (``method="auto"``):

1. Hermitian (``r = conj(c)`` exactly): the Levinson–Durbin recursion on
   ``c`` (``n`` steps of ``O(n)`` vector work, ``O(n²)`` in all) gives the
   first column ``x`` of ``T⁻¹`` and the prediction errors ``Eₖ``
   (``det T_{k+1} = Π_{j≤k} Eⱼ``).  All ``Eₖ > 0`` (reflection coefficients
   ``|γₖ| < 1``) proves ``T`` positive definite.
2. Otherwise the non-symmetric Levinson recursion gives ``x = T⁻¹e₀`` and
   ``y = T⁻¹e_{n−1}`` (twice the work).
3. The Gohberg–Semencul formula then applies the inverse to all ``k``
   right-hand sides at once by FFT:
   ``T⁻¹ = (1/x₀)[L(x) L(Jy)ᵀ − L(Zy) L(ZJx)ᵀ]`` (``L(v)`` lower triangular
   Toeplitz with first column ``v``, ``J`` the reversal, ``Z`` the down
   shift; for Hermitian ``T``, ``y = J x̄``), six FFTs of length
   ``next_fast_len(2n − 1)`` per block: ``O(n log n · k)`` (SciPy's
   ``solve_toeplitz`` repeats its ``O(n²)`` recursion for every column).
   Real ``T`` with real NumPy columns: the circulant–skew-circulant form
   ``T⁻¹ = ½[C(g₁)S(Jh₁) + C(g₂)S(Jh₂)]`` (:mod:`._toeplitz_cs`, generators
   from four one-column solves) costs 3.5 transforms of length ``n`` instead,
   and is used unless its error growth exceeds the formula's by more than 4×.
4. Positive definite: done (Levinson–Durbin is weakly stable there).  Any
   other case is checked: the residual of every solve is measured (one
   product) and, where the backward error exceeds ``64·√n·eps``, refined by
   GMRES preconditioned with the Gohberg–Semencul inverse.
5. A breakdown of the recursion (a leading principal minor singular up to
   rounding), or an inverse that fails a check on a random vector, switches
   to GMRES with a T. Chan (or Strang) circulant preconditioner; a solve
   that does not reach the backward error raises
   :class:`~kronblock.ConvergenceError` naming the matrix as singular or too
   ill-conditioned.  Never a silent wrong answer.

``slogdet`` comes from the Levinson prediction errors (``O(n²)``; for
non-Hermitian ``T`` only when the recursion passed its check, else the dense
fallback).  There is no fast exact method for the eigenvalues, singular
values, eigenvectors or Cholesky factor of a Toeplitz matrix: ``eig``,
``eigvals``, ``eigh``, ``eigvalsh``, ``svd``, ``cholesky`` and the 2, −2 and
nuclear norms go through the dense fallback (with its
:class:`~kronblock.DensificationWarning`).

The recursions run on the host in float64 (complex128), whatever the
operator's library and dtype (eager arrays; lazy ones raise ``TypeError``);
their ``O(n)`` results are moved to the operator's library and dtype once,
and every ``O(n log n · k)`` application runs there.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, final

import numpy as np

from .._array_api import (
    NUMPY,
    Array,
    Namespace,
    as_float_dtype,
    device_of,
    from_numpy,
    is_complex_dtype,
    is_eager,
    is_numpy_namespace,
    namespace_of,
    promote,
    real_dtype,
    to_numpy,
)
from .._errors import ConvergenceError, LinAlgError
from .._operator import AbstractLinearOperator, astype, negate
from .._tags import HERMITIAN
from ..linalg import diagonal, factorize, inv, norm, slogdet, trace
from ..linalg._factorization import Factorization, SolveOperator, slogdet_of_values
from ._circulant import (
    WORKSPACE,
    Circulant,
    Workspace,
    as_vector,
    cast,
    cfft,
    circular_apply,
    complex_dtype,
    conjugate,
    icfft,
    irfft,
    next_fast_len,
    rfft,
    workspace_of,
)
from ._columns import column_chunks, run_chunks
from ._toeplitz_cs import CSPlan, cs_plan

__all__ = ["Toeplitz", "ToeplitzFactorization", "toeplitz"]


def _floating(xp: Namespace, dtype: Any) -> bool:
    return bool(xp.isdtype(dtype, ("real floating", "complex floating")))


# ---- the product cost model ------------------------------------------------------------
#: Seconds per entry of one banded ``axpy`` and per diagonal (NumPy call overhead), and
#: per ``L·log₂L`` entry of one real FFT and per product (FFT set-up), measured on the
#: reference machine (2 cores, OpenBLAS, scipy.fft); only their ratios matter.
_AXPY_ENTRY, _AXPY_CALL = 1.5e-9, 2.0e-6
_FFT_ENTRY, _FFT_CALL = 0.6e-9, 15e-6


def banded_is_cheaper(diagonals: int, m: int, n: int, k: int) -> bool:
    """The cost model: ``b`` shifted ``axpy`` of ``min(m, n)·k`` entries against two FFTs.

    Banded: ``b·(min(m, n)·k·α + β)``; embedding: ``3·L·log₂L·k·γ + δ`` (two
    real FFTs of length ``L = next_fast_len(m + n − 1)`` and the pointwise
    product) with ``α, β, γ, δ`` measured once (module constants).
    """
    L = next_fast_len(m + n - 1)
    banded = diagonals * (min(m, n) * k * _AXPY_ENTRY + _AXPY_CALL)
    fft = 3.0 * L * max(math.log2(L), 1.0) * k * _FFT_ENTRY + _FFT_CALL
    return banded <= fft


# ---- the operator ---------------------------------------------------------------------------
@final
@dataclass(frozen=True, eq=False, repr=False)
class Toeplitz(AbstractLinearOperator):
    """The ``m × n`` Toeplitz matrix with first column ``c`` and first row ``r``.

    Build it with :func:`toeplitz` (``scipy.linalg.toeplitz``'s conventions).
    Rectangular shapes are allowed (products, transposes, entries, norms and
    the dense SVD fallback); solves and determinants need ``m = n``.

    Cost of ``T @ X`` for ``X`` of shape ``(n, k)``: ``O(b·min(m, n)·k)`` for
    ``b`` nonzero diagonals when the band is short, else ``O(L log L · k)``
    by circulant embedding of order ``L = next_fast_len(m + n − 1)`` (see
    :func:`banded_is_cheaper`).  The nonzero diagonals (eager data) and the
    embedding's spectrum per dtype are found on first use and kept; the work
    buffers of NumPy FFT products and solves are kept process-wide (up to
    :data:`~kronblock.operators._circulant.WORKSPACE_BYTES` in all).

    Fast paths: ``solve``, ``factorize`` (:class:`ToeplitzFactorization`),
    ``inv`` (a lazy operator applying the Gohberg–Semencul formula),
    ``slogdet``/``det``/``logdet``, ``diagonal``, ``trace`` and the
    Frobenius, 1, −1, ∞ and −∞ norms.  Eigenvalues, singular values,
    ``eigh``, ``cholesky`` and the 2, −2 and nuclear norms have no fast
    exact method for Toeplitz matrices and use the dense fallback.
    """

    column: Array
    row: Array | None = None

    def __post_init__(self) -> None:
        col = as_vector(self.column, "toeplitz", "the first column c")
        xp = namespace_of(col, where="toeplitz")
        if self.row is None:
            row = conjugate(xp, col)
        else:
            row = as_vector(self.row, "toeplitz", "the first row r")
            xp = namespace_of(col, row, where="toeplitz")
        dt = promote(xp, col.dtype, row.dtype)
        col, row = cast(xp, col, dt), cast(xp, row, dt)
        row = xp.concat([col[:1], row[1:]])  # r[0] is ignored, as in scipy.linalg.toeplitz
        object.__setattr__(self, "column", col)
        object.__setattr__(self, "row", row)
        object.__setattr__(self, "_xp", xp)
        object.__setattr__(self, "_diagonals", xp.concat([xp.flip(row[1:]), col]))

    # ---- the interface ---------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.column.shape[0]), int(self.row.shape[0]))  # type: ignore[union-attr]

    @property
    def dtype(self) -> Any:
        return self.column.dtype

    @property
    def xp(self) -> Namespace:
        return self._xp  # type: ignore[attr-defined]

    @property
    def device(self) -> Any:
        return device_of(self.column)

    @property
    def diagonals(self) -> Array:
        """``v = [r_{n−1}, …, r₁, c₀, …, c_{m−1}]``, with ``T[i, j] = v[n − 1 + i − j]``."""
        return self._diagonals  # type: ignore[attr-defined]

    @property
    def tags(self) -> frozenset[str]:
        # Hermitian iff square and r = conj(c) exactly (checked once, eager data only)
        cached = self.__dict__.get("_tags")
        if cached is None:
            xp, c, r = self.xp, self.column, self.row
            herm = (
                self.shape[0] == self.shape[1]
                and is_eager(c)
                and bool(xp.all(r == conjugate(xp, c)))
            )
            cached = frozenset({HERMITIAN}) if herm else frozenset()
            object.__setattr__(self, "_tags", cached)
        return cached

    def nonzero_diagonals(self) -> list[int] | None:
        """Indices into :attr:`diagonals` of the nonzero diagonals (``None`` for lazy data)."""
        if "_nonzero" not in self.__dict__:
            v = self.diagonals
            nz = [int(i) for i in np.flatnonzero(to_numpy(v))] if is_eager(v) else None
            object.__setattr__(self, "_nonzero", nz)
        return self.__dict__["_nonzero"]

    def product_method(self, k: int = 1) -> str:
        """``"banded"`` or ``"fft"``: how a product with ``k`` columns is computed."""
        nz = self.nonzero_diagonals()
        m, n = self.shape
        return "banded" if nz is not None and banded_is_cheaper(len(nz), m, n, k) else "fft"

    def _spectrum(self, dtype: Any) -> tuple[int, Array]:
        """The embedding circulant's order ``L`` and spectrum at ``dtype`` (kept per dtype)."""
        cache: dict[str, tuple[int, Array]] | None = self.__dict__.get("_spectra")
        if cache is None:
            cache = {}
            object.__setattr__(self, "_spectra", cache)
        key = str(dtype)
        if key not in cache:
            xp = self.xp
            m, n = self.shape
            L = next_fast_len(m + n - 1)
            col, row = cast(xp, self.column, dtype), cast(xp, self.row, dtype)
            pad = xp.zeros((L - m - n + 1,), dtype=dtype, device=self.device)
            w = xp.concat([col, pad, xp.flip(row[1:])])
            cache[key] = (L, cfft(xp, w) if is_complex_dtype(xp, dtype) else rfft(xp, w, L))
        return cache[key]

    def _matmat(self, x: Array) -> Array:
        xp = self.xp
        dt = x.dtype
        if not _floating(xp, dt):  # integers: through float64, rounded back (exact)
            y = self._matmat(xp.astype(x, xp.float64))
            return xp.astype(xp.round(y), dt)
        if self.product_method(int(x.shape[1])) == "banded":
            return _banded_matmat(self, x)
        return _fft_matmat(self, x)

    def _adjoint(self) -> AbstractLinearOperator:
        xp = self.xp
        return Toeplitz(conjugate(xp, self.row), conjugate(xp, self.column))

    def _transpose(self) -> AbstractLinearOperator:
        return Toeplitz(self.row, self.column)

    def _to_dense(self) -> Array:
        xp = self.xp
        m, n = self.shape
        i = xp.arange(m, device=self.device)
        j = xp.arange(n, device=self.device)
        idx = xp.reshape((n - 1) + i[:, None] - j[None, :], (-1,))
        return xp.reshape(xp.take(self.diagonals, idx), (m, n))

    def _entries(self, rows: Array, cols: Array) -> Array:
        return self.xp.take(self.diagonals, (self.shape[1] - 1) + rows - cols)

    def __repr__(self) -> str:
        dt = getattr(self.dtype, "name", None) or str(self.dtype)
        return f"Toeplitz(shape={self.shape}, dtype={dt})"


def _fft_matmat(t: Toeplitz, x: Array) -> Array:
    """The leading ``m × n`` block of the embedding circulant of order ``L``: ``O(L log L · k)``."""
    L, lam = t._spectrum(x.dtype)
    return circular_apply(t.xp, lam, x, L, t.shape[0], workspace_of(t))


def _banded_matmat(t: Toeplitz, x: Array) -> Array:
    """``Σ_d v_d · shift_d(x)`` over the nonzero diagonals ``d = i − j``: ``O(b·min(m,n)·k)``."""
    xp = t.xp
    m, n = t.shape
    k = int(x.shape[1])
    v = cast(xp, t.diagonals, x.dtype)
    out = xp.zeros((m, k), dtype=x.dtype, device=device_of(x))
    in_place = is_numpy_namespace(xp)
    for idx in t.nonzero_diagonals() or ():
        d = idx - (n - 1)
        i0, i1 = max(0, d), min(m, n + d)
        if i0 >= i1:
            continue
        term = v[idx] * x[i0 - d : i1 - d, ...]
        if in_place:
            out[i0:i1, ...] += term  # our own fresh array
        else:  # out of place: any array-API library, immutable ones included
            parts = [
                xp.zeros((i0, k), dtype=x.dtype, device=device_of(x)),
                term,
                xp.zeros((m - i1, k), dtype=x.dtype, device=device_of(x)),
            ]
            out = out + xp.concat(parts, axis=0)
    return out


def toeplitz(c: Any, r: Any = None) -> Toeplitz:
    """The lazy Toeplitz matrix with first column ``c`` and first row ``r``, as SciPy's.

    Parameters
    ----------
    c : 1-D array (any array-API library) or list
        The first column, length ``m``.
    r : 1-D array or list, optional
        The first row, length ``n``; ``r[0]`` is ignored (``c[0]`` is used).
        Default ``conj(c)``: a Hermitian Toeplitz matrix, exactly as
        ``scipy.linalg.toeplitz(c)``.

    Examples
    --------
    >>> import numpy as np, scipy.linalg as sla, kronblock as kb
    >>> from kronblock.operators._toeplitz import toeplitz
    >>> c = np.array([4.0, 1.0, 0.5, 0.25]); r = np.array([4.0, -1.0, 2.0])
    >>> T = toeplitz(c, r)                                     # 4 × 3
    >>> bool(np.array_equal(T.to_dense(), sla.toeplitz(c, r)))
    True
    >>> S = toeplitz(c)                                        # symmetric positive definite
    >>> B = np.arange(8.0).reshape(4, 2)                       # two right-hand sides
    >>> bool(np.allclose(kb.solve(S, B), sla.solve_toeplitz(c, B)))
    True
    >>> bool(np.isclose(kb.logdet(S), np.linalg.slogdet(sla.toeplitz(c))[1]))
    True
    """
    return Toeplitz(c, r)


# ---- Levinson recursions (host, float64 / complex128) -------------------------------------
class _Breakdown(Exception):
    def __init__(self, step: int, value: float) -> None:
        super().__init__(step, value)
        self.step, self.value = step, value


@dataclass
class Levinson:
    """What a Levinson recursion leaves: ``T f = E_{n−1}·e₀``, ``T g = E_{n−1}·e_{n−1}``.

    ``f[0] = 1``; ``gr`` is ``g`` reversed (``gr[0] = g[n−1] = 1``); ``e[k]`` is
    the prediction error of step ``k``, ``det T_{k+1} / det T_k`` for the
    leading ``(k+1) × (k+1)`` block, so ``det T = Π e[k]``.
    """

    f: np.ndarray
    gr: np.ndarray
    e: np.ndarray
    hermitian: bool


def levinson(col: np.ndarray, row: np.ndarray, hermitian: bool) -> Levinson:
    """The Levinson(–Durbin) recursion: ``n − 1`` steps of ``O(k)`` vector work, ``O(n²)``.

    Step ``k`` extends the forward vector ``f`` (``T_{k+1} f = E·e₀``) and the
    backward vector ``g`` (``T_{k+1} g = E·e_k``) by one entry:
    ``f' = [f; 0] + γ_f [0; g]``, ``g' = [0; g] + γ_g [f; 0]`` with
    ``γ_f = −ε_f/E``, ``γ_g = −ε_g/E`` (``ε`` the new off-diagonal entries),
    ``E' = E − ε_f ε_g / E``.  Hermitian ``T``: ``g = J f̄`` and only ``f`` is
    carried (Levinson–Durbin; ``γ`` is the reflection coefficient and
    ``E' = E (1 − |γ|²)``).  Raises ``_Breakdown`` when ``|E'|`` is zero up to
    ``n·eps·Σ|tₖ|`` (a singular leading block).

    Each step is two or three BLAS-1 calls (``dot``, ``axpy``, ``copy``) on
    views fixed by offsets, with reversed copies of the vectors kept
    alongside, so that no step allocates.  The calls pass their arguments by
    position (``dot(x, y, n, offx, incx, offy, incy)``,
    ``axpy(x, y, n, a, offx, incx, offy, incy)``, ``copy`` as ``dot``): f2py's
    keyword parsing took half of the recursion's time (order 2000: 3.8 → 2.0 ms).
    """
    from scipy.linalg import blas

    n = int(col.shape[0])
    cplx = bool(np.iscomplexobj(col) or np.iscomplexobj(row))
    dt = np.complex128 if cplx else np.float64
    col, row = np.ascontiguousarray(col, dtype=dt), np.ascontiguousarray(row, dtype=dt)
    dot = blas.zdotu if cplx else blas.ddot  # Σ xᵢyᵢ, no conjugation
    axpy = blas.zaxpy if cplx else blas.daxpy
    copy = blas.zcopy if cplx else blas.dcopy
    scale = float(np.abs(col).sum() + np.abs(row[1:]).sum())
    tiny = n * float(np.finfo(np.float64).eps) * scale
    crev = np.ascontiguousarray(col[::-1])  # crev[n−1−m] = c_m
    e: Any = float(col[0].real) if hermitian else complex(col[0]) if cplx else float(col[0])
    if not abs(e) > tiny:
        raise _Breakdown(0, abs(e))
    E = [e]
    f = np.zeros(n, dtype=dt)
    f[0] = 1
    fr = np.zeros(n, dtype=dt)  # fr[n−1−j] = f[j] (conj(f[j]) for complex Hermitian T)
    fr[n - 1] = 1
    if hermitian:
        for k in range(n - 1):
            ef = dot(crev, f, k + 1, n - 2 - k)  # Σⱼ c_{k+1−j} fⱼ
            gam = -ef / e
            axpy(fr, f, k + 1, gam, n - 1 - k, 1, 1)  # fⱼ += γ·conj f_{k+1−j}
            copy(f, fr, k + 2, 0, -1, n - 2 - k, 1)
            if cplx:
                tail = fr[n - 2 - k :]
                np.conjugate(tail, out=tail)
                e = e - (ef.real**2 + ef.imag**2) / e
            else:
                e = e + ef * gam
            if not abs(e) > tiny:
                raise _Breakdown(k + 1, abs(e))
            E.append(e)
        return Levinson(f, f.conj() if cplx else f, np.asarray(E, dtype=np.float64), True)
    gr = np.zeros(n, dtype=dt)  # g reversed: T g = E·e_k with g = gr[::-1]
    gr[0] = 1
    grr = np.zeros(n, dtype=dt)  # grr[n−1−j] = gr[j]
    grr[n - 1] = 1
    for k in range(n - 1):
        ef = dot(crev, f, k + 1, n - 2 - k)  # Σⱼ c_{k+1−j} fⱼ
        eg = dot(row, grr, k + 1, 1, 1, n - 1 - k)  # Σⱼ r_{j+1} g_{k−j}
        gf, gg = -ef / e, -eg / e
        axpy(grr, f, k + 1, gf, n - 1 - k, 1, 1)  # fⱼ += γ_f·gr_{k+1−j}
        axpy(fr, gr, k + 1, gg, n - 1 - k, 1, 1)  # grⱼ += γ_g·f_{k+1−j} (old f)
        copy(f, fr, k + 2, 0, -1, n - 2 - k, 1)
        copy(gr, grr, k + 2, 0, -1, n - 2 - k, 1)
        e = e - ef * eg / e
        if not abs(e) > tiny:
            raise _Breakdown(k + 1, abs(e))
        E.append(e)
    return Levinson(f, gr, np.asarray(E, dtype=dt), False)


# ---- the Gohberg–Semencul formula -------------------------------------------------------------
def _gs_vectors(lev: Levinson, adjoint: bool) -> tuple[np.ndarray, ...]:
    """``(a, b, c, d, s)`` with ``T⁻¹ = s·[L(a) L(b)ᵀ − L(c) L(d)ᵀ]`` (or ``T⁻ᴴ``).

    From ``x = f/E``, ``y = g/E``: ``a = f``, ``b = Jg``, ``c = Zg``,
    ``d = ZJf``, ``s = 1/E``.  ``T⁻ᴴ`` takes ``(b̄, ā, d̄, c̄, s̄)``.
    """
    f, gr = lev.f, lev.gr
    g = gr[::-1]
    zero = np.zeros(1, dtype=f.dtype)
    a, b = f, gr
    c = np.concatenate([zero, g[:-1]])
    d = np.concatenate([zero, f[:0:-1]])
    s = 1 / lev.e[-1]
    if adjoint:
        a, b, c, d, s = b.conj(), a.conj(), d.conj(), c.conj(), np.conj(s)
    return a, b, c, d, np.asarray(s)


@dataclass
class _GSPlan:
    """Spectra of length ``L ≥ 2n − 1`` for ``s·[L(a) L(b)ᵀ − L(c) L(d)ᵀ] B`` by FFT."""

    n: int
    L: int
    a: Array  # s·FFT(a)
    bt: Array  # FFT of [b₀, 0, …, 0, b_{n−1}, …, b₁]: L(b)ᵀ as a circular convolution
    c: Array  # s·FFT(c)
    dt: Array
    ws: Workspace  # NumPy work buffers (process-wide: they outlive a factorization)
    cs: CSPlan | None = None  # the circulant form, used for real NumPy columns when set

    def apply(self, xp: Namespace, x: Array) -> Array:
        """Six FFTs of length ``L`` on the ``k`` columns of ``x``: ``O(L log L · k)``.

        Real NumPy columns go through the circulant–skew-circulant form instead
        when the plan has one (:mod:`._toeplitz_cs`: 3.5 transforms of length ``n``).
        """
        n, L = self.n, self.L
        if isinstance(x, np.ndarray):
            if self.cs is not None and not np.iscomplexobj(x):
                return self.cs.apply(x)
            return self._apply_numpy(x)
        if is_complex_dtype(xp, x.dtype):
            hx = cfft(xp, x, n=L)
            z1 = icfft(xp, self.bt[:, None] * hx)[:n, ...]
            z2 = icfft(xp, self.dt[:, None] * hx)[:n, ...]
            y = self.a[:, None] * cfft(xp, z1, n=L) - self.c[:, None] * cfft(xp, z2, n=L)
            return icfft(xp, y)[:n, ...]
        hx = rfft(xp, x, L)
        z1 = irfft(xp, self.bt[:, None] * hx, L)[:n, ...]
        z2 = irfft(xp, self.dt[:, None] * hx, L)[:n, ...]
        y = self.a[:, None] * rfft(xp, z1, L) - self.c[:, None] * rfft(xp, z2, L)
        return irfft(xp, y, L)[:n, ...]

    def growth(self) -> float:
        """``|s|·(‖L(a)‖‖L(b)‖ + ‖L(c)‖‖L(d)‖)``, each norm bounded by its largest spectral modulus.

        How much the formula's products can amplify rounding errors, to compare
        with another form of the same inverse (host plans, NumPy arrays).
        """

        def top(v: Array) -> float:
            return float(np.abs(np.asarray(v)).max())

        return top(self.a) * top(self.bt) + top(self.c) * top(self.dt)

    def _apply_numpy(self, x: np.ndarray) -> np.ndarray:
        # the same six transforms on rows (columns of x as contiguous rows), the two
        # middle ones batched, written by numpy.fft into buffers kept between calls;
        # columns in cache-sized chunks, shared out over the cores (_columns)
        n, L = self.n, self.L
        real = not np.iscomplexobj(x)
        h = L // 2 + 1 if real else L
        cdt = np.result_type(x.dtype, np.complex64)
        fwd, inv = (np.fft.rfft, np.fft.irfft) if real else (np.fft.fft, np.fft.ifft)
        out = np.empty(x.shape, dtype=x.dtype)

        def chunk(worker: int, cols: slice) -> None:
            k = cols.stop - cols.start
            key = ("gs", worker, k, n, L, x.dtype.str)
            specs = (
                ((k, L), x.dtype, True),  # xᵀ zero-padded
                ((k, h), cdt, False),  # its spectrum
                ((2 * k, h), cdt, False),  # times the two upper-triangular spectra
                ((2 * k, L), x.dtype, False),  # [L(b)ᵀx; L(d)ᵀx], truncated to n
                ((2 * k, h), cdt, False),  # their spectra
                ((k, L), x.dtype, False),  # the result
            )
            xb, hx, w, z, spec, y = self.ws.take(key, specs)
            xb[:, :n] = x[:, cols].T
            fwd(xb, axis=-1, out=hx)
            np.multiply(hx, self.bt[None, :], out=w[:k])
            np.multiply(hx, self.dt[None, :], out=w[k:])
            inv(w, n=L, axis=-1, out=z)
            z[:, n:] = 0
            fwd(z, axis=-1, out=spec)
            np.multiply(spec[:k], self.a[None, :], out=spec[:k])
            np.multiply(spec[k:], self.c[None, :], out=spec[k:])
            np.subtract(spec[:k], spec[k:], out=spec[:k])
            inv(spec[:k], n=L, axis=-1, out=y)
            out[:, cols] = y[:, :n].T
            self.ws.give(key, (xb, hx, w, z, spec, y))

        run_chunks(chunk, column_chunks(int(x.shape[1]), L), L)
        return out


def _gs_plan(lev: Levinson, adjoint: bool, real: bool, to: Any, ws: Workspace) -> _GSPlan:
    """The plan, its spectra computed on the host in double precision, then ``to(array)``."""
    import scipy.fft

    a, b, c, d, s = _gs_vectors(lev, adjoint)
    n = int(a.shape[0])
    L = next_fast_len(2 * n - 1)

    def rev(v: np.ndarray) -> np.ndarray:  # [v₀, 0, …, 0, v_{n−1}, …, v₁]
        return np.concatenate([v[:1], np.zeros(L - n, dtype=v.dtype), v[:0:-1]])

    fft = (lambda v: scipy.fft.rfft(v.real, L)) if real else (lambda v: scipy.fft.fft(v, L))
    return _GSPlan(n, L, to(s * fft(a)), to(fft(rev(b))), to(s * fft(c)), to(fft(rev(d))), ws)


# ---- circulant preconditioners --------------------------------------------------------------
PRECONDITIONERS = ("chan", "strang")


def circulant_preconditioner(col: np.ndarray, row: np.ndarray, kind: str) -> np.ndarray:
    """First column of T. Chan's (``"chan"``) or Strang's (``"strang"``) circulant for ``T``.

    T. Chan's optimal circulant minimises ``‖C − T‖_F``:
    ``sₖ = ((n − k)·tₖ + k·t_{k−n}) / n``; Strang's copies the central
    diagonals: ``sₖ = tₖ`` for ``k < n/2``, ``t_{k−n}`` for ``k > n/2`` (their
    mean at ``k = n/2``).  Both are Hermitian for Hermitian ``T``; T. Chan's is
    positive definite for positive definite ``T``.  ``O(n)``.
    """
    n = int(col.shape[0])
    k = np.arange(n)
    neg = np.concatenate([np.zeros(1, dtype=row.dtype), row[:0:-1]])  # t_{k−n}, k ≥ 1
    if kind == "chan":
        return ((n - k) * col + k * neg) / n
    s = np.where(k < (n + 1) // 2, col, neg).astype(np.result_type(col, row))
    if n % 2 == 0 and n > 0:
        s[n // 2] = (col[n // 2] + neg[n // 2]) / 2
    return s


def _preconditioner_inverse(s: np.ndarray, real: bool, hermitian: bool) -> np.ndarray:
    """First column of the inverse circulant, eigenvalues below ``√eps·max|λ|`` lifted.

    A (nearly) singular circulant approximation would make the preconditioner
    blow up: such eigenvalues (for a Hermitian ``T``: those with real part
    below the bound, so that the preconditioner stays positive definite for
    CG) are replaced by ``max|λ|``.
    """
    lam = np.fft.fft(s)
    top = float(np.max(np.abs(lam))) if lam.size else 1.0
    top = top if top > 0 else 1.0
    bound = float(np.finfo(np.float64).eps) ** 0.5 * top
    bad = lam.real < bound if hermitian else np.abs(lam) < bound
    lam = np.where(bad, top, lam.real if hermitian else lam)
    col = np.fft.ifft(1 / lam)
    return col.real if real else col


# ---- the factorization -----------------------------------------------------------------------
METHODS = ("auto", "levinson", "gmres", "cg")

#: The Levinson inverse is trusted for the determinant when it reproduces a random
#: vector to this relative accuracy (in double precision).
_TRUST = 1e-8


def _host(t: Toeplitz, where: str) -> tuple[np.ndarray, np.ndarray]:
    """``c`` and ``r`` on the host in float64 / complex128; non-finite data is a ``ValueError``."""
    try:
        col, row = to_numpy(t.column), to_numpy(t.row)
    except TypeError as exc:
        raise TypeError(
            f"{where}: a Toeplitz solve runs its O(n²) recursion on the host and cannot use "
            f"lazy arrays ({type(t.column).__name__}) without computing them; compute them first"
        ) from exc
    dt = np.complex128 if np.iscomplexobj(col) or np.iscomplexobj(row) else np.float64
    col, row = np.array(col, dtype=dt), np.array(row, dtype=dt)  # copies: ours to modify
    if not (np.all(np.isfinite(col)) and np.all(np.isfinite(row))):
        raise ValueError(
            f"{where}: the Toeplitz matrix contains NaN or inf, which would poison the "
            f"factorization; check the input data"
        )
    return col, row


class ToeplitzFactorization(Factorization):
    """A square Toeplitz matrix, factorized once for many solves and its determinant.

    ``kb.factorize(T)`` builds one with ``method="auto"``; build it directly
    to choose.

    Parameters
    ----------
    t : Toeplitz
        Square.
    assume_a : {"general", "positive_definite"}
        ``"positive_definite"`` requires ``T`` Hermitian (``r = conj(c)`` up to
        rounding; the column ``c`` is then used) and proves positive
        definiteness by Levinson–Durbin, else :class:`~kronblock.LinAlgError`.
    method : {"auto", "levinson", "gmres", "cg"}
        ``"auto"``: the ladder of the module docstring (Levinson–Durbin or
        the non-symmetric Levinson recursion and the Gohberg–Semencul
        inverse; preconditioned GMRES where the recursion breaks down).
        ``"levinson"``: the same without the GMRES fallback (a breakdown is
        a :class:`~kronblock.LinAlgError`).  ``"gmres"``: restarted GMRES
        with a circulant preconditioner, for any nonsingular ``T``.
        ``"cg"``: conjugate gradients with a circulant preconditioner, for
        Hermitian positive definite ``T`` only.  Iterations cost
        ``O(n log n · k)`` each.
    preconditioner : {"chan", "strang"}
        The circulant approximation whose inverse preconditions GMRES and CG
        (:func:`circulant_preconditioner`).
    rtol : float, optional
        Iterative methods: the relative residual to reach.  Default: a
        backward error ``‖b − T x‖ ≤ 64·√n·eps·(‖T‖·‖x‖ + ‖b‖)`` per column,
        the accuracy of a direct solve.
    maxiter : int, optional
        Iterative methods: at most this many iterations per solve (default
        ``min(10·n, 1000)``).
    restart : int
        GMRES restart length (default 30).

    Attributes
    ----------
    method : str
        What is used: ``"levinson-durbin"`` (Hermitian positive definite),
        ``"levinson"`` (checked, refined by GMRES where needed), ``"gmres"``
        or ``"cg"``.
    positive_definite : bool
        Proven by Levinson–Durbin (all prediction errors positive).
    breakdown : int or None
        The step at which the recursion broke down (a singular leading
        principal block of that order + 1), if it did.
    last_result : kronblock.solvers.SolverResult or None
        The last iterative solve (refinement or GMRES/CG), with its
        iterations and residual.

    Notes
    -----
    Set-up ``O(n²)`` (the recursion) plus ``O(n log n)`` (the spectra, once
    per dtype).  A solve with ``k`` right-hand sides costs six FFTs of length
    ``next_fast_len(2n − 1)`` on ``k`` columns, ``O(n log n · k)``, plus, for
    non-positive-definite ``T``, one product for the residual check.

    Examples
    --------
    >>> import numpy as np, scipy.linalg as sla, kronblock as kb
    >>> from kronblock.operators._toeplitz import ToeplitzFactorization, toeplitz
    >>> c = np.array([2.0, -0.5, 0.3, 0.1, 0.0]); r = np.array([2.0, 0.7, -0.2, 0.0, 0.4])
    >>> T = toeplitz(c, r)
    >>> F = kb.factorize(T)                                 # non-symmetric Levinson
    >>> F.method
    'levinson'
    >>> B = np.eye(5)[:, :3]
    >>> bool(np.allclose(sla.toeplitz(c, r) @ F.solve(B), B))
    True
    >>> G = ToeplitzFactorization(T, method="gmres", preconditioner="strang")
    >>> bool(np.allclose(G.solve(B), F.solve(B)))
    True
    """

    def __init__(
        self,
        t: Toeplitz,
        *,
        assume_a: str = "general",
        method: str = "auto",
        preconditioner: str = "chan",
        rtol: float | None = None,
        maxiter: int | None = None,
        restart: int = 30,
        where: str = "factorize",
    ) -> None:
        if not isinstance(t, Toeplitz):
            raise TypeError(f"{where}: expected a Toeplitz operator, got {type(t).__name__}")
        if t.shape[0] != t.shape[1]:
            raise ValueError(
                f"{where}: needs a square operator, got shape {t.shape}; use lstsq for a "
                f"least-squares solution"
            )
        if assume_a not in ("general", "positive_definite"):
            raise ValueError(
                f"{where}: assume_a must be 'general' or 'positive_definite', got {assume_a!r}"
            )
        if method not in METHODS:
            raise ValueError(f"{where}: method must be one of {METHODS}, got {method!r}")
        if preconditioner not in PRECONDITIONERS:
            raise ValueError(
                f"{where}: preconditioner must be one of {PRECONDITIONERS}, got {preconditioner!r}"
            )
        xp = t.xp
        self.xp, self.n, self.dtype = xp, t.shape[0], as_float_dtype(xp, t.dtype)
        self.where = where
        self.preconditioner, self.rtol, self.restart = preconditioner, rtol, restart
        self.maxiter = maxiter if maxiter is not None else min(10 * self.n, 1000)
        col, row = _host(t, where)
        hermitian = bool(np.array_equal(row, col.conj()))
        if assume_a == "positive_definite" and not hermitian:
            if not _nearly_hermitian(col, row):
                raise LinAlgError(
                    f"{where}: the Toeplitz matrix is not positive definite: it is not "
                    f"Hermitian (its first row is not conj of its first column); use "
                    f"assume_a='general'"
                )
            row = col.conj()
            row[0] = col[0] = col[0].real
            hermitian = True
            t = Toeplitz(cast(xp, from_numpy(col, t.column), t.dtype))
        self.op, self.hermitian = t, hermitian
        self._col, self._row = col, row
        self.positive_definite = False
        self.singular: str | None = None
        self.breakdown: int | None = None
        self.quality: float | None = None
        self.last_result: Any = None
        self._lev: Levinson | None = None
        self._plans: dict[tuple[str, bool], Any] = {}
        self._tnorm = float(np.abs(col).sum() + np.abs(row[1:]).sum())
        if method == "cg":
            if not hermitian:
                raise LinAlgError(
                    f"{where}: method='cg' needs a Hermitian positive definite Toeplitz matrix; "
                    f"this one is not Hermitian: use method='gmres'"
                )
            self.method = "cg"
        elif method == "gmres":
            self.method = "gmres"
        else:
            self.method = self._levinson(assume_a, method == "levinson")

    # ---- set-up ------------------------------------------------------------------------------
    def _levinson(self, assume_a: str, strict: bool) -> str:
        where = self.where
        try:
            lev = levinson(self._col, self._row, self.hermitian)
        except _Breakdown as bd:
            self.breakdown = bd.step
            if assume_a == "positive_definite":
                raise LinAlgError(
                    f"{where}: the Toeplitz matrix is not positive definite: its leading "
                    f"{bd.step + 1}×{bd.step + 1} block is singular (prediction error "
                    f"{bd.value:.3g} at step {bd.step} of Levinson–Durbin)"
                ) from None
            if strict:
                raise LinAlgError(
                    f"{where}: Levinson's recursion broke down at step {bd.step}: the leading "
                    f"{bd.step + 1}×{bd.step + 1} block of the Toeplitz matrix is singular (up "
                    f"to rounding); use ToeplitzFactorization(T, method='gmres')"
                ) from None
            return "gmres"
        if self.hermitian and bool(np.all(lev.e > 0)):
            self._lev, self.positive_definite = lev, True
            self.singular = _singular_message(lev, self.dtype, self.xp, where)
            return "levinson-durbin"
        if assume_a == "positive_definite":
            k = int(np.argmax(lev.e <= 0))
            raise LinAlgError(
                f"{where}: the Toeplitz matrix is not positive definite: Levinson–Durbin's "
                f"prediction error at step {k} is {float(lev.e[k]):.3g} ≤ 0 (a reflection "
                f"coefficient |γ| ≥ 1)"
            )
        self._lev = lev
        self.quality = self._check(lev)
        if self.quality <= 0.5:
            return "levinson"
        if strict:
            raise LinAlgError(
                f"{where}: Levinson's recursion is unstable for this Toeplitz matrix (its "
                f"inverse misses a random vector by {self.quality:.3g}, relative); use "
                f"ToeplitzFactorization(T, method='gmres')"
            )
        return "gmres"

    def _check(self, lev: Levinson) -> float:
        """``‖T⁻¹(T z) − z‖/‖z‖`` for a fixed random ``z``, in double precision: ``O(n log n)``."""
        col, row = self._col, self._row
        host = Toeplitz(col, row)
        rng = np.random.default_rng(12345)
        z = rng.standard_normal((self.n, 1))
        if np.iscomplexobj(col):
            z = z + 1j * rng.standard_normal((self.n, 1))
        plan = _gs_plan(lev, False, not np.iscomplexobj(col), lambda a: a, Workspace())
        back = plan.apply(host.xp, host._matmat(z))
        err = float(np.linalg.norm(back - z) / np.linalg.norm(z))
        return err if np.isfinite(err) else math.inf

    def _plan(self, dtype: Any, adjoint: bool) -> _GSPlan:
        if self.hermitian:  # T⁻ᴴ = T⁻¹: one plan serves both
            adjoint = False
        key = (str(dtype), adjoint)
        if key not in self._plans:
            assert self._lev is not None
            xp, like = self.xp, self.op.column
            cdt = complex_dtype(xp, dtype)

            def to(a: np.ndarray) -> Array:
                return cast(xp, from_numpy(np.ascontiguousarray(a), like), cdt)

            real = not is_complex_dtype(xp, dtype)
            plan = _gs_plan(self._lev, adjoint, real, to, workspace_of(self.op))
            if real and is_numpy_namespace(xp) and self.n >= 2 and not np.iscomplexobj(self._col):
                plan = dataclasses.replace(plan, cs=self._circulant_form(adjoint, dtype, plan))
            self._plans[key] = plan
        return self._plans[key]

    def _circulant_form(self, adjoint: bool, dtype: Any, plan: _GSPlan) -> CSPlan | None:
        """The circulant–skew-circulant form of ``T⁻¹`` (``T⁻ᵀ``), if as accurate (real ``T``).

        Its generators come from Gohberg–Semencul solves in float64 on the host:
        ``plan`` itself when it is one, the same plan both ways for symmetric ``T``.
        """
        assert self._lev is not None
        lev = self._lev

        def host(adj: bool) -> _GSPlan:
            if adj == adjoint and np.dtype(dtype) == np.float64:
                return plan
            if self.hermitian and adj != adjoint:
                return host(adjoint)
            return _gs_plan(lev, adj, True, lambda a: a, WORKSPACE)

        fwd, bwd = host(False), host(True)

        def inv(v: np.ndarray) -> np.ndarray:
            return fwd.apply(NUMPY, v)

        def inv_t(v: np.ndarray) -> np.ndarray:
            return bwd.apply(NUMPY, v)

        col, row = self._col.real, self._row.real
        if self.hermitian:  # T = Tᵀ: one solve with all four columns
            return cs_plan(col, row, inv, None, fwd.growth(), dtype, WORKSPACE)
        if adjoint:  # Tᵀ = toeplitz(row, col)
            return cs_plan(row, col, inv_t, inv, bwd.growth(), dtype, WORKSPACE)
        return cs_plan(col, row, inv, inv_t, fwd.growth(), dtype, WORKSPACE)

    def _operator(self, adjoint: bool) -> AbstractLinearOperator:
        key = ("operator", adjoint)
        if key not in self._plans:
            self._plans[key] = self.op.H if adjoint else self.op
        return self._plans[key]

    def _circulant_inverse(self, dtype: Any, adjoint: bool) -> Circulant:
        key = ("circulant:" + str(dtype), adjoint)
        if key not in self._plans:
            col, row = self._col, self._row
            if adjoint:
                col, row = row.conj(), col.conj()
            s = circulant_preconditioner(col, row, self.preconditioner)
            real = not np.iscomplexobj(col)
            m = _preconditioner_inverse(s, real, self.hermitian)
            like = self.op.column
            self._plans[key] = Circulant(cast(self.xp, from_numpy(m, like), dtype))
        return self._plans[key]

    # ---- solves ------------------------------------------------------------------------------
    def _solve(self, b: Array, adjoint: bool) -> Array:
        xp = self.xp
        if not _floating(xp, b.dtype):
            b = xp.astype(b, as_float_dtype(xp, b.dtype))
        if self.singular is not None:
            raise LinAlgError(self.singular)
        if self.method == "levinson-durbin":
            return self._plan(b.dtype, adjoint).apply(xp, b)
        if self.method == "levinson":
            plan = self._plan(b.dtype, adjoint)
            x = plan.apply(xp, b)
            return self._refine(b, x, adjoint, lambda r: plan.apply(xp, r), "GS")
        m = self._circulant_inverse(b.dtype, adjoint)
        return self._refine(b, m @ b, adjoint, m, self.method)

    def _tolerance(self, dtype: Any) -> float:
        eps = float(self.xp.finfo(real_dtype(self.xp, dtype)).eps)
        return 64.0 * math.sqrt(self.n) * eps

    def _backward_ok(self, a: AbstractLinearOperator, b: Array, x: Array, tau: float) -> bool:
        """Every column: ``‖b − T x‖ ≤ τ·(‖T‖·‖x‖ + ‖b‖)`` and ``‖T‖·‖x‖·eps ≤ ‖b‖``.

        The first is a small backward error; the second refuses an ``x`` so
        large that ``T`` must be singular to working precision (its condition
        number would be at least ``1/eps``): a huge ``x`` has a small backward
        error for any ``b``.  Lazy arrays: not checked.
        """
        xp = self.xp
        if not (is_eager(x) and is_eager(b)):
            return True
        eps = float(xp.finfo(real_dtype(xp, b.dtype)).eps)
        r = b - a._matmat(x)
        rn = xp.linalg.vector_norm(r, axis=0)
        xn = self._tnorm * xp.linalg.vector_norm(x, axis=0)
        bn = xp.linalg.vector_norm(b, axis=0)
        return bool(xp.all(rn <= tau * (xn + bn)) and xp.all(xn * eps <= bn))

    def _refine(self, b: Array, x: Array, adjoint: bool, m: Any, how: str) -> Array:
        """Accept ``x`` if its backward error is small, else iterate (GMRES or CG) from it."""
        from ..solvers import CG, GMRES

        xp = self.xp
        a = self._operator(adjoint)
        user = self.rtol is not None
        tau = self._tolerance(b.dtype)
        if not user and self._backward_ok(a, b, x, tau):
            self.last_result = None
            return x
        total = 0
        for _ in range(3):  # atol follows ‖x‖ as the iterate improves
            xnorm = float(xp.max(xp.linalg.vector_norm(x, axis=0))) if x.shape[1] else 0.0
            kw: dict[str, Any] = {
                "rtol": self.rtol if user else tau,
                "atol": 0.0 if user else tau * self._tnorm * xnorm,
                "maxiter": max(self.maxiter - total, 0),
                "M": m,
                "raise_on_failure": False,
            }
            solver = CG(**kw) if how == "cg" else GMRES(restart=self.restart, **kw)
            res = solver.solve(a, b, x)
            total += res.iterations
            x = res.x
            self.last_result = res
            done = res.converged if user else self._backward_ok(a, b, x, 2 * tau)
            if done or res.iterations == 0 or total >= self.maxiter:
                break
        if not done:
            raise ConvergenceError(self._failure(res, total, how), res)
        return x

    def _failure(self, res: Any, total: int, how: str) -> str:
        where = self.where.replace("factorize", "solve")
        if how == "GS":
            first = "the non-symmetric Levinson inverse (Gohberg–Semencul) and GMRES refining it"
        else:
            name = "GMRES" if how == "gmres" else "CG"
            pre = "T. Chan" if self.preconditioner == "chan" else "Strang"
            first = f"{name} with the {pre} circulant preconditioner"
            if self.breakdown is not None:
                first = (
                    f"Levinson's recursion broke down at step {self.breakdown} (a singular "
                    f"leading block) and {first}"
                )
        return (
            f"{where}: the Toeplitz system was not solved: {first} stopped after {total} "
            f"iterations at residual ‖b − T x‖ = {res.residual_norm:.3g} (relative "
            f"{res.rtol_reached:.3g}); the matrix is singular or too ill-conditioned: use "
            f"kb.lstsq or kb.pinv, or raise maxiter (ToeplitzFactorization(T, maxiter=...))"
        )

    # ---- determinant ------------------------------------------------------------------------
    def slogdet(self) -> tuple[Array, Array]:
        """From the Levinson prediction errors, ``det T = Π Eₖ``: ``O(n)`` after the set-up.

        Where the recursion broke down or failed its check (``method`` is
        ``"gmres"`` or the check missed by more than ``1e-8``), the dense
        fallback (with its :class:`~kronblock.DensificationWarning`).
        """
        if self._lev is None and self.breakdown is None and self.method in ("gmres", "cg"):
            try:
                lev = levinson(self._col, self._row, self.hermitian)
            except _Breakdown as bd:
                self.breakdown = bd.step
            else:
                if self.hermitian and bool(np.all(lev.e > 0)):
                    self._lev, self.positive_definite = lev, True
                else:
                    self._lev, self.quality = lev, self._check(lev)
        found = self._lev
        trusted = found is not None and (
            self.positive_definite or (self.quality is not None and self.quality <= _TRUST)
        )
        if not trusted or found is None:
            return slogdet.dispatch(AbstractLinearOperator)(self.op)
        e = from_numpy(found.e, self.op.column)
        return slogdet_of_values(self.xp, e, self.dtype, 0.0)

    def __repr__(self) -> str:
        return f"ToeplitzFactorization(n={self.n}, method={self.method!r})"


def _singular_message(lev: Levinson, dtype: Any, xp: Namespace, where: str) -> str | None:
    """For positive definite ``T``: ``cond(T) ≥ c₀ / min Eₖ`` (``1/Eₖ = (T_{k+1}⁻¹)ₖₖ ≤ ‖T⁻¹‖``).

    At or above ``1/eps`` of the working dtype ``T`` is singular to working
    precision: the message of the error its solves raise (``None`` otherwise).
    """
    eps = float(xp.finfo(real_dtype(xp, dtype)).eps)
    low = float(np.min(lev.e))
    ratio = float(lev.e[0]) / low
    if ratio * eps < 1:
        return None
    return (
        f"{where}: the Toeplitz matrix is singular to working precision: the smallest "
        f"Levinson–Durbin prediction error is {low:.3g} against a diagonal of "
        f"{float(lev.e[0]):.3g} (condition number at least {ratio:.3g}); use kb.lstsq or kb.pinv"
    )


def _nearly_hermitian(col: np.ndarray, row: np.ndarray) -> bool:
    diff = float(np.max(np.abs(row - col.conj())))
    scale = float(max(np.max(np.abs(col)), np.max(np.abs(row))))
    return diff <= 10 * float(np.finfo(np.float64).eps) ** 0.5 * scale


# ---- the rules ----------------------------------------------------------------------------------
@factorize.register
def _factorize_toeplitz(t: Toeplitz, assume_a: str) -> Factorization:
    """Levinson(–Durbin) and Gohberg–Semencul: ``O(n²)`` once, ``O(n log n · k)`` a solve.

    See :class:`ToeplitzFactorization` (``method="auto"``).
    """
    f = ToeplitzFactorization(t, assume_a=assume_a)
    if f.singular is not None:
        raise LinAlgError(f.singular)
    return f


@inv.register
def _inv_toeplitz(t: Toeplitz) -> AbstractLinearOperator:
    """``T⁻¹`` as a lazy operator: each product applies the Gohberg–Semencul formula.

    ``O(n²)`` once (the recursion), ``O(n log n)`` per column of a product.
    """
    f = ToeplitzFactorization(t, where="inv")
    if f.singular is not None:
        raise LinAlgError(f.singular)
    return SolveOperator(f, False, f.dtype)


@slogdet.register
def _slogdet_toeplitz(t: Toeplitz) -> tuple[Array, Array]:
    """``det T = Π Eₖ``, the Levinson(–Durbin) prediction errors: ``O(n²)``.

    Hermitian positive definite: Levinson–Durbin, always.  Otherwise the
    non-symmetric recursion when it runs through and passes its check, else
    the dense fallback (with its warning).
    """
    return ToeplitzFactorization(t, where="slogdet").slogdet()


@diagonal.register
def _diagonal_toeplitz(t: Toeplitz) -> Array:
    """``c[0]`` repeated ``min(m, n)`` times: ``O(min(m, n))``."""
    xp = t.xp
    return t.column[:1] * xp.ones((min(t.shape),), dtype=t.dtype, device=t.device)


@trace.register
def _trace_toeplitz(t: Toeplitz) -> Array:
    """``min(m, n) · c[0]``: ``O(1)``."""
    return t.column[0] * min(t.shape)


@norm.register
def _norm_toeplitz(t: Toeplitz, ord: Any) -> Array:
    """Frobenius, 1, −1, ∞ and −∞ norms from the diagonals, ``O(m + n)``.

    Frobenius: diagonal ``d = i − j`` holds ``min(m, n + d) − max(0, d)``
    entries.  Column ``j`` sums ``|v|`` over the window ``[n−1−j, n−2−j+m]``
    and row ``i`` over ``[i, i+n−1]``: prefix sums (in double precision).
    The 2, −2 and nuclear norms need the singular values: dense fallback.
    """
    xp = t.xp
    m, n = t.shape
    if ord not in ("fro", 1, -1, math.inf, -math.inf):
        return norm.dispatch(AbstractLinearOperator)(t, ord)
    rdt = real_dtype(xp, as_float_dtype(xp, t.dtype))
    a = xp.abs(cast(xp, t.diagonals, as_float_dtype(xp, t.dtype)))
    if ord == "fro":
        d = xp.arange(m + n - 1, device=t.device) - (n - 1)
        count = xp.minimum(n + d, m * xp.ones_like(d)) - xp.maximum(d, xp.zeros_like(d))
        return xp.sqrt(xp.sum(xp.astype(count, rdt) * a * a))
    zero = xp.zeros((1,), dtype=xp.float64, device=t.device)
    prefix = xp.concat([zero, xp.cumulative_sum(xp.astype(a, xp.float64))])
    if ord in (1, -1):
        start = (n - 1) - xp.arange(n, device=t.device)
        sums = xp.take(prefix, start + m) - xp.take(prefix, start)
    else:
        start = xp.arange(m, device=t.device)
        sums = xp.take(prefix, start + n) - xp.take(prefix, start)
    out = xp.max(sums) if ord in (1, math.inf) else xp.min(sums)
    return xp.astype(out, rdt)


@negate.register
def _negate_toeplitz(t: Toeplitz) -> AbstractLinearOperator:
    return Toeplitz(-t.column, -t.row)  # type: ignore[operator]


@astype.register
def _astype_toeplitz(t: Toeplitz, dtype: Any) -> AbstractLinearOperator:
    if t.dtype == dtype:
        return t
    return Toeplitz(t.xp.astype(t.column, dtype), t.xp.astype(t.row, dtype))
