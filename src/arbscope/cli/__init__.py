"""The `arbscope` command line: one subcommand per module of this package.

A command module `arbscope/cli/<name>.py` exposes
`register(subparsers) -> None`, which adds its parser and sets
`handler=<function(args) -> int>` as a default; list its name in
`COMMAND_MODULES` to make it available.

Exit status: 0 done, 2 bad input or usage (a message on stderr that says what
was wrong and what would be right), 1 a failure at run time.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import NoReturn

from arbscope import __version__

COMMAND_MODULES: tuple[str, ...] = ("monitor", "scan", "record", "trades", "watchlist", "config")
"""Command modules under `arbscope.cli`, in the order `--help` lists them."""

DEFAULT_COMMANDS = ("monitor", "scan")
"""What plain `arbscope` runs: the first of these that is registered."""

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """Bad input from the user: printed as `arbscope CMD: error: ...`, exit status 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with an error message that also says where to find what would be right."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n(see '{self.prog} --help')\n")


def default_command() -> str:
    return next(name for name in DEFAULT_COMMANDS if name in COMMAND_MODULES)


def build_parser() -> tuple[ArgumentParser, dict[str, ArgumentParser]]:
    """The top-level parser and each command's own parser by name."""
    parser = ArgumentParser(
        prog="arbscope",
        description="A terminal monitor for crypto arbitrage (paper trading only).",
        epilog=f"Without a command, arbscope runs `{default_command()}`.",
    )
    parser.add_argument("--version", action="version", version=f"arbscope {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"arbscope.cli.{name}").register(subparsers)
    commands: dict[str, ArgumentParser] = dict(subparsers.choices)  # type: ignore[arg-type]
    return parser, commands


def with_default_command(argv: Sequence[str]) -> list[str]:
    """`argv` with the default command in front when it starts with no command."""
    args = list(argv)
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help", "--version")):
        return [default_command(), *args]
    return args


def _unknown_arguments(command: ArgumentParser, extras: list[str]) -> NoReturn:
    options = sorted({o for action in command._actions for o in action.option_strings})
    hints = []
    for extra in extras:
        guess = difflib.get_close_matches(extra.split("=", 1)[0], options, n=1)
        hints.append(f"{extra} (did you mean {guess[0]}?)" if guess else extra)
    command.error(
        f"unrecognized argument(s): {', '.join(hints)}; the options are {', '.join(options)}"
    )


def run(argv: Sequence[str]) -> int:
    """Parse `argv` (without the program name), run the command, return the exit status."""
    parser, commands = build_parser()
    try:
        args, extras = parser.parse_known_args(with_default_command(argv))
        command = commands[args.command]
        if extras:
            _unknown_arguments(command, extras)
    except SystemExit as exc:  # argparse's way out for --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler: Handler = args.handler
    try:
        return handler(args)
    except UsageError as exc:
        print(f"{command.prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK
    except BrokenPipeError:
        # The reader went away (`arbscope scan --json | head`): not a failure of ours.
        # Point stdout at devnull so the interpreter's final flush does not complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        if os.environ.get("ARBSCOPE_DEBUG"):
            traceback.print_exc()
        print(f"{command.prog}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
