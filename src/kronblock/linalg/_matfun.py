"""Matrix functions: ``expm`` and ``funm`` (any spectral function ``f(A)``), structure kept.

``expm(kronsum(A, B)) = kron(expm(A), expm(B))`` and, for a Hermitian (or
normal) operator with eigendecomposition ``A = V diag(λ) Vᴴ``,
``f(A) = V diag(f(λ)) Vᴴ``: a lazy operator whose product with a vector costs
two products with ``V`` (heat kernels ``e^{-tL}``, resolvents
``(L + s I)⁻¹``, fractional powers).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._array_api import Array
from .._operator import AbstractLinearOperator, Product, Scaled
from ._dispatch import densify, generic, public
from ._validate import as_operator, require_square

__all__ = ["expm", "funm", "rescale"]


@functools.singledispatch
def rescale(op: AbstractLinearOperator, s: Any) -> AbstractLinearOperator | None:
    """``s · op`` with the structure at the top, or ``None`` where a structure cannot.

    ``Dense`` scales its array, ``Diagonal`` its diagonal, a Kronecker sum
    each of its factors (``s(A⊕B) = (sA)⊕(sB)``).  Used by
    ``expm(s · A)`` so that ``expm(-t * kronsum(A, B))`` keeps its structure.
    """
    return None


# ---- expm -------------------------------------------------------------------------
def _expm_fallback(a: AbstractLinearOperator) -> AbstractLinearOperator:
    return _expm_rules(densify(a, "expm"))


_expm_rules = generic(_expm_fallback)


@_expm_rules.register
def _expm_scaled(a: Scaled) -> AbstractLinearOperator:
    inner = rescale(a.operator, a.scalar)
    if inner is None:
        return _expm_fallback(a)
    return _expm_rules(inner)


@public(_expm_rules)
def expm(a: Any, /) -> AbstractLinearOperator:
    """The matrix exponential ``exp(A)``, as an operator that keeps the structure.

    A Kronecker sum gives a Kronecker product, ``exp(A⊕B) = exp(A)⊗exp(B)``
    (``Σ O(nᵢ³)``, never ``N × N``); a diagonal gives a diagonal; a dense
    matrix gives SciPy's (or the backend's) ``expm``.  A structure without a
    rule is formed densely, with a :class:`~kronblock.DensificationWarning`.

    Examples
    --------
    >>> import numpy as np, scipy.linalg as sla, kronblock as kb
    >>> A = np.array([[0.0, 1.0], [-1.0, -0.5]]); B = np.array([[-1.0, 0.3], [0.0, -2.0]])
    >>> E = kb.expm(kb.kronsum(A, B))                  # kron(expm(A), expm(B))
    >>> dense = np.kron(A, np.eye(2)) + np.kron(np.eye(2), B)
    >>> bool(np.allclose(E.to_dense(), sla.expm(dense)))
    True
    """
    op = as_operator(a, "expm")
    require_square(op, "expm")
    return _expm_rules(op)


# ---- funm -------------------------------------------------------------------------
def _funm_fallback(a: AbstractLinearOperator, func: Callable[[Array], Array]) -> Any:
    return _funm_rules(densify(a, "funm"), func)


_funm_rules = generic(_funm_fallback)


@_funm_rules.register
def _funm_scaled(a: Scaled, func: Callable[[Array], Array]) -> Any:
    # f(s·A) = g(A) with g(λ) = f(s·λ): the spectrum of s·A is s times A's.
    s = a.scalar
    return _funm_rules(a.operator, lambda lam: func(lam * s))


@public(_funm_rules)
def funm(a: Any, func: Callable[[Array], Array], /) -> AbstractLinearOperator:
    """The matrix function ``f(A)`` of a spectral function ``f``, as a lazy operator.

    Parameters
    ----------
    a : operator or array (N, N)
        Hermitian, or normal (``AAᴴ = AᴴA``), so that ``A = V diag(λ) Vᴴ``
        with unitary ``V``.  A Kronecker sum needs Hermitian or normal
        factors; a dense matrix may be general (SciPy's Schur–Parlett
        ``funm``).
    func : callable
        Called once with the array of eigenvalues ``λ`` (shape ``(N,)``, the
        operator's library) and returns ``f(λ)`` elementwise, e.g.
        ``lambda lam: np.exp(-t * lam)`` (heat kernel) or
        ``lambda lam: 1 / (lam + s)`` (resolvent).

    Returns
    -------
    operator
        ``V diag(f(λ)) Vᴴ``, kept lazy: a product with a vector costs two
        products with ``V`` plus ``O(N)`` (for a Kronecker sum,
        ``O(N·Σnᵢ)``), after factor eigendecompositions of ``Σ O(nᵢ³)``.

    Raises
    ------
    kronblock.LinAlgError
        For a Kronecker sum with a factor that is not normal (no unitary
        eigenbasis; use ``expm`` for the exponential, which is exact for any
        factors).

    Examples
    --------
    >>> import numpy as np, scipy.linalg as sla, kronblock as kb
    >>> L1 = np.array([[1.0, -1.0], [-1.0, 1.0]]); L2 = np.array([[2.0, -1.0], [-1.0, 2.0]])
    >>> L = kb.kronsum(L1, L2)
    >>> H = kb.funm(L, lambda lam: np.exp(-0.5 * lam))       # heat kernel e^{-L/2}
    >>> bool(np.allclose(H.to_dense(), sla.expm(-0.5 * L.to_dense())))
    True
    """
    op = as_operator(a, "funm")
    require_square(op, "funm")
    if not callable(func):
        raise TypeError(f"funm: func must be callable, got {type(func).__name__}")
    return _funm_rules(op, func)


def spectral_operator(v: AbstractLinearOperator, values: Array) -> AbstractLinearOperator:
    """``V diag(values) Vᴴ`` as a lazy product."""
    from ..operators._dense import Diagonal

    return Product((v, Diagonal(values), v.H))
