"""The ``sums`` case: Kronecker sums, Kronecker plus noise, Kronecker plus diagonal.

Solves (and one log-determinant) at N = 10⁶ in float64, kronblock against
SciPy and the peers that offer the operation:

- ``kronsum_spd``: ``L₃ = L⊕L⊕L``, ``L = tridiag(-1, 2, -1)`` (100×100, the
  Dirichlet second difference): ``kb.solve`` (factor ``eigh``), kronblock's
  ``CG``, SciPy's ``cg`` on the sparse 7-point matrix; and at n = 30, where it
  fits in seconds, SciPy's sparse direct ``spsolve``;
- ``kronsum_general``: non-normal factors ``G/√n + 2·I`` (``G`` standard
  normal, eigenvalue sums at least ~2 away from 0): K = 2, n = 1000 against
  ``scipy.linalg.solve_sylvester``; K = 3, n = 100 (kronblock only);
- ``kron_noise``: ``K + σ²I``, ``K`` a Kronecker product of three 100×100
  ``A Aᵀ/n + I`` (``A`` standard normal), σ² = 0.1: solve and logdet;
- ``kron_diag_pcg``: ``K + diag(d)``, ``d`` uniform in [0.5, 2] (no Kronecker
  structure), the same ``K``: kronblock's PCG against the peers' CG.

Every result is checked: a solve by its residual ``‖A x − b‖ / ‖b‖ ≤ 1e-8``
(``A`` applied in float64 through the factors, independently of every
library), a logdet against ``Σ log(kron(λ₁, λ₂, λ₃) + σ²)`` from the factor
eigenvalues (relative error ≤ 1e-10).  Wrong results show as WRONG, never as a
time.  A peer that only offers an iterative solve is run only where
kronblock's own solve is iterative (``kron_diag_pcg``); elsewhere its cell names
the algorithm it would use.
"""

from __future__ import annotations

import math
import re
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg
from cases import reference_matmat
from machine import Machine, cpu_snapshot, others_cpu
from peers import Adapter, Prepared, _human_bytes
from report import CONTENTION_FLAG, Row
from suite import PAUSE_S, SUMS_CASE, _seed, _short, run_one
from timing import Outcome, Skip, format_seconds, measure

__all__ = ["SUMS_LIBRARIES", "kronsum_reference", "sums_section", "sums_table"]


SUMS_LIBRARIES = ("kronblock", "kronblock CG", "scipy", "linear_operator", "cola", "pykronecker")
"""Columns of the section's table, in order."""

SOLVE_TOL = 1e-8
"""Largest accepted relative residual ``‖A x − b‖ / ‖b‖`` of a solve."""

LOGDET_TOL = 1e-10
"""Largest accepted relative error of a log-determinant."""

CG_RTOL = 1e-10
"""Relative residual asked of every CG run here (kronblock's, SciPy's, cola's)."""

SINGLE_S = 1.0
"""A call whose first run takes longer than this is timed once (that first run)."""

SIGMA2 = 0.1
SIDE = 100
SPSOLVE_SIDES = (20, 30)
"""``spsolve`` is run at these n (N = n³); the larger is a table row."""


class _Library(Adapter):
    """A column of the section: only its name and the import that must work."""

    def __init__(self, name: str, module: str, distribution: str) -> None:
        super().__init__()
        self.name, self.module, self.distribution = name, module, distribution


def _libraries(peers: list[str] | None) -> list[_Library]:
    modules = {
        "kronblock": ("kronblock", "kronblock"),
        "kronblock CG": ("kronblock.solvers", "kronblock"),
        "scipy": ("scipy.sparse.linalg", "scipy"),
        "linear_operator": ("linear_operator", "linear_operator"),
        "cola": ("cola", "cola-ml"),
        "pykronecker": ("pykronecker", "pykronecker"),
    }
    names = [
        name
        for name in SUMS_LIBRARIES
        if peers is None or name.startswith("kronblock") or name in peers
    ]
    return [_Library(name, *modules[name]) for name in names]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- the problems and their float64 references ------------------------------------------
def second_difference(n: int) -> np.ndarray:
    """The n×n Dirichlet second difference ``tridiag(-1, 2, -1)`` (dense)."""
    return 2.0 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)


def kronsum_reference(factors: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """``(A₁ ⊕ … ⊕ A_K) x`` in float64: one mode product per factor (row-major vec)."""
    dims = [f.shape[0] for f in factors]
    tensor = np.asarray(x, dtype=np.float64).reshape(dims)
    out = np.zeros_like(tensor)
    for axis, factor in enumerate(factors):
        out += np.moveaxis(np.tensordot(factor, tensor, axes=([1], [axis])), 0, axis)
    return out.reshape(-1)


def _residual(apply: Callable[[np.ndarray], np.ndarray], b: np.ndarray) -> Callable[[Any], float]:
    b_norm = float(np.linalg.norm(b))

    def error_of(x: Any) -> float:
        x = np.asarray(x)
        if x.size != b.size:
            raise ValueError(f"shape {x.shape}, expected {b.shape}")
        if np.iscomplexobj(x):
            x = x.real if not np.any(x.imag) else x
        value = float(np.linalg.norm(apply(x.reshape(-1)) - b)) / b_norm
        return value if math.isfinite(value) else math.nan

    return error_of


def _relative(expected: float) -> Callable[[Any], float]:
    def error_of(value: Any) -> float:
        value = float(np.real(np.asarray(value)))
        return abs(value - expected) / abs(expected) if math.isfinite(value) else math.nan

    return error_of


def _spd_factors(rng: np.random.Generator, n: int, count: int) -> list[np.ndarray]:
    """``A Aᵀ/n + I`` with standard normal ``A``: eigenvalues in about [1, 5]."""
    out = []
    for _ in range(count):
        a = rng.standard_normal((n, n))
        out.append(a @ a.T / n + np.eye(n))
    return out


def _general_factors(rng: np.random.Generator, n: int, count: int) -> list[np.ndarray]:
    """``G/√n + 2·I``: non-normal, eigenvalues in a disc of radius ~1 around 2."""
    return [rng.standard_normal((n, n)) / math.sqrt(n) + 2.0 * np.eye(n) for _ in range(count)]


# ---- the peers' calls ----------------------------------------------------------------------
def _with_note(call: Callable[[], Any], unpack: Callable[[Any], tuple[Any, str]]) -> Prepared:
    """A prepared call whose note (iterations) is read from each checked result."""
    prepared = Prepared(call)

    def convert(out: Any) -> Any:
        value, prepared.note = unpack(out)
        return value

    prepared.convert = convert
    return prepared


def _kb_cg(op: Any, b: np.ndarray) -> Prepared:
    from kronblock.solvers import CG

    solver = CG(rtol=CG_RTOL)
    return _with_note(lambda: solver.solve(op, b), lambda r: (r.x, f"{r.iterations} it"))


def _scipy_cg(matrix: Any, b: np.ndarray) -> Prepared:
    import scipy.sparse.linalg as spla

    def call() -> tuple[np.ndarray, int]:
        count = [0]

        def callback(_: np.ndarray) -> None:
            count[0] += 1

        x, _info = spla.cg(matrix, b, rtol=CG_RTOL, callback=callback)
        return x, count[0]

    return _with_note(call, lambda out: (out[0], f"cg, {out[1]} it"))


def _scipy_kronsum(factors: list[np.ndarray]) -> Any:
    """The sparse ``A₁ ⊕ … ⊕ A_K`` in kronblock's order.

    ``scipy.sparse.kronsum(X, Y) = I ⊗ X + Y ⊗ I`` is ``kb.kronsum(Y, X)``, so
    ``kb.kronsum(A, B, C) = sp.kronsum(C, sp.kronsum(B, A))``.
    """
    import scipy.sparse as sp

    matrix = sp.csr_matrix(factors[0])
    for factor in factors[1:]:
        matrix = sp.kronsum(sp.csr_matrix(factor), matrix, format="csr")
    return matrix


def _no_kronsum(_: Any = None) -> Prepared:
    raise Skip("no Kronecker sum operator")


def _cola_iterative(op: Any) -> Prepared:
    """cola's ``inv`` at this size: names the iterative algorithm it picks (not run)."""
    import cola

    alg = getattr(cola.inv(op), "alg", None)
    if alg is None:
        raise Skip("inv(): no algorithm found")
    raise Skip(f"iterative only ({type(alg).__name__}, tol {getattr(alg, 'tol', '?'):g})")


def _cola_kronsum(factors: list[np.ndarray], spd: bool) -> Prepared:
    import cola

    op = cola.ops.KronSum(*[cola.ops.Dense(f) for f in factors])
    return _cola_iterative(cola.PSD(op) if spd else op)


def _pykronecker_inv(op: Any, b: np.ndarray) -> Prepared:
    try:
        op.inv()
    except NotImplementedError as exc:
        raise Skip(f"no solve ({type(op).__name__}.inv(): NotImplementedError)") from exc
    return Prepared(lambda: op.inv() @ b, note="inv()")


def _pykronecker_kronsum(factors: list[np.ndarray], b: np.ndarray) -> Prepared:
    from pykronecker import KroneckerSum

    return _pykronecker_inv(KroneckerSum(list(factors)), b)


def _linop_kron(factors: list[np.ndarray]) -> Any:
    import torch
    from linear_operator.operators import DenseLinearOperator, KroneckerProductLinearOperator

    return KroneckerProductLinearOperator(
        *[DenseLinearOperator(torch.from_numpy(f)) for f in factors]
    )


def _torch_call(method: Callable[[], Any]) -> Callable[[], Any]:
    import torch

    def call() -> Any:
        with torch.no_grad():
            return method()

    return call


def _torch_out(out: Any) -> Any:
    return out.detach().cpu().numpy() if hasattr(out, "detach") else out


# ---- one row -------------------------------------------------------------------------------
def _row(
    case: str,
    description: str,
    size: str,
    libraries: list[_Library],
    tasks: dict[str, Callable[[], Prepared]],
    error_of: Callable[[Any], float],
    tol: float,
    reps: int,
) -> Row:
    """Every library of ``tasks`` on one problem; ``—`` for the others."""
    outcomes: dict[str, Outcome] = {}
    start = cpu_snapshot()
    for library in libraries:
        task = tasks.get(library.name)
        if task is None:
            outcomes[library.name] = Outcome(library.name, "skip", reason="—")
            continue
        outcomes[library.name] = run_one(library, task, error_of, tol, reps, single_s=SINGLE_S)
        _log(f"  {case} [{description}] {library.name}: {outcomes[library.name].cell()}")
        time.sleep(PAUSE_S)
    row = Row(case, description, "float64", size, outcomes)
    row.extra["section"] = SUMS_CASE
    row.extra["others_cpu"] = others_cpu(start, cpu_snapshot())
    return row


def _median(call: Callable[[], Any], reps: int) -> float:
    time.sleep(PAUSE_S)
    return measure(call, reps, lambda out: None, single_s=SINGLE_S).median


def _matvec(row: Row, op: Any, b: np.ndarray, reps: int) -> None:
    """One kronblock product ``op @ b`` of the row's operator, for the solve/matvec column."""
    try:
        row.extra["matvec_s"] = _median(lambda: op @ b, reps)
    except Exception as exc:  # reported, not fatal
        row.extra["matvec_error"] = _short(exc)


# ---- the rows --------------------------------------------------------------------------------
def _kronsum_spd(libraries: list[_Library], reps: int) -> tuple[list[Row], dict[str, Any]]:
    import kronblock as kb

    rng = np.random.default_rng(_seed("kronsum_spd"))
    rows, parts = [], {}
    for n in (SIDE, SPSOLVE_SIDES[-1]):
        lap = second_difference(n)
        factors = [lap, lap, lap]
        op = kb.kronsum(*factors)
        b = rng.standard_normal(n**3)
        error_of = _residual(lambda x, f=factors: kronsum_reference(f, x), b)
        tasks: dict[str, Callable[[], Prepared]] = {
            "kronblock": lambda op=op, b=b: Prepared(lambda: kb.solve(op, b)),
            "kronblock CG": lambda op=op, b=b: _kb_cg(op, b),
        }
        if n == SIDE:
            tasks |= {
                "scipy": lambda f=factors, b=b: _scipy_cg(_scipy_kronsum(f), b),
                "linear_operator": _no_kronsum,
                "cola": lambda f=factors: _cola_kronsum(f, spd=True),
                "pykronecker": lambda f=factors, b=b: _pykronecker_kronsum(f, b),
            }
            description = f"solve L⊕L⊕L, L = tridiag(-1,2,-1) {n}×{n}"
        else:
            tasks["scipy"] = lambda f=factors, b=b: _spsolve(f, b)
            description = f"solve L⊕L⊕L, n={n} (where spsolve fits)"
        row = _row(
            "kronsum_spd", description, _size(n**3), libraries, tasks, error_of, SOLVE_TOL, reps
        )
        _matvec(row, op, b, reps)
        rows.append(row)
        if n == SIDE:
            parts["eigh_s"] = _median(lambda f=factors: [np.linalg.eigh(a) for a in f], reps)
            parts["nnz"] = int(_scipy_kronsum(factors).nnz)
    if any(lib.name == "scipy" and lib.missing() is None for lib in libraries):
        parts["spsolve"] = _spsolve_scaling(rows[-1], reps)
    rows[0].extra.update(parts)
    return rows, parts


def _spsolve(factors: list[np.ndarray], b: np.ndarray) -> Prepared:
    import scipy.sparse.linalg as spla

    matrix = _scipy_kronsum(factors).tocsc()
    return Prepared(lambda: spla.spsolve(matrix, b), note="spsolve")


def _spsolve_scaling(row: Row, reps: int) -> dict[str, float]:
    """spsolve at the smaller sizes (the largest is the row's): ``{N: seconds}``."""
    out: dict[str, float] = {}
    for n in SPSOLVE_SIDES[:-1]:
        lap = second_difference(n)
        b = np.random.default_rng(_seed("spsolve")).standard_normal(n**3)
        try:
            out[str(n**3)] = _median(_spsolve([lap, lap, lap], b).call, 1)
        except Exception as exc:  # reported, not fatal
            _log(f"  spsolve n={n}: {_short(exc)}")
    mine = row.outcomes.get("scipy")
    if mine is not None and mine.status == "ok" and mine.seconds is not None:
        out[str(SPSOLVE_SIDES[-1] ** 3)] = mine.seconds
    return out


def _kronsum_general(libraries: list[_Library], reps: int) -> list[Row]:
    import kronblock as kb

    rng = np.random.default_rng(_seed("kronsum_general"))
    rows = []
    for n, count in ((1000, 2), (SIDE, 3)):
        factors = _general_factors(rng, n, count)
        op = kb.kronsum(*factors)
        b = rng.standard_normal(n**count)
        error_of = _residual(lambda x, f=factors: kronsum_reference(f, x), b)
        tasks: dict[str, Callable[[], Prepared]] = {
            "kronblock": lambda op=op, b=b: Prepared(lambda: kb.solve(op, b)),
            "linear_operator": _no_kronsum,
            "cola": lambda f=factors: _cola_kronsum(f, spd=False),
            "pykronecker": lambda f=factors, b=b: _pykronecker_kronsum(f, b),
        }
        if count == 2:
            tasks["scipy"] = lambda f=factors, b=b: _sylvester(f, b)
        else:
            tasks["scipy"] = lambda: _skip("no Sylvester solver for 3 terms")
        description = f"solve ⊕ of K={count} non-normal {n}×{n} (G/√n + 2·I)"
        row = _row(
            "kronsum_general",
            description,
            _size(n**count),
            libraries,
            tasks,
            error_of,
            SOLVE_TOL,
            reps,
        )
        _matvec(row, op, b, reps)
        row.extra["factors"] = (count, n)
        rows.append(row)
    return rows


def _skip(reason: str) -> Prepared:
    raise Skip(reason)


def _sylvester(factors: list[np.ndarray], b: np.ndarray) -> Prepared:
    """``kb.kronsum(A, B) x = b`` is ``A X + X Bᵀ = C`` with ``X = x.reshape(n, n)``."""
    a, bb = factors
    c = b.reshape(a.shape[0], bb.shape[0])
    bt = np.ascontiguousarray(bb.T)
    return Prepared(lambda: scipy.linalg.solve_sylvester(a, bt, c), note="solve_sylvester")


def _kron_noise(libraries: list[_Library], reps: int) -> list[Row]:
    import kronblock as kb

    rng = np.random.default_rng(_seed("kron_noise"))
    factors = _spd_factors(rng, SIDE, 3)
    n_total = SIDE**3
    op = kb.kron(*factors) + SIGMA2 * kb.identity(n_total)
    b = rng.standard_normal(n_total)
    error_of = _residual(lambda x: reference_matmat(factors, x) + SIGMA2 * x, b)
    lams = [np.linalg.eigvalsh(f) for f in factors]
    expected = float(np.sum(np.log(_kron_vectors(lams) + SIGMA2)))

    def linop_noise() -> Any:
        import torch

        return _linop_kron(factors).add_diagonal(torch.tensor(SIGMA2, dtype=torch.float64))

    def linop_solve() -> Prepared:
        import torch

        lo, tb = linop_noise(), torch.from_numpy(b)
        return Prepared(_torch_call(lambda: lo.solve(tb)), _torch_out)

    def linop_logdet() -> Prepared:
        lo = linop_noise()
        return Prepared(_torch_call(lo.logdet), lambda out: float(_torch_out(out)), "logdet()")

    def cola_noise() -> Any:
        import cola

        kron = cola.ops.Kronecker(*[cola.ops.Dense(f) for f in factors])
        # kron + σ²·I_like(kron) raises plum's AmbiguousLookupError in cola 0.0.7
        return cola.PSD(cola.ops.Sum(kron, cola.ops.ScalarMul(SIGMA2, kron.shape, kron.dtype)))

    def cola_logdet() -> Prepared:
        import cola

        cola_noise()
        probes = getattr(cola.linalg.Hutch(), "bs", 100)
        iters = getattr(cola.linalg.Lanczos(), "max_iters", 1000)
        need = probes * n_total * (iters + 2) * 8
        raise Skip(f"stochastic only (Lanczos + Hutchinson), would allocate {need / 1e9:.0f} GB")

    def pyk_noise() -> Any:
        from pykronecker import KroneckerIdentity, KroneckerProduct

        kron = KroneckerProduct(list(factors))
        return kron + SIGMA2 * KroneckerIdentity(like=kron)

    solve_tasks: dict[str, Callable[[], Prepared]] = {
        "kronblock": lambda: Prepared(lambda: kb.solve(op, b)),
        "linear_operator": linop_solve,
        "cola": lambda: _cola_iterative(cola_noise()),
        "pykronecker": lambda: _pykronecker_inv(pyk_noise(), b),
    }
    logdet_tasks: dict[str, Callable[[], Prepared]] = {
        "kronblock": lambda: Prepared(lambda: kb.logdet(op), lambda out: float(out)),
        "linear_operator": linop_logdet,
        "cola": cola_logdet,
        "pykronecker": lambda: _skip("no logdet"),
    }
    size = _size(n_total)
    solve = _row(
        "kron_noise",
        "solve K + σ²I, K = ⊗ of 3 SPD 100×100, σ² = 0.1",
        size,
        libraries,
        solve_tasks,
        error_of,
        SOLVE_TOL,
        reps,
    )
    _matvec(solve, op, b, reps)
    logdet = _row(
        "kron_noise",
        "logdet K + σ²I",
        size,
        libraries,
        logdet_tasks,
        _relative(expected),
        LOGDET_TOL,
        reps,
    )
    return [solve, logdet]


def _kron_vectors(values: list[np.ndarray]) -> np.ndarray:
    out = values[0]
    for v in values[1:]:
        out = np.multiply.outer(out, v).reshape(-1)
    return out


def _kron_diag_pcg(libraries: list[_Library], reps: int) -> list[Row]:
    import kronblock as kb

    rng = np.random.default_rng(_seed("kron_diag_pcg"))
    factors = _spd_factors(rng, SIDE, 3)
    n_total = SIDE**3
    d = rng.uniform(0.5, 2.0, n_total)
    op = kb.kron(*factors) + kb.diag(d)
    b = rng.standard_normal(n_total)
    error_of = _residual(lambda x: reference_matmat(factors, x) + d * x, b)

    def kronblock() -> Prepared:
        def call() -> tuple[Any, Any]:
            factorization = kb.factorize(op)
            return factorization.solve(b), factorization.last_result

        return _with_note(call, lambda out: (out[0], f"PCG, {out[1].iterations} it"))

    def linop() -> Prepared:
        import torch
        from linear_operator.operators import DiagLinearOperator

        lo, tb = _linop_kron(factors) + DiagLinearOperator(torch.from_numpy(d)), torch.from_numpy(b)
        return Prepared(_torch_call(lambda: lo.solve(tb)), _torch_out, "CG, defaults")

    def cola_cg() -> Prepared:
        import cola

        kron = cola.ops.Kronecker(*[cola.ops.Dense(f) for f in factors])
        total = cola.PSD(cola.ops.Sum(kron, cola.ops.Diagonal(d)))

        def call() -> tuple[Any, Any]:
            inverse = cola.inv(total, alg=cola.CG(tol=CG_RTOL, max_iters=2000))
            return inverse @ b, inverse

        def unpack(out: tuple[Any, Any]) -> tuple[Any, str]:
            info = getattr(out[1], "info", None) or {}
            return np.asarray(out[0]), f"CG, {info.get('iterations', '?')} it"

        return _with_note(call, unpack)

    def pyk() -> Prepared:
        from pykronecker import KroneckerDiag, KroneckerProduct

        total = KroneckerProduct(list(factors)) + KroneckerDiag(d.reshape(SIDE, SIDE, SIDE))
        return _pykronecker_inv(total, b)

    tasks = {"kronblock": kronblock, "linear_operator": linop, "cola": cola_cg, "pykronecker": pyk}
    row = _row(
        "kron_diag_pcg",
        "solve K + diag(d), d ~ U[0.5, 2], same K",
        _size(n_total),
        libraries,
        tasks,
        error_of,
        SOLVE_TOL,
        reps,
    )
    _matvec(row, op, b, reps)
    return [row]


def _size(n: int) -> str:
    exponent = int(math.log10(n))
    return f"1e{exponent}" if n == 10**exponent else str(n)


# ---- the table and the notes ------------------------------------------------------------------
def _fastest_peer(row: Row) -> tuple[str, float] | None:
    peers = [
        (name, out.seconds)
        for name, out in row.outcomes.items()
        if not name.startswith("kronblock") and out.status == "ok" and out.seconds is not None
    ]
    return min(peers, key=lambda item: item[1]) if peers else None


def sums_table(rows: list[Row], libraries: list[str]) -> str:
    """The section's markdown table.

    Parameters
    ----------
    rows : list of Row
    libraries : list of str
        Column order.

    Returns
    -------
    str
    """
    head = ["case", "N", *libraries, "vs fastest peer", "kronblock / matvec"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for row in rows:
        mine = row.kronblock_seconds()
        fastest = _fastest_peer(row)
        versus = "—"
        if mine and fastest:
            versus = f"{fastest[1] / mine:.2f} ({fastest[0]})"
        matvec = row.extra.get("matvec_s")
        per_matvec = f"{mine / matvec:.1f}" if mine and matvec else "—"
        busy = " †" if row.extra.get("others_cpu", 0.0) > CONTENTION_FLAG else ""
        cells = [f"{row.case}: {row.description}{busy}", row.size]
        cells += [row.outcomes[name].cell() for name in libraries]
        cells += [versus, per_matvec]
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return "\n".join(lines)


def _dense_note(machine: Machine) -> str:
    n_total = SIDE**3
    nbytes = _human_bytes(n_total**2 * 8)
    flops = 2 * n_total**3 / 3
    rate = machine.gemm.get("float64")
    text = (
        f"Dense: at N = 10⁶ the N×N float64 matrix is {nbytes} and cannot be formed; "
        f"a dense LU ((2/3)·N³ = {flops:.1e} flop)"
    )
    if not rate:
        return text + " at this machine's float64 GEMM rate (not measured in this run)."
    seconds = flops / rate
    return (
        text + f" at the measured float64 GEMM peak ({rate / 1e9:.0f} GFLOP/s) would take "
        f"{seconds:.1e} s (≈ {seconds / 86400:.0f} days)."
    )


def _spd_note(rows: list[Row], parts: dict[str, Any]) -> str | None:
    row = next((r for r in rows if r.case == "kronsum_spd"), None)
    if row is None:
        return None
    solve, matvec = row.kronblock_seconds(), row.extra.get("matvec_s")
    pieces = [f"kronblock solve {format_seconds(solve)}" if solve else "kronblock solve —"]
    if "eigh_s" in parts:
        pieces.append(f"3 eigh of 100×100 {format_seconds(parts['eigh_s'])}")
    if matvec:
        pieces.append(f"one matvec {format_seconds(matvec)}")
    if solve and matvec:
        pieces.append(f"solve = {solve / matvec:.1f} matvecs")
    cg = row.outcomes.get("kronblock CG")
    if cg is not None and cg.status == "ok" and cg.seconds and matvec:
        found = re.search(r"(\d+) it", cg.note)
        iterations = int(found.group(1)) if found else 0
        if iterations:
            per = cg.seconds / iterations
            pieces.append(
                f"kronblock CG {iterations} iterations, {format_seconds(per)} each "
                f"(= {per / matvec:.1f} matvecs)"
            )
    if "nnz" in parts:
        pieces.append(f"SciPy's sparse matrix has {parts['nnz']:.3g} nonzeros")
    return "L₃ = L⊕L⊕L at N = 10⁶: " + "; ".join(pieces) + "."


def _spsolve_note(parts: dict[str, Any]) -> str | None:
    times = {int(k): v for k, v in parts.get("spsolve", {}).items()}
    if len(times) < 2:
        return None
    (n0, t0), (n1, t1) = sorted(times.items())[:2]
    power = math.log(t1 / t0) / math.log(n1 / n0)
    n_total = SIDE**3
    estimate = t1 * (n_total / n1) ** power
    return (
        f"SciPy spsolve (SuperLU) on L⊕L⊕L: N = {n0} {format_seconds(t0)}, N = {n1} "
        f"{format_seconds(t1)}, time ∝ N^{power:.1f}; at N = 10⁶ that extrapolates to "
        f"≈ {estimate:.0e} s (not run)."
    )


def _general_note(rows: list[Row]) -> str | None:
    pieces = []
    for row in rows:
        if row.case != "kronsum_general":
            continue
        mine, peer = row.kronblock_seconds(), row.outcomes.get("scipy")
        matvec = row.extra.get("matvec_s")
        count, n = row.extra["factors"]
        label = f"K={count}, n={n}"
        if mine and peer is not None and peer.status == "ok" and peer.seconds:
            pieces.append(f"{label}: kronblock / solve_sylvester {mine / peer.seconds:.2f}")
        elif mine and matvec:
            pieces.append(f"{label}: kronblock solve = {mine / matvec:.0f} matvecs")
    if not pieces:
        return None
    return (
        "Non-normal factors (kronblock: real Schur forms side by side + the recursive blocked "
        "triangular solver for two real factors, SciPy's solve_sylvester: the same Schur "
        "forms one after the other + dtrsyl; complex Schur forms and a block "
        "back-substitution down to the 2-factor solver for three): " + "; ".join(pieces) + "."
    )


def sums_notes(rows: list[Row], parts: dict[str, Any], machine: Machine) -> list[str]:
    """The lines printed under the section's table."""
    notes = [
        _spd_note(rows, parts),
        _spsolve_note(parts),
        _dense_note(machine),
        _general_note(rows),
    ]
    notes.append(
        "Cells: a time is a checked median (calls over 1 s: one timed call); a solve is "
        f"checked by ‖A x − b‖/‖b‖ ≤ {SOLVE_TOL:g} (A applied in float64 through the factors), "
        f"logdet to {LOGDET_TOL:g} against Σ log(kron(λ₁, λ₂, λ₃) + σ²); every CG asked rtol "
        f"{CG_RTOL:g} (kronblock's PCG for K + diag(d): its default 1e-12); it = iterations; "
        "kronblock / matvec = kronblock's time over one kronblock product with the same "
        "operator; — = not applicable."
    )
    if "wall_s" in parts:
        notes.append(f"Section wall time: {parts['wall_s']:.0f} s.")
    return [note for note in notes if note]


def sums_section(
    reps: int, peers: list[str] | None, machine: Machine
) -> tuple[list[Row], str, list[str]]:
    """Run every row of the section.

    Parameters
    ----------
    reps : int
    peers : list of str or None
        ``--peers`` (kronblock's columns are always run).
    machine : Machine
        For the dense cost at the measured GEMM rate.

    Returns
    -------
    rows : list of Row
        Each with ``extra["section"] == "sums"``; the first also holds the
        parts of the L⊕L⊕L solve (eigh, SciPy's nonzeros, spsolve times).
    table : str
        The markdown table.
    notes : list of str
        The lines under it (the last one is the section's wall time).
    """
    start = time.perf_counter()
    libraries = _libraries(peers)
    for library in libraries:
        library.missing()
    rows: list[Row] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the peers' convergence and dispatch warnings
        spd, parts = _kronsum_spd(libraries, reps)
        rows += spd
        rows += _kronsum_general(libraries, reps)
        rows += _kron_noise(libraries, reps)
        rows += _kron_diag_pcg(libraries, reps)
    parts["wall_s"] = time.perf_counter() - start
    names = [library.name for library in libraries]
    return rows, sums_table(rows, names), sums_notes(rows, parts, machine)
