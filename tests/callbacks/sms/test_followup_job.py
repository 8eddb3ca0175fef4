"""The follow-up SMS job: queued only after the consultation commits, sent once, retried."""

from __future__ import annotations

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import func, select

from callbacks.sms.followup_text import load_sms_templates, render_followup
from callbacks.sms.jobs import (
    enqueue_followup,
    followup_job_id,
    send_followup,
    send_message,
)
from callbacks.sms.review import failed_messages
from callbacks.sms.segments import segment_count
from hotline.after_commit import after_commit, pending
from hotline.config_files import ConfigFileError
from hotline.models import Consultation, Message
from routing.regions import load_regions
from tests.callbacks.sms.sms_support import release_scheduled, scheduled_ids, sms_requests
from tests.callbacks.sms.sms_support import work as work_queue
from tests.console_support import CALLER, bearer, consultation_body, make_call, make_staff


@pytest.fixture
def staff(db_session):
    return make_staff(db_session)


def save(client, db_session, staff, **changes) -> Consultation:
    call = make_call(db_session, staff.agent(db_session, staff.wang), **changes.pop("call", {}))
    response = client.post(
        "/api/consultations",
        json=consultation_body(call, **changes),
        headers=bearer(client, "wang"),
    )
    assert response.status_code == 201, response.get_json()
    db_session.rollback()
    return db_session.scalars(
        select(Consultation).where(Consultation.case_number == response.get_json()["case_number"])
    ).one()


def work(runtime) -> None:
    work_queue(runtime.redis)


def the_message(db_session) -> Message:
    db_session.rollback()
    db_session.expire_all()
    return db_session.scalars(select(Message)).one()


def test_saving_queues_the_job_and_a_burst_worker_sends_the_sms(
    client, db_session, staff, jobs_runtime, fake_twilio, sms_clock
):
    consultation = save(client, db_session, staff)
    queue = Queue("default", connection=jobs_runtime.redis)
    assert queue.job_ids == [followup_job_id(consultation.id)]
    job = queue.fetch_job(followup_job_id(consultation.id))
    assert job.retries_left == 3 and job.retry_intervals == [10, 60, 300]

    work(jobs_runtime)

    (sent,) = sms_requests(fake_twilio)
    assert sent.form["To"] == CALLER
    assert sent.form["From"] == jobs_runtime.settings.hotline_number
    assert sent.form["StatusCallback"] == "http://localhost/sms/status"
    body = sent.form["Body"]
    assert consultation.case_number in body
    assert "哈尔滨市法律援助中心" in body and "0451-12348" in body
    message = the_message(db_session)
    assert message.idempotency_key == f"followup:{consultation.id}"
    assert message.status == "queued" and message.twilio_sid in fake_twilio.messages
    assert message.consultation_id == consultation.id and message.call_id == consultation.call_id
    assert message.body == body and message.attempts == 1
    assert message.segments == segment_count(body) == 2
    assert message.sent_at == sms_clock.now and message.scheduled_for == sms_clock.now
    assert Job.fetch(followup_job_id(consultation.id), connection=jobs_runtime.redis).is_finished
    assert Job.fetch(f"sms-{message.id}", connection=jobs_runtime.redis).is_finished


def test_running_the_job_again_sends_nothing_more(
    client, db_session, staff, jobs_runtime, fake_twilio, sms_clock
):
    consultation = save(client, db_session, staff)
    work(jobs_runtime)
    first = send_followup(consultation.id)
    enqueue_followup(jobs_runtime.redis, consultation.id)
    work(jobs_runtime)
    assert first is not None and first == send_followup(consultation.id)
    assert send_message(first) == the_message(db_session).twilio_sid
    assert len(sms_requests(fake_twilio)) == 1
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Message)) == 1


def test_the_job_is_queued_only_after_the_commit(jobs_runtime, db_session):
    queue = Queue("default", connection=jobs_runtime.redis)
    after_commit(db_session, enqueue_followup, jobs_runtime.redis, 4242)
    db_session.flush()
    assert queue.count == 0 and pending(db_session) == 1
    db_session.commit()
    assert queue.job_ids == [followup_job_id(4242)]
    assert pending(db_session) == 0


def test_a_rolled_back_save_queues_nothing(jobs_runtime, db_session):
    queue = Queue("default", connection=jobs_runtime.redis)
    after_commit(db_session, enqueue_followup, jobs_runtime.redis, 4243)
    db_session.rollback()
    db_session.commit()  # a later commit does not run the discarded callback
    assert queue.count == 0 and pending(db_session) == 0


def test_a_failed_save_queues_nothing(client, db_session, staff, jobs_runtime):
    call = make_call(db_session, staff.agent(db_session, staff.wang))
    body = consultation_body(call, topic="不存在的类别")
    response = client.post("/api/consultations", json=body, headers=bearer(client, "wang"))
    assert response.status_code == 400
    assert Queue("default", connection=jobs_runtime.redis).count == 0


def test_a_temporary_twilio_error_is_retried_later(
    client, db_session, staff, jobs_runtime, fake_twilio, sms_clock
):
    save(client, db_session, staff)
    fake_twilio.fail_next(status=500, code=20500, message="Internal Server Error")
    work(jobs_runtime)
    message = the_message(db_session)
    job = Job.fetch(f"sms-{message.id}", connection=jobs_runtime.redis)
    assert job.get_status() == JobStatus.SCHEDULED and scheduled_ids(jobs_runtime.redis) == [job.id]
    assert job.retries_left == 4  # five intervals in config/sms.yaml, one used
    assert message.status == "pending" and message.twilio_sid is None
    assert message.error_code == 20500 and message.attempts == 1

    assert release_scheduled(jobs_runtime.redis) == [job.id]  # the backoff has passed
    work(jobs_runtime)
    message = the_message(db_session)
    assert message.status == "queued" and message.twilio_sid in fake_twilio.messages
    assert message.attempts == 2 and message.error_code is None
    assert len(sms_requests(fake_twilio)) == 2
    assert failed_messages(db_session) == []


def test_a_permanent_twilio_error_marks_the_message_failed(
    client, db_session, staff, jobs_runtime, fake_twilio, sms_clock
):
    save(client, db_session, staff)
    fake_twilio.fail_next(status=400, code=21211, message="Invalid 'To' Phone Number")
    work(jobs_runtime)
    message = the_message(db_session)
    assert message.status == "failed" and message.error_code == 21211
    assert "Invalid 'To' Phone Number" in message.error_message
    assert Job.fetch(f"sms-{message.id}", connection=jobs_runtime.redis).is_finished
    assert scheduled_ids(jobs_runtime.redis) == []  # not retried
    assert send_message(message.id) is None
    work(jobs_runtime)
    assert len(sms_requests(fake_twilio)) == 1
    assert [m.id for m in failed_messages(db_session)] == [message.id]


def test_an_unsubscribed_number_is_not_retried_either(
    client, db_session, staff, jobs_runtime, fake_twilio, sms_clock
):
    save(client, db_session, staff)
    fake_twilio.fail_next(status=400, code=21610, message="Attempt to send to unsubscribed")
    work(jobs_runtime)
    release_scheduled(jobs_runtime.redis)
    work(jobs_runtime)
    message = the_message(db_session)
    assert (message.status, message.error_code, message.attempts) == ("failed", 21610, 1)
    assert len(sms_requests(fake_twilio)) == 1


def test_withheld_numbers_get_no_sms(
    client, db_session, staff, jobs_runtime, fake_twilio, sms_clock
):
    consultation = save(client, db_session, staff, call={"phone": "anonymous"})
    work(jobs_runtime)
    assert sms_requests(fake_twilio) == []
    db_session.rollback()
    assert db_session.scalars(select(Message)).all() == []
    assert consultation.id


@pytest.mark.parametrize(
    ("disposition", "region", "referral", "expected"),
    [
        ("legal_aid", "harbin", None, "哈尔滨市法律援助中心（哈尔滨市，电话0451-12348）"),
        ("mediation", "qiqihar", None, "齐齐哈尔市人民调解中心"),
        ("legal_aid", "province", None, "黑龙江省法律援助中心"),
        ("legal_aid", None, None, "黑龙江省法律援助中心"),
        ("court_arbitration", "harbin", None, "有管辖权的人民法院或仲裁机构"),
        ("court_arbitration", "harbin", "道里区人民法院", "向道里区人民法院提起诉讼"),
        ("callback", "harbin", None, "1个工作日内给您回电"),
    ],
)
def test_the_text_names_the_next_step_and_the_office(
    base_settings, disposition, region, referral, expected
):
    text = render_followup(
        load_sms_templates(base_settings.config_dir),
        load_regions(base_settings.config_dir),
        case_number="HL12348-20261127-000123",
        disposition=disposition,
        region_code=region,
        referral_office=referral,
    )
    assert text.startswith("【12348法律服务】")
    assert "HL12348-20261127-000123" in text and expected in text
    assert "{" not in text and len(text) <= 200


def test_the_templates_need_a_next_step_per_disposition(tmp_path, base_settings):
    text = (base_settings.config_dir / "sms_templates.yaml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("  callback:")]
    (tmp_path / "sms_templates.yaml").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ConfigFileError) as caught:
        load_sms_templates(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'sms_templates.yaml'}: "
        "'next_steps' needs a text for each disposition, none for callback"
    )
