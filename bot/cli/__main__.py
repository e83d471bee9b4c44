"""``python -m bot.cli``: the same as the ``djbot`` command."""

from bot.cli import main

raise SystemExit(main())
