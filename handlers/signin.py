"""Sign-in in the chat (签到): ``/签到 主题党日`` (also ``/signin``) by a secretary, officer or
admin.

- In the branch's group chat: one card with 签到 / 请假 / 结束 that every member presses; the
  card is updated in place with who signed in and who is on leave.
- Privately: the bot sends each member of the branch (with an account on this channel) a card
  with 签到 / 请假; the organizer's card has 查看 (the list so far) and 结束.

Every button also works typed: ``签到`` or ``请假`` sent in the group (or privately, for the
branch's open private sign-in) counts as the press, as does ``结束`` or ``查看`` from the
organizer; in a group such a word is read only while a sign-in is open there.

Each press records that member once (a second press changes nothing; a non-member is told so).
结束 (the organizer or a secretary) closes the sign-in and shows a normal record card with the
attendee list, those on leave and the head count, to save like any other.

A sign-in's buttons carry ``signin:<id>:<token>:<action>``, checked against the sign-in's own
token (compared in constant time): in a group every member presses the same card, so the
per-user conversation token (:mod:`handlers.steps`) cannot authenticate them.
"""

from __future__ import annotations

import dataclasses
import re
import secrets

from bot.domain.reader import read_message
from bot.messages import Address, Choice, Reply
from handlers import record_entry, texts
from handlers.context import Context, reply
from handlers.drafts import Card, Listed, RecordDraft
from handlers.steps import normalize_answer
from storage.models import Role, Signin, SigninStatus
from storage.queries.attendance import (
    close_signin,
    create_signin,
    is_member_of,
    mark_signin,
    member_chats,
    open_signin,
    signin_marks,
)
from storage.queries.organizations import organizations_by_id

PREFIX = "signin:"
_DATA = re.compile(r"signin:(\d{1,12}):([0-9a-f]{8}):(in|leave|view|end)")
STATUS_WORDS = {"attended": "签到", "leave": "请假"}


def is_signin_press(ctx: Context) -> bool:
    """Whether the message is a press of a sign-in button (valid or not)."""
    return ctx.inbound.choice is not None and ctx.inbound.choice.startswith(PREFIX)


#: Typed words that press a sign-in's buttons.
TYPED = {"签到": "in", "请假": "leave", "结束": "end", "查看": "view"}


async def typed_press(ctx: Context) -> list[Reply] | None:
    """A sign-in button typed (:data:`TYPED`) while a sign-in is open where it applies: the
    replies, or ``None`` when the text is no such word or nothing is open."""
    action = TYPED.get(normalize_answer(ctx.inbound.text))
    if action is None or ctx.inbound.choice is not None or ctx.inbound.attachments:
        return None
    if ctx.inbound.in_group:
        row = await open_signin(ctx.session, ctx.address.channel, chat_id=ctx.address.chat_id)
    else:
        ids = [a.organization.id for a in ctx.affiliations]
        row = await open_signin(ctx.session, ctx.address.channel, organization_ids=ids)
    if row is None:
        return None
    replies = await _act(ctx, row, action)
    # typed: nothing to edit in place, and an alert becomes an ordinary answer
    return [dataclasses.replace(r, replace=False, alert=False) for r in replies]


def _buttons(row: Signin, *, organizer: bool, member: bool = True) -> list[list[Choice]]:
    def data(action: str) -> str:
        return f"{PREFIX}{row.id}:{row.token}:{action}"

    rows = [[Choice("签到", data("in")), Choice("请假", data("leave"))]] if member else []
    if organizer:
        extra = [Choice("结束", data("end"))]
        if not row.in_group:
            extra.insert(0, Choice("查看", data("view")))
        rows.append(extra)
    return rows


def _title(row: Signin) -> str:
    return row.title if row.title and row.title != row.activity_type else row.activity_type


async def _card_text(ctx: Context, row: Signin) -> str:
    marks = await signin_marks(ctx.session, row.id)
    present = [m.name for m in marks if m.status == "attended"]
    leave = [m.name for m in marks if m.status == "leave"]
    orgs = await organizations_by_id(ctx.session, [row.organization_id])
    org = orgs[row.organization_id].name if row.organization_id in orgs else ""
    starter = ctx.member.name if ctx.member and ctx.member.id == row.created_by_id else ""
    if not starter and row.created_by_id is not None:
        from storage.models import Member

        person = await ctx.session.get(Member, row.created_by_id)
        starter = person.name if person else ""
    day = row.occurred_on
    return texts.SIGNIN_CARD.format(
        title=_title(row),
        org=org,
        starter=starter,
        day=f"{day.month}月{day.day}日",
        n=len(present),
        names=f"：{'、'.join(present)}" if present else "",
        m=len(leave),
        leave=f"：{'、'.join(leave)}" if leave else "",
    )


def _resolve(ctx: Context, text: str) -> tuple[str, str] | None:
    """``(activity type, title)`` from ``/签到``'s argument: a type's name first, else what the
    reader makes of it."""
    head = text.split()[0]
    if head in ctx.taxonomy:
        return head, text
    reading = read_message(text, ctx.today, ctx.taxonomy)
    if reading.records:
        return reading.records[0].activity_type, text
    return None


async def start(ctx: Context, argument: str) -> list[Reply]:
    """``/签到 主题党日 [标题]``: open a sign-in (see the module docstring)."""
    affiliation = ctx.organizing_affiliation
    if ctx.member is None or affiliation is None:
        return [reply(texts.SIGNIN_ONLY_ORGANIZERS)]
    text = argument.strip()[:200]
    if not text:
        return [reply(texts.SIGNIN_USAGE)]
    resolved = _resolve(ctx, text)
    if resolved is None:
        return [reply(texts.SIGNIN_UNKNOWN_TYPE.format(text=text[:20]))]
    activity_type, title = resolved
    org = affiliation.organization
    row = await create_signin(
        ctx.session,
        organization_id=org.id,
        created_by_id=ctx.member.id,
        activity_type=activity_type,
        title=title,
        occurred_on=ctx.today,
        token=secrets.token_hex(4),
        channel=ctx.address.channel,
        chat_id=ctx.address.chat_id,
        in_group=ctx.inbound.in_group,
        now=ctx.now,
    )
    await ctx.audit(
        "signin.start", org.id, f"signin:{row.id}", {"activity_type": activity_type, "title": title}
    )
    card = await _card_text(ctx, row)
    if ctx.inbound.in_group:
        return [reply(card, _buttons(row, organizer=True))]
    chats = await member_chats(ctx.session, org.id, ctx.address.channel)
    day = row.occurred_on
    private = texts.SIGNIN_PRIVATE_CARD.format(
        title=_title(row), org=org.name, starter=ctx.member.name, day=f"{day.month}月{day.day}日"
    )
    sent = [
        Reply(
            text=private,
            choices=_buttons(row, organizer=False),
            to=Address(ctx.address.channel, c.chat_id, c.external_id),
        )
        for c in chats
        if c.member_id != ctx.member.id
    ]
    from storage.queries.attendance import roster

    everyone = await roster(ctx.session, [org.id])
    reached = {c.member_id for c in chats}
    missing = [p.name for p in everyone if p.member_id not in reached]
    note = texts.SIGNIN_SENT.format(
        n=len(sent),
        missing=texts.SIGNIN_SENT_MISSING.format(names="、".join(missing)) if missing else "",
    )
    return [reply(f"{card}\n\n{note}", _buttons(row, organizer=True)), *sent]


def _may_end(ctx: Context, row: Signin) -> bool:
    if ctx.member is None:
        return False
    if ctx.member.id == row.created_by_id:
        return True
    return any(
        a.organization.id == row.organization_id and a.roles & {Role.SECRETARY, Role.ADMIN}
        for a in ctx.affiliations
    )


def _alert(text: str) -> Reply:
    return Reply(text=text, alert=True)


async def on_press(ctx: Context) -> list[Reply]:
    """A press of a sign-in button: 签到, 请假, 查看 or 结束."""
    match = _DATA.fullmatch(ctx.inbound.choice or "")
    row = await ctx.session.get(Signin, int(match.group(1))) if match else None
    if match is None or row is None or not secrets.compare_digest(row.token, match.group(2)):
        return [_alert(texts.STALE_BUTTON)]
    return await _act(ctx, row, match.group(3))


async def _act(ctx: Context, row: Signin, action: str) -> list[Reply]:
    if row.status is SigninStatus.CLOSED:
        return [_alert(texts.SIGNIN_CLOSED)]
    if action in ("in", "leave"):
        return await _mark(ctx, row, "attended" if action == "in" else "leave")
    if not _may_end(ctx, row):
        return [_alert(texts.SIGNIN_ONLY_STARTER)]
    if action == "view":
        return [reply(await _card_text(ctx, row), _buttons(row, organizer=True), replace=True)]
    return await _end(ctx, row)


async def _mark(ctx: Context, row: Signin, status: str) -> list[Reply]:
    member = ctx.member
    if member is None or not await is_member_of(ctx.session, member.id, row.organization_id):
        orgs = await organizations_by_id(ctx.session, [row.organization_id])
        org = orgs[row.organization_id].name if row.organization_id in orgs else "本支部"
        return [_alert(texts.SIGNIN_NOT_MEMBER.format(org=org))]
    if not await mark_signin(ctx.session, row.id, member.id, status, ctx.now):
        marks = {m.member_id: m.status for m in await signin_marks(ctx.session, row.id)}
        done = STATUS_WORDS.get(marks.get(member.id, status), "签到")
        return [_alert(texts.SIGNIN_ALREADY.format(name=member.name, status=done))]
    said = (texts.SIGNIN_DONE if status == "attended" else texts.SIGNIN_LEAVE).format(
        name=member.name
    )
    if row.in_group or member.id == row.created_by_id:
        # the shared card (a group's, or the organizer's own) shows the list and keeps 结束
        card = await _card_text(ctx, row)
        return [reply(card, _buttons(row, organizer=True), replace=True), _alert(said)]
    return [reply(said, replace=True)]


async def _end(ctx: Context, row: Signin) -> list[Reply]:
    if not await close_signin(ctx.session, row.id, ctx.now):
        return [_alert(texts.SIGNIN_CLOSED)]
    marks = await signin_marks(ctx.session, row.id)
    present = [m for m in marks if m.status == "attended"]
    leave = [m for m in marks if m.status == "leave"]
    kind = ctx.taxonomy.get(row.activity_type)
    draft = RecordDraft(
        activity_type=kind.name,
        category=kind.category,
        unit=kind.unit,
        occurred_on=row.occurred_on,
        participants=len(present),
        title=row.title if row.title != row.activity_type else "",
        attendees=[Listed(m.name, m.member_id, "attended") for m in present]
        + [Listed(m.name, m.member_id, "leave") for m in leave],
    )
    await ctx.audit(
        "signin.end",
        row.organization_id,
        f"signin:{row.id}",
        {"attended": len(present), "leave": len(leave)},
    )
    summary = texts.SIGNIN_FINISHED.format(n=len(present), m=len(leave))
    closed = await _card_text(ctx, row)
    card = Card(
        drafts=[draft],
        raw_text=f"签到：{row.title}（签到{len(present)}人，请假{len(leave)}人）",
        message_id=ctx.inbound.message_id,
    )
    shown = await record_entry.show_card(ctx, card)
    return [reply(f"{closed}\n\n{summary}", replace=True), *shown]
