"""The discrete Poisson problem ``−Δ_h u = f`` on a ``d``-dimensional grid.

The 1-D operator ``T`` (``n × n``, ``T u ≈ −u''`` at spacing ``h``) per boundary:

- ``"dirichlet"``: ``tridiag(−1, 2, −1)/h²`` (``u₀ = u_{n+1} = 0`` outside
  the ``n`` unknowns); eigenvalues ``4 sin²(πk/(2(n+1)))/h²``, ``k = 1, …, n``,
  eigenvectors ``sin(πjk/(n+1))``: the DST-I;
- ``"neumann"``: the path-graph Laplacian ``/h²`` (diagonal ``1, 2, …, 2, 1``:
  cell-centred, zero flux); eigenvalues ``4 sin²(πk/(2n))/h²``,
  ``k = 0, …, n−1``, eigenvectors ``cos(πk(j + ½)/n)``: the DCT-II;
- ``"periodic"``: the circulant with first column ``(2, −1, 0, …, 0, −1)/h²``
  (the cycle-graph Laplacian for ``n ≥ 3``; ``(2, −2)`` for ``n = 2``, ``0``
  for ``n = 1``); eigenvalues ``4 sin²(πk/n)/h²``: the DFT.

``4 sin²(θ/2) = 2 − 2cos θ``; the sine form keeps the small eigenvalues
accurate.  The ``d``-dimensional operator is the Kronecker sum
``T₁ ⊕ T₂ ⊕ … ⊕ T_d`` acting on ``u.ravel()`` (row-major: axis 0 slowest).
Neumann and periodic operators are singular (constants span the null space
when every axis is Neumann or periodic); a Dirichlet axis makes the whole
operator positive definite.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import kronblock as kb

__all__ = ["BOUNDARIES", "poisson_operator", "poisson_solve", "second_difference"]

Array = Any
BOUNDARIES = ("dirichlet", "neumann", "periodic")
_METHODS = ("auto", "eig", "fft")
_SINGULAR = ("neumann", "periodic")


# ---- validation ------------------------------------------------------------------------
def _boundaries(boundary: Any, d: int, where: str) -> tuple[str, ...]:
    given = [boundary] * d if isinstance(boundary, str) else list(boundary)
    if len(given) != d:
        raise ValueError(
            f"{where}: boundary has {len(given)} entries for {d} axes; give one per axis or "
            f"a single string"
        )
    for b in given:
        if b not in BOUNDARIES:
            raise ValueError(f"{where}: boundary must be one of {BOUNDARIES}, got {b!r}")
    return tuple(given)


def _spacings(h: Any, d: int, where: str) -> tuple[float, ...]:
    given = [h] * d if isinstance(h, (int, float, np.number)) else list(h)
    if len(given) != d:
        raise ValueError(
            f"{where}: h has {len(given)} entries for {d} axes; give one per axis or a "
            f"single number"
        )
    out = tuple(float(x) for x in given)
    for x in out:
        if not (math.isfinite(x) and x > 0):
            raise ValueError(f"{where}: grid spacings must be positive and finite, got {x!r}")
    return out


def _namespace(a: Array) -> Any:
    """The array-API namespace of ``a`` (through the public API: a diagonal operator's ``xp``)."""
    corner = a[(slice(0, 1),) * a.ndim]  # at most one element: no copy of a large array
    return kb.diag(kb.vec(corner, order="C")).xp


def _as_namespace(xp: Any) -> Any:
    """``xp`` (NumPy when ``None``) as an array-API namespace, e.g. ``torch`` → its wrapper."""
    return _namespace((np if xp is None else xp).zeros(1))


def _real_dtype(xp: Any, dtype: Any) -> Any:
    if dtype == xp.complex64:
        return xp.float32
    if dtype == xp.complex128:
        return xp.float64
    return dtype


# ---- the operators --------------------------------------------------------------------
def second_difference(
    n: int,
    boundary: str = "dirichlet",
    h: float = 1.0,
    *,
    dtype: Any = None,
    xp: Any = None,
    device: Any = None,
) -> Any:
    """The 1-D second-difference matrix ``T`` (``T u ≈ −u''``), ``n × n``, as ``kb.Dense``.

    Parameters
    ----------
    n : int ≥ 1
    boundary : {"dirichlet", "neumann", "periodic"}
        ``tridiag(−1, 2, −1)/h²``; the path-graph Laplacian ``/h²`` (diagonal
        ``1, 2, …, 2, 1``); the circulant with first column
        ``(2, −1, 0, …, 0, −1)/h²`` (the cycle-graph Laplacian for ``n ≥ 3``,
        ``[[2, −2], [−2, 2]]/h²`` for ``n = 2``, ``[0]`` for ``n = 1``).
    h : float
        The grid spacing.
    dtype, xp, device : optional
        Floating dtype (default float64), array library (a namespace such as
        ``numpy`` or ``torch``; default NumPy) and device.

    Examples
    --------
    >>> import numpy as np
    >>> from kronblock.graphs import second_difference
    >>> second_difference(4, "neumann").to_dense()
    array([[ 1., -1.,  0.,  0.],
           [-1.,  2., -1.,  0.],
           [ 0., -1.,  2., -1.],
           [ 0.,  0., -1.,  1.]])
    >>> T = second_difference(5, "dirichlet", h=0.5).to_dense()
    >>> lam = 4 * np.sin(np.pi * np.arange(1, 6) / 12) ** 2 / 0.25
    >>> bool(np.allclose(np.linalg.eigvalsh(T), lam))
    True
    """
    where = "second_difference"
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{where}: n must be an int ≥ 1, got {n!r}")
    n = int(n)
    (b,) = _boundaries(boundary, 1, where)
    (step,) = _spacings(h, 1, where)
    xp = _as_namespace(xp)
    dt = xp.float64 if dtype is None else dtype

    def eye(k: int = 0) -> Array:
        return xp.eye(n, k=k, dtype=dt, device=device)

    if b == "dirichlet":
        main = 2 * eye()
    elif b == "neumann":
        # path Laplacian: degree 2 inside, 1 at the two ends (0 when n = 1)
        i = xp.arange(n, device=device)
        deg = xp.astype(i > 0, dt) + xp.astype(i < n - 1, dt)
        main = eye() * deg[None, :]
    else:
        # circulant (2, −1, 0, …, −1): the wrap-around neighbours n−1 ↔ 0
        main = 2 * eye() - eye(n - 1) - eye(1 - n)
    t = main - eye(1) - eye(-1)
    return kb.aslinearoperator(t / (step * step), tags={"hermitian"})


def poisson_operator(
    shape: int | Sequence[int],
    *,
    boundary: str | Sequence[str] = "dirichlet",
    h: float | Sequence[float] = 1.0,
    dtype: Any = None,
    xp: Any = None,
    device: Any = None,
) -> Any:
    """The ``d``-dimensional operator ``−Δ_h = T₁ ⊕ T₂ ⊕ … ⊕ T_d`` as a ``kb.KroneckerSum``.

    ``Tᵢ = second_difference(shape[i], boundary[i], h[i])``; the operator acts
    on ``u.ravel()`` for ``u`` of shape ``shape`` (``N = Π shape``).

    Examples
    --------
    >>> import numpy as np, kronblock as kb
    >>> from kronblock.graphs import poisson_operator
    >>> A = poisson_operator((3, 4), boundary="dirichlet")
    >>> U = np.arange(12.0).reshape(3, 4)
    >>> T3, T4 = (2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1) for n in (3, 4))
    >>> bool(np.allclose(A @ U.ravel(), (T3 @ U + U @ T4).ravel()))
    True
    """
    dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not dims:
        raise ValueError("poisson_operator: shape needs at least one axis")
    bcs = _boundaries(boundary, len(dims), "poisson_operator")
    hs = _spacings(h, len(dims), "poisson_operator")
    return kb.kronsum(
        *(
            second_difference(n, b, s, dtype=dtype, xp=xp, device=device)
            for n, b, s in zip(dims, bcs, hs)
        )
    )


# ---- the solver -------------------------------------------------------------------------
def poisson_solve(
    f: Array,
    *,
    boundary: str | Sequence[str] = "dirichlet",
    h: float | Sequence[float] = 1.0,
    method: str = "auto",
    rtol: float | None = None,
) -> Array:
    """Solve ``−Δ_h u = f`` on a ``d``-dimensional grid by fast diagonalization.

    ``−Δ_h = T₁ ⊕ … ⊕ T_d`` (:func:`poisson_operator`), acting on
    ``u.ravel()``; ``f`` and ``u`` hold the values at the ``n₁ × … × n_d``
    unknowns.  The 1-D matrix ``T`` of an axis with ``n`` points, spacing ``h``:

    - Dirichlet: ``tridiag(−1, 2, −1)/h²`` (zero values just outside the
      grid); eigenvalues ``4 sin²(πk/(2(n+1)))/h²``, ``k = 1, …, n``,
      eigenvectors ``sin(πjk/(n+1))`` (DST-I);
    - Neumann: the path-graph Laplacian ``/h²``, diagonal ``(1, 2, …, 2, 1)``,
      off-diagonals ``−1`` (zero flux, cell-centred); eigenvalues
      ``4 sin²(πk/(2n))/h²``, ``k = 0, …, n−1``, eigenvectors
      ``cos(πk(j + ½)/n)`` (DCT-II);
    - periodic: the circulant with first column ``(2, −1, 0, …, 0, −1)/h²``,
      the cycle-graph Laplacian ``/h²`` for ``n ≥ 3``; eigenvalues
      ``4 sin²(πk/n)/h²`` (DFT).

    With Neumann or periodic boundaries on every axis the operator is
    singular, its null space the constants.

    Parameters
    ----------
    f : array (n₁, …, n_d)
        The right-hand side, NumPy or any array-API library; float32 stays
        float32, integers become float64, complex works.
    boundary : {"dirichlet", "neumann", "periodic"} or one per axis
    h : float or one per axis
        Grid spacings.
    method : {"auto", "eig", "fft"}
        - ``"fft"``: the eigenvector transforms of the ``Tᵢ`` — DST-I
          (Dirichlet), DCT-II (Neumann), DFT (periodic) from ``scipy.fft``
          for NumPy, and for other libraries their ``fft`` on the odd
          (Dirichlet, period ``2(n+1)``) or even (Neumann, period ``2n``)
          extension: ``O(N log N)``, ``u = F⁻¹ (F f / λ)`` with the
          closed-form eigenvalue sums ``λ``;
        - ``"eig"``: the same identity through the Kronecker sum's factor
          eigendecompositions (``kb.solve``, or ``kb.funm`` with the
          pseudo-inverse for the singular cases): ``Σ O(nᵢ³) + O(N Σnᵢ)``;
        - ``"auto"``: ``"fft"``.
    rtol : float, optional
        Compatibility tolerance of the singular (all-Neumann/periodic)
        problems: ``|mean(f)| ≤ rtol · max|f|``; default ``10·√N·eps``.

    Returns
    -------
    u : array of ``f``'s shape and library
        The solution; for the singular problems the one with mean zero (the
        minimum-norm solution).

    Raises
    ------
    kronblock.LinAlgError
        For Neumann or periodic boundaries on every axis and a right-hand side
        whose mean is not zero: ``−Δ_h u = f`` then has no solution (the
        operator is symmetric with the constants as its null space, so its
        range is the mean-zero arrays).  Pass ``f - f.mean()``.
    ValueError
        Unknown boundary or method, bad spacings, an empty axis.

    Examples
    --------
    >>> import numpy as np
    >>> from kronblock.graphs import poisson_operator, poisson_solve
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(30, 40))
    >>> u = poisson_solve(f, h=0.1)                               # Dirichlet
    >>> A = poisson_operator(f.shape, h=0.1)
    >>> bool(np.allclose(A @ u.ravel(), f.ravel()))
    True
    >>> g = f - f.mean()                                          # compatible for Neumann
    >>> v = poisson_solve(g, boundary="neumann")
    >>> A = poisson_operator(g.shape, boundary="neumann")
    >>> bool(np.allclose(A @ v.ravel(), g.ravel())), bool(abs(v.mean()) < 1e-12)
    (True, True)
    """
    where = "poisson_solve"
    if isinstance(f, (list, tuple, int, float)):
        f = np.asarray(f)
    xp = _namespace(f) if getattr(f, "ndim", 0) >= 1 else None
    if xp is None:
        raise ValueError(
            f"{where}: f must be an array of grid values with at least one axis, got shape "
            f"{tuple(getattr(f, 'shape', ()))}"
        )
    shape = tuple(int(n) for n in f.shape)
    if 0 in shape:
        raise ValueError(f"{where}: every grid axis needs at least one point, got shape {shape}")
    d = len(shape)
    bcs = _boundaries(boundary, d, where)
    hs = _spacings(h, d, where)
    if method not in _METHODS:
        raise ValueError(f"{where}: method must be one of {_METHODS}, got {method!r}")
    if not xp.isdtype(f.dtype, ("real floating", "complex floating")):
        f = xp.astype(f, xp.float64)
    rdt = _real_dtype(xp, f.dtype)  # the real dtype of the work (float32 or float64)
    singular = all(b in _SINGULAR for b in bcs)
    if singular:
        _check_compatible(xp, f, bcs, rtol, rdt, where)
    if method == "eig":
        return _solve_eig(xp, f, bcs, hs, rdt, singular)
    if isinstance(f, np.ndarray):
        return _solve_scipy_fft(f, bcs, hs)
    return _solve_xp_fft(xp, f, bcs, hs, rdt)


def _check_compatible(
    xp: Any, f: Array, bcs: Sequence[str], rtol: float | None, rdt: Any, where: str
) -> None:
    """``f`` must lie in the range of the singular operator: the mean-zero arrays."""
    n = math.prod(f.shape)
    tol = 10 * math.sqrt(n) * float(xp.finfo(rdt).eps) if rtol is None else float(rtol)
    if xp.isdtype(f.dtype, "complex floating"):
        mean = abs(complex(float(xp.mean(xp.real(f))), float(xp.mean(xp.imag(f)))))
    else:
        mean = abs(float(xp.mean(f)))
    scale = float(xp.max(xp.abs(f)))
    if mean > tol * scale:
        kinds = " and ".join(sorted(set(bcs)))
        raise kb.LinAlgError(
            f"{where}: the right-hand side is incompatible with {kinds} boundaries: the "
            f"operator is singular (constants are its null space), so a solution exists only "
            f"for f with mean zero; mean(f) = {mean:.3g}, max|f| = {scale:.3g} (tolerance "
            f"rtol·max|f| with rtol = {tol:.3g}); subtract the mean first: "
            f"poisson_solve(f - f.mean(), ...)"
        )


def _axis_eigenvalues(xp: Any, b: str, n: int, m: int, step: float, rdt: Any) -> Array:
    """The first ``m`` eigenvalues of ``Tᵢ`` in transform order (``m < n`` for ``rfft``)."""
    k = xp.astype(xp.arange(m), rdt)
    if b == "dirichlet":  # DST-I index k ↔ mode k + 1
        theta = math.pi * (k + 1) / (2 * (n + 1))
    elif b == "neumann":  # DCT-II index k
        theta = math.pi * k / (2 * n)
    else:  # DFT index k
        theta = math.pi * k / n
    return 4 * xp.sin(theta) ** 2 / (step * step)


def _inverse_symbol(
    xp: Any,
    shape: Sequence[int],
    sizes: Sequence[int],
    bcs: Sequence[str],
    hs: Sequence[float],
    rdt: Any,
) -> Array:
    """``1/λ`` on the transformed grid, ``λ = Σᵢ λᵢ[kᵢ]`` broadcast; ``0`` where ``λ = 0``.

    ``λ = 0`` exactly (``sin 0 = 0``) only at the all-zero index of a
    singular problem: there the pseudo-inverse drops the constant mode.
    """
    d = len(shape)
    lam = None
    for axis, (b, n, m, step) in enumerate(zip(bcs, sizes, shape, hs)):
        w = _axis_eigenvalues(xp, b, n, m, step, rdt)
        w = xp.reshape(w, tuple(m if j == axis else 1 for j in range(d)))
        lam = w if lam is None else lam + w
    assert lam is not None
    zero = lam == 0
    return xp.where(zero, xp.zeros_like(lam), 1 / xp.where(zero, xp.ones_like(lam), lam))


def _solve_scipy_fft(f: np.ndarray, bcs: Sequence[str], hs: Sequence[float]) -> np.ndarray:
    """DST-I / DCT-II (orthonormal, so each is its own inverse's transpose) and the DFT."""
    import scipy.fft as sfft

    shape = f.shape
    dirichlet = [i for i, b in enumerate(bcs) if b == "dirichlet"]
    neumann = [i for i, b in enumerate(bcs) if b == "neumann"]
    periodic = [i for i, b in enumerate(bcs) if b == "periodic"]
    real = not np.iscomplexobj(f)
    x = f
    # forward: c = (⊗Qᵢ)ᵀ f, the coefficients in the eigenbasis
    if dirichlet:
        x = sfft.dstn(x, type=1, axes=dirichlet, norm="ortho")
    if neumann:
        x = sfft.dctn(x, type=2, axes=neumann, norm="ortho")
    if periodic:
        x = sfft.rfftn(x, axes=periodic) if real else sfft.fftn(x, axes=periodic)
    rdt = np.finfo(x.dtype).dtype  # float32 or float64
    inv = _inverse_symbol(np, x.shape, shape, bcs, hs, rdt)
    x = x * inv  # y = c / λ (the constant mode dropped when λ = 0)
    # back: u = (⊗Qᵢ) y
    if periodic:
        if real:
            x = sfft.irfftn(x, s=[shape[i] for i in periodic], axes=periodic)
        else:
            x = sfft.ifftn(x, axes=periodic)
    if neumann:
        x = sfft.idctn(x, type=2, axes=neumann, norm="ortho")
    if dirichlet:
        x = sfft.idstn(x, type=1, axes=dirichlet, norm="ortho")
    return np.asarray(x, dtype=f.dtype if f.dtype.kind in "fc" else np.float64)


def _solve_xp_fft(xp: Any, f: Array, bcs: Sequence[str], hs: Sequence[float], rdt: Any) -> Array:
    """The array-API ``fft`` on the periodic extension of each non-periodic axis.

    Dirichlet axis of ``n``: the odd extension ``(0, f, 0, −flip f)`` of period
    ``2(n+1)``; Neumann axis: the even extension ``(f, flip f)`` of period
    ``2n``.  The periodic second difference maps an odd (even) extension to
    the odd (even) extension of ``Tᵢ f``, so the periodic solution of the
    extended problem restricts to the solution: ``O(2ᵈ N log N)``.
    """
    real = not xp.isdtype(f.dtype, "complex floating")
    g = f
    for axis, b in enumerate(bcs):
        if b == "dirichlet":
            edge = list(g.shape)
            edge[axis] = 1
            z = xp.zeros(tuple(edge), dtype=g.dtype, device=g.device)
            g = xp.concat([z, g, z, -xp.flip(g, axis=axis)], axis=axis)
        elif b == "neumann":
            g = xp.concat([g, xp.flip(g, axis=axis)], axis=axis)
    periods = tuple(g.shape)
    every = ["periodic"] * len(bcs)
    if real:  # the standard's fftn takes complex input only: rfftn halves the last axis
        axes = tuple(range(g.ndim))
        c = xp.fft.rfftn(g, axes=axes)
        inv = _inverse_symbol(xp, tuple(c.shape), periods, every, hs, rdt)
        u = xp.fft.irfftn(c * inv, s=periods, axes=axes)
    else:
        inv = _inverse_symbol(xp, periods, periods, every, hs, rdt)
        u = xp.fft.ifftn(xp.fft.fftn(g) * inv)
    crop = tuple(slice(1, n + 1) if b == "dirichlet" else slice(0, n) for b, n in zip(bcs, f.shape))
    u = u[crop]
    return u if u.dtype == f.dtype else xp.astype(u, f.dtype)


def _solve_eig(
    xp: Any, f: Array, bcs: Sequence[str], hs: Sequence[float], rdt: Any, singular: bool
) -> Array:
    """Through ``kb.kronsum``: ``(⊗Qᵢ) diag(1/λ) (⊗Qᵢ)ᵀ f`` from the factor ``eigh``."""
    shape = tuple(f.shape)
    s = poisson_operator(shape, boundary=bcs, h=hs, dtype=rdt, xp=xp, device=f.device)
    rhs = xp.reshape(f, (-1,))  # row-major vec: axis 0 slowest, as the Kronecker sum
    if not singular:
        u = kb.solve(s, rhs)
    else:

        def pinv(lam: Array) -> Array:
            # exactly one eigenvalue sum is 0 up to rounding (the constant mode, λ at the
            # factors' zero eigenvalues); the pseudo-inverse zeroes it, inverts the rest
            null = xp.arange(lam.shape[0], device=lam.device) == xp.argmin(xp.abs(lam))
            safe = xp.where(null, xp.ones_like(lam), lam)
            return xp.where(null, xp.zeros_like(lam), 1 / safe)

        u = kb.funm(s, pinv) @ rhs
        u = u - xp.mean(u)  # the exact mean-zero representative (rounding of the null vector)
    u = xp.reshape(u, shape)
    return u if u.dtype == f.dtype else xp.astype(u, f.dtype)
