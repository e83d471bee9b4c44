"""A channel for tests (like errbot's test backend): scripted users talk to the real
dispatcher, and each call returns the replies.

    harness = Harness(dispatcher, user_id="1001", name="张书记")
    replies = await harness.say("/start")
    await harness.press("保存")

Several users share one :class:`Chats` (the "network"): a reply addressed to another chat
(:attr:`bot.messages.Reply.to`: a report sent privately, a sign-in card sent to each member)
lands in that chat, where its user finds it (:attr:`Harness.mail`) and presses its buttons; a
group chat's messages are kept per group, so every member presses the same sign-in card:

    chats = Chats()
    secretary = Harness(dispatcher, "100", "张书记", chats=chats)
    await secretary.say("/签到 主题党日", group="g1")
    await member.press("签到", group="g1")
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from bot.messages import (
    CHANNEL_TEST,
    Address,
    Attachment,
    AttachmentKind,
    Dispatcher,
    Inbound,
    Reply,
    StartLink,
)


@dataclass(slots=True)
class Chats:
    """Every reply delivered, by chat id (a user's private chat is their user id, a group's
    its group id), oldest first; shared by the users of one test."""

    delivered: defaultdict[str, list[Reply]] = field(default_factory=lambda: defaultdict(list))

    def deliver(self, chat_id: str, reply: Reply) -> None:
        """Put ``reply`` into chat ``chat_id``."""
        self.delivered[chat_id].append(reply)

    def of(self, chat_id: str) -> list[Reply]:
        """The replies delivered to ``chat_id``, oldest first."""
        return list(self.delivered.get(chat_id, []))


def _find(replies: list[Reply], label: str) -> str | None:
    for r in reversed(replies):
        for choice in r.flat_choices():
            if choice.label == label:
                return choice.data
    return None


class Harness:
    """One scripted user on the ``test`` channel, in a private chat and any group chats.

    ``now`` (aware) is the arrival time of the next message; tests set it to fix the date.
    ``last`` holds the replies to the previous message (wherever they went), whose buttons
    :meth:`press` uses. ``start_link`` plays a channel with deep links (``/invite`` then
    offers one). ``chats`` is the network shared with other users (a new one when omitted).
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        user_id: str,
        name: str = "",
        *,
        now: datetime | None = None,
        channel: str = CHANNEL_TEST,
        start_link: StartLink | None = None,
        chats: Chats | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.address = Address(channel, user_id, user_id)
        self.name = name
        self.now = now or datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
        self.start_link = start_link
        self.chats = chats if chats is not None else Chats()
        self.last: list[Reply] = []
        self.fetches = 0
        self._message_id = 0

    @property
    def mail(self) -> list[Reply]:
        """Everything delivered to this user's private chat, by anyone's message."""
        return self.chats.of(self.address.chat_id)

    def _inbound(self, group: str | None, **fields: Any) -> Inbound:
        address = self.address if group is None else replace(self.address, chat_id=group)
        return Inbound(address, in_group=group is not None, **fields)

    async def say(
        self,
        text: str,
        *,
        group: str | None = None,
        mention: bool = False,
        reply_to: Reply | str | None = None,
    ) -> list[Reply]:
        """Send ``text`` privately, or into ``group`` (``mention``: it @-mentions the bot);
        ``reply_to`` answers one of the bot's messages (a reply or its text). Returns the
        replies."""
        quoted = reply_to.text if isinstance(reply_to, Reply) else reply_to
        return await self._send(
            self._inbound(
                group,
                text=text,
                mentions_bot=mention,
                replies_to_bot=quoted is not None,
                reply_to_text=quoted,
            )
        )

    def attachment(
        self,
        content: bytes,
        *,
        kind: AttachmentKind = "photo",
        filename: str = "",
        mime_type: str = "",
        size: int | None = None,
    ) -> Attachment:
        """An attachment whose download returns ``content`` (counted in :attr:`fetches`)."""

        async def fetch(limit: int) -> bytes:
            self.fetches += 1
            return content

        return Attachment(
            kind, fetch, filename=filename, mime_type=mime_type, size=size, file_id=filename
        )

    async def send_photo(
        self,
        content: bytes,
        caption: str = "",
        *,
        filename: str = "",
        mime_type: str = "image/jpeg",
        album_id: str | None = None,
        group: str | None = None,
        mention: bool = False,
        reply_to: Reply | str | None = None,
    ) -> list[Reply]:
        """Send a photo with an optional caption (see :meth:`say` for the rest)."""
        photo = self.attachment(
            content, kind="photo", filename=filename, mime_type=mime_type, size=len(content)
        )
        return await self.send_attachments(
            [photo], caption, album_id=album_id, group=group, mention=mention, reply_to=reply_to
        )

    async def send_file(
        self,
        content: bytes,
        filename: str,
        caption: str = "",
        *,
        mime_type: str = "application/octet-stream",
        group: str | None = None,
        reply_to: Reply | str | None = None,
    ) -> list[Reply]:
        """Send a file (a document) with an optional caption."""
        document = self.attachment(
            content, kind="file", filename=filename, mime_type=mime_type, size=len(content)
        )
        return await self.send_attachments([document], caption, group=group, reply_to=reply_to)

    async def send_album(
        self, photos: list[bytes], caption: str = "", *, album_id: str = "album-1"
    ) -> list[list[Reply]]:
        """Send photos as one album, as Telegram does: one message per photo with the same
        ``album_id``, the caption on the first. Returns each message's replies."""
        out = []
        for i, content in enumerate(photos):
            out.append(await self.send_photo(content, caption if i == 0 else "", album_id=album_id))
        return out

    async def send_attachments(
        self,
        attachments: list[Attachment],
        caption: str = "",
        *,
        album_id: str | None = None,
        group: str | None = None,
        mention: bool = False,
        reply_to: Reply | str | None = None,
    ) -> list[Reply]:
        """Send one message carrying ``attachments`` and ``caption``."""
        quoted = reply_to.text if isinstance(reply_to, Reply) else reply_to
        return await self._send(
            self._inbound(
                group,
                text=caption,
                attachments=tuple(attachments),
                album_id=album_id,
                mentions_bot=mention,
                replies_to_bot=quoted is not None,
                reply_to_text=quoted,
            )
        )

    async def press(self, label: str, *, group: str | None = None) -> list[Reply]:
        """Press the button labelled ``label``: in ``group``, on the newest message there that
        has it; privately, among the last replies, then in this user's private chat.

        Raises:
            LookupError: when no such button was shown.
        """
        if group is not None:
            data = _find(self.chats.of(group), label)
            shown = self.chats.of(group)
        else:
            mine = [r for r in self.last if r.to is None or r.to == self.address]
            data = _find(mine, label) or _find(self.mail, label)
            shown = mine + self.mail
        if data is None:
            labels = [c.label for r in shown for c in r.flat_choices()]
            raise LookupError(f"no button {label!r}; shown: {labels}")
        return await self.press_data(data, group=group)

    async def press_data(self, data: str, *, group: str | None = None) -> list[Reply]:
        """Send a button press with arbitrary data (for forged or stale presses)."""
        return await self._send(self._inbound(group, choice=data))

    async def _send(self, inbound: Inbound) -> list[Reply]:
        self._message_id += 1
        inbound = replace(
            inbound,
            display_name=self.name,
            message_id=str(self._message_id),
            received_at=self.now,
            start_link=self.start_link,
        )
        self.last = await self.dispatcher.handle(inbound)
        for reply in self.last:
            self.chats.deliver(reply.to.chat_id if reply.to else inbound.address.chat_id, reply)
        return self.last

    @staticmethod
    def text(replies: list[Reply]) -> str:
        """All reply texts joined, for assertions."""
        return "\n".join(r.text for r in replies)
