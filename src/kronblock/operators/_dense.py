"""``Dense``, ``Diagonal`` and ``Identity``: the leaves every structure is made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, final

from .._array_api import NUMPY, Array, Namespace, device_of, namespace_of, promote
from .._operator import AbstractLinearOperator, register_matmul
from .._tags import DIAGONAL, HERMITIAN, LOWER, POSITIVE_DEFINITE, UPPER, check_tags, transpose_tags

__all__ = ["Dense", "Diagonal", "Identity", "aslinearoperator", "diag", "identity"]


@final
@dataclass(frozen=True, eq=False, repr=False)
class Dense(AbstractLinearOperator):
    """A matrix held as a 2-D array (any array-API library, any device).

    Parameters
    ----------
    array : array of shape (M, N)
        Kept as given, never copied or modified.
    tags : collection of str, optional
        Structural promises, e.g. ``{"hermitian"}`` or ``{"lower_triangular"}``
        (see :mod:`kronblock._tags`).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = kb.Dense(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> bool(np.allclose(A @ np.ones(2), [3.0, 7.0]))
    True
    """

    array: Array
    tags_: frozenset[str] = field(default=frozenset())

    def __post_init__(self) -> None:
        xp = namespace_of(self.array, where="Dense")
        if self.array.ndim != 2:
            raise ValueError(f"Dense: expected a 2-D array, got shape {tuple(self.array.shape)}")
        object.__setattr__(self, "tags_", check_tags(self.tags_))
        object.__setattr__(self, "_xp", xp)
        object.__setattr__(self, "_shape", (int(self.array.shape[0]), int(self.array.shape[1])))

    @property
    def shape(self) -> tuple[int, int]:
        return self._shape  # type: ignore[attr-defined]

    @property
    def dtype(self) -> Any:
        return self.array.dtype

    @property
    def xp(self) -> Namespace:
        return self._xp  # type: ignore[attr-defined]

    @property
    def device(self) -> Any:
        return device_of(self.array)

    @property
    def tags(self) -> frozenset[str]:
        return self.tags_

    def _matmat(self, x: Array) -> Array:
        a = self.array if self.array.dtype == x.dtype else self.xp.astype(self.array, x.dtype)
        return a @ x

    def _adjoint(self) -> AbstractLinearOperator:
        xp = self.xp
        return Dense(xp.conj(xp.matrix_transpose(self.array)), transpose_tags(self.tags_))

    def _transpose(self) -> AbstractLinearOperator:
        return Dense(self.xp.matrix_transpose(self.array), transpose_tags(self.tags_))

    def _to_dense(self) -> Array:
        return self.array

    def _entries(self, rows: Array, cols: Array) -> Array:
        xp = self.xp
        flat = xp.reshape(self.array, (-1,))
        return xp.take(flat, rows * self.shape[1] + cols)

    def __repr__(self) -> str:
        return f"Dense(shape={self.shape}, dtype={self.dtype})"


@final
@dataclass(frozen=True, eq=False, repr=False)
class Diagonal(AbstractLinearOperator):
    """The diagonal matrix ``diag(d)`` for a 1-D array ``d``.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> D = kb.diag(np.array([1.0, 2.0, 3.0]))
    >>> bool(np.array_equal(D.to_dense(), np.diag([1.0, 2.0, 3.0])))
    True
    """

    diagonal: Array

    def __post_init__(self) -> None:
        xp = namespace_of(self.diagonal, where="Diagonal")
        if self.diagonal.ndim != 1:
            raise ValueError(
                f"Diagonal: expected a 1-D array of diagonal entries, got shape "
                f"{tuple(self.diagonal.shape)}"
            )
        object.__setattr__(self, "_xp", xp)

    @property
    def shape(self) -> tuple[int, int]:
        n = int(self.diagonal.shape[0])
        return (n, n)

    @property
    def dtype(self) -> Any:
        return self.diagonal.dtype

    @property
    def xp(self) -> Namespace:
        return self._xp  # type: ignore[attr-defined]

    @property
    def device(self) -> Any:
        return device_of(self.diagonal)

    @property
    def tags(self) -> frozenset[str]:
        t = {DIAGONAL, LOWER, UPPER}
        if not self.xp.isdtype(self.dtype, "complex floating"):
            t.add(HERMITIAN)
        return frozenset(t)

    def _matmat(self, x: Array) -> Array:
        d = (
            self.diagonal
            if self.diagonal.dtype == x.dtype
            else self.xp.astype(self.diagonal, x.dtype)
        )
        return d[:, None] * x

    def _adjoint(self) -> AbstractLinearOperator:
        return Diagonal(self.xp.conj(self.diagonal))

    def _transpose(self) -> AbstractLinearOperator:
        return self

    def _to_dense(self) -> Array:
        xp = self.xp
        n = self.shape[0]
        out = xp.zeros((n * n,), dtype=self.dtype, device=self.device)
        idx = xp.arange(0, n * n, n + 1, device=self.device)
        return xp.reshape(_scatter(xp, out, idx, self.diagonal), (n, n))

    def _entries(self, rows: Array, cols: Array) -> Array:
        xp = self.xp
        vals = xp.take(self.diagonal, rows)
        return xp.where(rows == cols, vals, xp.zeros_like(vals))

    def __repr__(self) -> str:
        return f"Diagonal(n={self.shape[0]}, dtype={self.dtype})"


def _scatter(xp: Namespace, out: Array, idx: Array, vals: Array) -> Array:
    """``out[idx] = vals`` on a fresh array of ours (out-of-place where needed)."""
    try:
        out[idx] = vals
        return out
    except (TypeError, ValueError, IndexError):
        # Libraries without integer-array assignment (array-api-strict, JAX):
        # build through a one-hot sum, fine at the sizes where this is used.
        n = out.shape[0]
        pos = xp.arange(n, device=device_of(out))
        hit = pos[:, None] == idx[None, :]
        return xp.sum(xp.where(hit, vals[None, :], xp.zeros_like(vals[None, :])), axis=1)


@final
@dataclass(frozen=True, eq=False, repr=False)
class Identity(AbstractLinearOperator):
    """The ``n × n`` identity.

    Without ``dtype``/``xp`` it is *neutral*: it adopts the dtype and library of
    whatever it is combined with, so ``K + s * kb.identity(n)`` works for any
    backend.  Applying it returns its argument unchanged (no copy).
    """

    n: int
    dtype_: Any = None
    xp_: Namespace | None = None
    device_: Any = None

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 0:
            raise ValueError(f"identity: n must be a non-negative int, got {self.n!r}")

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.n)

    @property
    def xp(self) -> Namespace:
        return NUMPY if self.xp_ is None else self.xp_

    @property
    def dtype(self) -> Any:
        return self.xp.float64 if self.dtype_ is None else self.dtype_

    @property
    def device(self) -> Any:
        return self.device_

    @property
    def is_neutral(self) -> bool:
        return self.xp_ is None and self.dtype_ is None

    def _adopt(self, xp: Namespace, dtype: Any, device: Any) -> AbstractLinearOperator:
        return Identity(self.n, dtype, xp, device) if self.is_neutral else self

    @property
    def tags(self) -> frozenset[str]:
        return frozenset({HERMITIAN, POSITIVE_DEFINITE, LOWER, UPPER, DIAGONAL})

    def _matmat(self, x: Array) -> Array:
        return namespace_of(x).asarray(x, copy=True)  # a fresh array, never the caller's

    def _adjoint(self) -> AbstractLinearOperator:
        return self

    def _transpose(self) -> AbstractLinearOperator:
        return self

    def _to_dense(self) -> Array:
        return self.xp.eye(self.n, dtype=self.dtype, device=self.device)

    def _entries(self, rows: Array, cols: Array) -> Array:
        xp = self.xp
        return xp.astype(rows == cols, self.dtype)

    def __repr__(self) -> str:
        return f"Identity(n={self.n})"


def identity(
    n: int, dtype: Any = None, *, xp: Namespace | None = None, device: Any = None
) -> Identity:
    """The ``n × n`` identity operator.

    Parameters
    ----------
    n : int
    dtype, xp, device : optional
        Leave them out for a neutral identity that adopts the dtype and
        library of what it is combined with.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> I = kb.identity(3)
    >>> x = np.arange(3.0)
    >>> bool((I @ x == x).all())
    True
    """
    if dtype is not None and xp is None:
        xp = NUMPY
    return Identity(int(n) if not isinstance(n, bool) else n, dtype, xp, device)


def diag(d: Array) -> Diagonal:
    """The diagonal operator with entries ``d`` (a 1-D array)."""
    return Diagonal(_as_array(d, "diag"))


def _as_array(a: Any, where: str) -> Array:
    import array_api_compat  # noqa: F401  (namespace check happens in namespace_of)
    import numpy as np

    if isinstance(a, (list, tuple, int, float, complex)):
        return np.asarray(a)
    namespace_of(a, where=where)
    return a


def aslinearoperator(a: Any, *, tags: Any = ()) -> AbstractLinearOperator:
    """Wrap ``a`` as an operator.

    Operators pass through; 2-D arrays of any array-API library become
    :class:`Dense`; ``scipy.sparse`` matrices and arrays become
    :class:`~kronblock.operators.Sparse` (kept sparse); nested lists become
    NumPy arrays.

    Raises
    ------
    ValueError
        If ``a`` is not 2-D.
    TypeError
        If ``a`` is not an array or operator.
    """
    if isinstance(a, AbstractLinearOperator):
        if tags:
            raise TypeError("aslinearoperator: tags can only be given when wrapping an array")
        return a
    from ._sparse import Sparse, is_scipy_sparse

    if is_scipy_sparse(a):
        return Sparse(a, check_tags(tags))
    arr = _as_array(a, "aslinearoperator")
    if getattr(arr, "ndim", None) != 2:
        raise ValueError(
            f"aslinearoperator: expected a 2-D array (a matrix), got shape "
            f"{tuple(getattr(arr, 'shape', ()))}"
        )
    return Dense(arr, check_tags(tags))


@register_matmul(Dense, Dense)
def _dense_at_dense(a: Dense, b: Dense) -> AbstractLinearOperator:
    # (M, K) @ (K, N): small factors multiply eagerly, as NumPy would.
    xp = a.xp
    dt = promote(xp, a.dtype, b.dtype)
    return Dense(xp.astype(a.array, dt) @ xp.astype(b.array, dt))


@register_matmul(Identity, AbstractLinearOperator)
def _identity_at(a: Identity, b: AbstractLinearOperator) -> AbstractLinearOperator:
    return b


@register_matmul(AbstractLinearOperator, Identity)
def _at_identity(a: AbstractLinearOperator, b: Identity) -> AbstractLinearOperator:
    return a


@register_matmul(Diagonal, Diagonal)
def _diag_at_diag(a: Diagonal, b: Diagonal) -> AbstractLinearOperator:
    xp = a.xp
    dt = promote(xp, a.dtype, b.dtype)
    return Diagonal(xp.astype(a.diagonal, dt) * xp.astype(b.diagonal, dt))
