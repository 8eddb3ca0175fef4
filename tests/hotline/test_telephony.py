"""The telephony adapter drives the real twilio SDK against the fake Twilio API."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime, timedelta

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.response import Response

from hotline.settings import Settings
from hotline.telephony import (
    BaseUrlHttpClient,
    PermanentTelephonyError,
    RetryableTelephonyError,
    SentSms,
    Telephony,
    TelephonyError,
    UnansweredTelephonyError,
    classify_error,
)
from tests.harness.fake_twilio import FakeTwilio
from tests.harness.fixtures import fake_twilio  # noqa: F401

ACCOUNT_SID = "AC" + "0" * 32
HOTLINE = "+8645112348"
NOON = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
ACCOUNT_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
CALL_SID = "CA" + "a1" * 16
CALLER = "+8613812345678"


def sid_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(prefix + "[0-9a-f]{32}")


@pytest.fixture
def telephony(fake_twilio: FakeTwilio) -> Telephony:  # noqa: F811
    settings = Settings(
        twilio_api_base_url=fake_twilio.base_url,
        twilio_account_sid=ACCOUNT_SID,
        hotline_number="+8645112348",
    )
    return Telephony(settings)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----- the adapter's requests ------------------------------------------------------------------


def test_send_sms_posts_a_message_from_the_hotline_number(telephony, fake_twilio):  # noqa: F811
    sid = telephony.send_sms(
        CALLER, "您的案件编号 HL12348-20261127-000123", "https://h.example/sms/status"
    )

    assert sid_pattern("SM").fullmatch(sid)
    [sent] = fake_twilio.requests
    assert (sent.method, sent.path) == ("POST", f"{ACCOUNT_PATH}/Messages.json")
    assert sent.auth_user == ACCOUNT_SID
    assert sent.form == {
        "To": CALLER,
        "From": "+8645112348",
        "Body": "您的案件编号 HL12348-20261127-000123",
        "StatusCallback": "https://h.example/sms/status",
    }
    assert fake_twilio.messages[sid]["body"] == "您的案件编号 HL12348-20261127-000123"
    assert fake_twilio.messages[sid]["status"] == "sent"  # the fake hands it on at once


def test_send_sms_without_status_callback_leaves_it_out(telephony, fake_twilio):  # noqa: F811
    telephony.send_sms(CALLER, "hello")
    [sent] = fake_twilio.requests_to("/Messages.json")
    assert "StatusCallback" not in sent.form


def test_list_sms_asks_for_one_number_from_the_hotline_since_a_day(telephony, fake_twilio):  # noqa: F811
    fake_twilio.add_message("+8613900000009", HOTLINE, "别人的短信", NOON)  # another number
    fake_twilio.add_message(CALLER, "+8645100000000", "另一号码", NOON)  # from another number
    fake_twilio.add_message(CALLER, HOTLINE, "前一天的短信", NOON - timedelta(days=1))
    ours = fake_twilio.add_message(CALLER, HOTLINE, "请回复1-5", NOON, status="undelivered")

    [found] = telephony.list_sms(CALLER, HOTLINE, NOON.date())

    assert found == SentSms(
        sid=ours,
        to=CALLER,
        from_=HOTLINE,
        body="请回复1-5",
        status="undelivered",
        direction="outbound-api",
        date_created=NOON,
        date_sent=NOON,
        error_code=None,
    )
    [listing] = fake_twilio.requests_to("/Messages.json", "GET")
    assert listing.path == f"{ACCOUNT_PATH}/Messages.json"
    assert listing.query == {
        "To": CALLER,
        "From": HOTLINE,
        "DateSent>": "2026-11-26",
        "PageSize": "100",
    }  # in the URL DateSent>=2026-11-26: sent on or after that GMT day


def test_list_sms_reads_every_page_newest_first(telephony, fake_twilio):  # noqa: F811
    sids = [
        fake_twilio.add_message(CALLER, HOTLINE, f"第{n}条", NOON + timedelta(seconds=n))
        for n in range(230)
    ]

    found = telephony.list_sms(CALLER, HOTLINE, NOON.date())

    assert [sms.sid for sms in found] == sids[::-1]
    pages = fake_twilio.requests_to("/Messages.json", "GET")
    assert [page.query.get("Page") for page in pages] == [None, "1", "2"]
    assert all(page.query["DateSent>"] == "2026-11-26" for page in pages)  # filters kept


def test_list_sms_failure_is_classified(telephony, fake_twilio):  # noqa: F811
    fake_twilio.fail_next(1, status=503, code=20503, message="Service Unavailable")
    with pytest.raises(RetryableTelephonyError) as caught:
        telephony.list_sms(CALLER, HOTLINE, NOON.date())
    assert (caught.value.status, caught.value.outcome_unknown) == (503, False)


def test_a_send_whose_answer_never_comes_is_unanswered_but_carried_out(fake_twilio):  # noqa: F811
    settings = Settings(twilio_api_base_url=fake_twilio.base_url, hotline_number=HOTLINE)
    fake_twilio.answer_late_next(1.0)
    with pytest.raises(UnansweredTelephonyError) as caught:
        Telephony(settings, timeout=0.2).send_sms(CALLER, "您好")
    assert caught.value.outcome_unknown and caught.value.retryable
    [message] = fake_twilio.messages.values()  # Twilio has it, the client cannot know
    assert (message["to"], message["body"]) == (CALLER, "您好")


def test_create_call_posts_to_calls(telephony, fake_twilio):  # noqa: F811
    sid = telephony.create_call(
        "+8613900000001",
        "https://h.example/voice/agent",
        status_callback="https://h.example/voice/status",
        timeout=20,
    )

    assert sid_pattern("CA").fullmatch(sid)
    [sent] = fake_twilio.requests
    assert (sent.method, sent.path) == ("POST", f"{ACCOUNT_PATH}/Calls.json")
    assert sent.form == {
        "To": "+8613900000001",
        "From": "+8645112348",
        "Url": "https://h.example/voice/agent",
        "StatusCallback": "https://h.example/voice/status",
        "Timeout": "20",
    }


def test_create_call_with_another_caller_id(telephony, fake_twilio):  # noqa: F811
    telephony.create_call("client:lawyer7", "https://h.example/voice/agent", from_="+8645100000000")
    [sent] = fake_twilio.requests_to("/Calls.json")
    assert sent.form["From"] == "+8645100000000"
    assert sent.form["To"] == "client:lawyer7"
    assert "Timeout" not in sent.form and "StatusCallback" not in sent.form


def test_update_call_redirects_to_a_url(telephony, fake_twilio):  # noqa: F811
    telephony.update_call(CALL_SID, url="https://h.example/voice/connect?agent=7")
    [sent] = fake_twilio.requests
    assert (sent.method, sent.path) == ("POST", f"{ACCOUNT_PATH}/Calls/{CALL_SID}.json")
    assert sent.form == {"Url": "https://h.example/voice/connect?agent=7", "Method": "POST"}


def test_update_call_with_twiml_and_with_status(telephony, fake_twilio):  # noqa: F811
    telephony.update_call(CALL_SID, twiml="<Response><Say>再见</Say></Response>")
    telephony.update_call(CALL_SID, status="completed")
    twiml_update, hangup = fake_twilio.requests_to(f"/Calls/{CALL_SID}.json")
    assert twiml_update.form == {"Twiml": "<Response><Say>再见</Say></Response>"}
    assert hangup.form == {"Status": "completed"}


def test_update_call_refuses_nonsense_arguments(telephony, fake_twilio):  # noqa: F811
    with pytest.raises(ValueError):
        telephony.update_call(CALL_SID)
    with pytest.raises(ValueError):
        telephony.update_call(CALL_SID, status="in-progress")
    assert fake_twilio.requests == []


def test_update_call_of_an_ended_call_is_permanent(telephony, fake_twilio):  # noqa: F811
    fake_twilio.set_call_status(CALL_SID, "completed")
    with pytest.raises(PermanentTelephonyError) as caught:
        telephony.update_call(CALL_SID, url="https://h.example/voice/connect")
    assert (caught.value.status, caught.value.code) == (400, 21220)


def test_update_queue_member_dequeues_the_front(telephony, fake_twilio):  # noqa: F811
    queue_sid = fake_twilio.add_queue("hl-1-harbin")
    telephony.update_queue_member(queue_sid, "Front", "https://h.example/voice/connect", "GET")
    [sent] = fake_twilio.requests
    assert sent.path == f"{ACCOUNT_PATH}/Queues/{queue_sid}/Members/Front.json"
    assert sent.form == {"Url": "https://h.example/voice/connect", "Method": "GET"}


def test_queue_sid_creates_a_missing_queue_once(telephony, fake_twilio):  # noqa: F811
    sid = telephony.queue_sid("hl-1-harbin")

    assert sid_pattern("QU").fullmatch(sid)
    listing, creation = fake_twilio.requests
    assert (listing.method, listing.path) == ("GET", f"{ACCOUNT_PATH}/Queues.json")
    assert (creation.method, creation.form) == ("POST", {"FriendlyName": "hl-1-harbin"})
    fake_twilio.clear()
    assert telephony.queue_sid("hl-1-harbin") == sid
    assert fake_twilio.requests == []  # cached


def test_queue_sid_finds_an_existing_queue_on_a_later_page(telephony, fake_twilio):  # noqa: F811
    for number in range(150):
        fake_twilio.add_queue(f"other-{number}")
    wanted = fake_twilio.add_queue("hl-5-daqing")

    assert telephony.queue_sid("hl-5-daqing") == wanted
    pages = fake_twilio.requests_to("/Queues.json", method="GET")
    assert [page.query.get("Page") for page in pages] == [None, "1"]
    assert fake_twilio.requests_to("/Queues.json", method="POST") == []


# ----- errors ----------------------------------------------------------------------------------


def test_server_error_is_retryable(telephony, fake_twilio):  # noqa: F811
    fake_twilio.fail_next(1, status=500, code=20500, message="Internal Server Error")
    with pytest.raises(RetryableTelephonyError) as caught:
        telephony.send_sms(CALLER, "hello")
    assert caught.value.status == 500
    assert caught.value.code == 20500
    assert caught.value.retryable is True
    assert len(fake_twilio.requests) == 1  # recorded, and the SDK does not retry on its own
    assert sid_pattern("SM").fullmatch(telephony.send_sms(CALLER, "hello"))


def test_invalid_number_is_permanent(telephony, fake_twilio):  # noqa: F811
    fake_twilio.fail_next(1, status=400, code=21211, message="The 'To' number is not valid.")
    with pytest.raises(PermanentTelephonyError) as caught:
        telephony.create_call("+86123", "https://h.example/voice/agent")
    assert (caught.value.status, caught.value.code) == (400, 21211)
    assert caught.value.retryable is False
    assert "not valid" in caught.value.message


def test_rate_limit_is_retryable(telephony, fake_twilio):  # noqa: F811
    fake_twilio.fail_next(1, status=429, code=20429, message="Too Many Requests")
    with pytest.raises(RetryableTelephonyError) as caught:
        telephony.update_call(CALL_SID, status="completed")
    assert (caught.value.status, caught.value.code) == (429, 20429)


def test_failure_while_listing_queues_is_classified(telephony, fake_twilio):  # noqa: F811
    fake_twilio.fail_next(1, status=503, code=20503, message="Service Unavailable")
    with pytest.raises(RetryableTelephonyError) as caught:
        telephony.queue_sid("hl-1-harbin")
    assert caught.value.status == 503
    assert sid_pattern("QU").fullmatch(telephony.queue_sid("hl-1-harbin"))  # not cached


def test_wrong_auth_token_is_permanent(fake_twilio):  # noqa: F811
    settings = Settings(twilio_api_base_url=fake_twilio.base_url, twilio_auth_token="wrong")
    with pytest.raises(PermanentTelephonyError) as caught:
        Telephony(settings).send_sms(CALLER, "hello")
    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert fake_twilio.messages == {}


def test_connection_refused_is_retryable():
    settings = Settings(twilio_api_base_url=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(RetryableTelephonyError) as caught:
        Telephony(settings).send_sms(CALLER, "hello")
    assert caught.value.status is None
    assert caught.value.outcome_unknown is False  # refused: the request never left
    assert isinstance(caught.value.__cause__, requests.ConnectionError)


def test_a_silent_server_times_out_as_retryable():
    with socket.socket() as listener:  # accepts connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        port = listener.getsockname()[1]
        settings = Settings(twilio_api_base_url=f"http://127.0.0.1:{port}")
        with pytest.raises(RetryableTelephonyError) as caught:
            Telephony(settings, timeout=0.3).create_call(CALLER, "https://h.example/voice/x")
    assert isinstance(caught.value, UnansweredTelephonyError)
    assert caught.value.outcome_unknown is True  # the server may have carried it out
    assert isinstance(caught.value.__cause__, requests.Timeout)


def test_default_request_timeout_is_ten_seconds(telephony):
    assert telephony.http_client.timeout == 10.0


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (400, 21211, False),  # invalid To
        (400, 21610, False),  # unsubscribed recipient
        (400, 21614, False),  # not a mobile number
        (404, 20404, False),
        (401, 20003, False),
        (403, 20005, False),
        (429, 20429, True),
        (500, 20500, True),
        (503, 20503, True),
        (502, None, True),
        (429, None, True),
        (400, None, False),
        (400, 20429, True),  # the code says "too many requests"
    ],
)
def test_classify_rest_errors(status, code, retryable):
    error = classify_error(TwilioRestException(status, "https://api.twilio.com/x", "msg", code))
    assert isinstance(error, RetryableTelephonyError if retryable else PermanentTelephonyError)
    assert (error.status, error.code, error.retryable) == (status, code, retryable)


@pytest.mark.parametrize(
    ("exc", "retryable", "unknown"),
    [
        (requests.ConnectionError("connection reset"), True, True),
        (requests.ConnectTimeout("no connection"), True, False),
        (requests.Timeout("slow"), True, True),
        (requests.exceptions.ReadTimeout("slow"), True, True),
        (requests.exceptions.ChunkedEncodingError("cut"), True, True),
        (ValueError("not JSON"), False, False),
        (
            TwilioException(
                "Unable to fetch page", Response(503, '{"code": 20503, "message": "busy"}')
            ),
            True,
            False,
        ),
        (TwilioException("Unable to fetch page", Response(404, "not json")), False, False),
    ],
)
def test_classify_other_errors(exc, retryable, unknown):
    error = classify_error(exc)
    assert isinstance(error, TelephonyError)
    assert (error.retryable, error.outcome_unknown) == (retryable, unknown)


def test_base_url_client_rewrites_only_the_twilio_api_prefix():
    client = BaseUrlHttpClient("http://127.0.0.1:9999/")
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Queues.json?PageSize=50&Page=1"
    assert client.rewrite_url(url) == (
        "http://127.0.0.1:9999/2010-04-01/Accounts/AC1/Queues.json?PageSize=50&Page=1"
    )
    assert client.rewrite_url("https://api.twilio.com.example/x") == (
        "https://api.twilio.com.example/x"
    )
    assert client.rewrite_url("https://messaging.twilio.com/v1/x") == (
        "https://messaging.twilio.com/v1/x"
    )


# ----- the fake itself ---------------------------------------------------------------------------


def test_fake_answers_twilio_shaped_errors_and_paging(fake_twilio):  # noqa: F811
    url = f"{fake_twilio.base_url}{ACCOUNT_PATH}/Queues.json"
    unauthenticated = requests.get(url, timeout=5)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["code"] == 20003
    assert set(unauthenticated.json()) == {"code", "message", "more_info", "status"}

    fake_twilio.add_queue("a")
    page = requests.get(url, auth=(ACCOUNT_SID, "development-auth-token"), timeout=5).json()
    assert page["queues"][0]["friendly_name"] == "a"
    assert page["next_page_uri"] is None and page["page"] == 0
    assert fake_twilio.requests[0].auth_user is None


def test_fake_lists_messages_by_the_forms_of_date_sent(fake_twilio):  # noqa: F811
    url = f"{fake_twilio.base_url}{ACCOUNT_PATH}/Messages.json"
    days = [NOON + timedelta(days=n) for n in range(3)]  # 26, 27 and 28 November
    sids = [fake_twilio.add_message(CALLER, HOTLINE, "短信", day) for day in days]
    auth = (ACCOUNT_SID, "development-auth-token")

    def listed(**query: str) -> list[str]:
        answer = requests.get(url, params=query, auth=auth, timeout=5)
        assert answer.status_code == 200, answer.text
        return [m["sid"] for m in answer.json()["messages"]]

    assert listed(DateSent="2026-11-27") == [sids[1]]
    assert listed(**{"DateSent<": "2026-11-27"}) == [sids[1], sids[0]]
    assert listed(**{"DateSent>": "2026-11-27"}) == [sids[2], sids[1]]
    assert listed(**{"DateSent>": "2026-11-27", "DateSent<": "2026-11-27"}) == [sids[1]]
    assert listed(DateSent="2026-11-28T23:59:59Z") == [sids[2]]  # the SDK's form: its day
    assert listed(To="+8613900000009") == []
    refused = requests.get(url, params={"DateSent": ">=2026-11-27"}, auth=auth, timeout=5)
    assert (refused.status_code, refused.json()["code"]) == (400, 20001)


def test_fake_lists_a_new_message_as_handed_on(telephony, fake_twilio):  # noqa: F811
    from hotline.clock import ManualClock, using_clock

    with using_clock(ManualClock(NOON)):
        sid = telephony.send_sms(CALLER, "案件编号 HL1")
    [found] = telephony.list_sms(CALLER, HOTLINE, NOON.date())
    assert (found.sid, found.status, found.date_sent) == (sid, "sent", NOON)
