"""Citizens' phone numbers: one stored form per number, however it was written or presented.

Parsing is the ``phonenumbers`` library's (Google's libphonenumber metadata, region CN). The
stored form is the national number as dialled inside China: ``13800138000`` for a mobile,
``03735551234`` for a landline with its area code. ``+86 138-0013-8000``, ``0086 13800138000``,
``013800138000`` (a trunk 0 before a mobile) and full-width ``１３８…`` are all ``13800138000``.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from hotline.errors import InvalidInput

ACCEPTED_FORMATS = (
    "请填写手机号（如 13800138000，可带 +86、0086 或 86）"
    "或带区号的固定电话（如 0373-5551234、(0373)5551234）"
)
# What a person types around the digits; letters are refused (the library would read them as
# the letters of a keypad, 1-800-FLOWERS style, which no citizen here means).
_WRITTEN = re.compile(r"[0-9+\-() .\s]{1,40}")
_CHINA = 86
# A person's line; not 400/800 numbers, pagers, VoIP or shared-cost services.
_CITIZEN_LINES = frozenset(
    {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
)
# An area code and a local number make 10 digits or more (9 kept as a margin); a local number
# alone (5551234) is refused rather than read as another city's.
_WITH_AREA_CODE = 9


def normalize_phone(raw: str | None, *, field: str = "citizen_phone") -> str:
    """The stored form of a Chinese mobile or landline number; InvalidInput (saying which
    formats are accepted) for anything else."""
    written = unicodedata.normalize("NFKC", raw or "").strip()
    if _WRITTEN.fullmatch(written):
        try:
            number = phonenumbers.parse(written, "CN")
        except phonenumbers.NumberParseException:
            number = None
        if (
            number is not None
            and number.country_code == _CHINA
            and phonenumbers.is_valid_number(number)
            and phonenumbers.number_type(number) in _CITIZEN_LINES
            and len(str(number.national_number)) >= _WITH_AREA_CODE
        ):
            national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            return re.sub(r"\D", "", national)
    raise InvalidInput(f"电话号码格式不正确：{ACCEPTED_FORMATS}", field=field)


def caller_id(raw: str | None) -> str:
    """A caller ID from the switchboard in the stored form where it is a citizen's number;
    anything else (a service number such as 95598, "anonymous", an extension) as presented."""
    try:
        return normalize_phone(raw)
    except InvalidInput:
        return (raw or "").strip()


def mask_phone(phone: str) -> str:
    """The first three and last four digits: enough to recognise a number, not to dial it."""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"
