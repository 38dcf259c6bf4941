"""Conformance checks: one operator against its NumPy dense reference.

Every check takes the operator, the dense reference (a NumPy array, ideally
float64/complex128 built independently of kronblock) and a relative
tolerance, and raises ``AssertionError`` naming what differed.  Comparisons
are norm-wise: ``max|a − e| ≤ rtol · max(max|e|, 1)``.  Eigenvectors are
compared through reconstruction, eigenvalues after sorting.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._array_api import library_name, namespace_of, to_numpy
from .._errors import DensificationWarning, LinAlgError
from .._operator import AbstractLinearOperator

__all__ = [
    "assert_close",
    "check_cholesky",
    "check_dense",
    "check_determinant",
    "check_eig",
    "check_eigh",
    "check_fast_path_equals_fallback",
    "check_matmul",
    "check_operator",
    "check_reductions",
    "check_solve",
    "check_svd",
    "default_rtol",
]


def _np(a: Any) -> np.ndarray:
    return np.asarray(to_numpy(a)) if not isinstance(a, (int, float, complex)) else np.asarray(a)


def _to_op_lib(op: AbstractLinearOperator, a: np.ndarray) -> Any:
    xp = op.xp
    return xp.asarray(np.ascontiguousarray(a), device=op.device)


def _np_dtype(op: AbstractLinearOperator) -> np.dtype:
    name = getattr(op.dtype, "name", None) or str(op.dtype).split(".")[-1]
    try:
        return np.dtype(name)
    except TypeError:
        return np.dtype(np.float64)


def _eps(op: AbstractLinearOperator) -> float:
    dt = _np_dtype(op)
    return float(np.finfo(dt if dt.kind in "fc" else np.float64).eps)


def default_rtol(dense: np.ndarray, dtype: Any = np.float64, factor: float = 50.0) -> float:
    """``factor · cond(dense) · eps(dtype)``, with ``cond`` capped at ``1/eps`` of float64."""
    eps = float(np.finfo(np.dtype(dtype) if np.dtype(dtype).kind in "fc" else np.float64).eps)
    if dense.size == 0:
        return factor * eps
    s = np.linalg.svd(dense, compute_uv=False)
    cond = float(s[0] / s[-1]) if s[-1] > 0 else 1.0 / np.finfo(np.float64).eps
    return factor * min(cond, 1e12) * eps


def assert_close(actual: Any, expected: Any, rtol: float, what: str = "") -> None:
    """Norm-wise closeness: ``max|a − e| ≤ rtol · max(max|e|, 1)``; shapes must match."""
    a = _np(actual).astype(np.complex128)
    e = np.asarray(expected).astype(np.complex128)
    if a.shape != e.shape:
        raise AssertionError(f"{what}: shape {a.shape} != expected {e.shape}")
    if a.size == 0:
        return
    same = a == e  # equal entries, infinities included, agree exactly
    if np.any(np.isinf(e) & ~same):
        raise AssertionError(f"{what}: infinite reference entries not matched")
    finite = np.abs(np.where(np.isfinite(e), e, 0))
    scale = max(float(np.max(finite)), 1.0)
    err = float(np.max(np.where(same, 0, np.abs(a - e))))  # NaN anywhere else fails below
    if not err <= rtol * scale:
        raise AssertionError(f"{what}: max error {err:.3g} > {rtol * scale:.3g}")


def _check_library(result: Any, op: AbstractLinearOperator, what: str) -> None:
    if op.is_neutral:
        return
    got = library_name(namespace_of(result))
    if got != library_name(op.xp):
        raise AssertionError(f"{what}: result is a {got} array, operator is {library_name(op.xp)}")


def _rand(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    x = rng.standard_normal(shape)
    if dtype.kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def check_matmul(op: AbstractLinearOperator, dense: np.ndarray, rtol: float, seed: int = 0) -> None:
    """``A @ x`` for (N,), (N, K), (*batch, N, K); ``x @ A``; the adjoint dot test; dtypes."""
    rng = np.random.default_rng(seed)
    m, n = dense.shape
    if op.shape != (m, n):
        raise AssertionError(f"shape {op.shape} != reference {dense.shape}")
    dt = _np_dtype(op)
    for shape in [(n,), (n, 3), (2, n, 3)]:
        x = _rand(rng, shape, dt)
        y = op @ _to_op_lib(op, x)
        ref = np.einsum(
            "ij,...jk->...ik", dense, x.reshape((-1, n, 3) if len(shape) == 3 else (n, -1))
        )
        assert_close(y, ref.reshape(_np(y).shape), rtol, f"matmul {shape}")
        if str(y.dtype) != str(op.dtype) and not op.is_neutral:
            raise AssertionError(f"matmul: dtype {y.dtype} != operator dtype {op.dtype}")
        _check_library(y, op, "matmul")
    for shape in [(m,), (4, m)]:
        x = _rand(rng, shape, dt)
        assert_close(op.rmatmul(_to_op_lib(op, x)), x @ dense, rtol, f"rmatmul {shape}")
    # <A x, y> = <x, Aᴴ y>
    x, y = _rand(rng, (n,), dt), _rand(rng, (m,), dt)
    lhs = np.vdot(y, _np(op @ _to_op_lib(op, x)))
    rhs = np.vdot(_np(op.H @ _to_op_lib(op, y)), x)
    bound = rtol * max(
        1.0, float(np.linalg.norm(x) * np.linalg.norm(y) * np.abs(dense).max(initial=0))
    )
    if not abs(lhs - rhs) <= bound:
        raise AssertionError(
            f"adjoint dot test: |<Ax,y> - <x,Aᴴy>| = {abs(lhs - rhs):.3g} > {bound:.3g}"
        )


def check_dense(op: AbstractLinearOperator, dense: np.ndarray, rtol: float, seed: int = 0) -> None:
    """``to_dense``, ``.T``, ``.H`` and entry access ``A[i, j]``, ``A[i, :]``, ``A[:, j]``."""
    assert_close(op.to_dense(), dense, rtol, "to_dense")
    assert_close(op.T.to_dense(), dense.T, rtol, "T")
    assert_close(op.H.to_dense(), dense.conj().T, rtol, "H")
    m, n = dense.shape
    if m == 0 or n == 0:
        return
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(0, m, 7), rng.integers(0, n, 7)
    assert_close(op[rows, cols], dense[rows, cols], rtol, "entries A[rows, cols]")
    assert_close(op[int(rows[0]), :], dense[rows[0], :], rtol, "row A[i, :]")
    assert_close(op[:, int(cols[0])], dense[:, cols[0]], rtol, "column A[:, j]")
    assert_close(op[int(rows[1]), int(cols[1])], dense[rows[1], cols[1]], rtol, "entry A[i, j]")
    assert_close(op[-1, -n], dense[-1, -n], rtol, "entry A[-1, -n]")
    assert_close(op[rows - m, :], dense[rows - m, :], rtol, "rows by negative indices")


def check_solve(op: AbstractLinearOperator, dense: np.ndarray, rtol: float, seed: int = 0) -> None:
    """``solve`` ((N,) and (N, K)), ``inv``, ``factorize`` (plain and adjoint), ``matrix_power``."""
    from .. import linalg as la

    rng = np.random.default_rng(seed)
    n = dense.shape[0]
    b = _rand(rng, (n, 2), np.result_type(_np_dtype(op), np.float32))
    x = la.solve(op, _to_op_lib(op, b))
    _check_library(x, op, "solve")
    assert_close(x, np.linalg.solve(dense, b), rtol, "solve (N, K)")
    assert_close(
        la.solve(op, _to_op_lib(op, b[:, 0])), np.linalg.solve(dense, b[:, 0]), rtol, "solve (N,)"
    )
    assert_close(la.inv(op).to_dense(), np.linalg.inv(dense), rtol, "inv")
    f = la.factorize(op)
    assert_close(f.solve(_to_op_lib(op, b)), np.linalg.solve(dense, b), rtol, "factorize().solve")
    assert_close(
        f.solve(_to_op_lib(op, b), adjoint=True),
        np.linalg.solve(dense.conj().T, b),
        rtol,
        "factorize().solve(adjoint=True)",
    )
    assert_close(la.matrix_power(op, 2).to_dense(), dense @ dense, 4 * rtol, "matrix_power 2")
    assert_close(la.matrix_power(op, -1).to_dense(), np.linalg.inv(dense), rtol, "matrix_power -1")


def check_determinant(op: AbstractLinearOperator, dense: np.ndarray, rtol: float) -> None:
    """``slogdet``, ``det``, ``logdet`` (and its error for a negative determinant), factorize's."""
    from .. import linalg as la

    n = dense.shape[0]
    ref_sign, ref_logabs = np.linalg.slogdet(dense)
    tol = rtol * max(1.0, abs(ref_logabs)) * max(n, 1)
    for what, (sign, logabs) in (
        ("slogdet", la.slogdet(op)),
        ("factorize", la.factorize(op).slogdet()),
    ):
        if abs(complex(_np(sign)) - ref_sign) > 1e-3:
            raise AssertionError(f"{what}: sign {complex(_np(sign))} != {ref_sign}")
        if abs(float(_np(logabs)) - ref_logabs) > tol:
            raise AssertionError(f"{what}: log|det| {float(_np(logabs))} != {ref_logabs}")
    with np.errstate(over="ignore"):  # huge determinants overflow, as NumPy's det does
        ref_det = ref_sign * np.exp(ref_logabs)
    if abs(ref_det) < np.finfo(_np_dtype(op)).max / 10:  # else it overflows, as NumPy's does
        det = complex(_np(la.det(op)))
        if abs(det - ref_det) > rtol * max(n, 1) * max(abs(ref_det), 1e-300):
            raise AssertionError(f"det: {det} != {ref_det}")
    if _np_dtype(op).kind != "c" and ref_sign < 0:
        try:
            la.logdet(op)
        except LinAlgError as exc:
            if "slogdet" not in str(exc):
                raise AssertionError(f"logdet error does not name slogdet: {exc}") from exc
        else:
            raise AssertionError("logdet of a negative determinant did not raise LinAlgError")
    else:
        ld = complex(_np(la.logdet(op)))
        ref = np.log(complex(ref_sign)) + ref_logabs
        if (
            abs(np.exp(1j * ld.imag) - np.exp(1j * ref.imag)) > 1e-3
            or abs(ld.real - ref.real) > tol
        ):
            raise AssertionError(f"logdet: {ld} != {ref}")


def check_eigh(op: AbstractLinearOperator, dense: np.ndarray, rtol: float) -> None:
    """``eigh`` by reconstruction ``V diag(w) Vᴴ`` and ``VᴴV = I``; ``eigvalsh`` ascending."""
    from .. import linalg as la

    w, v = la.eigh(op)
    _check_library(w, op, "eigh")
    if np.iscomplexobj(_np(w)):
        raise AssertionError(f"eigh: eigenvalues have complex dtype {w.dtype}")
    vd, wn = _np(v.to_dense()), _np(w)
    assert_close((vd * wn) @ vd.conj().T, dense, rtol, "eigh: V diag(w) Vᴴ")
    assert_close(vd.conj().T @ vd, np.eye(dense.shape[0]), rtol, "eigh: VᴴV = I")
    ref = np.linalg.eigvalsh(dense)
    assert_close(np.sort(wn), ref, rtol, "eigh values (sorted)")
    wh = _np(la.eigvalsh(op))
    assert_close(wh, ref, rtol, "eigvalsh")
    if not np.all(np.diff(wh) >= 0):
        raise AssertionError("eigvalsh is not ascending")


def check_eig(op: AbstractLinearOperator, dense: np.ndarray, rtol: float) -> None:
    """``eigvals`` (matched to the reference's by an assignment) and ``A V = V diag(w)``.

    Each eigenvalue may differ from the reference by ``rtol·max(max|λ|, 1)``
    times its condition number ``κᵢ = ‖yᵢ‖‖xᵢ‖/|yᵢᴴxᵢ|`` (left and right
    eigenvectors of the reference): the error any backward-stable algorithm
    can make (``κᵢ = 1`` for normal matrices; a nearly defective pair has
    ``κᵢ`` in the millions, and two correct libraries then differ by that much).
    """
    import scipy.linalg
    from scipy.optimize import linear_sum_assignment

    from .. import linalg as la

    ref, left, right = scipy.linalg.eig(dense, left=True, right=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = (
            np.linalg.norm(left, axis=0)
            * np.linalg.norm(right, axis=0)
            / np.abs(np.sum(left.conj() * right, axis=0))
        )
    kappa = np.where(np.isfinite(kappa), np.maximum(kappa, 1.0), np.inf)
    w = _np(la.eigvals(op))
    if not np.iscomplexobj(w):
        raise AssertionError("eigvals: expected a complex result")
    if w.shape != ref.shape:
        raise AssertionError(f"eigvals: shape {w.shape} != {ref.shape}")
    cost = np.abs(w[:, None] - ref[None, :])
    r, c = linear_sum_assignment(cost)
    if w.size:
        scale = max(float(np.max(np.abs(ref))), 1.0)
        err, allowed = np.abs(w[r] - ref[c]), rtol * scale * kappa[c]
        worst = int(np.argmax(err / allowed))
        if not err[worst] <= allowed[worst]:
            raise AssertionError(
                f"eigvals (matched): error {err[worst]:.3g} > {allowed[worst]:.3g} "
                f"(eigenvalue {ref[c][worst]:.6g}, condition {kappa[c][worst]:.3g})"
            )
    w2, v = la.eig(op)
    vd = _np(v.to_dense())
    assert_close(dense @ vd, vd * _np(w2), rtol, "eig: A V = V diag(w)")


def check_cholesky(
    op: AbstractLinearOperator, dense: np.ndarray, rtol: float, seed: int = 0
) -> None:
    """``cholesky`` (lower and upper) equals NumPy's; ``cho_factor`` solves and gives the logdet."""
    from .. import linalg as la

    ld = _np(la.cholesky(op).to_dense())
    if not np.allclose(np.triu(ld, 1), 0):
        raise AssertionError("cholesky factor is not lower triangular")
    ref = np.linalg.cholesky(dense)
    assert_close(ld, ref, rtol, "cholesky")
    assert_close(la.cholesky(op, upper=True).to_dense(), ref.conj().T, rtol, "cholesky upper")
    f = la.cho_factor(op)
    b = _rand(np.random.default_rng(seed), (dense.shape[0],), _np_dtype(op))
    assert_close(f.solve(_to_op_lib(op, b)), np.linalg.solve(dense, b), rtol, "cho_factor solve")
    ref_ld = np.linalg.slogdet(dense)[1]
    if abs(float(_np(f.logdet()).real) - ref_ld) > rtol * max(dense.shape[0], 1) * max(
        1.0, abs(ref_ld)
    ):
        raise AssertionError("cho_factor logdet")


def check_svd(op: AbstractLinearOperator, dense: np.ndarray, rtol: float, seed: int = 0) -> None:
    """``svd`` by reconstruction, ``svdvals``, ``pinv`` and ``lstsq`` (x, residuals, rank, s)."""
    from .. import linalg as la

    u, s, vh = la.svd(op)
    ud, sn, vhd = _np(u.to_dense()), _np(s), _np(vh.to_dense())
    assert_close((ud * sn) @ vhd, dense, rtol, "svd: U diag(s) Vh")
    assert_close(ud.conj().T @ ud, np.eye(ud.shape[1]), rtol, "svd: UᴴU = I")
    assert_close(vhd @ vhd.conj().T, np.eye(vhd.shape[0]), rtol, "svd: Vh Vhᴴ = I")
    assert_close(la.svdvals(op), np.linalg.svd(dense, compute_uv=False), rtol, "svdvals")
    assert_close(la.pinv(op).to_dense(), _numpy_pinv(dense), 4 * rtol, "pinv")
    b = _rand(
        np.random.default_rng(seed), (dense.shape[0], 2), np.result_type(_np_dtype(op), np.float32)
    )
    x, res, rank, sv = la.lstsq(op, _to_op_lib(op, b))
    rx, rres, rrank, rs = np.linalg.lstsq(dense, b)
    if rank != rrank:
        raise AssertionError(f"lstsq: rank {rank} != NumPy's {rrank}")
    assert_close(x, rx, 4 * rtol, "lstsq x")
    assert_close(sv, rs, rtol, "lstsq s")
    if _np(res).shape != rres.shape:
        raise AssertionError(f"lstsq residuals: shape {_np(res).shape} != {rres.shape}")
    if rres.size:
        assert_close(res, rres, 4 * rtol * dense.shape[0], "lstsq residuals")


def _numpy_pinv(a: np.ndarray) -> np.ndarray:
    # NumPy's pinv with the array-API cut-off max(M, N)·eps (``rtol=None``)
    pinv: Any = np.linalg.pinv
    return np.asarray(pinv(a, rtol=None))


def check_reductions(op: AbstractLinearOperator, dense: np.ndarray, rtol: float) -> None:
    """``diagonal``, ``trace`` and every matrix ``norm``."""
    from .. import linalg as la

    assert_close(la.diagonal(op), np.diagonal(dense), rtol, "diagonal")
    assert_close(la.trace(op), np.asarray(np.trace(dense)), rtol, "trace")
    for ord in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        if dense.size == 0:
            break
        val = float(_np(la.norm(op, ord)))
        ref = float(np.linalg.norm(dense, ord))
        if abs(val - ref) > rtol * max(ref, 1.0):
            raise AssertionError(f"norm(ord={ord}): {val} != {ref}")


def check_fast_path_equals_fallback(op: AbstractLinearOperator, rtol: float) -> list[str]:
    """Each structured rule equals the generic dense fallback (which must warn).

    Returns the names of the operations that have a structured rule for
    ``type(op)`` and were compared.
    """
    from .. import linalg as la

    calls: dict[str, tuple[Any, Any]] = {
        # |det|^(1/N): finite, well scaled, and ≈ 0 for a singular operator either way
        "slogdet": (la.slogdet, lambda f: np.exp(_np(f(op)[1]) / max(op.shape[0], 1))),
        "eig": (la.eig, lambda f: np.sort_complex(_np(f(op)[0]))),
        "svd": (la.svd, lambda f: _padded_sorted(_np(f(op)[1]), min(op.shape))),
        "diagonal": (la.diagonal, lambda f: f(op)),
        "norm": (la.norm, lambda f: f(op, "fro")),
        "factorize": (la.factorize, lambda f: f(op, "general").slogdet()[1]),
    }
    square = op.shape[0] == op.shape[1]
    done = []
    for name, (fn, call) in calls.items():
        if not square and name in ("slogdet", "eig", "factorize"):
            continue
        fast = fn.dispatch(type(op))
        generic = fn.dispatch(AbstractLinearOperator)
        if fast is generic:
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DensificationWarning)
            try:
                slow = call(generic)
            except LinAlgError:  # singular: the fast path must say so too
                slow = None
        if not any(issubclass(w.category, DensificationWarning) for w in caught):
            raise AssertionError(f"{name}: the generic fallback did not emit DensificationWarning")
        with warnings.catch_warnings():
            # a rule may defer to the fallback for some inputs (said by its warning)
            warnings.simplefilter("ignore", DensificationWarning)
            try:
                quick = call(fast)
            except LinAlgError as exc:
                # singular by structure; rounding may hide that from the dense LU
                if slow is None or np.linalg.cond(_np(op.to_dense())) > 0.01 / _eps(op):
                    done.append(name)
                    continue
                raise AssertionError(f"{name}: the fast path raised, the fallback did not") from exc
        if slow is None:
            raise AssertionError(f"{name}: the fallback found a singular matrix, the fast path not")
        if name == "slogdet" and float(quick) == 0.0:
            # structurally singular: rounding leaves the dense |det|^(1/N) near eps^(1/N)·‖A‖
            n = max(op.shape[0], 1)
            bound = 10 * (n * _eps(op)) ** (1 / n) * float(np.linalg.norm(_np(op.to_dense()), 2))
            if not float(slow) <= bound:
                raise AssertionError(f"slogdet: singular by structure, dense |det|^(1/N) = {slow}")
            done.append(name)
            continue
        if name == "eig" and np.linalg.cond(_np(op.to_dense())) > 0.01 / _eps(op):
            # repeated zero eigenvalues of a singular matrix are ill-conditioned (eps^(1/k)):
            # no tolerance tells a right answer from a wrong one there
            done.append(name)
            continue
        assert_close(quick, _np(slow), rtol, f"{name}: fast path vs fallback")
        done.append(name)
    return done


def _padded_sorted(s: np.ndarray, k: int) -> np.ndarray:
    # a compact SVD may hold fewer than min(M, N) values: the rest are zeros
    return np.sort(np.concatenate([s, np.zeros(k - s.shape[0], dtype=s.dtype)]))


def check_operator(
    op: AbstractLinearOperator,
    dense: np.ndarray,
    *,
    rtol: float | None = None,
    kind: str | None = None,
    seed: int = 0,
) -> list[str]:
    """Run every check that applies to ``op`` against its dense reference.

    Parameters
    ----------
    op : operator
    dense : NumPy array
        The reference, built independently of kronblock (float64 preferred).
    rtol : float, optional
        Default: :func:`default_rtol` from the reference's condition number
        and the operator's dtype.
    kind : {"general", "hermitian", "spd", "rect"}, optional
        What ``op`` is; inferred from ``dense`` when left out (``"rect"``
        also covers singular square operators: only products, reductions and
        the SVD family are checked).
    seed : int
        Seed of the random right-hand sides.

    Returns
    -------
    list of str
        The names of the checks that ran (each passed).
    """
    dense = np.asarray(dense)
    if rtol is None:
        rtol = default_rtol(dense, _np_dtype(op))
    if kind is None:
        kind = _infer_kind(dense)
    ran = ["matmul", "dense"]
    check_matmul(op, dense, rtol, seed)
    check_dense(op, dense, rtol, seed)
    check_reductions(op, dense, rtol)
    ran.append("reductions")
    check_svd(op, dense, rtol, seed)
    ran.append("svd")
    if kind != "rect":
        check_solve(op, dense, rtol, seed)
        check_determinant(op, dense, rtol)
        check_eig(op, dense, 4 * rtol)
        ran += ["solve", "determinant", "eig"]
    if kind in ("hermitian", "spd"):
        check_eigh(op, dense, rtol)
        ran.append("eigh")
    if kind == "spd":
        check_cholesky(op, dense, rtol, seed)
        ran.append("cholesky")
    return ran


def _infer_kind(dense: np.ndarray) -> str:
    m, n = dense.shape
    if m != n or n == 0:
        return "rect"
    s = np.linalg.svd(dense, compute_uv=False)
    if s[-1] <= s[0] * n * np.finfo(np.float64).eps * 1e3:
        return "rect"
    if np.allclose(dense, dense.conj().T, rtol=1e-10, atol=1e-12 * s[0]):
        return "spd" if np.linalg.eigvalsh(dense)[0] > 0 else "hermitian"
    return "general"
