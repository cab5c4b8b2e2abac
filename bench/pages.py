"""Pictures of the printed outputs of one demo run, for a person to look at (docs/pages/).

    .venv/bin/python bench/pages.py                 # → docs/pages/*.png
    .venv/bin/python bench/pages.py --out /tmp/pages --dpi 72

Runs the demo into a temporary workspace, prints a receipt with findings, the June 汇总, the
largest issued ledger, an inspection workbook and the quarter's 通报 to PDF with LibreOffice (soffice, headless: what a user's "print" gives),
and renders one page of each output with poppler's pdftoppm. Needs soffice and poppler-utils.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xlbridge.demo import NEXT_PERIOD, PERIOD, run_demo

# picture name → (output, sheet, which of the sheet's pages, a text that page must hold or "")
PAGES = {
    "receipt": ("receipt", "回执", 0, ""),
    "overview": ("汇总", "总览", 0, ""),
    "matrix": ("汇总", "指标进度", 0, ""),
    "level1": ("汇总", "一级指标", 0, ""),
    "trend": ("汇总", "趋势", -1, "各一级指标完成率（按月）"),
    "contacts": ("汇总", "联系人", 0, ""),
    "scores": ("汇总", "得分", 0, ""),
    "ledger": ("ledger", "台账", 0, ""),
    "inspection": ("inspection", "检查", 0, ""),
    "bulletin": ("bulletin", "", 0, ""),  # a Word document: no sheet, its first page
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "pages")
    parser.add_argument("--dpi", type=int, default=50)
    args = parser.parse_args()
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        sys.exit("needs LibreOffice (soffice) and poppler-utils (pdftoppm, pdftotext)")
    with tempfile.TemporaryDirectory(prefix="xlbridge-pages-") as tmp:
        work = Path(tmp)
        run_demo(None, work / "ws", echo=lambda _: None)
        pdfs = _print(soffice, _outputs(work / "ws"), work)
        args.out.mkdir(parents=True, exist_ok=True)
        for name, (output, sheet, which, holding) in PAGES.items():
            page = _sheet_pages(pdfs[output], sheet, holding)[which]
            target = args.out / f"{name}.png"
            subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(args.dpi), "-png", "-singlefile",
                            str(pdfs[output]), str(target.with_suffix(""))], check=True, timeout=120)
            print(f"{target}  ({sheet + ', ' if sheet else ''}page {page} of {output})")


def _outputs(ws: Path) -> dict[str, Path]:
    import openpyxl

    receipts = sorted(ws.glob(f"outbox/*/回执_*_{PERIOD}_*.xlsx"))
    with_findings = next(r for r in receipts if "问题清单（" in _first_column(r))
    ledger = max(ws.glob("ledgers/*.xlsx"), key=lambda p: openpyxl.load_workbook(p, read_only=True)["台账"].max_row)
    inspection = min(ws.glob(f"outbox/督导检查/{NEXT_PERIOD}/督导检查_*.xlsx"))
    bulletin = min(ws.glob("outbox/督导检查/通报_*.docx"))
    return {"receipt": with_findings, "汇总": ws / f"outbox/汇总/汇总台账_{NEXT_PERIOD}.xlsx", "ledger": ledger,
            "inspection": inspection, "bulletin": bulletin}


def _first_column(path: Path) -> str:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return "\n".join(str(r[0] or "") for r in wb["回执"].iter_rows(values_only=True) if r)
    finally:
        wb.close()


def _print(soffice: str, outputs: dict[str, Path], work: Path) -> dict[str, Path]:
    copies = {}
    for name, path in outputs.items():
        copies[name] = work / f"{name}{path.suffix}"
        shutil.copyfile(path, copies[name])
    subprocess.run([soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
                    "--convert-to", "pdf", "--outdir", str(work / "pdf"), *map(str, copies.values())],
                   check=True, capture_output=True, timeout=300)
    return {name: work / "pdf" / f"{name}.pdf" for name in copies}


def _sheet_pages(pdf: Path, sheet: str, holding: str) -> list[int]:
    """Page numbers of one sheet: its page header's last word is the sheet's name."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True,
                          timeout=120).stdout
    pages = []
    for number, page in enumerate(text.split("\f"), start=1):
        lines = page.strip().splitlines()
        if lines and (not sheet or lines[0].split()[-1] == sheet) and holding in page:
            pages.append(number)
    return pages


if __name__ == "__main__":
    main()
