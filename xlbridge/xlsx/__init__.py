"""Workbooks the system owns and reads: owned-workbook styles and atomic writes, streamed rows,
zip safety for untrusted files. Knows nothing of ledgers or the store."""
