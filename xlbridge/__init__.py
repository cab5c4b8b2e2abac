"""xlbridge: rule-of-law assessment ledgers kept in Excel, checked and consolidated centrally."""

__version__ = "0.1.0"


def main() -> None:
    """Entry point of the Excel ribbon button: the add-in calls ``import xlbridge; xlbridge.main()``.

    Imported lazily so that nothing in the core depends on xlwings.
    """
    from xlbridge.excel.ribbon import validate_active_book

    validate_active_book()
