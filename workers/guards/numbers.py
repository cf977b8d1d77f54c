"""Numbers, prices and quantities, read the same way from generated copy and request data.

Both sides of every comparison go through these functions, so "1,299", "１２９９" and
"1299.00" meet as one ``Decimal``, "¥199" meets a price of "199.00 CNY", and "1.5L" meets
"1500 ml". Values are ``Decimal`` because prices are exact decimal text
(``workers.domain.Item``) and ``Decimal("199.00") == Decimal("199")``.

Quantities convert only within a system where the factor is exact and unambiguous (ml/L,
g/kg/斤, mm/cm/m/km, s/min/h/day/week, month/year, W/kW, mAh/Ah, Hz/kHz/MHz/GHz). Inches,
US volumes, storage (1 TB is 1000 or 1024 GB depending on who counts) and the rest stay in
their own unit, so "1TB" never vouches for "1024GB".

Chinese numerals ("两小时", "三年") and English number words ("two hours") are read only when a
unit follows: "一款" (a product) and "one of" are articles, not claims.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from workers.guards._text import ASCII_ALNUM

# A number as copy writes it: thousands separators, decimals, and the Chinese 万/亿
# multipliers ("1.2万"). Anchored so it never starts inside a code like "X200" or "v1.5".
_NUMBER_BODY = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:万|亿)?"
NUMBER = rf"(?<![{ASCII_ALNUM}.]){_NUMBER_BODY}"

_MULTIPLIERS = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}


def parse_number(surface: str) -> Decimal:
    """The value of one ``NUMBER`` match: commas dropped, 万/亿 applied."""
    factor = Decimal(1)
    if surface and surface[-1] in _MULTIPLIERS:
        factor = _MULTIPLIERS[surface[-1]]
        surface = surface[:-1]
    return Decimal(surface.replace(",", "")) * factor


# ---------------------------------------------------------------- currencies

_DOLLARS = frozenset({"USD", "HKD", "SGD", "AUD", "CAD", "NZD", "TWD"})
# "¥" is both yuan and yen; "$" is many dollars. A symbol vouches for any currency it may mean.
_PREFIXES: dict[str, frozenset[str]] = {
    "HK$": frozenset({"HKD"}),
    "US$": frozenset({"USD"}),
    "$": _DOLLARS,
    "¥": frozenset({"CNY", "JPY"}),
    "€": frozenset({"EUR"}),
    "£": frozenset({"GBP"}),
}
_SUFFIXES: dict[str, frozenset[str]] = {
    "元": frozenset({"CNY"}),
    "块": frozenset({"CNY"}),
    "块钱": frozenset({"CNY"}),
    "人民币": frozenset({"CNY"}),
    "美元": frozenset({"USD"}),
    "美金": frozenset({"USD"}),
    "港元": frozenset({"HKD"}),
    "港币": frozenset({"HKD"}),
    "欧元": frozenset({"EUR"}),
    "英镑": frozenset({"GBP"}),
    "日元": frozenset({"JPY"}),
    "円": frozenset({"JPY"}),
    "yuan": frozenset({"CNY"}),
    "dollar": _DOLLARS,
    "dollars": _DOLLARS,
    "euro": frozenset({"EUR"}),
    "euros": frozenset({"EUR"}),
    "yen": frozenset({"JPY"}),
}
# ISO codes (and RMB) work on both sides of the number: "USD 19.99", "199 CNY".
_CODES: dict[str, frozenset[str]] = {
    code: frozenset({code}) for code in ("CNY", "USD", "EUR", "GBP", "JPY", "HKD")
} | {"RMB": frozenset({"CNY"})}

CURRENCY_ALIASES: dict[str, str] = {"RMB": "CNY"}


def currency_code(raw: str) -> str:
    """A request's currency as an upper-case code, with aliases resolved ("rmb" → "CNY")."""
    code = raw.strip().upper()
    return CURRENCY_ALIASES.get(code, code)


def currency_words(code: str) -> frozenset[str]:
    """Every surface form that names currency ``code`` (for the brand/model check)."""
    names = {code.casefold()}
    for table in (_PREFIXES, _SUFFIXES, _CODES):
        names |= {name.casefold() for name, codes in table.items() if code in codes}
    return frozenset(names)


def _latin(word: str) -> str:
    """A case-insensitive alternative that cannot end inside a longer word."""
    return f"(?i:{re.escape(word)})(?![A-Za-z])"


def _alternation(words: Iterable[str], latin: bool) -> str:
    ordered = sorted(words, key=len, reverse=True)
    parts = []
    for word in ordered:
        if latin and word[0].isascii() and word[0].isalpha():
            parts.append("(?<![A-Za-z])" + _latin(word))
        else:
            parts.append(re.escape(word))
    return "|".join(parts)


_PRICE_PREFIX = re.compile(
    rf"(?P<cur>{_alternation(list(_PREFIXES) + list(_CODES), latin=True)})"
    rf"\s?(?P<num>{_NUMBER_BODY})(?!\d)"
)
_PRICE_SUFFIX = re.compile(
    rf"(?P<num>{NUMBER})\s?(?P<cur>{_alternation(list(_SUFFIXES) + list(_CODES), latin=True)})"
)
_CURRENCY_LOOKUP: dict[str, frozenset[str]] = {
    k.casefold(): v for table in (_PREFIXES, _SUFFIXES, _CODES) for k, v in table.items()
}


@dataclass(frozen=True, slots=True)
class Price:
    """A number written as money."""

    surface: str
    value: Decimal
    currencies: frozenset[str]


def find_prices(text: str) -> tuple[list[Price], str]:
    """Prices in ``text`` and the text with them blanked out (so no later pass reads them)."""
    found: list[Price] = []

    def take(match: re.Match[str]) -> str:
        currencies = _CURRENCY_LOOKUP[match.group("cur").casefold()]
        found.append(Price(match.group(0), parse_number(match.group("num")), currencies))
        return " "

    text = _PRICE_PREFIX.sub(take, text)
    text = _PRICE_SUFFIX.sub(take, text)
    return found, text


# ---------------------------------------------------------------- quantities

# (dimension, factor to the dimension's base unit, aliases). Single-letter Latin aliases are
# case-sensitive ("5m" metres, "5G"/"256G" storage, "M" is a size and not listed); longer ones
# are not ("5000MAH", "500ML").
_UNIT_TABLE: tuple[tuple[str, Decimal, tuple[str, ...]], ...] = (
    ("length", Decimal(1), ("mm", "毫米")),
    ("length", Decimal(10), ("cm", "厘米")),
    ("length", Decimal(1000), ("m", "米", "meter", "meters", "metre", "metres")),
    ("length", Decimal(1_000_000), ("km", "公里", "千米")),
    ("inch", Decimal(1), ("inch", "inches", "英寸", "寸")),
    ("mass", Decimal("0.001"), ("mg", "毫克")),
    ("mass", Decimal(1), ("g", "克", "gram", "grams")),
    ("mass", Decimal(500), ("斤",)),
    ("mass", Decimal(1000), ("kg", "千克", "公斤", "kilogram", "kilograms")),
    ("mass_imperial", Decimal(1), ("oz", "ounce", "ounces")),
    ("mass_imperial", Decimal(16), ("lb", "lbs", "pound", "pounds")),
    ("volume", Decimal(1), ("ml", "毫升", "milliliter", "milliliters", "millilitre")),
    ("volume", Decimal(10), ("cl",)),
    ("volume", Decimal(1000), ("l", "L", "升", "liter", "liters", "litre", "litres")),
    ("volume_us", Decimal(1), ("fl oz", "fl. oz")),
    ("volume_us", Decimal(32), ("qt", "quart", "quarts")),
    ("volume_us", Decimal(128), ("gal", "gallon", "gallons")),
    ("time", Decimal(1), ("sec", "secs", "second", "seconds", "秒")),
    ("time", Decimal(60), ("min", "mins", "minute", "minutes", "分钟")),
    ("time", Decimal(3600), ("h", "hr", "hrs", "hour", "hours", "小时", "个小时")),
    ("time", Decimal(86_400), ("day", "days", "天")),
    ("time", Decimal(604_800), ("week", "weeks", "周", "星期", "个星期")),
    ("month", Decimal(1), ("month", "months", "个月")),
    ("month", Decimal(12), ("year", "years", "yr", "yrs", "年")),
    ("power", Decimal(1), ("W", "watt", "watts", "瓦")),
    ("power", Decimal(1000), ("kW", "千瓦")),
    ("energy", Decimal(1), ("Wh",)),
    ("energy", Decimal(1000), ("kWh",)),
    ("charge", Decimal(1), ("mAh", "毫安时", "毫安")),
    ("charge", Decimal(1000), ("Ah",)),
    ("voltage", Decimal(1), ("V", "volt", "volts", "伏")),
    ("current", Decimal(1), ("mA",)),
    ("frequency", Decimal(1), ("Hz", "赫兹")),
    ("frequency", Decimal(1000), ("kHz",)),
    ("frequency", Decimal(1_000_000), ("MHz",)),
    ("frequency", Decimal(1_000_000_000), ("GHz",)),
    ("storage_kb", Decimal(1), ("KB",)),
    ("storage_mb", Decimal(1), ("MB",)),
    ("storage_gb", Decimal(1), ("GB", "G")),
    ("storage_tb", Decimal(1), ("TB", "T")),
    ("pixels", Decimal(1), ("像素",)),
    ("pixels", Decimal(1_000_000), ("MP", "megapixel", "megapixels")),
    ("percent", Decimal(1), ("%", "percent", "per cent")),
    ("discount", Decimal(1), ("折",)),
    ("celsius", Decimal(1), ("°C", "摄氏度")),
    ("fahrenheit", Decimal(1), ("°F",)),
    ("decibel", Decimal(1), ("dB", "分贝")),
    ("factor", Decimal(1), ("倍", "x")),
    ("atm", Decimal(1), ("ATM",)),
)

# A CJK unit that starts a common word is not a unit there: "2升级" is not 2 litres, "3米色"
# is not 3 metres, "三折叠" is a tri-fold, not a 70%-off claim.
_CJK_UNIT_GUARDS: dict[str, str] = {
    "升": "级降值温",
    "米": "色白黄粒饭",
    "折": "叠扣页",
    "秒": "杀",
    "天": "然气空猫",
    "周": "边末到",
}

UNITS: dict[str, tuple[str, Decimal]] = {
    alias: (dimension, factor) for dimension, factor, aliases in _UNIT_TABLE for alias in aliases
}
_FOLDED_UNITS: dict[str, tuple[str, Decimal]] = {
    alias.casefold(): unit for alias, unit in UNITS.items() if len(alias) > 1
}


def _unit_alternative(alias: str) -> str:
    if alias.isascii() and alias[0].isalpha():
        body = re.escape(alias) if len(alias) == 1 else f"(?i:{re.escape(alias)})"
        return f"{body}(?![A-Za-z])"
    guard = _CJK_UNIT_GUARDS.get(alias)
    return re.escape(alias) + (f"(?![{guard}])" if guard else "")


def _unit_lookup(surface: str) -> tuple[str, Decimal]:
    return UNITS.get(surface) or _FOLDED_UNITS[surface.casefold()]


_UNIT_ALT = "|".join(_unit_alternative(a) for a in sorted(UNITS, key=len, reverse=True))
_LATIN_UNIT_ALT = "|".join(
    _unit_alternative(a) for a in sorted(UNITS, key=len, reverse=True) if a.isascii()
)
_CJK_UNIT_ALT = "|".join(
    _unit_alternative(a) for a in sorted(UNITS, key=len, reverse=True) if not a.isascii()
)

_QUANTITY = re.compile(rf"(?P<num>{NUMBER})[\s-]?(?P<unit>{_UNIT_ALT})")

_CJK_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CJK_SCALES = {"十": 10, "百": 100, "千": 1000}
_CJK_NUMERAL = "[零〇一二两三四五六七八九十百千万]+"
_CJK_QUANTITY = re.compile(rf"(?P<num>{_CJK_NUMERAL})(?P<unit>{_CJK_UNIT_ALT})")

_EN_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "hundred": 100,
}
_EN_QUANTITY = re.compile(
    rf"(?<![A-Za-z])(?P<num>(?i:{'|'.join(_EN_WORDS)}))[\s-](?P<unit>{_LATIN_UNIT_ALT})"
)


def cjk_numeral(text: str) -> int:
    """The value of a Chinese numeral such as "两", "十二", "一百五十" or "三万"."""
    total = section = digit = 0
    for ch in text:
        if ch in _CJK_DIGITS:
            digit = _CJK_DIGITS[ch]
        elif ch in _CJK_SCALES:
            section += (digit or 1) * _CJK_SCALES[ch]
            digit = 0
        elif ch == "万":
            total += (section + digit or 1) * 10_000
            section = digit = 0
    return total + section + digit


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with a unit; ``base`` is the value in the dimension's base unit."""

    surface: str
    value: Decimal
    dimension: str
    base: Decimal

    @property
    def key(self) -> tuple[str, Decimal]:
        """What two quantities must share to state the same fact."""
        return (self.dimension, self.base)


def quantity(surface: str, value: Decimal, unit: str) -> Quantity:
    """A ``Quantity`` from a value and a unit alias from ``UNITS``."""
    dimension, factor = _unit_lookup(unit)
    return Quantity(surface, value, dimension, value * factor)


def find_quantities(text: str) -> tuple[list[Quantity], str]:
    """Quantities in ``text`` and the text with them blanked out."""
    found: list[Quantity] = []

    def take_number(match: re.Match[str]) -> str:
        value = parse_number(match.group("num"))
        found.append(quantity(match.group(0), value, match.group("unit")))
        return " "

    def take_cjk(match: re.Match[str]) -> str:
        value = Decimal(cjk_numeral(match.group("num")))
        found.append(quantity(match.group(0), value, match.group("unit")))
        return " "

    def take_word(match: re.Match[str]) -> str:
        value = Decimal(_EN_WORDS[match.group("num").casefold()])
        found.append(quantity(match.group(0), value, match.group("unit")))
        return " "

    text = _QUANTITY.sub(take_number, text)
    text = _CJK_QUANTITY.sub(take_cjk, text)
    text = _EN_QUANTITY.sub(take_word, text)
    return found, text


def units_named_in(key: str) -> list[tuple[str, Decimal]]:
    """Units that an attribute key names, as in "battery_mah" or "容量(ml)" or "续航(小时)".

    Single-letter aliases are skipped: "size_m" is a size, not metres.
    """
    words = [w.casefold() for w in re.findall(r"[A-Za-z]+", key) if len(w) > 1]
    units = [_FOLDED_UNITS[w] for w in words if w in _FOLDED_UNITS]
    units += [unit for alias, unit in UNITS.items() if not alias.isascii() and alias in key]
    return units


# ---------------------------------------------------------------- bare numbers

_BARE = re.compile(NUMBER)
_ANY_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def find_numbers(text: str) -> list[tuple[str, Decimal]]:
    """Every remaining number in ``text`` with its value."""
    return [(m.group(0), parse_number(m.group(0))) for m in _BARE.finditer(text)]


def numbers_in_data(text: str) -> set[Decimal]:
    """Every number in request data, including digits glued to letters.

    "iPhone15" vouches for a bare "15" and "X200" for "200", since copy may space a model
    name out. A number is never split: "129.99" does not vouch for 99, nor "1,299" for 299.
    """
    values: set[Decimal] = set()
    for match in _ANY_DIGITS.finditer(text):
        run = match.group(0)
        values.update(value for _, value in find_numbers(run))
        if run.count(".") <= 1:
            values.add(Decimal(run.replace(",", "")))
    return values
