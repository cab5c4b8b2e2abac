"""What the 汇总's 整改 sheet, the 通报 and the 催报 are "as of": items replayed from their history
to a day, on a real store (timeline.py)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from ledger_fixtures import UNIT
from ws_fixtures import clean_environment, make_workspace  # noqa: F401

from xlbridge.service import store as service_store
from xlbridge.supervision import items as I
from xlbridge.supervision import store
from xlbridge.supervision.timeline import items_on, month_day, quarter_day


def test_the_day_a_month_or_a_quarter_is_as_of() -> None:
    assert month_day("2021-06", 1) == date(2021, 6, 30)  # ledgers due before 1 July: June's last day
    assert month_day("2021-06", 5) == date(2021, 7, 4)
    assert month_day("2021-12", 10) == date(2022, 1, 9)
    assert quarter_day(["2021-04", "2021-05", "2021-06"]) == date(2021, 6, 30)
    today = date.today()
    later = f"{today.year + 1}-{today.month:02d}"
    assert month_day(later, 1) == today and quarter_day([later]) == today  # never past today


def test_items_are_replayed_to_the_day(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", campaign=2021, expected_units=[UNIT])
    db = store.ensure_tables(service_store.open_store(ws.store))
    try:
        def new(problem: str, due: str, at: str, round_: str | None = None) -> dict:
            item_id = I.add_item(db, system_id="puyang-2020", campaign=2021, unit=UNIT, indicator_key="9",
                                 problem=problem, requirement="r", due=due, by="李检查", round_=round_, at=at)
            return dict(db["rectification_items"].get(item_id))

        closed = new("后来销号又重开", "2021-07-31", "2021-06-21T09:00:00")
        I.change(db, closed, I.CLOSED, by="李检查", note="销号", source="cli", at="2021-08-21T09:00:00")
        I.change(db, closed, I.OPEN, by="李检查", note="重新打开", source="cli", at="2021-10-05T09:00:00")
        new("逾期未答", "2021-07-10", "2021-06-21T09:00:00")
        new("十月才提出", "2021-12-31", "2021-10-02T09:00:00")
        new("六月轮次、七月检查", "2021-08-31", "2021-07-03T09:00:00", round_="2021-06")

        def on(day: date, rounds_to: str | None = None) -> list[tuple[str, str]]:
            return [(i["problem"], i["status"]) for i in items_on(db, "puyang-2020", day, 2021, rounds_to=rounds_to)]

        assert on(date(2021, 6, 30)) == [("后来销号又重开", "待整改"), ("逾期未答", "待整改")]
        # the June round, carried out in July, counts for June as found
        assert on(date(2021, 6, 30), rounds_to="2021-06")[-1] == ("六月轮次、七月检查", "待整改")
        assert on(date(2021, 8, 31)) == [("后来销号又重开", "已销号"), ("逾期未答", "逾期"), ("六月轮次、七月检查", "待整改")]
        assert on(date(2021, 10, 31)) == [("后来销号又重开", "逾期"), ("逾期未答", "逾期"), ("十月才提出", "待整改"),
                                          ("六月轮次、七月检查", "逾期")]
        # a change on the day counts by its end; one the day after does not
        assert on(date(2021, 8, 21))[0] == ("后来销号又重开", "已销号")
        assert on(date(2021, 8, 21) - timedelta(days=1))[0] == ("后来销号又重开", "逾期")
        # an overdue mark recorded late never dates before the item's last change
        assert I.mark_overdue(db, "puyang-2020", date(2021, 9, 1)) == 3
        marked = db.execute("SELECT item_id, at FROM rectification_history WHERE new_status = '逾期' ORDER BY item_id")
        assert marked.fetchall() == [(1, "2021-10-05T09:00:00"), (2, "2021-09-01T00:00:00"), (4, "2021-09-01T00:00:00")]
    finally:
        db.close()
