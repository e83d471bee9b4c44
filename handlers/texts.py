"""What the bot says, in one place, so wording can be reviewed and changed without touching
the flows. Everything a user sees is Chinese."""

from __future__ import annotations

EXAMPLES = (
    "例如：\n"
    "· 今天上午组织全体党员开展主题党日活动，到场23人\n"
    "· 昨天召开支委会，研究发展党员工作\n"
    "· 11月5日讲专题党课，参加30人"
)

HELP_INTRO = "直接用一句话告诉我您开展了什么活动，我会整理成活动记录，确认后保存。\n" + EXAMPLES
HELP_LEADERS = "书记、管理员还可以："

STRANGER = (
    "您还不是任何党支部的成员，暂时无法登记活动。\n请向支部书记索取邀请码，然后发送：/start 邀请码"
)
NO_ORGANIZATION_YET = "系统中还没有党组织。发送 /start 创建您的党支部。"
FOUND_ASK_NAME = (
    "欢迎使用党建工作助手！系统中还没有党组织，您将创建第一个党支部，并成为管理员和书记。\n"
    "请发送党支部的全称，例如：XX局机关第一党支部"
)
FOUND_NAME_INVALID = "名称需为2至100个字，且不能以“/”开头。请重新发送党支部的全称。"
FOUND_TAKEN = "党组织已由他人创建。请向支部书记索取邀请码，然后发送：/start 邀请码"
FOUNDED = (
    "已创建“{name}”，您是管理员和书记。\n"
    "发送 /invite 生成邀请码邀请党员加入；直接发送活动情况即可登记记录。\n\n"
)
WELCOME_BACK = "{name}，您好！您已是“{org}”的成员。\n\n"
JOINED = "欢迎加入“{org}”！\n\n"
INVITE_INVALID = "邀请码“{code}”无效，请核对后重试，或向支部书记重新索取。"
INVITE_EXPIRED = "邀请码“{code}”已过期或已用完，请向支部书记重新索取。"
ALREADY_MEMBER = "您已是“{org}”的成员，无需再次加入。"
INVITE_CREATED = (
    "邀请码：{code}\n有效期至{expires}，可使用{uses}次。\n新成员向本机器人发送：/start {code}"
)
INVITE_LINK = "\n或点击链接直接加入：{link}"

ONLY_SECRETARY = "只有支部书记或管理员可以使用 {command}。"
UNKNOWN_COMMAND = "未知命令 {command}。发送 /help 查看可用命令。"
CANCELLED = "已取消当前操作。"
NOTHING_TO_CANCEL = "当前没有进行中的操作。"
STALE_BUTTON = "该按钮已失效（可能已保存、已取消或已过期），请重新发送。"
ERROR = "抱歉，处理这条消息时出错了，请稍后再试。您已填写的内容不会丢失。"

GREETING = "您好！直接告诉我开展了什么活动，我来帮您登记。\n" + EXAMPLES
THANKS = "不客气！有新的活动随时告诉我。"
ACKNOWLEDGED = "好的。需要登记活动时，直接发送活动情况即可。"
QUESTION = "我主要负责登记党建活动和起草总结。发送 /help 查看使用说明。"
NOT_UNDERSTOOD = (
    "没有从这条消息中识别出党建活动。请说明开展了什么活动、日期和参加人数。\n" + EXAMPLES
)

CARD_ONE = "请确认活动记录："
CARD_MANY = "识别到{n}条活动记录，请确认："
CARD_PENDING = "您有未保存的活动记录，请先选择“保存”“修改”或“取消”。"
ASK_TYPE = "“{title}”可能是以下哪种活动？请选择："
SAVED = "已保存{n}条记录。本季度您已登记{total}条，发送 /list 查看。"
DISCARDED = "已取消，记录未保存。"
EDIT_PICK = "要修改第几条？"
EDIT_PROMPTS = {
    "activity_type": "请输入活动类型（当前：{value}），如：主题党日、支委会、党课。",
    "occurred_on": "请输入日期（当前：{value}），如：2026-03-15、3月15日、昨天。",
    "count": "请输入次数（当前：{value}）。",
    "participants": "请输入参加人数（当前：{value}），没有可填“无”。",
    "title": "请输入标题（当前：{value}）。",
    "status": "这项活动是已开展还是计划中？（当前：{value}）",
}
EDIT_INVALID = {
    "activity_type": "未识别的活动类型“{text}”。请输入如：主题党日、支委会、党小组会、党课、集中学习。",
    "occurred_on": "无法识别日期“{text}”。请输入如：2026-03-15、3月15日、昨天。",
    "count": "次数需为1至9999的整数，请重新输入。",
    "participants": "参加人数需为0至99999的整数（没有可填“无”），请重新输入。",
    "title": "标题需为1至200个字，请重新输入。",
    "status": "请选择“已开展”或“计划中”。",
}

LIST_EMPTY = "{period}您还没有登记记录。直接发送活动情况即可登记。"
LIST_HEADER = "{period}您登记的记录（共{n}条）："
LIST_FOOTER = "删除请发送：/delete 编号"
DELETE_USAGE = "请在命令后写上编号，例如：/delete 2（编号见 /list）。"
DELETE_NOT_FOUND = "本季度没有第{n}条记录，发送 /list 查看编号。"
DELETE_CONFIRM = "确认删除这条记录？\n{line}"
DELETED = "已删除：{line}"
