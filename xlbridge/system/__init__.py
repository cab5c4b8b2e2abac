"""Indicator systems (指标体系): the model, schema files, table import, responsibility cells,
quantitative targets and summaries. Everything else reads a system; nothing here reads a ledger."""
