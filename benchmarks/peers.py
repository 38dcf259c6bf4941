"""One adapter per library: setup (untimed) returns the call that is timed.

Every adapter turns the case's factors and right-hand side into the library's
own objects *before* timing (PyTorch peers get torch tensors that share the
NumPy memory, so no conversion is timed), and says how to turn the result back
into NumPy for the check.  A library that cannot run a case raises
:class:`~timing.Skip` with a short reason for the table cell.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.metadata
import io
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from timing import Skip

__all__ = [
    "ALL_ADAPTERS",
    "OPENBLAS",
    "Adapter",
    "Prepared",
    "configure_torch",
    "numpy_vec_trick",
    "version_of",
]

OPENBLAS = "openblas"
""":attr:`Adapter.threads` of the libraries whose calls run on NumPy's OpenBLAS."""

DENSE_LIMIT_BYTES = 2**30
"""The NumPy reference multiplies by ``np.kron(...)`` when the dense matrix fits in this."""


@dataclass
class Prepared:
    """A call ready to be timed.

    Attributes
    ----------
    call : callable
        No arguments; returns the library's result.
    convert : callable
        Turns the result into NumPy (not timed).
    note : str
        Short tag shown after the time in the table.
    """

    call: Callable[[], Any]
    convert: Callable[[Any], Any] = np.asarray
    note: str = ""


def _torch_to_numpy(out: Any) -> np.ndarray:
    return out.detach().cpu().numpy()


def _logdet_only(value: Any) -> tuple[float, float]:
    """A peer's logdet as ``(sign, logabsdet)``; a real logdet means a positive det."""
    value = complex(np.asarray(value.detach() if hasattr(value, "detach") else value))
    if value.imag != 0:
        return (-1.0 if abs(abs(value.imag) - math.pi) < 1e-6 else math.nan), value.real
    return 1.0, value.real


def version_of(distribution: str) -> str:
    """Installed version of a distribution, or ``"?"``.

    Parameters
    ----------
    distribution : str

    Returns
    -------
    str
    """
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def configure_torch(threads: int) -> str:
    """Give PyTorch the same thread count as NumPy's BLAS.

    Parameters
    ----------
    threads : int

    Returns
    -------
    str
        What was done, for the header.
    """
    try:
        import torch
    except ImportError:
        return "torch not installed"
    torch.set_num_threads(threads)
    return f"torch {torch.__version__}: set_num_threads({threads})"


class Adapter:
    """Base adapter: a library name, its import, and what it can run.

    Subclasses set :attr:`name`, :attr:`module` and :attr:`distribution` and
    override :meth:`matmat` and, where the library offers them, :meth:`solve`
    and :meth:`slogdet`.
    """

    name: str = ""
    module: str = ""
    distribution: str = ""
    threads: str = OPENBLAS
    """The thread pool the library's calls run on: NumPy's OpenBLAS unless it brings its own."""

    def __init__(self) -> None:
        self._missing: str | None = None
        self._checked = False

    def missing(self) -> str | None:
        """Why the library cannot be used at all (``None`` when it can).

        Returns
        -------
        str or None
        """
        if not self._checked:
            self._checked = True
            try:
                with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    importlib.import_module(self.module)
                    self._missing = self._check_runtime()
            except ImportError as exc:
                top = self.module.split(".")[0]
                if isinstance(exc, ModuleNotFoundError) and exc.name == top:
                    self._missing = "not installed"
                else:
                    self._missing = f"import failed ({exc.__class__.__name__}: {exc})"
        return self._missing

    def _check_runtime(self) -> str | None:
        """Further checks once imported (e.g. a native library); ``None`` when usable."""
        return None

    def version(self) -> str:
        """Installed version of the library."""
        return version_of(self.distribution)

    def matmat(self, factors: list[np.ndarray], x: np.ndarray) -> Prepared:
        """Prepare ``(A₁ ⊗ … ⊗ A_K) @ x``.

        Parameters
        ----------
        factors : list of ndarray
            ``(mᵢ, nᵢ)`` factors, in the case's dtype.
        x : ndarray
            ``(N,)`` or ``(N, k)``.

        Returns
        -------
        Prepared
        """
        raise Skip("no matmul")

    def solve(self, factors: list[np.ndarray], b: np.ndarray) -> Prepared:
        """Prepare ``(A₁ ⊗ … ⊗ A_K)⁻¹ b`` (the factorisation is part of the timed call)."""
        raise Skip("no direct solve")

    def slogdet(self, factors: list[np.ndarray]) -> Prepared:
        """Prepare the sign and log-|det| of ``A₁ ⊗ … ⊗ A_K`` as ``(sign, logabsdet)``."""
        raise Skip("no logdet")


class KronblockAdapter(Adapter):
    """kronblock: ``kb.kron(*factors) @ x``, ``kb.solve``, ``kb.slogdet``."""

    name, module, distribution = "kronblock", "kronblock", "kronblock"

    def matmat(self, factors: list[np.ndarray], x: np.ndarray) -> Prepared:
        import kronblock as kb

        op = kb.kron(*factors)
        return Prepared(lambda: op @ x)

    def solve(self, factors: list[np.ndarray], b: np.ndarray) -> Prepared:
        import kronblock as kb

        op = kb.kron(*factors)
        return Prepared(lambda: kb.solve(op, b))

    def slogdet(self, factors: list[np.ndarray]) -> Prepared:
        import kronblock as kb

        op = kb.kron(*factors)
        return Prepared(lambda: kb.slogdet(op), lambda out: (float(out[0]), float(out[1])))


def numpy_vec_trick(factors: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """``(A₁ ⊗ … ⊗ A_K) @ x`` by one GEMM and one transpose per factor.

    The row-major ``x`` is a tensor ``(n₁, …, n_K, k)``; each pass multiplies
    the leading axis by ``Aᵢ`` and moves the result to the back, so after K
    passes the axes are ``(k, m₁, …, m_K)``.

    Parameters
    ----------
    factors : list of ndarray
    x : ndarray
        ``(N,)`` or ``(N, k)``.

    Returns
    -------
    ndarray
        ``(M,)`` or ``(M, k)`` (a transposed view for ``k > 1``).
    """
    k = 1 if x.ndim == 1 else x.shape[1]
    tensor = x.reshape(-1)
    for factor in factors:
        tensor = (factor @ tensor.reshape(factor.shape[1], -1)).T
    out = tensor.reshape(k, -1).T
    return out.reshape(-1) if x.ndim == 1 else out


class NumpyAdapter(Adapter):
    """Plain NumPy: the dense ``np.kron(...)`` where it fits in 1 GiB, else the vec trick."""

    name, module, distribution = "numpy", "numpy", "numpy"

    @staticmethod
    def _dense(factors: list[np.ndarray], dtype: np.dtype) -> np.ndarray:
        """The dense Kronecker product; :class:`Skip` when it would exceed 1 GiB."""
        rows = math.prod(f.shape[0] for f in factors)
        cols = math.prod(f.shape[1] for f in factors)
        nbytes = rows * cols * np.dtype(dtype).itemsize
        if nbytes > DENSE_LIMIT_BYTES:
            raise Skip(f"dense {_human_bytes(nbytes)} does not fit")
        return functools.reduce(np.kron, factors)

    def matmat(self, factors: list[np.ndarray], x: np.ndarray) -> Prepared:
        try:
            dense = self._dense(factors, x.dtype)
        except Skip:
            return Prepared(lambda: numpy_vec_trick(factors, x))
        return Prepared(lambda: dense @ x, note="dense")

    def solve(self, factors: list[np.ndarray], b: np.ndarray) -> Prepared:
        dense = self._dense(factors, b.dtype)
        return Prepared(lambda: np.linalg.solve(dense, b), note="dense")

    def slogdet(self, factors: list[np.ndarray]) -> Prepared:
        dense = self._dense(factors, factors[0].dtype)
        return Prepared(
            lambda: np.linalg.slogdet(dense), lambda out: (float(out[0]), float(out[1])), "dense"
        )


def _human_bytes(nbytes: float) -> str:
    """``8e12`` → ``8 TB`` (decimal units, two significant digits)."""
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if nbytes < 1000:
            return f"{nbytes:.2g} {unit}"
        nbytes /= 1000
    return f"{nbytes:.2g} EB"


class PykroneckerAdapter(Adapter):
    """pykronecker: ``KroneckerProduct(factors) @ x``; ``.inv() @ b``."""

    name, module, distribution = "pykronecker", "pykronecker", "pykronecker"

    def _operator(self, factors: list[np.ndarray]) -> Any:
        from pykronecker import KroneckerProduct

        if any(f.shape[0] != f.shape[1] for f in factors):
            raise Skip("square factors only")
        return KroneckerProduct(factors)

    def matmat(self, factors: list[np.ndarray], x: np.ndarray) -> Prepared:
        op = self._operator(factors)
        return Prepared(lambda: op @ x)

    def solve(self, factors: list[np.ndarray], b: np.ndarray) -> Prepared:
        op = self._operator(factors)
        return Prepared(lambda: op.inv() @ b, note="inv()")


class PylopsAdapter(Adapter):
    """pylops: nested ``pylops.Kronecker`` of ``MatrixMult`` factors; matvec / matmat."""

    name, module, distribution = "pylops", "pylops", "pylops"

    def matmat(self, factors: list[np.ndarray], x: np.ndarray) -> Prepared:
        import pylops

        dtype = x.dtype
        ops = [pylops.MatrixMult(f, dtype=dtype) for f in factors]
        op = functools.reduce(lambda a, b: pylops.Kronecker(a, b, dtype=dtype), ops)
        if x.ndim == 1:
            return Prepared(lambda: op.matvec(x))
        return Prepared(lambda: op.matmat(x))

    def solve(self, factors: list[np.ndarray], b: np.ndarray) -> Prepared:
        raise Skip("iterative solvers only")


class LinearOperatorAdapter(Adapter):
    """linear_operator: ``KroneckerProductLinearOperator`` of ``DenseLinearOperator``."""

    name, module, distribution = "linear_operator", "linear_operator", "linear_operator"
    threads = "torch"

    @staticmethod
    def _operator(factors: list[np.ndarray]) -> Any:
        import torch
        from linear_operator.operators import DenseLinearOperator, KroneckerProductLinearOperator

        dense = [DenseLinearOperator(torch.from_numpy(f)) for f in factors]
        return KroneckerProductLinearOperator(*dense)

    def matmat(self, factors: list[np.ndarray], x: np.ndarray) -> Prepared:
        import torch

        op, tx = self._operator(factors), torch.from_numpy(x)

        def call() -> Any:
            with torch.no_grad():
                return op @ tx

        return Prepared(call, _torch_to_numpy)

    def solve(self, factors: list[np.ndarray], b: np.ndarray) -> Prepared:
        import torch

        op, tb = self._operator(factors), torch.from_numpy(b)

        def call() -> Any:
            with torch.no_grad():
                return op.solve(tb)

        return Prepared(call, _torch_to_numpy)

    def slogdet(self, factors: list[np.ndarray]) -> Prepared:
        import torch

        op = self._operator(factors)

        def call() -> Any:
            with torch.no_grad():
                return op.logdet()

        return Prepared(call, _logdet_only, note="logdet()")


class PyfastkronAdapter(Adapter):
    """pyfastkron: FastKron's x86 kernels, ``gemkm`` on row vectors.

    FastKron computes ``X (F₁ ⊗ … ⊗ F_K)`` for row vectors ``X``, so
    ``K @ x = (xᵀ (A₁ᵀ ⊗ … ⊗ A_Kᵀ))ᵀ``: the transposed factors are prepared
    contiguous outside the timing and ``xᵀ`` is passed as a transposed view,
    which FastKron takes without a copy.
    """

    name, module, distribution = "pyfastkron", "pyfastkron.fastkronnumpy", "pyfastkron"
    threads = "fastkron"  # its own libgomp

    def _check_runtime(self) -> str | None:
        from pyfastkron import fastkronbase

        if fastkronbase.fastkronX86 is not None:
            return None
        try:  # the package swallows the reason: import the native module again to see it
            importlib.import_module("pyfastkron.FastKronX86")
        except Exception as exc:  # any failure is the reason shown
            return f"native x86 library not loaded ({exc.__class__.__name__}: {exc})"
        return "native x86 backend unavailable"

    def matmat(self, factors: list[np.ndarray], x: np.ndarray) -> Prepared:
        from pyfastkron import fastkronnumpy

        transposed = [np.ascontiguousarray(f.T) for f in factors]
        rows = x.reshape(1, -1) if x.ndim == 1 else x.T
        if not fastkronnumpy.fastkronnumpy.isSupported(rows, transposed):
            raise Skip("no native kernel (Python fallback)")

        def convert(out: np.ndarray) -> np.ndarray:
            return out.reshape(-1) if x.ndim == 1 else out.T

        return Prepared(lambda: fastkronnumpy.gemkm(rows, transposed), convert)


class ColaAdapter(Adapter):
    """cola-ml: ``cola.ops.Kronecker`` of ``cola.ops.Dense`` (NumPy backend)."""

    name, module, distribution = "cola", "cola", "cola-ml"

    @staticmethod
    def _operator(factors: list[np.ndarray]) -> Any:
        import cola

        return cola.ops.Kronecker(*[cola.ops.Dense(f) for f in factors])

    def matmat(self, factors: list[np.ndarray], x: np.ndarray) -> Prepared:
        op = self._operator(factors)
        return Prepared(lambda: op @ x)

    def solve(self, factors: list[np.ndarray], b: np.ndarray) -> Prepared:
        import cola

        op = self._operator(factors)
        return Prepared(lambda: cola.inv(op) @ b, note="inv()")

    def slogdet(self, factors: list[np.ndarray]) -> Prepared:
        import cola

        op = self._operator(factors)
        return Prepared(lambda: cola.logdet(op), _logdet_only, note="logdet()")


ALL_ADAPTERS: tuple[type[Adapter], ...] = (
    KronblockAdapter,
    NumpyAdapter,
    PykroneckerAdapter,
    PylopsAdapter,
    LinearOperatorAdapter,
    PyfastkronAdapter,
    ColaAdapter,
)
"""kronblock first, then the NumPy reference, then the peers, in table order."""
