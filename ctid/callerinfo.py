"""Caller information: where an outside number is from, for the screen pop. Pure.

``CallerInfo.lookup("+8613800138000")`` gives the number's country, region or
city, carrier (where the numbering plan says it; mobile numbers mostly) and
time zones, from the ``phonenumbers`` library (Google's libphonenumber data;
its geocoding covers Chinese numbers by prefix). A number without a country
code is read in ``[numbers] default_region``; one that is not a valid number
there (an extension, a short code) has no caller information.

Lookups are cached: the same customers call again, and the data files are
read once per prefix.
"""

from __future__ import annotations

import functools
from typing import Any, Final

import attrs
import phonenumbers

from .config import Config, raise_problems
from .structure import Problems

__all__ = [
    "CALLER_INFO_SCHEMA",
    "CallerInfo",
    "NumbersSection",
    "caller_info_from_config",
    "numbers_section",
]

#: libphonenumber's number types, as the protocol spells them.
_LINE_TYPES: Final = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixedLine",
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixedLineOrMobile",
    phonenumbers.PhoneNumberType.TOLL_FREE: "tollFree",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "premiumRate",
    phonenumbers.PhoneNumberType.SHARED_COST: "sharedCost",
    phonenumbers.PhoneNumberType.VOIP: "voip",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "personalNumber",
    phonenumbers.PhoneNumberType.PAGER: "pager",
    phonenumbers.PhoneNumberType.UAN: "uan",
    phonenumbers.PhoneNumberType.VOICEMAIL: "voicemail",
}
_S: Final = {"type": "string"}
_S_OR_NULL: Final = {"type": ["string", "null"]}
#: ``callerInfo`` on the wire, as JSON Schema (``rpc.discover``).
CALLER_INFO_SCHEMA: Final = {
    "title": "CallerInfo",
    "type": "object",
    "properties": {
        "number": _S,
        "country": _S_OR_NULL,
        "countryName": _S_OR_NULL,
        "region": _S_OR_NULL,
        "carrier": _S_OR_NULL,
        "timeZones": {"type": "array", "items": _S},
        "lineType": _S,
    },
    "required": ["number", "country", "timeZones", "lineType"],
}
#: Longest number looked up (E.164 allows 15 digits; room for punctuation).
MAX_NUMBER_LENGTH: Final = 32


@attrs.frozen(kw_only=True)
class NumbersSection:
    """``[numbers]`` as written in the file."""

    #: ISO 3166 region of numbers written without a country code (``"CN"``);
    #: empty: only numbers with ``+`` and a country code get caller information.
    default_region: str = ""
    #: Language of country, region and carrier names (``"en"``, ``"zh"``).
    language: str = "en"
    #: Put ``callerInfo`` on DeliveredEvents to agents and in ``records.history``.
    caller_info: bool = True


def numbers_section(config: Config) -> NumbersSection:
    """The checked ``[numbers]`` table; raises ``ConfigError``."""
    problems = Problems()  # every problem of the table, not only the first
    section = problems.salvage(NumbersSection, config.sections.get("numbers", {}), "numbers")
    region = section.default_region
    if region and region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        problems.add(
            "numbers.default_region",
            f"unknown region {region!r}: want an ISO 3166 code such as CN or US",
        )
    if not section.language.isalpha() or len(section.language) > 8:
        problems.add("numbers.language", "want a language code such as en or zh")
    raise_problems(config.file, problems)
    return attrs.evolve(section, default_region=region.upper())


class CallerInfo:
    """Looks up outside numbers (see the module docstring)."""

    def __init__(self, default_region: str = "", language: str = "en") -> None:
        self.default_region = default_region.upper() or None
        self.language = language
        # The geocoder's, carriers' and time zones' data are most of the library's
        # import time (~0.7 s of CPU): they are read when caller information is made
        # ready, not by every command importing this module.
        from phonenumbers import carrier, geocoder, timezone

        self._geocoder = geocoder
        self._carrier = carrier
        self._timezone = timezone
        self.lookup = functools.lru_cache(maxsize=4096)(self._lookup)

    def _lookup(self, number: str) -> dict[str, Any] | None:
        """The caller information of ``number``, or None if it is not a valid number."""
        if not number or len(number) > MAX_NUMBER_LENGTH:
            return None
        try:
            parsed = phonenumbers.parse(number, self.default_region)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(parsed):
            return None
        lang = self.language
        geocoder, carrier, timezone = self._geocoder, self._carrier, self._timezone
        region = geocoder.description_for_valid_number(parsed, lang)
        country = geocoder.country_name_for_number(parsed, lang)
        return {
            "number": phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
            "country": phonenumbers.region_code_for_number(parsed),
            "countryName": country or None,
            # The geocoder answers the country when it knows nothing finer.
            "region": region if region and region != country else None,
            "carrier": carrier.name_for_valid_number(parsed, lang) or None,
            "timeZones": [
                tz
                for tz in timezone.time_zones_for_number(parsed)
                if tz != timezone.UNKNOWN_TIMEZONE
            ],
            "lineType": _LINE_TYPES.get(phonenumbers.number_type(parsed), "unknown"),
        }


def caller_info_from_config(config: Config) -> CallerInfo | None:
    """The lookup ``[numbers]`` asks for, or None if caller information is off."""
    section = numbers_section(config)
    if not section.caller_info:
        return None
    return CallerInfo(section.default_region, section.language)
