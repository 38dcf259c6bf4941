"""``kronblock.graphs``: graphs, graph products and the grid Poisson solver.

Every reference is NumPy-only and built independently of the code under test:
adjacency matrices from explicit edge lists, products entry by entry from
their combinatorial definitions, Laplacians entry by entry, the Poisson
operator from explicit stencils, and solutions by ``np.linalg.solve`` /
``np.linalg.lstsq`` on the dense matrix.  networkx, where installed, is a
second, external reference.
"""

from __future__ import annotations

import itertools
import math
from functools import reduce
from typing import Any

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import kronblock as kb
import kronblock.graphs as kg
from conftest import from_numpy, library, to_numpy

# ---- independent references ----------------------------------------------------------
EDGES = {
    "path": (1, lambda n: [(i, i + 1) for i in range(n - 1)]),
    "cycle": (3, lambda n: [(i, (i + 1) % n) for i in range(n)]),
    "complete": (1, lambda n: [(i, j) for i in range(n) for j in range(i + 1, n)]),
    "star": (1, lambda n: [(0, j) for j in range(1, n)]),
}


def ref_adjacency(n: int, edges: list[tuple[int, int]]) -> np.ndarray:
    a = np.zeros((n, n))
    for i, j in edges:
        a[i, j] = a[j, i] = 1.0
    return a


def ref_laplacian(a: np.ndarray, normalized: bool = False) -> np.ndarray:
    """Entry by entry: ``L[i, j] = [i = j] dᵢ − A[i, j]``.

    Normalized: ``L[i, j]/√(dᵢdⱼ)``, and 0 where a degree is 0.
    """
    n = a.shape[0]
    d = [sum(a[i, j] for j in range(n)) for i in range(n)]
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            lij = (d[i] if i == j else 0.0) - a[i, j]
            if normalized:
                lij = lij / math.sqrt(d[i] * d[j]) if d[i] > 0 and d[j] > 0 else 0.0
            out[i, j] = lij
    return out


def ref_product(adjs: list[np.ndarray], kind: str) -> np.ndarray:
    """The product's adjacency from its definition, over vertex tuples in row-major order."""
    verts = list(itertools.product(*(range(a.shape[0]) for a in adjs)))
    out = np.zeros((len(verts), len(verts)))
    for r, u in enumerate(verts):
        for c, v in enumerate(verts):
            differ = [i for i in range(len(adjs)) if u[i] != v[i]]
            if kind == "cartesian":  # differ in exactly one coordinate, adjacent there
                if len(differ) == 1:
                    i = differ[0]
                    out[r, c] = adjs[i][u[i], v[i]]
                elif not differ:  # self-loops add up
                    out[r, c] = sum(a[w, w] for a, w in zip(adjs, u))
            elif kind == "tensor":  # adjacent in every coordinate
                out[r, c] = math.prod(a[ui, vi] for a, ui, vi in zip(adjs, u, v))
            else:  # strong: distinct, and each coordinate equal or adjacent
                w = math.prod(a[ui, vi] + (ui == vi) for a, ui, vi in zip(adjs, u, v))
                out[r, c] = w - (not differ)
    return out


def ref_second_difference(n: int, boundary: str, h: float) -> np.ndarray:
    """The 1-D stencil row by row: Dirichlet ``(−1, 2, −1)``; Neumann/periodic ``Σ (uᵢ − uⱼ)``."""
    t = np.zeros((n, n))
    for i in range(n):
        if boundary == "dirichlet":
            t[i, i] = 2.0
            for j in (i - 1, i + 1):
                if 0 <= j < n:
                    t[i, j] -= 1.0
        else:
            nbrs = [i - 1, i + 1]
            nbrs = [j % n for j in nbrs] if boundary == "periodic" else nbrs
            for j in nbrs:
                if 0 <= j < n:
                    t[i, i] += 1.0
                    t[i, j] -= 1.0
    return t / h**2


def ref_kronsum(mats: list[np.ndarray]) -> np.ndarray:
    dims = [m.shape[0] for m in mats]
    out = np.zeros((math.prod(dims),) * 2)
    for i, m in enumerate(mats):
        eyes = [m if j == i else np.eye(n) for j, n in enumerate(dims)]
        out += reduce(np.kron, eyes)
    return out


def ref_poisson(shape: tuple[int, ...], bcs: tuple[str, ...], hs: tuple[float, ...]) -> np.ndarray:
    return ref_kronsum([ref_second_difference(n, b, h) for n, b, h in zip(shape, bcs, hs)])


def dense_solution(f: np.ndarray, bcs: tuple[str, ...], hs: tuple[float, ...]) -> np.ndarray:
    a = ref_poisson(f.shape, bcs, hs)
    if all(b != "dirichlet" for b in bcs):  # singular: the minimum-norm (mean-zero) solution
        return np.linalg.lstsq(a, f.ravel(), rcond=None)[0].reshape(f.shape)
    return np.linalg.solve(a, f.ravel()).reshape(f.shape)


def assert_close(actual: Any, expected: np.ndarray, rtol: float = 1e-10, atol: float = 1e-10):
    np.testing.assert_allclose(to_numpy(actual), expected, rtol=rtol, atol=atol)


# ---- strategies ------------------------------------------------------------------------
def random_weights(rng: np.random.Generator, n: int) -> np.ndarray:
    """Symmetric non-negative weights with self-loops, maybe an isolated vertex."""
    w = rng.uniform(0.1, 2.0, (n, n)) * (rng.random((n, n)) < 0.6)
    w = np.triu(w) + np.triu(w, 1).T
    if n > 1 and rng.random() < 0.4:
        k = int(rng.integers(n))
        w[k, :] = 0.0
        w[:, k] = 0.0
    return w


@st.composite
def factor_graphs(draw: Any, max_n: int = 5) -> tuple[kg.Graph, np.ndarray]:
    kind = draw(st.sampled_from(["path", "cycle", "complete", "star", "dense", "sparse"]))
    if kind in EDGES:
        least, edges = EDGES[kind]
        n = draw(st.integers(least, max_n))
        sparse = draw(st.booleans())
        return getattr(kg, kind)(n, sparse=sparse), ref_adjacency(n, edges(n))
    n = draw(st.integers(1, max_n))
    w = random_weights(np.random.default_rng(draw(st.integers(0, 2**16))), n)
    return kg.from_adjacency(sp.csr_array(w) if kind == "sparse" else w), w


def check_graph(g: kg.Graph, a: np.ndarray) -> None:
    """Adjacency, degrees and both Laplacians equal the references (dense and as products)."""
    n = a.shape[0]
    assert g.n == n
    x = np.random.default_rng(0).normal(size=(n, 2))
    assert_close(g.adjacency.to_dense(), a)
    assert_close(g.adjacency @ x, a @ x)
    assert_close(g.degrees, a.sum(axis=1))
    for normalized in (False, True):
        lap = g.laplacian(normalized=normalized)
        ref = ref_laplacian(a, normalized)
        assert lap.shape == (n, n)
        assert_close(lap.to_dense(), ref)
        assert_close(lap @ x, ref @ x)


# ---- graphs ------------------------------------------------------------------------------
@given(factor_graphs(max_n=9))
def test_graph_matches_its_edge_list(case: tuple[kg.Graph, np.ndarray]) -> None:
    g, a = case
    check_graph(g, a)
    assert g.dims == (g.n,)
    assert "hermitian" in g.laplacian().tags  # validated symmetric: eigh takes it as given


@pytest.mark.parametrize("sparse", [True, False])
def test_named_graphs_keep_their_storage(sparse: bool) -> None:
    for g in (kg.path(5, sparse=sparse), kg.cycle(5, sparse=sparse), kg.star(5, sparse=sparse)):
        kind = kb.Sparse if sparse else kb.Dense
        assert isinstance(g.adjacency, kind)
        assert isinstance(g.laplacian(), kind)
        assert isinstance(g.laplacian(normalized=True), kind)
    assert isinstance(kg.complete(4).adjacency, kb.Dense)
    assert repr(kg.path(5)) == "Graph(path(5), n=5)"


def test_closed_form_spectra() -> None:
    n = 7
    k = np.arange(n)
    cases = [
        (kg.path(n), 2 - 2 * np.cos(np.pi * k / n)),
        (kg.cycle(n), 2 - 2 * np.cos(2 * np.pi * k / n)),
        (kg.complete(n), np.r_[0.0, np.full(n - 1, float(n))]),
        (kg.star(n), np.r_[0.0, np.ones(n - 2), float(n)]),
    ]
    for g, lam in cases:
        np.testing.assert_allclose(kb.eigvalsh(g.laplacian()), np.sort(lam), atol=1e-12)


def test_isolated_vertices_follow_networkx_convention() -> None:
    # D^{-1/2} = 0 at degree 0: the isolated vertex's row and column of the normalized
    # Laplacian vanish
    w = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    n = kg.from_adjacency(w).laplacian(normalized=True).to_dense()
    np.testing.assert_allclose(n, [[1.0, -1.0, 0.0], [-1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])


# ---- from_adjacency ------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["dense", "sparse"])
def test_from_adjacency_validation(form: str) -> None:
    def build(a: np.ndarray) -> kg.Graph:
        return kg.from_adjacency(sp.csr_array(a) if form == "sparse" else a)

    with pytest.raises(ValueError, match=r"square \(n, n\).*\(2, 3\)"):
        build(np.ones((2, 3)))
    with pytest.raises(
        ValueError, match=r"must be symmetric; max \|a - a.T\| = 1 .*\(a \+ a.T\) / 2"
    ):
        build(np.array([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="non-negative; the smallest entry is -1"):
        build(np.array([[0.0, -1.0], [-1.0, 0.0]]))
    with pytest.raises(ValueError, match="NaN or infinite"):
        build(np.array([[0.0, np.nan], [np.nan, 0.0]]))
    with pytest.raises(TypeError, match="real, got dtype complex128"):
        build(np.array([[0.0, 1j], [1j, 0.0]]))
    with pytest.raises(ValueError, match="at least one vertex"):
        build(np.zeros((0, 0)))


def test_from_adjacency_inputs() -> None:
    with pytest.raises(ValueError, match=r"square \(n, n\) array, got shape \(2, 2, 2\)"):
        kg.from_adjacency(np.zeros((2, 2, 2)))
    with pytest.raises(TypeError, match=r"expected an array or scipy\.sparse matrix, got str"):
        kg.from_adjacency("graph")
    with pytest.raises(TypeError, match="got an operator"):
        kg.from_adjacency(kb.Dense(np.zeros((2, 2))))
    # lists, booleans and integers become float64; float32 stays float32
    g = kg.from_adjacency([[0, 1], [1, 0]])
    assert g.adjacency.dtype == np.float64
    assert kg.from_adjacency(np.array([[False, True], [True, False]])).degrees.dtype == np.float64
    g32 = kg.from_adjacency(np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32))
    assert g32.laplacian(normalized=True).dtype == np.float32
    # asymmetry at rounding level is averaged away, not refused
    w = np.array([[0.0, 1.0], [1.0 + 1e-15, 0.0]])
    for a in (w, sp.csr_array(w)):
        m = kg.from_adjacency(a).adjacency.to_dense()
        assert m[0, 1] == m[1, 0]


def test_constructor_errors() -> None:
    with pytest.raises(ValueError, match="path: n must be an int ≥ 1, got 0"):
        kg.path(0)
    with pytest.raises(ValueError, match="cycle: n must be an int ≥ 3, got 2"):
        kg.cycle(2)
    with pytest.raises(ValueError, match=r"star: n must be an int ≥ 1, got 2\.5"):
        kg.star(2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="grid: give the number of vertices"):
        kg.grid()
    with pytest.raises(ValueError, match=r"axis 1 is periodic with 2 vertices.*at least 3"):
        kg.torus(4, 2)
    with pytest.raises(ValueError, match="periodic has 1 entries for 2 axes"):
        kg.grid(3, 4, periodic=[True])
    with pytest.raises(TypeError, match="argument 1 is a ndarray, expected a Graph"):
        kg.cartesian(kg.path(2), np.eye(2))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="strong: needs at least one graph"):
        kg.strong()
    with pytest.raises(ValueError, match=r"degrees must have shape \(3,\)"):
        kg.Graph(np.zeros((3, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="give factors together with the product"):
        kg.Graph(np.zeros((3, 3)), product="tensor")


def test_graph_from_any_operator() -> None:
    # a Graph may hold any symmetric operator: degrees by one product, a lazy Laplacian
    a = kb.kron(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[1.0, 2.0], [2.0, 0.0]]))
    g = kg.Graph(a)
    dense = a.to_dense()
    np.testing.assert_allclose(g.degrees, dense.sum(axis=1))
    np.testing.assert_allclose(g.laplacian().to_dense(), ref_laplacian(dense))
    np.testing.assert_allclose(g.laplacian(normalized=True).to_dense(), ref_laplacian(dense, True))


# ---- products ------------------------------------------------------------------------------
@given(
    st.lists(factor_graphs(max_n=4), min_size=2, max_size=3),
    st.sampled_from(["cartesian", "tensor", "strong"]),
)
def test_products_match_their_definitions(
    cases: list[tuple[kg.Graph, np.ndarray]], kind: str
) -> None:
    graphs = [g for g, _ in cases]
    adjs = [a for _, a in cases]
    p = getattr(kg, kind)(*graphs)
    assert p.product == kind
    assert p.dims == tuple(a.shape[0] for a in adjs)
    check_graph(p, ref_product(adjs, kind))


@given(st.lists(factor_graphs(max_n=5), min_size=2, max_size=3))
def test_cartesian_laplacian_is_a_kronecker_sum(cases: list[tuple[kg.Graph, np.ndarray]]) -> None:
    graphs = [g for g, _ in cases]
    lap = kg.cartesian(*graphs).laplacian()
    assert isinstance(lap, kb.KroneckerSum)
    assert len(lap.factors) == len(graphs)
    # L(G □ H □ …) = L_G ⊗ I ⊗ … + I ⊗ L_H ⊗ … + …
    expected = ref_kronsum([ref_laplacian(a) for _, a in cases])
    assert_close(lap.to_dense(), expected)
    # its spectrum: all sums of factor eigenvalues, through the factors
    lam = [np.linalg.eigvalsh(ref_laplacian(a)) for _, a in cases]
    sums = reduce(lambda x, y: np.add.outer(x, y).ravel(), lam)
    np.testing.assert_allclose(kb.eigvalsh(lap), np.sort(sums), atol=1e-10)


def test_cartesian_normalized_laplacian() -> None:
    # regular factors: D = c I and the normalized Laplacian is the Kronecker sum ⊕(Lᵢ/c)
    g = kg.cartesian(kg.cycle(5), kg.complete(4), kg.cycle(3))  # degrees 2 + 3 + 2 = 7
    n = g.laplacian(normalized=True)
    assert isinstance(n, kb.KroneckerSum)
    a = ref_product(
        [
            ref_adjacency(k, EDGES[e][1](k))
            for e, k in [("cycle", 5), ("complete", 4), ("cycle", 3)]
        ],
        "cartesian",
    )
    assert_close(n.to_dense(), ref_laplacian(a, True))
    np.testing.assert_allclose(kb.eigvalsh(n), np.linalg.eigvalsh(ref_laplacian(a) / 7), atol=1e-12)
    # irregular: a lazy D^{-1/2} (⊕Lᵢ) D^{-1/2} with the Kronecker sum in the middle
    g = kg.cartesian(kg.path(4), kg.star(3))
    n = g.laplacian(normalized=True)
    assert isinstance(n, kb.Product)
    assert any(isinstance(f, kb.KroneckerSum) for f in n.factors)
    ref = ref_laplacian(
        ref_product(
            [ref_adjacency(4, EDGES["path"][1](4)), ref_adjacency(3, EDGES["star"][1](3))],
            "cartesian",
        ),
        True,
    )
    assert_close(n.to_dense(), ref)
    w = np.linalg.eigvalsh(ref)
    assert w.min() > -1e-12 and w.max() < 2 + 1e-12


def test_products_flatten_and_nest() -> None:
    p3, c4, s3 = kg.path(3), kg.cycle(4), kg.star(3)
    g = kg.cartesian(kg.cartesian(p3, c4), s3)
    assert len(g.factors) == 3 and g.dims == (3, 4, 3)
    assert repr(g) == "Graph(path(3) □ cycle(4) □ star(3), n=36)"
    assert kg.tensor(p3) is p3
    # a product of products of different kinds: everything through the factors' operators
    adjs = {g: ref_adjacency(g.n, EDGES[g.name.split("(")[0]][1](g.n)) for g in (p3, c4, s3)}
    mixed = kg.strong(kg.tensor(p3, c4), s3)
    assert repr(mixed) == "Graph((path(3) × cycle(4)) ⊠ star(3), n=36)"
    ref = ref_product([ref_product([adjs[p3], adjs[c4]], "tensor"), adjs[s3]], "strong")
    check_graph(mixed, ref)
    mixed = kg.cartesian(kg.strong(p3, s3), c4)
    ref = ref_product([ref_product([adjs[p3], adjs[s3]], "strong"), adjs[c4]], "cartesian")
    check_graph(mixed, ref)


def test_tensor_and_strong_structure() -> None:
    g, h = kg.cycle(4), kg.complete(3)
    t = kg.tensor(g, h)
    assert isinstance(t.adjacency, kb.Kronecker)
    # regular factors, no isolated vertices: I − ⊗Âᵢ, eigenvalues 1 − μ₁μ₂ (μᵢ: those of the
    # normalized adjacencies Âᵢ)
    mu = [
        np.linalg.eigvalsh(np.eye(k.n) - ref_laplacian(k.adjacency.to_dense(), True))
        for k in (g, h)
    ]
    np.testing.assert_allclose(
        np.linalg.eigvalsh(t.laplacian(normalized=True).to_dense()),
        np.sort(1 - np.multiply.outer(*mu).ravel()),
        atol=1e-12,
    )
    s = kg.strong(g, h)
    a = ref_product([g.adjacency.to_dense(), h.adjacency.to_dense()], "strong")
    # (2 + 1)(2 + 1) − 1 = 8-regular: the normalized Laplacian is L / 8
    assert s.is_regular and float(s.degrees[0]) == 8
    assert_close(s.laplacian(normalized=True).to_dense(), ref_laplacian(a) / 8)


def test_networkx_agrees() -> None:
    nx = pytest.importorskip("networkx")  # optional external reference

    def nx_laplacian(graph: Any, normalized: bool) -> np.ndarray:
        nodes = sorted(graph.nodes())  # tuples sort lexicographically: row-major
        fn = nx.normalized_laplacian_matrix if normalized else nx.laplacian_matrix
        return fn(graph, nodelist=nodes).toarray()

    ours = {
        "path": kg.path(4),
        "cycle": kg.cycle(5),
        "star": kg.star(4),
        "complete": kg.complete(3),
    }
    theirs = {
        "path": nx.path_graph(4),
        "cycle": nx.cycle_graph(5),
        "star": nx.star_graph(3),
        "complete": nx.complete_graph(3),
    }
    products = {
        "cartesian": nx.cartesian_product,
        "tensor": nx.tensor_product,
        "strong": nx.strong_product,
    }
    for (na, ga), (nb, gb) in itertools.combinations(ours.items(), 2):
        for kind, nx_product in products.items():
            ref = nx_product(theirs[na], theirs[nb])
            mine = getattr(kg, kind)(ga, gb)
            for normalized in (False, True):
                assert_close(mine.laplacian(normalized).to_dense(), nx_laplacian(ref, normalized))
    grid = nx.grid_graph(dim=[4, 3, 2])  # networkx lists the dimensions last axis first
    assert_close(kg.grid(2, 3, 4).laplacian().to_dense(), nx_laplacian(grid, False))


def test_grid_and_torus() -> None:
    shape = (3, 4, 5)
    g, t = kg.grid(*shape), kg.torus(*shape)
    assert g.dims == shape and g.n == 60 and repr(g) == "Graph(grid(3, 4, 5), n=60)"
    assert t.is_regular and float(t.degrees[0]) == 6 and not g.is_regular
    # grid Laplacian = Neumann second differences; torus = periodic
    assert_close(
        g.laplacian().to_dense(), kg.poisson_operator(shape, boundary="neumann").to_dense()
    )
    assert_close(
        t.laplacian().to_dense(), kg.poisson_operator(shape, boundary="periodic").to_dense()
    )
    # closed-form spectra
    lam_p = [2 - 2 * np.cos(np.pi * np.arange(n) / n) for n in shape]
    lam_c = [2 - 2 * np.cos(2 * np.pi * np.arange(n) / n) for n in shape]
    for graph, lam in ((g, lam_p), (t, lam_c)):
        closed = np.sort(reduce(lambda x, y: np.add.outer(x, y).ravel(), lam))
        np.testing.assert_allclose(kb.eigvalsh(graph.laplacian()), closed, atol=1e-12)
    # mixed: a cylinder, periodic along axis 1 only
    cyl = kg.grid(3, 4, periodic=[False, True])
    ref = ref_product(
        [ref_adjacency(3, EDGES["path"][1](3)), ref_adjacency(4, EDGES["cycle"][1](4))], "cartesian"
    )
    check_graph(cyl, ref)
    assert kg.grid(6).laplacian().shape == (6, 6)  # one axis: the path itself


def test_structured_spectral_functions_on_a_grid() -> None:
    # eigh, funm and expm of a grid Laplacian go through the factors (any densification would raise)
    g = kg.grid(30, 40)
    lap = g.laplacian()
    w, v = kb.eigh(lap)
    assert isinstance(v, kb.Kronecker)
    x = np.random.default_rng(1).normal(size=g.n)
    np.testing.assert_allclose(v @ (w * (v.H @ x)), lap @ x, atol=1e-10)
    heat = kb.funm(lap, lambda lam: np.exp(-0.5 * lam))
    small = kg.grid(5, 6, sparse=False)
    dense = sla.expm(-0.5 * small.laplacian().to_dense())
    assert_close(kb.expm(-0.5 * small.laplacian()).to_dense(), dense)
    assert_close(kb.funm(small.laplacian(), lambda lam: np.exp(-0.5 * lam)).to_dense(), dense)
    # heat is conserved: 1ᵀ e^{-tL} = 1ᵀ
    np.testing.assert_allclose((heat @ x).sum(), x.sum())


def test_graphs_in_other_libraries(xp: Any) -> None:
    rng = np.random.default_rng(3)
    wa, wb = random_weights(rng, 4), random_weights(rng, 3)
    ga = kg.from_adjacency(from_numpy(xp, wa))
    gb = kg.from_adjacency(from_numpy(xp, wb))
    assert library(ga.degrees) == library(from_numpy(xp, wa))
    x = rng.normal(size=12)
    for kind in ("cartesian", "tensor", "strong"):
        p = getattr(kg, kind)(ga, gb)
        ref = ref_product([wa, wb], kind)
        for normalized in (False, True):
            y = p.laplacian(normalized) @ from_numpy(xp, x)
            assert library(y) == library(from_numpy(xp, x))
            assert_close(y, ref_laplacian(ref, normalized) @ x)


# ---- the Poisson problem ------------------------------------------------------------------
@pytest.mark.parametrize("boundary", kg.BOUNDARIES)
@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_second_difference(boundary: str, n: int) -> None:
    t = kg.second_difference(n, boundary, h=0.5)
    assert isinstance(t, kb.Dense) and "hermitian" in t.tags
    np.testing.assert_array_equal(t.to_dense(), ref_second_difference(n, boundary, 0.5))


SHAPES = {1: (9,), 2: (5, 6), 3: (3, 4, 5)}


@pytest.mark.parametrize("method", ["eig", "fft"])
@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("boundary", kg.BOUNDARIES)
def test_poisson_matches_dense(boundary: str, d: int, method: str) -> None:
    shape = SHAPES[d]
    hs = (0.5, 2.0, 1.0)[:d]
    f = np.random.default_rng(d).normal(size=shape)
    if boundary != "dirichlet":
        f -= f.mean()
    u = kg.poisson_solve(f, boundary=boundary, h=hs, method=method)
    assert u.shape == shape and u.dtype == np.float64
    expected = dense_solution(f, (boundary,) * d, hs)
    assert_close(u, expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())
    if boundary != "dirichlet":
        assert abs(u.mean()) < 1e-12 * np.abs(u).max()


@given(
    st.lists(
        st.tuples(
            st.integers(1, 6), st.sampled_from(kg.BOUNDARIES), st.sampled_from([0.25, 1.0, 3.0])
        ),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from(["auto", "eig", "fft"]),
    st.integers(0, 2**16),
)
def test_poisson_mixed_boundaries(
    axes: list[tuple[int, str, float]], method: str, seed: int
) -> None:
    shape = tuple(n for n, _, _ in axes)
    bcs = tuple(b for _, b, _ in axes)
    hs = tuple(h for _, _, h in axes)
    f = np.random.default_rng(seed).normal(size=shape)
    if "dirichlet" not in bcs:
        f -= f.mean()
    u = kg.poisson_solve(f, boundary=bcs, h=hs, method=method)
    expected = dense_solution(f, bcs, hs)
    assert_close(u, expected, rtol=1e-8, atol=1e-8 * max(np.abs(expected).max(), 1.0))


@pytest.mark.parametrize("method", ["eig", "fft"])
@pytest.mark.parametrize("boundary", kg.BOUNDARIES)
def test_poisson_residual_at_scale(boundary: str, method: str) -> None:
    # 200 × 300: checked through the Kronecker-sum operator, never a dense matrix
    shape, hs = (200, 300), (1 / 201, 1 / 301)
    f = np.random.default_rng(7).normal(size=shape)
    if boundary != "dirichlet":
        f -= f.mean()
    u = kg.poisson_solve(f, boundary=boundary, h=hs, method=method)
    a = kg.poisson_operator(shape, boundary=boundary, h=hs)
    assert isinstance(a, kb.KroneckerSum)
    residual = np.linalg.norm(a @ u.ravel() - f.ravel())
    assert residual <= 1e-9 * np.linalg.norm(f)
    if boundary != "dirichlet":
        assert abs(u.mean()) <= 1e-12 * np.abs(u).max()


@pytest.mark.parametrize("method", ["eig", "fft"])
@pytest.mark.parametrize("boundary", ["neumann", "periodic", ("neumann", "periodic")])
def test_poisson_incompatible_right_hand_side(boundary: Any, method: str) -> None:
    f = np.ones((4, 5))
    with pytest.raises(kb.LinAlgError, match=r"right-hand side is incompatible") as info:
        kg.poisson_solve(f, boundary=boundary, method=method)
    assert isinstance(info.value, np.linalg.LinAlgError)
    msg = str(info.value)
    assert "mean zero" in msg and "mean(f) = 1" in msg and "poisson_solve(f - f.mean(), ...)" in msg
    # the way out named in the message works
    g = f + np.arange(5.0)
    u = kg.poisson_solve(g - g.mean(), boundary=boundary, method=method)
    a = kg.poisson_operator(f.shape, boundary=boundary)
    np.testing.assert_allclose(a @ u.ravel(), (g - g.mean()).ravel(), atol=1e-12)
    # one Dirichlet axis makes the operator nonsingular: any right-hand side
    kg.poisson_solve(f, boundary=("dirichlet", "neumann"), method=method)


def test_poisson_rtol() -> None:
    f = np.random.default_rng(0).normal(size=(6, 7))
    f -= f.mean()
    f += 1e-6
    with pytest.raises(kb.LinAlgError, match="incompatible"):
        kg.poisson_solve(f, boundary="periodic")
    # a looser tolerance accepts it and returns the least-squares (minimum-norm) solution
    u = kg.poisson_solve(f, boundary="periodic", rtol=1e-3)
    assert_close(u, dense_solution(f, ("periodic",) * 2, (1.0, 1.0)), atol=1e-9)


@pytest.mark.parametrize("method", ["eig", "fft"])
def test_poisson_dtypes(method: str) -> None:
    rng = np.random.default_rng(2)
    f = rng.normal(size=(12, 10))
    expected = dense_solution(f, ("dirichlet",) * 2, (1.0, 1.0))
    u32 = kg.poisson_solve(f.astype(np.float32), method=method)
    assert u32.dtype == np.float32
    np.testing.assert_allclose(u32, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    ui = kg.poisson_solve(np.arange(120).reshape(12, 10), method=method)
    assert ui.dtype == np.float64
    g = f + 1j * rng.normal(size=f.shape)
    g -= g.mean()
    uc = kg.poisson_solve(g, boundary="neumann", method=method)
    assert uc.dtype == np.complex128
    bcs = ("neumann", "neumann")
    assert_close(
        uc, dense_solution(g.real, bcs, (1.0, 1.0)) + 1j * dense_solution(g.imag, bcs, (1.0, 1.0))
    )


@pytest.mark.parametrize("method", ["eig", "fft"])
def test_poisson_in_other_libraries(xp: Any, method: str) -> None:
    shape, bcs, hs = (5, 6, 3), ("dirichlet", "neumann", "periodic"), (1.0, 0.5, 2.0)
    f = np.random.default_rng(4).normal(size=shape)
    expected = dense_solution(f, bcs, hs)
    fx = from_numpy(xp, f)
    u = kg.poisson_solve(fx, boundary=bcs, h=hs, method=method)
    assert library(u) == library(fx) and tuple(u.shape) == shape
    assert_close(u, expected, atol=1e-10)
    for b in ("neumann", "periodic"):
        g = f - f.mean()
        v = kg.poisson_solve(from_numpy(xp, g), boundary=b, method=method)
        assert_close(v, dense_solution(g, (b,) * 3, (1.0,) * 3), atol=1e-10)
    u32 = kg.poisson_solve(from_numpy(xp, f.astype(np.float32)), boundary=bcs, h=hs, method=method)
    assert to_numpy(u32).dtype == np.float32
    np.testing.assert_allclose(to_numpy(u32), expected, atol=1e-4 * np.abs(expected).max())


def test_poisson_errors() -> None:
    f = np.zeros((3, 4))
    with pytest.raises(
        ValueError,
        match=r"boundary must be one of \('dirichlet', 'neumann', 'periodic'\), got 'robin'",
    ):
        kg.poisson_solve(f, boundary="robin")
    with pytest.raises(ValueError, match="boundary has 3 entries for 2 axes"):
        kg.poisson_solve(f, boundary=("dirichlet",) * 3)
    with pytest.raises(ValueError, match="h has 1 entries for 2 axes"):
        kg.poisson_solve(f, h=[1.0])
    with pytest.raises(ValueError, match=r"positive and finite, got -1\.0"):
        kg.poisson_solve(f, h=-1.0)
    with pytest.raises(
        ValueError, match=r"method must be one of \('auto', 'eig', 'fft'\), got 'lu'"
    ):
        kg.poisson_solve(f, method="lu")
    with pytest.raises(ValueError, match="at least one axis"):
        kg.poisson_solve(np.float64(1.0))
    with pytest.raises(ValueError, match=r"at least one point, got shape \(3, 0\)"):
        kg.poisson_solve(np.zeros((3, 0)))
    with pytest.raises(ValueError, match="second_difference: n must be an int ≥ 1"):
        kg.second_difference(0)
    with pytest.raises(ValueError, match="poisson_operator: shape needs at least one axis"):
        kg.poisson_operator(())
