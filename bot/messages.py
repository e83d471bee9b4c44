"""The neutral vocabulary every channel speaks: addresses, inbound messages and replies.

Only channel adapters (``bot/channels``) know Telegram or WeCom types; handlers see these.
An adapter turns an update into an :class:`Inbound`, hands it to a :class:`Dispatcher` and
renders the returned :class:`Reply` objects: choices become an inline keyboard (Telegram), a
template card (WeCom) or a numbered list (console). Every choice also works typed, so a channel
that cannot show buttons loses nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

#: Channel names used in addresses, chat identities and activity records.
CHANNEL_CONSOLE = "console"
CHANNEL_TELEGRAM = "telegram"
CHANNEL_WECOM = "wecom"
CHANNEL_TEST = "test"


@dataclass(frozen=True, slots=True)
class Address:
    """Where a message came from and where a reply (or a later reminder) goes.

    ``channel`` is one of the ``CHANNEL_*`` names; ``chat_id`` and ``user_id`` are the channel's
    own identifiers as strings (a Telegram chat id, a WeCom userid, a console user name).
    Storable as is: reminders address members by it.
    """

    channel: str
    chat_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class Choice:
    """One button: the label the user sees and the opaque data that comes back when pressed.

    ``data`` must fit Telegram's ``callback_data`` (1-64 bytes) and WeCom's button key.
    """

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class Document:
    """A file sent with a reply (a .docx report, an .xlsx ledger)."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


#: What an attachment is: a photo (the channel compressed it as an image: Telegram's ``photo``,
#: a WeCom image message) or a file sent as a document (a PDF, a scan, an uncompressed photo).
AttachmentKind = Literal["photo", "file"]

#: Downloads an attachment's bytes when called (Telegram ``getFile`` + download, WeCom
#: ``media/get``). May raise ``OSError`` or the channel's error when the file cannot be had; may
#: stop early with a ``ValueError`` once more than ``limit`` bytes arrive (``limit`` is the
#: largest size the caller accepts, a hint for not downloading a huge file whole).
FetchBytes = Callable[[int], Awaitable[bytes]]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo or file that came with a message, fetched on demand.

    ``filename`` is the name the channel gives (empty when it gives none: Telegram photos have
    none), ``mime_type`` the type the channel says (empty when unknown; never trusted: the
    content is checked, :mod:`bot.evidence`), ``size`` in bytes when the channel says it before
    the download (Telegram ``file_size``), else ``None``. ``fetch(limit)`` downloads the bytes
    (see :data:`FetchBytes`). ``file_id`` is the channel's own id of the file (Telegram
    ``file_unique_id``, a WeCom ``MediaId``), kept for tracing only.
    """

    kind: AttachmentKind
    fetch: FetchBytes
    filename: str = ""
    mime_type: str = ""
    size: int | None = None
    file_id: str = ""


#: Builds a link that opens a chat with the bot carrying a start payload (an invite code), for a
#: channel that has such links (Telegram's deep links); see :attr:`Inbound.start_link`.
StartLink = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message or button press from a user (immutable: use ``dataclasses.replace``).

    ``text`` is what the user typed (empty for a button press); ``choice`` is the ``data`` of the
    pressed :class:`Choice`, if any. ``received_at`` is timezone-aware UTC; handlers convert it
    to the configured local time zone. ``message_id`` is the channel's id of this message (or of
    the message carrying the pressed button), kept with stored records for traceability.
    ``start_link`` is set by channels that can link to the bot with a payload, so ``/invite``
    offers a link that joins in one tap.

    Photos and files: ``attachments`` (a photo's caption is ``text``); ``album_id`` is the id
    a channel gives every message of one album (Telegram ``media_group_id``), so photos sent
    together attach together.

    Group chats: ``in_group`` is true when the message came from a group chat (then
    ``address.chat_id`` is the group's and ``address.user_id`` the sender's); ``mentions_bot``
    when it @-mentions the bot (the channel removes the mention from ``text``); ``replies_to_bot``
    when it answers one of the bot's messages, whose text the channel gives as ``reply_to_text``
    (Telegram ``reply_to_message.text`` or ``caption``; a saved record's card carries the record
    number, so a reply to it reaches that record on any channel that quotes).
    """

    address: Address
    text: str = ""
    choice: str | None = None
    display_name: str = ""
    message_id: str | None = None
    start_link: StartLink | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    attachments: tuple[Attachment, ...] = ()
    album_id: str | None = None
    in_group: bool = False
    mentions_bot: bool = False
    replies_to_bot: bool = False
    reply_to_text: str | None = None

    def private_address(self) -> Address:
        """The sender's private chat with the bot on this channel: on Telegram and WeCom a
        private chat's id is the user's id, so it is known without a lookup."""
        return Address(self.address.channel, self.address.user_id, self.address.user_id)


@dataclass(slots=True)
class Reply:
    """What a handler answers.

    ``choices`` are rows of buttons. ``replace`` asks the adapter to edit the message whose
    button was pressed instead of sending a new one (channels that cannot edit send it anew).

    ``to`` sends the reply somewhere else than the chat the message came from: the asker's
    private chat (a ``/report`` asked in a group), or each member's (sign-in cards); ``None`` is
    the chat of the message. An adapter delivers a reply with ``to`` through its
    :class:`Sender` path (a new message to that address), never by editing. ``alert`` marks a
    short answer to a button press meant for the presser alone (in a group, "您已签到"):
    Telegram shows it as the press's alert (``answerCallbackQuery`` with ``show_alert``) and
    sends nothing to the chat; channels without such alerts send it as a message.
    """

    text: str
    choices: list[list[Choice]] = field(default_factory=list)
    document: Document | None = None
    replace: bool = False
    to: Address | None = None
    alert: bool = False

    def flat_choices(self) -> list[Choice]:
        """All choices in reading order (row by row), as a console numbers them from 1."""
        return [choice for row in self.choices for choice in row]


class Dispatcher(Protocol):
    """What a channel adapter calls: one inbound message in, zero or more replies out."""

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one message; never raises for bad user input (answers in Chinese instead)."""
        ...

    def menu(self) -> Sequence[tuple[str, str]]:
        """The commands a channel may list in its menu: ``(name, Chinese description)`` pairs,
        names without the slash (Telegram's ``setMyCommands``)."""
        ...


class SendError(Exception):
    """A reply could not be delivered to a stored address by a :class:`Sender`.

    ``permanent`` is true when retrying cannot help (the user blocked the bot, left the company,
    the request was rejected); ``retry_after`` is the channel's flood-control wait in seconds,
    if that was the cause. The channel's own error is the ``__cause__``.
    """

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class Sender(Protocol):
    """A channel that can message a stored address outside a conversation (reminders)."""

    async def send(self, address: Address, reply: Reply) -> None:
        """Deliver ``reply`` to ``address``.

        Raises:
            SendError: delivery failed; see its ``permanent`` and ``retry_after``.
        """
        ...


class GroupSender(Protocol):
    """A channel that posts into a group chat through the group's webhook (WeCom's group robot,
    群机器人): outside conversations, for reminders to a whole branch."""

    async def post(self, webhook_url: str, text: str, mention: Sequence[str] = ()) -> None:
        """Post ``text`` to the group behind ``webhook_url``, @-mentioning the users ``mention``
        (the channel's user ids).

        Raises:
            SendError: the post failed; see its ``permanent`` and ``retry_after``.
        """
        ...
