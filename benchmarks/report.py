"""The machine header, the one markdown table, the JSON of raw numbers and the plot."""

from __future__ import annotations

import json
import math
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from machine import Bounds, Machine
from timing import Outcome

__all__ = ["CONTENTION_FLAG", "Row", "header", "table", "write_json", "write_plot"]

CONTENTION_FLAG = 0.10
"""Rows measured while other processes used more than this share of the CPU get a †."""


@dataclass
class Row:
    """One line of the table: one case (or solve/slogdet) in one dtype.

    Attributes
    ----------
    case : str
        Case name (``--cases``).
    description : str
        Factor shapes in words.
    dtype : str
    size : str
        ``N`` (and ``k``) for the table.
    outcomes : dict
        Library name → :class:`~timing.Outcome`, in column order.
    bounds : Bounds or None
        ``None`` for rows without a bound (solve, slogdet).
    """

    case: str
    description: str
    dtype: str
    size: str
    outcomes: dict[str, Outcome]
    bounds: Bounds | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def kronblock_seconds(self) -> float | None:
        """kronblock's median time, when it ran and was right."""
        mine = self.outcomes.get("kronblock")
        return mine.seconds if mine is not None and mine.status == "ok" else None

    def fastest_peer(self) -> tuple[str, float] | None:
        """The fastest correct peer (NumPy included) and its time."""
        peers = [
            (name, out.seconds)
            for name, out in self.outcomes.items()
            if name != "kronblock" and out.status == "ok" and out.seconds is not None
        ]
        return min(peers, key=lambda item: item[1]) if peers else None


def _ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or denominator is None or denominator <= 0:
        return "—"
    return f"{numerator / denominator:.2f}"


def _row_cells(row: Row) -> list[str]:
    mine = row.kronblock_seconds()
    fastest = row.fastest_peer()
    versus = "—"
    if fastest is not None and mine is not None:
        versus = f"{_ratio(fastest[1], mine)} ({fastest[0]})"
    kpass = _ratio(mine, row.bounds.kpass) if row.bounds else "—"
    onepass = _ratio(mine, row.bounds.onepass) if row.bounds else "—"
    label = row.description if row.case == row.description else f"{row.case}: {row.description}"
    busy = row.extra.get("others_cpu", 0.0) > CONTENTION_FLAG
    cells = [label, f"{row.dtype} †" if busy else row.dtype, row.size]
    cells += [out.cell() for out in row.outcomes.values()]
    return [*cells, versus, kpass, onepass]


def table(rows: list[Row], libraries: list[str]) -> str:
    """The markdown table of all rows.

    Parameters
    ----------
    rows : list of Row
    libraries : list of str
        Column order; every row has an outcome for each.

    Returns
    -------
    str
    """
    head = ["case", "dtype", "N", *libraries, "vs fastest peer", "/ K-pass bound", "/ 1-pass bound"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for row in rows:
        cells = [cell.replace("|", "/") for cell in _row_cells(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _blas_lines(machine: Machine) -> list[str]:
    if not machine.blas:
        return ["- BLAS: unknown (threadpoolctl not installed)"]
    lines = []
    for lib in machine.blas:
        path = Path(str(lib.get("filepath", "?")))
        words = [lib.get("internal_api"), lib.get("version"), lib.get("architecture")]
        name = " ".join(str(word) for word in words if word)
        lines.append(
            f"- {lib.get('user_api')}: {name}, {lib.get('num_threads')} threads "
            f"({path.parent.name}/{path.name})"
        )
    return lines


def header(machine: Machine, settings: dict[str, Any]) -> str:
    """The machine header printed above the table.

    Parameters
    ----------
    machine : Machine
    settings : dict
        ``env``, ``torch``, ``versions``, ``missing``, ``reps``, ``smoke``.

    Returns
    -------
    str
    """
    bw = ", ".join(
        f"{threads} thread{'s' if threads > 1 else ''} {rate / 1e9:.1f}"
        for threads, rate in machine.bandwidth_by_threads.items()
    )
    gemm = "; ".join(
        f"{dtype} {rate / 1e9:.0f} GFLOP/s ({machine.gemm_detail[dtype]['best']})"
        for dtype, rate in machine.gemm.items()
    )
    versions = ", ".join(f"{name} {version}" for name, version in settings["versions"].items())
    lines = [
        f"## kronblock benchmark{' (smoke)' if settings['smoke'] else ''}",
        "",
        f"- date: {machine.date}",
        f"- CPU: {machine.cpu}, {machine.cores} cores; Python {platform.python_version()}",
        *_blas_lines(machine),
        f"- {settings['torch']}",
        f"- environment: {settings['env']}",
        f"- memory bandwidth (best copy, read + write bytes): {bw} GB/s → "
        f"{machine.bandwidth / 1e9:.1f} GB/s",
        f"- GEMM peak (best square matmul): {gemm}",
        f"- versions: {versions}",
        "- peers: not run (--smoke)"
        if settings["smoke"]
        else f"- missing peers: {', '.join(settings['missing']) or 'none'}",
        f"- other processes (and the hypervisor) used {settings['others_cpu']:.0%} of the CPU "
        f"during the run ({settings['others_cpu_machine']:.0%} while the limits were measured)"
        + (
            ": the limits were measured too low, so the bound ratios are flattered"
            if settings["others_cpu_machine"] > CONTENTION_FLAG
            else ""
        ),
        f"- timing: median of {settings['reps']} timed calls, each right after a warm-up call "
        "(fewer, at least 3, when one call is slow); the matmul rows time their libraries "
        "in rounds, one warm-up and timed call of each per round; every result checked "
        "against a float64 reference",
    ]
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, machine: Machine, rows: list[Row], settings: dict[str, Any]) -> None:
    """All raw numbers: the machine, the settings, every row with every timed call.

    Parameters
    ----------
    path : Path
    machine : Machine
    rows : list of Row
    settings : dict
    """
    data = {
        "machine": asdict(machine),
        "settings": settings,
        "rows": [asdict(row) for row in rows],
    }
    path.write_text(json.dumps(_jsonable(data), indent=1) + "\n", encoding="utf-8")


def write_plot(path: Path, rows: list[Row], libraries: list[str]) -> str:
    """Bar plot of each library's time over the K-pass bound (log scale).

    Parameters
    ----------
    path : Path
        PNG to write.
    rows : list of Row
        Rows without bounds (solve, slogdet) are left out.
    libraries : list of str

    Returns
    -------
    str
        What happened, for the console.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "plot: matplotlib not installed, no plot"
    rows = [row for row in rows if row.bounds is not None]
    if not rows:
        return "plot: nothing to plot"
    fig, ax = plt.subplots(figsize=(max(8.0, 1.1 * len(rows)), 4.5))
    width = 0.8 / len(libraries)
    for j, name in enumerate(libraries):
        heights = []
        for row in rows:
            out = row.outcomes[name]
            seconds = out.seconds if out.status == "ok" and out.seconds is not None else math.nan
            heights.append(seconds / row.bounds.kpass if row.bounds else math.nan)
        positions = np.arange(len(rows)) + (j - (len(libraries) - 1) / 2) * width
        ax.bar(positions, heights, width, label=name)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_ylabel("time / K-pass bound (log)")
    ax.set_xticks(np.arange(len(rows)))
    ax.set_xticklabels([f"{row.case}\n{row.dtype}" for row in rows], fontsize=7)
    ax.legend(fontsize=7, ncol=4)
    ax.set_title("Kronecker matmul: time over the K-pass bound (lower is better; 1 = bound)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"plot: {path}"
