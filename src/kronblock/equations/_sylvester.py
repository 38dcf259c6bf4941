"""Sylvester and Lyapunov equations: ``AX + XB = C``, ``AX + XAᴴ = Q``.

By the vec identity (row-major, :mod:`kronblock._vec`),
``AX + XB = C`` is ``(A ⊗ I + I ⊗ Bᵀ) X.ravel() = C.ravel()``: a Kronecker-sum
system of order ``mn``, which the seeds solve densely in ``O(m³n³)``.  Here it
costs ``O(m³ + n³)``:

- ``"schur"`` (Bartels–Stewart): ``A = U T Uᴴ``, ``B = V S Vᴴ`` (real Schur
  forms for real data, computed side by side on two cores,
  :mod:`kronblock.linalg._schur`), ``T Y + Y S = Uᴴ C V`` by the recursive
  blocked solver :func:`kronblock.linalg._sylvester.triangular_sylvester`
  (GEMM updates, ``trsyl`` on 64×64 blocks), ``X = U Y Vᴴ``.  Safe for
  non-normal matrices: no eigenvector basis is used.
- ``"eigh"``: Hermitian ``A = Q Λ Qᴴ``, ``B = P M Pᴴ``:
  ``X = Q [(Qᴴ C P) / (λᵢ + μⱼ)] Pᴴ``, four GEMMs after two eigendecompositions.

Singular equations (``A`` and ``−B`` share an eigenvalue, so the Kronecker sum
is singular) raise :class:`~kronblock.LinAlgError` naming the eigenvalue pair,
where ``scipy.linalg.solve_sylvester`` returns a wrong answer silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._array_api import Array, from_numpy, namespace_of, to_numpy
from .._errors import LinAlgError
from ..linalg._schur import capped_pool, eigh, schur, schur_pair
from ..linalg._sylvester import quasi_triangular_eigvals, triangular_sylvester
from ..operators._dense_rules import is_hermitian

__all__ = [
    "solve_continuous_lyapunov",
    "solve_sylvester",
]

_METHODS = ("auto", "schur", "eigh")


# ---- input handling, shared by every equation ------------------------------------------
def host_arrays(where: str, *arrays: Any) -> tuple[list[np.ndarray], Any, np.dtype]:
    """Host NumPy views of the inputs, the first one's array (for the result) and the dtype.

    All inputs must come from one array library (``TypeError`` otherwise);
    integer and boolean data are promoted to float64, float32 stays float32.
    """
    namespace_of(*arrays, where=where)  # one library, or a TypeError naming both
    hosts = [np.asarray(to_numpy(x)) for x in arrays]
    for h in hosts:
        if h.dtype.kind not in "biufc":
            raise TypeError(f"{where}: expected numeric arrays, got dtype {h.dtype}")
    dtype = np.result_type(*hosts, np.float32)
    if dtype.kind == "f" and dtype.itemsize < 4:  # pragma: no cover - float16
        dtype = np.dtype(np.float32)
    for h in hosts:
        if h.size and not np.all(np.isfinite(h)):
            raise ValueError(f"{where}: the input contains NaN or inf")
    return [h.astype(dtype, copy=False) for h in hosts], arrays[0], dtype


def square_stack(where: str, name: str, a: np.ndarray) -> int:
    """Check that ``a`` is ``(..., n, n)``; return ``n``."""
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(
            f"{where}: {name} must be a square matrix (or a stack of them, shape (..., n, n)), "
            f"got shape {a.shape}"
        )
    return int(a.shape[-1])


def batched(
    where: str, solve_one: Callable[..., np.ndarray], out_shape: tuple[int, int], *arrays: Any
) -> np.ndarray:
    """Apply ``solve_one`` over the broadcast leading dimensions of ``arrays``.

    Inputs without batch dimensions are passed as they are, every time.
    """
    try:
        batch = np.broadcast_shapes(*(x.shape[:-2] for x in arrays))
    except ValueError:
        shapes = ", ".join(str(x.shape) for x in arrays)
        raise ValueError(f"{where}: the batch dimensions do not broadcast: {shapes}") from None
    if not batch:
        return solve_one(*arrays)
    full = [np.broadcast_to(x, (*batch, *x.shape[-2:])) for x in arrays]
    results = [
        solve_one(*(x if x.ndim == 2 else f[idx] for x, f in zip(arrays, full)))
        for idx in np.ndindex(*batch)
    ]  # each in the dtype its solver returns (complex arithmetic may return complex)
    if not results:  # an empty batch
        return np.empty((*batch, *out_shape), dtype=np.result_type(*arrays))
    return np.stack(results).reshape(*batch, *out_shape)


# ---- eigenvalues from Schur factors and the singularity test ----------------------------
def fmt_number(z: Any) -> str:
    """``2`` for a real value, ``1+2j`` for a complex one (6 significant digits)."""
    z = complex(z)
    return f"{z.real:.6g}" if z.imag == 0 else f"{z:.6g}"


def check_separated(
    where: str, lam: np.ndarray, mu: np.ndarray, scale: float, names: tuple[str, str] = ("A", "B")
) -> None:
    """Raise ``LinAlgError`` if some ``λᵢ + μⱼ`` is zero up to rounding.

    The Kronecker sum ``A ⊗ I + I ⊗ Bᵀ`` has eigenvalues ``λᵢ + μⱼ``; one at or
    below ``10·max(m, n)·eps·scale`` (``scale`` about ``‖A‖ + ‖B‖``) makes the
    equation singular to working precision.  ``O((m + n) log n)`` for real
    spectra (the nearest ``−μⱼ`` to each ``λᵢ`` by sorting), else ``O(mn)`` in
    row chunks.
    """
    if lam.size == 0 or mu.size == 0:
        return
    eps = float(np.finfo(lam.real.dtype).eps)
    tol = 10 * max(lam.size, mu.size) * eps * scale
    if lam.dtype.kind == "f" and mu.dtype.kind == "f":  # real spectra: O((m + n) log n)
        order = np.argsort(mu)
        srt = mu[order]
        pos = np.clip(np.searchsorted(srt, -lam), 1, srt.size - 1) if srt.size > 1 else None
        near = (order[[0]].repeat(lam.size) if pos is None
                else np.where(np.abs(srt[pos - 1] + lam) <= np.abs(srt[pos] + lam),
                              order[pos - 1], order[pos]))  # fmt: skip
        gap = np.abs(lam + mu[near])
        k = int(np.argmin(gap))
        if gap[k] <= tol:
            _singular(where, names, lam[k], mu[near[k]], gap[k])
        return
    rows = max(1, 2**20 // mu.size)
    for start in range(0, lam.size, rows):
        block = np.abs(lam[start : start + rows, None] + mu[None, :])
        i, j = np.unravel_index(int(np.argmin(block)), block.shape)
        if block[i, j] <= tol:
            _singular(where, names, lam[start + i], mu[j], block[i, j])


def _singular(where: str, names: tuple[str, str], li: Any, mj: Any, gap: Any) -> None:
    raise LinAlgError(
        f"{where}: the equation is singular: {names[0]} has the eigenvalue {fmt_number(li)} "
        f"and {names[1]} the eigenvalue {fmt_number(mj)}, whose sum is {float(gap):.3g} (zero "
        f"up to rounding), so the equation's Kronecker-sum matrix is singular and there "
        f"is no unique solution; for a least-squares one use "
        f"kb.lstsq(kb.kronsum(A, B.T), C.ravel())"
    )


def _scale(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a), initial=0.0) + np.max(np.abs(b), initial=0.0))


# ---- the two methods --------------------------------------------------------------------
def _h(a: np.ndarray) -> np.ndarray:
    """``Aᴴ`` as a view for real data (``conj`` would copy)."""
    return a.conj().T if a.dtype.kind == "c" else a.T


def _sylvester_eigh(a: np.ndarray, b: np.ndarray, c: np.ndarray, where: str) -> np.ndarray:
    """``X = Q [(Qᴴ C P) / (λᵢ + μⱼ)] Pᴴ``; in two capped threads when large (halves of rows)."""
    m = a.shape[0]
    with capped_pool(min(m, b.shape[0])) as pool:
        if pool is None:
            (lam, q), (mu, p) = eigh(a), eigh(b)
        else:
            ea, eb = pool.submit(eigh, a), pool.submit(eigh, b)
            (lam, q), (mu, p) = ea.result(), eb.result()
        check_separated(where, lam, mu, _scale(a, b))

        def rows(sl: slice) -> np.ndarray:  # rows sl of F = Qᴴ C P, divided
            f = _h(q[:, sl]) @ c @ p
            f /= lam[sl, None] + mu[None, :]
            return f

        halves = (slice(0, m // 2), slice(m // 2, m))
        if pool is None:
            f = rows(slice(0, m))
            return q @ f @ _h(p)
        f = np.concatenate([t.result() for t in [pool.submit(rows, h) for h in halves]])
        ph = _h(p)
        parts = [pool.submit(lambda h: q[h] @ f @ ph, h) for h in halves]  # rows of Q F Pᴴ
        return np.concatenate([t.result() for t in parts])


def _sylvester_schur(a: np.ndarray, b: np.ndarray, c: np.ndarray, where: str) -> np.ndarray:
    (t, u), (s, v) = schur_pair(a, b)
    check_separated(where, quasi_triangular_eigvals(t), quasi_triangular_eigvals(s), _scale(a, b))
    f = _h(u) @ c @ v  # Uᴴ C V
    y = triangular_sylvester(t, s, f, where=where)  # T Y + Y S = F
    return u @ y @ _h(v)


def _method(where: str, method: str) -> str:
    if method not in _METHODS:
        raise ValueError(f"{where}: method must be one of {_METHODS}, got {method!r}")
    return method


def solve_sylvester(a: Array, b: Array, c: Array, /, *, method: str = "auto") -> Array:
    """Solve the Sylvester equation ``A X + X B = C``.

    Parameters
    ----------
    a : array (..., m, m)
    b : array (..., n, n)
    c : array (..., m, n)
        Leading batch dimensions broadcast.  Any array library with eager
        arrays (NumPy, PyTorch, CuPy, ...): the work runs on the host through
        SciPy's LAPACK and the result comes back in the library and on the
        device of ``a``.
    method : {"auto", "schur", "eigh"}
        ``"schur"``: Bartels–Stewart, any ``A`` and ``B``.  ``"eigh"``:
        Hermitian ``A`` and ``B`` only (not checked: it reads one triangle).
        ``"auto"``: ``"eigh"`` when both are Hermitian to rounding, else
        ``"schur"``.

    Returns
    -------
    x : array (..., m, n)
        In the promoted dtype of the inputs (float32 stays float32).

    Raises
    ------
    LinAlgError
        If ``A`` and ``−B`` share an eigenvalue (up to rounding): the equation
        has no unique solution.  (``scipy.linalg.solve_sylvester`` returns a
        wrong answer there without warning.)
    ValueError
        For shapes that do not fit, NaN or inf.

    Notes
    -----
    Cost for ``m = n``: two Schur forms (``≈ 25n³`` flops each, computed side
    by side on two cores), four GEMMs and the recursive blocked triangular
    solve (``2n³``, in GEMMs), against LAPACK's level-2 ``trsyl`` in SciPy;
    ``"eigh"``: two Hermitian eigendecompositions (``≈ 9n³``) and four GEMMs.
    Measured at n = 1000 (2 cores, float64): see ``benchmarks/README.md``.

    By the row-major vec identity, ``solve_sylvester(A, B.T, C).ravel()``
    equals ``kb.solve(kb.kronsum(A, B), C.ravel())``.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> rng = np.random.default_rng(0)
    >>> A, B, C = rng.normal(size=(4, 4)), rng.normal(size=(3, 3)), rng.normal(size=(4, 3))
    >>> X = kb.solve_sylvester(A + 5 * np.eye(4), B + 5 * np.eye(3), C)
    >>> bool(np.allclose((A + 5 * np.eye(4)) @ X + X @ (B + 5 * np.eye(3)), C))
    True
    """
    where = "solve_sylvester"
    method = _method(where, method)
    (ha, hb, hc), like, _ = host_arrays(where, a, b, c)
    m, n = square_stack(where, "A", ha), square_stack(where, "B", hb)
    if hc.ndim < 2 or hc.shape[-2:] != (m, n):
        raise ValueError(
            f"{where}: C must have shape (..., {m}, {n}) for A of order {m} and B of order {n}, "
            f"got shape {hc.shape}"
        )

    def one(a2: np.ndarray, b2: np.ndarray, c2: np.ndarray) -> np.ndarray:
        use = method
        if use == "auto":
            use = "eigh" if is_hermitian(np, a2) and is_hermitian(np, b2) else "schur"
        if use == "eigh":
            return _sylvester_eigh(a2, b2, c2, where)
        return _sylvester_schur(a2, b2, c2, where)

    x = batched(where, one, (m, n), ha, hb, hc)
    return from_numpy(_real_if_real(x, ha, hb, hc), like)


def _real_if_real(x: np.ndarray, *inputs: np.ndarray) -> np.ndarray:
    """Real data give a real solution (complex Schur arithmetic leaves rounding in ``imag``)."""
    if x.dtype.kind == "c" and all(h.dtype.kind != "c" for h in inputs):
        return np.ascontiguousarray(x.real)
    return x


def solve_continuous_lyapunov(a: Array, q: Array, /, *, method: str = "auto") -> Array:
    """Solve the continuous Lyapunov equation ``A X + X Aᴴ = Q``.

    ``scipy.linalg.solve_continuous_lyapunov``'s equation: a Sylvester
    equation with ``B = Aᴴ``, so one Schur form ``A = U T Uᴴ`` serves both
    sides (``T Y + Y Tᴴ = Uᴴ Q U`` by the recursive blocked solver), or one
    eigendecomposition for Hermitian ``A``.  Batches, backends, dtypes and
    errors as :func:`solve_sylvester`; singular when two eigenvalues of ``A``
    satisfy ``λᵢ + conj(λⱼ) = 0`` (e.g. one on the imaginary axis).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> A = np.array([[-2.0, 1.0], [0.0, -3.0]]); Q = np.eye(2)
    >>> X = kb.solve_continuous_lyapunov(A, Q)
    >>> bool(np.allclose(A @ X + X @ A.T, Q))
    True
    """
    where = "solve_continuous_lyapunov"
    method = _method(where, method)
    (ha, hq), like, _ = host_arrays(where, a, q)
    n = square_stack(where, "A", ha)
    if hq.ndim < 2 or hq.shape[-2:] != (n, n):
        raise ValueError(f"{where}: Q must have shape (..., {n}, {n}), got shape {hq.shape}")

    def one(a2: np.ndarray, q2: np.ndarray) -> np.ndarray:
        use = method
        if use == "auto":
            use = "eigh" if is_hermitian(np, a2) else "schur"
        if use == "eigh":
            lam, v = np.linalg.eigh(a2)
            check_separated(where, lam, lam, _scale(a2, a2), ("A", "Aᴴ"))
            f = v.conj().T @ q2 @ v
            f /= lam[:, None] + lam[None, :]
            return v @ f @ v.conj().T
        t, u = schur(a2)
        lam = quasi_triangular_eigvals(t)
        check_separated(where, lam, lam.conj(), _scale(a2, a2), ("A", "Aᴴ"))
        f = u.conj().T @ q2 @ u
        trans = "C" if t.dtype.kind == "c" else "T"
        y = triangular_sylvester(t, t, f, "N", trans, where)  # T Y + Y Tᴴ = F
        return u @ y @ u.conj().T

    x = batched(where, one, (n, n), ha, hq)
    return from_numpy(_real_if_real(x, ha, hq), like)
