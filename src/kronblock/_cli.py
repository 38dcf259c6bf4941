"""The command line: ``python -m kronblock`` (or the ``kronblock`` script).

Commands
--------
``tour``
    Run the tour's chapters, in order: ``kronblock tour``; list them:
    ``kronblock tour --list``; run one: ``kronblock tour CHAPTER``.  Exits
    with 1 if any check fails or a chapter raises, 2 on a usage error.  The
    tour shows structure at work, so inside a chapter a
    :class:`~kronblock.DensificationWarning` (a dense fallback ran) is an error
    that fails the chapter.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
import warnings
from collections.abc import Sequence

__all__ = ["main"]


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kronblock",
        description="kronblock: lazy Kronecker products and block matrices.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    tour = commands.add_parser(
        "tour",
        help="run the tour: the seed examples and identities, checked against NumPy",
        description="Run the tour's chapters (all, in order, unless one is named).",
    )
    tour.add_argument("chapter", nargs="?", metavar="CHAPTER", help="run only this chapter")
    tour.add_argument("--list", action="store_true", help="list the chapters and exit")
    tour.set_defaults(handler=_tour, command_parser=tour)
    return parser


def _tour(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from ._errors import DensificationWarning
    from .tour import CHAPTERS, Checker

    if args.list:
        width = max(len(name) for name in CHAPTERS)
        for name, chapter in CHAPTERS.items():
            print(f"{name:<{width}}  {chapter.description}")
        return 0
    if args.chapter is not None and args.chapter not in CHAPTERS:
        parser.error(f"no chapter {args.chapter!r}; the chapters are {', '.join(CHAPTERS)}")
    names = [args.chapter] if args.chapter is not None else list(CHAPTERS)

    failed: list[str] = []
    for name in names:
        chapter = CHAPTERS[name]
        title = f"Chapter {name}: {chapter.description}"
        print(f"{title}\n{'═' * len(title)}")
        check = Checker()
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", DensificationWarning)
                chapter.run(check)
        except BrokenPipeError:
            raise  # the reader went away (``| head``): stop, see main
        except Exception:
            traceback.print_exc()
            check.failures.append("the chapter raised an exception (traceback above)")
        elapsed = time.perf_counter() - start
        print()
        if check.ok:
            print(f"{name}: all {check.passed} checks ok ({elapsed:.1f} s)\n")
        else:
            failed.append(name)
            print(f"{name}: {len(check.failures)} FAILED, {check.passed} ok ({elapsed:.1f} s)")
            for label in check.failures:
                print(f"  FAILED: {label}")
            print()
    if failed:
        print(f"FAILED chapters: {', '.join(failed)}")
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name.

    Returns
    -------
    int
        0 on success, 1 if a check failed or a chapter raised.  Usage errors
        exit with 2 through argparse (``SystemExit``).
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    # The tour prints ⊗, ᵀ, ‖…‖: never crash on a console that cannot show them.
    if callable(getattr(sys.stdout, "reconfigure", None)):
        sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    try:
        return int(args.handler(args.command_parser, args))
    except BrokenPipeError:
        # Python's recipe: silence the flush at exit once the pipe is closed.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
