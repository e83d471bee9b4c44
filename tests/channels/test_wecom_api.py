"""The WeCom API client and the group robot against the local fake WeCom server: token caching
and refresh, splitting, file upload with a Chinese name, cards, 45009 back-off, pacing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fakes.wecom_api import FakeWeCom

from bot.channels.splitting import utf8_size
from bot.channels.wecom.api import (
    WeComApiError,
    WeComClient,
    WeComRateLimitError,
    WeComUnavailableError,
)
from bot.channels.wecom.group_robot import GroupRobot

CORP, SECRET, AGENT = "wwfakecorp0000001", "fake-app-secret", 1000002


class FakeTime:
    """Monotonic seconds that only move when someone sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
async def wecom() -> AsyncIterator[FakeWeCom]:
    async with FakeWeCom(corp_id=CORP, secret=SECRET, agent_id=AGENT) as fake:
        yield fake


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def client(wecom: FakeWeCom, fake_time: FakeTime) -> AsyncIterator[WeComClient]:
    api = WeComClient(
        corp_id=CORP,
        secret=SECRET,
        agent_id=AGENT,
        base_url=wecom.base_url,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
    )
    yield api
    await api.aclose()


async def test_token_is_cached_and_refreshed_before_expiry(
    wecom: FakeWeCom, client: WeComClient, fake_time: FakeTime
) -> None:
    await client.send_text("zhangsan", "第一条")
    await client.send_text("zhangsan", "第二条")
    assert wecom.tokens_issued == 1
    fake_time.now += 7200 - 300 - 1  # just before the refresh margin
    await client.send_text("zhangsan", "第三条")
    assert wecom.tokens_issued == 1
    fake_time.now += 2  # inside the last five minutes: fetched anew
    await client.send_text("zhangsan", "第四条")
    assert wecom.tokens_issued == 2
    assert wecom.texts("zhangsan") == ["第一条", "第二条", "第三条", "第四条"]


async def test_short_lived_token_refreshes_at_half_life(
    wecom: FakeWeCom, client: WeComClient, fake_time: FakeTime
) -> None:
    wecom.expires_in = 60
    await client.access_token()
    fake_time.now += 31
    await client.access_token()
    assert wecom.tokens_issued == 2


@pytest.mark.parametrize("errcode", [42001, 40014])
async def test_expired_or_invalid_token_is_refreshed_once(
    wecom: FakeWeCom, client: WeComClient, errcode: int
) -> None:
    await client.send_text("zhangsan", "你好")
    wecom.fail_next("/cgi-bin/message/send", errcode=errcode)
    await client.send_text("zhangsan", "再次问好")
    assert wecom.tokens_issued == 2
    assert wecom.texts("zhangsan") == ["你好", "再次问好"]
    # a token that really expired on the server is noticed the same way
    wecom.expire_tokens()
    await client.send_text("zhangsan", "第三次")
    assert wecom.tokens_issued == 3
    # twice in a row: no endless loop, the error surfaces
    wecom.fail_next("/cgi-bin/message/send", errcode=42001, times=2)
    with pytest.raises(WeComApiError) as caught:
        await client.send_text("zhangsan", "失败")
    assert caught.value.errcode == 42001 and not caught.value.permanent


async def test_bad_secret_is_permanent(wecom: FakeWeCom) -> None:
    api = WeComClient(corp_id=CORP, secret="wrong", agent_id=AGENT, base_url=wecom.base_url)
    try:
        with pytest.raises(WeComApiError) as caught:
            await api.access_token()
        assert caught.value.errcode == 40001 and caught.value.permanent
        assert "wrong" not in str(caught.value)
    finally:
        await api.aclose()


async def test_long_text_is_split_into_2048_byte_messages(
    wecom: FakeWeCom, client: WeComClient
) -> None:
    paragraph = "一、主要工作成效。" + "全年共开展主题党日12次，参与党员累计286人次。" * 12
    text = "\n\n".join([paragraph] * 6)
    assert utf8_size(text) > 2 * 2048
    results = await client.send_text("lisi", text)
    sent = wecom.texts("lisi")
    assert len(results) == len(sent) >= 3
    assert all(utf8_size(chunk) <= 2048 for chunk in sent)
    assert "".join(sent).replace("\n", "") == text.replace("\n", "")
    assert all(chunk.endswith("。") for chunk in sent)  # never mid-sentence
    assert all(r.msgid for r in results)


async def test_markdown(wecom: FakeWeCom, client: WeComClient) -> None:
    await client.send_markdown("lisi", "**本季度** 共 3 条记录")
    [message] = wecom.messages("lisi")
    assert message.msgtype == "markdown" and message.text == "**本季度** 共 3 条记录"


async def test_file_upload_keeps_the_chinese_name(wecom: FakeWeCom, client: WeComClient) -> None:
    name = "第一党支部2026年第三季度党建工作总结.docx"
    content = b"PK\x03\x04" + b"docx bytes" * 100
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    result = await client.send_document("wangwu", name, content, mime)
    [upload] = wecom.uploads.values()
    assert upload.filename == name and upload.content == content
    assert upload.content_type == mime
    [message] = wecom.messages("wangwu")
    assert message.msgtype == "file" and message.body == {"media_id": upload.media_id}
    assert result.msgid == message.msgid
    [(_, query, _)] = wecom.calls_to("/cgi-bin/media/upload")
    assert query["type"] == "file"
    with pytest.raises(ValueError):
        await client.upload_media("tiny.txt", b"12345")


async def test_template_card_and_updates(wecom: FakeWeCom, client: WeComClient) -> None:
    card = {
        "card_type": "button_interaction",
        "main_title": {"title": "请确认活动记录："},
        "task_id": "dj_test_1",
        "button_list": [{"text": "保存", "key": "abcd:save"}, {"text": "取消", "key": "abcd:x"}],
    }
    result = await client.send_template_card("zhaoliu", card)
    sent = wecom.last_card("zhaoliu")
    assert result.response_code == sent.response_code != ""
    assert sent.buttons == ["保存", "取消"]
    await client.update_template_card("zhaoliu", result.response_code, replace_name="已保存")
    assert sent.disabled == "已保存" and sent.buttons == []
    with pytest.raises(WeComApiError) as caught:  # a response code works once
        await client.update_template_card("zhaoliu", result.response_code, replace_name="again")
    assert caught.value.permanent
    with pytest.raises(WeComApiError):  # the same task id twice is refused (42014)
        await client.send_template_card("zhaoliu", card)
    with pytest.raises(ValueError):
        await client.update_template_card("zhaoliu", "code")


async def test_rate_limit_backs_off_then_succeeds(
    wecom: FakeWeCom, client: WeComClient, fake_time: FakeTime
) -> None:
    wecom.fail_next("/cgi-bin/message/send", errcode=45009, times=2)
    await client.send_text("zhangsan", "限流后送达")
    assert fake_time.sleeps == [2.0, 4.0]
    assert wecom.texts("zhangsan") == ["限流后送达"]


async def test_rate_limit_gives_up_with_retry_after(
    wecom: FakeWeCom, client: WeComClient, fake_time: FakeTime
) -> None:
    wecom.fail_next("/cgi-bin/message/send", errcode=45009, times=10)
    with pytest.raises(WeComRateLimitError) as caught:
        await client.send_text("zhangsan", "送不出去")
    assert caught.value.retry_after == 16.0 and not caught.value.permanent
    assert fake_time.sleeps == [2.0, 4.0, 8.0]
    assert len(wecom.calls_to("/cgi-bin/message/send")) == 4


async def test_server_error_is_not_retried(wecom: FakeWeCom, client: WeComClient) -> None:
    await client.access_token()
    wecom.fail_next("/cgi-bin/message/send", status=502)
    with pytest.raises(WeComUnavailableError):
        await client.send_text("zhangsan", "可能已发出")
    assert len(wecom.calls_to("/cgi-bin/message/send")) == 1
    wecom.fail_next("/cgi-bin/message/send", errcode=-1)
    with pytest.raises(WeComApiError) as caught:
        await client.send_text("zhangsan", "系统繁忙")
    assert not caught.value.permanent


async def test_unreachable_server(fake_time: FakeTime) -> None:
    api = WeComClient(
        corp_id=CORP, secret=SECRET, agent_id=AGENT, base_url="http://127.0.0.1:1", timeout=2
    )
    try:
        with pytest.raises(WeComUnavailableError):
            await api.send_text("zhangsan", "x")
    finally:
        await api.aclose()


async def test_unknown_member_is_permanent(wecom: FakeWeCom, fake_time: FakeTime) -> None:
    wecom.users = {"zhangsan"}
    api = WeComClient(corp_id=CORP, secret=SECRET, agent_id=AGENT, base_url=wecom.base_url)
    try:
        with pytest.raises(WeComApiError) as caught:
            await api.send_text("nobody", "你好")
        assert caught.value.errcode == 81013 and caught.value.permanent
    finally:
        await api.aclose()


async def test_pacing_30_messages_a_minute_per_member(
    wecom: FakeWeCom, client: WeComClient, fake_time: FakeTime
) -> None:
    for i in range(30):
        await client.send_text("zhangsan", f"消息{i}")
        fake_time.now += 1
    assert fake_time.sleeps == []
    await client.send_text("lisi", "别人不受影响")
    assert fake_time.sleeps == []
    await client.send_text("zhangsan", "第31条")  # waits until the first leaves the window
    assert fake_time.sleeps == [pytest.approx(30.0)]
    assert len(wecom.texts("zhangsan")) == 31


async def test_group_robot_paces_and_mentions(wecom: FakeWeCom, fake_time: FakeTime) -> None:
    robot = GroupRobot(clock=fake_time.clock, sleep=fake_time.sleep)
    url = wecom.webhook_url("branch-1")
    try:
        sent = await robot.send_text(url, "请于本周五前报送本月活动记录。", mentioned=["zhangsan"])
        assert sent == 1
        [payload] = wecom.robot["branch-1"]
        assert payload == {
            "msgtype": "text",
            "text": {"content": "请于本周五前报送本月活动记录。", "mentioned_list": ["zhangsan"]},
        }
        await robot.send_markdown(url, "**提醒**：本月尚未召开支委会", mentioned=["lisi"])
        markdown = wecom.robot["branch-1"][-1]["markdown"]["content"]
        assert markdown.endswith("<@lisi>")
        for i in range(18):
            await robot.send_text(url, f"提醒{i}")
        assert fake_time.sleeps == []  # 20 within the minute
        await robot.send_text(url, "第21条")
        assert fake_time.sleeps == [pytest.approx(60.0)]
        await robot.send_text(wecom.webhook_url("branch-2"), "另一个群不受影响")
        assert len(fake_time.sleeps) == 1
        # long text is split, mentions only on the first part
        long = "\n\n".join(["支部工作提醒：" + "请按时召开支部党员大会。" * 40] * 3)
        parts = await robot.send_text(wecom.webhook_url("b3"), long, mentioned=["@all"])
        assert parts == len(wecom.robot["b3"]) > 1
        assert "mentioned_list" in wecom.robot["b3"][0]["text"]
        assert all("mentioned_list" not in p["text"] for p in wecom.robot["b3"][1:])
        # rate-limit answers back off, then give up
        wecom.fail_next("/cgi-bin/webhook/send", errcode=45009, times=5)
        with pytest.raises(WeComRateLimitError):
            await robot.send_text(wecom.webhook_url("b4"), "限流")
        with pytest.raises(ValueError):
            await robot.send_text("not a url", "x")
    finally:
        await robot.aclose()
