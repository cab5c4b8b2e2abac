"""Text clean-up shared by the schema importer and the ledger validator."""

from __future__ import annotations

import re

# U+FF01..U+FF5E are the full-width forms of ASCII 0x21..0x7E; U+3000 is the ideographic space.
_FULL_TO_HALF = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_ALNUM_TO_HALF = {
    cp: cp - 0xFEE0
    for cp in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
}
_SPACES = re.compile(r"[ \t\u3000\u00a0]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")


def no_new_formula(before: str, after: str) -> str:
    """``after``, unless clean-up made it start with ``=`` where ``before`` did not (a tab or space
    in front, a full-width ＝): then it keeps one space in front, so that no spreadsheet, CSV
    reader or our own writers ever take as a formula what was typed as text."""
    if after[:1] == "=" and before[:1] != "=":
        return " " + after
    return after


def fold_width(text: str) -> str:
    """All full-width ASCII (digits, letters, punctuation) to half width; a leading ＝ stays."""
    folded = text.translate(_FULL_TO_HALF)
    return text[0] + folded[1:] if folded[:1] == "=" and text[:1] != "=" else folded


def fold_alnum(text: str) -> str:
    """Full-width digits and Latin letters to half width; Chinese punctuation is left alone."""
    return text.translate(_ALNUM_TO_HALF)


def squash(text: str) -> str:
    """One line: every run of whitespace (newlines included) becomes one space."""
    return no_new_formula(text, " ".join(text.split()))


def tidy_multiline(text: str) -> str:
    """Keep line structure, drop \\r, trailing spaces and blank lines, collapse inner runs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return no_new_formula(text, "\n".join(line for line in lines if line))


def no_spaces(text: str) -> str:
    """Unit names are printed letter-spaced (市 支 队); compare them without any spaces."""
    return no_new_formula(text, "".join(text.split()))



def cell_text(value: object) -> str:
    """A cell as text however a reader handed it back (calamine's 20.0 is "20"), lines tidied:
    what a signed digest over locked cells is taken of, on issue and on return."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return tidy_multiline(str(value))
