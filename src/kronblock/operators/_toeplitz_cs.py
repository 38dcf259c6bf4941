"""The circulant–skew-circulant form of a Toeplitz inverse: ``T⁻¹`` by FFTs of length ``n``.

With ``Z_φ`` the down-shift whose wrap-around entry is ``φ``, ``C(g) = Σ g_k Z₁ᵏ``
the circulant and ``S(v) = Σ v_k Z₋₁ᵏ`` the skew-circulant with first column
``g`` and ``v``, a matrix ``A`` whose displacement has rank two,

    ``Z₁ A − A Z₋₁ = g₁ h₁ᵀ + g₂ h₂ᵀ``,   is   ``A = ½ [C(g₁) S(J h₁) + C(g₂) S(J h₂)]``

(``J`` the reversal; Ammar & Gader 1991, Heinig & Rost).  For ``A = T⁻¹`` with
``T`` Toeplitz, ``Z₁A − AZ₋₁ = A (T Z₁ − Z₋₁ T) A`` and ``T Z₁ − Z₋₁ T = e₀ pᵀ + q e_{n−1}ᵀ``
(first row and last column only), so

    ``g₁ = T⁻¹ e₀``, ``h₁ = T⁻ᵀ p``, ``g₂ = T⁻¹ q``, ``h₂ = T⁻ᵀ e_{n−1}``,

four solves with one vector each (the Gohberg–Semencul plans, already built),
with ``p_j = t_{−(j+1)} + t_{n−1−j}`` (``p_{n−1} = 2 t₀``) and
``q_i = t_i − t_{i−n}`` (``q₀ = 0``).

Applying it to real columns: ``S(v) = D⁻¹ C(D v) D`` with ``D = diag(e^{iπj/n})``,
so both skew-circulant products come out of one complex transform pair
(``S(Jh₁)x + i·S(Jh₂)x``, each real), and both circulant products out of one
real transform of the two parts and one inverse: 3.5 transform-equivalents of
length ``n`` per column against the Gohberg–Semencul formula's six real
transforms of length ``2n`` (measured, order 2000: 7.9 against 14.8 ms for
200 columns on one core).

Stability: the form can lose accuracy where the Gohberg–Semencul form does not
(its generators grow with the conditioning).  :func:`cs_plan` compares the
two forms' *growth* (``Σ ‖C(gᵢ)‖‖S(Jhᵢ)‖ / 2`` against
``|s|·Σ ‖L(a)‖‖L(b)‖``, each norm the largest modulus of a spectrum) and
declines when the circulant form's is more than :data:`GROWTH_RATIO` times
larger; measured backward errors follow the ratio (a Gaussian-kernel matrix of
condition 5·10⁷: ratio 10⁵, residual 2·10⁻⁴ against 2·10⁻⁹).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._circulant import Workspace
from ._columns import column_chunks, run_chunks

__all__ = ["GROWTH_RATIO", "CSPlan", "cs_generators", "cs_plan"]

#: The circulant form is used only when its growth is at most this times the
#: Gohberg–Semencul form's (so its rounding errors are within a small factor).
GROWTH_RATIO = 4.0

Solve = Callable[[np.ndarray], np.ndarray]  # (n, k) → (n, k), float64 on the host


def cs_generators(
    col: np.ndarray, row: np.ndarray, inv: Solve, inv_t: Solve | None
) -> tuple[np.ndarray, ...]:
    """``(g₁, g₂, h₁, h₂)``: ``Z₁T⁻¹ − T⁻¹Z₋₁ = g₁h₁ᵀ + g₂h₂ᵀ``, real ``T = toeplitz(col, row)``.

    ``inv`` and ``inv_t`` apply ``T⁻¹`` and ``T⁻ᵀ`` to columns; ``inv_t=None``
    for symmetric ``T`` (one solve with four columns).
    """
    n = int(col.shape[0])
    j = np.arange(n - 1)
    p = np.empty(n)
    p[:-1] = row[j + 1] + col[n - 1 - j]  # t_{−(j+1)} + t_{n−1−j}
    p[-1] = 2.0 * col[0]
    q = np.zeros(n)
    q[1:] = col[1:] - row[n - 1 : 0 : -1]  # t_i − t_{i−n}, i = 1 … n−1
    e0, last = np.zeros(n), np.zeros(n)
    e0[0], last[-1] = 1.0, 1.0
    if inv_t is None:
        gh = inv(np.stack([e0, q, p, last], axis=1))
        return gh[:, 0], gh[:, 1], gh[:, 2], gh[:, 3]
    g = inv(np.stack([e0, q], axis=1))
    h = inv_t(np.stack([p, last], axis=1))
    return g[:, 0], g[:, 1], h[:, 0], h[:, 1]


def _twist(n: int) -> np.ndarray:
    return np.exp(1j * np.pi * np.arange(n) / n)  # D: S(v) = D⁻¹ C(Dv) D


@dataclass(frozen=True)
class CSPlan:
    """``T⁻¹ X`` for real ``X`` as ``½[C(g₁)S(Jh₁) + C(g₂)S(Jh₂)] X`` (NumPy).

    Attributes hold the spectra in the working dtype: ``lam`` both
    skew-circulants' (``FFT(D·Jh₁) + i·FFT(D·Jh₂)``), ``mu1``/``mu2`` half the
    circulants' real spectra.
    """

    n: int
    twist: np.ndarray
    untwist: np.ndarray
    lam: np.ndarray
    mu1: np.ndarray
    mu2: np.ndarray
    ws: Workspace

    def apply(self, x: np.ndarray) -> np.ndarray:
        """``T⁻¹ x`` for real ``x`` of shape ``(n, k)``: ``O(n log n · k)``, columns in chunks."""
        n, h = self.n, self.n // 2 + 1
        k_all = int(x.shape[1])
        cdt = np.result_type(x.dtype, np.complex64)
        out = np.empty(x.shape, dtype=x.dtype)

        def chunk(worker: int, cols: slice) -> None:
            k = cols.stop - cols.start
            key = ("cs", worker, k, n, x.dtype.str)
            specs = (
                ((k, n), cdt, False),  # D xᵀ, its spectrum, back: S(Jh₁)x + i S(Jh₂)x
                ((2 * k, n), x.dtype, False),  # the two real parts
                ((2 * k, h), cdt, False),  # their spectra
                ((k, n), x.dtype, False),  # the result
            )
            cb, ub, spec, y = self.ws.take(key, specs)
            np.multiply(x[:, cols].T, self.twist, out=cb)
            np.fft.fft(cb, axis=-1, out=cb)
            np.multiply(cb, self.lam, out=cb)
            np.fft.ifft(cb, axis=-1, out=cb)
            np.multiply(cb, self.untwist, out=cb)
            ub[:k] = cb.real
            ub[k:] = cb.imag
            np.fft.rfft(ub, axis=-1, out=spec)
            np.multiply(spec[:k], self.mu1, out=spec[:k])
            np.multiply(spec[k:], self.mu2, out=spec[k:])
            np.add(spec[:k], spec[k:], out=spec[:k])
            np.fft.irfft(spec[:k], n=n, axis=-1, out=y)
            out[:, cols] = y.T
            self.ws.give(key, (cb, ub, spec, y))

        run_chunks(chunk, column_chunks(k_all, 2 * n), 2 * n)
        return out


def cs_plan(
    col: np.ndarray,
    row: np.ndarray,
    inv: Solve,
    inv_t: Solve | None,
    gs_growth: float,
    dtype: Any,
    ws: Workspace,
) -> CSPlan | None:
    """The circulant form of ``T⁻¹`` in ``dtype``, or ``None`` when it would be less accurate.

    ``gs_growth`` is the Gohberg–Semencul form's growth, to compare with.
    """
    g1, g2, h1, h2 = cs_generators(col, row, inv, inv_t)
    n = int(col.shape[0])
    d = _twist(n)
    s1, s2 = np.fft.fft(d * h1[::-1]), np.fft.fft(d * h2[::-1])  # S(Jhᵢ) = D⁻¹C(D·Jhᵢ)D
    c1, c2 = np.fft.fft(g1), np.fft.fft(g2)
    growth = 0.5 * (np.abs(c1).max() * np.abs(s1).max() + np.abs(c2).max() * np.abs(s2).max())
    if not (np.isfinite(growth) and growth <= GROWTH_RATIO * gs_growth):
        return None
    cdt = np.result_type(dtype, np.complex64)
    h = n // 2 + 1
    lam = s1 + 1j * s2
    return CSPlan(
        n,
        d.astype(cdt),
        d.conj().astype(cdt),
        lam.astype(cdt),
        (0.5 * c1[:h]).astype(cdt),  # real gᵢ: the half spectrum is rfft(gᵢ)
        (0.5 * c2[:h]).astype(cdt),
        ws,
    )
