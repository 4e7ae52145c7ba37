"""Writing for tests: text of an exact length that a teacher could hand in.

A piece made long by repeating itself is refused (``quotas.repeated_share``), and two pieces of a
teacher that are mostly the same are one piece (``quotas.require_new_piece``), so tests cannot
write ``"字" * 3000``. :func:`prose` gives ``n`` counted characters, each ideograph once, in an
order of its own for each ``seed``: no passage comes twice in it, nor in two pieces of other seeds.

A piece is drawn once per test process and kept (a string: nothing can change it): drawing one is
``random.sample`` of ``n`` ideographs, ~3 ms of CPU for 3,000, and tests ask for the same pieces
again (BENCHMARKS.md, round 53).
"""

from __future__ import annotations

import random
from functools import cache

_IDEOGRAPHS = range(0x4E00, 0x9FA6)  # the CJK unified ideographs of Unicode 1.1: all assigned


@cache
def prose(n: int, seed: int | str = 0) -> str:
    """``n`` (at most 20,902) counted characters (``textcount.chinese_count``) repeating nothing."""
    return "".join(map(chr, random.Random(str(seed)).sample(_IDEOGRAPHS, n)))
