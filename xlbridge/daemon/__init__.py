"""The sync daemon (xlbridge.daemon, not a top-level `daemon` package: that name belongs to
python-daemon on PyPI)."""
