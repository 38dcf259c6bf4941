"""Shared test configuration: hypothesis profiles and the ``xp`` backend fixture."""

from __future__ import annotations

import importlib
import os
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# ``ci``: bounded and derandomized, so CI is fast and never flaky.
settings.register_profile(
    "ci",
    max_examples=int(os.environ.get("KRONBLOCK_MAX_EXAMPLES", "12")),
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
settings.register_profile(
    "dev",
    max_examples=30,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
settings.register_profile(
    "thorough",
    max_examples=300,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

BACKENDS = ("numpy", "array_api_strict", "torch")


def _namespace(name: str) -> Any:
    """The array-API namespace of a backend, or skip if it is not installed."""
    if name == "numpy":
        import array_api_compat.numpy as xnp

        return xnp
    if name == "array_api_strict":
        mod = pytest.importorskip("array_api_strict")  # optional backend
        return mod
    if name == "torch":
        pytest.importorskip("torch")  # optional backend
        return importlib.import_module("array_api_compat.torch")
    raise ValueError(name)


@pytest.fixture(params=BACKENDS)
def xp(request: pytest.FixtureRequest) -> Any:
    """Runs a test over NumPy, array-api-strict and PyTorch (CPU)."""
    return _namespace(request.param)


def to_numpy(a: Any) -> np.ndarray:
    """Host NumPy copy of any backend's array (for comparisons only)."""
    if isinstance(a, np.ndarray) or np.isscalar(a):
        return np.asarray(a)
    if hasattr(a, "detach"):
        return a.detach().cpu().resolve_conj().numpy()
    try:
        return np.from_dlpack(a)
    except (TypeError, BufferError, AttributeError):
        return np.asarray(a)


def from_numpy(xp: Any, a: np.ndarray) -> Any:
    """``a`` in backend ``xp`` (same dtype)."""
    return xp.asarray(np.ascontiguousarray(a))


def library(a: Any) -> str:
    """A short name of the library that holds array ``a``."""
    import array_api_compat

    return array_api_compat.array_namespace(a).__name__.replace("array_api_compat.", "")
