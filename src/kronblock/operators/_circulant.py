"""``Circulant``: the lazy circulant matrix ``circulant(c)`` and all its fast paths.

Convention (``scipy.linalg.circulant``): ``c`` is the first column and
``C[i, j] = c[(i − j) mod n]``.  Every circulant is diagonalised by the
discrete Fourier transform.  With the unitary DFT matrix
``F[j, k] = exp(−2πi·jk/n)/√n`` (:class:`Fourier`),

    ``C = Fᴴ diag(λ) F``,   ``λ = fft(c)`` (NumPy's unnormalised FFT),

so a product is a circular convolution, ``C x = ifft(λ · fft(x))``, and the
inverse, powers and exponential are circulants again, with eigenvalues
``1/λ``, ``λᵖ``, ``exp(λ)``.  Eigenvalues come in the *DFT order* ``λₖ``,
``k = 0, …, n−1``, matching the columns of ``Fᴴ``.

For real ``c`` the spectrum is conjugate-symmetric (``λ₋ₖ = conj(λₖ)``): products
use the real FFT (half the work) and stay real, and the eigenvectors of a real
symmetric circulant and the singular vectors of any real circulant are taken
real, through the discrete Hartley transform ``H = Re F − Im F`` (real,
symmetric, orthogonal): ``C = H diag(λ) H`` for real symmetric ``C``, and
``C = (H B) diag(|λ|) H`` for any real ``C``, with ``B`` the orthogonal 2×2
rotations that pair the frequencies ``k`` and ``−k``.

Costs (``n`` the order, ``k`` right-hand sides): a product, solve or
adjoint solve ``O(n log n · k)``; ``inv``, ``det``, ``slogdet``, ``eigvals``,
``eigvalsh``, ``norm`` (every order), ``matrix_power`` and ``expm``
``O(n log n)``; ``eig``, ``eigh`` and ``svd`` give lazy FFT-based vector
operators, ``O(n log n)`` each product.  Only ``cholesky`` (a Cholesky factor
of a circulant is not circulant) goes through the dense fallback.

FFTs: ``scipy.fft`` for NumPy arrays (threads with ``scipy.fft.set_workers``),
the array's own ``xp.fft`` otherwise (PyTorch, array-api-strict, CuPy, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, final

import numpy as np

from .._array_api import (
    Array,
    Namespace,
    as_float_dtype,
    device_of,
    is_complex_dtype,
    is_eager,
    is_numpy_namespace,
    namespace_of,
    promote,
    real_dtype,
)
from .._errors import LinAlgError
from .._operator import AbstractLinearOperator, astype, negate, register_matmul
from .._tags import HERMITIAN
from ..linalg import (
    diagonal,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    factorize,
    inv,
    matrix_power,
    norm,
    slogdet,
    svd,
    trace,
)
from ..linalg._factorization import Factorization, slogdet_of_values
from ..linalg._matfun import expm, rescale
from ._columns import column_chunks, run_chunks
from ._dense import Diagonal

__all__ = [
    "Circulant",
    "CirculantFactorization",
    "Fourier",
    "Hartley",
    "circulant",
]


# ---- FFT helpers (shared with _toeplitz.py) ------------------------------------------
def fft_module(xp: Namespace) -> Any:
    """``scipy.fft`` for NumPy (fast, keeps float32), else the library's ``xp.fft``."""
    if is_numpy_namespace(xp):
        import scipy.fft

        return scipy.fft
    return xp.fft


def next_fast_len(n: int) -> int:
    """The smallest 5-smooth length ``≥ n`` (fast for every FFT library)."""
    import scipy.fft

    return int(scipy.fft.next_fast_len(max(int(n), 1), real=True))


def complex_dtype(xp: Namespace, dtype: Any) -> Any:
    """The complex dtype of the same precision (float32 → complex64)."""
    if is_complex_dtype(xp, dtype):
        return dtype
    return xp.complex64 if dtype == xp.float32 else xp.complex128


def cast(xp: Namespace, a: Array, dtype: Any) -> Array:
    return a if a.dtype == dtype else xp.astype(a, dtype)


def rfft(xp: Namespace, x: Array, n: int) -> Array:
    """Real FFT of length ``n`` along axis 0 (zero-padded)."""
    return fft_module(xp).rfft(x, n=n, axis=0)


def irfft(xp: Namespace, x: Array, n: int) -> Array:
    return fft_module(xp).irfft(x, n=n, axis=0)


def cfft(xp: Namespace, x: Array, n: int | None = None, norm: str = "backward") -> Array:
    """Complex FFT along axis 0 (real input is cast: array-api-strict wants complex)."""
    x = cast(xp, x, complex_dtype(xp, x.dtype))
    return fft_module(xp).fft(x, n=n, axis=0, norm=norm)


def icfft(xp: Namespace, x: Array, n: int | None = None, norm: str = "backward") -> Array:
    x = cast(xp, x, complex_dtype(xp, x.dtype))
    return fft_module(xp).ifft(x, n=n, axis=0, norm=norm)


def as_vector(a: Any, where: str, name: str) -> Array:
    """A 1-D array of at least one entry (lists become NumPy arrays)."""
    if isinstance(a, (list, tuple, int, float, complex)):
        a = np.asarray(a)
    namespace_of(a, where=where)
    if getattr(a, "ndim", None) != 1:
        raise ValueError(
            f"{where}: {name} must be a 1-D array, got shape {tuple(getattr(a, 'shape', ()))}"
        )
    if int(a.shape[0]) < 1:
        raise ValueError(f"{where}: {name} must have at least one entry, got an empty array")
    return a


def cyclic_reverse(xp: Namespace, a: Array) -> Array:
    """``a[(−k) mod n]`` along axis 0: ``[a₀, a_{n−1}, …, a₁]``."""
    if a.shape[0] <= 1:
        return a
    return xp.concat([a[:1, ...], xp.flip(a[1:, ...], axis=0)], axis=0)


def conjugate(xp: Namespace, a: Array) -> Array:
    return xp.conj(a) if is_complex_dtype(xp, a.dtype) else a


def _round_back(xp: Namespace, y: Array, dtype: Any) -> Array:
    """A floating result of an integer operator back in its dtype (exact integers)."""
    if is_complex_dtype(xp, y.dtype):
        y = xp.real(y)
    return xp.astype(xp.round(y), dtype)


def _floating(xp: Namespace, dtype: Any) -> bool:
    return bool(xp.isdtype(dtype, ("real floating", "complex floating")))


#: NumPy FFT products keep their work buffers between calls, up to this many bytes in
#: all: fresh pages cost about as much as a transform.  A concurrent product finds the
#: buffers taken and allocates its own.
WORKSPACE_BYTES = 128 << 20


class Workspace:
    """Work buffers of NumPy FFT products, kept per key between calls.

    A key names every size its buffers depend on, the zero-padded lengths
    included (a kept zero-padded buffer is reused only by products that write
    the same leading part).  Buffers are taken out while in use (so concurrent
    products never share them) and given back if they fit in
    :data:`WORKSPACE_BYTES`.  Results are always fresh arrays, never views of a
    buffer.
    """

    def __init__(self) -> None:
        self._free: dict[Any, tuple[np.ndarray, ...]] = {}

    def take(self, key: Any, specs: tuple[tuple[tuple[int, ...], Any, bool], ...]) -> Any:
        """Buffers of ``(shape, dtype, zeroed)`` each, kept from an earlier call if any."""
        bufs = self._free.pop(key, None)
        if bufs is None:
            bufs = tuple((np.zeros if z else np.empty)(shape, dtype) for shape, dtype, z in specs)
        return bufs

    def give(self, key: Any, bufs: tuple[np.ndarray, ...]) -> None:
        kept = tuple(self._free.values())  # a snapshot: other threads may take or give
        held = sum(b.nbytes for bs in kept for b in bs)
        if held + sum(b.nbytes for b in bufs) <= WORKSPACE_BYTES:
            self._free[key] = bufs


#: The process-wide workspace of every NumPy FFT product and Gohberg–Semencul solve:
#: a new operator (``kb.solve(kb.toeplitz(c), B)`` builds one per call) finds the
#: pages of its buffers already mapped.
WORKSPACE = Workspace()


def workspace_of(owner: Any) -> Workspace:
    """The workspace an operator's NumPy products use: the process-wide :data:`WORKSPACE`."""
    return WORKSPACE


def np_circular(
    ws: Workspace, lam: np.ndarray, x: np.ndarray, length: int, rows: int
) -> np.ndarray:
    """NumPy :func:`circular_apply`: the columns of ``x`` as contiguous rows of kept buffers.

    ``numpy.fft`` writes into the buffers (``out=``): a zero-padded copy of
    ``xᵀ``, its spectrum, the product's rows; the result is a fresh ``(rows, k)``
    array.
    """
    n, k = x.shape
    real = not np.iscomplexobj(x)
    h = length // 2 + 1 if real else length
    cdt = np.result_type(x.dtype, np.complex64)
    out = np.empty((rows, k), dtype=x.dtype)

    def chunk(worker: int, cols: slice) -> None:  # columns cols of x → columns cols of out
        kc = cols.stop - cols.start
        key = ("circular", worker, kc, n, length, x.dtype.str)
        specs = (
            ((kc, length), x.dtype, True),
            ((kc, h), cdt, False),
            ((kc, length), x.dtype, False),
        )
        xb, spec, y = ws.take(key, specs)
        xb[:, :n] = x[:, cols].T
        if real:
            np.fft.rfft(xb, axis=-1, out=spec)
            np.multiply(spec, lam[None, :], out=spec)
            np.fft.irfft(spec, n=length, axis=-1, out=y)
        else:
            np.fft.fft(xb, axis=-1, out=spec)
            np.multiply(spec, lam[None, :], out=spec)
            np.fft.ifft(spec, axis=-1, out=y)
        out[:, cols] = y[:, :rows].T
        ws.give(key, (xb, spec, y))

    run_chunks(chunk, column_chunks(k, length), length)
    return out


def circular_apply(
    xp: Namespace, lam: Array, x: Array, length: int, rows: int, ws: Workspace | None = None
) -> Array:
    """The first ``rows`` rows of ``ifft(λ · fft(x))`` of length ``length``, along axis 0.

    The circulant of order ``length`` with eigenvalues ``λ`` times ``x`` (zero-padded
    to ``length`` rows), truncated: a circulant product (``length = rows = N``) or a
    circulant embedding.  ``x`` real: ``lam`` is the half spectrum (real FFT); ``x``
    complex: the full one.  ``O(L log L · k)``.  NumPy arrays go through
    :func:`np_circular` with the buffers of ``ws``.
    """
    if isinstance(x, np.ndarray):
        return np_circular(ws if ws is not None else WORKSPACE, lam, x, length, rows)
    if not is_complex_dtype(xp, x.dtype):
        return irfft(xp, lam[:, None] * rfft(xp, x, length), length)[:rows, ...]
    return icfft(xp, lam[:, None] * cfft(xp, x, n=length))[:rows, ...]


def spectrum_apply(
    xp: Namespace, lam: Array, x: Array, n: int, ws: Workspace | None = None
) -> Array:
    """``ifft(λ · fft(x))`` along axis 0: the circulant with eigenvalues ``λ`` times ``x``.

    ``x`` real: ``lam`` is the half spectrum (``n//2 + 1`` values, real FFT);
    ``x`` complex: the full spectrum.  ``O(n log n · k)``.
    """
    return circular_apply(xp, lam, x, n, n, ws)


# ---- the operator -----------------------------------------------------------------------
@final
@dataclass(frozen=True, eq=False, repr=False)
class Circulant(AbstractLinearOperator):
    """The ``n × n`` circulant matrix with first column ``c``: ``C[i, j] = c[(i − j) mod n]``.

    Build it with :func:`circulant`.  ``C = Fᴴ diag(fft(c)) F`` with the unitary
    DFT ``F``: products cost ``O(n log n)`` per column by FFT (the real FFT
    for real data, whose results stay real); ``solve``, ``inv``, ``det``,
    ``slogdet``, ``eigvals``, ``eig``, ``eigh``, ``svd``, ``norm``,
    ``matrix_power`` and ``expm`` use the spectrum ``fft(c)`` (see the module
    docstring).  ``cholesky`` has no circulant form and is formed densely.

    The spectrum is computed once per dtype, on first use, and kept.
    """

    column: Array

    def __post_init__(self) -> None:
        col = as_vector(self.column, "circulant", "the first column c")
        object.__setattr__(self, "column", col)
        object.__setattr__(self, "_xp", namespace_of(col, where="circulant"))

    # ---- the interface ---------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        n = int(self.column.shape[0])
        return (n, n)

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
    def tags(self) -> frozenset[str]:
        # Hermitian iff c[(−k) mod n] = conj(c[k]) exactly (checked once, eager data only)
        cached = self.__dict__.get("_tags")
        if cached is None:
            xp, c = self.xp, self.column
            herm = is_eager(c) and bool(xp.all(cyclic_reverse(xp, c) == conjugate(xp, c)))
            cached = frozenset({HERMITIAN}) if herm else frozenset()
            object.__setattr__(self, "_tags", cached)
        return cached

    def spectrum(self, dtype: Any) -> Array:
        """``fft(c)`` at floating ``dtype``: the half spectrum (``rfft``) for a real one.

        Kept per dtype after the first call.
        """
        cache: dict[str, Array] | None = self.__dict__.get("_spectra")
        if cache is None:
            cache = {}
            object.__setattr__(self, "_spectra", cache)
        key = str(dtype)
        lam = cache.get(key)
        if lam is None:
            xp, n = self.xp, self.shape[0]
            c = cast(xp, self.column, dtype)
            lam = cfft(xp, c) if is_complex_dtype(xp, dtype) else rfft(xp, c, n)
            cache[key] = lam
        return lam

    def eigenvalues(self, dtype: Any = None) -> Array:
        """All ``n`` eigenvalues ``fft(c)`` in the DFT order, complex (``O(n log n)``)."""
        xp = self.xp
        work = as_float_dtype(xp, self.dtype) if dtype is None else dtype
        if is_complex_dtype(xp, work):
            return self.spectrum(work)
        # real c: the real FFT, mirrored, so that λ₋ₖ = conj(λₖ) exactly (as LAPACK's pairs)
        n = self.shape[0]
        half = self.spectrum(work)
        return xp.concat([half, xp.conj(xp.flip(half[1 : n - n // 2]))])

    def _matmat(self, x: Array) -> Array:
        xp = self.xp
        dt = x.dtype
        if not _floating(xp, dt):  # integers: through float64, rounded back (exact)
            return _round_back(xp, self._matmat(xp.astype(x, xp.float64)), dt)
        return spectrum_apply(xp, self.spectrum(dt), x, self.shape[0], workspace_of(self))

    def _adjoint(self) -> AbstractLinearOperator:
        xp = self.xp
        return Circulant(conjugate(xp, cyclic_reverse(xp, self.column)))

    def _transpose(self) -> AbstractLinearOperator:
        return Circulant(cyclic_reverse(self.xp, self.column))

    def _to_dense(self) -> Array:
        xp, n = self.xp, self.shape[0]
        i = xp.arange(n, device=self.device)
        idx = xp.reshape((i[:, None] - i[None, :]) % n, (-1,))
        return xp.reshape(xp.take(self.column, idx), (n, n))

    def _entries(self, rows: Array, cols: Array) -> Array:
        return self.xp.take(self.column, (rows - cols) % self.shape[0])

    def __repr__(self) -> str:
        dt = getattr(self.dtype, "name", None) or str(self.dtype)
        return f"Circulant(n={self.shape[0]}, dtype={dt})"


def circulant(c: Any) -> Circulant:
    """The lazy circulant matrix with first column ``c``, as ``scipy.linalg.circulant(c)``.

    Parameters
    ----------
    c : 1-D array (any array-API library) or list
        The first column; ``C[i, j] = c[(i − j) mod n]``.

    Examples
    --------
    >>> import numpy as np, scipy.linalg as sla, kronblock as kb
    >>> from kronblock.operators._circulant import circulant
    >>> c = np.array([4.0, 1.0, 0.0, 2.0])
    >>> C = circulant(c)
    >>> bool(np.array_equal(C.to_dense(), sla.circulant(c)))
    True
    >>> x = np.arange(4.0)
    >>> bool(np.allclose(C @ x, sla.circulant(c) @ x))        # one FFT convolution
    True
    >>> bool(np.allclose(kb.solve(C, x), np.linalg.solve(sla.circulant(c), x)))
    True
    >>> bool(np.allclose(np.sort_complex(kb.eigvals(C)), np.sort_complex(np.fft.fft(c))))
    True
    """
    return Circulant(c)


# ---- vector operators: the DFT, the Hartley transform, frequency-pair rotations ---------
@final
@dataclass(frozen=True, eq=False, repr=False)
class Fourier(AbstractLinearOperator):
    """The unitary DFT matrix ``F[j, k] = exp(−2πi·jk/n)/√n``, or (``inverse``) ``Fᴴ``.

    ``F x = fft(x, norm="ortho")`` and ``Fᴴ x = ifft(x, norm="ortho")``:
    ``O(n log n)`` per column.  ``F`` is symmetric, so ``F.T`` is ``F``.  The
    columns of ``Fᴴ`` are the eigenvectors of every ``n × n`` circulant.
    """

    n: int
    inverse: bool = False
    dtype_: Any = None
    xp_: Namespace | None = None
    device_: Any = None

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.n)

    @property
    def dtype(self) -> Any:
        return self.dtype_

    @property
    def xp(self) -> Namespace:
        return self.xp_

    @property
    def device(self) -> Any:
        return self.device_

    def _matmat(self, x: Array) -> Array:
        f = icfft if self.inverse else cfft
        return f(self.xp, x, norm="ortho")

    def _adjoint(self) -> AbstractLinearOperator:
        return Fourier(self.n, not self.inverse, self.dtype_, self.xp_, self.device_)

    def _transpose(self) -> AbstractLinearOperator:
        return self

    def _entries(self, rows: Array, cols: Array) -> Array:
        xp, n = self.xp, self.n
        rdt = real_dtype(xp, self.dtype)
        theta = xp.astype((rows * cols) % n, rdt) * (2 * math.pi / n)
        sign = 1.0 if self.inverse else -1.0
        re = xp.astype(xp.cos(theta) / math.sqrt(n), self.dtype)
        im = xp.astype(xp.sin(theta) * (sign / math.sqrt(n)), self.dtype)
        return re + im * 1j

    def __repr__(self) -> str:
        return f"Fourier(n={self.n}{', inverse' if self.inverse else ''})"


@final
@dataclass(frozen=True, eq=False, repr=False)
class Hartley(AbstractLinearOperator):
    """The discrete Hartley transform ``H[j, k] = (cos + sin)(2π·jk/n)/√n``.

    ``H = Re F − Im F``: real, symmetric, orthogonal and its own inverse.  It
    diagonalises every real symmetric circulant, ``C = H diag(fft(c)) H``.
    ``O(n log n)`` per column (one real FFT).
    """

    n: int
    dtype_: Any = None
    xp_: Namespace | None = None
    device_: Any = None

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.n)

    @property
    def dtype(self) -> Any:
        return self.dtype_

    @property
    def xp(self) -> Namespace:
        return self.xp_

    @property
    def device(self) -> Any:
        return self.device_

    @property
    def tags(self) -> frozenset[str]:
        return frozenset({HERMITIAN})

    def _real(self, x: Array) -> Array:
        # h_k = Re X_k − Im X_k, with X_{n−k} = conj(X_k) filling k > n/2
        xp, n = self.xp, self.n
        spec = fft_module(xp).rfft(x, n=n, axis=0, norm="ortho")
        re, im = xp.real(spec), xp.imag(spec)
        tail = xp.flip((re + im)[1 : n - n // 2, ...], axis=0)
        return xp.concat([re - im, tail], axis=0)

    def _matmat(self, x: Array) -> Array:
        xp = self.xp
        if is_complex_dtype(xp, x.dtype):
            re, im = self._real(xp.real(x)), self._real(xp.imag(x))
            return xp.astype(re, x.dtype) + xp.astype(im, x.dtype) * 1j
        return self._real(x)

    def _adjoint(self) -> AbstractLinearOperator:
        return self

    def _transpose(self) -> AbstractLinearOperator:
        return self

    def __repr__(self) -> str:
        return f"Hartley(n={self.n})"


@final
@dataclass(frozen=True, eq=False, repr=False)
class _PairRotation(AbstractLinearOperator):
    """``(B z)ₖ = cosₖ·zₖ − sinₖ·z₋ₖ``: 2×2 rotations of each frequency pair ``(k, −k)``.

    Orthogonal when ``cos₋ₖ = cosₖ``, ``sin₋ₖ = −sinₖ`` and ``cos² + sin² = 1``
    (``sin = 0`` where ``k = −k``); ``Bᵀ`` is the same with ``−sin``.  ``O(n)``.
    """

    cos: Array
    sin: Array
    xp_: Namespace = field(default=None)

    @property
    def shape(self) -> tuple[int, int]:
        n = int(self.cos.shape[0])
        return (n, n)

    @property
    def dtype(self) -> Any:
        return self.cos.dtype

    @property
    def xp(self) -> Namespace:
        return self.xp_

    @property
    def device(self) -> Any:
        return device_of(self.cos)

    def _matmat(self, x: Array) -> Array:
        xp = self.xp
        c, s = cast(xp, self.cos, x.dtype), cast(xp, self.sin, x.dtype)
        return c[:, None] * x - s[:, None] * cyclic_reverse(xp, x)

    def _adjoint(self) -> AbstractLinearOperator:
        return _PairRotation(self.cos, -self.sin, self.xp_)

    def _transpose(self) -> AbstractLinearOperator:
        return _PairRotation(self.cos, -self.sin, self.xp_)


# ---- helpers of the rules ------------------------------------------------------------------
def _work(c: Circulant) -> Any:
    return as_float_dtype(c.xp, c.dtype)


def singular_tolerance(xp: Namespace, lam: Array, n: int, dtype: Any) -> float:
    """``|λ| ≤ 8·log₂(2n)·eps·max|λ|`` counts as zero: the rounding of an FFT of length ``n``."""
    if not is_eager(lam) or lam.shape[0] == 0:
        return 0.0
    eps = float(xp.finfo(real_dtype(xp, dtype)).eps)
    return 8.0 * math.log2(2 * n) * eps * float(xp.max(xp.abs(lam)))


def _require_nonsingular(c: Circulant, lam: Array, where: str) -> float:
    xp, n = c.xp, c.shape[0]
    tol = singular_tolerance(xp, lam, n, _work(c))
    if is_eager(lam):
        small = xp.min(xp.abs(lam))
        if bool(small <= tol):
            k = int(xp.argmin(xp.abs(lam)))
            raise LinAlgError(
                f"{where}: the circulant matrix is singular: its eigenvalue λ_{k} = fft(c)[{k}] "
                f"is {float(small):.3g} (zero up to rounding); use kb.lstsq or kb.pinv for a "
                f"least-squares solution"
            )
    return tol


def _hermitian_within_rounding(c: Circulant) -> bool:
    xp, col = c.xp, c.column
    if HERMITIAN in c.tags or not is_eager(col):
        return HERMITIAN in c.tags
    col = cast(xp, col, _work(c))
    diff = xp.max(xp.abs(cyclic_reverse(xp, col) - conjugate(xp, col)))
    eps = float(xp.finfo(real_dtype(xp, col.dtype)).eps)
    return bool(diff <= 10 * eps**0.5 * xp.max(xp.abs(col)))


def _require_hermitian(c: Circulant, where: str, way_out: str) -> None:
    if not _hermitian_within_rounding(c):
        what = "Hermitian" if is_complex_dtype(c.xp, c.dtype) else "symmetric"
        raise ValueError(
            f"{where}: the circulant matrix is not {what} (c[(−k) mod n] ≠ conj(c[k])); {way_out}"
        )


def _column_of(xp: Namespace, values: Array, n: int, real: bool, dtype: Any) -> Array:
    """First column of the circulant with spectrum ``values`` (half spectrum if ``real``)."""
    col = irfft(xp, values, n) if real else icfft(xp, values)
    return cast(xp, col, dtype)


def _half(c: Circulant) -> tuple[Array, bool]:
    """The spectrum at the working dtype, and whether it is the real half spectrum."""
    dt = _work(c)
    return c.spectrum(dt), not is_complex_dtype(c.xp, dt)


# ---- factorize / solve / inv -------------------------------------------------------------
class CirculantFactorization(Factorization):
    """``C = Fᴴ diag(λ) F`` with ``λ = fft(c)``: a solve is ``ifft(fft(b) / λ)``.

    Set-up ``O(n log n)`` (the spectrum, and a check that no ``|λₖ|`` is zero up
    to rounding); a solve ``O(n log n · k)``, the adjoint solve divides by
    ``conj(λ)``; ``log|det C| = Σ log|λₖ|`` with the sign (real ``c``) or phase
    (complex ``c``) of ``Π λₖ``.  Right-hand sides of a wider dtype use the
    spectrum at that dtype (computed once and kept by the operator).
    """

    def __init__(self, c: Circulant, assume_a: str = "general", where: str = "factorize") -> None:
        xp = c.xp
        self.xp, self.n, self.dtype = xp, c.shape[0], _work(c)
        self.op = c
        self.lam = c.eigenvalues()
        self.tol = _require_nonsingular(c, self.lam, where)
        if assume_a == "positive_definite":
            _require_hermitian_pd(c, self.lam, where)

    def _solve(self, b: Array, adjoint: bool) -> Array:
        xp = self.xp
        dt = b.dtype
        if not _floating(xp, dt):
            dt = as_float_dtype(xp, dt)
            b = xp.astype(b, dt)
        lam = self.op.spectrum(dt)
        if adjoint:  # Cᴴ = Fᴴ diag(conj λ) F (for real data, on the half spectrum)
            lam = xp.conj(lam)
        return spectrum_apply(xp, 1 / lam, b, self.n, workspace_of(self.op))

    def inverse_operator(self, dtype: Any, device: Any, adjoint: bool = False) -> Any:
        inverse = _inverse(self.op)
        return astype(inverse.H if adjoint else inverse, dtype)

    def slogdet(self) -> tuple[Array, Array]:
        return slogdet_of_values(self.xp, self.lam, self.dtype, self.tol)


def _require_hermitian_pd(c: Circulant, lam: Array, where: str) -> None:
    xp = c.xp
    if not _hermitian_within_rounding(c):
        raise LinAlgError(
            f"{where}: the circulant matrix is not positive definite: it is not Hermitian "
            f"(c[(−k) mod n] ≠ conj(c[k])); use assume_a='general'"
        )
    if is_eager(lam):
        low = xp.min(xp.real(lam))
        if bool(low <= 0):
            raise LinAlgError(
                f"{where}: the circulant matrix is not positive definite: its smallest "
                f"eigenvalue (real part of fft(c)) is {float(low):.3g}"
            )


def _inverse(c: Circulant) -> Circulant:
    half, real = _half(c)
    return Circulant(_column_of(c.xp, 1 / half, c.shape[0], real, _work(c)))


@factorize.register
def _factorize_circulant(c: Circulant, assume_a: str) -> Factorization:
    """The spectrum ``λ = fft(c)``: ``O(n log n)``; see :class:`CirculantFactorization`."""
    return CirculantFactorization(c, assume_a)


@inv.register
def _inv_circulant(c: Circulant) -> AbstractLinearOperator:
    """``C⁻¹ = Fᴴ diag(1/λ) F``: the circulant with first column ``ifft(1/fft(c))``, ``O(n log n)``.

    Real for real ``c``.  :class:`~kronblock.LinAlgError` if an eigenvalue is
    zero up to rounding (then use ``kb.pinv`` or ``kb.lstsq``).
    """
    lam = c.eigenvalues()
    _require_nonsingular(c, lam, "inv")
    return _inverse(c)


# ---- determinants ------------------------------------------------------------------------
@slogdet.register
def _slogdet_circulant(c: Circulant) -> tuple[Array, Array]:
    """``det C = Π λₖ`` with ``λ = fft(c)``: ``Σ log|λₖ|`` and the sign or phase, ``O(n log n)``.

    An eigenvalue zero up to FFT rounding gives ``(0, -inf)``.
    """
    xp = c.xp
    lam = c.eigenvalues()
    return slogdet_of_values(xp, lam, _work(c), singular_tolerance(xp, lam, c.shape[0], _work(c)))


# ---- spectral ------------------------------------------------------------------------------
def _fourier(c: Circulant, inverse: bool) -> Fourier:
    xp = c.xp
    return Fourier(c.shape[0], inverse, complex_dtype(xp, _work(c)), xp, c.device)


def _hartley(c: Circulant) -> Hartley:
    return Hartley(c.shape[0], real_dtype(c.xp, _work(c)), c.xp, c.device)


@eigvals.register
def _eigvals_circulant(c: Circulant) -> Array:
    """``fft(c)`` in the DFT order (complex): ``O(n log n)``."""
    return c.eigenvalues()


@eig.register
def _eig_circulant(c: Circulant) -> tuple[Array, AbstractLinearOperator]:
    """``C Fᴴ = Fᴴ diag(fft(c))``: eigenvalues in the DFT order, eigenvectors the lazy ``Fᴴ``.

    ``O(n log n)``; ``Fᴴ`` is unitary and applies by inverse FFT.
    """
    return c.eigenvalues(), _fourier(c, inverse=True)


@eigh.register
def _eigh_circulant(c: Circulant) -> tuple[Array, AbstractLinearOperator]:
    """Hermitian circulant: ``C = V diag(Re fft(c)) Vᴴ``, values in the DFT order, ``O(n log n)``.

    ``V`` is the real Hartley transform ``H`` for a real symmetric ``C``, the
    inverse DFT ``Fᴴ`` for a complex Hermitian one.  ``ValueError`` if ``C`` is
    not Hermitian (``c[(−k) mod n] ≠ conj(c[k])`` beyond rounding).
    """
    _require_hermitian(c, "eigh", "use eig/eigvals for a general circulant")
    xp = c.xp
    w = xp.real(c.eigenvalues())
    if is_complex_dtype(xp, c.dtype):
        return w, _fourier(c, inverse=True)
    return w, _hartley(c)


@eigvalsh.register
def _eigvalsh_circulant(c: Circulant) -> Array:
    """``Re fft(c)`` sorted ascending for a Hermitian circulant: ``O(n log n)``."""
    _require_hermitian(c, "eigvalsh", "use eigvals for a general circulant")
    xp = c.xp
    return xp.sort(xp.real(c.eigenvalues()))


@svd.register
def _svd_circulant(c: Circulant) -> tuple[AbstractLinearOperator, Array, AbstractLinearOperator]:
    """``C = (Fᴴ diag(λ/|λ|)) diag(|λ|) F`` with ``λ = fft(c)``: ``O(n log n)``, DFT order.

    Real ``c``: real singular vectors, ``C = (H B) diag(|λ|) H`` with the
    Hartley transform ``H`` and ``B`` rotating each frequency pair ``(k, −k)``
    by the phase of ``λₖ`` (``(B z)ₖ = cos θₖ zₖ − sin θₖ z₋ₖ``).
    """
    xp = c.xp
    lam = c.eigenvalues()
    s = xp.abs(lam)
    safe = xp.where(s == 0, xp.ones_like(s), s)
    if is_complex_dtype(xp, c.dtype):
        phase = xp.where(s == 0, xp.ones_like(lam), lam / cast(xp, safe, lam.dtype))
        return _fourier(c, True) @ Diagonal(phase), s, _fourier(c, False)
    n = c.shape[0]
    cos = xp.where(s == 0, xp.ones_like(s), xp.real(lam) / safe)
    sin = xp.where(s == 0, xp.zeros_like(s), xp.imag(lam) / safe)
    k = xp.arange(n, device=c.device)
    self_paired = (k == 0) | (2 * k == n)  # λ real there: a reflection, no rotation
    cos = xp.where(self_paired, xp.where(cos < 0, -xp.ones_like(cos), xp.ones_like(cos)), cos)
    sin = xp.where(self_paired, xp.zeros_like(sin), sin)
    h = _hartley(c)
    return h @ _PairRotation(cos, sin, xp), s, h


# ---- reductions -------------------------------------------------------------------------
@diagonal.register
def _diagonal_circulant(c: Circulant) -> Array:
    """``c[0]`` repeated ``n`` times: ``O(n)``."""
    xp = c.xp
    return c.column[:1] * xp.ones((c.shape[0],), dtype=c.dtype, device=c.device)


@trace.register
def _trace_circulant(c: Circulant) -> Array:
    """``n · c[0]``: ``O(1)``."""
    return c.column[0] * c.shape[0]


@norm.register
def _norm_circulant(c: Circulant, ord: Any) -> Array:
    """Every norm of ``numpy.linalg.norm`` without forming ``C``.

    Frobenius ``√(n Σ|cₖ|²)``; 1, −1, ∞, −∞: every column and row holds each
    ``cₖ`` once, so all are ``Σ|cₖ|`` (``O(n)``); 2, −2 and nuclear: ``max``,
    ``min`` and ``Σ`` of ``|fft(c)|`` (``C`` is normal), ``O(n log n)``.
    """
    xp = c.xp
    col = cast(xp, c.column, _work(c))
    a = xp.abs(col)
    if ord == "fro":
        return xp.sqrt(xp.sum(a * a) * c.shape[0])
    if ord in (1, -1, math.inf, -math.inf):
        return xp.sum(a)
    s = xp.abs(c.eigenvalues())
    return {2: xp.max, -2: xp.min}.get(ord, xp.sum)(s)


@matrix_power.register
def _matrix_power_circulant(c: Circulant, p: int) -> AbstractLinearOperator:
    """``Cᵖ`` is the circulant with eigenvalues ``λᵖ``: ``O(n log n)`` for any integer ``p``."""
    xp = c.xp
    if p < 0:
        _require_nonsingular(c, c.eigenvalues(), "matrix_power")
    half, real = _half(c)
    col = _column_of(xp, half**p, c.shape[0], real, _work(c))
    if not _floating(xp, c.dtype) and p >= 0:
        col = _round_back(xp, col, c.dtype)
    return Circulant(col)


@expm.register
def _expm_circulant(c: Circulant) -> AbstractLinearOperator:
    """``exp(C)``: the circulant with eigenvalues ``exp(λ)``, ``O(n log n)``, real for real c."""
    half, real = _half(c)
    return Circulant(_column_of(c.xp, c.xp.exp(half), c.shape[0], real, _work(c)))


@rescale.register
def _rescale_circulant(c: Circulant, s: Any) -> AbstractLinearOperator:
    xp = c.xp
    col = c.column
    if isinstance(s, complex) and not is_complex_dtype(xp, col.dtype):
        col = cast(xp, col, complex_dtype(xp, as_float_dtype(xp, col.dtype)))
    return Circulant(col * s)


@negate.register
def _negate_circulant(c: Circulant) -> AbstractLinearOperator:
    return Circulant(-c.column)


@astype.register
def _astype_circulant(c: Circulant, dtype: Any) -> AbstractLinearOperator:
    return c if c.dtype == dtype else Circulant(c.xp.astype(c.column, dtype))


@register_matmul(Circulant, Circulant)
def _circulant_at_circulant(a: Circulant, b: Circulant) -> AbstractLinearOperator:
    """``C₁ C₂`` is the circulant with first column ``C₁ c₂``: one FFT product, ``O(n log n)``."""
    xp = a.xp
    dt = promote(xp, a.dtype, b.dtype)
    return Circulant(a @ cast(xp, b.column, dt))
