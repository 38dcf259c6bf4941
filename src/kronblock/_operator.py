"""The operator model: :class:`AbstractLinearOperator` and the lazy combinators.

An operator is a 2-D linear map that knows its ``shape``, ``dtype``, array
namespace ``xp``, how to apply itself to a block of vectors (``_matmat``) and
what its adjoint is (``_adjoint``).  Everything else in the public surface is
final and defined here once: validation and normalisation of right-hand sides
(``(N,)``, ``(N, K)`` or ``(*batch, N, K)``), ``@`` in both directions, ``.T`` and
``.H``, scalar ``*``, ``+``/``-`` between operators, entry access and
``to_dense`` with a memory budget.

Binary algebra between operators (``A @ B``) goes through one two-type
registry, :func:`register_matmul`, keyed by the pair of classes and looked up
along both MROs; a pair without a rule composes lazily into :class:`Product`.
"""

from __future__ import annotations

import abc
import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, final

import numpy as np

from ._array_api import (
    NUMPY,
    Array,
    Namespace,
    is_complex_dtype,
    library_name,
    namespace_of,
    promote,
)
from ._errors import DenseBudgetError, format_bytes

__all__ = [
    "DEFAULT_MAX_BYTES",
    "AbstractLinearOperator",
    "Composite",
    "Conjugate",
    "Product",
    "Scaled",
    "Sum",
    "astype",
    "register_matmul",
]

#: ``to_dense`` refuses to build a matrix larger than this unless told otherwise.
DEFAULT_MAX_BYTES = 1 << 30

Scalar = int | float | complex


def _is_scalar(x: Any) -> bool:
    if isinstance(x, (bool, int, float, complex, np.number)):
        return True
    return getattr(x, "ndim", None) == 0 and hasattr(x, "dtype")


class AbstractLinearOperator(abc.ABC):
    """A lazy linear operator of shape ``(M, N)``.

    Subclasses provide ``shape``, ``dtype``, ``xp``, ``_matmat(x)`` for ``x`` of
    shape ``(N, K)`` (already validated, cast to the result dtype, in ``xp``)
    and ``_adjoint()``.  They may override ``_transpose``, ``_to_dense``,
    ``_entries`` and ``tags`` for speed; everything public is defined here.
    """

    # Arrays on the left of ``@`` defer to us: ``x @ A`` calls ``A.__rmatmul__``.
    __array_ufunc__ = None
    __array_priority__ = 1000

    # ---- the required interface --------------------------------------------
    @property
    @abc.abstractmethod
    def shape(self) -> tuple[int, int]:
        """``(M, N)``."""

    @property
    @abc.abstractmethod
    def dtype(self) -> Any:
        """The dtype of the operator's entries, in its namespace."""

    @property
    @abc.abstractmethod
    def xp(self) -> Namespace:
        """The array namespace (array-api-compat) of the operator's data."""

    @abc.abstractmethod
    def _matmat(self, x: Array) -> Array:
        """Apply to ``x`` of shape ``(N, K)``; return shape ``(M, K)``."""

    @abc.abstractmethod
    def _adjoint(self) -> AbstractLinearOperator:
        """The conjugate transpose, as an operator."""

    # ---- optional hooks ----------------------------------------------------
    @property
    def tags(self) -> frozenset[str]:
        """Structural promises (see :mod:`kronblock._tags`); empty by default."""
        return frozenset()

    @property
    def is_neutral(self) -> bool:
        """True for operators with no data of their own (an untyped identity)."""
        return False

    def _adopt(self, xp: Namespace, dtype: Any, device: Any) -> AbstractLinearOperator:
        """A neutral operator bound to a library, dtype and device (others: ``self``)."""
        return self

    @property
    def device(self) -> Any:
        """The device of the operator's data."""
        return None

    def _transpose(self) -> AbstractLinearOperator:
        if is_complex_dtype(self.xp, self.dtype):
            return Conjugate(self._adjoint())
        return self._adjoint()

    def _to_dense(self) -> Array:
        xp = self.xp
        eye = xp.eye(self.shape[1], dtype=self.dtype, device=self.device)
        return self._matmat(eye)

    def _entries(self, rows: Array, cols: Array) -> Array:
        """Entries ``A[rows[k], cols[k]]`` for 1-D integer index arrays in ``xp``.

        Generic: one product with the unit vectors of the distinct columns.
        """
        xp = self.xp
        rows_np, cols_np = np.asarray(_host(rows)), np.asarray(_host(cols))
        ucols, inverse = np.unique(cols_np, return_inverse=True)
        e = np.zeros((self.shape[1], ucols.size))
        e[ucols, np.arange(ucols.size)] = 1.0
        e_x = xp.astype(xp.asarray(e, device=self.device), self.dtype)
        block = self._matmat(e_x)  # (M, n_unique)
        flat = xp.reshape(block, (-1,))
        idx = rows_np * ucols.size + inverse
        return xp.take(flat, xp.asarray(idx, device=self.device))

    # ---- the public, final surface -----------------------------------------
    @property
    def ndim(self) -> int:
        return 2

    @property
    def size(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def T(self) -> AbstractLinearOperator:
        """The transpose (lazy)."""
        return self._transpose()

    @property
    def H(self) -> AbstractLinearOperator:
        """The conjugate transpose (lazy)."""
        return self._adjoint()

    @property
    def mT(self) -> AbstractLinearOperator:
        return self._transpose()

    def matvec(self, x: Array) -> Array:
        """``A @ x`` for ``x`` of shape ``(N,)``."""
        if getattr(x, "ndim", None) != 1:
            raise ValueError(
                f"matvec: expected a vector of shape ({self.shape[1]},), "
                f"got shape {getattr(x, 'shape', None)}; use matmat for blocks"
            )
        return self._apply(x, "matvec")

    def matmat(self, x: Array) -> Array:
        """``A @ X`` for ``X`` of shape ``(N, K)`` or ``(*batch, N, K)``."""
        if getattr(x, "ndim", 0) < 2:
            raise ValueError(
                f"matmat: expected shape ({self.shape[1]}, K) or (*batch, {self.shape[1]}, K), "
                f"got shape {getattr(x, 'shape', None)}; use matvec for vectors"
            )
        return self._apply(x, "matmat")

    def rmatmul(self, x: Array) -> Array:
        """``x @ A`` for ``x`` of shape ``(M,)``, ``(K, M)`` or ``(*batch, K, M)``."""
        xp = self.check_namespace(x, "rmatmul")
        if x.ndim == 1:
            return self.T._apply(x, "rmatmul")
        return xp.matrix_transpose(self.T._apply(xp.matrix_transpose(x), "rmatmul"))

    def __matmul__(self, other: Any) -> Any:
        if isinstance(other, AbstractLinearOperator):
            return compose(self, other)
        if _is_scalar(other):
            raise TypeError("matmul: use * to multiply an operator by a scalar, not @")
        return self._apply(other, "matmul")

    def __rmatmul__(self, other: Any) -> Any:
        if isinstance(other, AbstractLinearOperator):  # pragma: no cover - __matmul__ wins
            return compose(other, self)
        if _is_scalar(other):
            raise TypeError("matmul: use * to multiply an operator by a scalar, not @")
        return self.rmatmul(other)

    def __mul__(self, other: Any) -> AbstractLinearOperator:
        if _is_scalar(other):
            return scale(other, self)
        if isinstance(other, AbstractLinearOperator):
            raise TypeError("operator * operator is not defined; use A @ B for the matrix product")
        return NotImplemented

    def __rmul__(self, other: Any) -> AbstractLinearOperator:
        return self.__mul__(other)

    def __truediv__(self, other: Any) -> AbstractLinearOperator:
        if _is_scalar(other):
            return scale(1 / other, self)
        return NotImplemented

    def __neg__(self) -> AbstractLinearOperator:
        return scale(-1, self)

    def __pos__(self) -> AbstractLinearOperator:
        return self

    def __add__(self, other: Any) -> AbstractLinearOperator:
        return _add(self, other, "+")

    def __radd__(self, other: Any) -> AbstractLinearOperator:
        return _add(self, other, "+", reflected=True)

    def __sub__(self, other: Any) -> AbstractLinearOperator:
        if isinstance(other, AbstractLinearOperator):
            return _add(self, -other, "-")
        return _add(self, other, "-")

    def __rsub__(self, other: Any) -> AbstractLinearOperator:
        if isinstance(other, AbstractLinearOperator):  # pragma: no cover - __sub__ wins
            return _add(other, -self, "-")
        return _add(self, other, "-", reflected=True)

    def to_dense(self, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Array:
        """Form the dense matrix, refusing above ``max_bytes`` (default 1 GiB)."""
        m, n = self.shape
        itemsize = _itemsize(self.xp, self.dtype)
        need = m * n * itemsize
        if need > max_bytes:
            raise DenseBudgetError(
                f"to_dense: the dense {type(self).__name__} of shape {self.shape} would need "
                f"{format_bytes(need)}, over the budget of {format_bytes(max_bytes)}; "
                f"work through the structure (kronblock.solve, kronblock.logdet, ...) or "
                f"pass to_dense(max_bytes=...) if you mean it"
            )
        return self._to_dense()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(
            f"{type(self).__name__} is a lazy operator and is not converted to an array "
            f"implicitly; call .to_dense() to form it"
        )

    def __getitem__(self, key: Any) -> Array:
        """Entries by index arithmetic: ``A[i, j]``, ``A[i, :]``, ``A[:, j]``, ``A[rows, cols]``.

        Integers and integer arrays follow NumPy: two index arrays select the
        entries pointwise; an index together with ``:`` (or a slice) selects
        rows or columns.
        """
        if not isinstance(key, tuple) or len(key) != 2:
            raise IndexError(
                f"{type(self).__name__}: index with two indices, A[i, j] (use A[i, :] for a row)"
            )
        r, r_slice = _normalise_index(key[0], self.shape[0], "row")
        c, c_slice = _normalise_index(key[1], self.shape[1], "column")
        # NumPy's shapes: a slice contributes its length, an index array its shape,
        # an integer nothing; index arrays broadcast against each other
        if r_slice and c_slice:
            rr, cc = r[:, None], c[None, :]
        elif r_slice:
            rr, cc = r.reshape((-1,) + (1,) * c.ndim), c[None, ...]
        elif c_slice:
            rr, cc = r[..., None], c.reshape((1,) * r.ndim + (-1,))
        else:
            rr, cc = r, c
        rb, cb = np.broadcast_arrays(rr, cc)
        xp, dev = self.xp, self.device
        vals = self._entries(xp.asarray(rb.ravel(), device=dev), xp.asarray(cb.ravel(), device=dev))
        return xp.reshape(vals, rb.shape)

    def __iter__(self) -> Any:
        raise TypeError(f"{type(self).__name__} is not iterable; index rows with A[i, :]")

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        dt = getattr(self.dtype, "name", None) or str(self.dtype)
        return f"{type(self).__name__}(shape={self.shape}, dtype={dt})"

    # ---- validation helpers (used by the public surface and by linalg) ----
    def check_namespace(self, x: Any, where: str) -> Namespace:
        """Return ``x``'s namespace, raising ``TypeError`` if it is not the operator's."""
        xp = namespace_of(x, where=where)
        if not self.is_neutral and library_name(xp) != library_name(self.xp):
            raise TypeError(
                f"{where}: the operator holds {library_name(self.xp)} arrays but the argument "
                f"is a {library_name(xp)} array ({type(x).__name__}); convert one of them first"
            )
        return xp

    def _apply(self, x: Any, where: str) -> Array:
        xp = self.check_namespace(x, where)
        n = self.shape[1]
        if x.ndim == 0:
            raise ValueError(f"{where}: cannot apply an operator to a 0-d array")
        rows = x.shape[0] if x.ndim == 1 else x.shape[-2]
        if rows != n:
            expect = f"({n},) or ({n}, K)" if x.ndim <= 2 else f"(*batch, {n}, K)"
            raise ValueError(
                f"{where}: shape mismatch: operator of shape {self.shape} applied to an "
                f"array of shape {tuple(x.shape)}; expected {expect}"
            )
        dtype = result_dtype(xp, self, x)
        if x.dtype != dtype:
            x = xp.astype(x, dtype)
        if x.ndim == 1:  # the common case without closures
            return self._matmat(x[:, None])[:, 0]
        x2, restore = as_columns(xp, x)
        return restore(self._matmat(x2))


def as_columns(xp: Namespace, x: Array) -> tuple[Array, Callable[[Array], Array]]:
    """Bring a right-hand side to ``(N, K)`` and return the inverse map.

    ``(N,)`` becomes ``(N, 1)``; ``(*batch, N, K)`` becomes ``(N, batch·K)`` (one
    copy); ``restore`` maps an ``(M, K')`` result back to ``(M,)`` or
    ``(*batch, M, K)``.
    """
    if x.ndim == 1:
        return x[:, None], lambda y: y[:, 0]
    if x.ndim == 2:
        return x, lambda y: y
    batch = tuple(x.shape[:-2])
    n, k = x.shape[-2], x.shape[-1]
    nb = math.prod(batch)
    x2 = xp.reshape(xp.permute_dims(xp.reshape(x, (nb, n, k)), (1, 0, 2)), (n, nb * k))

    def restore(y: Array) -> Array:
        m = y.shape[0]
        y3 = xp.permute_dims(xp.reshape(y, (m, nb, k)), (1, 0, 2))
        return xp.reshape(y3, (*batch, m, k))

    return x2, restore


def _host(a: Any) -> Any:
    from ._array_api import to_numpy

    return to_numpy(a)


def _normalise_index(idx: Any, n: int, what: str) -> tuple[np.ndarray, bool]:
    """Non-negative int64 indices (0-d for an integer) and whether ``idx`` was a slice."""
    if isinstance(idx, slice):
        return np.arange(n)[idx], True
    if isinstance(idx, (bool, np.bool_)):
        raise IndexError(f"boolean {what} index is not supported")
    if isinstance(idx, (int, np.integer)):
        i = int(idx)
        if not -n <= i < n:
            raise IndexError(f"{what} index {i} is out of bounds for size {n}")
        return np.asarray(i % n, dtype=np.int64), False
    arr = np.asarray(_host(idx) if not isinstance(idx, (list, tuple)) else idx)
    if arr.size == 0:
        return arr.astype(np.int64), False
    if arr.dtype.kind not in "iu":
        raise IndexError(f"{what} indices must be integers, got dtype {arr.dtype}")
    if arr.min() < -n or arr.max() >= n:
        raise IndexError(f"{what} index out of bounds for size {n}")
    return (arr % n).astype(np.int64), False


def _itemsize(xp: Namespace, dtype: Any) -> int:
    try:
        return int(np.dtype(getattr(dtype, "name", None) or str(dtype).split(".")[-1]).itemsize)
    except TypeError:
        return 16


def result_dtype(xp: Namespace, op: AbstractLinearOperator, x: Any) -> Any:
    """The dtype of ``op @ x``: the promotion of both (an untyped identity adopts ``x``'s)."""
    if op.is_neutral or op.dtype == x.dtype:
        return x.dtype
    return promote(xp, op.dtype, x.dtype)


def common_namespace(ops: Sequence[AbstractLinearOperator], where: str) -> Namespace:
    """The one namespace of ``ops`` (neutral operators ignored); ``TypeError`` on a mix."""
    found = None
    for op in ops:
        if op.is_neutral:
            continue
        if found is None:
            found = op.xp
        elif library_name(op.xp) != library_name(found):
            raise TypeError(
                f"{where}: operators hold arrays from different libraries: "
                f"{library_name(found)} and {library_name(op.xp)}; convert one of them first"
            )
    return NUMPY if found is None else found


def adopt_neutral(
    ops: Sequence[AbstractLinearOperator], where: str
) -> tuple[AbstractLinearOperator, ...]:
    """Bind neutral operators (identities) to the library, dtype and device of the others.

    The dtype they adopt is the promotion of the others'; a neutral operator
    may still widen it (``2.5 * identity`` next to integers gives float64).
    """
    xp = common_namespace(ops, where)
    if all(op.is_neutral for op in ops) or not any(op.is_neutral for op in ops):
        return tuple(ops)
    dt = promote(xp, *[op.dtype for op in ops if not op.is_neutral])
    dev = common_device(ops)
    return tuple(op._adopt(xp, dt, dev) if op.is_neutral else op for op in ops)


def common_dtype(ops: Sequence[AbstractLinearOperator], xp: Namespace) -> Any:
    """Promoted dtype of ``ops`` (neutral operators ignored; float64 if none)."""
    dts = [op.dtype for op in ops if not op.is_neutral]
    if not dts:
        return xp.float64
    return promote(xp, *dts)


def common_device(ops: Sequence[AbstractLinearOperator]) -> Any:
    for op in ops:
        if not op.is_neutral:
            return op.device
    return None


def _scalar_dtype(xp: Namespace, dtype: Any, s: Any) -> Any:
    if isinstance(s, complex) or (hasattr(s, "dtype") and "complex" in str(s.dtype)):
        if not xp.isdtype(dtype, "complex floating"):
            return xp.complex64 if dtype == xp.float32 else xp.complex128
    if isinstance(s, float) or (hasattr(s, "dtype") and "float" in str(s.dtype)):
        if not xp.isdtype(dtype, ("real floating", "complex floating")):
            return xp.float64
    return dtype


def _add(a: AbstractLinearOperator, b: Any, op: str, reflected: bool = False) -> Any:
    if isinstance(b, AbstractLinearOperator):
        if a.shape != b.shape:
            raise ValueError(
                f"operator {op}: shapes {a.shape} and {b.shape} differ"
                if not reflected
                else f"operator {op}: shapes {b.shape} and {a.shape} differ"
            )
        left, right = (b, a) if reflected else (a, b)
        return Sum((left, right))
    if _is_scalar(b):
        n = a.shape[0]
        fix = f"s * kb.identity({n}) {op} A" if reflected else f"A {op} s * kb.identity({n})"
        raise TypeError(
            f"adding a bare scalar to a {type(a).__name__} is ambiguous (NumPy would add it "
            f"to every entry); to shift the diagonal write {fix}"
        )
    if hasattr(b, "shape"):
        raise TypeError(
            f"operator {op} array: wrap the array first, A {op} kb.aslinearoperator(X), "
            f"or form A.to_dense() if you mean a dense result"
        )
    return NotImplemented


# ---- the combinators ------------------------------------------------------


class Composite(AbstractLinearOperator):
    """An operator made of other operators (``Sum``, ``Product``, ``Kronecker``).

    Its library, dtype and device are the common ones of its parts; it is
    neutral when all its parts are.  Subclasses are dataclasses with a single
    field, the tuple of parts, named by ``parts``.
    """

    @property
    @abc.abstractmethod
    def parts(self) -> tuple[AbstractLinearOperator, ...]:
        """The operators this one is made of."""

    def _settle(self) -> None:
        """Work out library, dtype, device and neutrality once (the parts are immutable)."""
        parts = self.parts
        xp = common_namespace(parts, type(self).__name__)
        meta = (xp, common_dtype(parts, xp), common_device(parts), all(p.is_neutral for p in parts))
        object.__setattr__(self, "_meta", meta)

    @property
    def xp(self) -> Namespace:
        return self._meta[0]  # type: ignore[attr-defined]

    @property
    def dtype(self) -> Any:
        return self._meta[1]  # type: ignore[attr-defined]

    @property
    def device(self) -> Any:
        return self._meta[2]  # type: ignore[attr-defined]

    @property
    def is_neutral(self) -> bool:
        return bool(self._meta[3])  # type: ignore[attr-defined]

    def _adopt(self, xp: Namespace, dtype: Any, device: Any) -> AbstractLinearOperator:
        return type(self)(tuple(p._adopt(xp, dtype, device) for p in self.parts))  # type: ignore[call-arg]


@final
@dataclass(frozen=True, eq=False, repr=False)
class Sum(Composite):
    """Lazy sum ``A₁ + A₂ + …`` of operators of one shape."""

    terms: tuple[AbstractLinearOperator, ...]

    def __post_init__(self) -> None:
        flat: list[AbstractLinearOperator] = []
        for t in self.terms:
            flat.extend(t.terms if isinstance(t, Sum) else (t,))
        if not flat:
            raise ValueError("Sum needs at least one term")
        shapes = {t.shape for t in flat}
        if len(shapes) != 1:
            raise ValueError(f"Sum: terms have different shapes {sorted(shapes)}")
        object.__setattr__(self, "terms", adopt_neutral(flat, "Sum"))
        self._settle()

    @property
    def shape(self) -> tuple[int, int]:
        return self.terms[0].shape

    @property
    def parts(self) -> tuple[AbstractLinearOperator, ...]:
        return self.terms

    def _matmat(self, x: Array) -> Array:
        out = self.terms[0]._matmat(x)
        for t in self.terms[1:]:
            out = out + t._matmat(x)
        return out

    def _adjoint(self) -> AbstractLinearOperator:
        return Sum(tuple(t.H for t in self.terms))

    def _transpose(self) -> AbstractLinearOperator:
        return Sum(tuple(t.T for t in self.terms))


@final
@dataclass(frozen=True, eq=False, repr=False)
class Product(Composite):
    """Lazy product ``A₁ @ A₂ @ …`` (applied right to left)."""

    factors: tuple[AbstractLinearOperator, ...]

    def __post_init__(self) -> None:
        flat: list[AbstractLinearOperator] = []
        for f in self.factors:
            flat.extend(f.factors if isinstance(f, Product) else (f,))
        if not flat:
            raise ValueError("Product needs at least one factor")
        for a, b in itertools.pairwise(flat):
            if a.shape[1] != b.shape[0]:
                raise ValueError(
                    f"matmul: shape mismatch: {a.shape} @ {b.shape} (inner sizes "
                    f"{a.shape[1]} and {b.shape[0]} differ)"
                )
        object.__setattr__(self, "factors", adopt_neutral(flat, "Product"))
        self._settle()

    @property
    def shape(self) -> tuple[int, int]:
        return (self.factors[0].shape[0], self.factors[-1].shape[1])

    @property
    def parts(self) -> tuple[AbstractLinearOperator, ...]:
        return self.factors

    def _matmat(self, x: Array) -> Array:
        for f in reversed(self.factors):
            x = f._matmat(x)
        return x

    def _adjoint(self) -> AbstractLinearOperator:
        return Product(tuple(f.H for f in reversed(self.factors)))

    def _transpose(self) -> AbstractLinearOperator:
        return Product(tuple(f.T for f in reversed(self.factors)))


@final
@dataclass(frozen=True, eq=False, repr=False)
class Scaled(AbstractLinearOperator):
    """Lazy ``s * A`` for a scalar ``s``."""

    scalar: Any
    operator: AbstractLinearOperator

    def __post_init__(self) -> None:
        if not _is_scalar(self.scalar):
            raise TypeError(f"Scaled: expected a scalar, got {type(self.scalar).__name__}")
        # NumPy scalars and 0-d arrays become Python numbers: weak, and of no library
        object.__setattr__(self, "scalar", python_scalar(self.scalar))

    @property
    def shape(self) -> tuple[int, int]:
        return self.operator.shape

    @property
    def xp(self) -> Namespace:
        return self.operator.xp

    @property
    def dtype(self) -> Any:
        return _scalar_dtype(self.xp, self.operator.dtype, self.scalar)

    @property
    def device(self) -> Any:
        return self.operator.device

    @property
    def is_neutral(self) -> bool:
        return self.operator.is_neutral

    def _adopt(self, xp: Namespace, dtype: Any, device: Any) -> AbstractLinearOperator:
        return Scaled(self.scalar, self.operator._adopt(xp, dtype, device))

    @property
    def tags(self) -> frozenset[str]:
        from ._tags import DIAGONAL, HERMITIAN, LOWER, POSITIVE_DEFINITE, UPPER

        keep = {LOWER, UPPER, DIAGONAL}
        s = self.scalar
        if isinstance(s, (int, float, np.integer, np.floating)):
            keep.add(HERMITIAN)
            if s > 0:
                keep.add(POSITIVE_DEFINITE)
        return self.operator.tags & frozenset(keep)

    def _matmat(self, x: Array) -> Array:
        return self.operator._matmat(x) * self.scalar

    def _adjoint(self) -> AbstractLinearOperator:
        return Scaled(_conj_scalar(self.scalar), self.operator.H)

    def _transpose(self) -> AbstractLinearOperator:
        return Scaled(self.scalar, self.operator.T)


def _conj_scalar(s: Any) -> Any:
    if isinstance(s, complex):
        return s.conjugate()
    if hasattr(s, "conjugate"):
        return s.conjugate()
    return s


@final
@dataclass(frozen=True, eq=False, repr=False)
class Conjugate(AbstractLinearOperator):
    """Lazy entrywise complex conjugate ``conj(A)`` (so ``A.T == Conjugate(A.H)``)."""

    operator: AbstractLinearOperator

    @property
    def shape(self) -> tuple[int, int]:
        return self.operator.shape

    @property
    def xp(self) -> Namespace:
        return self.operator.xp

    @property
    def dtype(self) -> Any:
        return self.operator.dtype

    @property
    def device(self) -> Any:
        return self.operator.device

    @property
    def tags(self) -> frozenset[str]:
        return self.operator.tags

    @property
    def is_neutral(self) -> bool:
        return self.operator.is_neutral

    def _adopt(self, xp: Namespace, dtype: Any, device: Any) -> AbstractLinearOperator:
        return Conjugate(self.operator._adopt(xp, dtype, device))

    def _matmat(self, x: Array) -> Array:
        xp = self.xp
        return xp.conj(self.operator._matmat(xp.conj(x)))

    def _adjoint(self) -> AbstractLinearOperator:
        return Conjugate(self.operator.H)

    def _transpose(self) -> AbstractLinearOperator:
        return self.operator.H


@functools.singledispatch
def negate(op: AbstractLinearOperator) -> AbstractLinearOperator:
    """``-op`` with the structure at the top where a structure can negate itself.

    ``Dense`` negates its array, a ``Kronecker`` its first factor, ``Scaled``
    its scalar; anything else becomes ``Scaled(-1, op)``.  Used where a rule
    needs ``-A`` to be of ``A``'s kind (a Cholesky of ``(-A)⊗(-B)``).
    """
    return scale(-1, op)


@functools.singledispatch
def astype(op: AbstractLinearOperator, dtype: Any) -> AbstractLinearOperator:
    """``op`` with its data in ``dtype`` (the structure kept; unchanged if already there).

    Rules decompose factors at the product's promoted dtype with it, so that
    ``kron(A32, B64)`` is computed in float64, as NumPy would.  Structures
    register how to cast their data; a composite casts its parts; an
    operator that cannot cast itself is returned unchanged (its values then
    promote as they are used).
    """
    return op


@astype.register
def _astype_composite(op: Composite, dtype: Any) -> AbstractLinearOperator:
    if op.dtype == dtype:
        return op
    return type(op)(tuple(astype(p, dtype) for p in op.parts))  # type: ignore[call-arg]


@astype.register
def _astype_scaled(op: Scaled, dtype: Any) -> AbstractLinearOperator:
    return op if op.dtype == dtype else Scaled(op.scalar, astype(op.operator, dtype))


@astype.register
def _astype_conjugate(op: Conjugate, dtype: Any) -> AbstractLinearOperator:
    return op if op.dtype == dtype else Conjugate(astype(op.operator, dtype))


def python_scalar(s: Any) -> Any:
    """A NumPy scalar or eager 0-d array as a Python number (a weak scalar, as NEP 50 treats it)."""
    if isinstance(s, np.generic):  # first: np.float64 is a subclass of float
        return s.item()
    if isinstance(s, (bool, int, float, complex)):
        return s
    from ._array_api import is_eager, to_numpy

    if getattr(s, "ndim", None) == 0 and is_eager(s):
        return to_numpy(s).item()
    return s


def scale(s: Any, op: AbstractLinearOperator) -> AbstractLinearOperator:
    """``s * op``; nested scalings merge."""
    if isinstance(op, Scaled):
        return Scaled(s * op.scalar, op.operator)
    return Scaled(s, op)


# ---- the two-type registry for operator @ operator ------------------------

MatmulRule = Callable[[Any, Any], "AbstractLinearOperator | None"]
_MATMUL_RULES: dict[tuple[type, type], MatmulRule] = {}


def register_matmul(left: type, right: type) -> Callable[[MatmulRule], MatmulRule]:
    """Register ``rule(a, b)`` for ``a @ b`` with ``a`` a ``left`` and ``b`` a ``right``.

    A rule returns the simplified operator, or ``None`` to decline (then the
    product stays lazy).  One rule per pair of classes.
    """

    def deco(rule: MatmulRule) -> MatmulRule:
        if (left, right) in _MATMUL_RULES:
            raise ValueError(f"a matmul rule for ({left.__name__}, {right.__name__}) exists")
        _MATMUL_RULES[(left, right)] = rule
        return rule

    return deco


def compose(a: AbstractLinearOperator, b: AbstractLinearOperator) -> AbstractLinearOperator:
    """``a @ b`` for operators: a registered pair rule, else a lazy :class:`Product`."""
    if a.shape[1] != b.shape[0]:
        raise ValueError(
            f"matmul: shape mismatch: {a.shape} @ {b.shape} (inner sizes {a.shape[1]} and "
            f"{b.shape[0]} differ)"
        )
    common_namespace((a, b), "matmul")
    for ta in type(a).__mro__:
        for tb in type(b).__mro__:
            rule = _MATMUL_RULES.get((ta, tb))
            if rule is not None:
                out = rule(a, b)
                if out is not None:
                    return out
    return Product((a, b))
