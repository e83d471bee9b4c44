"""The console channel: ``djbot chat`` reads lines from stdin and prints replies.

Buttons are printed as numbered options (``[1] 保存  [2] 修改  [3] 取消``); typing the number or
the label presses them. Works interactively and with piped stdin (it stops at end of input).
Documents are written to a directory and their path printed.

A photo or file is sent with ``/attach PATH [说明]`` (the console's own form: the rest of the
line is the caption); a reply addressed to someone else (a sign-in card to each member) is
printed with whom it is for.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.messages import (
    CHANNEL_CONSOLE,
    Address,
    Attachment,
    AttachmentKind,
    Dispatcher,
    Inbound,
    Reply,
)

#: Extensions sent as photos (as a phone's gallery would); anything else goes as a file.
PHOTO_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif"})


def attachment_from(line: str) -> tuple[Attachment, str] | str:
    """``/attach PATH [caption]`` -> the attachment and its caption, or a Chinese error."""
    rest = line.removeprefix("/attach").strip()
    if not rest:
        return "用法：/attach 文件路径 说明（例如：/attach 照片.jpg 今天开展主题党日活动）"
    raw, _, caption = rest.partition(" ")
    path = Path(raw).expanduser()
    if not path.is_file():
        return f"找不到文件：{path}"

    async def fetch(limit: int) -> bytes:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise ValueError("file larger than the limit")
        return data

    kind: AttachmentKind = "photo" if path.suffix.lower() in PHOTO_EXTENSIONS else "file"
    size = path.stat().st_size
    return Attachment(
        kind, fetch, filename=path.name, size=size, file_id=str(path)
    ), caption.strip()


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
        if reply.to is not None and reply.to != self.address:
            self._print(f"（发给 {reply.to.user_id}）")
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
            attachments: tuple[Attachment, ...] = ()
            if text.startswith("/attach"):
                parsed = attachment_from(text)
                if isinstance(parsed, str):
                    self._print(parsed + "\n")
                    continue
                attachments, text = (parsed[0],), parsed[1]
            inbound = Inbound(
                self.address,
                text=text,
                display_name=self.name,
                message_id=str(self._count),
                received_at=self.clock(),
                attachments=attachments,
            )
            for reply in await self.dispatcher.handle(inbound):
                await self.send(reply)
