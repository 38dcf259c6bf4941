"""The frame shared by the iterative solvers: settings, validation, the loop, the result.

A solver object holds settings only (:class:`IterativeSolver`); ``solve(A, b,
x0)`` validates its arguments into a :class:`Problem` (linear maps on ``(N, k)``
blocks, the right-hand side as columns, per-column thresholds), hands it to the
method's ``_iterate`` and turns what comes back into a :class:`SolverResult`,
checking the *true* residual ``b − A x`` at the end.

Vectors live in the array library of ``b`` and are touched only through the
array API standard; the few per-column scalars that decide convergence are
read on the host (NumPy, float64) once per iteration.
"""

from __future__ import annotations

import abc
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array_api import (
    Array,
    Namespace,
    as_float_dtype,
    device_of,
    from_numpy,
    is_complex_dtype,
    is_eager,
    library_name,
    namespace_of,
    promote,
    real_dtype,
    to_numpy,
)
from .._errors import ConvergenceError, LinAlgError
from .._operator import AbstractLinearOperator
from ._result import SolverResult

__all__ = ["IterativeSolver", "Problem", "run_short_recurrence"]

#: ``callback(iteration, x_or_None, residual_norm)``.
Callback = Callable[[int, Any, float], object]
#: A linear map applied to a block of columns: ``(N, k) -> (N, k)``.
LinearMap = Callable[[Array], Array]


def _is_nonneg_real(v: Any) -> bool:
    return (
        isinstance(v, numbers.Real)
        and not isinstance(v, bool)
        and bool(np.isfinite(float(v)))
        and float(v) >= 0
    )


def hmax(a: np.ndarray) -> float:
    """Maximum of a host array as a float (0.0 for no columns; NaN propagates)."""
    return float(np.max(a)) if a.size else 0.0


@dataclass(frozen=True, eq=False, kw_only=True)
class IterativeSolver(abc.ABC):
    """Settings and the ``solve`` template of a Krylov solver (abstract).

    Subclasses implement ``_iterate`` and set ``_default_maxiter``.
    """

    rtol: float = 1e-8
    atol: float = 0.0
    maxiter: int | None = None
    M: Any = None
    callback: Callback | None = None
    raise_on_failure: bool = True

    def __post_init__(self) -> None:
        name = type(self).__name__
        for what in ("rtol", "atol"):
            v = getattr(self, what)
            if not _is_nonneg_real(v):
                raise ValueError(f"{name}: {what} must be a finite number ≥ 0, got {v!r}")
        mi = self.maxiter
        if mi is not None and (
            not isinstance(mi, numbers.Integral) or isinstance(mi, bool) or mi < 0
        ):
            raise ValueError(f"{name}: maxiter must be an integer ≥ 0 or None, got {mi!r}")
        m = self.M
        if m is not None and not _is_matrix_like(m) and not callable(m):
            raise TypeError(
                f"{name}: M must be an operator or array applied as M @ r, or a callable "
                f"M(r), approximating the inverse of A; got {type(m).__name__}"
            )
        if self.callback is not None and not callable(self.callback):
            raise TypeError(
                f"{name}: callback must be callable as callback(iteration, x, residual_norm), "
                f"got {type(self.callback).__name__}"
            )

    # ---- what a method provides -------------------------------------------
    def _default_maxiter(self, n: int) -> int:
        return 10 * n

    @abc.abstractmethod
    def _iterate(
        self, p: Problem, x: Array, r: Array
    ) -> tuple[Array, int, list[float], np.ndarray | None]:
        """Iterate from ``x`` with residual ``r`` (both ``(N, k)``, ``r`` exact).

        Returns ``(x, iterations, history, rn)`` where ``rn`` is the host array of
        true residual norms of ``x`` if the method has just computed them, else
        ``None`` (the frame then computes them).
        """

    def _failure_hint(self) -> str:
        return ""

    # ---- the template -------------------------------------------------------
    def solve(self, A: Any, b: Any, x0: Any = None) -> SolverResult:
        """Solve ``A x = b``; see the class docstring for the parameters.

        Parameters
        ----------
        A : operator or array (N, N)
            A kronblock operator, an array of any array-API library, a
            ``scipy.sparse`` matrix, or any object with ``shape`` and ``@``
            (such as ``scipy.sparse.linalg.LinearOperator`` for NumPy ``b``).
        b : array (N,) or (N, k)
            With ``k`` columns, ``k`` independent systems are solved together.
        x0 : array of ``b``'s shape, optional
            Initial guess (default zeros).  Columns where ``b`` is zero start,
            and stay, at zero.

        Returns
        -------
        SolverResult

        Raises
        ------
        ValueError
            Shapes that do not fit.
        TypeError
            Arguments that are not arrays/operators, from mixed libraries, or lazy.
        kronblock.LinAlgError
            A breakdown the method detects (see the class docstring).
        ConvergenceError
            Not converged within ``maxiter`` and ``raise_on_failure`` is true.
        """
        p, x, r = Problem.setup(self, A, b, x0)
        x, iterations, history, rn = self._iterate(p, x, r)
        if rn is None:
            rn = p.host(p.norms(p.residual(x)))  # the true residual, recomputed: (k,)
        return self._finish(p, x, iterations, history, rn)

    def _finish(
        self, p: Problem, x: Array, iterations: int, history: list[float], rn: np.ndarray
    ) -> SolverResult:
        converged = bool(np.all(rn <= p.thresh))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(p.bnorm > 0, rn / np.where(p.bnorm > 0, p.bnorm, 1.0), rn * np.inf)
        ratio = np.where(rn == 0, 0.0, ratio)
        result = SolverResult(
            x=p.restore(x),
            converged=converged,
            iterations=iterations,
            residual_norm=hmax(rn),
            rtol_reached=hmax(ratio),
            rtol=float(self.rtol),
            atol=float(self.atol),
            method=type(self).__name__,
            history=history,
        )
        if not converged and self.raise_on_failure:
            raise ConvergenceError(self._failure_message(p, result), result)
        return result

    def _failure_message(self, p: Problem, res: SolverResult) -> str:
        name = type(self).__name__
        text = (
            f"{name} did not converge in {res.iterations} iterations: residual "
            f"‖b − A x‖ = {res.residual_norm:.3g} (relative {res.rtol_reached:.3g}), requested "
            f"≤ max(rtol·‖b‖, atol) with rtol={self.rtol:g}, atol={self.atol:g}"
        )
        if not np.isfinite(res.residual_norm):
            text += "; the residual is not finite: A, M or x0 produced inf or NaN"
        eps = float(p.xp.finfo(p.rdtype).eps)
        if self.rtol < 100 * eps:
            dt = getattr(p.dtype, "name", None) or str(p.dtype).split(".")[-1]
            text += (
                f"; rtol={self.rtol:g} is near the precision of {dt} (eps {eps:.1e}): "
                f"loosen rtol or solve in double precision"
            )
        return (
            f"{text}. Raise maxiter (now {p.maxiter}), loosen rtol, or use a better "
            f"preconditioner M{self._failure_hint()}; raise_on_failure=False returns the "
            f"result instead (this error's .result holds the iterate reached)"
        )


def _is_matrix_like(obj: Any) -> bool:
    return hasattr(obj, "shape") and hasattr(obj, "__matmul__")


@dataclass
class Problem:
    """A validated system ``A X = B`` with ``B`` of shape ``(N, k)``, ready to iterate."""

    method: str
    xp: Namespace
    dtype: Any  # the working dtype
    rdtype: Any  # its real counterpart (norms, CG/MINRES coefficients)
    device: Any
    n: int
    k: int
    vector: bool  # b was (N,)
    A: LinearMap  # (N, k) -> (N, k)
    M: LinearMap | None  # (N, k) -> (N, k), the approximate inverse, or None
    b: Array  # (N, k), working dtype
    bnorm: np.ndarray  # (k,) host float64: ‖b_j‖
    thresh: np.ndarray  # (k,) host float64: max(rtol·‖b_j‖, atol)
    maxiter: int
    callback: Callback | None

    # ---- construction -------------------------------------------------------
    @classmethod
    def setup(
        cls, solver: IterativeSolver, A: Any, b: Any, x0: Any
    ) -> tuple[Problem, Array, Array]:
        """Validate ``solve``'s arguments; return the problem, ``x`` and ``r = b − A x``."""
        name = type(solver).__name__
        where = f"{name}.solve"
        shape = getattr(A, "shape", None)
        if shape is None or not hasattr(A, "__matmul__"):
            raise TypeError(
                f"{where}: A must be an operator, an array or an object with shape and @, "
                f"got {type(A).__name__}"
            )
        shape = tuple(int(s) for s in shape)
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(
                f"{where}: A has shape {shape}; iterative solvers need a square A (N, N); "
                f"use kronblock.lstsq for a least-squares solution"
            )
        n = shape[0]
        xp = namespace_of(b, where=where)
        if getattr(b, "ndim", 0) not in (1, 2):
            raise ValueError(
                f"{where}: b must have shape ({n},) or ({n}, k), got shape "
                f"{tuple(getattr(b, 'shape', ()))}"
            )
        if b.shape[0] != n:
            raise ValueError(
                f"{where}: shape mismatch: A has shape {shape} but b has shape "
                f"{tuple(b.shape)}; expected ({n},) or ({n}, k)"
            )
        if not is_eager(b):
            raise TypeError(
                f"{where}: iterative solvers read residual norms to decide when to stop, "
                f"which needs concrete values; b is a lazy {type(b).__name__}, compute it first"
            )
        vector = b.ndim == 1
        k = 1 if vector else int(b.shape[1])
        device = device_of(b)

        a_map, a_dtype = _linear_map(A, "A", where, xp, n, vector)
        dtype = as_float_dtype(xp, b.dtype)
        if a_dtype is not None:
            try:
                dtype = as_float_dtype(xp, promote(xp, a_dtype, dtype))
            except (TypeError, ValueError):
                pass  # a foreign dtype (an object with shape and @): b's decides
        rdtype = real_dtype(xp, dtype)
        m_map = None
        if solver.M is not None:
            m_map = _linear_map(solver.M, "M", where, xp, n, vector)[0]

        # b as columns, in the working dtype: (N, k)
        b2 = b if b.dtype == dtype else xp.astype(b, dtype)
        b2 = b2[:, None] if vector else b2
        if x0 is None:
            x = xp.zeros((n, k), dtype=dtype, device=device)
        else:
            namespace_of(b, x0, where=where)
            if tuple(getattr(x0, "shape", ())) != tuple(b.shape):
                raise ValueError(
                    f"{where}: x0 has shape {tuple(getattr(x0, 'shape', ()))} but b has shape "
                    f"{tuple(b.shape)}; x0 must have b's shape"
                )
            x = xp.astype(x0, dtype, copy=True)  # a copy: the caller's x0 is never aliased
            x = x[:, None] if vector else x

        maxiter = solver.maxiter if solver.maxiter is not None else solver._default_maxiter(n)
        p = cls(
            method=name,
            xp=xp,
            dtype=dtype,
            rdtype=rdtype,
            device=device,
            n=n,
            k=k,
            vector=vector,
            A=a_map,
            M=m_map,
            b=b2,
            bnorm=np.zeros(0),
            thresh=np.zeros(0),
            maxiter=int(maxiter),
            callback=solver.callback,
        )
        p.bnorm = p.host(p.norms(b2)).astype(np.float64)  # (k,)
        if not np.isfinite(p.bnorm).all():
            cols = np.flatnonzero(~np.isfinite(p.bnorm)).tolist()
            where_b = "b" if vector else f"b (column {', '.join(map(str, cols[:5]))})"
            raise ValueError(f"{where}: {where_b} has non-finite entries (inf or NaN)")
        p.thresh = np.maximum(float(solver.rtol) * p.bnorm, float(solver.atol))  # (k,)
        zero_cols = p.bnorm == 0
        if x0 is None:
            r = b2
        else:
            if zero_cols.any():  # b_j = 0 has the solution x_j = 0, whatever x0 says
                x = xp.where(p.to_device(~zero_cols, bool), x, xp.zeros_like(x))
            r = p.residual(x)
        return p, x, r

    # ---- helpers used by the methods ------------------------------------------
    def apply_M(self, r: Array) -> Array:
        """``M r`` (the identity without a preconditioner): ``(N, k) -> (N, k)``."""
        return r if self.M is None else self.M(r)

    def residual(self, x: Array) -> Array:
        """``b − A x``: ``(N, k)``."""
        return self.b - self.A(x)

    def norms(self, v: Array) -> Array:
        """Column 2-norms ``‖v_j‖``: ``(N, k) -> (k,)``, real dtype."""
        return self.xp.linalg.vector_norm(v, axis=0)

    def dot(self, u: Array, v: Array) -> Array:
        """Column inner products ``u_jᴴ v_j`` (conjugating ``u``): ``(N, k), (N, k) -> (k,)``."""
        xp = self.xp
        if is_complex_dtype(xp, u.dtype):
            u = xp.conj(u)
        return xp.sum(u * v, axis=0)

    def rdot(self, u: Array, v: Array) -> Array:
        """Real part of :meth:`dot` (for Hermitian forms, which are real): ``(k,)``."""
        d = self.dot(u, v)
        return self.xp.real(d) if is_complex_dtype(self.xp, d.dtype) else d

    def host(self, a: Array) -> np.ndarray:
        """A host NumPy copy (these are ``(k,)``-sized scalars, never vectors of length N)."""
        return np.asarray(to_numpy(a))

    def to_device(self, a: np.ndarray, dtype: Any) -> Array:
        """Host array ``a`` in ``b``'s library and on its device, in ``dtype`` (or ``bool``)."""
        xp = self.xp
        if dtype is bool:
            return from_numpy(np.asarray(a, dtype=bool), self.b)
        out = from_numpy(np.asarray(a), self.b)
        return out if out.dtype == dtype else xp.astype(out, dtype)

    def restore(self, x: Array) -> Array:
        """``(N, k)`` back to ``b``'s shape."""
        return x[:, 0] if self.vector else x

    def notify(self, iteration: int, x: Array | None, residual_norm: float) -> None:
        if self.callback is not None:
            self.callback(iteration, None if x is None else self.restore(x), residual_norm)


def _linear_map(
    obj: Any, role: str, where: str, xp: Namespace, n: int, vector: bool
) -> tuple[LinearMap, Any]:
    """``obj`` as a map on ``(N, k)`` blocks, and its dtype (``None`` if unknown/neutral)."""
    from ..operators._dense import aslinearoperator
    from ..operators._sparse import is_scipy_sparse

    op: AbstractLinearOperator | None = None
    if isinstance(obj, AbstractLinearOperator):
        op = obj
    elif is_scipy_sparse(obj):
        op = aslinearoperator(obj)
    else:
        try:
            namespace_of(obj)
        except TypeError:
            pass
        else:
            op = aslinearoperator(obj)
    if op is not None:
        if op.shape != (n, n):
            raise ValueError(
                f"{where}: shape mismatch: {role} has shape {op.shape}; expected ({n}, {n})"
            )
        if not op.is_neutral and library_name(op.xp) != library_name(xp):
            raise TypeError(
                f"{where}: {role} holds {library_name(op.xp)} arrays but b is a "
                f"{library_name(xp)} array; convert one of them first"
            )

        def apply_op(v: Array) -> Array:
            return op.matmat(v)  # (N, k)

        dtype = None if op.is_neutral else op.dtype
        return _cast_to(apply_op, role, where, xp), dtype

    if _is_matrix_like(obj):
        shape = tuple(int(s) for s in obj.shape)
        if shape != (n, n):
            raise ValueError(
                f"{where}: shape mismatch: {role} has shape {shape}; expected ({n}, {n})"
            )

        def apply_matmul(v: Array) -> Array:
            return _checked(obj @ v, v, f"{role} @ r", where, xp)

        return _cast_to(apply_matmul, role, where, xp), getattr(obj, "dtype", None)

    if role == "M" and callable(obj):

        def apply_call(v: Array) -> Array:
            if vector:  # M sees b's shape: (N,) for a vector b
                return _checked(obj(v[:, 0]), v[:, 0], "M(r)", where, xp)[:, None]
            return _checked(obj(v), v, "M(r)", where, xp)

        return _cast_to(apply_call, role, where, xp), None

    raise TypeError(
        f"{where}: {role} must be a kronblock operator, an array or an object with shape "
        f"and @{', or a callable M(r)' if role == 'M' else ''}; got {type(obj).__name__}"
    )


def _checked(y: Any, v: Array, what: str, where: str, xp: Namespace) -> Array:
    """``y``, checked to be an array of ``v``'s library and shape."""
    namespace_of(y, v, where=f"{where}: {what}")
    if tuple(getattr(y, "shape", ())) != tuple(v.shape):
        raise ValueError(
            f"{where}: {what} returned shape {tuple(getattr(y, 'shape', ()))} for r of shape "
            f"{tuple(v.shape)}; it must keep r's shape"
        )
    return y


def _cast_to(f: LinearMap, role: str, where: str, xp: Namespace) -> LinearMap:
    """``f`` with its output cast to its input's (the working) dtype."""

    def g(v: Array) -> Array:
        y = f(v)
        if y.dtype == v.dtype:
            return y
        if is_complex_dtype(xp, y.dtype) and not is_complex_dtype(xp, v.dtype):
            raise TypeError(
                f"{where}: {role} produced complex values for a real system; "
                f"use a real {role} or a complex b"
            )
        return xp.astype(y, v.dtype)

    return g


def run_short_recurrence(
    p: Problem,
    x: Array,
    r: Array,
    start: Callable[[Array, Array, np.ndarray, np.ndarray], Any],
    step: Callable[[Any, Array, Array, Array, np.ndarray, int], tuple[Array, Array, np.ndarray]],
) -> tuple[Array, int, list[float], np.ndarray | None]:
    """The loop of CG and MINRES, over the columns at once.

    ``start(x, r, rn, done)`` builds the recurrence's state from an exact
    residual ``r``; ``step(state, x, r, act, active, iteration)`` does one
    iteration and returns the new ``x``, ``r`` (both ``(N, k)``) and the host
    residual norms ``(k,)``, leaving unchanged the columns where ``act`` (a
    ``(k,)`` bool on the device; ``active``, the same on the host) is false.
    A column stops (``done``) when its residual meets its threshold.  When all
    are done, the true residual ``b − A x`` is recomputed; columns it does not
    confirm restart the recurrence from it (a restart costs one product with
    ``A`` and is not counted as an iteration).
    """
    rn = p.host(p.norms(r))  # (k,) norms of an exact residual
    history = [hmax(rn)]
    done = rn <= p.thresh  # (k,) host bool
    r_is_true = True
    state = None
    it = 0
    while True:
        if done.all():
            if r_is_true or it >= p.maxiter:
                break
            r = p.residual(x)  # the recurrence says converged: confirm on b − A x
            rn = p.host(p.norms(r))
            r_is_true = True
            done = rn <= p.thresh
            if done.all():
                break
            state = None
        if it >= p.maxiter or not np.isfinite(rn).all():
            break
        if state is None:
            state = start(x, r, rn, done)
        it += 1
        x, r, rn = step(state, x, r, p.to_device(~done, bool), ~done, it)
        r_is_true = False
        done = done | (rn <= p.thresh)
        history.append(hmax(rn))
        p.notify(it, x, history[-1])
    return x, it, history, (rn if r_is_true else None)


def check_preconditioner(p: Problem, rmr: np.ndarray, bad: np.ndarray) -> None:
    """``LinAlgError`` naming the first column where ``bad``: there ``rᴴ M r`` was ≤ 0.

    ``rmr`` ``(k,)`` holds ``rᴴ M r`` for each column's residual; ``bad`` flags the
    columns whose nonzero ``r`` gave a non-positive value, which proves ``M``
    not positive definite.
    """
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise LinAlgError(
            f"{p.method}.solve: the preconditioner M is not positive definite: "
            f"rᴴ M r = {float(rmr[j]):.3g} ≤ 0 for a nonzero vector r (column {j} of b); "
            f"{p.method} needs a Hermitian positive definite M (an approximate inverse of A)"
        )
