"""The WeCom (企业微信) channel: a self-built app's encrypted callback in, the server API out.

Modules: :mod:`.crypto` (WXBizMsgCrypt), :mod:`.messages` (callback XML), :mod:`.api` (the
server API client), :mod:`.channel` (the adapter: callback -> dispatcher -> replies),
:mod:`.group_robot` (the branch group's webhook robot).
"""

from __future__ import annotations

from typing import Final

from bot.settings import Settings

__all__ = ["CALLBACK_PATH", "wecom_configured"]

#: The callback URL path to enter in the WeCom admin console (应用管理 -> 接收消息 -> 设置API接收).
CALLBACK_PATH: Final[str] = "/wecom/callback"


def wecom_configured(settings: Settings) -> bool:
    """Whether the settings enable WeCom: CorpID, AgentId, Secret, Token and EncodingAESKey."""
    return bool(
        settings.wecom_corp_id
        and settings.wecom_agent_id is not None
        and settings.wecom_secret
        and settings.wecom_token
        and settings.wecom_aes_key
    )
