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
HELP_LEADERS = "书记、党务干部、管理员还可以："

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
ONLY_ORGANIZERS = "只有书记、党务干部或管理员可以使用 {command}。"
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

# --- evidence, attendee lists, sign-in, /stats, group chats (issue 16) ---------------------
EVIDENCE_LINE = "佐证：{summary}"
ATTENDEES_LINE = "参加人员：{names}（{n}人）"
LEAVE_LINE = "请假人员：{names}"
NAME_UNMATCHED = "❓ 本支部没有名为“{name}”的党员：保存时按名单外人员记录，不计入党员出勤；如姓名有误，请发送“参加人员：……”更正。"
NAME_AMBIGUOUS = "❓ 本支部有{n}名党员叫“{name}”，请选择是哪一位。"
ASK_WHO = "本支部有{n}名党员叫“{name}”，参加的是哪一位？"
NAME_CHOICE = "{name}（{year}年{month}月加入）"
NAME_NOBODY = "都不是"
RECORD_NUMBERS = "记录编号：{numbers}（回复本消息发送照片或文件，可补充佐证）"

EVIDENCE_ADDED_TO_CARD = "已添加佐证：{summary}。"
EVIDENCE_ADDED_TO_RECORD = (
    "已为记录{number}（{line}）添加佐证：{summary}。该记录现有佐证：{total}。"
)
EVIDENCE_NOTHING_NEW = "这些照片或文件已经添加过了，未重复保存。"
EVIDENCE_DUPLICATES = "{n}个重复的照片或文件已忽略。"
EVIDENCE_REFUSED = "未保存：{name}——{reason}"
EVIDENCE_HELD = (
    "已收到佐证：{summary}。请发送这项活动的情况（如“今天上午开展主题党日活动，到场23人”），"
    "我会整理成记录并附上这些佐证；也可以回复已保存记录的卡片，把佐证补充到该记录。"
)
EVIDENCE_HELD_PENDING = "您有尚未归入记录的佐证：{summary}。请发送活动情况，或发送 /cancel 放弃。"
EVIDENCE_RECORD_GONE = "记录{number}不存在或已删除，佐证未添加。"
EVIDENCE_NOT_YOURS = "只能为自己登记的记录补充佐证（书记、党务干部可为本支部的记录补充）。"
EVIDENCE_PICK_RECORD = "这张卡片上有{n}条记录，佐证添加到哪一条？"
EVIDENCE_CANCELLED = "已取消，佐证未归入记录。"
NAMES_UPDATED = "已更新参加人员。"

SIGNIN_USAGE = "用法：/签到 活动名称，例如：/签到 主题党日（也可用 /signin 主题党日）。"
SIGNIN_UNKNOWN_TYPE = "没有识别出“{text}”是哪种活动。请写明活动，例如：/签到 主题党日、/签到 支部党员大会、/签到 党课。"
SIGNIN_ONLY_ORGANIZERS = "只有书记、党务干部或管理员可以发起签到。"
SIGNIN_CARD = "📋 {title}签到（{org}）\n发起人：{starter}　日期：{day}\n已签到{n}人{names}\n已请假{m}人{leave}"
SIGNIN_PRIVATE_CARD = "📋 {title}签到（{org}）\n发起人：{starter}　日期：{day}\n请点“签到”确认参加，不能参加请点“请假”。"
SIGNIN_SENT = "已向{n}名党员发送签到卡片。{missing}可随时点“查看”了解签到情况，活动结束后点“结束”生成活动记录。"
SIGNIN_SENT_MISSING = "（{names}在本渠道没有账号，未能发送。）"
SIGNIN_DONE = "{name}，已签到。"
SIGNIN_LEAVE = "{name}，已登记请假。"
SIGNIN_ALREADY = "{name}，您已{status}，无需重复操作。"
SIGNIN_NOT_MEMBER = "您不是{org}的党员，不能在此签到。如需加入，请向支部书记索取邀请码。"
SIGNIN_CLOSED = "本次签到已结束。"
SIGNIN_ONLY_STARTER = "只有发起人或书记可以结束签到。"
SIGNIN_FINISHED = "签到已结束：签到{n}人，请假{m}人。请确认下面的活动记录。"

STATS_HEADER = "{name} {period}组织生活情况："
STATS_GROUP = "{group}：出席{attended}次，请假{leave}次，缺席{absent}次"
STATS_NONE = "{group}：暂无带参加人员名单的记录"
STATS_RECORDS = "{period}您登记的活动记录：{n}条。"
STATS_FOOTNOTE = (
    "说明：只统计登记了参加人员名单的活动；请假不计为缺席；支委会、党小组会只统计名单上的人员。"
)
STATS_TABLE_HEADER = "{org} {period}党员参加组织生活情况（出席/请假/缺席）："
STATS_TABLE_COLUMNS = "姓名　三会一课　主题党日"
STATS_TABLE_ROW = "{name}　{a1}/{l1}/{x1}　{a2}/{l2}/{x2}"
STATS_TABLE_EMPTY = "{org}还没有党员。"

SENT_PRIVATELY = "已私信发送给{name}，请在与我的私聊中查看。"
