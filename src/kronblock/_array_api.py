"""The one module that talks to array-api-compat.

Everything else in kronblock asks this module for an array namespace (``xp``)
and for the few facts about arrays that the standard does not spell the same
way in every library (device, laziness, conversion to NumPy on the host).
"""

from __future__ import annotations

import functools
from typing import Any

import array_api_compat
import numpy as np

__all__ = [
    "as_float_dtype",
    "device_of",
    "from_numpy",
    "is_complex_dtype",
    "is_eager",
    "is_numpy_namespace",
    "library_name",
    "namespace_of",
    "real_dtype",
    "to_numpy",
]

Array = Any
Namespace = Any

#: The namespace used when no array says otherwise.
NUMPY = array_api_compat.array_namespace(np.empty(0))


@functools.lru_cache(maxsize=64)
def library_name(xp: Namespace) -> str:
    """Return a short, readable name of the library behind namespace ``xp``."""
    name = getattr(xp, "__name__", None) or repr(xp)
    for prefix in ("array_api_compat.", "array_api_strict"):
        if name.startswith(prefix):
            return name[len("array_api_compat.") :] if prefix.endswith(".") else "array_api_strict"
    return name


def namespace_of(*arrays: Array, where: str = "kronblock") -> Namespace:
    """Return the array-API namespace shared by ``arrays``.

    Python scalars and ``None`` are ignored; if nothing is left, NumPy.

    Raises
    ------
    TypeError
        If the arrays come from different libraries (the message names both) or
        an argument is not an array at all.
    """
    if len(arrays) == 1 and type(arrays[0]) is np.ndarray:  # the common case, quickly
        return NUMPY
    found: Namespace | None = None
    found_from: Any = None
    for a in arrays:
        if a is None or isinstance(a, (bool, int, float, complex)):
            continue
        try:
            xp = array_api_compat.array_namespace(a)
        except TypeError as exc:
            raise TypeError(
                f"{where}: expected an array (NumPy, PyTorch, JAX, CuPy, Dask, ...), "
                f"got {type(a).__name__}"
            ) from exc
        if found is None:
            found, found_from = xp, a
        elif xp is not found and library_name(xp) != library_name(found):
            raise TypeError(
                f"{where}: arrays from different libraries cannot be mixed: "
                f"{library_name(found)} ({type(found_from).__name__}) and "
                f"{library_name(xp)} ({type(a).__name__}); convert one of them first"
            )
    return NUMPY if found is None else found


def is_numpy_namespace(xp: Namespace) -> bool:
    """True for NumPy's namespace (the compat wrapper or ``numpy`` itself)."""
    return bool(array_api_compat.is_numpy_namespace(xp))


def device_of(x: Array) -> Any:
    """The device that array ``x`` lives on."""
    return array_api_compat.device(x)


def is_eager(x: Array) -> bool:
    """True if ``x`` holds concrete values that can be inspected now.

    False for lazy or traced arrays (Dask, JAX under ``jit``), on which
    kronblock skips value checks rather than forcing a computation.
    """
    if array_api_compat.is_lazy_array(x):
        return False
    return True


def to_numpy(x: Array) -> np.ndarray:
    """Copy or view an eager array on the host as a NumPy array.

    Used only by :mod:`kronblock._delegate` to reach SciPy for what the array
    API standard lacks.  Raises ``TypeError`` for lazy arrays.
    """
    if isinstance(x, np.ndarray):
        return x
    if not is_eager(x):
        raise TypeError(
            f"kronblock: this operation needs SciPy on the host and cannot run on a lazy "
            f"{type(x).__name__} without forcing its computation; compute it first"
        )
    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().resolve_conj().numpy()
    try:
        return np.from_dlpack(x)
    except (TypeError, BufferError, RuntimeError, AttributeError):
        return np.asarray(x)


def from_numpy(a: np.ndarray, like: Array) -> Array:
    """Return NumPy array ``a`` in the library and on the device of ``like``."""
    xp = namespace_of(like)
    if is_numpy_namespace(xp):
        return a
    return xp.asarray(np.ascontiguousarray(a), device=device_of(like))


def is_complex_dtype(xp: Namespace, dtype: Any) -> bool:
    """True for complex floating dtypes."""
    return bool(xp.isdtype(dtype, "complex floating"))


def real_dtype(xp: Namespace, dtype: Any) -> Any:
    """The real dtype of the same precision (complex64 -> float32)."""
    if xp.isdtype(dtype, "complex floating"):
        return xp.float32 if dtype == xp.complex64 else xp.float64
    return dtype


def as_float_dtype(xp: Namespace, dtype: Any) -> Any:
    """The floating dtype linear algebra runs in: integers and bools promote to float64."""
    if xp.isdtype(dtype, ("real floating", "complex floating")):
        return dtype
    return xp.float64


def promote(xp: Namespace, *dtypes: Any) -> Any:
    """Promoted dtype, NumPy's way across kinds (integer with floating gives float64).

    The array API standard leaves mixed-kind promotion undefined (array-api-strict
    refuses it); kronblock follows NumPy there.
    """
    try:
        return xp.result_type(*dtypes)
    except TypeError:
        cplx = any(xp.isdtype(d, "complex floating") for d in dtypes)
        wide = any(d in (xp.float64, xp.complex128) or xp.isdtype(d, "integral") for d in dtypes)
        if cplx:
            return xp.complex128 if wide else xp.complex64
        return xp.float64 if wide else xp.float32
