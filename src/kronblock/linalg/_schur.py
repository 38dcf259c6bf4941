"""Schur forms that release the GIL, so two of them run at once.

``scipy.linalg.schur`` holds the GIL inside LAPACK, and LAPACK's QR iteration
(``xhseqr``) barely profits from a second BLAS thread: on two cores the Schur
forms of two 1000×1000 matrices take 0.97 s one after the other, however many
BLAS threads there are.  Called through ctypes, a foreign function releases
the GIL, so the two run side by side on one BLAS thread each: 0.60 s.

The LAPACK routines are SciPy's own, reached through its public Cython API
(``scipy.linalg.cython_lapack``), whose ``__pyx_capi__`` capsules hold the
function pointers (the way Numba reaches them).  Where that is not available
(another SciPy build, or a failure to read a capsule), :func:`schur_pair` falls
back to ``scipy.linalg.schur``, one after the other: same results, no speed-up.

``threadpoolctl`` (optional) caps BLAS at one thread while the two run; without
it both run one after the other, because two multi-threaded BLAS calls at once
oversubscribe the cores (1.7 s instead of 0.6 s, measured).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import scipy.linalg as sla

from .._errors import LinAlgError
from ..operators._columns import threads

__all__ = ["PARALLEL_MIN", "capped_pool", "eigh", "schur", "schur_pair", "side_by_side"]

PARALLEL_MIN = 192
"""Two Schur forms run side by side when the smaller matrix has at least this order."""

_P = ctypes.c_void_p
_ROUTINES = {"f": "sgees", "d": "dgees", "F": "cgees", "D": "zgees"}


@functools.cache
def _gees(char: str) -> Any:
    """The ctypes function for LAPACK ``?gees`` from SciPy's Cython API, or None."""
    try:
        from scipy.linalg import cython_lapack

        capsule = cython_lapack.__pyx_capi__[_ROUTINES[char]]
        get_name = ctypes.pythonapi.PyCapsule_GetName
        get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
        get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
        get_pointer.restype = ctypes.c_void_p
        get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
        address = get_pointer(capsule, get_name(capsule))
    except (ImportError, KeyError, AttributeError, ValueError):  # pragma: no cover - other builds
        return None
    if not address:  # pragma: no cover - defensive
        return None
    nargs = 15  # real: ..., wr, wi, vs, ldvs, work, lwork, bwork, info; complex: w, ..., rwork
    return ctypes.CFUNCTYPE(None, *([_P] * nargs))(address)


@functools.cache
def _blas_controller() -> Any:
    """threadpoolctl's controller (made once: it scans the loaded libraries), or None."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return None
    return ThreadpoolController()


def _ctypes_schur(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``A = U T Uᴴ`` by ``?gees`` through ctypes (the GIL released); ``a`` is not written."""
    n = a.shape[0]
    fn = _gees(a.dtype.char)
    t = np.array(a, order="F")  # LAPACK overwrites its copy with T
    u = np.empty((n, n), dtype=a.dtype, order="F")
    complex_ = a.dtype.kind == "c"
    real = np.empty(n, dtype=a.real.dtype)
    w1 = np.empty(n, dtype=a.dtype)  # wr (real) or w (complex)
    w2 = np.empty(n, dtype=a.real.dtype)  # wi (real) or rwork (complex, length n)
    order = ctypes.c_int(max(n, 1))
    sdim, info = ctypes.c_int(0), ctypes.c_int(0)
    jobvs, sort = ctypes.c_char(b"V"), ctypes.c_char(b"N")
    bwork = np.zeros(1, dtype=np.intc)  # not referenced: no sorting

    def call(work: np.ndarray, lwork: int) -> None:
        lw = ctypes.c_int(lwork)
        ref = ctypes.byref
        args: tuple[Any, ...]
        if complex_:  # zgees(jobvs, sort, select, n, a, lda, sdim, w, vs, ldvs, work, lwork,
            #              rwork, bwork, info)
            args = (w1.ctypes.data, u.ctypes.data, ref(order), work.ctypes.data, ref(lw),
                    w2.ctypes.data)  # fmt: skip
        else:  # dgees(jobvs, sort, select, n, a, lda, sdim, wr, wi, vs, ldvs, work, lwork,
            #          bwork, info)
            args = (real.ctypes.data, w2.ctypes.data, u.ctypes.data, ref(order),
                    work.ctypes.data, ref(lw))  # fmt: skip
        fn(ref(jobvs), ref(sort), None, ref(ctypes.c_int(n)), t.ctypes.data, ref(order),
           ref(sdim), *args, bwork.ctypes.data, ref(info))  # fmt: skip

    query = np.empty(1, dtype=a.dtype)
    call(query, -1)
    lwork = max(int(query[0].real), 3 * n, 1)
    call(np.empty(lwork, dtype=a.dtype), lwork)
    if info.value != 0:
        raise LinAlgError(f"schur: LAPACK {_ROUTINES[a.dtype.char]} failed (info = {info.value})")
    return np.ascontiguousarray(t), np.ascontiguousarray(u)


def schur(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Schur form ``A = U T Uᴴ``: real quasi-triangular for real ``a``, triangular for complex.

    ``a``: a square float32/float64/complex64/complex128 NumPy array (not
    written).  Returns ``(T, U)`` like ``scipy.linalg.schur(a)``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).normal(size=(5, 5))
    >>> t, u = schur(a)
    >>> bool(np.allclose(u @ t @ u.T, a)), bool(np.allclose(np.tril(t, -2), 0))
    (True, True)
    """
    if a.shape[0] == 0 or _gees(a.dtype.char) is None:
        t, u = sla.schur(a, check_finite=False)
        return t, u
    return _ctypes_schur(a)


Pair = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@contextlib.contextmanager
def capped_pool(order: int) -> Iterator[ThreadPoolExecutor | None]:
    """Two worker threads with BLAS capped at one thread, or ``None`` (then work in line).

    A pool when ``order`` is at least :data:`PARALLEL_MIN`, there are two
    cores, threadpoolctl is installed and no other caller holds the cap.  Work
    done in the pool (LAPACK through NumPy or ctypes, ``numpy.matmul``) runs
    two tasks at a time with the GIL released, and OpenBLAS's own worker
    threads stay idle, so they do not spin against the two tasks.
    """
    controller = _blas_controller() if order >= PARALLEL_MIN and threads() >= 2 else None
    # The BLAS cap is process-wide state: one caller at a time may set and restore it
    # (overlapping callers would restore each other's saved values in the wrong order).
    # A caller that finds it taken works in line, under the current setting.
    if controller is None or not _CAP_LOCK.acquire(blocking=False):
        yield None
        return
    try:
        with controller.limit(limits=1, user_api="blas"), ThreadPoolExecutor(2) as pool:
            yield pool
    finally:
        _CAP_LOCK.release()


def side_by_side(
    fa: Callable[[np.ndarray], Any], a: np.ndarray, fb: Callable[[np.ndarray], Any], b: np.ndarray
) -> tuple[Any, Any]:
    """``(fa(a), fb(b))``, in two threads with BLAS on one thread each when both are large.

    For host LAPACK work that releases the GIL and scales poorly over BLAS
    threads (Schur forms, Hermitian eigendecompositions); see
    :func:`capped_pool` for when it runs side by side.
    """
    with capped_pool(min(a.shape[0], b.shape[0])) as pool:
        if pool is None:
            return fa(a), fb(b)
        ra = pool.submit(fa, a)
        rb = pool.submit(fb, b)
        return ra.result(), rb.result()


_CAP_LOCK = threading.Lock()


def schur_pair(a: np.ndarray, b: np.ndarray) -> Pair:
    """The Schur forms of ``a`` and ``b`` (:func:`schur`), side by side when both are large."""
    if _gees(a.dtype.char) is None or _gees(b.dtype.char) is None:  # pragma: no cover
        return schur(a), schur(b)
    return side_by_side(schur, a, schur, b)


def eigh(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``numpy.linalg.eigh`` (its LAPACK call releases the GIL, so it runs in a pool)."""
    w, v = np.linalg.eigh(a)
    return w, v
