"""kronblock.filters against scipy.ndimage: index map, matrices, separable filters, deblurring."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st

import kronblock as kb
from kronblock.filters import (
    MODES,
    OUTSIDE,
    SeparableDecomposition,
    TikhonovDeblur,
    _engine,
    convolution_border,
    convolution_matrix,
    extend_index,
    filter_operator,
    separable_decomposition,
    separable_filter,
    tikhonov_deblur,
)

modes = st.sampled_from(MODES)
REAL = ("reflect", "mirror", "nearest", "wrap", "constant")


def _origin(data: st.DataObject, length: int) -> int:
    """A valid SciPy origin for a kernel of ``length`` taps."""
    return data.draw(st.integers(-(length // 2), length - 1 - length // 2), label="origin")


def _scipy_1d(x, k, *, axis=0, mode="reflect", correlate=False, origin=0, cval=0.0):
    f = ndi.correlate1d if correlate else ndi.convolve1d
    return f(x, k, axis=axis, mode=mode, origin=origin, cval=cval)


def _tol(dtype):
    return (
        {"rtol": 2e-5, "atol": 2e-5}
        if np.dtype(dtype) == np.float32
        else {"rtol": 1e-10, "atol": 1e-10}
    )


# ---- the index map ---------------------------------------------------------------------------
@given(
    n=st.integers(1, 3) | st.integers(4, 9),
    length=st.integers(1, 25),
    mode=modes,
    data=st.data(),
)
def test_extend_index_is_what_scipy_reads(n, length, mode, data):
    # A delta at tap k of a correlation with origin 0 reads x[ext(i + k − L//2)]: check every k
    # (kernels longer than n reach many periods away: repeated reflections).
    k = data.draw(st.integers(0, length - 1), label="tap")
    w = np.zeros(length)
    w[k] = 1.0
    x = np.arange(1.0, n + 1.0)  # distinct samples, 0 never one of them
    got = ndi.correlate1d(x, w, mode=mode, cval=0.0)
    idx = extend_index(np.arange(n) + k - length // 2, n, mode)
    want = np.where(idx == OUTSIDE, 0.0, x[np.maximum(idx, 0)])
    np.testing.assert_array_equal(got, want)


def test_extend_index_scalar_and_tables():
    assert extend_index(-1, 4, "reflect") == 0
    assert extend_index(-1, 4, "mirror") == 1
    assert extend_index(9, 1, "mirror") == 0
    assert extend_index(-100, 5, "nearest") == 0
    assert extend_index(5, 5, "grid-wrap") == 0
    assert extend_index(5, 5, "grid-constant") == OUTSIDE
    assert isinstance(extend_index(3, 4, "reflect"), int)


# ---- 1-D convolution matrices ------------------------------------------------------------------
@given(
    n=st.integers(1, 12),
    length=st.integers(1, 15),
    mode=modes,
    correlate=st.booleans(),
    method=st.sampled_from(["auto", "sparse", "fft"]),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_convolution_matrix_equals_scipy(n, length, mode, correlate, method, dtype, seed, data):
    rng = np.random.default_rng(seed)
    k = rng.normal(size=length).astype(dtype)
    origin = _origin(data, length)
    x = rng.normal(size=(n, 3)).astype(dtype)
    H = convolution_matrix(k, n, mode=mode, correlate=correlate, origin=origin, method=method)
    assert H.shape == (n, n)
    assert H.dtype == dtype
    want = _scipy_1d(x, k, mode=mode, correlate=correlate, origin=origin)
    got = H @ x
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, **_tol(dtype))
    # the dense matrix is SciPy's filter of the identity, column by column
    eye = np.eye(n)
    dense_ref = _scipy_1d(eye, k.astype(np.float64), mode=mode, correlate=correlate, origin=origin)
    np.testing.assert_allclose(H.to_dense(), dense_ref, **_tol(dtype))


@given(
    n=st.integers(1, 10),
    length=st.integers(1, 14),
    correlate=st.booleans(),
    cval=st.floats(-3, 3),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_constant_mode_is_affine_with_border(n, length, correlate, cval, seed, data):
    rng = np.random.default_rng(seed)
    k = rng.normal(size=length)
    origin = _origin(data, length)
    x = rng.normal(size=n)
    kw = {"mode": "constant", "correlate": correlate, "origin": origin}
    H = convolution_matrix(k, n, **kw)
    b = convolution_border(k, n, cval=cval, **kw)
    want = _scipy_1d(x, k, cval=cval, **kw)
    np.testing.assert_allclose(H @ x + b, want, rtol=1e-10, atol=1e-10)
    # other modes ignore cval: the border is zero
    assert not np.any(convolution_border(k, n, mode="reflect", cval=cval, origin=origin))


def _seed_conv_matrix_1d(h, n):
    """The seed text's ``conv_matrix_1d``: C[i, i + k − len(h)//2] = h[k] inside the bounds."""
    C = np.zeros((n, n))
    for i in range(n):
        for k in range(len(h)):
            j = i + k - len(h) // 2
            if 0 <= j < n:
                C[i, j] = h[k]
    return C


@pytest.mark.parametrize("length", [1, 2, 3, 4, 5, 8, 40])
def test_seed_conv_matrix_1d(length):
    h = np.random.default_rng(length).normal(size=length)
    H = convolution_matrix(h, 12, mode="constant", correlate=True)
    np.testing.assert_allclose(H.to_dense(), _seed_conv_matrix_1d(h, 12), atol=1e-12)


def test_representations():
    k = np.random.default_rng(0).normal(size=50)
    assert isinstance(convolution_matrix(k[:5], 100), kb.Sparse)
    assert isinstance(convolution_matrix(k, 100, mode="constant"), kb.Toeplitz)
    assert isinstance(convolution_matrix(k, 100, mode="grid-wrap"), kb.Circulant)
    H = convolution_matrix(k, 100, mode="mirror")  # Toeplitz band + sparse folded boundary
    assert isinstance(H, kb.Sum)
    x = np.random.default_rng(1).normal(size=100)
    np.testing.assert_allclose(H @ x, ndi.convolve1d(x, k, mode="mirror"), atol=1e-10)
    # repeated reads of one sample are summed, not overwritten
    Hs = convolution_matrix(np.ones(7), 2, mode="reflect", method="sparse")
    np.testing.assert_allclose(Hs.to_dense().sum(axis=1), [7.0, 7.0])


def test_convolution_matrix_does_not_mutate_and_casts():
    k = np.array([1, 2, 3])  # integer kernel: float64 operator
    before = k.copy()
    H = convolution_matrix(k, 5, dtype=np.float32)
    assert H.dtype == np.float32
    assert convolution_matrix(k, 5).dtype == np.float64
    np.testing.assert_array_equal(k, before)


# ---- separable filters -------------------------------------------------------------------------
@st.composite
def separable_cases(draw):
    d = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 9)) for _ in range(d))
    lengths = [draw(st.none() | st.integers(1, 12)) for _ in range(d)]
    per_axis = draw(st.booleans())
    mode = [draw(modes) for _ in range(d)] if per_axis else draw(modes)
    origins = [0 if L is None else _origin_draw(draw, L) for L in lengths]
    return shape, lengths, mode, origins


def _origin_draw(draw, length):
    return draw(st.integers(-(length // 2), length - 1 - length // 2))


@given(
    case=separable_cases(),
    correlate=st.booleans(),
    cval=st.sampled_from([0.0, 1.5]),
    method=st.sampled_from(["auto", "direct", "fft"]),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**16),
)
def test_separable_filter_equals_scipy(case, correlate, cval, method, dtype, seed):
    shape, lengths, mode, origins = case
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).astype(dtype)
    x_before = x.copy()
    ks = [None if L is None else rng.normal(size=L) for L in lengths]
    got = separable_filter(
        x, ks, mode=mode, correlate=correlate, cval=cval, origin=origins, method=method
    )
    want = x.astype(np.float64)
    modes_ = mode if isinstance(mode, list) else [mode] * len(shape)
    for a, k in enumerate(ks):
        if k is not None:
            want = _scipy_1d(
                want, k, axis=a, mode=modes_[a], correlate=correlate, origin=origins[a], cval=cval
            )
    assert got.dtype == dtype
    assert got.shape == shape
    np.testing.assert_allclose(got, want, **_tol(dtype))
    np.testing.assert_array_equal(x, x_before)  # input untouched
    if cval == 0:
        K = filter_operator(shape, ks, mode=mode, correlate=correlate, origin=origins)
        np.testing.assert_allclose(K @ x.astype(np.float64).ravel(), want.ravel(), **_tol(dtype))


@pytest.mark.parametrize("block", [64, 1 << 12])
@pytest.mark.parametrize("mode", REAL)
def test_fused_blocks_and_threads(monkeypatch, block, mode):
    # small blocks: many blocks, boundary rows falling inside blocks; 400 × 400 > PARALLEL_MIN
    # elements, so the blocks are shared out over the threads.
    monkeypatch.setattr(_engine, "BLOCK_BYTES", block)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 400))
    g = rng.normal(size=5)
    d = rng.normal(size=4)
    got = separable_filter(x, [g, d], mode=mode, cval=0.5, origin=[1, -1])
    want = ndi.convolve1d(x, g, axis=0, mode=mode, cval=0.5, origin=1)
    want = ndi.convolve1d(want, d, axis=1, mode=mode, cval=0.5, origin=-1)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    x3 = rng.normal(size=(20, 30, 40))
    got3 = separable_filter(x3, [g, None, d], mode=mode)
    want3 = ndi.convolve1d(ndi.convolve1d(x3, g, axis=0, mode=mode), d, axis=2, mode=mode)
    np.testing.assert_allclose(got3, want3, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", REAL)
def test_long_kernels_by_fft(mode):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(70, 60, 3))
    k = rng.normal(size=41)  # > DIRECT_MAX_TAPS: FFT under "auto"
    short = rng.normal(size=3)
    got = separable_filter(x, [k, short, k[:20]], mode=mode, cval=-1.0)
    want = ndi.convolve1d(x, k, axis=0, mode=mode, cval=-1.0)
    want = ndi.convolve1d(want, short, axis=1, mode=mode, cval=-1.0)
    want = ndi.convolve1d(want, k[:20], axis=2, mode=mode, cval=-1.0)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_separable_filter_dtypes():
    rng = np.random.default_rng(5)
    ints = rng.integers(0, 9, size=(6, 7))
    y = separable_filter(ints, [[1, 2, 1], [1, -1]])
    assert y.dtype == np.float64
    want = ndi.convolve1d(ndi.convolve1d(ints.astype(float), [1, 2, 1], 0), [1, -1], 1)
    np.testing.assert_allclose(y, want)
    kc = np.array([1.0, 1j, 0.5])
    x32 = rng.normal(size=(6, 7)).astype(np.float32)
    yc = separable_filter(x32, [kc, None], mode="wrap", method="direct")
    assert yc.dtype == np.complex64
    want_c = ndi.convolve1d(x32.astype(complex), kc, axis=0, mode="wrap")
    np.testing.assert_allclose(yc, want_c, rtol=1e-5, atol=1e-5)
    yf = separable_filter(x32, [kc, None], mode="wrap", method="fft")
    np.testing.assert_allclose(yf, want_c, rtol=1e-5, atol=1e-5)
    # nothing to filter: a copy, never the input itself
    out = separable_filter(x32, [None, None])
    assert out is not x32
    np.testing.assert_array_equal(out, x32)


def test_filter_operator_float32_and_identity_factors():
    K = filter_operator((4, 5), [np.ones(3, dtype=np.float32), None])
    assert K.dtype == np.float32
    assert K.shape == (20, 20)
    x = np.arange(20.0, dtype=np.float32)
    np.testing.assert_allclose(
        K @ x, ndi.convolve1d(x.reshape(4, 5), np.ones(3), axis=0).ravel(), rtol=1e-6
    )


# ---- separable decomposition ---------------------------------------------------------------
@given(
    m=st.integers(1, 6),
    n=st.integers(1, 6),
    rank=st.integers(1, 6),
    mode=st.sampled_from(REAL),
    seed=st.integers(0, 2**16),
)
def test_separable_decomposition_filters_like_ndimage(m, n, rank, mode, seed):
    rng = np.random.default_rng(seed)
    K = rng.normal(size=(m, n))
    r = min(rank, m, n)
    dec = separable_decomposition(K, rank=r)
    assert isinstance(dec, SeparableDecomposition)
    assert dec.rank == r == len(dec.terms)
    s = np.linalg.svd(K, compute_uv=False)
    np.testing.assert_allclose(dec.singular_values, s)
    err = np.linalg.norm(K - dec.to_kernel())
    assert dec.error == pytest.approx(err, rel=1e-8, abs=1e-12)
    assert dec.relative_error == pytest.approx(err / np.linalg.norm(K), rel=1e-8, abs=1e-12)
    x = rng.normal(size=(11, 9))
    # term by term it is exactly the 2-D filter with the truncated kernel, every mode (cval = 0)
    np.testing.assert_allclose(
        dec.filter(x, mode=mode), ndi.convolve(x, dec.to_kernel(), mode=mode), atol=1e-10
    )
    # and the full kernel up to the reported error: |Σ ΔK·window| ≤ ‖ΔK‖_F ‖window‖₂
    bound = dec.error * np.sqrt(m * n) * np.abs(x).max() + 1e-10
    assert np.abs(dec.filter(x, mode=mode) - ndi.convolve(x, K, mode=mode)).max() <= bound


def test_separable_decomposition_tol_and_default():
    rng = np.random.default_rng(6)
    u, _ = np.linalg.qr(rng.normal(size=(7, 7)))
    v, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    s = np.array([10.0, 1.0, 0.1, 0.01, 0.0])
    K = (u[:, :5] * s) @ v.T
    assert separable_decomposition(K).rank == 4  # numerical rank
    dec = separable_decomposition(K, tol=0.05)  # 0.1005/10.05 > 0.05 > 0.01/10.05
    assert dec.rank == 2
    assert dec.relative_error <= 0.05
    assert separable_decomposition(K, tol=1e-12).rank == 4
    assert separable_decomposition(K, tol=0.0).rank == 5  # exact: keeps the 2e-16 term
    assert separable_decomposition(np.zeros((3, 3))).rank == 1


# ---- Tikhonov deblurring -------------------------------------------------------------------
def _dense_tikhonov(mats, y, lam):
    H = mats[0]
    for m in mats[1:]:
        H = np.kron(H, m)
    A = H.conj().T @ H + lam * np.eye(H.shape[1])
    return np.linalg.solve(A, H.conj().T @ y.ravel())


@given(
    mode=st.sampled_from(REAL),
    lengths=st.tuples(st.integers(1, 5), st.integers(1, 8)),
    lam=st.sampled_from([1e-3, 0.1, 2.0]),
    seed=st.integers(0, 2**16),
)
def test_tikhonov_equals_dense_reference(mode, lengths, lam, seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(6, 5))
    ks = [rng.normal(size=L) for L in lengths]
    mats = [convolution_matrix(k, y.shape[a], mode=mode).to_dense() for a, k in enumerate(ks)]
    x = tikhonov_deblur(y, ks, lam, mode=mode)
    assert x.shape == (6, 5)
    np.testing.assert_allclose(x.ravel(), _dense_tikhonov(mats, y, lam), rtol=1e-8, atol=1e-9)


def test_tikhonov_rectangular_many_lambdas_and_norms():
    rng = np.random.default_rng(7)
    A, B, C = rng.normal(size=(6, 4)), rng.normal(size=(3, 5)), rng.normal(size=(2, 2))
    y = rng.normal(size=(6, 3, 2))
    lams = [1e-4, 0.3, 5.0]
    problem = TikhonovDeblur(y, [A, B, C])
    assert problem.shape == (4, 5, 2)
    xs = tikhonov_deblur(y, kb.kron(A, B, C), lams)  # a Kronecker operator gives its factors
    assert xs.shape == (3, 4, 5, 2)
    H = np.kron(np.kron(A, B), C)
    for lam, x in zip(lams, xs):
        ref = _dense_tikhonov([A, B, C], y, lam)
        np.testing.assert_allclose(x.ravel(), ref, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(problem.solve(lam), x)
        assert problem.residual_norm(lam) == pytest.approx(np.linalg.norm(H @ ref - y.ravel()))
        assert problem.solution_norm(lam) == pytest.approx(np.linalg.norm(ref))


def test_tikhonov_lambda_zero():
    rng = np.random.default_rng(8)
    A = rng.normal(size=(7, 4))  # full column rank: least squares
    B = rng.normal(size=(5, 5)) + 5 * np.eye(5)
    y = rng.normal(size=(7, 5))
    x = tikhonov_deblur(y, [A, B], 0.0)
    ref = np.linalg.lstsq(np.kron(A, B), y.ravel(), rcond=None)[0]
    np.testing.assert_allclose(x.ravel(), ref, rtol=1e-9, atol=1e-10)
    problem = TikhonovDeblur(y, [A, B])
    assert problem.residual_norm(0) == pytest.approx(
        np.linalg.norm(np.kron(A, B) @ ref - y.ravel())
    )
    # a singular blur: [1, 1] with wrap on an even length kills the alternating signal
    singular = TikhonovDeblur(rng.normal(size=(6, 4)), [[1.0, 1.0], None], mode="wrap")
    with pytest.raises(
        kb.LinAlgError,
        match=r"lam=0 needs a blur of full column rank.*factor 0 \(6 × 6\) has numerical "
        r"rank 5.*lam > 0",
    ):
        singular.solve(0.0)
    with pytest.raises(kb.LinAlgError, match=r"full column rank"):
        singular.solution_norm(0)
    assert np.all(np.isfinite(singular.solve(1e-6)))  # regularized: fine
    wide = TikhonovDeblur(rng.normal(size=(3, 2)), [rng.normal(size=(3, 4)), None])
    with pytest.raises(kb.LinAlgError, match=r"factor 0 \(3 × 4\) has numerical rank 3"):
        wide.solve(0)


def test_tikhonov_dtypes():
    rng = np.random.default_rng(9)
    y = rng.normal(size=(6, 5)).astype(np.float32)
    x = tikhonov_deblur(y, [[0.2, 0.6, 0.2], [0.3, 0.7]], 1e-2, mode="nearest")
    assert x.dtype == np.float32
    yc = y + 1j * y
    assert tikhonov_deblur(yc, [[0.2, 0.6, 0.2], None], 1e-2).dtype == np.complex64


# ---- errors ------------------------------------------------------------------------------------
def test_errors_convolution_matrix():
    with pytest.raises(ValueError, match=r"convolution_matrix: mode must be one of .*got 'bogus'"):
        convolution_matrix([1.0], 3, mode="bogus")
    with pytest.raises(TypeError, match=r"convolution_matrix: mode must be a string"):
        convolution_matrix([1.0], 3, mode=3)
    with pytest.raises(
        ValueError,
        match=r"origin=2 puts the centre off a kernel of length 3; use -1 <= origin <= 1",
    ):
        convolution_matrix([1.0, 2.0, 3.0], 3, origin=2)
    with pytest.raises(TypeError, match=r"convolution_matrix: origin must be an integer, got 0.5"):
        convolution_matrix([1.0, 2.0, 3.0], 3, origin=0.5)
    with pytest.raises(ValueError, match=r"cval=2.0 is affine .*convolution_border"):
        convolution_matrix([1.0], 3, mode="constant", cval=2.0)
    with pytest.raises(TypeError, match=r"convolution_matrix: cval must be a real number"):
        convolution_matrix([1.0], 3, cval="x")
    with pytest.raises(ValueError, match=r"convolution_matrix: n must be at least 1, got 0"):
        convolution_matrix([1.0], 0)
    with pytest.raises(TypeError, match=r"convolution_matrix: n must be an integer, got float 3.0"):
        convolution_matrix([1.0], 3.0)
    with pytest.raises(
        ValueError, match=r"kernel must be a non-empty 1-D array, got shape \(2, 2\)"
    ):
        convolution_matrix(np.ones((2, 2)), 3)
    with pytest.raises(ValueError, match=r"kernel must be a non-empty 1-D array, got shape \(0,\)"):
        convolution_matrix([], 3)
    with pytest.raises(TypeError, match=r"kernel must be numeric, got dtype <U1"):
        convolution_matrix(np.array(["a"]), 3)
    with pytest.raises(ValueError, match=r"method must be one of \('auto', 'sparse', 'fft'\)"):
        convolution_matrix([1.0], 3, method="dense")
    with pytest.raises(TypeError, match=r"dtype must be a floating or complex dtype, got int64"):
        convolution_matrix([1.0], 3, dtype=np.int64)
    with pytest.raises(TypeError, match=r"the kernel is complex \(complex128\) but dtype=float64"):
        convolution_matrix([1j], 3, dtype=np.float64)


def test_errors_extend_index():
    with pytest.raises(ValueError, match=r"extend_index: n must be a positive integer, got 0"):
        extend_index(1, 0, "reflect")
    with pytest.raises(
        TypeError, match=r"extend_index: positions must be integers, got dtype float64"
    ):
        extend_index(np.array([0.5]), 3, "reflect")


def test_errors_separable():
    x = np.ones((3, 4))
    with pytest.raises(
        ValueError, match=r"separable_filter: 1 kernels for 2 axes; give one per axis"
    ):
        separable_filter(x, [[1.0]])
    with pytest.raises(TypeError, match=r"kernels must be a list or tuple .*\[kernel\] \* 2"):
        separable_filter(x, np.ones(3))
    with pytest.raises(ValueError, match=r"separable_filter: mode has 3 entries for 2 axes"):
        separable_filter(x, [[1.0], [1.0]], mode=["wrap"] * 3)
    with pytest.raises(
        TypeError, match=r"separable_filter: origin must be one value or a list of 2"
    ):
        separable_filter(x, [[1.0], [1.0]], origin={0: 1})
    with pytest.raises(ValueError, match=r"separable_filter \(axis 1\): origin=3 puts the centre"):
        separable_filter(x, [[1.0], [1.0, 2.0]], origin=[0, 3])
    with pytest.raises(ValueError, match=r"separable_filter: image must have at least one axis"):
        separable_filter(np.float64(1.0), [])
    with pytest.raises(TypeError, match=r"separable_filter: image must be numeric"):
        separable_filter(np.array(["a", "b"]), [[1.0]])
    with pytest.raises(ValueError, match=r"separable_filter: method must be one of"):
        separable_filter(x, [[1.0], None], method="gpu")
    with pytest.raises(TypeError, match=r"filter_operator: shape must be a tuple of integers"):
        filter_operator((3.0, 4), [[1.0], None])
    with pytest.raises(ValueError, match=r"filter_operator: shape must have positive sizes"):
        filter_operator((0, 4), [[1.0], None])


def test_errors_decomposition():
    with pytest.raises(
        ValueError, match=r"kernel2d must be a non-empty 2-D array, got shape \(3,\)"
    ):
        separable_decomposition(np.ones(3))
    with pytest.raises(ValueError, match=r"rank must be in \[1, 2\] for a \(2, 3\) kernel, got 3"):
        separable_decomposition(np.ones((2, 3)), rank=3)
    with pytest.raises(TypeError, match=r"rank must be an integer, got 1.5"):
        separable_decomposition(np.ones((2, 3)), rank=1.5)
    with pytest.raises(ValueError, match=r"give rank or tol, not both"):
        separable_decomposition(np.ones((2, 3)), rank=1, tol=0.1)
    with pytest.raises(ValueError, match=r"tol must be a number >= 0 .*got -1"):
        separable_decomposition(np.ones((2, 3)), tol=-1)


def test_errors_deblur():
    y = np.ones((4, 3))
    with pytest.raises(
        ValueError, match=r"TikhonovDeblur.solve: lam must be finite and >= 0.*got -1.0"
    ):
        TikhonovDeblur(y, [None, None]).solve(-1.0)
    with pytest.raises(ValueError, match=r"lam must be finite and >= 0.*got nan"):
        tikhonov_deblur(y, [None, None], float("nan"))
    with pytest.raises(TypeError, match=r"lam must be a real number >= 0, got str"):
        tikhonov_deblur(y, [None, None], "1")
    with pytest.raises(ValueError, match=r"tikhonov_deblur: lam is an empty sequence"):
        tikhonov_deblur(y, [None, None], [])
    with pytest.raises(
        ValueError, match=r"factor 1 has shape \(4, 4\) but blurred has 3 rows along axis 1"
    ):
        tikhonov_deblur(y, [None, np.eye(4)], 0.1)
    with pytest.raises(
        ValueError, match=r"TikhonovDeblur: 1 factors for blurred of shape \(4, 3\)"
    ):
        tikhonov_deblur(y, [None], 0.1)
    with pytest.raises(TypeError, match=r"operators_or_kernels must be a list .*got ndarray"):
        tikhonov_deblur(y, np.eye(4), 0.1)
    with pytest.raises(
        ValueError, match=r"factor 0 must be a 1-D kernel or a 2-D matrix, got shape \(1, 1, 1\)"
    ):
        tikhonov_deblur(y, [np.ones((1, 1, 1)), None], 0.1)


def test_other_array_libraries_are_refused_clearly():
    torch = pytest.importorskip("torch")
    t = torch.ones(4, 3)
    msg = r"image is a torch.Tensor; kronblock.filters works on NumPy arrays .*numpy\(\)"
    with pytest.raises(TypeError, match=msg):
        separable_filter(t, [[1.0], None])
    with pytest.raises(TypeError, match=r"kernel is a torch.Tensor"):
        convolution_matrix(torch.ones(3), 4)
    with pytest.raises(TypeError, match=r"blurred is a torch.Tensor"):
        tikhonov_deblur(t, [None, None], 0.1)
    with pytest.raises(TypeError, match=r"kernel2d is a torch.Tensor"):
        separable_decomposition(t)
    with pytest.raises(TypeError, match=r"kernels is a torch.Tensor"):
        separable_filter(np.ones(3), t)


def test_sla_toeplitz_band_matches():
    # the long constant-mode matrix is exactly the band scipy.linalg.toeplitz describes
    k = np.arange(1.0, 41.0)
    H = convolution_matrix(k, 30, mode="constant", correlate=True)
    c = np.zeros(30)
    c[:21] = k[20::-1]
    r = np.zeros(30)
    r[:20] = k[20:]
    np.testing.assert_allclose(H.to_dense(), sla.toeplitz(c, r))


def test_non_contiguous_inputs_and_more_errors():
    rng = np.random.default_rng(10)
    base = rng.normal(size=(30, 40))
    for x in (np.asfortranarray(base), base[::2, ::3], base.T):
        want = ndi.correlate1d(ndi.correlate1d(x, [1.0, 2.0], 0, mode="wrap"), [3.0, 1, 2], 1)
        got = separable_filter(
            x, ([1.0, 2.0], [3.0, 1, 2]), mode=("wrap", "reflect"), correlate=True
        )
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert filter_operator(5, [[1.0, 1.0]]).shape == (5, 5)
    with pytest.raises(TypeError, match=r"separable_filter: mode must be one value or a list of 2"):
        separable_filter(np.ones((2, 2)), [None, None], mode=None)
    with pytest.raises(ValueError, match=r"kernels\[1\] must be a non-empty 1-D array"):
        separable_filter(np.ones((2, 2)), [None, [[1.0]]])
    with pytest.raises(TypeError, match=r"TikhonovDeblur: blurred must be numeric"):
        TikhonovDeblur(np.array(["a"]), [None])
    with pytest.raises(TypeError, match=r"TikhonovDeblur: factor 0 must be numeric"):
        TikhonovDeblur(np.ones(2), [np.array([["a", "b"], ["c", "d"]])])
    with pytest.raises(ValueError, match=r"convolution_border: mode must be one of"):
        convolution_border([1.0], 3, mode="edge")


def test_long_kernels_keep_nan_local_like_scipy() -> None:
    """``method="auto"`` never lets an FFT spread a NaN or inf: non-finite data go direct."""
    x = np.zeros((60, 50))
    x[30, 20] = np.nan
    g = np.ones(21) / 21
    out = separable_filter(x, [g, g])
    ref = ndi.convolve1d(ndi.convolve1d(x, g, axis=0), g, axis=1)
    assert np.array_equal(np.isnan(out), np.isnan(ref))
    finite = np.isfinite(ref)
    assert np.allclose(out[finite], ref[finite])
    y = np.ones(200)
    y[0] = np.inf
    assert np.array_equal(np.isfinite(separable_filter(y, [g])), np.isfinite(ndi.convolve1d(y, g)))


def test_tikhonov_zero_dimensional_lam() -> None:
    rng = np.random.default_rng(3)
    y = rng.random((6, 5))
    g = np.array([0.2, 0.6, 0.2])
    assert tikhonov_deblur(y, [g, g], np.array(0.1)).shape == (6, 5)
    assert np.allclose(tikhonov_deblur(y, [g, g], np.array(0.1)), tikhonov_deblur(y, [g, g], 0.1))
