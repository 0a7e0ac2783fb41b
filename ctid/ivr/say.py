"""Saying numbers, digits, money, dates and times correctly in English and Mandarin Chinese.

``say(kind, value, language)`` returns the words to speak, in order. A flow
speaks them as one TTS text (``as_text``), or, with ``say_pieces``, as
recorded prompt pieces: one WAV file per piece (``piece_names``), from a
finite ``vocabulary`` that a flow's check makes sure is all there. Pure
functions, tested by tables.

Mandarin rules kept here (the ones TTS engines get wrong when handed digits):

* 二 vs 两: before a unit of counting 两 is said (两千, 两万, 两亿, 两百), and
  before a measure word (两元, 两点); in the tens and units place, after 十,
  in decimals and digit strings it is 二 (二十, 十二, 一百零二, 三点二).
* 零: a run of zeros inside a number is one 零 (一千零一, 一万零一百); trailing
  zeros are silent (一万, 三百二十).
* Grouping by four: 万 (10^4) and 亿 (10^8); 一十 is shortened to 十 only at
  the very start (十五, but 一百一十五).
* Money in 元, 角, 分 (一百元零五分, 两元, 三角).
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal, InvalidOperation
from typing import Final

__all__ = ["LANGUAGES", "SayError", "as_text", "piece_names", "say", "vocabulary"]

LANGUAGES: Final = ("en", "zh")
KINDS: Final = ("number", "digits", "money", "date", "time")


class SayError(ValueError):
    """The value cannot be said as asked (not a number, not a date...)."""


def say(kind: str, value: str, language: str, *, currency: str | None = None) -> list[str]:
    """The words for ``value`` said as ``kind`` in ``language``."""
    value = value.strip()
    if language not in LANGUAGES:
        raise SayError(f"cannot speak {language!r}")
    zh = language == "zh"
    if kind == "number":
        return _zh_decimal(_number(value)) if zh else _en_decimal(_number(value))
    if kind == "digits":
        if not re.fullmatch(r"[0-9*#+]+", value):
            raise SayError(f"{value!r} is not a string of digits")
        table = _ZH_DIGIT_NAMES if zh else _EN_DIGIT_NAMES
        return [table[c] for c in value]
    if kind == "money":
        amount = _number(value)
        if zh:
            return _zh_money(amount, currency or "CNY")
        return _en_money(amount, currency or "USD")
    if kind == "date":
        day = _date(value)
        return _zh_date(day) if zh else _en_date(day)
    if kind == "time":
        hour, minute = _time(value)
        return _zh_time(hour, minute) if zh else _en_time(hour, minute)
    raise SayError(f"unknown kind {kind!r}")


def as_text(words: list[str], language: str) -> str:
    """One text for the TTS engine: words spaced in English, joined in Chinese."""
    return "".join(words) if language == "zh" else " ".join(words)


# ---------------------------------------------------------------------- parsing


def _number(value: str) -> Decimal:
    try:
        number = Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise SayError(f"{value!r} is not a number") from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 16:
        raise SayError(f"{value!r} is out of range")
    return number


def _date(value: str) -> _dt.date:
    digits = value.replace("-", "")
    if not re.fullmatch(r"\d{8}", digits):
        raise SayError(f"{value!r} is not a date (YYYYMMDD or YYYY-MM-DD)")
    try:
        return _dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise SayError(f"{value!r} is not a date") from None


def _time(value: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{1,2}):?(\d{2})(?::?(\d{2}))?", value)
    if m is None:
        raise SayError(f"{value!r} is not a time (hhmm, hhmmss or hh:mm)")
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour > 23 or minute > 59:
        raise SayError(f"{value!r} is not a time")
    return hour, minute


# ---------------------------------------------------------------------- English

_EN_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_EN_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_EN_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_EN_DIGIT_NAMES = {str(i): w for i, w in enumerate(_EN_ONES[:10])} | {
    "*": "star",
    "#": "pound",
    "+": "plus",
}
_EN_ORDINAL_IRREGULAR = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
_EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _en_below_100(n: int) -> list[str]:
    if n < 20:
        return [_EN_ONES[n]]
    tens, ones = divmod(n, 10)
    return [_EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else "")]


def _en_below_1000(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    out = [_EN_ONES[hundreds], "hundred"] if hundreds else []
    if rest or not out:
        out += _en_below_100(rest)
    return out


def en_integer(n: int) -> list[str]:
    """``1234`` -> one thousand two hundred thirty-four (American style, no "and")."""
    if n < 0:
        return ["minus", *en_integer(-n)]
    if n == 0:
        return ["zero"]
    out: list[str] = []
    for size, word in _EN_SCALES:
        if n >= size:
            count, n = divmod(n, size)
            out += [*_en_below_1000(count), word]
    if n:
        out += _en_below_1000(n)
    return out


def _en_decimal(number: Decimal) -> list[str]:
    sign = ["minus"] if number < 0 else []
    whole, _, frac = format(abs(number), "f").partition(".")
    out = sign + en_integer(int(whole))
    if frac:
        out += ["point", *(_EN_ONES[int(d)] for d in frac)]
    return out


def _en_ordinal(n: int) -> list[str]:
    words = en_integer(n)
    last = words[-1]
    head, dash, tail = last.rpartition("-")
    if tail in _EN_ORDINAL_IRREGULAR:
        tail = _EN_ORDINAL_IRREGULAR[tail]
    elif tail.endswith("y"):
        tail = tail[:-1] + "ieth"
    else:
        tail += "th"
    return [*words[:-1], head + dash + tail]


_EN_CURRENCIES = {
    "USD": (("dollar", "dollars"), ("cent", "cents")),
    "EUR": (("euro", "euros"), ("cent", "cents")),
    "GBP": (("pound", "pounds"), ("penny", "pence")),
    "CNY": (("yuan", "yuan"), ("fen", "fen")),
}


def _en_money(amount: Decimal, currency: str) -> list[str]:
    if currency not in _EN_CURRENCIES:
        raise SayError(f"cannot say {currency} in English")
    (major1, major), (minor1, minor) = _EN_CURRENCIES[currency]
    sign = ["minus"] if amount < 0 else []
    cents_total = int((abs(amount) * 100).to_integral_value())
    whole, cents = divmod(cents_total, 100)
    parts: list[str] = []
    if whole or not cents:
        parts += [*en_integer(whole), major1 if whole == 1 else major]
    if cents:
        if parts:
            parts.append("and")
        parts += [*en_integer(cents), minor1 if cents == 1 else minor]
    return sign + parts


def _en_year(year: int) -> list[str]:
    if (year % 1000 < 10 and year % 1000 != 0) or year % 1000 == 0:
        # 2000 -> two thousand, 2005 -> two thousand five
        return en_integer(year)
    high, low = divmod(year, 100)
    if low == 0:
        return [*en_integer(high), "hundred"]
    if low < 10:
        return [*en_integer(high), "oh", _EN_ONES[low]]
    return [*en_integer(high), *en_integer(low)]


def _en_date(day: _dt.date) -> list[str]:
    return [_EN_MONTHS[day.month - 1], *_en_ordinal(day.day), *_en_year(day.year)]


def _en_time(hour: int, minute: int) -> list[str]:
    suffix = ["a", "m"] if hour < 12 else ["p", "m"]
    h12 = hour % 12 or 12
    if minute == 0:
        return [*en_integer(h12), "o'clock", *suffix]
    if minute < 10:
        return [*en_integer(h12), "oh", _EN_ONES[minute], *suffix]
    return [*en_integer(h12), *en_integer(minute), *suffix]


# ---------------------------------------------------------------------- Mandarin

_ZH_DIGITS = "零一二三四五六七八九"
_ZH_DIGIT_NAMES = {str(i): c for i, c in enumerate(_ZH_DIGITS)} | {
    "*": "星",
    "#": "井",
    "+": "加",
}
_ZH_PLACES = ("", "十", "百", "千")
_ZH_GROUPS = ("", "万", "亿", "万亿")


def _zh_group(n: int, *, measure: bool) -> list[str]:
    """0 < n < 10000 within its group; zeros inside become one 零, trailing ones are silent."""
    digits = [int(d) for d in f"{n:04d}"]
    out: list[str] = []
    zero = False
    started = False
    for i, d in enumerate(digits):
        place = 3 - i
        if d == 0:
            zero = started
            continue
        if zero:
            out.append("零")
            zero = False
        started = True
        if (d == 2 and place >= 2) or (d == 2 and place == 0 and measure and not out):
            out.append("两")
        else:
            out.append(_ZH_DIGITS[d])
        if place:
            out.append(_ZH_PLACES[place])
    return out


def zh_integer(n: int, *, measure: bool = False) -> list[str]:
    """An integer in Mandarin characters, one per list item.

    ``measure`` says a measure word follows (两元, 两点), which makes a lone 2 两.
    """
    if n < 0:
        return ["负", *zh_integer(-n, measure=measure)]
    if n == 0:
        return ["零"]
    groups: list[int] = []
    while n:
        n, g = divmod(n, 10000)
        groups.append(g)
    out: list[str] = []
    pending_zero = False
    for index in range(len(groups) - 1, -1, -1):
        g = groups[index]
        if g == 0:
            pending_zero = bool(out)
            continue
        if out and (pending_zero or g < 1000):
            out.append("零")
        pending_zero = False
        # A lone 2 before 万/亿, or before a measure word, is 两 (两万, 两元).
        lone = index > 0 or (measure and len(groups) == 1)
        out += _zh_group(g, measure=lone)
        if index:
            out.append(_ZH_GROUPS[index])
    # 一十五 -> 十五 at the very start only.
    if out[:2] == ["一", "十"]:
        out = out[1:]
    return out


def _zh_decimal(number: Decimal) -> list[str]:
    sign = ["负"] if number < 0 else []
    whole, _, frac = format(abs(number), "f").partition(".")
    out = sign + zh_integer(int(whole))
    if frac:
        out += ["点", *(_ZH_DIGITS[int(d)] for d in frac)]
    return out


def _zh_money(amount: Decimal, currency: str) -> list[str]:
    if currency == "USD":
        major, minor_ten, minor = "美元", None, "美分"
    elif currency == "CNY":
        major, minor_ten, minor = "元", "角", "分"
    else:
        raise SayError(f"cannot say {currency} in Chinese")
    sign = ["负"] if amount < 0 else []
    fen_total = int((abs(amount) * 100).to_integral_value())
    whole, cents = divmod(fen_total, 100)
    out: list[str] = []
    if whole:
        out += [*zh_integer(whole, measure=True), major]
    if minor_ten is None:
        if cents:
            out += [*zh_integer(cents, measure=True), minor]
    else:
        jiao, fen = divmod(cents, 10)
        if jiao:
            out += [*zh_integer(jiao, measure=True), minor_ten]
        if fen:
            if whole and not jiao:
                out.append("零")
            out += [*zh_integer(fen, measure=True), minor]
    if not out:
        out = ["零", major]
    return sign + out


def _zh_date(day: _dt.date) -> list[str]:
    year = [_ZH_DIGITS[int(d)] for d in str(day.year)]
    return [*year, "年", *zh_integer(day.month), "月", *zh_integer(day.day), "日"]


def _zh_time(hour: int, minute: int) -> list[str]:
    if hour < 6:
        period = "凌晨"
    elif hour < 12:
        period = "上午"
    elif hour < 13:
        period = "中午"
    elif hour < 18:
        period = "下午"
    else:
        period = "晚上"
    h12 = hour % 12 or 12
    out = [period, *zh_integer(h12, measure=True), "点"]
    if minute == 0:
        return [*out, "整"]
    if minute < 10:
        out.append("零")
    return [*out, *zh_integer(minute), "分"]


# --------------------------------------------------------------- prompt pieces


def piece_names(words: list[str]) -> list[str]:
    """The recorded pieces for ``words``: compounds split (twenty-seven -> twenty, seven),
    apostrophes dropped (o'clock -> oclock); a piece is the file ``<piece>.wav``."""
    return [part.replace("'", "") for word in words for part in word.split("-") if part]


def vocabulary(language: str) -> frozenset[str]:
    """Every piece ``say`` can produce in ``language`` (the prompt files a flow needs)."""
    if language == "zh":
        words = (
            set(_ZH_DIGITS)
            | set(_ZH_PLACES[1:])
            | set(_ZH_GROUPS[1:])
            | set(_ZH_DIGIT_NAMES.values())
            | {"两", "负", "点", "元", "角", "分", "美元", "美分", "年", "月", "日", "整"}
            | {"凌晨", "上午", "中午", "下午", "晚上"}
        )
        return frozenset(words)
    if language != "en":
        raise SayError(f"cannot speak {language!r}")
    words = set(_EN_ONES) | {t for t in _EN_TENS if t != "_"} | {"hundred"}
    words |= {w for _, w in _EN_SCALES} | set(_EN_DIGIT_NAMES.values()) | set(_EN_MONTHS)
    words |= {"minus", "point", "and", "oh", "o'clock", "a", "p", "m"}
    for (one, many), (small, smalls) in _EN_CURRENCIES.values():
        words |= {one, many, small, smalls}
    for day in range(1, 32):
        words.update(_en_ordinal(day))
    return frozenset(piece_names(sorted(words)))
