"""The ``djbot`` command line: one module per command group, each with a ``register(sub)``.

::

    djbot run                      serve the configured channels; none -> console   (chat.py)
    djbot chat --user ID --name N  talk to the bot on this terminal                 (chat.py)
    djbot db upgrade|downgrade REV|current                                         (db.py)
    djbot org create NAME          prints the new organization's id                 (org.py)
    djbot parse [--today D] [--json] TEXT | --batch   the message reader             (parse.py)
    djbot report|import|export ...  drafts, ledgers, data in and out                (reports.py)
    djbot reminders plan|run-due    reminder days, send what is due                 (reminders.py)
    djbot members import            a branch roster                                 (members.py)
    djbot backup|restore|audit      operator's tools                                (backup.py)

Settings come from the environment (``DJBOT_*``) and ``.env``. Heavy modules are imported
inside the commands, so ``djbot parse --batch`` starts fast. This is the adapter layer: it may
read the wall clock and passes ``now``/``today`` down. A new command group is a module here
with a ``register`` function, listed in :data:`COMMAND_MODULES`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: The command modules, in the order ``djbot --help`` lists their commands.
COMMAND_MODULES = (
    "chat",
    "db",
    "org",
    "parse",
    "reports",
    "reminders",
    "members",
    "backup",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``djbot`` (sub-commands as in the module docstring)."""
    parser = argparse.ArgumentParser(prog="djbot", description="党建工作助手")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"bot.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``djbot`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        from bot.cli import common
        from bot.logs import configure_logging

        settings = common.settings()
        configure_logging(settings.log_level, settings.log_format)
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except ValueError as exc:  # bad settings or input files: a message, not a traceback
        print(f"错误：{exc}", file=sys.stderr)
        return 2
