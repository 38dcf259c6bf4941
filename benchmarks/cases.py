"""The benchmark cases, their inputs, the float64 reference and the cost model.

A case is a list of factor shapes ``(mᵢ, nᵢ)`` and a number of right-hand
sides ``k``; ``k == 1`` means a plain vector ``x`` of shape ``(N,)``, otherwise
``x`` has shape ``(N, k)``.  Factors and ``x`` are standard normal from a seeded
generator, drawn in float64 and cast to the case's dtype; the reference is
computed in float64 from float64 copies of the *cast* inputs, so it is exact
for what each library is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CASES",
    "SMOKE_CASE",
    "Case",
    "Pass",
    "Problem",
    "make_problem",
    "passes",
    "reference_matmat",
]


@dataclass(frozen=True)
class Case:
    """One Kronecker matmul case.

    Parameters
    ----------
    name : str
        Short identifier used by ``--cases``.
    shapes : tuple of (int, int)
        ``(mᵢ, nᵢ)`` of each factor, in Kronecker order.
    k : int
        Number of right-hand sides; 1 means a vector of shape ``(N,)``.
    """

    name: str
    shapes: tuple[tuple[int, int], ...]
    k: int = 1

    @property
    def n_in(self) -> int:
        """Number of columns ``N = ∏ nᵢ`` of the Kronecker product."""
        return math.prod(n for _, n in self.shapes)

    @property
    def n_out(self) -> int:
        """Number of rows ``M = ∏ mᵢ`` of the Kronecker product."""
        return math.prod(m for m, _ in self.shapes)

    @property
    def size_label(self) -> str:
        """``N`` (and ``k`` when there are several right-hand sides) for the table."""
        label = _si(self.n_in)
        if self.n_out != self.n_in:
            label = f"{_si(self.n_out)}×{label}"
        return label if self.k == 1 else f"{label}, k={self.k}"

    @property
    def description(self) -> str:
        """The factor shapes written as a Kronecker product."""
        shapes = self.shapes
        if all(s == shapes[0] for s in shapes) and shapes[0][0] == shapes[0][1]:
            return f"K={len(shapes)}, n={shapes[0][0]}"
        return "⊗".join(f"({m}×{n})" for m, n in shapes)


def _si(value: int) -> str:
    """Write an integer compactly: 1000000 → ``1e6``, 8000000 → ``8e6``, 4096 → ``4096``."""
    exponent = int(math.log10(value)) if value > 0 else 0
    mantissa = value / 10**exponent
    if exponent >= 5 and mantissa == int(mantissa):
        return f"{int(mantissa)}e{exponent}"
    if exponent >= 5:
        return f"{mantissa:.2g}e{exponent}"
    return str(value)


def _square(name: str, n_factors: int, n: int, k: int = 1) -> Case:
    return Case(name, ((n, n),) * n_factors, k)


CASES: dict[str, Case] = {
    case.name: case
    for case in (
        _square("K2_n1000", 2, 1000),
        _square("K3_n100", 3, 100),
        _square("K3_n200", 3, 200),
        _square("K4_n32", 4, 32),
        _square("K8_n4", 8, 4),
        _square("K3_n16", 3, 16),
        _square("K2_n64_k256", 2, 64, k=256),
        Case("rect3", ((50, 100), (60, 80), (70, 90))),
    )
}
"""The matmul cases of issue 4, in table order."""

SMOKE_CASE = _square("smoke_K3_n10", 3, 10)
"""The one tiny case of ``--smoke``."""


@dataclass(frozen=True)
class Problem:
    """The inputs of one case in one dtype, and the float64 reference result.

    Attributes
    ----------
    factors : list of ndarray
        The factors ``Aᵢ`` in the case's dtype.
    x : ndarray
        The right-hand side, ``(N,)`` or ``(N, k)``, in the case's dtype.
    reference : ndarray
        ``(A₁ ⊗ … ⊗ A_K) @ x`` computed in float64.
    """

    factors: list[np.ndarray]
    x: np.ndarray
    reference: np.ndarray


def make_problem(case: Case, dtype: np.dtype, seed: int) -> Problem:
    """Draw the factors and ``x`` of ``case`` and compute the reference.

    Parameters
    ----------
    case : Case
    dtype : numpy dtype
        float64 or float32; the values are drawn in float64 and cast.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same
        values (up to rounding) in every dtype.

    Returns
    -------
    Problem
    """
    rng = np.random.default_rng(seed)
    factors = [rng.standard_normal(shape).astype(dtype) for shape in case.shapes]
    x_shape = (case.n_in,) if case.k == 1 else (case.n_in, case.k)
    x = rng.standard_normal(x_shape).astype(dtype)
    reference = reference_matmat([f.astype(np.float64) for f in factors], x.astype(np.float64))
    return Problem(factors, x, reference)


def reference_matmat(factors: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """``(A₁ ⊗ … ⊗ A_K) @ x`` by the tensordot vec trick, in the inputs' dtype.

    ``x`` (row-major) is viewed as a tensor of shape ``(n₁, …, n_K, k)`` and
    factor ``i`` is contracted with axis ``i``.  Deliberately simple and
    independent of kronblock's kernel: it is the yardstick every library is
    checked against.

    Parameters
    ----------
    factors : list of ndarray
        Factors of shapes ``(mᵢ, nᵢ)``.
    x : ndarray
        ``(N,)`` or ``(N, k)``.

    Returns
    -------
    ndarray
        ``(M,)`` or ``(M, k)``.
    """
    columns = x.reshape(x.shape[0], -1)
    tensor = columns.reshape(*(f.shape[1] for f in factors), columns.shape[1])
    for axis, factor in enumerate(factors):
        tensor = np.moveaxis(np.tensordot(factor, tensor, axes=([1], [axis])), 0, axis)
    n_out = math.prod(f.shape[0] for f in factors)
    out = np.ascontiguousarray(tensor).reshape(n_out, columns.shape[1])
    return out.reshape(n_out) if x.ndim == 1 else out


@dataclass(frozen=True)
class Pass:
    """One factor's pass over the intermediate in the flops-minimising order.

    Attributes
    ----------
    factor : int
        Index of the factor applied.
    size_in, size_out : int
        Number of elements of the intermediate read and written (``k`` included).
    flops : int
        ``2 · size_in · mᵢ``.
    """

    factor: int
    size_in: int
    size_out: int
    flops: int


def passes(case: Case) -> list[Pass]:
    """The factor passes of ``case`` in the order that minimises flops.

    Factors that shrink the intermediate (``mᵢ < nᵢ``) go first: the order key
    is ``1/mᵢ − 1/nᵢ``, descending (ties keep Kronecker order).

    Parameters
    ----------
    case : Case

    Returns
    -------
    list of Pass
    """
    order = sorted(
        range(len(case.shapes)),
        key=lambda i: 1 / case.shapes[i][0] - 1 / case.shapes[i][1],
        reverse=True,
    )
    size = case.n_in * case.k
    result = []
    for i in order:
        m, n = case.shapes[i]
        size_out = size // n * m
        result.append(Pass(i, size, size_out, 2 * size * m))
        size = size_out
    return result
