"""The command table: every chat command once, with its handler, who may use it, its line in
Telegram's menu and its lines in ``/help``. The dispatcher routes by it, ``/help`` is written
from it, and channels with a command menu list it (:meth:`ConversationDispatcher.menu`).

A new chat command is a handler ``async def name(ctx, argument) -> list[Reply]`` in the
module of its conversation and a row here.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.messages import Reply
from handlers import my_records, onboarding, reminder_settings, reporting, signin, stats, texts
from handlers.context import Context, reply


class Audience(enum.Enum):
    """Who may use a command: anyone (strangers too), members of an organization, organizers
    (secretaries, officers and admins, glossary: 书记, 党务干部, 管理员) or leaders (secretaries
    and admins)."""

    ANYONE = "anyone"
    MEMBER = "member"
    ORGANIZER = "organizer"
    LEADER = "leader"


CommandHandler = Callable[[Context, str], Awaitable[list[Reply]]]


@dataclass(frozen=True, slots=True)
class Command:
    """One chat command.

    ``name`` is what follows the slash (Telegram: 1-32 of ``[a-z0-9_]``); ``aliases`` other names
    that reach it; ``menu`` its description in a channel's command menu (1-256 characters; empty:
    not in the menu); ``usage`` its lines in ``/help``, one per form. Aliases may be Chinese
    (``/签到``): they work typed, while a menu lists only ``name``. ``private`` answers go to
    the asker's private chat when asked in a group (a report, one's own records).
    """

    name: str
    run: CommandHandler
    audience: Audience
    menu: str
    usage: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    private: bool = False


async def _help(ctx: Context, argument: str) -> list[Reply]:
    return [reply(help_text(ctx) if ctx.member else texts.STRANGER)]


async def _cancel(ctx: Context, argument: str) -> list[Reply]:
    if ctx.state is None:
        return [reply(texts.NOTHING_TO_CANCEL)]
    await ctx.leave()
    return [reply(texts.CANCELLED)]


#: Every command, in menu order.
COMMANDS: tuple[Command, ...] = (
    Command("start", onboarding.start, Audience.ANYONE, "开始使用/加入支部", ()),
    Command("help", _help, Audience.ANYONE, "使用说明", ("/help 使用说明",)),
    Command(
        "list",
        my_records.list_records,
        Audience.MEMBER,
        "本季度我的记录",
        ("/list 查看本季度我的记录",),
        private=True,
    ),
    Command(
        "delete",
        my_records.delete,
        Audience.MEMBER,
        "删除记录（/delete 编号）",
        ("/delete 编号 删除一条记录",),
    ),
    Command(
        "report",
        reporting.report,
        Audience.LEADER,
        "生成党建工作总结草稿",
        (
            "/report 生成本季度党建工作总结草稿（也可 /report 2026、/report 2026H1、"
            "/report 2026Q3）",
            "/report 2026 台账 导出该期间的活动台账（Excel）",
        ),
        private=True,
    ),
    Command(
        "stats",
        stats.stats,
        Audience.MEMBER,
        "我的组织生活情况（出席、请假、缺席）",
        ("/stats 查看本人今年参加三会一课、主题党日的情况（也可 /stats 2026H1；书记看全支部）",),
        aliases=("统计",),
        private=True,
    ),
    Command(
        "signin",
        signin.start,
        Audience.ORGANIZER,
        "发起签到（/signin 主题党日）",
        ("/签到 主题党日 发起签到（也可 /signin 主题党日；在群里发起则全体在群内签到）",),
        aliases=("签到",),
    ),
    Command(
        "invite",
        onboarding.invite,
        Audience.LEADER,
        "生成邀请码",
        ("/invite 生成邀请码，邀请党员加入",),
    ),
    Command(
        "remind",
        reminder_settings.remind,
        Audience.MEMBER,
        "报送提醒开关（/remind on 或 off）",
        ("/remind off 不再接收报送提醒（/remind on 恢复）",),
    ),
    Command(
        "deadlines",
        reminder_settings.deadlines,
        Audience.LEADER,
        "查看或调整报送截止日期",
        (
            "/deadlines 查看或调整报送截止日期和提醒"
            "（如 /deadlines 季度 +5、/deadlines 提前 7,3,1）",
        ),
    ),
    Command("cancel", _cancel, Audience.ANYONE, "取消当前操作", ("/cancel 取消当前操作",)),
)

#: Commands by every name that reaches them.
BY_NAME: dict[str, Command] = {
    name: command for command in COMMANDS for name in (command.name, *command.aliases)
}


def lookup(name: str, argument: str) -> tuple[Command, str] | None:
    """The command ``name`` reaches and its argument; a Chinese alias typed without a space
    before its argument (``/签到主题党日``) is found too."""
    found = BY_NAME.get(name)
    if found is not None:
        return found, argument
    for alias, command in BY_NAME.items():
        if not alias.isascii() and name.startswith(alias):
            rest = name[len(alias) :]
            return command, f"{rest} {argument}".strip()
    return None


def menu() -> list[tuple[str, str]]:
    """``(name, description)`` of the commands a channel lists in its menu, in table order."""
    return [(c.name, c.menu) for c in COMMANDS if c.menu]


def refusal(ctx: Context, command: Command) -> str | None:
    """Why the sender may not use ``command`` (Chinese), or ``None`` when they may."""
    if command.audience is Audience.MEMBER and (ctx.member is None or ctx.affiliation is None):
        return texts.STRANGER
    if command.audience is Audience.ORGANIZER and (
        ctx.member is None or ctx.organizing_affiliation is None
    ):
        return texts.ONLY_ORGANIZERS.format(command=f"/{command.name}")
    if command.audience is Audience.LEADER and (
        ctx.member is None or ctx.reporting_affiliation is None
    ):
        return texts.ONLY_SECRETARY.format(command=f"/{command.name}")
    return None


def help_text(ctx: Context) -> str:
    """``/help`` for this sender: how to record, then the commands a member may use, and for
    secretaries and admins theirs."""
    if ctx.member is None:
        return texts.STRANGER
    lines = [texts.HELP_INTRO, "", "命令："]
    leading = (Audience.LEADER, Audience.ORGANIZER)
    lines += [u for c in COMMANDS if c.audience not in leading for u in c.usage]
    shown = {Audience.LEADER} if ctx.reporting_affiliation is not None else set()
    shown |= {Audience.ORGANIZER} if ctx.organizing_affiliation is not None else set()
    if shown:
        lines += ["", texts.HELP_LEADERS]
        lines += [u for c in COMMANDS if c.audience in shown for u in c.usage]
    return "\n".join(lines)
