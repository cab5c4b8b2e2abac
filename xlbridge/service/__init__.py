"""The coordination group's side: workspace, intake (prepare, workers, ingest), the store,
receipts, consolidation and the daemon loop."""
