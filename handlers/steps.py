"""Conversation steps and their buttons: the typed vocabulary every conversation module uses.

A conversation keeps python-telegram-bot's state-table idea (``shared/docs/architecture.md``) but
stores its state in the database: each module names its steps and gives a handler per step in a
``STEPS`` table (step name -> :data:`handlers.context.StepHandler`); the dispatcher merges
the tables (:func:`handlers.context.merge_steps`).

A step's buttons are :class:`StepChoice` objects: a label and an action, with an optional
argument (``pick`` with ``2``: the third record). A button's data on the wire is
``<token>:<action>[:<argument>]``; the token is random per card and stored with the step, so a
press on an old card, or data forged by a client, does not match and is refused
(:func:`is_stale`). The same buttons work typed: by label on every channel, and by number where
the step does not itself ask for a number (the console shows buttons as numbered options).
:func:`pressed` turns a message into the :class:`Pressed` button, or ``None`` for free text.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.messages import Choice, Inbound

#: Characters ignored when a typed answer is compared with a button label.
_IGNORED = set(" \t\r\n　。.!！,，、“”\"'‘’「」【】[]()（）")


def normalize_answer(text: str) -> str:
    """Fold a typed answer for comparison: NFKC (full-width digits), no spaces or punctuation."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c not in _IGNORED)


@dataclass(frozen=True, slots=True)
class StepChoice:
    """A button of a step: the label the user sees, the action it triggers and, for a button of
    a family (``pick`` one of several records), its argument."""

    label: str
    action: str
    arg: str = ""

    @property
    def key(self) -> str:
        """``action`` or ``action:arg``: what the button's data carries after the token."""
        return f"{self.action}:{self.arg}" if self.arg else self.action


@dataclass(frozen=True, slots=True)
class Pressed:
    """The button a message answers: pressed, or typed by label or number.

    ``action`` is the button's action (``save``, ``pick``...), ``arg`` its argument (``""`` for
    none); :attr:`index` reads a numeric argument.
    """

    action: str
    arg: str = ""

    @classmethod
    def parse(cls, key: str) -> Pressed:
        """``"pick:2"`` -> ``Pressed("pick", "2")``; ``"save"`` -> ``Pressed("save")``."""
        action, _, arg = key.partition(":")
        return cls(action, arg)

    @property
    def index(self) -> int:
        """The argument as a number (``pick:2`` -> 2).

        Raises:
            ValueError: the argument is not a number (a forged key never gets here: only keys
                of the stored step's own buttons are parsed).
        """
        return int(self.arg)


def stored_buttons(choices: Sequence[Sequence[StepChoice]], numbers: bool) -> dict[str, Any]:
    """The bookkeeping a step stores with its data: the buttons as ``[label, key]`` rows and
    whether a typed number picks one."""
    return {
        "_choices": [[[c.label, c.key] for c in row] for row in choices],
        "_numbers": numbers,
    }


def wire_buttons(token: str, rows: Sequence[Sequence[Sequence[str]]]) -> list[list[Choice]]:
    """Stored ``[label, key]`` rows as the neutral buttons a channel shows."""
    return [[Choice(label, f"{token}:{key}") for label, key in row] for row in rows]


def is_stale(data: Mapping[str, Any] | None, token: str, inbound: Inbound) -> bool:
    """Whether ``inbound`` is a button press that does not belong to the stored step (no step,
    another card's token, or a key the step does not offer): it must be refused."""
    if inbound.choice is None:
        return False
    if data is None:
        return True
    given, sep, key = inbound.choice.partition(":")
    if not sep or not secrets.compare_digest(given, token):
        return True
    return key not in {k for row in data.get("_choices", []) for _, k in row}


def pressed(data: Mapping[str, Any] | None, inbound: Inbound) -> Pressed | None:
    """The stored step's button this message answers, or ``None`` (free text, or no step).

    A press is taken as it came (call :func:`is_stale` first); typed text matches a label
    (:func:`normalize_answer`), or a number where the step allows it (``_numbers``).
    """
    if data is None:
        return None
    if inbound.choice is not None:
        return Pressed.parse(inbound.choice.partition(":")[2])
    answer = normalize_answer(inbound.text)
    if not answer:
        return None
    flat = [(label, key) for row in data.get("_choices", []) for label, key in row]
    for label, key in flat:
        if normalize_answer(label) == answer:
            return Pressed.parse(str(key))
    if data.get("_numbers") and answer.isdigit() and 1 <= int(answer) <= len(flat):
        return Pressed.parse(str(flat[int(answer) - 1][1]))
    return None
