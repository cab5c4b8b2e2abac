"""The daemon's log: one line per event, in Chinese, as text or as JSON lines.

Each event is logged once, on the ``xlbridge`` logger, with its kind and fields attached
(:func:`event`); :func:`configure` gives that logger one handler of its own and stops it at
the root, so no line is printed twice whatever else configures logging.

Text: ``2021-06-03 09:15:02 信息 已接收 司法鉴定管理科_6.xlsx（司法鉴定管理科）``.
JSON: ``{"time": "2021-06-03T09:15:02", "level": "info", "event": "accepted", "message": "…",
"file": "司法鉴定管理科_6.xlsx", "unit": "司法鉴定管理科"}`` — keys and event names are stable.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from typing import IO, Any

from xlbridge.errors import describe

LOGGER = "xlbridge"
FORMATS = ("text", "json")
LEVELS = {"DEBUG": "调试", "INFO": "信息", "WARNING": "警告", "ERROR": "错误", "CRITICAL": "严重"}

# Event kind → what it means (README "The daemon's log").
EVENTS = {
    "watching": "开始监视收件箱",
    "stopped": "已停止",
    "received": "收到文件",
    "waiting": "文件尚不完整，等待",
    "retry": "再次处理先前失败的文件",
    "accepted": "已接收",
    "rejected": "已退回",
    "duplicate": "重复报送",
    "refused": "不是普通文件（符号链接、管道、设备等），未读取",
    "receipt": "已写回执",
    "consolidated": "已重写汇总表",
    "next_ledger": "已生成下月预填台账",
    "temp_removed": "已删除残留的临时文件",
    "postponed": "推迟（稍后重试）",
    "error": "处理失败",
    "disk_full": "磁盘空间已满或将满",
    "quarantined": "读取时处理进程两次异常终止，已拒收并移出收件箱",
}


def event(kind: str, **fields: Any) -> dict[str, Any]:
    """``log.info(message, *args, **event("accepted", file=..., unit=...))``."""
    assert kind in EVENTS, kind
    return {"extra": {"event": kind, "fields": {k: _plain(v) for k, v in fields.items()}}}


def _plain(value: Any) -> Any:
    """A field as JSON holds it: numbers stay numbers, paths become their text, errors their
    Chinese description (the system's ``[Errno 13] Permission denied`` is English)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return describe(value) if isinstance(value, BaseException) else str(value)


def _in_chinese(record: logging.LogRecord) -> logging.LogRecord:
    """An error handed to a message (``log.warning("…：%s", exc)``) is printed as :func:`describe` words it."""
    if isinstance(record.args, tuple) and any(isinstance(a, BaseException) for a in record.args):
        record.args = tuple(describe(a) if isinstance(a, BaseException) else a for a in record.args)
    return record


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(level_zh)s %(message)s", "%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        record.level_zh = LEVELS.get(record.levelname, record.levelname)
        return super().format(_in_chinese(record))

    def formatException(self, ei: Any) -> str:
        return _indented(super().formatException(ei))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created).isoformat(timespec="seconds"),
                "level": record.levelname.lower(), "event": getattr(record, "event", None),
                "message": _in_chinese(record).getMessage(), **getattr(record, "fields", {})}
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def _indented(text: str) -> str:
    """A traceback under its event, each line indented: the event stays one line to grep for."""
    return "\n".join("    " + line for line in text.splitlines())


def configure(fmt: str = "text", verbose: bool = False, stream: IO[str] | None = None) -> logging.Logger:
    """The ``xlbridge`` logger with one handler (stderr), not propagated to the root. ``verbose``
    also shows the debug lines of the libraries underneath (watchfiles), through the root."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    logger = logging.getLogger(LOGGER)
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
    if verbose:
        logging.basicConfig(level=logging.DEBUG, handlers=[handler], force=True)
    return logger
