"""``Graph``: an undirected weighted graph whose adjacency and Laplacians are operators.

Conventions (stated once):

- A graph on ``n`` vertices is its symmetric, non-negative ``n × n``
  adjacency matrix ``A`` (a self-loop is a diagonal entry).  Its degrees are
  the row sums ``d = A 1``, ``D = diag(d)``.
- Combinatorial Laplacian ``L = D − A``; normalized Laplacian
  ``D^{-1/2} L D^{-1/2}``, with ``D^{-1/2}`` set to 0 at a vertex of degree 0
  (as ``networkx.normalized_laplacian_matrix`` does).
- Vertices of a product graph are tuples ``(v₁, …, v_K)`` numbered row-major
  (the last factor fastest), which is ``numpy.kron``'s order: a signal on a
  ``grid(n₁, n₂)`` is ``X.ravel()`` for ``X`` of shape ``(n₁, n₂)``.

Products, for factors with adjacencies ``Aᵢ`` and degrees ``dᵢ``
(``⊕`` the Kronecker sum, ``⊗`` the Kronecker product):

============  ======================  ==================  ==========================
product       adjacency               degrees             Laplacian ``D − A``
============  ======================  ==================  ==========================
Cartesian □   ``⊕Aᵢ``                 ``⊕dᵢ``             ``⊕Lᵢ`` (a ``KroneckerSum``)
tensor ×      ``⊗Aᵢ``                 ``⊗dᵢ``             ``⊗Dᵢ − ⊗Aᵢ``
strong ⊠      ``⊗(Aᵢ + I) − I``       ``⊗(dᵢ + 1) − 1``   ``⊗(Dᵢ + I) − ⊗(Aᵢ + I)``
============  ======================  ==================  ==========================

For two factors the strong adjacency is ``A⊗I + I⊗B + A⊗B = (A⊕B) + A⊗B``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, final

import numpy as np
import scipy.sparse as sp

import kronblock as kb

__all__ = [
    "Graph",
    "cartesian",
    "complete",
    "cycle",
    "from_adjacency",
    "grid",
    "path",
    "star",
    "strong",
    "tensor",
    "torus",
]

Array = Any
Operator = Any  # a kronblock operator (kb.AbstractLinearOperator)
ProductKind = Literal["cartesian", "tensor", "strong"]

_SYMBOL = {"cartesian": " □ ", "tensor": " × ", "strong": " ⊠ "}
_HERMITIAN = frozenset({"hermitian"})


@final
@dataclass(frozen=True, eq=False, repr=False)
class Graph:
    """An undirected weighted graph held as operators.

    Build one with :func:`path`, :func:`cycle`, :func:`complete`,
    :func:`star`, :func:`grid`, :func:`torus`, :func:`from_adjacency`, or the
    products :func:`cartesian`, :func:`tensor` and :func:`strong`.

    Parameters
    ----------
    adjacency : operator or array (n, n)
        The symmetric non-negative adjacency matrix ``A``; kept in the form
        given (``Dense``, ``Sparse``, a lazy Kronecker sum or product...).
        Not validated here: :func:`from_adjacency` validates arrays.
    degrees : array (n,), optional
        The row sums ``A 1``; computed when left out.
    factors : tuple of Graph
        The factor graphs of a product graph; empty otherwise.
    product : {"cartesian", "tensor", "strong"} or None
        Which product of ``factors`` this graph is (``None`` for none).
    name : str
        Used in ``repr``.

    Attributes
    ----------
    n : int
        The number of vertices.
    dims : tuple of int
        The vertex index shape: ``(n,)``, or the factors' ``dims`` joined for
        a product graph (``grid(3, 4).dims == (3, 4)``).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> from kronblock import graphs
    >>> G = graphs.grid(3, 4)                       # path(3) □ path(4): 12 vertices
    >>> L = G.laplacian()                           # L = L_path(3) ⊕ L_path(4), never formed
    >>> isinstance(L, kb.KroneckerSum)
    True
    >>> d = G.degrees
    >>> bool(np.allclose(L.to_dense(), np.diag(d) - G.adjacency.to_dense()))
    True
    """

    adjacency: Operator
    degrees: Array = None
    factors: tuple[Graph, ...] = ()
    product: ProductKind | None = None
    name: str = "graph"

    def __post_init__(self) -> None:
        a = kb.aslinearoperator(self.adjacency)
        if a.shape[0] != a.shape[1]:
            raise ValueError(f"Graph: the adjacency matrix must be square, got shape {a.shape}")
        n = a.shape[0]
        if n == 0:
            raise ValueError("Graph: a graph needs at least one vertex (got a 0 × 0 adjacency)")
        object.__setattr__(self, "adjacency", a)
        if self.degrees is None:
            # d = A 1: one product with the operator
            ones = a.xp.ones((n,), dtype=a.dtype, device=a.device)
            object.__setattr__(self, "degrees", a @ ones)
        elif tuple(self.degrees.shape) != (n,):
            raise ValueError(
                f"Graph: degrees must have shape ({n},) for {n} vertices, "
                f"got {tuple(self.degrees.shape)}"
            )
        object.__setattr__(self, "factors", tuple(self.factors))
        if self.product not in (None, "cartesian", "tensor", "strong"):
            raise ValueError(
                f"Graph: product must be 'cartesian', 'tensor', 'strong' or None, "
                f"got {self.product!r}"
            )
        if (self.product is None) != (not self.factors):
            raise ValueError("Graph: give factors together with the product they form")
        if self.factors and math.prod(f.n for f in self.factors) != n:
            raise ValueError(
                f"Graph: the factors have {math.prod(f.n for f in self.factors)} vertices in "
                f"all, the adjacency {n}"
            )

    # ---- what it is ---------------------------------------------------------
    @property
    def n(self) -> int:
        """The number of vertices."""
        return int(self.adjacency.shape[0])

    @property
    def dims(self) -> tuple[int, ...]:
        """The vertex index shape (row-major numbering of product vertices)."""
        if not self.factors:
            return (self.n,)
        return tuple(d for f in self.factors for d in f.dims)

    @property
    def is_regular(self) -> bool:
        """True when every vertex has the same degree (exact comparison)."""
        xp, d = self.adjacency.xp, self.degrees
        return bool(xp.all(d == d[0]))

    def __repr__(self) -> str:
        return f"Graph({self.name}, n={self.n})"

    # ---- Laplacians ---------------------------------------------------------
    def laplacian(self, normalized: bool = False) -> Operator:
        """The Laplacian ``L = D − A``, or ``D^{-1/2} L D^{-1/2}`` if ``normalized``.

        Kept structured, ``N × N`` with ``N = n``:

        - a graph given by its matrix: a matrix of the same kind (``Sparse``
          or ``Dense``, tagged Hermitian when the adjacency is);
        - Cartesian product: ``L = L₁ ⊕ L₂ ⊕ …``, a
          :class:`~kronblock.KroneckerSum`, so ``kb.solve``, ``kb.eigh``,
          ``kb.funm`` and ``kb.expm`` work through the factors.  Normalized:
          ``D = diag(d₁ ⊕ d₂ ⊕ …)`` is a Kronecker sum too, and
          ``D^{-1/2} L D^{-1/2}`` is the lazy product
          ``diag(s) @ (⊕Lᵢ) @ diag(s)``; for regular factors (degrees
          ``cᵢ``) ``D = c I`` with ``c = Σcᵢ`` and it is the Kronecker sum
          ``(L₁/c) ⊕ (L₂/c) ⊕ …``;
        - tensor product: ``⊗Dᵢ − ⊗Aᵢ``; normalized
          ``⊗Pᵢ − ⊗(Dᵢ^{-1/2} Aᵢ Dᵢ^{-1/2})`` with ``Pᵢ = diag(dᵢ > 0)``
          (``I − ⊗Âᵢ`` without isolated vertices): two Kronecker products;
        - strong product: ``⊗(Dᵢ + I) − ⊗(Aᵢ + I)``; normalized
          ``diag(s) @ L @ diag(s)`` (``L / c`` for a ``c``-regular product).

        Parameters
        ----------
        normalized : bool
            ``D^{-1/2} L D^{-1/2}`` (``D^{-1/2} = 0`` at isolated vertices).

        Examples
        --------
        >>> import numpy as np, kronblock as kb
        >>> from kronblock import graphs
        >>> T = graphs.torus(3, 4)                       # cycle(3) □ cycle(4): 4-regular
        >>> N = T.laplacian(normalized=True)
        >>> isinstance(N, kb.KroneckerSum)               # (L₁/4) ⊕ (L₂/4)
        True
        >>> bool(np.allclose(N.to_dense(), T.laplacian().to_dense() / 4))
        True
        """
        if self.product == "cartesian":
            return _cartesian_laplacian(self, normalized)
        if self.product == "tensor":
            return _tensor_laplacian(self, normalized)
        if self.product == "strong":
            return _strong_laplacian(self, normalized)
        return _matrix_laplacian(self.adjacency, self.degrees, normalized)


# ---- helpers on the factor matrices ------------------------------------------------
def _inv_sqrt(xp: Any, d: Array) -> Array:
    """``d^{-1/2}`` elementwise, 0 where ``d = 0`` (isolated vertices)."""
    positive = d > 0
    safe = xp.where(positive, d, xp.ones_like(d))
    return xp.where(positive, 1 / xp.sqrt(safe), xp.zeros_like(d))


def _diag_array(xp: Any, d: Array, device: Any) -> Array:
    """The dense ``diag(d)`` (n × n) in ``d``'s library."""
    n = d.shape[0]
    return xp.eye(n, dtype=d.dtype, device=device) * d[None, :]


def _matrix_laplacian(a: Operator, d: Array, normalized: bool) -> Operator:
    """``L = D − A`` (or ``S L S``, ``S = D^{-1/2}``) kept in ``A``'s storage."""
    tags = _HERMITIAN & a.tags
    xp = a.xp
    s = _inv_sqrt(xp, d) if normalized else None
    if isinstance(a, kb.Sparse):
        m = sp.csr_array(sp.diags(d)) - a.matrix  # (n, n) sparse
        if s is not None:
            m = sp.csr_array(sp.diags(s)) @ m @ sp.csr_array(sp.diags(s))
        return kb.aslinearoperator(sp.csr_array(m), tags=tags)
    if isinstance(a, kb.Dense):
        m = _diag_array(xp, d, a.device) - a.array
        if s is not None:
            m = s[:, None] * m * s[None, :]  # (S L S)ᵢⱼ = sᵢ Lᵢⱼ sⱼ
        return kb.aslinearoperator(m, tags=tags)
    lap = kb.diag(d) - a  # any other operator: lazy
    return kb.diag(s) @ lap @ kb.diag(s) if s is not None else lap


def _plus_identity(a: Operator) -> Operator:
    """``A + I`` kept in ``A``'s storage (lazy for structured ``A``)."""
    n = a.shape[0]
    tags = _HERMITIAN & a.tags
    if isinstance(a, kb.Sparse):
        return kb.aslinearoperator(
            sp.csr_array(a.matrix + sp.csr_array(sp.identity(n, dtype=a.dtype))), tags=tags
        )
    if isinstance(a, kb.Dense):
        return kb.aslinearoperator(a.array + a.xp.eye(n, dtype=a.dtype, device=a.device), tags=tags)
    return a + kb.identity(n)


def _normalized_adjacency(a: Operator, d: Array) -> Operator:
    """``Â = D^{-1/2} A D^{-1/2}`` kept in ``A``'s storage (lazy for structured ``A``)."""
    xp = a.xp
    s = _inv_sqrt(xp, d)
    tags = _HERMITIAN & a.tags
    if isinstance(a, kb.Sparse):
        m = sp.csr_array(sp.diags(s)) @ a.matrix @ sp.csr_array(sp.diags(s))
        return kb.aslinearoperator(sp.csr_array(m), tags=tags)
    if isinstance(a, kb.Dense):
        return kb.aslinearoperator(s[:, None] * a.array * s[None, :], tags=tags)
    return kb.diag(s) @ a @ kb.diag(s)


def _scaled(a: Operator, c: float) -> Operator:
    """``c A`` kept in ``A``'s storage (``Scaled`` for structured ``A``)."""
    tags = _HERMITIAN & a.tags
    if isinstance(a, kb.Sparse):
        return kb.aslinearoperator(sp.csr_array(a.matrix * c), tags=tags)
    if isinstance(a, kb.Dense):
        return kb.aslinearoperator(a.array * c, tags=tags)
    return c * a


def _outer(xp: Any, vectors: Sequence[Array], op: str) -> Array:
    """``v₁ ⊕ v₂ ⊕ …`` (``op="add"``) or ``v₁ ⊗ v₂ ⊗ …`` (``"mul"``), row-major: ``(Πnᵢ,)``."""
    out = vectors[0]
    for v in vectors[1:]:
        grid = out[:, None] + v[None, :] if op == "add" else out[:, None] * v[None, :]
        out = xp.reshape(grid, (-1,))
    return out


# ---- product Laplacians ---------------------------------------------------------------
def _cartesian_laplacian(g: Graph, normalized: bool) -> Operator:
    # L(G₁ □ G₂ □ …) = L₁ ⊕ L₂ ⊕ … (N × N, N = Πnᵢ): the factors' Laplacians, Kronecker-summed
    laps = [f.laplacian() for f in g.factors]
    if not normalized:
        return kb.kronsum(*laps)
    if all(f.is_regular for f in g.factors):
        c = sum(float(f.degrees[0]) for f in g.factors)
        if c > 0:
            # D = c I: D^{-1/2} (⊕Lᵢ) D^{-1/2} = (⊕Lᵢ)/c = ⊕(Lᵢ/c), still a Kronecker sum
            return kb.kronsum(*(_scaled(lap, 1.0 / c) for lap in laps))
    # D = diag(d₁ ⊕ d₂ ⊕ …): diagonal but not a Kronecker sum of scalings; lazy S (⊕Lᵢ) S
    s = kb.diag(_inv_sqrt(g.adjacency.xp, g.degrees))
    return s @ kb.kronsum(*laps) @ s


def _tensor_laplacian(g: Graph, normalized: bool) -> Operator:
    xp = g.adjacency.xp
    if not normalized:
        # D − A = ⊗Dᵢ − ⊗Aᵢ (a Kronecker product of diagonals minus a Kronecker product)
        d = kb.kron(*(kb.diag(f.degrees) for f in g.factors))
        return d - kb.kron(*(f.adjacency for f in g.factors))
    # D^{-1/2}(D − A)D^{-1/2} = ⊗(Sᵢ Dᵢ Sᵢ) − ⊗(Sᵢ Aᵢ Sᵢ), Sᵢ = Dᵢ^{-1/2}, Sᵢ Dᵢ Sᵢ = diag(dᵢ > 0)
    hat = kb.kron(*(_normalized_adjacency(f.adjacency, f.degrees) for f in g.factors))
    if all(bool(xp.all(f.degrees > 0)) for f in g.factors):
        return kb.identity(g.n) - hat
    ps = [xp.astype(f.degrees > 0, f.degrees.dtype) for f in g.factors]
    return kb.kron(*(kb.diag(p) for p in ps)) - hat


def _strong_laplacian(g: Graph, normalized: bool) -> Operator:
    # D − A = diag(⊗(dᵢ + 1) − 1) − (⊗(Aᵢ + I) − I) = ⊗(Dᵢ + I) − ⊗(Aᵢ + I)
    lap = kb.kron(*(kb.diag(f.degrees + 1) for f in g.factors)) - kb.kron(
        *(_plus_identity(f.adjacency) for f in g.factors)
    )
    if not normalized:
        return lap
    if g.is_regular and float(g.degrees[0]) > 0:
        return (1.0 / float(g.degrees[0])) * lap  # D = c I
    s = kb.diag(_inv_sqrt(g.adjacency.xp, g.degrees))
    return s @ lap @ s


# ---- graphs from their matrices -------------------------------------------------------
def _check_size(n: Any, where: str, least: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < least:
        raise ValueError(f"{where}: n must be an int ≥ {least}, got {n!r}")
    return int(n)


def _from_edges(n: int, rows: np.ndarray, cols: np.ndarray, sparse: bool, name: str) -> Graph:
    """The unweighted graph with edges ``{rows[k], cols[k]}`` (each listed once)."""
    w = np.ones(rows.size)
    a = sp.coo_array((np.r_[w, w], (np.r_[rows, cols], np.r_[cols, rows])), shape=(n, n))
    a = sp.csr_array(a)
    d = np.asarray(a.sum(axis=1)).ravel()  # (n,)
    op = kb.aslinearoperator(a if sparse else a.toarray(), tags=_HERMITIAN)
    return Graph(op, d, name=name)


def path(n: int, *, sparse: bool = True) -> Graph:
    """The path graph ``0 — 1 — … — (n−1)``.

    Its Laplacian is tridiagonal with diagonal ``(1, 2, …, 2, 1)`` and
    eigenvalues ``2 − 2cos(πk/n)``, ``k = 0, …, n−1``.

    Parameters
    ----------
    n : int ≥ 1
        The number of vertices.
    sparse : bool
        Hold the adjacency as ``scipy.sparse`` (:class:`~kronblock.Sparse`);
        ``False``: a dense array (:class:`~kronblock.Dense`).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> from kronblock import graphs
    >>> L = graphs.path(4).laplacian().to_dense()
    >>> bool(np.array_equal(L, [[1, -1, 0, 0], [-1, 2, -1, 0], [0, -1, 2, -1], [0, 0, -1, 1]]))
    True
    """
    n = _check_size(n, "path")
    i = np.arange(n - 1)
    return _from_edges(n, i, i + 1, sparse, f"path({n})")


def cycle(n: int, *, sparse: bool = True) -> Graph:
    """The cycle graph ``0 — 1 — … — (n−1) — 0`` (``n ≥ 3``): 2-regular.

    Laplacian eigenvalues ``2 − 2cos(2πk/n)``, ``k = 0, …, n−1``.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> from kronblock import graphs
    >>> w = kb.eigvalsh(graphs.cycle(6).laplacian())
    >>> bool(np.allclose(w, np.sort(2 - 2 * np.cos(2 * np.pi * np.arange(6) / 6))))
    True
    """
    n = _check_size(n, "cycle", least=3)
    i = np.arange(n)
    return _from_edges(n, i, (i + 1) % n, sparse, f"cycle({n})")


def complete(n: int, *, sparse: bool = False) -> Graph:
    """The complete graph on ``n`` vertices: ``A = J − I``, Laplacian ``n I − J``.

    Laplacian eigenvalues: 0 once, ``n`` with multiplicity ``n − 1``.  Held
    dense by default (it has ``n(n−1)/2`` edges).

    Examples
    --------
    >>> import numpy as np
    >>> from kronblock import graphs
    >>> bool(np.allclose(graphs.complete(3).laplacian().to_dense(), 3 * np.eye(3) - 1))
    True
    """
    n = _check_size(n, "complete")
    rows, cols = np.triu_indices(n, k=1)
    return _from_edges(n, rows, cols, sparse, f"complete({n})")


def star(n: int, *, sparse: bool = True) -> Graph:
    """The star on ``n`` vertices: vertex 0 joined to each of ``1, …, n−1``.

    Note ``n`` counts all vertices, so this is ``networkx.star_graph(n - 1)``.
    Laplacian eigenvalues: 0, 1 (multiplicity ``n − 2``) and ``n``.

    Examples
    --------
    >>> import numpy as np
    >>> from kronblock import graphs
    >>> G = graphs.star(4)
    >>> bool(np.array_equal(G.degrees, [3, 1, 1, 1]))
    True
    """
    n = _check_size(n, "star")
    leaves = np.arange(1, n)
    return _from_edges(n, np.zeros_like(leaves), leaves, sparse, f"star({n})")


def from_adjacency(a: Any, *, name: str = "graph") -> Graph:
    """The undirected weighted graph with adjacency matrix ``a``.

    Parameters
    ----------
    a : array (n, n) or scipy.sparse matrix/array
        Symmetric, real, finite and non-negative; ``a[i, j]`` is the weight of
        edge ``{i, j}`` and a diagonal entry is a self-loop (counted once in
        the degree ``d = a 1``).  Arrays of any array-API library are kept in
        their library (``Dense``); ``scipy.sparse`` stays sparse (``Sparse``).
        Boolean and integer arrays become float64.  An asymmetry at rounding
        level (``max|a − aᵀ| ≤ 100·eps·max|a|``) is removed by
        ``(a + aᵀ)/2``.
    name : str
        Used in ``repr``.

    Raises
    ------
    ValueError
        If ``a`` is not square, not symmetric, has a negative or non-finite
        entry.
    TypeError
        If ``a`` is complex or not an array.

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> from kronblock import graphs
    >>> W = np.array([[0.0, 2.0, 0.0], [2.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    >>> G = graphs.from_adjacency(W)
    >>> bool(np.array_equal(G.degrees, [2.0, 3.0, 1.0]))
    True
    >>> bool(np.allclose(G.laplacian().to_dense(), np.diag(W.sum(1)) - W))
    True
    """
    if sp.issparse(a):
        return _from_sparse(a, name)
    if isinstance(a, (list, tuple)):
        a = np.asarray(a)
    if isinstance(a, kb.AbstractLinearOperator):
        raise TypeError(
            "from_adjacency: expected an array or scipy.sparse matrix, got an operator; "
            "build Graph(adjacency=op) directly for an operator you know to be symmetric"
        )
    if not hasattr(a, "shape"):
        raise TypeError(
            f"from_adjacency: expected an array or scipy.sparse matrix, got {type(a).__name__}"
        )
    shape = tuple(a.shape)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"from_adjacency: expected a square (n, n) array, got shape {shape}")
    xp = kb.aslinearoperator(a).xp  # the array's library (TypeError for non-arrays)
    if xp.isdtype(a.dtype, "complex floating"):
        raise TypeError(
            f"from_adjacency: an adjacency matrix is real, got dtype {a.dtype}; "
            f"pass the real weights (e.g. abs(a) or a.real)"
        )
    if not xp.isdtype(a.dtype, "real floating"):
        a = xp.astype(a, xp.float64)
    if a.shape[0] == 0:
        raise ValueError("from_adjacency: a graph needs at least one vertex, got shape (0, 0)")
    if not bool(xp.all(xp.isfinite(a))):
        raise ValueError("from_adjacency: the adjacency matrix has NaN or infinite entries")
    low = float(xp.min(a))
    if low < 0:
        raise ValueError(
            f"from_adjacency: edge weights must be non-negative; the smallest entry is {low:.3g}"
        )
    asym = float(xp.max(xp.abs(a - xp.matrix_transpose(a))))
    if asym > 0:
        top = float(xp.max(a))
        _check_symmetric(asym, top, float(xp.finfo(a.dtype).eps))
        a = (a + xp.matrix_transpose(a)) / 2
    d = xp.sum(a, axis=1)  # (n,)
    return Graph(kb.aslinearoperator(a, tags=_HERMITIAN), d, name=name)


def _check_symmetric(asym: float, top: float, eps: float) -> None:
    if asym > 100 * eps * top:
        raise ValueError(
            f"from_adjacency: the adjacency matrix of an undirected graph must be symmetric; "
            f"max |a - a.T| = {asym:.3g} (largest weight {top:.3g}); pass (a + a.T) / 2 for "
            f"the undirected graph with the averaged weights"
        )


def _from_sparse(a: Any, name: str) -> Graph:
    m = sp.csr_array(a)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"from_adjacency: expected a square (n, n) matrix, got shape {m.shape}")
    if m.dtype.kind == "c":
        raise TypeError(
            f"from_adjacency: an adjacency matrix is real, got dtype {m.dtype}; "
            f"pass the real weights (e.g. abs(a) or a.real)"
        )
    if m.dtype.kind != "f":
        m = m.astype(np.float64)
    if m.shape[0] == 0:
        raise ValueError("from_adjacency: a graph needs at least one vertex, got shape (0, 0)")
    if not np.all(np.isfinite(m.data)):
        raise ValueError("from_adjacency: the adjacency matrix has NaN or infinite entries")
    if m.nnz and m.data.min() < 0:
        raise ValueError(
            f"from_adjacency: edge weights must be non-negative; the smallest entry is "
            f"{m.data.min():.3g}"
        )
    diff = abs(m - m.T)
    asym = float(diff.max()) if diff.nnz else 0.0
    if asym > 0:
        _check_symmetric(asym, float(m.data.max()), float(np.finfo(m.dtype).eps))
        m = sp.csr_array((m + m.T) / 2)
    d = np.asarray(m.sum(axis=1)).ravel()  # (n,)
    return Graph(kb.aslinearoperator(m, tags=_HERMITIAN), d, name=name)


# ---- products -------------------------------------------------------------------------
def _factors_of(graphs: Sequence[Any], kind: ProductKind, where: str) -> list[Graph]:
    if not graphs:
        raise ValueError(f"{where}: needs at least one graph")
    out: list[Graph] = []
    for i, g in enumerate(graphs):
        if not isinstance(g, Graph):
            raise TypeError(
                f"{where}: argument {i} is a {type(g).__name__}, expected a Graph "
                f"(use graphs.from_adjacency for a matrix)"
            )
        # all three products are associative: flatten nested products of the same kind
        out.extend(g.factors if g.product == kind else (g,))
    return out


def _name(factors: Sequence[Graph], kind: ProductKind) -> str:
    return _SYMBOL[kind].join(
        f"({f.name})" if f.product not in (None, kind) else f.name for f in factors
    )


def cartesian(*graphs: Graph) -> Graph:
    """The Cartesian product ``G₁ □ G₂ □ …``.

    ``(u₁, …) ~ (v₁, …)`` when they differ in exactly one position ``i`` and
    ``uᵢ ~ vᵢ`` in ``Gᵢ``.  Adjacency ``⊕Aᵢ``, degrees ``⊕dᵢ`` (all the sums
    ``d₁[i] + d₂[j] + …``), Laplacian ``⊕Lᵢ`` (a
    :class:`~kronblock.KroneckerSum`: eigenvalues ``λ₁ᵢ + λ₂ⱼ + …``).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> from kronblock import graphs
    >>> G, H = graphs.path(3), graphs.star(4)
    >>> P = graphs.cartesian(G, H)
    >>> LG, LH = G.laplacian().to_dense(), H.laplacian().to_dense()
    >>> bool(np.allclose(P.laplacian().to_dense(), np.kron(LG, np.eye(4)) + np.kron(np.eye(3), LH)))
    True
    >>> w = kb.eigvalsh(P.laplacian())                  # sums of factor eigenvalues
    >>> bool(np.allclose(w, np.sort(np.add.outer(kb.eigvalsh(LG), kb.eigvalsh(LH)).ravel())))
    True
    """
    factors = _factors_of(graphs, "cartesian", "cartesian")
    if len(factors) == 1:
        return factors[0]
    xp = factors[0].adjacency.xp
    a = kb.kronsum(*(f.adjacency for f in factors))
    d = _outer(xp, [f.degrees for f in factors], "add")  # d₁ ⊕ d₂ ⊕ …: (N,)
    return Graph(a, d, tuple(factors), "cartesian", _name(factors, "cartesian"))


def tensor(*graphs: Graph) -> Graph:
    """The tensor (Kronecker, direct, categorical) product ``G₁ × G₂ × …``.

    ``(u₁, …) ~ (v₁, …)`` when ``uᵢ ~ vᵢ`` in every ``Gᵢ``.  Adjacency
    ``⊗Aᵢ``, degrees ``⊗dᵢ``, Laplacian ``⊗Dᵢ − ⊗Aᵢ``.

    Examples
    --------
    >>> import numpy as np
    >>> from kronblock import graphs
    >>> G, H = graphs.path(3), graphs.cycle(4)
    >>> P = graphs.tensor(G, H)
    >>> A = np.kron(G.adjacency.to_dense(), H.adjacency.to_dense())
    >>> bool(np.allclose(P.laplacian().to_dense(), np.diag(A.sum(1)) - A))
    True
    """
    factors = _factors_of(graphs, "tensor", "tensor")
    if len(factors) == 1:
        return factors[0]
    xp = factors[0].adjacency.xp
    a = kb.kron(*(f.adjacency for f in factors))
    d = _outer(xp, [f.degrees for f in factors], "mul")  # d₁ ⊗ d₂ ⊗ …: (N,)
    return Graph(a, d, tuple(factors), "tensor", _name(factors, "tensor"))


def strong(*graphs: Graph) -> Graph:
    """The strong product ``G₁ ⊠ G₂ ⊠ …``.

    ``(u₁, …) ~ (v₁, …)`` when they differ and, in every position, ``uᵢ = vᵢ``
    or ``uᵢ ~ vᵢ``.  Adjacency ``⊗(Aᵢ + I) − I`` (for two factors
    ``A⊗I + I⊗B + A⊗B``, the Cartesian plus the tensor edges), degrees
    ``⊗(dᵢ + 1) − 1``, Laplacian ``⊗(Dᵢ + I) − ⊗(Aᵢ + I)``.

    Examples
    --------
    >>> import numpy as np
    >>> from kronblock import graphs
    >>> G, H = graphs.path(3), graphs.path(2)
    >>> A, B = G.adjacency.to_dense(), H.adjacency.to_dense()
    >>> S = graphs.strong(G, H).adjacency.to_dense()
    >>> bool(np.allclose(S, np.kron(A, np.eye(2)) + np.kron(np.eye(3), B) + np.kron(A, B)))
    True
    """
    factors = _factors_of(graphs, "strong", "strong")
    if len(factors) == 1:
        return factors[0]
    xp = factors[0].adjacency.xp
    n = math.prod(f.n for f in factors)
    a = kb.kron(*(_plus_identity(f.adjacency) for f in factors)) - kb.identity(n)
    d = _outer(xp, [f.degrees + 1 for f in factors], "mul") - 1  # ⊗(dᵢ + 1) − 1: (N,)
    return Graph(a, d, tuple(factors), "strong", _name(factors, "strong"))


def grid(*shape: int, periodic: bool | Sequence[bool] = False, sparse: bool = True) -> Graph:
    """The ``d``-dimensional grid graph on ``n₁ × n₂ × … × n_d`` vertices.

    The Cartesian product of paths (of cycles along ``periodic`` axes, which
    need ``nᵢ ≥ 3``).  Vertex ``(i₁, …, i_d)`` is number
    ``numpy.ravel_multi_index((i₁, …), shape)``; its Laplacian is the
    Kronecker sum of the path Laplacians, which is the Neumann
    second-difference operator of :func:`~kronblock.graphs.poisson_operator`.

    Parameters
    ----------
    *shape : int
        Vertices per axis.
    periodic : bool or sequence of bool
        Wrap around (all axes, or per axis).
    sparse : bool
        Factor adjacencies held as ``scipy.sparse`` (else dense).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> from kronblock import graphs
    >>> G = graphs.grid(4, 5, 6)
    >>> G.n, G.dims
    (120, (4, 5, 6))
    >>> lam = [2 - 2 * np.cos(np.pi * np.arange(n) / n) for n in (4, 5, 6)]
    >>> closed = np.sort(np.add.outer(np.add.outer(lam[0], lam[1]), lam[2]).ravel())
    >>> bool(np.allclose(kb.eigvalsh(G.laplacian()), closed))
    True
    """
    if not shape:
        raise ValueError("grid: give the number of vertices along each axis, e.g. grid(10, 20)")
    flags = [bool(periodic)] * len(shape) if isinstance(periodic, bool) else list(periodic)
    if len(flags) != len(shape):
        raise ValueError(
            f"grid: periodic has {len(flags)} entries for {len(shape)} axes; give one per axis "
            f"or a single bool"
        )
    axes = []
    for i, (n, wrap) in enumerate(zip(shape, flags)):
        n = _check_size(n, f"grid: axis {i}")
        if wrap and n < 3:
            raise ValueError(
                f"grid: axis {i} is periodic with {n} vertices; a periodic axis is a cycle, "
                f"which needs at least 3 (make the axis non-periodic)"
            )
        axes.append(cycle(n, sparse=sparse) if wrap else path(n, sparse=sparse))
    g = cartesian(*axes)
    kind = "torus" if all(flags) else "grid"
    return replace(g, name=f"{kind}({', '.join(str(a.n) for a in axes)})")


def torus(*shape: int, sparse: bool = True) -> Graph:
    """The ``d``-dimensional torus: ``grid(*shape, periodic=True)``, each ``nᵢ ≥ 3``.

    ``2d``-regular; Laplacian eigenvalues ``Σᵢ (2 − 2cos(2πkᵢ/nᵢ))``.

    Examples
    --------
    >>> from kronblock import graphs
    >>> T = graphs.torus(3, 4, 5)
    >>> T.n, T.is_regular, float(T.degrees[0])
    (60, True, 6.0)
    """
    return grid(*shape, periodic=True, sparse=sparse)
