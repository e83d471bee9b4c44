"""The console channel: ``djbot chat`` reads lines from stdin and prints replies.

Buttons are printed as numbered options (``[1] 保存  [2] 修改  [3] 取消``); typing the number or
the label presses them. Works interactively and with piped stdin (it stops at end of input).
Documents are written to a directory and their path printed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.messages import CHANNEL_CONSOLE, Address, Dispatcher, Inbound, Reply


def render(reply: Reply) -> str:
    """A reply as console text: the text, then the buttons as numbered options."""
    out = reply.text.rstrip("\n")
    choices = reply.flat_choices()
    if choices:
        options = "  ".join(f"[{i}] {c.label}" for i, c in enumerate(choices, 1))
        out += f"\n{options}\n（输入编号或文字选择）"
    return out


class ConsoleChannel:
    """One local user talking to the bot through stdin/stdout.

    ``clock`` gives each message's arrival time (aware); the command line fixes it for
    ``--today``. Documents are saved under ``files_dir``.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        user_id: str,
        name: str,
        files_dir: Path,
        clock: Callable[[], datetime] | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.address = Address(CHANNEL_CONSOLE, user_id, user_id)
        self.name = name
        self.files_dir = files_dir
        self.clock = clock or (lambda: datetime.now(UTC))
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self._count = 0

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def send(self, reply: Reply) -> None:
        """Print one reply (and save its document, if any)."""
        self._print(render(reply))
        if reply.document is not None:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            path = self.files_dir / reply.document.filename
            path.write_bytes(reply.document.content)
            self._print(f"文件已保存：{path.resolve()}")
        self._print("")

    async def run(self) -> None:
        """Read lines until end of input; each non-empty line is one message."""
        interactive = self.stdin.isatty()
        if interactive:
            self._print("党建工作助手（控制台）。输入 /help 查看说明，Ctrl-D 退出。")
        while True:
            if interactive:
                self.stdout.write("> ")
                self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line:
                break
            text = line.strip()
            if not text:
                continue
            self._count += 1
            inbound = Inbound(
                self.address,
                text=text,
                display_name=self.name,
                message_id=str(self._count),
                received_at=self.clock(),
            )
            for reply in await self.dispatcher.handle(inbound):
                await self.send(reply)
