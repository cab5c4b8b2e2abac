"""Word documents in the style of a government notice (党政机关公文格式, GB/T 9704-2012), written
with python-docx, opened by Word, WPS and LibreOffice: A4, margins 37/35/28/26 mm, 小标宋 title
(二号), 仿宋 body (三号), 黑体 headings, page numbers "— n —" at the foot.

Fonts are named as the standard names them when the machine has them, else the first fallback
it has (fc-list), so the document renders as intended here and on an office PC alike; the
East Asian font is set explicitly (w:eastAsia), which python-docx's font.name alone does not.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from xlbridge.xlsx.owned import written_atomically

TITLE_FONTS = ("方正小标宋简体", "方正小标宋_GBK", "华文中宋", "Noto Serif CJK SC")
BODY_FONTS = ("仿宋_GB2312", "仿宋", "FangSong", "Noto Serif CJK SC")
HEADING_FONTS = ("黑体", "SimHei", "Noto Sans CJK SC")
TITLE_PT, BODY_PT, TABLE_PT = 22, 16, 12  # 二号, 三号, 小四


@cache
def installed_fonts() -> frozenset[str]:
    """Font families with Chinese glyphs on this machine; empty when fc-list is unknown (Windows)."""
    if shutil.which("fc-list") is None:
        return frozenset()
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20,
                             check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(","))


def font(choices: Sequence[str]) -> str:
    """The first of ``choices`` installed, else the standard's own name (the first)."""
    fonts = installed_fonts()
    return next((name for name in choices if name in fonts), choices[0])


def new_document(author: str, subject: str) -> Document:
    doc = Document()
    doc.core_properties.author, doc.core_properties.title = author, subject  # not "python-docx"
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    _set_font(normal.font, normal.element, font(BODY_FONTS), BODY_PT)
    normal.paragraph_format.line_spacing = Pt(28)  # 22 lines a page of 三号
    _page_number(section)
    return doc


def _set_font(f, element, name: str, size: float, bold: bool = False) -> None:  # type: ignore[no-untyped-def]
    f.name, f.size, f.bold = name, Pt(size), bold
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attr), name)


def run(paragraph, text: str, fonts: Sequence[str] = BODY_FONTS, size: float = BODY_PT, bold: bool = False,  # type: ignore[no-untyped-def]
        color: str | None = None):
    r = paragraph.add_run(text)
    _set_font(r.font, r._element, font(fonts), size, bold)
    if color:
        r.font.color.rgb = RGBColor.from_string(color)
    return r


def title(doc, text: str) -> None:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.line_spacing = Pt(36)
    p.paragraph_format.space_after = Pt(16)
    run(p, text, TITLE_FONTS, TITLE_PT)


def centered(doc, text: str, color: str | None = None) -> None:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(p, text, color=color)


def heading(doc, text: str) -> None:  # type: ignore[no-untyped-def]
    """一级标题: 黑体, indented two characters like the body."""
    p = doc.add_paragraph()
    p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
    run(p, text, HEADING_FONTS)


def body(doc, text: str, indent: bool = True) -> None:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    if indent:
        p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    run(p, text)


def right(doc, text: str) -> None:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p.paragraph_format.right_indent = Pt(BODY_PT * 4)
    run(p, text)


def table(doc, headers: Sequence[str], rows: Sequence[Sequence[object]], widths_mm: Sequence[float]) -> None:  # type: ignore[no-untyped-def]
    """A bordered table in 小四 仿宋 with a 黑体 header row repeated on every page."""
    t = doc.add_table(rows=1, cols=len(headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(t.rows[0].cells, headers):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        run(cell.paragraphs[0], header, HEADING_FONTS, TABLE_PT)
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    t.rows[0]._tr.get_or_add_trPr().append(repeat)
    for values in rows:
        cells = t.add_row().cells
        for cell, value in zip(cells, values):
            cell.paragraphs[0].paragraph_format.line_spacing = Pt(18)
            run(cell.paragraphs[0], "" if value is None else str(value), size=TABLE_PT)
    t.autofit = False
    for column, width in zip(t.columns, widths_mm):  # the grid, which LibreOffice and WPS follow
        column.width = Mm(width)
    for row in t.rows:  # and each cell, which Word follows
        for cell, width in zip(row.cells, widths_mm):
            cell.width = Mm(width)
    doc.add_paragraph()


def _page_number(section) -> None:  # type: ignore[no-untyped-def]
    """"— n —" centred in the footer (a PAGE field: every program numbers the pages itself)."""
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(p, "— ", size=14)
    r = run(p, "", size=14)
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        r._element.append(el)
    run(p, " —", size=14)


def save(doc, path: Path) -> Path:  # type: ignore[no-untyped-def]
    """Atomically: a reader never opens half a document, a failure leaves no temp file."""
    with written_atomically(path) as tmp:
        doc.save(str(tmp))
    return path
