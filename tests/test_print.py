"""What the system's workbooks look like on paper: one demo run (23 units of jinfeng-2020, two
months) and one supervision round's inspection workbook, each output printed to PDF by a real
LibreOffice once per module, read back with poppler. Every page of a sheet is found by its page header, which names the sheet (``&A``).

Asserted: a clean receipt is one page, label and value on one line; a receipt with findings
lists each with its cell and indicator below the form; 总览 for 23 units is one page, one page
wide; every page of 指标进度 carries indicator codes and at least two unit names; every page of
a table sheet holds its first and its last column (no column alone on a page); each chart's page
holds its title and every label; the ledger repeats its header row and numbers its pages; wrapped
text is printed whole (LibreOffice leaves out what a too-low row cuts off); an inspection workbook
prints one page wide with its header row on every page.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from ledger_fixtures import KEY, UNIT, edited, filled_ledger, set_cells
from openpyxl.utils import get_column_letter
from soffice_fixtures import SOFFICE, page_count, page_texts, to_pdf
from supervision_fixtures import plan, reported_workspace
from ws_fixtures import drop, receipt_findings, receipt_summary, sheet_rows

from xlbridge.demo import NEXT_PERIOD, PERIOD, run_demo
from xlbridge.ledger import layout as L
from xlbridge.service import store
from xlbridge.service.consolidate import consolidate
from xlbridge.service.ingest import ingest_file
from xlbridge.service.workspace import Workspace
from xlbridge.supervision import layout as S
from xlbridge.system.files import DEFAULT_SYSTEM, load_system

if SOFFICE is None or shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
    pytest.skip("needs LibreOffice (soffice) and poppler (pdfinfo, pdftotext): "
                "apt-get install -y libreoffice-calc fonts-noto-cjk poppler-utils", allow_module_level=True)


@dataclass
class Printed:
    xlsx: Path
    pdf: Path
    texts: dict[str, list[str]] = field(default_factory=dict)

    def text(self, mode: str = "-layout") -> list[str]:
        """Every page's text as pdftotext ``mode`` reads it (read once)."""
        if mode not in self.texts:
            self.texts[mode] = page_texts(self.pdf, mode)
        return self.texts[mode]

    @property
    def pages(self) -> list[str]:
        return self.text()

    def sheet_pages(self, sheet: str, mode: str = "-layout") -> list[str]:
        """The pages of one sheet: the page header's last word is the sheet's name."""
        ours = [n for n, p in enumerate(self.pages) if p.strip() and p.strip().splitlines()[0].split()[-1] == sheet]
        return [self.text(mode)[n] for n in ours]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("print") / "ws"
    run_demo(None, root, echo=lambda _: None)
    return root


def _receipts(root: Path) -> list[Path]:
    return sorted(root.glob(f"outbox/*/回执_*_{PERIOD}_*.xlsx"))


@pytest.fixture(scope="module")
def inspection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A supervision round's inspection workbook for the tests' unit (puyang-2020)."""
    return plan(reported_workspace(tmp_path_factory.mktemp("supervision") / "ws"), "2021-07")


CROWD = 60  # units expected: more than one page of every per-unit table


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A workspace expecting 60 units, one of which (UNIT) reported May and June, June again with
    a bad link and phone on every row: its June 汇总 and that file's receipt (60 findings)."""
    root = tmp_path_factory.mktemp("crowded") / "ws"
    reported_workspace(root)
    settings = root / "xlbridge.toml"
    units = [UNIT, *(f"第{n:02d}责任单位" for n in range(1, CROWD))]
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        f'expected_units = ["{UNIT}"]', f"expected_units = {json.dumps(units, ensure_ascii=False)}"), encoding="utf-8")
    ws = Workspace.load(root)
    src = filled_ledger(root.parent / "faulty", header={"period": "2021-06", "filled_on": "2021-06-29", "filled_by": "王伟"})
    rows = range(L.FIRST_DATA_ROW, openpyxl.load_workbook(src, read_only=True)[L.LEDGER_SHEET].max_row + 1)
    faulty = edited(src, root.parent / "faulty.xlsx", set_cells({
        **{f"{get_column_letter(L.COLUMN['links'].index)}{r}": "门户网站" for r in rows},
        **{f"{get_column_letter(L.COLUMN['phone'].index)}{r}": "六九八零三九九" for r in rows}}))
    when = datetime(2021, 6, 30, 10)
    db = store.open_store(ws.store)
    try:
        outcome = ingest_file(ws, db, drop(ws, faulty, f"{UNIT}/{UNIT}_6月_改.xlsx", when), KEY, received_at=when)
        assert outcome.status == "accepted" and len(receipt_findings(outcome.receipt)) >= 60, outcome.summary
        return consolidate(ws, db, "2021-06"), outcome.receipt
    finally:
        db.close()


@pytest.fixture(scope="module")
def printed(demo: Path, inspection: Path, crowded: tuple[Path, Path],
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, Printed]:
    """Each kind of output, printed once: the June 汇总 (23 units), a clean receipt and one with
    findings, the issued ledger with the most rows, an inspection workbook; the 汇总 of 60 units
    and a receipt of 60 findings."""
    clean = next(r for r in _receipts(demo) if receipt_summary(r)["错误 / 警告"] == "0 个错误，0 个警告")
    faulty = next(r for r in _receipts(demo) if receipt_summary(r)["处理结果"].startswith("已接收，但有"))
    ledger = max(demo.glob("ledgers/*.xlsx"), key=lambda p: openpyxl.load_workbook(p, read_only=True)[L.LEDGER_SHEET].max_row)
    files = {"汇总": demo / f"outbox/汇总/汇总台账_{NEXT_PERIOD}.xlsx", "clean": clean, "faulty": faulty, "ledger": ledger,
             "inspection": inspection, "crowded": crowded[0], "long_receipt": crowded[1]}
    work = tmp_path_factory.mktemp("pdf")
    copies = {}
    for name, path in files.items():  # distinct stems for one soffice run
        copies[name] = work / f"{name}.xlsx"
        shutil.copyfile(path, copies[name])
    pdfs = to_pdf(list(copies.values()), work / "out", tmp_path_factory)
    return {name: Printed(files[name], pdf) for name, pdf in zip(copies, pdfs)}


def flat(text: str) -> str:
    return "".join(text.split())


# =========================================================================== receipts
def test_a_clean_receipt_is_one_page_with_label_and_value_side_by_side(printed: dict[str, Printed]) -> None:
    receipt = printed["clean"]
    assert page_count(receipt.pdf) == 1
    [page] = receipt.pages
    form = receipt_summary(receipt.xlsx)
    lines = page.splitlines()
    for label in ("报送单位", "文件名", "收到时间", "报送月份", "处理结果", "签名核验"):
        assert any(label in line and form[label] in line for line in lines), label
    assert "没有发现问题" in page
    assert "第 1 页，共 1 页" in page
    # The long notice is printed whole (its row is tall enough), not cut at the cell's edge.
    assert flat(form["说明"]) in flat(receipt.text("-raw")[0])


def test_a_receipt_lists_its_findings_below_the_form_with_their_indicator(printed: dict[str, Printed]) -> None:
    receipt = printed["faulty"]
    findings = receipt_findings(receipt.xlsx)
    assert findings and page_count(receipt.pdf) == 1
    [page] = receipt.pages
    assert page.index("文件指纹") < page.index("问题清单（")
    raw = flat(receipt.text("-raw")[0])
    for level, cell, indicator, _field, message, _hint in findings:
        line = next(line for line in page.splitlines() if f" {cell} " in f" {line} ")
        assert level in line and indicator.split()[0] in line, (cell, line)
        assert flat(message) in raw  # the message whole, however it wraps


def test_a_long_receipt_repeats_the_findings_header_on_every_later_page(printed: dict[str, Printed]) -> None:
    receipt = printed["long_receipt"]
    pages = receipt.sheet_pages("回执")  # then its 变化 sheet
    assert len(pages) >= 2
    total = page_count(receipt.pdf)
    for n, page in enumerate(pages, start=1):
        assert any(line.split()[:3] == ["级别", "单元格", "指标"] and line.split()[-1] == "建议"
                   for line in page.splitlines()), n
        assert f"第 {n} 页，共 {total} 页" in page
    assert "报送单位" in pages[0] and "报送单位" not in "".join(pages[1:])  # the form once, on the first page
    raw = flat("".join(receipt.text("-raw")))
    cells = [cell for _, cell, *_ in receipt_findings(receipt.xlsx)]
    assert len(cells) >= 60 and all(cell in raw for cell in cells)


# =========================================================================== 汇总
def test_overview_of_23_units_is_one_page_one_page_wide(printed: dict[str, Printed]) -> None:
    book = printed["汇总"]
    units = [r[1] for r in sheet_rows(book.xlsx, "总览")[4:] if r[1]]
    assert len(units) == 23
    [page] = book.sheet_pages("总览")
    assert "序号" in page and "数据来源" in page  # the first and the last column on the page
    for unit in units:
        assert any(line.split()[1:2] == [unit] for line in page.splitlines() if line.split()), unit


@pytest.mark.parametrize("name", ["汇总", "crowded"])
def test_every_page_of_the_indicator_matrix_has_codes_and_unit_names(printed: dict[str, Printed], name: str) -> None:
    book = printed[name]
    header, *rows = sheet_rows(book.xlsx, "指标进度")[1:]
    units = list(header[2:])
    codes = [r[0] for r in rows if r[1]]
    pages = book.sheet_pages("指标进度")
    assert len(pages) > 1
    seen_units, seen_codes = set(), set()
    for page, raw in zip(pages, book.sheet_pages("指标进度", "-raw"), strict=True):
        lines = page.splitlines()
        on_page = {u for u in units if u in flat(raw)}  # a long name wraps within its header cell
        assert len(on_page) >= 2, on_page  # never a unit column alone on a page
        assert "指标编号" in page
        page_codes = {line.split()[0] for line in lines[1:] if line.split() and line.split()[0] in codes}
        assert page_codes, "a page without indicator codes"
        seen_units |= on_page
        seen_codes |= page_codes
    assert seen_units == set(units) and seen_codes == set(codes)


def title_row(path: Path, sheet: str) -> list[str]:
    """The labels of the row a sheet repeats at the top of every page (its print titles)."""
    ws = openpyxl.load_workbook(path)[sheet]
    row = int(ws.print_title_rows.split(":")[0].replace("$", ""))
    return [str(c.value) for c in ws[row] if c.value is not None]


def repeated(path: Path) -> list[str]:
    """The sheets that repeat a header row, but not columns (those print in blocks: the matrix)."""
    wb = openpyxl.load_workbook(path)
    return [ws.title for ws in wb.worksheets if ws.sheet_state == "visible" and ws.print_title_rows
            and not ws.print_title_cols]


@pytest.mark.parametrize("book", ["汇总", "crowded"])
def test_every_page_of_a_table_carries_its_header_row_whole(printed: dict[str, Printed], book: str) -> None:
    """Each page of every sheet that repeats a header row (总览, 趋势 with its 一级指标 table and
    chart, 未报送, 缺链接, 联系人, 重点, 明细, 得分, 整改 …) holds that row, first to last column,
    on one line: no page without its labels, no column alone on a page. 60 units run every
    per-unit table past a page."""
    printed_book = printed[book]
    sheets = repeated(printed_book.xlsx)
    assert {"总览", "趋势", "未报送", "缺链接", "联系人", "重点", "明细"} <= set(sheets)
    bad, many = [], set()
    for sheet in sheets:
        first, *_, last = title_row(printed_book.xlsx, sheet)
        pages = printed_book.sheet_pages(sheet)
        assert pages, sheet
        if len(pages) > 1:
            many.add(sheet)
        for n, page in enumerate(pages, start=1):
            lines = [flat(line) for line in page.splitlines()[1:]]
            if not any(line.startswith(flat(first)) and line.endswith(flat(last)) for line in lines):
                bad.append((sheet, n, len(pages), first, last))
    assert bad == []
    if book == "crowded":
        assert {"总览", "趋势", "未报送", "联系人", "明细"} <= many, many


def test_details_print_every_text_whole(printed: dict[str, Printed]) -> None:
    book = printed["汇总"]
    header, *rows = sheet_rows(book.xlsx, "明细")
    raw = flat("".join(book.text("-raw")))
    columns = [header.index(h) for h in ("一级指标", "进度说明", "上报材料")]
    texts = {flat(str(r[c])) for r in rows for c in columns if r[c]}
    assert len(texts) > 50
    cut = [t for t in texts if t not in raw]
    assert not cut, cut[:3]


def test_each_chart_page_holds_its_title_and_every_label(printed: dict[str, Printed]) -> None:
    book = printed["汇总"]
    indicators = load_system(DEFAULT_SYSTEM).indicators
    # A 一级指标 of 加分项 and 减分项 alone (jinfeng-2020's 附加项) has no done-rate: not a task to complete.
    level1s = list(dict.fromkeys(i.level1 for i in indicators if i.kind.value == "normal"))
    only_kind_rows = {i.level1 for i in indicators} - set(level1s)
    [bars] = book.sheet_pages("一级指标")  # the table and, below it, the chart
    assert "各一级指标完成率" in bars
    assert only_kind_rows == {"附加项"} and "附加项" not in bars
    for name in level1s:
        assert bars.count(name) >= 2, name  # in the table and on the chart's axis
    # The line chart starts a page of its own, after the table of its figures.
    [chart] = [p for p in book.sheet_pages("趋势") if "各一级指标完成率（按月）" in p and "截至当月" not in p]
    for name in level1s:
        assert name in chart, name  # the legend
    assert "附加项" not in "".join(book.sheet_pages("趋势")), "no 0 % line for a 一级指标 with no done-rate"
    months = [c for c in sheet_rows(book.xlsx, "趋势")[1][1:] if c]
    assert months == ["05月", "06月"] and all(m in flat(chart) for m in months)  # the axis: the demo's months
    # 得分's bar chart: a page of its own after the ranking, every unit named on its axis.
    units = [r[1] for r in sheet_rows(book.xlsx, "得分")[3:] if r and r[1]]
    [bars] = [p for p in book.sheet_pages("得分") if "各单位督导检查得分" in p]
    assert len(units) == 23 and [u for u in units if u not in flat(bars)] == []


# =========================================================================== the ledger
def test_the_ledger_repeats_its_header_row_and_numbers_its_pages(printed: dict[str, Printed]) -> None:
    ledger = printed["ledger"]
    pages = ledger.sheet_pages(L.LEDGER_SHEET)
    assert len(pages) >= 2
    total = page_count(ledger.pdf)
    title = openpyxl.load_workbook(ledger.xlsx, read_only=True)[L.LEDGER_SHEET]["A1"].value
    for n, page in enumerate(pages, start=1):
        assert title in page.splitlines()[0]  # the page header
        assert "指标编号" in page and "进度说明" in page and "联系电话" in page
        assert f"第 {n} 页，共 {total} 页" in page
    raw = flat("".join(ledger.text("-raw")))
    indicator = L.COLUMN["indicator"].index - 1
    texts = [flat(str(r[indicator])) for r in sheet_rows(ledger.xlsx, L.LEDGER_SHEET)[L.FIRST_DATA_ROW - 1:] if r[indicator]]
    assert texts and [t for t in texts if t not in raw] == []


def test_the_ledger_guide_prints_every_line_whole(printed: dict[str, Printed]) -> None:
    """填报说明 is printed and read by the clerk: every line whole on one portrait page, also in a
    LibreOffice that has no Calibri (it measures the column with a wider font: at 95 characters
    each line's end ran past the page)."""
    from xlbridge.ledger.writer import GUIDE

    ledger = printed["ledger"]
    [page] = ledger.sheet_pages(L.GUIDE_SHEET)
    [raw] = ledger.sheet_pages(L.GUIDE_SHEET, "-raw")
    assert [line for line in GUIDE if flat(line) not in flat(raw)] == []
    assert "页，共" in page.strip().splitlines()[-1]  # the page footer, on the same page


def test_an_inspection_workbook_prints_one_page_wide_with_its_header_on_every_page(printed: dict[str, Printed]) -> None:
    book = printed["inspection"]
    pages = book.sheet_pages(S.INSPECTION_SHEET)
    assert pages
    total = page_count(book.pdf)
    title = openpyxl.load_workbook(book.xlsx, read_only=True)[S.INSPECTION_SHEET]["A1"].value
    first, last = S.INSPECTION_COLUMNS[0].header, S.INSPECTION_COLUMNS[-1].header
    for n, page in enumerate(pages, start=1):
        assert title in page.splitlines()[0]
        header = next(line.split() for line in page.splitlines() if line.split()[:1] == [first])
        assert header[-1] == last  # the whole width on the page
        assert f"第 {n} 页，共 {total} 页" in page
    assert book.sheet_pages(S.GUIDE_SHEET) and len(book.sheet_pages(S.GUIDE_SHEET)) == 1
