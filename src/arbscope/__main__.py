"""`python -m arbscope` and the `arbscope` console script."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from arbscope.cli import run

    return run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
