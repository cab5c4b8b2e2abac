"""xlbridge: rule-of-law assessment ledgers kept in Excel, checked and consolidated centrally."""

import os

__version__ = "0.1.0"

# python-docx (the supervision group's documents) brings lxml, and openpyxl switches to an lxml
# writer whenever lxml is installed: every CJK character then goes out as a character reference
# (&#24050;), 8 bytes instead of 3, in each ledger and workbook xlbridge writes. Keep openpyxl on
# its own writer (and defusedxml for every part it reads), as measured: set before any import of
# openpyxl, unless the environment says otherwise.
os.environ.setdefault("OPENPYXL_LXML", "False")


def main() -> None:
    """Entry point of the Excel ribbon button: the add-in calls ``import xlbridge; xlbridge.main()``.

    Imported lazily so that nothing in the core depends on xlwings.
    """
    from xlbridge.excel.ribbon import validate_active_book

    validate_active_book()
