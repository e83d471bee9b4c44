"""The WXBizMsgCrypt scheme against WeCom's published sample vectors, plus round trips and
tampering.

Sample vectors:

* ``OFFICIAL_2016``: WeCom's official Python library, ``sbzhu/weworkapi_python``,
  ``callback/Sample.py`` (token ``hJqcu3uJ…``, EncodingAESKey ``6qkdMrq6…``, CorpID
  ``ww1436e0e65a779aee``): the URL check (``VerifyURL``) and a text message (``DecryptMsg``).
* ``OFFICIAL_2014``: the example of the developer centre's "加解密方案说明" page
  (document/path/90968) and the official C#/C++ ``Sample`` files (token ``QDG6eK``, CorpID
  ``wx5823bf96d3bd56c7``): the URL check and a text message.
"""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.wecom.crypto import (
    DecryptError,
    ReceiverMismatchError,
    SignatureError,
    WXBizMsgCrypt,
    decode_aes_key,
)
from bot.channels.wecom.messages import parse_envelope, parse_message

OFFICIAL_2016 = WXBizMsgCrypt(
    "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo",
    "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
    "ww1436e0e65a779aee",
)
OFFICIAL_2014 = WXBizMsgCrypt(
    "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"
)

ECHOSTR_2016 = (
    "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
)
ENCRYPT_2016 = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAg"
    "GzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9"
    "U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2"
    "qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWb"
    "vL6aSDPOYuPDGOCI8jmnKiypE+"
)
BODY_2016 = (
    "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n"
    f"<Encrypt><![CDATA[{ENCRYPT_2016}]]></Encrypt>\n"
    "<AgentID><![CDATA[1000002]]></AgentID>\n</xml>"
)
ECHOSTR_2014 = (
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
)
ENCRYPT_2014 = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3Qczc"
    "dCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLj"
    "vd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMn"
    "vw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k"
    "22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2Yoy"
    "yH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)


# --- the published vectors ------------------------------------------------------------------


def test_official_url_check_2016() -> None:
    sig, ts, nonce = "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416373", "47744683"
    assert OFFICIAL_2016.signature(ts, nonce, ECHOSTR_2016) == sig
    assert OFFICIAL_2016.verify_url(sig, ts, nonce, ECHOSTR_2016) == "1288432023552776189"


def test_official_message_2016() -> None:
    sig, ts, nonce = "0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779", "1597212914"
    envelope = parse_envelope(BODY_2016.encode())
    assert envelope.encrypt == ENCRYPT_2016 and envelope.agent_id == "1000002"
    message = parse_message(OFFICIAL_2016.decrypt_message(sig, ts, nonce, envelope.encrypt))
    assert message.from_user == "ChenJiaShun"
    assert message.content == "你好"
    assert message.msg_type == "text" and message.msg_id == "1456453720"
    assert message.create_time == 1476422779 and message.agent_id == "1000002"
    assert message.to_user == "ww1436e0e65a779aee"


def test_official_url_check_2014() -> None:
    sig, ts, nonce = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780"
    assert OFFICIAL_2014.verify_url(sig, ts, nonce, ECHOSTR_2014) == "1616140317555161061"


def test_official_message_2014() -> None:
    sig, ts, nonce = "477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149"
    message = parse_message(OFFICIAL_2014.decrypt_message(sig, ts, nonce, ENCRYPT_2014))
    assert (message.from_user, message.content, message.msg_id, message.agent_id) == (
        "mycreate",
        "hello",
        "4561255354251345929",
        "218",
    )


def test_key_decoding() -> None:
    key = decode_aes_key("6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt")
    assert len(key) == 32
    for bad in ("", "short", "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhU+", "x" * 44):
        with pytest.raises(ValueError, match="EncodingAESKey"):
            decode_aes_key(bad)


# --- round trips ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(message=st.text(max_size=3000), ts=st.from_regex(r"\d{10}", fullmatch=True))
def test_round_trip(message: str, ts: str) -> None:
    encrypted, signature = OFFICIAL_2016.encrypt_message(message, ts, "nonce1")
    assert len(base64.b64decode(encrypted)) % 32 == 0
    assert OFFICIAL_2016.decrypt_message(signature, ts, "nonce1", encrypted) == message.encode()


def test_fixed_random_prefix_is_deterministic() -> None:
    prefix = b"0123456789abcdef"
    first = OFFICIAL_2014.encrypt("<xml/>", random_prefix=prefix)
    assert first == OFFICIAL_2014.encrypt("<xml/>", random_prefix=prefix)
    assert first != OFFICIAL_2014.encrypt("<xml/>")
    with pytest.raises(ValueError):
        OFFICIAL_2014.encrypt("x", random_prefix=b"short")


def test_padding_to_exactly_32_adds_a_full_block() -> None:
    # 16 random + 4 length + 12 message = 32, + "ww1436e0e65a779aee" (18) = 50 -> pad 14 to 64
    for size in range(0, 70):
        raw = base64.b64decode(OFFICIAL_2016.encrypt("a" * size))
        assert len(raw) % 32 == 0 and len(raw) > 16 + 4 + size + 18


# --- tampering --------------------------------------------------------------------------------


def test_forged_signature() -> None:
    ts, nonce = "1476422779", "1597212914"
    good = "0c3914025cb4b4d68103f6bfc8db550f79dcf48e"
    for forged in ("0" * 40, good[:-1] + "f", "", good + "00"):
        with pytest.raises(SignatureError):
            OFFICIAL_2016.decrypt_message(forged, ts, nonce, ENCRYPT_2016)
    with pytest.raises(SignatureError):  # any signed field changed
        OFFICIAL_2016.decrypt_message(good, "1476422780", nonce, ENCRYPT_2016)
    # upper-case hex of the right digest is the same signature
    OFFICIAL_2016.decrypt_message(good.upper(), ts, nonce, ENCRYPT_2016)


def test_flipped_ciphertext_is_refused() -> None:
    raw = bytearray(base64.b64decode(ENCRYPT_2016))
    raw[-1] ^= 0x01  # breaks the padding
    with pytest.raises(DecryptError):
        OFFICIAL_2016.decrypt(base64.b64encode(bytes(raw)).decode())


@pytest.mark.parametrize("bad", ["not base64!!", "QUJD", "", "A" * 45])
def test_malformed_ciphertext(bad: str) -> None:
    with pytest.raises(DecryptError):
        OFFICIAL_2016.decrypt(bad)


def _raw_encrypt(plain: bytes, key: bytes) -> str:
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def test_bad_padding_and_length_fields() -> None:
    key = decode_aes_key("6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt")
    body = b"R" * 16 + struct.pack(">I", 3) + b"abc" + b"ww1436e0e65a779aee"
    pad = 32 - len(body) % 32
    # inconsistent padding bytes
    with pytest.raises(DecryptError, match="填充"):
        OFFICIAL_2016.decrypt(_raw_encrypt(body + b"\x05" * (pad - 1) + bytes([pad]), key))
    # a pad value of 0 is not PKCS#7
    block = body + b"\x00" * pad
    with pytest.raises(DecryptError):
        OFFICIAL_2016.decrypt(_raw_encrypt(block, key))
    # a length field pointing past the end
    long_body = b"R" * 16 + struct.pack(">I", 5000) + b"abc" + b"ww1436e0e65a779aee"
    pad = 32 - len(long_body) % 32
    with pytest.raises(DecryptError, match="长度"):
        OFFICIAL_2016.decrypt(_raw_encrypt(long_body + bytes([pad]) * pad, key))


def test_other_receiver_is_refused() -> None:
    other = WXBizMsgCrypt(
        OFFICIAL_2016.token, "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt", "wwother"
    )
    with pytest.raises(ReceiverMismatchError):
        OFFICIAL_2016.decrypt(other.encrypt("<xml/>"))


def test_wrong_key_is_refused() -> None:
    other = WXBizMsgCrypt(OFFICIAL_2016.token, "a" * 43, OFFICIAL_2016.receive_id)
    with pytest.raises(DecryptError):
        OFFICIAL_2016.decrypt(other.encrypt("<xml><Content>x</Content></xml>"))


def test_configuration_errors() -> None:
    with pytest.raises(ValueError):
        WXBizMsgCrypt("", "a" * 43, "ww1")
    with pytest.raises(ValueError):
        WXBizMsgCrypt("t", "a" * 43, "")
