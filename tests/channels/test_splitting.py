"""Tests for :func:`bot.channels.splitting.split_text` (examples and hypothesis properties)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.splitting import (
    BOUNDARY_WHITESPACE,
    SENTENCE_ENDS,
    split_text,
    utf8_size,
    utf16_size,
)


def assert_reassembles(text: str, chunks: list[str]) -> None:
    """The chunks are consecutive pieces of ``text`` separated only by boundary whitespace."""
    position = 0
    for chunk in chunks:
        assert chunk, "empty chunk"
        assert chunk[0] not in BOUNDARY_WHITESPACE and chunk[-1] not in BOUNDARY_WHITESPACE
        while text[position] in BOUNDARY_WHITESPACE:
            position += 1
        assert text.startswith(chunk, position), (chunk, text[position : position + 40])
        position += len(chunk)
    assert all(char in BOUNDARY_WHITESPACE for char in text[position:])


# --- examples ---------------------------------------------------------------------------------


def test_empty_and_blank_text_give_no_chunks() -> None:
    assert split_text("", 10) == []
    assert split_text(" \n\n\t ", 10) == []


def test_text_that_fits_is_one_chunk_without_outer_newlines() -> None:
    assert split_text("支部召开党员大会。", 100) == ["支部召开党员大会。"]
    assert split_text("\n支部召开党员大会。\n", 100) == ["支部召开党员大会。"]


def test_paragraphs_are_packed_greedily() -> None:
    paragraphs = ["一" * 30 + "。", "二" * 30 + "。", "三" * 30 + "。"]
    text = "\n\n".join(paragraphs)
    assert split_text(text, 70) == [paragraphs[0] + "\n\n" + paragraphs[1], paragraphs[2]]
    assert split_text(text, 40) == paragraphs


def test_lines_before_sentences() -> None:
    text = "第一行第一句。第一行第二句。\n第二行。"
    assert split_text(text, 15) == ["第一行第一句。第一行第二句。", "第二行。"]


def test_sentences_keep_their_closing_quotes() -> None:
    text = "书记说：“要按时报送。”大家表示同意！会议结束。"
    assert split_text(text, 12) == ["书记说：“要按时报送。”", "大家表示同意！会议结束。"]


def test_oversized_sentence_is_cut_after_a_comma() -> None:
    text = "本季度支部共开展主题党日三次，参与党员累计四十二人次，学习新时代中国特色社会主义思想。"
    chunks = split_text(text, 20)
    assert chunks[0] == "本季度支部共开展主题党日三次，"
    assert all(len(chunk) <= 20 for chunk in chunks)
    assert "".join(chunks) == text


def test_hard_split_without_any_punctuation() -> None:
    assert split_text("一二三四五六七", 3) == ["一二三", "四五六", "七"]


def test_chinese_indent_survives_a_paragraph_cut() -> None:
    text = "　　第一段。\n\n　　第二段。"
    assert split_text(text, 8) == ["　　第一段。", "　　第二段。"]


def test_byte_measure_for_wecom() -> None:
    text = "党建" * 10  # 60 UTF-8 bytes
    chunks = split_text(text, 16, size=utf8_size)
    assert [utf8_size(chunk) for chunk in chunks] == [15, 15, 15, 15]
    assert "".join(chunks) == text


def test_utf16_measure_counts_emoji_twice() -> None:
    assert utf16_size("党👍") == 3
    assert split_text("👍👍👍", 4, size=utf16_size) == ["👍👍", "👍"]


def test_invalid_limits() -> None:
    with pytest.raises(ValueError):
        split_text("abc", 0)
    with pytest.raises(ValueError):
        split_text("党", 2, size=utf8_size)


# --- properties -------------------------------------------------------------------------------

_ALPHABET = st.sampled_from([*"党支部会议学习。！？；!?;，、,: \n\n\t　“”abc12", "\r\n", "👍"])
any_text = st.lists(_ALPHABET, max_size=300).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=any_text, limit=st.integers(min_value=4, max_value=60))
def test_chunks_fit_and_reassemble(text: str, limit: int) -> None:
    for size in (len, utf8_size, utf16_size):
        chunks = split_text(text, limit, size=size)
        assert all(size(chunk) <= limit for chunk in chunks)
        assert_reassembles(text, chunks)


_BODY_CHARS = st.sampled_from(list("党支部会议学习组织生活，、 abc12　"))
_sentence = st.tuples(
    st.lists(_BODY_CHARS, min_size=1, max_size=15).map("".join).filter(lambda s: s.strip()),
    st.sampled_from(list(SENTENCE_ENDS)),
).map("".join)
_separator = st.sampled_from(["", "", " ", "\n", "\n\n", "\n \n\n"])


@settings(max_examples=300, deadline=None)
@given(
    sentences=st.lists(st.tuples(_sentence, _separator), min_size=1, max_size=40),
    slack=st.integers(min_value=0, max_value=40),
)
def test_no_cut_inside_a_sentence_when_every_sentence_fits(
    sentences: list[tuple[str, str]], slack: int
) -> None:
    text = "".join(sentence + separator for sentence, separator in sentences)
    limit = max(len(sentence.strip(BOUNDARY_WHITESPACE)) for sentence, _ in sentences) + slack
    chunks = split_text(text, limit)
    assert all(len(chunk) <= limit for chunk in chunks)
    assert_reassembles(text, chunks)
    for chunk in chunks:
        assert chunk[-1] in SENTENCE_ENDS, f"chunk ends mid-sentence: {chunk!r}"
