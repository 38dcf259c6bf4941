"""Regression on grids with Kronecker structure (an application of the public API).

- :func:`fit_separable`: a low-rank separable model ``F ≈ Σ_r a_r b_rᵀ`` fitted
  by alternating least squares to scattered observations on an ``NX × NY``
  grid (the seed's "multi-dimensional separable regression"), returning a
  :class:`SeparableFit`.

Two related least-squares problems are solved by the core library already:

- the per-cell model, whose design has rows ``e_xᵀ ⊗ e_yᵀ`` (a row-sampled
  Kronecker product), by ``kronblock.lstsq`` on the sampled Kronecker
  operator: the cell means, ``0`` on unobserved cells;
- ``min ‖(A ⊗ B) vec(X) − vec(C)‖`` by ``kronblock.lstsq(kronblock.kron(A, B),
  C.ravel())``, which is ``X = pinv(A) C pinv(B)ᵀ`` (row-major vec) through
  the factors' SVDs, for rectangular and rank-deficient factors alike.

>>> import numpy as np, kronblock as kb
>>> rng = np.random.default_rng(1)
>>> A, B, C = rng.normal(size=(5, 3)), rng.normal(size=(4, 2)), rng.normal(size=(5, 4))
>>> x = kb.lstsq(kb.kron(A, B), C.ravel())[0]
>>> bool(np.allclose(x.reshape(3, 2), np.linalg.pinv(A) @ C @ np.linalg.pinv(B).T))
True
"""

from ._separable import SeparableFit, fit_separable

__all__ = ["SeparableFit", "fit_separable"]
