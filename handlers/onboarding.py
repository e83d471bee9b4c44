"""Joining: founding the first organization, invites, and ``/start``.

- ``/start`` on an empty database: the first person founds the organization (step
  ``found_organization`` asks its name) and becomes admin and secretary.
- ``/start CODE``: join the invite's organization with the invite's role.
- ``/start`` from a stranger otherwise: how to get an invite.
- ``/invite`` (secretary, admin): a code and, where the channel has deep links
  (:attr:`bot.messages.Inbound.start_link`: Telegram's), a link that joins in one tap.
"""

from __future__ import annotations

import re

from bot.messages import Reply
from handlers import texts
from handlers.context import Context, StepHandler, reply
from handlers.steps import Pressed, StepChoice
from storage.models import Role
from storage.queries.invites import create_invite, find_invite, use_invite
from storage.queries.members import add_member, affiliations, grant_roles
from storage.queries.organizations import any_organization, create_organization

FOUND = "found_organization"

_CODE = re.compile(r"[A-Za-z0-9]{4,32}")


async def start(ctx: Context, argument: str) -> list[Reply]:
    """``/start [CODE]``."""
    code = argument.strip()
    if code:
        return await join(ctx, code)
    if ctx.member is not None and ctx.affiliation is not None:
        greeting = texts.WELCOME_BACK.format(
            name=ctx.member.name, org=ctx.affiliation.organization.name
        )
        return [reply(greeting + ctx.help())]
    if await any_organization(ctx.session):
        return [reply(texts.STRANGER)]
    buttons = await ctx.enter(FOUND, {}, [[StepChoice("取消", "cancel")]], numbers=False)
    return [reply(texts.FOUND_ASK_NAME, buttons)]


async def on_found(ctx: Context, pressed: Pressed | None) -> list[Reply]:
    """The founder sent the organization's name (or cancelled)."""
    if pressed is not None and pressed.action == "cancel":
        await ctx.leave()
        return [reply(texts.CANCELLED, replace=ctx.inbound.choice is not None)]
    name = ctx.inbound.text.strip()
    if not 2 <= len(name) <= 100 or name.startswith("/"):
        return [reply(texts.FOUND_NAME_INVALID, ctx.current_buttons())]
    await ctx.leave()
    if await any_organization(ctx.session):
        return [reply(texts.FOUND_TAKEN)]
    org = await create_organization(ctx.session, name, ctx.now)
    ctx.member = await add_member(
        ctx.session,
        name=ctx.inbound.display_name or f"用户{ctx.address.user_id}",
        channel=ctx.address.channel,
        external_id=ctx.address.user_id,
        chat_id=ctx.address.chat_id,
        organization_id=org.id,
        roles=(Role.ADMIN, Role.SECRETARY),
        now=ctx.now,
    )
    ctx.affiliations = await affiliations(ctx.session, ctx.member.id)
    await ctx.audit("organization.create", org.id, f"organization:{org.id}", {"name": name})
    await ctx.audit(
        "role.grant", org.id, f"member:{ctx.member.id}", {"roles": ["admin", "secretary"]}
    )
    return [reply(texts.FOUNDED.format(name=name) + ctx.help())]


async def join(ctx: Context, code: str) -> list[Reply]:
    """Redeem an invite code for the sender."""
    shown = code[:32]
    if not _CODE.fullmatch(code):
        return [reply(texts.INVITE_INVALID.format(code=shown))]
    invite = await find_invite(ctx.session, code)
    if invite is None:
        return [reply(texts.INVITE_INVALID.format(code=shown))]
    org_ids = {a.organization.id for a in ctx.affiliations}
    if invite.organization_id in org_ids:
        org = next(a.organization for a in ctx.affiliations if a.organization.id in org_ids)
        return [reply(texts.ALREADY_MEMBER.format(org=org.name))]
    if invite.expires_at <= ctx.now or not await use_invite(ctx.session, invite):
        return [reply(texts.INVITE_EXPIRED.format(code=invite.code))]
    if ctx.member is None:
        ctx.member = await add_member(
            ctx.session,
            name=ctx.inbound.display_name or f"用户{ctx.address.user_id}",
            channel=ctx.address.channel,
            external_id=ctx.address.user_id,
            chat_id=ctx.address.chat_id,
            organization_id=invite.organization_id,
            roles=(invite.role,),
            now=ctx.now,
        )
    else:
        await grant_roles(
            ctx.session, ctx.member.id, invite.organization_id, (invite.role,), ctx.now
        )
    ctx.affiliations = await affiliations(ctx.session, ctx.member.id)
    await ctx.audit(
        "role.grant",
        invite.organization_id,
        f"member:{ctx.member.id}",
        {"roles": [invite.role.value], "invite": invite.code},
    )
    org = next(
        a.organization for a in ctx.affiliations if a.organization.id == invite.organization_id
    )
    return [reply(texts.JOINED.format(org=org.name) + ctx.help())]


async def invite(ctx: Context, argument: str) -> list[Reply]:
    """``/invite``: a new code for the secretary's organization."""
    affiliation = ctx.reporting_affiliation
    if ctx.member is None or affiliation is None:
        return [reply(texts.ONLY_SECRETARY.format(command="/invite"))]
    created = await create_invite(ctx.session, affiliation.organization.id, ctx.member.id, ctx.now)
    await ctx.audit("invite.create", affiliation.organization.id, f"invite:{created.id}")
    expires = created.expires_at.astimezone(ctx.tz)
    text = texts.INVITE_CREATED.format(
        code=created.code,
        expires=f"{expires.year}年{expires.month}月{expires.day}日",
        uses=created.max_uses,
    )
    if ctx.inbound.start_link is not None:
        text += texts.INVITE_LINK.format(link=ctx.inbound.start_link(created.code))
    return [reply(text)]


#: This conversation's steps (see :mod:`handlers.steps`).
STEPS: dict[str, StepHandler] = {FOUND: on_found}
