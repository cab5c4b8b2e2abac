"""xlbridge: rule-of-law assessment ledgers kept in Excel, checked and consolidated centrally."""

import os
import sys

__version__ = "0.1.0"

# python-docx (the supervision group's documents) brings lxml, and openpyxl switches to an lxml
# writer whenever lxml is installed: every CJK character then goes out as a character reference
# (&#24050;), 8 bytes instead of 3, in each ledger and workbook xlbridge writes. Keep openpyxl on
# its own writer (and defusedxml for every part it reads), as measured: set before any import of
# openpyxl, unless the environment says otherwise.
os.environ.setdefault("OPENPYXL_LXML", "False")


class _NoPandasForSqliteUtils:
    """sqlite-utils imports pandas and numpy at its own import whenever they are installed, only
    to convert their values, which xlbridge never hands it: ~60 MB more in the daemon and every
    command (measured). They are hidden from that one import; any other import of them works."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        if name in ("pandas", "numpy"):
            frame = sys._getframe(1)
            for _ in range(12):  # the import machinery's few frames, then who asked
                if frame is None:
                    break
                if frame.f_globals.get("__name__") == "sqlite_utils.db":
                    raise ModuleNotFoundError(f"{name} is not for sqlite-utils in xlbridge", name=name)
                frame = frame.f_back


if "sqlite_utils.db" not in sys.modules:
    sys.meta_path.insert(0, _NoPandasForSqliteUtils)


def main() -> None:
    """Entry point of the Excel ribbon button: the add-in calls ``import xlbridge; xlbridge.main()``.

    Imported lazily so that nothing in the core depends on xlwings.
    """
    from xlbridge.excel.ribbon import validate_active_book

    validate_active_book()
