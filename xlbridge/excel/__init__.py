"""The Excel edge: the custom ribbon add-in (built from xlwings' own add-in template) and the
thin xlwings adapter behind its 校验 button. Nothing in the core imports this package."""
