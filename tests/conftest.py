"""Only what must happen before any test module imports openpyxl: the same openpyxl writer as
xlbridge itself sets up (xlbridge/__init__.py says why). Fixtures live in *_fixtures.py."""

import os

os.environ.setdefault("OPENPYXL_LXML", "False")
