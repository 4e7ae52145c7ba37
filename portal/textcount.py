"""How long a piece of writing is, counted as Chinese readers count it (Word's 字数).

Every CJK ideograph (and kana, hangul) is one character; a word of other letters or digits — a
Latin word, a number — counts as one; punctuation, symbols, white space and invisible
characters count nothing. Bytes never matter: ``"读书笔记"`` is 4 whatever the encoding. So a reading-notes quota
of 10,000 characters means what a teacher's word processor shows them.
"""

from __future__ import annotations

import functools
import unicodedata

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


def chinese_count(text: str | None) -> int:
    """The 字数 of ``text``: CJK characters one each, and each word of other letters or digits
    one, as Word counts a 非中文单词: a word ends at white space, a CJK character or full-width
    punctuation, not at a mark between its letters (``3.14``, ``e-mail``, ``x.x.x`` are one
    each), and an invisible format character (a zero-width space, a soft hyphen) neither counts
    nor ends one — 3,000 letters joined by them were counted as 3,000 words."""
    if not text:
        return 0
    count = 0
    in_word = False
    for c in text:
        if is_cjk(c):
            count += 1
            in_word = False
            continue
        kind = unicodedata.category(c)
        if kind[0] in ("L", "N"):
            if not in_word:
                count += 1
            in_word = True
        elif kind == "Cf":
            continue
        elif kind[0] in ("Z", "C") or unicodedata.east_asian_width(c) in ("W", "F"):
            in_word = False
    return count


def folded(text: str) -> str:
    """``text`` in the one form two spellings of the same thing share: compatibility forms
    folded (full-width ``ｔ`` is ``t``, ``ﬁ`` is ``fi``) and letter case ignored (NFKC, case
    folding, NFKC again: Unicode's NFKC_Casefold, near enough)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


@functools.cache
def _simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")  # OpenCC's traditional → simplified, phrases first (乾隆 stays)


def counted_text(text: str | None) -> str:
    """``text`` reduced to the characters that count (compatibility forms folded, as NFKC does,
    letter case ignored, traditional characters as simplified ones): two texts that differ only
    in spacing, punctuation, invisible characters, full-width letters, case or script (a piece
    run through a converter into 繁體) are the same piece of writing."""
    if not text:
        return ""
    return "".join(
        c for c in _simplified().convert(folded(text)) if is_cjk(c) or unicodedata.category(c)[0] in ("L", "N")
    )
