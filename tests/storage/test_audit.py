"""The audit log and who sees whose records (production issue: access and audit)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from support import djbot

from bot.channels.harness import Harness
from handlers.dispatcher import ConversationDispatcher
from storage import audit
from storage.database import Database
from storage.models import AuditEntry, OrganizationKind, Role
from storage.queries.members import add_member
from storage.queries.organizations import create_organization, organization_tree_ids

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


async def test_edits_deletes_roles_and_report_requests_are_audited(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    secretary = Harness(dispatcher, "100", "张书记", now=NOW)
    await secretary.say("/start")
    await secretary.say("第一党支部")
    code = Harness.text(await secretary.say("/invite")).split("邀请码：", 1)[1].split()[0]
    member = Harness(dispatcher, "200", "王五", now=NOW)
    await member.say(f"/start {code}")
    await member.say("今天召开支委会，出席7人")
    await member.press("保存")
    await member.say("/delete 1")
    await member.press("确认删除")
    await member.say("今天开展主题党日")
    await member.press("取消")  # nothing stored, nothing audited
    await secretary.say("/report 2026Q4")
    await member.say("/report")  # refused: not audited as a request

    async with db.session() as session:
        rows = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    actions = [r.action for r in rows]
    assert actions == [
        "organization.create",
        "role.grant",
        "invite.create",
        "role.grant",
        "record.create",
        "record.delete",
        "report.request",
    ]
    create, delete = rows[4], rows[5]
    assert create.target == delete.target and create.target.startswith("activity_record:")
    assert create.details["activity_type"] == "支委会" and create.details["participants"] == 7
    assert rows[3].details["roles"] == ["member"]
    assert rows[6].details["period"] == "2026Q4"
    assert all(r.organization_id == 1 and r.created_at == NOW for r in rows)
    assert {r.channel for r in rows} == {"test"}


async def test_records_are_visible_to_the_branch_and_its_ancestors_only(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    async with db.session() as session:
        committee = await create_organization(
            session, "机关党委", NOW, kind=OrganizationKind.COMMITTEE
        )
        first = await create_organization(session, "第一党支部", NOW, parent_id=committee.id)
        second = await create_organization(session, "第二党支部", NOW, parent_id=committee.id)
        for user, org, roles in (
            ("1", committee.id, [Role.SECRETARY]),
            ("2", first.id, [Role.SECRETARY]),
            ("3", second.id, [Role.SECRETARY]),
            ("4", first.id, [Role.MEMBER]),
        ):
            await add_member(
                session,
                name=f"用户{user}",
                channel="test",
                external_id=user,
                chat_id=user,
                organization_id=org,
                roles=roles,
                now=NOW,
            )
    member = Harness(dispatcher, "4", "用户4", now=NOW)
    await member.say("今天开展主题党日，参加12人")
    await member.press("保存")

    def totals(text: str) -> bool:
        return "主题党日1次，参与党员累计12人次" in text

    assert totals(Harness.text(await Harness(dispatcher, "1", now=NOW).say("/report")))
    assert totals(Harness.text(await Harness(dispatcher, "2", now=NOW).say("/report")))
    other = Harness.text(await Harness(dispatcher, "3", now=NOW).say("/report"))
    assert "第二党支部" in other and "主题党日1次" not in other
    assert "书记或管理员" in Harness.text(await member.say("/report"))
    # a member sees their own records
    assert "主题党日 1次 12人" in Harness.text(await member.say("/list"))


async def test_entries_are_listed_newest_first_per_tree(db: Database) -> None:
    async with db.session() as session:
        root = await create_organization(session, "党委", NOW)
        child = await create_organization(session, "支部", NOW, parent_id=root.id)
        other = await create_organization(session, "别处", NOW)
        for i, org in enumerate((root, child, other)):
            await audit.write(
                session,
                "report.request",
                now=NOW.replace(minute=i),
                organization_id=org.id,
                actor_id=None,
            )
        ids = await organization_tree_ids(session, root.id)
        listed = await audit.entries(session, ids)
    assert [e.organization_id for e in listed] == [child.id, root.id]


def test_audit_on_the_command_line(tmp_path: Path) -> None:
    script = "/start\n第一党支部\n今天召开支委会，出席7人\n保存\n/report\n"
    assert (
        djbot(tmp_path, "chat", "--user", "zhang", "--name", "张三", stdin=script).returncode == 0
    )
    listing = djbot(tmp_path, "audit", "--org", "1")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert "report.request" in lines[0] and "张三" in lines[0]
    assert any("record.create" in line and "支委会" in line for line in lines)
    assert djbot(tmp_path, "audit", "--org", "9").returncode == 1
