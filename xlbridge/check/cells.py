"""Cell values as spreadsheet programs and readers really deliver them, made comparable.

Readers disagree (calamine: every number a float, pure dates ``date``; openpyxl: int and
``datetime``; xlwings: floats and ``datetime``), clerks type full-width digits, stray spaces and
newlines, and Excel turns typed text into numbers and dates. Every change is reported as a
normalisation rule so a clerk can see what the system read.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from operator import ne
from typing import Any

from xlbridge.ledger.layout import COLUMNS, Kind
from xlbridge.normalise import fold_alnum, fold_width, no_new_formula, tidy_multiline

# Control characters and odd spaces; searched as one character class (fast on long text).
_ODD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\u3000\u00a0]")
# What an xlsx cannot hold (openpyxl refuses to write them): its ILLEGAL_CHARACTERS_RE, here so
# that checking a file does not load openpyxl.
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def needs_cleaning(value: str) -> bool:
    """Anything free text may need; most cells have none of it and take the fast path.

    Substring tests run at C speed on 1,000-character descriptions, unlike one regex with many
    alternatives. Full-width punctuation is ordinary Chinese typography and is left alone here:
    only codes, choices, phones and links fold it. Spaces at either end of an inner line count
    too: the slow path (tidy_multiline) strips them.
    """
    return (
        value != value.strip()
        or "\r" in value or "\t" in value or "  " in value
        or "\n\n" in value or " \n" in value or "\n " in value
        or "_x" in value
        or _ODD_CHARS.search(value) is not None
    )


_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MONTH_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:份)?$")

# Excel's day numbers (1900 date system): day 1 is 1900-01-01, counting Lotus' phantom 1900-02-29.
_EXCEL_EPOCH = date(1899, 12, 30)
# A number read where a date is wanted is taken for a day number only in these years (2000–2099):
# a date typed or pasted into a cell formatted as text ("@") reaches readers as its day number.
_SERIALS = ((date(2000, 1, 1) - _EXCEL_EPOCH).days, (date(2100, 1, 1) - _EXCEL_EPOCH).days)

Changes = list[str]


def as_text(value: object, changes: Changes) -> str:
    """Free text: spreadsheet artefacts undone, line structure kept."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _clean_text(value, changes) if needs_cleaning(value) else value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        changes.append("normalised-number")
        return str(int(value))
    if isinstance(value, (int, float)):
        changes.append("normalised-number")
        return str(value)
    if isinstance(value, (datetime, date)):
        changes.append("normalised-date")
        return _iso(value)
    if isinstance(value, time):
        return value.isoformat()
    return str(value)


def _clean_text(value: str, changes: Changes) -> str:
    text = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)
    cleaned = _ILLEGAL.sub("", text)
    if cleaned != text:
        changes.append("normalised-control")
    tidy = tidy_multiline(cleaned)
    if tidy != cleaned:
        changes.append("normalised-space")
    return no_new_formula(value, tidy)


def as_compact(value: object, changes: Changes, *, fold_all: bool = False) -> str:
    """Codes, choices, phones, links: no inner spaces, full-width digits and letters folded."""
    text = as_text(value, changes)
    folded = fold_width(text) if fold_all else fold_alnum(text)
    if folded != text:
        changes.append("normalised-width")
    compact = "".join(folded.split()) if " " in folded or "\n" in folded else folded
    if compact != folded and "normalised-space" not in changes:
        changes.append("normalised-space")
    return no_new_formula(text, compact)


def as_year(value: object, changes: Changes) -> int | str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    text = as_compact(value, changes)
    if text.isdecimal():  # not isdigit: int() refuses "²", which isdigit accepts
        changes.append("normalised-number")
        return int(text)
    return text


def day_number(value: object) -> date | None:
    """The date an Excel day number (44344.0) stands for, when it is one of a plausible year."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and _SERIALS[0] <= value < _SERIALS[1]:
        return _EXCEL_EPOCH + timedelta(days=int(value))
    return None


def as_month(value: object, changes: Changes) -> str | None:
    """报送月份 → 'YYYY-MM'; None when it cannot be read."""
    value = day_number(value) or value
    if isinstance(value, (datetime, date)):
        changes.append("normalised-date")
        return f"{value.year:04d}-{value.month:02d}"
    text = as_compact(value, changes, fold_all=True)
    m = _MONTH_TEXT.match(text) or _DATE_TEXT.match(text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    month = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    if month != text:
        changes.append("normalised-date")
    return month


def as_date(value: object, changes: Changes) -> str | None:
    """填表时间 → 'YYYY-MM-DD'; None when it cannot be read."""
    serial = day_number(value)
    if serial is not None:
        changes.append("normalised-date")
        return serial.isoformat()
    if isinstance(value, (datetime, date)):
        return _iso(value)
    text = as_compact(value, changes, fold_all=True)
    m = _DATE_TEXT.match(text)
    if not m:
        return None
    try:
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    if day.isoformat() != text:
        changes.append("normalised-date")
    return day.isoformat()


def _iso(value: date | datetime) -> str:
    if isinstance(value, datetime) and value.time() != time(0):
        return value.isoformat(sep=" ", timespec="minutes")
    return (value.date() if isinstance(value, datetime) else value).isoformat()


CHOICES = frozenset(c for column in COLUMNS for c in column.choices)


def already_clean(value: str, kind: Kind) -> bool:
    """True when normalise() would return ``value`` unchanged; cheap enough to ask per cell."""
    if kind is Kind.text:
        return not needs_cleaning(value)
    if kind is Kind.choice:
        return value in CHOICES
    if kind in (Kind.urls, Kind.phone):
        # ASCII has no full-width forms to fold; a single space is still a change for phones.
        return value.isascii() and not needs_cleaning(value) and (kind is Kind.urls or " " not in value)
    return False


_NONE_TYPE = type(None)


def clean_column(values: list[Any], kind: Kind) -> list[str] | None:
    """The column as :func:`normalise` would return it, when that changes nothing (else None).

    One pass over the joined column instead of one call per cell: the engine asks this of
    2,000-row columns of long text.
    """
    types = set(map(type, values))
    if kind is Kind.year or not types <= {str, _NONE_TYPE} or not _all_clean(list(filter(None, values)), kind):
        return None
    return values if _NONE_TYPE not in types else [v or "" for v in values]


def _all_clean(present: list[str], kind: Kind) -> bool:
    """:func:`already_clean` for every value, tested on them joined. ``|`` joins them because it
    is none of the characters looked for, so no test can match across two cells."""
    if kind is Kind.choice:
        return set(present) <= CHOICES
    if kind is not Kind.text and not all(map(str.isascii, present)):
        return False
    if any(map(ne, present, map(str.strip, present))):
        return False
    joined = "|".join(present)
    # Everything looked for but U+3000 is below U+0100, so it is looked for first in the column's
    # Latin-1 projection: a tenth of the length on Chinese text. That projection drops characters,
    # so a pair found there may not be a pair in the text: it is looked up again in the text.
    latin = joined.encode("latin-1", "ignore")
    if _ODD_LATIN1.search(latin) or joined.count("\u3000"):  # count's loop is faster than `in`'s here
        return False

    def has(pair: str) -> bool:
        return pair.encode("latin-1") in latin and pair in joined

    if has("\n\n") or has("_x"):
        return False
    return b" " not in latin or not (kind is Kind.phone or has("  ") or has(" \n") or has("\n "))


# Control characters but \n (\r and \t among them) and U+00A0.
_ODD_LATIN1 = re.compile(rb"[\x00-\x09\x0b-\x1f\xa0]")


def normalise(value: object, kind: Kind, changes: Changes) -> object:
    # Fast paths for what nearly every cell is: clean text, a valid choice, nothing.
    if value.__class__ is str:
        if already_clean(value, kind):  # type: ignore[arg-type]
            return value
    elif value is None and kind is not Kind.year:
        return ""
    if kind is Kind.year:
        return as_year(value, changes)
    if kind is Kind.urls:
        text = as_text(value, changes)
        folded = fold_width(text)  # http：／／ typed with a Chinese IME
        if folded != text:
            changes.append("normalised-width")
        return folded
    if kind is Kind.phone:
        # Keep line breaks: several numbers are put one per line, and must not run together.
        lines = as_text(value, changes).split("\n")
        return "\n".join(as_compact(line, changes, fold_all=True) for line in lines)
    if kind is Kind.choice:
        return as_compact(value, changes)
    return as_text(value, changes)
