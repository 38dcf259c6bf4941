"""``python -m kronblock``: the command line (see :mod:`kronblock._cli`)."""

from kronblock._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
