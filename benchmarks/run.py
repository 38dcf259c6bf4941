"""Benchmark kronblock's Kronecker matmul, solve and slogdet against the peers.

From the repository root::

    python benchmarks/run.py            # the full suite (under 5 minutes on 2 cores)
    python benchmarks/run.py --cases sums   # only the Kronecker sum / plus-diagonal solves
    python benchmarks/run.py --cases blocks # only the block-diagonal / Toeplitz solves
    python benchmarks/run.py --cases equations # only the Sylvester solves and filters
    python benchmarks/run.py --smoke    # one tiny case, kronblock and NumPy only (CI)

Prints the machine header and the markdown tables, and writes ``results.md``,
``results.json`` and (with matplotlib) ``matmul.png`` to ``--out``.  See
``benchmarks/README.md`` for the peers, the byte model and the method.

This module imports only the standard library: it unsets the OpenBLAS
variables that slow NumPy's BLAS on some machines *before* NumPy is imported
(OpenBLAS reads them once, when it is loaded), then hands over to ``suite``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent

SLOW_BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
"""Unset for the suite's own process (not with ``--smoke``): a forced core type
or L2 size makes OpenBLAS pick slower kernels than it would detect itself."""


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Defaults to ``sys.argv[1:]``.

    Returns
    -------
    argparse.Namespace
    """
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Kronecker matmul, solve and slogdet: kronblock against the peers.",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="one tiny case, kronblock and NumPy only, rough machine limits (CI); "
        "leaves the environment alone",
    )
    parser.add_argument(
        "--cases",
        type=_names,
        default=None,
        metavar="NAME,...",
        help="cases to run (default: all matmul cases, 'solve', 'sums', 'blocks' and 'equations'); "
        "--list shows them",
    )
    parser.add_argument(
        "--dtypes",
        type=_names,
        default=["float64", "float32"],
        metavar="DTYPE,...",
        help="dtypes of the matmul cases, in this order (default: float64,float32)",
    )
    parser.add_argument(
        "--peers",
        type=_names,
        default=None,
        metavar="NAME,...",
        help="only these libraries besides kronblock (default: all)",
    )
    parser.add_argument(
        "--reps", type=int, default=7, help="timed calls per measurement (default: 7)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE / "out",
        help="output folder (default: benchmarks/out/)",
    )
    parser.add_argument("--no-plot", action="store_true", help="do not write matmul.png")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    for dtype in args.dtypes:
        if dtype not in ("float64", "float32"):
            parser.error(f"--dtypes: {dtype!r} is not float64 or float32")
    return args


def clean_blas_environment() -> dict[str, str]:
    """Unset :data:`SLOW_BLAS_VARIABLES` for this process.

    Must run before NumPy (or SciPy, or PyTorch) is imported: OpenBLAS reads
    its environment once, when the library is loaded.

    Returns
    -------
    dict
        The variables that were set, with their old values.
    """
    return {name: os.environ.pop(name) for name in SLOW_BLAS_VARIABLES if name in os.environ}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, clean the environment, run the suite.

    Parameters
    ----------
    argv : sequence of str, optional

    Returns
    -------
    int
        The exit status: 0, 1 when kronblock was wrong or failed, 2 on a usage error.
    """
    args = parse_args(argv)
    unset = {} if args.smoke else clean_blas_environment()
    if unset and "numpy" in sys.modules:
        print("warning: NumPy was imported before the environment was cleaned", file=sys.stderr)
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    from cases import CASES
    from suite import BLOCKS_CASE, EQUATIONS_CASE, SECTIONS, SOLVE_CASE, SUMS_CASE, run_suite

    if args.list:
        for case in CASES.values():
            print(f"{case.name:<14} {case.description}, N={case.size_label}")
        print(f"{SOLVE_CASE:<14} solve and slogdet, K=3, n=100, N=1e6 (float64)")
        print(
            f"{SUMS_CASE:<14} Kronecker sums (L⊕L⊕L, non-normal), K + σ²I, K + diag(d): "
            "solves at N=1e6 (float64)"
        )
        print(
            f"{BLOCKS_CASE:<14} block-diagonal, SPD Toeplitz (n=2000, 200 right-hand sides), "
            "block Toeplitz, BCCB: solves (float64)"
        )
        print(
            f"{EQUATIONS_CASE:<14} Sylvester AX + XB = C (n = 200, 500, 1000; symmetric at "
            "1000), separable filters on a 4000×4000 image (float64)"
        )
        return 0
    unknown = set(args.cases or ()) - set(CASES) - set(SECTIONS)
    if unknown:
        print(f"unknown case(s): {', '.join(sorted(unknown))}; see --list", file=sys.stderr)
        return 2
    return run_suite(args, unset)


if __name__ == "__main__":
    sys.exit(main())
