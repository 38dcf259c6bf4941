"""Graphs whose adjacency and Laplacian matrices are lazy operators, and the grid Poisson solver.

Product graphs keep their structure: the Laplacian of a Cartesian product is
the Kronecker sum of the factors' Laplacians, so ``kb.solve``, ``kb.eigh``,
``kb.funm`` and ``kb.expm`` on it work through the (small) factors, never the
``N × N`` matrix.  Conventions (degrees, normalized Laplacian, vertex
numbering, the product formulas) are stated in :class:`Graph`'s module;
those of the Poisson problem in :func:`poisson_solve`.

- graphs: :func:`path`, :func:`cycle`, :func:`complete`, :func:`star`,
  :func:`from_adjacency`, :func:`grid`, :func:`torus`;
- products: :func:`cartesian`, :func:`tensor`, :func:`strong`;
- the discrete Poisson problem ``−Δ_h u = f`` with Dirichlet, Neumann or
  periodic boundaries: :func:`second_difference`, :func:`poisson_operator`,
  :func:`poisson_solve`.

Examples
--------
Heat diffusion ``e^{−tL} x`` on a 40 × 50 grid through the factors' eigendecompositions:

>>> import numpy as np, kronblock as kb
>>> from kronblock import graphs
>>> G = graphs.grid(40, 50)
>>> L = G.laplacian()                                  # L_path(40) ⊕ L_path(50)
>>> H = kb.funm(L, lambda lam: np.exp(-0.3 * lam))     # e^{-0.3 L}, lazy
>>> x = np.zeros(G.n); x[G.n // 2] = 1.0
>>> y = H @ x
>>> bool(np.isclose(y.sum(), 1.0))                     # heat is conserved: 1ᵀL = 0
True
"""

from ._graph import (
    Graph,
    cartesian,
    complete,
    cycle,
    from_adjacency,
    grid,
    path,
    star,
    strong,
    tensor,
    torus,
)
from ._poisson import BOUNDARIES, poisson_operator, poisson_solve, second_difference

__all__ = [
    "BOUNDARIES",
    "Graph",
    "cartesian",
    "complete",
    "cycle",
    "from_adjacency",
    "grid",
    "path",
    "poisson_operator",
    "poisson_solve",
    "second_difference",
    "star",
    "strong",
    "tensor",
    "torus",
]
