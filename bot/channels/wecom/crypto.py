"""WeCom's callback encryption scheme (WXBizMsgCrypt), written from its published description.

Source: WeCom developer centre, "加解密方案说明" (the callback encryption scheme) and
"回调配置" (callback configuration); checked against the official sample values of WeCom's
own library (``sbzhu/weworkapi_python``, ``callback/Sample.py``) in ``tests/test_wecom_crypto.py``.

The scheme, for the self-built app's callback (``receive_id`` is the CorpID):

* **Key.** The admin console shows a 43-character ``EncodingAESKey`` of ``[A-Za-z0-9]``;
  ``AESKey = base64_decode(EncodingAESKey + "=")`` is 32 bytes (AES-256). The IV is
  ``AESKey[:16]``.
* **Plaintext layout.** ``random(16 bytes) + msg_len (4 bytes, big-endian) + msg + receive_id``,
  padded with PKCS#7 to a multiple of **32** bytes (pad value 1..32), then AES-256-CBC
  encrypted and base64-encoded: that string is ``msg_encrypt`` (the ``Encrypt`` element, or the
  ``echostr`` of the URL check).
* **Signature.** ``msg_signature = sha1(''.join(sorted([token, timestamp, nonce,
  msg_encrypt])))`` as lower-case hex; the four strings are sorted as byte strings.

Every failure raises a subclass of :class:`WeComCryptoError` with a message saying what was
wrong; none of them echoes secret material. Comparisons of signatures and of the receive id are
constant-time (:func:`hmac.compare_digest`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct
from typing import Final

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = [
    "BLOCK_SIZE",
    "DecryptError",
    "ReceiverMismatchError",
    "SignatureError",
    "WXBizMsgCrypt",
    "WeComCryptoError",
    "decode_aes_key",
]

#: PKCS#7 block size of the scheme: WeCom pads to a multiple of 32 bytes, not AES's 16
#: ("加解密方案说明": "数据采用PKCS#7填充至32字节的倍数").
BLOCK_SIZE: Final[int] = 32

_ENCODING_AES_KEY = re.compile(r"^[A-Za-z0-9]{43}$")
_RANDOM_LENGTH: Final[int] = 16
_LENGTH_FIELD: Final[int] = 4


class WeComCryptoError(Exception):
    """A callback failed a check of the WXBizMsgCrypt scheme (the request is to be refused)."""


class SignatureError(WeComCryptoError):
    """``msg_signature`` does not match ``sha1(sorted(token, timestamp, nonce, encrypt))``."""


class DecryptError(WeComCryptoError):
    """``msg_encrypt`` is not valid base64, not whole AES blocks, or its padding or layout is
    malformed (a forged or truncated ciphertext, or the wrong EncodingAESKey)."""


class ReceiverMismatchError(DecryptError):
    """The decrypted message names another receiver (CorpID) than ours."""


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """``EncodingAESKey`` (43 characters) -> the 32-byte AES key.

    Raises:
        ValueError: the key is not 43 characters of ``[A-Za-z0-9]`` ("加解密方案说明": "长度固定
            为43个字符，从a-z, A-Z, 0-9共62个字符中选取") or does not decode to 32 bytes.
    """
    if not _ENCODING_AES_KEY.fullmatch(encoding_aes_key):
        raise ValueError(
            "EncodingAESKey 必须是 43 位字母或数字（企业微信管理后台“接收消息”设置中生成）"
        )
    key = base64.b64decode(encoding_aes_key + "=")
    if len(key) != 32:  # pragma: no cover - 43 base64 characters always give 32 bytes
        raise ValueError("EncodingAESKey 解码后不是 32 字节")
    return key


def _pad(data: bytes) -> bytes:
    amount = BLOCK_SIZE - len(data) % BLOCK_SIZE
    return data + bytes([amount]) * amount


def _unpad(data: bytes) -> bytes:
    """Strip WeCom's PKCS#7 padding (1..32 bytes, all equal to their count).

    Raises:
        DecryptError: the padding is malformed.
    """
    if not data or len(data) % BLOCK_SIZE:
        raise DecryptError("解密后的数据长度不是 32 字节的整数倍")
    amount = data[-1]
    if not 1 <= amount <= BLOCK_SIZE or data[-amount:] != bytes([amount]) * amount:
        raise DecryptError("填充（PKCS#7）不正确")
    return data[:-amount]


class WXBizMsgCrypt:
    """Sign, verify, encrypt and decrypt callback payloads for one app.

    Args:
        token: the callback ``Token`` set in the admin console (any string; signs requests).
        encoding_aes_key: the 43-character ``EncodingAESKey``.
        receive_id: who the messages are for: the CorpID for a self-built app's callback.

    Raises:
        ValueError: for an empty token or receive id or a malformed EncodingAESKey.
    """

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        if not token:
            raise ValueError("回调 Token 不能为空")
        if not receive_id:
            raise ValueError("receive_id（企业 CorpID）不能为空")
        self.token = token
        self.receive_id = receive_id
        self._key = decode_aes_key(encoding_aes_key)
        self._iv = self._key[:16]

    # --- signatures -----------------------------------------------------------------------------

    def signature(self, timestamp: str, nonce: str, encrypted: str) -> str:
        """``sha1`` hex of the sorted concatenation of token, timestamp, nonce and ciphertext."""
        parts = sorted(s.encode("utf-8") for s in (self.token, timestamp, nonce, encrypted))
        return hashlib.sha1(b"".join(parts)).hexdigest()

    def verify_signature(self, signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        """Check ``msg_signature`` in constant time.

        Raises:
            SignatureError: it does not match.
        """
        expected = self.signature(timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected.encode("ascii"), signature.lower().encode("utf-8")):
            raise SignatureError("消息签名（msg_signature）校验失败")

    # --- encryption -----------------------------------------------------------------------------

    def encrypt(self, message: bytes | str, *, random_prefix: bytes | None = None) -> str:
        """Encrypt ``message`` for ``receive_id``; returns the base64 ``msg_encrypt``.

        Args:
            message: the plaintext (XML for callbacks); ``str`` is encoded as UTF-8.
            random_prefix: the 16 random bytes that start the plaintext; fresh ones from
                :func:`os.urandom` by default (tests fix them to reproduce a ciphertext).

        Raises:
            ValueError: ``random_prefix`` is not 16 bytes.
        """
        body = message.encode("utf-8") if isinstance(message, str) else message
        prefix = os.urandom(_RANDOM_LENGTH) if random_prefix is None else random_prefix
        if len(prefix) != _RANDOM_LENGTH:
            raise ValueError("random_prefix must be 16 bytes")
        plain = prefix + struct.pack(">I", len(body)) + body + self.receive_id.encode("utf-8")
        encryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._iv)).encryptor()
        cipher = encryptor.update(_pad(plain)) + encryptor.finalize()
        return base64.b64encode(cipher).decode("ascii")

    def decrypt(self, encrypted: str) -> bytes:
        """Decrypt a ``msg_encrypt`` and return the message bytes (XML for callbacks).

        Raises:
            DecryptError: not base64, not a whole number of 32-byte blocks, bad padding, or a
                length field that does not fit.
            ReceiverMismatchError: the receive id inside is not ours.
        """
        try:
            cipher = base64.b64decode(encrypted.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise DecryptError("密文不是有效的 Base64") from exc
        if not cipher or len(cipher) % BLOCK_SIZE:
            raise DecryptError("密文长度不是 32 字节的整数倍")
        decryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._iv)).decryptor()
        plain = _unpad(decryptor.update(cipher) + decryptor.finalize())
        header = _RANDOM_LENGTH + _LENGTH_FIELD
        if len(plain) < header:
            raise DecryptError("解密后的数据过短")
        (length,) = struct.unpack(">I", plain[_RANDOM_LENGTH:header])
        if header + length > len(plain):
            raise DecryptError("消息长度字段超出数据范围")
        message = plain[header : header + length]
        receiver = plain[header + length :]
        if not hmac.compare_digest(receiver, self.receive_id.encode("utf-8")):
            raise ReceiverMismatchError("消息的接收方（ReceiveId）不是本企业的 CorpID")
        return message

    # --- the two callback operations ------------------------------------------------------------

    def verify_url(self, signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """The GET URL check ("回调配置", 验证URL有效性): verify, decrypt, return the plaintext
        ``echostr`` to answer with (bare, no quotes, BOM or newline).

        Raises:
            SignatureError, DecryptError: the request is not from WeCom (or not for us).
        """
        self.verify_signature(signature, timestamp, nonce, echostr)
        try:
            return self.decrypt(echostr).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecryptError("echostr 明文不是 UTF-8") from exc

    def decrypt_message(self, signature: str, timestamp: str, nonce: str, encrypted: str) -> bytes:
        """Verify and decrypt a POSTed message's ``Encrypt`` element; returns the inner XML.

        Raises:
            SignatureError, DecryptError: see :meth:`verify_signature` and :meth:`decrypt`.
        """
        self.verify_signature(signature, timestamp, nonce, encrypted)
        return self.decrypt(encrypted)

    def encrypt_message(self, message: bytes | str, timestamp: str, nonce: str) -> tuple[str, str]:
        """Encrypt and sign a message; returns ``(msg_encrypt, msg_signature)`` (WeCom's side of
        a callback, or a passive reply)."""
        encrypted = self.encrypt(message)
        return encrypted, self.signature(timestamp, nonce, encrypted)
