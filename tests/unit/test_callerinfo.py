"""Caller information from ``phonenumbers`` and ``[numbers]``."""

from __future__ import annotations

import pytest

from ctid.callerinfo import CallerInfo, NumbersSection, caller_info_from_config, numbers_section
from ctid.config import ConfigError, config_from_dict


def test_an_international_number_says_where_it_is_from() -> None:
    info = CallerInfo().lookup("+8613912345678")
    assert info == {
        "number": "+8613912345678",
        "country": "CN",
        "countryName": "China",
        "region": "Changzhou, Jiangsu",
        "carrier": "China Mobile",
        "timeZones": ["Asia/Shanghai"],
        "lineType": "mobile",
    }


def test_a_national_number_is_read_in_the_default_region() -> None:
    beijing = {
        "number": "+861062345678",
        "country": "CN",
        "countryName": "China",
        "region": "Beijing",
        "carrier": None,
        "timeZones": ["Asia/Shanghai"],
        "lineType": "fixedLine",
    }
    assert CallerInfo("CN").lookup("01062345678") == beijing
    assert CallerInfo("cn").lookup("010 6234 5678") == beijing
    # Without a default region a number needs its country code.
    assert CallerInfo().lookup("01062345678") is None


def test_names_in_another_language() -> None:
    info = CallerInfo("CN", "zh").lookup("13800138000")
    assert info is not None
    assert (info["countryName"], info["region"], info["carrier"]) == ("中国", "北京市", "中国移动")


def test_a_country_wide_number_has_no_region() -> None:
    # The geocoder answers the country for a number it knows no finer: no region.
    info = CallerInfo().lookup("+442079460000")
    assert info is not None
    assert (info["country"], info["region"], info["timeZones"]) == (
        "GB",
        "London",
        ["Europe/London"],
    )
    toll_free = CallerInfo().lookup("+18002752273")
    assert toll_free is not None
    assert (toll_free["country"], toll_free["region"], toll_free["lineType"]) == (
        "US",
        None,
        "tollFree",
    )


@pytest.mark.parametrize(
    "number", ["", "1001", "+15550001", "sales", "+" + "1" * 40, "+999123", "abc"]
)
def test_what_is_not_a_valid_outside_number_has_none(number: str) -> None:
    assert CallerInfo("US").lookup(number) is None


def test_the_numbers_section() -> None:
    config = config_from_dict({"numbers": {"default_region": "cn", "language": "zh"}})
    assert numbers_section(config) == NumbersSection(default_region="CN", language="zh")
    assert numbers_section(config_from_dict({})) == NumbersSection()
    lookup = caller_info_from_config(config)
    assert lookup is not None
    assert lookup.default_region == "CN"
    off = config_from_dict({"numbers": {"caller_info": False}})
    assert caller_info_from_config(off) is None


@pytest.mark.parametrize(
    ("table", "key", "problem"),
    [
        ({"default_region": "XX"}, "numbers.default_region", "unknown region"),
        ({"language": "e n"}, "numbers.language", "language code"),
        ({"region": "CN"}, "numbers", "region"),
        ({"caller_info": "yes"}, "numbers.caller_info", ""),
    ],
)
def test_a_bad_numbers_section_is_refused(table: dict[str, object], key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        numbers_section(config_from_dict({"numbers": table}))
    assert key in str(err.value)
    assert problem in str(err.value)
