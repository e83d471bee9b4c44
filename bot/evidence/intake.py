"""Attachments in, stored evidence files out: fetch from the channel, check (:mod:`.checks`),
de-duplicate by SHA-256, put into the media store.

Files are fetched at once, when the message arrives (a WeCom ``MediaId`` lives three days;
WeCom media/get docs), and stored before the record is saved: a card that is cancelled leaves
its files in the store (content-addressed, so they cost their size once), never a row.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath

from bot.evidence.checks import Checked, Limits, Refused, inspect, megabytes
from bot.messages import Attachment
from storage.media import MediaStore, MediaStoreError, content_key
from storage.queries.evidence import EvidenceFile

log = logging.getLogger(__name__)

NO_STORE = "本机器人未配置文件存储，暂时不能保存照片和文件。请联系管理员。"
STORE_FAILED = "文件存储暂时不可用，未保存，请稍后重新发送。"
FETCH_FAILED = "下载失败，未保存，请重新发送。"


@dataclass(frozen=True, slots=True)
class Refusal:
    """An attachment that was not kept: the name shown to the user and why (Chinese)."""

    name: str
    reason: str


@dataclass(slots=True)
class Held:
    """What the target (a card, a saved record) already holds: files, bytes, their hashes."""

    count: int = 0
    size: int = 0
    sha256s: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, files: Iterable[EvidenceFile]) -> Held:
        """What ``files`` add up to."""
        held = cls()
        for f in files:
            held.count += 1
            held.size += f.size
            held.sha256s.add(f.sha256)
        return held


@dataclass(slots=True)
class IntakeResult:
    """What became of a message's attachments: ``stored`` (new files, in the store), ``refused``
    and ``duplicates`` (already on the target or twice in the message: kept once)."""

    stored: list[EvidenceFile] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    duplicates: int = 0


def display_name(attachment: Attachment, checked: Checked | None, day: date, index: int) -> str:
    """The name a file is shown and exported under: the sender's file name (without folders
    or control characters, at most 100 characters, with the extension its content has), or for
    a photo without one ``照片20261120-1.jpg``."""
    raw = unicodedata.normalize("NFC", attachment.filename or "")
    name = PurePosixPath(raw.replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "", name).strip(" .")
    extension = checked.extension if checked is not None else ""
    if not name:
        return f"照片{day:%Y%m%d}-{index}{extension or '.jpg'}"
    suffix = PurePosixPath(name).suffix.lower()
    if extension and suffix != extension and not (extension == ".jpg" and suffix == ".jpeg"):
        name += extension
    if len(name) > 100:
        path = PurePosixPath(name)
        name = path.stem[: 100 - len(path.suffix)] + path.suffix
    return name


class EvidenceIntake:
    """Turns a message's attachments into stored files, within the :class:`Limits`.

    ``store`` is where files go (``None``: no store configured, every attachment is refused
    with :data:`NO_STORE`).
    """

    def __init__(self, store: MediaStore | None, limits: Limits | None = None) -> None:
        self.store = store
        self.limits = limits or Limits()

    async def take(self, attachments: Sequence[Attachment], held: Held, day: date) -> IntakeResult:
        """Fetch, check and store ``attachments`` for a target already holding ``held``;
        ``day`` (local) names photos that come without a name. Never raises for what a user
        sends: each file that is not kept is a :class:`Refusal`."""
        result = IntakeResult()
        limits = self.limits
        held = Held(held.count, held.size, set(held.sha256s))
        for index, attachment in enumerate(attachments, held.count + 1):
            shown = attachment.filename or ("照片" if attachment.kind == "photo" else "文件")
            if self.store is None:
                result.refused.append(Refusal(shown, NO_STORE))
                continue
            if held.count >= limits.max_record_files:
                reason = f"每条记录最多{limits.max_record_files}个佐证文件，未保存。"
                result.refused.append(Refusal(shown, reason))
                continue
            if attachment.size is not None and attachment.size > limits.max_file_bytes:
                reason = f"文件超过{megabytes(limits.max_file_bytes)}，未保存。请压缩后重新发送。"
                result.refused.append(Refusal(shown, reason))
                continue
            try:
                data = await attachment.fetch(limits.max_file_bytes)
            except Exception:  # a channel's download error: that file is lost, not the message
                log.warning("佐证文件下载失败：%s", attachment.file_id or shown, exc_info=True)
                result.refused.append(Refusal(shown, FETCH_FAILED))
                continue
            try:
                checked = await asyncio.to_thread(inspect, data, attachment.filename, limits)
            except Refused as exc:
                result.refused.append(Refusal(shown, str(exc)))
                continue
            if checked.sha256 in held.sha256s:
                result.duplicates += 1
                continue
            if held.size + checked.size > limits.max_record_bytes:
                reason = (
                    f"每条记录的佐证文件合计不超过{megabytes(limits.max_record_bytes)}，未保存。"
                )
                result.refused.append(Refusal(shown, reason))
                continue
            key = content_key(checked.sha256, checked.extension)
            try:
                await self.store.put(key, checked.data, checked.mime_type)
            except MediaStoreError:
                log.exception("佐证文件写入失败：%s", key)
                result.refused.append(Refusal(shown, STORE_FAILED))
                continue
            held.count += 1
            held.size += checked.size
            held.sha256s.add(checked.sha256)
            result.stored.append(
                EvidenceFile(
                    kind=checked.kind,
                    filename=display_name(attachment, checked, day, index),
                    mime_type=checked.mime_type,
                    size=checked.size,
                    sha256=checked.sha256,
                    storage_key=key,
                    width=checked.width,
                    height=checked.height,
                )
            )
        return result
