"""Exact Tikhonov deblurring of a separable blur, through the SVDs of its factors.

The blur is ``H = H₀ ⊗ H₁ ⊗ … ⊗ H_{d−1}`` acting on ``x.ravel()`` (row-major:
``(H₀ ⊗ H₁) vec(X) = vec(H₀ X H₁ᵀ)``), ``H_a`` of shape ``m_a × n_a``.  With the
thin SVDs ``H_a = U_a diag(s_a) V_aᴴ``, ``H = (⊗U_a) diag(⊗s_a) (⊗V_a)ᴴ`` and the
minimiser of ``‖H x − y‖² + λ‖x‖²``, ``x = (HᴴH + λI)⁻¹ Hᴴ y``, is

    X = Ŷ ×_a V_a,   Ŷ = (Y ×_a U_aᴴ) ∘ S / (S² + λ),   S[i₀, i₁, …] = s₀[i₀] · s₁[i₁] · …

(``×_a M`` multiplies axis ``a`` by ``M``; in 2-D: ``X = V₀ [(U₀ᴴ Y Ū₁) ∘ S/(S²+λ)] V₁ᵀ``).
The SVDs (``O(Σ m_a n_a min(m_a, n_a))``) and the projection ``Y ×_a U_aᴴ``
(``O(N Σ_a k_a)``) are done once; each ``λ`` then costs one elementwise filter
and the back-projection ``O(N Σ_a n_a)``.  Nothing of size ``N × N`` is formed.

``λ = 0`` is the least-squares solution ``H⁺ y``, defined only when ``H`` has
full column rank: otherwise :class:`kronblock.LinAlgError` is raised (a
numerical user expects a singular blur to be reported, not a silently huge or
arbitrary answer); regularize with ``λ > 0``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from .._errors import LinAlgError
from .._operator import AbstractLinearOperator
from ..operators._kronecker import Kronecker
from ._boundary import as_kernel, check_numpy
from ._convolution import convolution_matrix
from ._separable import _per_axis

__all__ = ["TikhonovDeblur", "tikhonov_deblur"]


def _mode_product(t: np.ndarray, m: np.ndarray, axis: int) -> np.ndarray:
    """``t ×_axis m``: ``out[…, i, …] = Σ_j m[i, j] · t[…, j, …]``."""
    return np.moveaxis(np.tensordot(m, t, axes=(1, axis)), 0, axis)


def _check_lam(lam: Any, where: str) -> float:
    if isinstance(lam, np.ndarray) and lam.ndim == 0:  # a NumPy scalar array counts as a number
        lam = lam[()]
    if isinstance(lam, bool) or not isinstance(lam, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"{where}: lam must be a real number >= 0, got {type(lam).__name__} {lam!r}"
        )
    lam = float(lam)
    if not (lam >= 0 and math.isfinite(lam)):
        raise ValueError(f"{where}: lam must be finite and >= 0 (the Tikhonov weight), got {lam}")
    return lam


class TikhonovDeblur:
    """The Tikhonov problem ``min ‖(H₀ ⊗ H₁ ⊗ …) x − y‖² + λ‖x‖²`` for many ``λ``.

    Construction does the factor SVDs and the projection of ``y`` once;
    :meth:`solve`, :meth:`residual_norm` and :meth:`solution_norm` then cost
    ``O(N Σ n_a)``, ``O(N)`` and ``O(N)`` per ``λ`` (see the module text).

    Parameters
    ----------
    blurred : array_like (NumPy)
        ``y`` as an array of shape ``(m₀, m₁, …)``, one axis per factor.
    operators_or_kernels : sequence, or a kronblock ``Kronecker``
        One entry per axis: a 1-D kernel (the ``m_a × m_a`` convolution
        matrix with ``mode``/``correlate``/``origin``, as
        :func:`~kronblock.filters.convolution_matrix`), or a 2-D matrix or
        kronblock operator of shape ``m_a × n_a`` (rectangular allowed), or
        ``None`` (the identity).  A ``Kronecker`` operator (e.g. from
        :func:`~kronblock.filters.filter_operator`) gives its factors.
    mode, correlate, origin
        For the 1-D kernels, as in :func:`~kronblock.filters.separable_filter`.

    Attributes
    ----------
    singular_values : tuple of numpy.ndarray
        ``s_a`` per factor, descending.
    shape : tuple of int
        The shape ``(n₀, n₁, …)`` of the solution.

    Notes
    -----
    Computes in float64 (complex128 for complex data) and returns the input's
    precision: float32 in, float32 out.  Factors are formed densely (``m_a ×
    n_a``, ``m_a`` up to a few thousand).
    """

    def __init__(
        self,
        blurred: Any,
        operators_or_kernels: Any,
        *,
        mode: str | Sequence[str] = "reflect",
        correlate: bool = False,
        origin: int | Sequence[int] = 0,
    ) -> None:
        where = "TikhonovDeblur"
        check_numpy(blurred, where, "blurred")
        y = np.asarray(blurred)
        if y.dtype.kind not in "biufc":
            raise TypeError(f"{where}: blurred must be numeric, got dtype {y.dtype}")
        if y.ndim == 0 or y.size == 0:
            raise ValueError(f"{where}: blurred must be a non-empty array, got shape {y.shape}")
        d = y.ndim
        entries = operators_or_kernels
        if isinstance(entries, Kronecker):
            entries = list(entries.factors)
        if isinstance(entries, (np.ndarray, AbstractLinearOperator)) or not isinstance(
            entries, (list, tuple)
        ):
            raise TypeError(
                f"{where}: operators_or_kernels must be a list with one kernel or matrix per "
                f"axis of blurred ({d}), or a kronblock Kronecker operator; got "
                f"{type(entries).__name__}"
            )
        if len(entries) != d:
            raise ValueError(
                f"{where}: {len(entries)} factors for blurred of shape {y.shape}; give one "
                f"per axis (None for the identity)"
            )
        modes = _per_axis(mode, d, "mode", where, (str,))
        origins = _per_axis(origin, d, "origin", where, (int,))
        mats: list[np.ndarray] = []
        complex_ = y.dtype.kind == "c"
        for a, e in enumerate(entries):
            m_a = int(y.shape[a])
            if e is None:
                mat = np.eye(m_a)
            elif isinstance(e, AbstractLinearOperator):
                mat = np.asarray(e.to_dense())
            else:
                check_numpy(e, where, f"factor {a}")
                arr = np.asarray(e)
                if arr.ndim == 1:
                    k = as_kernel(arr, where, f"kernel {a}")
                    mat = np.asarray(
                        convolution_matrix(
                            k,
                            m_a,
                            mode=modes[a],
                            correlate=correlate,
                            origin=origins[a],
                            method="sparse",
                        ).to_dense()
                    )
                elif arr.ndim == 2:
                    if arr.dtype.kind not in "biufc":
                        raise TypeError(f"{where}: factor {a} must be numeric, got {arr.dtype}")
                    mat = arr
                else:
                    raise ValueError(
                        f"{where}: factor {a} must be a 1-D kernel or a 2-D matrix, got "
                        f"shape {arr.shape}"
                    )
            if mat.shape[0] != m_a:
                raise ValueError(
                    f"{where}: factor {a} has shape {mat.shape} but blurred has {m_a} rows "
                    f"along axis {a} (shape {y.shape}); factor a must be m_a × n_a with "
                    f"m_a = blurred.shape[a]"
                )
            complex_ = complex_ or mat.dtype.kind == "c"
            mats.append(mat)
        work = np.complex128 if complex_ else np.float64
        self._out_dtype = (
            np.result_type(y.dtype, np.complex64) if complex_ and y.dtype.kind != "c" else y.dtype
        )
        if np.dtype(self._out_dtype).kind in "biu":
            self._out_dtype = np.dtype(np.float64)
        us, ss, vs = [], [], []
        for mat in mats:
            u, s, vh = np.linalg.svd(mat.astype(work), full_matrices=False)
            us.append(u)
            ss.append(s)
            vs.append(vh.conj().T)  # V_a: n_a × k_a
        self._u, self._v = us, vs
        self.singular_values: tuple[np.ndarray, ...] = tuple(ss)
        self.shape: tuple[int, ...] = tuple(int(m.shape[1]) for m in mats)
        self._factor_shapes = [m.shape for m in mats]
        yw = y.astype(work)
        proj = yw
        for a, u in enumerate(us):
            proj = _mode_product(proj, u.conj().T, a)  # Ŷ = Y ×_a U_aᴴ, shape (k₀, k₁, …)
        self._proj = proj
        # S = s₀ ⊗ s₁ ⊗ … as a broadcast outer product, shape (k₀, k₁, …)
        s_all = np.ones((1,) * d)
        for a, s in enumerate(ss):
            s_all = s_all * s.reshape([-1 if b == a else 1 for b in range(d)])
        self._s = s_all
        # ‖y‖² − ‖Ŷ‖²: the part of y outside range(⊗U_a) (rectangular factors), ≥ 0
        self._outside2 = max(0.0, float(np.vdot(yw, yw).real - np.vdot(proj, proj).real))

    # ---- per-λ quantities --------------------------------------------------------------
    def _check_full_rank(self, where: str) -> None:
        for a, (s, (m, n)) in enumerate(zip(self.singular_values, self._factor_shapes)):
            tol = max(m, n) * np.finfo(np.float64).eps * (float(s[0]) if s.size else 0.0)
            rank = int(np.sum(s > tol))
            if rank < n:
                smallest = float(s[-1]) if s.size else 0.0
                raise LinAlgError(
                    f"{where}: lam=0 needs a blur of full column rank, but factor {a} "
                    f"({m} × {n}) has numerical rank {rank} (smallest singular value "
                    f"{smallest:.3g}); the least-squares solution is not unique. Use lam > 0 "
                    f"(Tikhonov regularization)"
                )

    def _filter(self, lam: float, where: str) -> np.ndarray:
        if lam == 0:
            self._check_full_rank(where)
            return 1.0 / self._s
        return self._s / (self._s**2 + lam)

    def solve(self, lam: float) -> np.ndarray:
        """The minimiser ``x`` of ``‖H x − y‖² + λ‖x‖²``, shape :attr:`shape`.

        Raises :class:`kronblock.LinAlgError` for ``lam = 0`` when ``H`` does
        not have full column rank.
        """
        where = "TikhonovDeblur.solve"
        lam = _check_lam(lam, where)
        x = self._proj * self._filter(lam, where)
        for a, v in enumerate(self._v):
            x = _mode_product(x, v, a)  # X = Ŷ_λ ×_a V_a
        return np.ascontiguousarray(x, dtype=self._out_dtype)

    def residual_norm(self, lam: float) -> float:
        """``‖H x_λ − y‖₂`` without forming ``x_λ``: ``O(N)``.

        ``‖(λ/(S² + λ)) ∘ Ŷ‖² + ‖y‖² − ‖Ŷ‖²``; for ``lam = 0`` the first term vanishes.
        """
        lam = _check_lam(lam, "TikhonovDeblur.residual_norm")
        if lam == 0:  # the components with s = 0 are not fitted
            r = np.where(self._s == 0, self._proj, 0)
        else:
            r = lam / (self._s**2 + lam) * self._proj
        return math.sqrt(float(np.vdot(r, r).real) + self._outside2)

    def solution_norm(self, lam: float) -> float:
        """``‖x_λ‖₂`` without forming ``x_λ`` (the other axis of an L-curve): ``O(N)``."""
        where = "TikhonovDeblur.solution_norm"
        lam = _check_lam(lam, where)
        z = self._proj * self._filter(lam, where)
        return math.sqrt(float(np.vdot(z, z).real))


def tikhonov_deblur(
    blurred: Any,
    operators_or_kernels: Any,
    lam: float | Sequence[float],
    *,
    mode: str | Sequence[str] = "reflect",
    correlate: bool = False,
    origin: int | Sequence[int] = 0,
) -> np.ndarray:
    """Deblur exactly: ``argmin_x ‖(H₀ ⊗ H₁ ⊗ …) x − y‖² + λ‖x‖²`` through the factor SVDs.

    Parameters
    ----------
    blurred : array_like (NumPy)
        The blurred image ``y`` (any number of axes, one factor each).
    operators_or_kernels
        Per axis a 1-D kernel, a 2-D matrix (``m_a × n_a``) or ``None``; or a
        ``Kronecker`` operator.  See :class:`TikhonovDeblur`.
    lam : float or sequence of float
        ``λ ≥ 0``.  A sequence returns one solution per value, stacked on a
        new leading axis (the SVDs are computed once).
    mode, correlate, origin
        For 1-D kernels: the convolution matrices (``scipy.ndimage`` conventions).

    Returns
    -------
    numpy.ndarray
        Shape ``(n₀, n₁, …)``, or ``(len(lam), n₀, n₁, …)``; the dtype of ``blurred``.

    Raises
    ------
    kronblock.LinAlgError
        ``lam = 0`` and the blur does not have full column rank.

    Examples
    --------
    >>> import numpy as np, scipy.ndimage as ndi
    >>> from kronblock.filters import tikhonov_deblur
    >>> rng = np.random.default_rng(0)
    >>> x = rng.random((40, 30))
    >>> g = np.array([0.2, 0.6, 0.2])                  # symbol 0.6 + 0.4 cos θ ≥ 0.2: invertible
    >>> y = ndi.convolve1d(ndi.convolve1d(x, g, 0, mode="nearest"), g, 1, mode="nearest")
    >>> x0 = tikhonov_deblur(y, [g, g], 0.0, mode="nearest")      # λ = 0: H⁻¹ y
    >>> bool(np.allclose(x0, x))
    True
    >>> xs = tikhonov_deblur(y, [g, g], [1e-3, 1e-2, 1e-1], mode="nearest")
    >>> xs.shape
    (3, 40, 30)
    """
    problem = TikhonovDeblur(
        blurred, operators_or_kernels, mode=mode, correlate=correlate, origin=origin
    )
    if isinstance(lam, (list, tuple)) or (isinstance(lam, np.ndarray) and lam.ndim > 0):
        lams = list(np.asarray(lam).ravel()) if isinstance(lam, np.ndarray) else list(lam)
        if not lams:
            raise ValueError("tikhonov_deblur: lam is an empty sequence; give at least one value")
        return np.stack([problem.solve(v) for v in lams])
    return problem.solve(cast(float, lam))  # a scalar: checked by solve
