"""Everything a reader sees of a workbook, as plain data (openpyxl): to show that a workbook
spliced into a package built once is the workbook its library writes itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl


def layout(path: Path) -> dict[str, Any]:
    """Per sheet: every cell's value, type and style, merged ranges, row heights, column widths,
    frozen panes, validations, conditional formats, protection, visibility and the print setup;
    the workbook's defined names."""
    wb = openpyxl.load_workbook(path)
    out: dict[str, Any] = {"sheets": wb.sheetnames,
                           "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items())}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                f, a, b, p = c.font, c.alignment, c.border, c.protection
                cells[c.coordinate] = (
                    c.value, c.data_type, f.name, f.sz, f.b, f.color and f.color.rgb, c.fill.patternType,
                    c.fill.fgColor.rgb, a.horizontal, a.vertical, a.wrap_text, c.number_format, p.locked,
                    *((s.style, s.color and s.color.rgb) for s in (b.left, b.right, b.top, b.bottom)))
        setup, margins = ws.page_setup, ws.page_margins
        out[ws.title] = {
            "cells": cells, "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "heights": {r: d.height for r, d in ws.row_dimensions.items() if d.height},
            "widths": {k: d.width for k, d in ws.column_dimensions.items() if d.width},
            "freeze": ws.freeze_panes, "state": ws.sheet_state,
            "validations": sorted((str(v.sqref), v.type, v.operator, v.formula1, v.formula2, v.prompt, v.error)
                                  for v in ws.data_validations.dataValidation),
            "conditional": sorted((str(r.sqref), [(x.type, x.formula) for x in r.rules])
                                  for r in ws.conditional_formatting),
            "protection": (ws.protection.sheet, ws.protection.password, ws.protection.insertRows),
            "print_area": ws.print_area, "titles": (ws.print_title_rows, ws.print_title_cols),
            "page": (setup.paperSize, setup.orientation, setup.fitToWidth, setup.fitToHeight,
                     ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage),
            "margins": (margins.left, margins.right, margins.top, margins.bottom, margins.header, margins.footer),
            "header": (ws.oddHeader.center.text, ws.oddHeader.center.font, ws.oddHeader.right.text),
            "footer": ws.oddFooter.center.text,
        }
    return out


def assert_same_layout(mine: Path, theirs: Path) -> None:
    """``mine`` looks exactly like ``theirs``; the first difference is named (sheet, what, cells)."""
    got, wanted = layout(mine), layout(theirs)
    assert got["sheets"] == wanted["sheets"] and got["names"] == wanted["names"], mine.name
    for sheet in wanted["sheets"]:
        for key, value in wanted[sheet].items():
            if key == "cells":
                cells = got[sheet]["cells"]
                differ = {k: (cells.get(k), v) for k, v in value.items() if cells.get(k) != v}
                assert not differ and cells.keys() == value.keys(), (mine.name, sheet, differ)
            assert got[sheet][key] == value, (mine.name, sheet, key)
