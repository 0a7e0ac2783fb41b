"""Saying values in English and Mandarin: tables of value -> words."""

from __future__ import annotations

import datetime as dt

import pytest

from ctid.ivr.say import SayError, as_text, piece_names, say, vocabulary


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        ("0", "零", "zero"),
        ("2", "二", "two"),
        ("10", "十", "ten"),
        ("12", "十二", "twelve"),
        ("20", "二十", "twenty"),
        ("22", "二十二", "twenty-two"),
        ("102", "一百零二", "one hundred two"),
        ("110", "一百一十", "one hundred ten"),
        ("200", "两百", "two hundred"),
        ("1001", "一千零一", "one thousand one"),
        ("1010", "一千零一十", "one thousand ten"),
        ("2000", "两千", "two thousand"),
        ("2222", "两千两百二十二", "two thousand two hundred twenty-two"),
        ("10500", "一万零五百", "ten thousand five hundred"),
        ("12000", "一万两千", "twelve thousand"),
        ("20000", "两万", "twenty thousand"),
        ("20002", "两万零二", "twenty thousand two"),
        ("100000", "十万", "one hundred thousand"),
        ("120000", "十二万", "one hundred twenty thousand"),
        ("1000100", "一百万零一百", "one million one hundred"),
        ("100010000", "一亿零一万", "one hundred million ten thousand"),
        ("100000001", "一亿零一", "one hundred million one"),
        ("200000000", "两亿", "two hundred million"),
        ("3.14", "三点一四", "three point one four"),
        ("-2", "负二", "minus two"),
        ("1,234", "一千两百三十四", "one thousand two hundred thirty-four"),
    ],
)
def test_numbers(value: str, zh: str, en: str) -> None:
    assert as_text(say("number", value, "zh"), "zh") == zh
    assert as_text(say("number", value, "en"), "en") == en


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        ("1", "一元", "one dollar"),
        ("2", "两元", "two dollars"),
        ("0.05", "五分", "five cents"),
        ("0.01", "一分", "one cent"),
        ("0.3", "三角", "thirty cents"),
        ("12.30", "十二元三角", "twelve dollars and thirty cents"),
        ("2.22", "两元两角两分", "two dollars and twenty-two cents"),
        ("100.07", "一百元零七分", "one hundred dollars and seven cents"),
        ("20000", "两万元", "twenty thousand dollars"),
        ("0", "零元", "zero dollars"),
    ],
)
def test_money(value: str, zh: str, en: str) -> None:
    assert as_text(say("money", value, "zh"), "zh") == zh
    assert as_text(say("money", value, "en"), "en") == en


def test_money_in_other_currencies() -> None:
    assert as_text(say("money", "3.01", "en", currency="GBP"), "en") == (
        "three pounds and one penny"
    )
    assert as_text(say("money", "2.50", "zh", currency="USD"), "zh") == "两美元五十美分"
    with pytest.raises(SayError):
        say("money", "1", "zh", currency="GBP")


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        ("20270115", "二零二七年一月十五日", "January fifteenth twenty twenty-seven"),
        ("2000-12-02", "二零零零年十二月二日", "December second two thousand"),
        ("2005-03-21", "二零零五年三月二十一日", "March twenty-first two thousand five"),
        ("1999-11-30", "一九九九年十一月三十日", "November thirtieth nineteen ninety-nine"),
        ("1905-08-03", "一九零五年八月三日", "August third nineteen oh five"),
    ],
)
def test_dates(value: str, zh: str, en: str) -> None:
    assert as_text(say("date", value, "zh"), "zh") == zh
    assert as_text(say("date", value, "en"), "en") == en


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        ("0000", "凌晨十二点整", "twelve o'clock a m"),
        ("0200", "凌晨两点整", "two o'clock a m"),
        ("09:05", "上午九点零五分", "nine oh five a m"),
        ("093000", "上午九点三十分", "nine thirty a m"),
        ("1200", "中午十二点整", "twelve o'clock p m"),
        ("14:22", "下午两点二十二分", "two twenty-two p m"),
        ("2245", "晚上十点四十五分", "ten forty-five p m"),
    ],
)
def test_times(value: str, zh: str, en: str) -> None:
    assert as_text(say("time", value, "zh"), "zh") == zh
    assert as_text(say("time", value, "en"), "en") == en


def test_digits() -> None:
    assert as_text(say("digits", "4008001234", "zh"), "zh") == "四零零八零零一二三四"
    assert as_text(say("digits", "12#", "en"), "en") == "one two pound"


@pytest.mark.parametrize(
    ("kind", "value", "language"),
    [
        ("number", "abc", "en"),
        ("number", "1e20", "zh"),
        ("digits", "12a", "en"),
        ("date", "20271301", "en"),
        ("date", "tomorrow", "zh"),
        ("time", "2500", "en"),
        ("number", "1", "fr"),
        ("colour", "1", "en"),
    ],
)
def test_bad_values(kind: str, value: str, language: str) -> None:
    with pytest.raises(SayError):
        say(kind, value, language)


def _everything(language: str) -> list[list[str]]:
    out = []
    for n in [*range(2100), 10001, 20002, 100010000, 123456789012, -45]:
        out.append(say("number", str(n), language))
    for value in ("0.01", "1.5", "2.22", "99.99", "100.07", "20000", "-3"):
        out.append(say("money", value, language))
    day = dt.date(2027, 1, 1)
    while day.year == 2027:
        out.append(say("date", day.isoformat(), language))
        day += dt.timedelta(days=1)
    for year in (1905, 1999, 2000, 2005, 2100):
        out.append(say("date", f"{year}0101", language))
    for hour in range(24):
        for minute in range(60):
            out.append(say("time", f"{hour:02d}{minute:02d}", language))
    out.append(say("digits", "0123456789*#+", language))
    return out


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_piece_is_in_the_vocabulary(language: str) -> None:
    vocab = vocabulary(language)
    used = {piece for words in _everything(language) for piece in piece_names(words)}
    assert used <= vocab
    if language == "en":
        assert {"twenty", "seven", "oclock", "first", "thirtieth"} <= vocab
    else:
        assert {"两", "万", "亿", "零", "元", "角", "分", "下午"} <= vocab
