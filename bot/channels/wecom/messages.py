"""The XML of WeCom callbacks: the encrypted envelope and the decrypted message, parsed safely.

Sources (WeCom developer centre): "回调配置" (callback configuration), "接收消息与事件" ->
"消息格式" (text, image, voice, video, location, link messages) and "事件格式" ("模板卡片事件推送",
the ``template_card_event``).

* The POSTed body is ``<xml><ToUserName/><Encrypt/><AgentID/></xml>`` ("回调配置"); only
  ``Encrypt`` matters, the rest is repeated inside.
* The decrypted message is a flat ``<xml>`` of elements (``CDATA`` or plain text):
  ``ToUserName`` (CorpID), ``FromUserName`` (userid), ``CreateTime`` (Unix seconds),
  ``MsgType``, ``AgentID``; ``Content`` and ``MsgId`` for text; ``Event``, ``EventKey``,
  ``TaskId``, ``CardType``, ``ResponseCode`` for a template card click.

Parsing uses :mod:`defusedxml`, which refuses any DTD (so no entity expansion such as "billion
laughs", and no external entities); callers cap the body size before calling. Every malformed
input raises :class:`MessageFormatError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

__all__ = [
    "CallbackMessage",
    "Envelope",
    "MessageFormatError",
    "parse_envelope",
    "parse_message",
    "render_envelope",
    "render_message",
]

#: Longest ``Encrypt`` accepted: the 64 KB body cap, as base64 text.
_MAX_FIELD: Final[int] = 64 * 1024


class MessageFormatError(ValueError):
    """The XML is malformed, uses a DTD/entities, or lacks a required element."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """The outer, encrypted callback body: ``Encrypt`` plus what WeCom repeats in clear."""

    encrypt: str
    to_user: str = ""
    agent_id: str = ""


@dataclass(frozen=True, slots=True)
class CallbackMessage:
    """One decrypted callback message or event.

    ``create_time`` is Unix seconds. Fields a message type does not carry are ``""``.
    ``msg_id`` is set for messages (not events); ``response_code`` is set for a template card
    click and can update that card once ("更新模版卡片消息").
    """

    to_user: str
    from_user: str
    create_time: int
    msg_type: str
    agent_id: str = ""
    content: str = ""
    msg_id: str = ""
    event: str = ""
    event_key: str = ""
    task_id: str = ""
    card_type: str = ""
    response_code: str = ""

    @property
    def is_card_click(self) -> bool:
        """Whether this is a template card button press (``event`` / ``template_card_event``)."""
        return self.msg_type == "event" and self.event == "template_card_event"


def _parse(data: bytes | str) -> Element:
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise MessageFormatError(f"XML 含有被禁止的 DTD 或实体：{type(exc).__name__}") from exc
    except (ParseError, ValueError) as exc:
        raise MessageFormatError(f"XML 格式错误：{exc}") from exc
    if root.tag != "xml":
        raise MessageFormatError(f"根元素应为 <xml>，实际为 <{root.tag[:40]}>")
    return root


def _fields(root: Element) -> dict[str, str]:
    """The direct children of ``<xml>`` as ``{tag: stripped text}`` (first one wins)."""
    fields: dict[str, str] = {}
    for child in root:
        if isinstance(child.tag, str) and child.tag not in fields:
            fields[child.tag] = (child.text or "").strip()
    return fields


def parse_envelope(data: bytes) -> Envelope:
    """Parse the POSTed outer XML.

    Raises:
        MessageFormatError: malformed XML, a DTD, or no non-empty ``Encrypt``.
    """
    fields = _fields(_parse(data))
    encrypt = fields.get("Encrypt", "")
    if not encrypt:
        raise MessageFormatError("缺少 Encrypt 元素")
    if len(encrypt) > _MAX_FIELD:
        raise MessageFormatError("Encrypt 过长")
    return Envelope(
        encrypt=encrypt, to_user=fields.get("ToUserName", ""), agent_id=fields.get("AgentID", "")
    )


def parse_message(data: bytes) -> CallbackMessage:
    """Parse a decrypted message.

    Raises:
        MessageFormatError: malformed XML, a DTD, a missing ``FromUserName``/``MsgType``, or a
            ``CreateTime`` that is not a non-negative integer.
    """
    fields = _fields(_parse(data))
    from_user = fields.get("FromUserName", "")
    msg_type = fields.get("MsgType", "")
    if not from_user or not msg_type:
        raise MessageFormatError("缺少 FromUserName 或 MsgType")
    raw_time = fields.get("CreateTime", "")
    if not raw_time.isdigit() or len(raw_time) > 12:
        raise MessageFormatError("CreateTime 不是整数秒")
    return CallbackMessage(
        to_user=fields.get("ToUserName", ""),
        from_user=from_user,
        create_time=int(raw_time),
        msg_type=msg_type,
        agent_id=fields.get("AgentID", ""),
        content=fields.get("Content", ""),
        msg_id=fields.get("MsgId", ""),
        event=fields.get("Event", ""),
        event_key=fields.get("EventKey", ""),
        task_id=fields.get("TaskId", ""),
        card_type=fields.get("CardType", ""),
        response_code=fields.get("ResponseCode", ""),
    )


def _cdata(value: str) -> str:
    """``value`` as element text: CDATA unless it contains ``]]>``, then escaped text."""
    if "]]>" in value:
        return escape(value)
    return f"<![CDATA[{value}]]>"


def render_message(fields: dict[str, str | int]) -> str:
    """A flat ``<xml>`` of the given elements, in order (WeCom's own format; tests play WeCom's
    side with it). Integers are written bare, strings as CDATA."""
    parts = ["<xml>"]
    for tag, value in fields.items():
        text = str(value) if isinstance(value, int) else _cdata(value)
        parts.append(f"<{tag}>{text}</{tag}>")
    parts.append("</xml>")
    return "".join(parts)


def render_envelope(encrypt: str, to_user: str, agent_id: str) -> str:
    """The outer callback body WeCom POSTs: ``ToUserName``, ``Encrypt``, ``AgentID``."""
    return render_message({"ToUserName": to_user, "Encrypt": encrypt, "AgentID": agent_id})
