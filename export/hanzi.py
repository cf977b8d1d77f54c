"""The GB2312 hanzi, in GB2312 order (level 1, the 3,755 most used, first)."""

from __future__ import annotations

from functools import cache

LEVEL1 = 3755


@cache
def gb2312_hanzi() -> str:
    chars = []
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.append(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(chars)
