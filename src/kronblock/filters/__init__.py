"""Image filters of ``scipy.ndimage`` as structured operators, and deblurring through them.

A 1-D filter with a boundary mode is an ``n × n`` matrix ``H`` (banded, plus a
few folded boundary entries); a separable filter on a ``d``-dimensional array
is the Kronecker product ``H₀ ⊗ H₁ ⊗ …`` acting on ``x.ravel()`` (row-major).
Every result here equals ``scipy.ndimage``'s, for all its boundary modes,
origins, even and odd kernels, and kernels longer than the signal.

- the index map of the boundary modes: :func:`extend_index`, :data:`MODES`;
- 1-D matrices: :func:`convolution_matrix` (lazy: sparse, Toeplitz,
  circulant), :func:`convolution_border` (the affine term of ``cval ≠ 0``);
- separable filtering: :func:`separable_filter` (fast, blocked, threaded,
  FFT for long kernels), :func:`filter_operator` (the lazy ``kron``);
- 2-D kernels: :func:`separable_decomposition` (SVD, truncation error);
- deblurring: :func:`tikhonov_deblur`, :class:`TikhonovDeblur` (exact
  Tikhonov through the factor SVDs, many ``λ`` cheaply).

Arrays are NumPy (lists accepted); other libraries raise a ``TypeError``
saying how to convert.

Examples
--------
>>> import numpy as np, scipy.ndimage as ndi
>>> from kronblock import filters
>>> x = np.random.default_rng(0).normal(size=(64, 48))
>>> g = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16
>>> y = filters.separable_filter(x, [g, g], mode="mirror")
>>> ref = ndi.convolve1d(ndi.convolve1d(x, g, 0, mode="mirror"), g, 1, mode="mirror")
>>> bool(np.allclose(y, ref))
True
>>> K = filters.filter_operator(x.shape, [g, g], mode="mirror")       # kron(H₀, H₁), lazy
>>> bool(np.allclose(K @ x.ravel(), y.ravel()))
True
"""

from ._boundary import MODES, OUTSIDE, extend_index
from ._convolution import convolution_border, convolution_matrix
from ._deblur import TikhonovDeblur, tikhonov_deblur
from ._separable import (
    SeparableDecomposition,
    filter_operator,
    separable_decomposition,
    separable_filter,
)

__all__ = [
    "MODES",
    "OUTSIDE",
    "SeparableDecomposition",
    "TikhonovDeblur",
    "convolution_border",
    "convolution_matrix",
    "extend_index",
    "filter_operator",
    "separable_decomposition",
    "separable_filter",
    "tikhonov_deblur",
]
