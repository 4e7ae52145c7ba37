"""How long a piece of writing is, counted as Chinese readers count it (Word's 字数).

Every CJK ideograph (and kana, hangul) is one character; a word of other letters or digits — a
Latin word, a number — counts as one; punctuation, symbols, white space and invisible
characters count nothing. Bytes never matter: ``"读书笔记"`` is 4 whatever the encoding. So a reading-notes quota
of 10,000 characters means what a teacher's word processor shows them.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator

import opencc

_CJK_RANGES = (
    (0x3040, 0x30FF),  # kana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3134F),  # extensions B–G
)


def is_cjk(c: str) -> bool:
    code = ord(c)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES) and unicodedata.category(c)[0] == "L"


def units(text: str | None) -> Iterator[str]:
    """The things :func:`chinese_count` counts, in order: each CJK character, and each word of
    other letters or digits (its letters and digits alone: ``e-mail`` is ``email``). A word ends
    at white space, a CJK character or full-width punctuation, not at a mark between its letters,
    and an invisible format character (a zero-width space, a soft hyphen) neither counts nor ends
    one."""
    word: list[str] = []
    for c in text or "":
        if is_cjk(c):
            if word:
                yield "".join(word)
                word = []
            yield c
            continue
        kind = unicodedata.category(c)
        if kind[0] in ("L", "N"):
            word.append(c)
        elif kind == "Cf":
            continue
        elif word and (kind[0] in ("Z", "C") or unicodedata.east_asian_width(c) in ("W", "F")):
            yield "".join(word)
            word = []
    if word:
        yield "".join(word)


def chinese_count(text: str | None) -> int:
    """The 字数 of ``text``: CJK characters one each, and each word of other letters or digits
    one, as Word counts a 非中文单词 (:func:`units`): ``3.14``, ``e-mail``, ``x.x.x`` are one
    each, and 3,000 letters joined by invisible characters are one word, not 3,000."""
    return sum(1 for _unit in units(text))


def says_something(text: str | None) -> bool:
    """Whether ``text`` holds a word (:func:`chinese_count`): a reason of spaces, punctuation or
    invisible characters only ("。", "...", U+200B) says nothing, so a step that asks for one is
    refused as without one (a review step, an exemption, the district's return or reopen; a
    correction's reason is asked the same)."""
    return chinese_count(text) > 0


def folded(text: str) -> str:
    """``text`` in the one form two spellings of the same thing share: compatibility forms
    folded (full-width ``ｔ`` is ``t``, ``ﬁ`` is ``fi``) and letter case ignored (NFKC, case
    folding, NFKC again: Unicode's NFKC_Casefold, near enough)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


class _Simplified:
    """OpenCC's Japanese kanji forms → traditional, then traditional → simplified (phrases
    first: 乾隆 stays): ``読書`` and ``讀書`` are ``读书``. A piece run through a converter into
    繁體 and then into Japanese forms (``発``, ``読``, ``会``: 6 % of the characters of a
    reflection) was another piece. Both sides of a comparison are read alike, so the few
    characters jp2t moves (``研`` to ``硏``) move in both."""

    def __init__(self) -> None:
        self._steps = (opencc.OpenCC("jp2t"), opencc.OpenCC("t2s"))

    def convert(self, text: str) -> str:
        for step in self._steps:
            text = step.convert(text)
        return text


@functools.cache
def _simplified() -> _Simplified:
    return _Simplified()


def counted_units(text: str | None) -> list[str]:
    """The :func:`units` of ``text`` as :func:`counted_text` reads it (compatibility forms
    folded, case ignored, traditional characters as simplified): what its 字数 counts, in order."""
    return list(units(_simplified().convert(folded(text)))) if text else []


def counted_text(text: str | None) -> str:
    """``text`` reduced to the characters that count (compatibility forms folded, as NFKC does,
    letter case ignored, traditional characters and Japanese kanji forms as simplified ones): two
    texts that differ only in spacing, punctuation, invisible characters, full-width letters,
    case or script (a piece run through a converter into 繁體, or on into Japanese forms) are the
    same piece of writing."""
    if not text:
        return ""
    return "".join(
        c for c in _simplified().convert(folded(text)) if is_cjk(c) or unicodedata.category(c)[0] in ("L", "N")
    )
