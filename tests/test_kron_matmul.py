"""The Kronecker matmul kernel: plan (order, merges, buffers) and its results against dense."""

from __future__ import annotations

from functools import reduce
from typing import Any

import numpy as np
import pytest

import kronblock as kb
from conftest import from_numpy, to_numpy
from kronblock.operators import _kron_matmul as km


def test_mode_order_puts_shrinking_factors_first() -> None:
    shapes = [(90, 70), (10, 100), (80, 80), (100, 50)]
    order = km.mode_order(shapes, [False] * 4)
    keys = [1 / shapes[i][0] - 1 / shapes[i][1] for i in order]
    assert keys == sorted(keys, reverse=True)
    assert order[0] == 1 and order[-1] == 3  # the most shrinking first, the most growing last


def _flops(shapes: list[tuple[int, int]], order: list[int]) -> float:
    size, total = float(np.prod([n for _, n in shapes])), 0.0
    for i in order:
        m, n = shapes[i]
        total += 2 * size * m
        size = size * m / n
    return total


def test_mode_order_is_flop_optimal_by_brute_force() -> None:
    import itertools

    rng = np.random.default_rng(0)
    for _ in range(20):
        shapes = [tuple(int(v) for v in rng.integers(2, 30, 2)) for _ in range(4)]
        best = min(_flops(shapes, list(p)) for p in itertools.permutations(range(4)))
        assert _flops(shapes, km.mode_order(shapes, [False] * 4)) == pytest.approx(best)


def test_identity_factors_are_skipped() -> None:
    assert km.mode_order([(3, 3), (4, 4)], [True, False]) == [1]


def test_small_square_factors_are_merged_and_large_ones_are_not() -> None:
    groups = km.merge_plan([(4, 4)] * 8, [True] * 8, 1, 8)
    assert len(groups) < 8 and groups[0][0] == 0 and groups[-1][1] == 8
    assert all(b > a for a, b in groups)
    assert km.merge_plan([(100, 100)] * 3, [False] * 3, 1, 8) == [(0, 1), (1, 2), (2, 3)]
    # merged factors stay small
    assert all(4 ** (b - a) <= km.MAX_MERGED for a, b in groups)


@pytest.mark.parametrize(
    "shapes",
    [[(4, 4)] * 5, [(3, 3), (2, 2), (5, 5), (2, 2)], [(2, 3), (4, 4), (3, 2)], [(1, 5), (5, 1)]],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_merged_plans_match_dense(xp: Any, shapes: list[tuple[int, int]], dtype: Any) -> None:
    rng = np.random.default_rng(1)
    fs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    k = kb.kron(*[from_numpy(xp, f) for f in fs])
    dense = reduce(np.kron, [f.astype(np.complex128) for f in fs])
    if shapes[0] == (4, 4):  # the case must exercise a merged pass
        assert len(km.plan(k.xp, k.factors, 1, k.dtype)) < len(shapes)
    for cols in (None, 3):
        shape = (k.shape[1],) if cols is None else (k.shape[1], cols)
        x = rng.standard_normal(shape).astype(dtype)
        y = to_numpy(k @ from_numpy(xp, x))
        tol = 1e-4 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(y, dense @ x, rtol=tol, atol=tol * np.abs(dense).max())
        assert y.dtype == dtype


def test_numpy_path_uses_at_most_two_work_buffers_and_never_writes_the_input() -> None:
    rng = np.random.default_rng(2)
    fs = [rng.standard_normal((6, 6)) for _ in range(5)]
    k = kb.kron(*fs)
    x = rng.standard_normal(k.shape[1])
    before = x.copy()
    y = k @ x
    np.testing.assert_array_equal(x, before)
    assert not np.shares_memory(x, y)
    steps = km.plan(k.xp, k.factors, 1, x.dtype)
    assert 1 <= len(steps) <= 5


def test_diagonal_and_identity_factors_on_the_numpy_path() -> None:
    rng = np.random.default_rng(3)
    a, d = rng.standard_normal((3, 3)), rng.standard_normal(4)
    k = kb.kron(a, kb.diag(d), kb.identity(2))
    x = rng.standard_normal((24, 2))
    np.testing.assert_allclose(k @ x, np.kron(np.kron(a, np.diag(d)), np.eye(2)) @ x, rtol=1e-13)


def _vec_trick(fs: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    t = x.reshape([f.shape[1] for f in fs])
    for axis, f in enumerate(fs):
        t = np.moveaxis(np.tensordot(f, t, axes=(1, axis)), 0, axis)
    return t.ravel()


def test_concurrent_products_do_not_share_work_buffers() -> None:
    # the kept work buffers are taken by one product at a time; others allocate their own
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(4)
    fs = [
        rng.standard_normal((30, 30)),
        rng.standard_normal((30, 30)),
        rng.standard_normal((25, 25)),
    ]
    k = kb.kron(*fs)  # N = 22500: the buffered (not the rotation) schedule
    xs = [rng.standard_normal(k.shape[1]) for _ in range(8)]
    with ThreadPoolExecutor(4) as pool:
        ys = list(pool.map(lambda x: k @ x, xs * 4))
    for x, y in zip(xs * 4, ys):
        np.testing.assert_allclose(y, _vec_trick(fs, x), rtol=1e-10, atol=1e-10)


def test_plans_are_kept_per_dtype_and_column_count() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((4, 4))
    k = kb.kron(a.astype(np.float32), b.astype(np.float32))
    dense = np.kron(a.astype(np.float32), b.astype(np.float32)).astype(np.float64)
    for x in (np.ones(12, np.float32), rng.standard_normal(12), rng.standard_normal((12, 2))):
        first, second = k @ x, k @ x  # the second call runs the kept plan
        np.testing.assert_array_equal(first, second)
        np.testing.assert_allclose(first, dense @ x, rtol=1e-5, atol=1e-5 * np.abs(dense).max())
    assert len(k._plans) == 3  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "shapes, dtype",
    [
        ([(40, 40), (30, 30), (20, 20)], np.float64),
        ([(50, 60), (30, 20), (12, 15)], np.float32),
        ([(20, 25), (40, 30), (35, 35)], np.complex128),
    ],
)
def test_every_schedule_of_a_large_product_matches_the_vec_trick(
    shapes: list[tuple[int, int]], dtype: Any
) -> None:
    # above ROTATE_MAX, three schedules run the same passes in different layouts
    rng = np.random.default_rng(6)
    fs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    if np.iscomplexobj(fs[0]):
        fs = [f + 1j * rng.standard_normal(f.shape) for f in fs]
    k = kb.kron(*fs)
    x = rng.standard_normal(k.shape[1]).astype(dtype)
    expected = _vec_trick([f.astype(np.complex128) for f in fs], x.astype(np.complex128))
    steps = km.plan(k.xp, k.factors, 1, x.dtype)
    program = km.numpy_program(steps, x.dtype, k.shape[0], 1)
    assert isinstance(program, km.TunedProgram)
    assert set(program.programs) == {"modes", "rotate", "rotate_back"}
    tol = 1e-4 if dtype == np.float32 else 1e-12
    for name, prog in program.programs.items():
        before = x.copy()
        y = prog.run(x[:, None])[:, 0]
        np.testing.assert_array_equal(x, before)
        assert y.dtype == dtype, name
        err = np.linalg.norm(y - expected) / np.linalg.norm(expected)
        assert err < tol, (name, err)


def test_trials_keep_the_fastest_schedule_after_dropping_the_first_timing() -> None:
    names = ("modes", "rotate", "rotate_back")
    t = km.Trials(names, 2, {n: [] for n in names})
    fake = {"modes": [9.0, 3.0, 3.0], "rotate": [1.0, 4.0, 5.0], "rotate_back": [9.0, 2.0, 6.0]}
    order = []
    while t.choice is None:
        name = t.next()
        order.append(name)
        t.record(name, fake[name][len(t.times[name])])
    # round robin, and the cold first timing (rotate's 1.0) does not count
    assert order == ["modes", "rotate", "rotate_back"] * 3
    assert t.choice == "rotate_back"
    assert t.next() == "rotate_back"


def test_products_tune_once_per_shape_then_run_the_choice() -> None:
    rng = np.random.default_rng(7)
    fs = [rng.standard_normal((30, 30)) for _ in range(3)]
    km.TUNING.clear()
    try:
        k1, k2 = kb.kron(*fs), kb.kron(*[f.T.copy() for f in fs])
        x = rng.standard_normal(27000)
        results = [k1 @ x for _ in range(6)] + [k2 @ x for _ in range(6)]
        (trials,) = km.TUNING._table.values()  # one kind of product: shared
        assert trials.choice in ("modes", "rotate", "rotate_back")
        assert all(len(v) == km.TUNING.rounds + 1 for v in trials.times.values())
        for fac, ys in ((fs, results[:6]), ([f.T for f in fs], results[6:])):
            dense = _vec_trick(fac, x)
            for y in ys:
                np.testing.assert_allclose(y, dense, rtol=1e-11, atol=1e-11 * np.abs(dense).max())
        for i, a in enumerate(results):  # every result is its own array
            assert not any(np.shares_memory(a, b) for b in results[i + 1 :])
    finally:
        km.TUNING.clear()


def test_tuning_off_runs_the_modes_schedule() -> None:
    rng = np.random.default_rng(8)
    fs = [rng.standard_normal((30, 30)) for _ in range(3)]
    km.TUNING.enabled = False
    try:
        k = kb.kron(*fs)
        steps = km.plan(k.xp, k.factors, 1, np.dtype(np.float64))
        program = km.numpy_program(steps, np.dtype(np.float64), k.shape[0], 1)
        assert isinstance(program, km.NumpyProgram)
        assert "batched" in program.kinds
    finally:
        km.TUNING.enabled = True


def test_small_rotation_matches_the_general_program_and_yields_to_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(9)
    for shapes in ([(16, 16)] * 3, [(3, 5), (4, 2), (6, 6)], [(4, 4)] * 5):
        fs = [rng.standard_normal(s) for s in shapes]
        k = kb.kron(*fs)
        x = rng.standard_normal(k.shape[1])
        steps = km.plan(k.xp, k.factors, 1, x.dtype)
        program = km.numpy_program(steps, x.dtype, k.shape[0], 1)
        assert isinstance(program, km.SmallRotation)
        expected = _vec_trick(fs, x)
        first, second = program.run(x[:, None]), program.run(x[:, None])
        assert first.shape == (k.shape[0], 1) and not np.shares_memory(first, second)
        np.testing.assert_allclose(first[:, 0], expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(first, program.general.run(x[:, None]))
        xs = [rng.standard_normal(k.shape[1]) for _ in range(16)]
        with ThreadPoolExecutor(4) as pool:  # concurrent products: the busy one falls back
            ys = list(pool.map(program.run, [v[:, None] for v in xs * 8]))
        for v, y in zip(xs * 8, ys):
            np.testing.assert_allclose(y[:, 0], _vec_trick(fs, v), rtol=1e-12, atol=1e-12)
