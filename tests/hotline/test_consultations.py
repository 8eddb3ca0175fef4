"""Case numbers (by Asia/Shanghai day, unique under concurrency) and the masking of event data."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import select

from hotline.consultations import format_case_number, next_case_number
from hotline.models import CaseNumberCounter
from hotline.supervision.call_log import mask_text, scrub


def test_the_day_is_the_shanghai_day(db_session):
    late_utc = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)  # 01:30 on the 28th in Shanghai
    assert next_case_number(db_session, late_utc) == "HL12348-20261128-000001"
    assert next_case_number(db_session, late_utc) == "HL12348-20261128-000002"
    early_utc = datetime(2026, 11, 27, 15, 59, tzinfo=UTC)  # 23:59 on the 27th
    assert next_case_number(db_session, early_utc) == "HL12348-20261127-000001"
    db_session.commit()
    days = db_session.scalars(select(CaseNumberCounter.day).order_by(CaseNumberCounter.day)).all()
    assert [d.isoformat() for d in days] == ["2026-11-27", "2026-11-28"]


def test_a_rolled_back_number_is_given_again(db_session):
    now = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    assert next_case_number(db_session, now).endswith("000001")
    db_session.rollback()
    assert next_case_number(db_session, now).endswith("000001")


def test_concurrent_transactions_never_share_a_number(runtime):
    now = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def take(count: int) -> None:
        try:
            start.wait()
            for _ in range(count):
                with runtime.session() as session:
                    number = next_case_number(session, now)
                    session.commit()
                with lock:
                    numbers.append(number)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=take, args=(10,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(numbers) == [format_case_number(now, value) for value in range(1, 61)]


def test_phone_numbers_in_event_data_are_masked():
    assert mask_text("请回拨13812345678谢谢") == "请回拨138****5678谢谢"
    assert mask_text("+8613812345678") == "138****5678"
    assert mask_text("座机045112345678") == "座机045*****5678"
    # Call SIDs and short numbers are left alone.
    sid = "CA0123456789abcdef0123456789abcdef"
    assert mask_text(sid) == sid
    assert mask_text("按1键，等待32秒") == "按1键，等待32秒"
    case_number = "case_number=HL12348-20261128-000001"
    assert mask_text(case_number) == case_number
    assert mask_text("2026-11-28T05:13:23.123456+08:00") == "2026-11-28T05:13:23.123456+08:00"
    assert mask_text("local=20261128051323") == "local=20261128051323"
    assert scrub({"a": ["13812345678", 5, None], "b": {"c": "x13812345678"}}) == {
        "a": ["138****5678", 5, None],
        "b": {"c": "x13812345678"},
    }
