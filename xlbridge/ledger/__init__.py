"""Ledger workbooks: layout (declared once), issued content, signature, writer, reader."""
