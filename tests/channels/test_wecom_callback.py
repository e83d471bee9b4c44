"""The WeCom callback under honest and hostile input, over real HTTP on 127.0.0.1.

Hostile input (forged signature, stale or future timestamp, replayed delivery, WeCom's retry
of a message, 2 MB body, entity expansion, another company's ciphertext, garbage) is refused
quickly, nothing is stored or dispatched, and the server keeps serving. Rendering of replies
(cards, long texts, numbered lists, documents, card updates) is checked with a scripted
dispatcher.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fakes.wecom_api import TEST_AES_KEY, TEST_TOKEN, WeComStack, running_wecom
from sqlalchemy import func, select
from support import wecom_settings

from bot.channels.wecom.channel import ONLY_TEXT_MESSAGE, build_card, status_label
from bot.channels.wecom.crypto import WXBizMsgCrypt
from bot.channels.wecom.messages import render_envelope
from bot.messages import Address, Choice, Document, Inbound, Reply, SendError
from storage.database import Database
from storage.models import InboundReceipt

USER = "zhangsan"


class Scripted:
    """A dispatcher that records what it gets and answers from a script (default: an echo)."""

    def __init__(self) -> None:
        self.inbound: list[Inbound] = []
        self.replies: list[list[Reply]] = []

    async def handle(self, inbound: Inbound) -> list[Reply]:
        self.inbound.append(inbound)
        if self.replies:
            return self.replies.pop(0)
        return [Reply(text=f"收到：{inbound.text or inbound.choice}")]


@pytest.fixture
def scripted() -> Scripted:
    return Scripted()


@pytest.fixture
async def stack(scripted: Scripted, db: Database) -> AsyncIterator[WeComStack]:
    async with running_wecom(scripted, db) as running:
        yield running


async def receipts(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count(InboundReceipt.id))) or 0)


async def assert_still_serving(stack: WeComStack, scripted: Scripted) -> None:
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{stack.server.base_url}/healthz")).status_code == 200
    count = len(scripted.inbound)
    [reply] = await stack.say("lisi", "仍然正常")
    assert reply.text == "收到：仍然正常"
    assert len(scripted.inbound) == count + 1


# --- honest traffic ---------------------------------------------------------------------------


async def test_url_verification_answers_the_bare_plaintext(stack: WeComStack) -> None:
    response = await stack.player.verify_url("8930287640175203145")
    assert response.status_code == 200
    assert response.text == "8930287640175203145"
    assert response.headers["Content-Type"].startswith("text/plain")


async def test_url_verification_refuses_forgeries(stack: WeComStack) -> None:
    player = stack.player
    timestamp, nonce = str(int(time.time())), "123456"
    echostr, signature = player.crypt.encrypt_message("echo", timestamp, nonce)
    params = {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}
    async with httpx.AsyncClient() as http:
        forged = await http.get(player.url, params={**params, "echostr": echostr[:-4] + "AAA="})
        assert forged.status_code == 403 and "echo" not in forged.text
        stale_ts = str(int(time.time()) - 1000)
        stale_sig = player.crypt.signature(stale_ts, nonce, echostr)
        stale = await http.get(
            player.url,
            params={
                "msg_signature": stale_sig,
                "timestamp": stale_ts,
                "nonce": nonce,
                "echostr": echostr,
            },
        )
        assert stale.status_code == 403
        assert (await http.get(player.url, params=params)).status_code == 400


async def test_text_message_is_acknowledged_and_answered(
    stack: WeComStack, scripted: Scripted, db: Database
) -> None:
    started = time.monotonic()
    response = await stack.player.say(USER, "今天开展主题党日")
    assert response.status_code == 200 and response.text == ""
    assert time.monotonic() - started < 2
    await stack.channel.drain()
    [inbound] = scripted.inbound
    assert inbound.address == Address("wecom", USER, USER)
    assert inbound.text == "今天开展主题党日" and inbound.message_id
    assert abs(inbound.received_at.timestamp() - time.time()) < 60
    assert stack.api.texts(USER) == ["收到：今天开展主题党日"]
    assert await receipts(db) == 2  # the nonce and the MsgId


async def test_other_message_types_get_a_chinese_answer(
    stack: WeComStack, scripted: Scripted
) -> None:
    assert (await stack.player.deliver(stack.player.other_xml(USER, "image"))).status_code == 200
    await stack.channel.drain()
    assert stack.api.texts(USER) == [ONLY_TEXT_MESSAGE]
    assert scripted.inbound == []


async def test_retried_message_is_handled_once(
    stack: WeComStack, scripted: Scripted, db: Database
) -> None:
    inner = stack.player.text_xml(USER, "只处理一次", msg_id=123456789)
    for _ in range(4):  # WeCom's three retries carry the same MsgId, each signed anew
        response = await stack.player.deliver(inner)
        assert response.status_code == 200 and response.text == ""
    await stack.channel.drain()
    assert len(scripted.inbound) == 1
    assert stack.api.texts(USER) == ["收到：只处理一次"]


# --- hostile traffic --------------------------------------------------------------------------


async def _refused(stack: WeComStack, params: dict[str, str], body: bytes) -> httpx.Response:
    started = time.monotonic()
    response = await stack.player.post(params, body)
    assert time.monotonic() - started < 1.0, "refusal took too long"
    return response


async def test_forged_signature(stack: WeComStack, scripted: Scripted, db: Database) -> None:
    params, body = stack.player.envelope(stack.player.text_xml(USER, "伪造"))
    forged = {**params, "msg_signature": "0" * 40}
    assert (await _refused(stack, forged, body)).status_code == 403
    # a message signed with another token
    other = WXBizMsgCrypt("another-token", TEST_AES_KEY, stack.api.corp_id)
    encrypted, signature = other.encrypt_message("<xml/>", params["timestamp"], params["nonce"])
    body2 = render_envelope(encrypted, stack.api.corp_id, "1000002").encode()
    assert (await _refused(stack, {**params, "msg_signature": signature}, body2)).status_code == 403
    # the right signature over another company's ciphertext
    foreign = WXBizMsgCrypt(TEST_TOKEN, TEST_AES_KEY, "wwsomeoneelse")
    encrypted, signature = foreign.encrypt_message(
        stack.player.text_xml(USER, "别家的"), params["timestamp"], params["nonce"]
    )
    body3 = render_envelope(encrypted, "wwsomeoneelse", "1000002").encode()
    assert (await _refused(stack, {**params, "msg_signature": signature}, body3)).status_code == 403
    await stack.channel.drain()
    assert scripted.inbound == [] and stack.api.sent == {}
    assert await receipts(db) == 0
    await assert_still_serving(stack, scripted)


@pytest.mark.parametrize("offset", [-301, -3600, 301, 86400])
async def test_stale_or_future_timestamp(
    stack: WeComStack, scripted: Scripted, db: Database, offset: int
) -> None:
    timestamp = str(int(time.time()) + offset)
    params, body = stack.player.envelope(stack.player.text_xml(USER, "过期"), timestamp=timestamp)
    response = await _refused(stack, params, body)
    assert response.status_code == 403
    await stack.channel.drain()
    assert scripted.inbound == [] and await receipts(db) == 0


async def test_replayed_delivery(stack: WeComStack, scripted: Scripted, db: Database) -> None:
    params, body = stack.player.envelope(stack.player.text_xml(USER, "只能一次"))
    assert (await stack.player.post(params, body)).status_code == 200
    await stack.channel.drain()
    stored = await receipts(db)
    for _ in range(3):
        replay = await _refused(stack, params, body)
        assert replay.status_code == 200 and replay.text == ""  # acknowledged, ignored
    # the same nonce with another message is refused too
    other_params, other_body = stack.player.envelope(
        stack.player.text_xml(USER, "换了内容"),
        timestamp=params["timestamp"],
        nonce=params["nonce"],
    )
    assert (await _refused(stack, other_params, other_body)).text == ""
    await stack.channel.drain()
    assert [i.text for i in scripted.inbound] == ["只能一次"]
    assert stack.api.texts(USER) == ["收到：只能一次"]
    assert await receipts(db) == stored
    await assert_still_serving(stack, scripted)


async def test_two_megabyte_body(stack: WeComStack, scripted: Scripted, db: Database) -> None:
    params, _ = stack.player.envelope(stack.player.text_xml(USER, "x"))
    huge = b"<xml><Encrypt>" + b"A" * (2 * 1024 * 1024) + b"</Encrypt></xml>"
    assert (await _refused(stack, params, huge)).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: read in chunks, capped
        for _ in range(32):
            yield b"B" * 65536

    started = time.monotonic()
    async with httpx.AsyncClient() as http:
        try:
            chunked = await http.post(stack.player.url, params=params, content=chunks())
            assert chunked.status_code == 413
        except httpx.HTTPError:
            pass  # the server may close the connection before the client finishes sending
    assert time.monotonic() - started < 2.0
    assert scripted.inbound == [] and await receipts(db) == 0
    await assert_still_serving(stack, scripted)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><ToUserName>CORP</ToUserName><Encrypt>&lol9;</Encrypt><AgentID>1000002</AgentID></xml>"""


async def test_entity_expansion(stack: WeComStack, scripted: Scripted, db: Database) -> None:
    params, _ = stack.player.envelope(stack.player.text_xml(USER, "x"))
    # in the outer body
    response = await _refused(stack, params, BILLION_LAUGHS.encode())
    assert response.status_code == 400
    # inside a correctly encrypted and signed message
    inner = BILLION_LAUGHS.replace(
        "<Encrypt>&lol9;</Encrypt>",
        f"<FromUserName>{USER}</FromUserName>"
        "<MsgType>text</MsgType><CreateTime>1</CreateTime>"
        "<Content>&lol9;</Content>",
    )
    params, body = stack.player.envelope(inner)
    assert (await _refused(stack, params, body)).status_code == 400
    # an external entity
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        "<xml><Encrypt>&e;</Encrypt></xml>"
    )
    assert (await _refused(stack, params, xxe.encode())).status_code == 400
    await stack.channel.drain()
    assert scripted.inbound == [] and stack.api.sent == {} and await receipts(db) == 0
    await assert_still_serving(stack, scripted)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<xml></xml>",
        b"<other><Encrypt>abc</Encrypt></other>",
        b"<xml><Encrypt>%%%</Encrypt></xml>",
        "<xml><Encrypt>中文</Encrypt></xml>".encode(),
    ],
)
async def test_garbage_bodies(
    stack: WeComStack, scripted: Scripted, db: Database, body: bytes
) -> None:
    params, _ = stack.player.envelope(stack.player.text_xml(USER, "x"))
    response = await _refused(stack, params, body)
    assert response.status_code in (400, 403)
    assert scripted.inbound == [] and await receipts(db) == 0


async def test_missing_or_malformed_parameters(stack: WeComStack, db: Database) -> None:
    params, body = stack.player.envelope(stack.player.text_xml(USER, "x"))
    for name in ("msg_signature", "timestamp", "nonce"):
        partial = {k: v for k, v in params.items() if k != name}
        assert (await _refused(stack, partial, body)).status_code == 400
    assert (await _refused(stack, {**params, "timestamp": "abc"}, body)).status_code == 400
    assert (await _refused(stack, {**params, "nonce": "n" * 500}, body)).status_code == 400
    assert await receipts(db) == 0


async def test_message_for_another_app_is_ignored(stack: WeComStack, scripted: Scripted) -> None:
    inner = stack.player.text_xml(USER, "别的应用").replace(
        "<AgentID>1000002</AgentID>", "<AgentID>1000099</AgentID>"
    )
    assert (await stack.player.deliver(inner)).status_code == 200
    await stack.channel.drain()
    assert scripted.inbound == []


async def test_overload_is_answered_503(scripted: Scripted, db: Database) -> None:
    async with running_wecom(scripted, db, max_pending=0) as busy:
        response = await busy.player.say(USER, "排不上队")
        assert response.status_code == 503
        assert scripted.inbound == []


# --- replies ------------------------------------------------------------------------------------


async def test_card_click_updates_the_card(stack: WeComStack, scripted: Scripted) -> None:
    choices = [
        [Choice("保存", "t0k3n:save"), Choice("修改", "t0k3n:edit"), Choice("取消", "t0k3n:x")]
    ]
    scripted.replies = [
        [Reply("请确认活动记录：\n活动类型：主题党日\n参加人数：23人", choices)],
        [
            Reply(
                "请确认活动记录：\n活动类型：主题党日\n\n✅ 已保存1条记录。本季度共1条。",
                replace=True,
            )
        ],
    ]
    [card] = await stack.say(USER, "今天开展主题党日，23人")
    assert card.msgtype == "template_card" and card.buttons == ["保存", "修改", "取消"]
    assert card.body["main_title"]["title"] == "请确认活动记录："
    assert card.body["sub_title_text"] == "活动类型：主题党日\n参加人数：23人"
    assert card.key_for("保存") == "t0k3n:save"
    new = await stack.press(USER, card, "保存")
    assert new == []  # rendered into the clicked card, no new message
    assert scripted.inbound[-1].choice == "t0k3n:save"
    assert len(card.history) == 1
    assert scripted.inbound[-1].message_id == card.history[0]["task_id"]
    assert "已保存1条记录" in card.text and card.buttons == []
    assert card.body["replace_text"] == "已保存1条记录"


async def test_card_update_with_new_choices(stack: WeComStack, scripted: Scripted) -> None:
    scripted.replies = [
        [Reply("请确认：", [[Choice("修改", "a:edit")]])],
        [
            Reply(
                "请输入日期", [[Choice("保留", "b:keep"), Choice("取消", "b:cancel")]], replace=True
            )
        ],
        [Reply("已取消。", replace=True)],
    ]
    [card] = await stack.say(USER, "记录")
    assert await stack.press(USER, card, "修改") == []
    assert card.buttons == ["保留", "取消"] and card.text == "请输入日期"
    assert await stack.press(USER, card, "取消") == []
    assert card.buttons == [] and card.body["replace_text"] == "已取消"


async def test_refused_update_sends_a_new_message(stack: WeComStack, scripted: Scripted) -> None:
    scripted.replies = [
        [Reply("请确认：", [[Choice("保存", "a:save")]])],
        [Reply("已保存。", replace=True)],
    ]
    [card] = await stack.say(USER, "记录")
    stack.api.fail_next("/cgi-bin/message/update_template_card", errcode=40129)
    [new] = await stack.press(USER, card, "保存")
    assert new.text == "已保存。" and card.history == []


async def test_many_choices_become_a_numbered_list(stack: WeComStack, scripted: Scripted) -> None:
    rows = [[Choice(f"第{i}条", f"t:pick{i}")] for i in range(1, 8)]
    scripted.replies = [[Reply("要修改第几条？", rows)]]
    [message] = await stack.say(USER, "修改")
    assert message.msgtype == "text"
    assert message.text.startswith("要修改第几条？") and "7. 第7条" in message.text
    assert "回复编号或文字选择" in message.text


async def test_long_card_text_goes_first_as_text(stack: WeComStack, scripted: Scripted) -> None:
    text = "识别到3条活动记录，请确认：\n\n" + "\n".join(f"【{i}】" + "内容" * 40 for i in range(3))
    scripted.replies = [[Reply(text, [[Choice("保存", "t:save")]])]]
    first, card = await stack.say(USER, "三条")
    assert first.msgtype == "text" and first.text == text.strip()
    assert card.msgtype == "template_card"
    assert card.body["main_title"]["title"] == "识别到3条活动记录，请确认："
    assert "详细内容见上一条消息" in card.body["sub_title_text"]


async def test_document_is_uploaded_with_its_chinese_name(
    stack: WeComStack, scripted: Scripted
) -> None:
    docx = b"PK\x03\x04" + b"\x00" * 200
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    name = "第一党支部2026年第四季度党建工作总结.docx"
    scripted.replies = [
        [Reply("已生成总结草稿，请查收附件。", document=Document(name, docx, mime))]
    ]
    text, file = await stack.say(USER, "/report")
    assert text.text == "已生成总结草稿，请查收附件。"
    assert file.msgtype == "file"
    upload = stack.api.uploads[file.body["media_id"]]
    assert upload.filename == name and upload.content == docx and upload.content_type == mime


async def test_dispatcher_failure_is_apologised_for(stack: WeComStack, scripted: Scripted) -> None:
    async def broken(inbound: Inbound) -> list[Reply]:
        raise RuntimeError("boom")

    scripted.handle = broken  # type: ignore[method-assign]
    [apology] = await stack.say(USER, "触发错误")
    assert "出错" in apology.text


async def test_sender_protocol(stack: WeComStack) -> None:
    address = Address("wecom", "wangwu", "wangwu")
    await stack.channel.send(address, Reply("提醒：本月尚未召开支委会。"))
    assert stack.api.texts("wangwu") == ["提醒：本月尚未召开支委会。"]
    stack.api.users = {"zhangsan"}
    with pytest.raises(SendError) as caught:
        await stack.channel.send(address, Reply("x"))
    assert caught.value.permanent
    stack.api.fail_next("/cgi-bin/message/send", status=503)
    with pytest.raises(SendError) as caught:
        await stack.channel.send(Address("wecom", "zhangsan", "zhangsan"), Reply("y"))
    assert not caught.value.permanent
    with pytest.raises(ValueError):
        await stack.channel.send(Address("telegram", "1", "1"), Reply("z"))


def test_status_labels_and_card_shape() -> None:
    assert status_label("记录……\n\n✅ 已保存1条记录。本季度您已登记3条。") == "已保存1条记录"
    assert status_label("已取消，记录未保存。") == "已取消"
    assert status_label("您还不是任何党支部的成员，暂时无法登记活动。") == "已处理"
    assert status_label("") == "已处理"
    card = build_card("标题" * 30, [Choice("好", "k")], task_id="t1")
    assert len(card["main_title"]["title"]) == 36 and card["sub_title_text"] == "标题" * 30
    welcome = (
        "欢迎使用党建工作助手！系统中还没有党组织，您将创建第一个党支部，并成为管理员。\n请发送名称"
    )
    card = build_card(welcome, [Choice("取消", "k")], task_id="t2")
    assert card["main_title"]["title"] == "欢迎使用党建工作助手！"
    assert card["sub_title_text"] == welcome.split("！", 1)[1]


async def test_wrong_secret_fails_at_start(scripted: Scripted, db: Database) -> None:
    from fakes.wecom_api import FakeWeCom

    from bot.channels.wecom.api import WeComApiError
    from bot.channels.wecom.channel import WeComChannel
    from bot.settings import Settings

    async with FakeWeCom() as api:
        settings = Settings(
            wecom_corp_id=api.corp_id,
            wecom_agent_id=api.agent_id,
            wecom_secret="not-the-secret",
            wecom_token=TEST_TOKEN,
            wecom_aes_key=TEST_AES_KEY,
            wecom_api_base_url=api.base_url,
            _env_file=None,  # type: ignore[call-arg]
        )
        channel = WeComChannel(settings, scripted, db)
        with pytest.raises(WeComApiError) as caught:
            await channel.start()
        assert caught.value.errcode == 40001
        with pytest.raises(ValueError, match="EncodingAESKey"):
            WeComChannel(settings.model_copy(update={"wecom_aes_key": "short"}), scripted, db)


async def test_send_only_channel_for_reminders(scripted: Scripted) -> None:
    from fakes.wecom_api import FakeWeCom

    from bot.channels.wecom.channel import WeComChannel

    async with FakeWeCom() as api:
        settings = wecom_settings(api)
        channel = WeComChannel(settings, scripted, None)
        with pytest.raises(RuntimeError):
            channel.routes()
        await channel.send(
            Address("wecom", "lisi", "lisi"),
            Reply("请于本周五前报送活动记录。", [[Choice("知道了", "t:ok")]]),
        )
        await channel.stop()
        [card] = api.messages("lisi")
        assert card.msgtype == "template_card" and card.buttons == ["知道了"]
