"""Arranging staff, calls and logins for the console, consultation and call-log tests."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import clock
from hotline.calls import add_event, get_or_create_call
from hotline.models import Agent, Call, User
from hotline.passwords import hash_password
from hotline.staff import create_user

PASSWORD = "correct-horse-battery"
CALLER = "+8613812345678"
CALLER_DIGITS = "13812345678"
CALLER_MASKED = "138****5678"
ALL_SKILLS = ["consultation", "legal_aid", "mediation", "notary_forensic", "complaint"] + [
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "9",
]


@functools.cache
def password_hash() -> str:
    """One argon2 hash of PASSWORD for every test user (hashing is slow on purpose)."""
    return hash_password(PASSWORD)


@dataclass(frozen=True)
class Staff:
    """Two lawyers (one answering in the browser), a mediator and a supervisor."""

    wang: User  # lawyer, client:wang, harbin
    li: User  # lawyer, phone contact, harbin
    zhao: User  # mediator, client:zhao, qiqihar
    chen: User  # supervisor

    def agent(self, session: Session, user: User) -> Agent:
        """The Agent row of one of the agents (the read transaction is ended)."""
        agent = session.scalars(select(Agent).where(Agent.user_id == user.id)).one()
        session.commit()
        return agent


def make_staff(session: Session) -> Staff:
    """Create the test staff and commit."""

    def user(name: str, role: str, **kwargs) -> User:
        return create_user(session, name, role, PASSWORD, password_hash=password_hash(), **kwargs)

    staff = Staff(
        wang=user(
            "wang",
            "lawyer",
            region="harbin",
            skills=ALL_SKILLS,
            contact="client:wang",
            display_name="王律师",
        ),
        li=user(
            "li",
            "lawyer",
            region="harbin",
            skills=ALL_SKILLS,
            contact="+8613900001111",
            display_name="李律师",
        ),
        zhao=user(
            "zhao",
            "mediator",
            region="qiqihar",
            skills=ALL_SKILLS,
            contact="client:zhao",
            display_name="赵调解员",
        ),
        chen=user("chen", "supervisor", display_name="陈主任"),
    )
    session.commit()
    return staff


_sequence = iter(range(1, 10**9))


def call_sid() -> str:
    """A fresh, Twilio-shaped CallSid."""
    return "CA" + f"{next(_sequence):032x}"


def make_call(
    session: Session,
    agent: Agent | None,
    *,
    phone: str = CALLER,
    stage: str = "talking",
    service: str = "consultation",
    topic: str = "劳动纠纷",
    group: str = "2",
    region: str = "harbin",
    priority: int = 0,
    sid: str | None = None,
) -> Call:
    """A call that went through the IVR and the queue to `agent` (committed)."""
    # End any read transaction first: on SQLite a stale snapshot cannot start writing.
    session.commit()
    now = clock.now()
    call, _ = get_or_create_call(session, sid or call_sid(), phone, "+8645112348")
    call.started_at = now - timedelta(seconds=90)
    add_event(session, call, "incoming", From=phone)
    add_event(session, call, "enqueued", service=service, group=group, topic=topic, region=region)
    call.service, call.topic, call.group, call.region = service, topic, group, region
    call.priority = priority
    call.queued_at = now - timedelta(seconds=60)
    call.stage = stage
    if agent is not None:
        call.agent_id = agent.id
        add_event(session, call, "offered", agent_id=agent.id)
        if stage in ("talking", "wrap_up", "ended"):
            call.answered_at = now - timedelta(seconds=30)
            call.wait_seconds = 30
            add_event(session, call, "answered", agent_id=agent.id)
    session.commit()
    return call


def bearer(client, username: str) -> dict[str, str]:
    """Authorization headers of a fresh API token for the user."""
    response = client.post("/api/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of a rendered page."""
    match = _CSRF_META.search(html) or _CSRF_FIELD.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def page_login(client, username: str) -> str:
    """Log the test client in through /login; return the CSRF token of its session."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    # Logging in starts a new session, and with it a new CSRF token.
    return csrf_from(client.get("/consultations").get_data(as_text=True))


def consultation_body(call: Call, **changes) -> dict:
    """A valid POST /api/consultations body for the call."""
    body = {
        "call_sid": call.call_sid,
        "topic": "劳动纠纷",
        "summary": "用人单位拖欠三个月工资，已告知可向劳动监察大队投诉或申请劳动仲裁。",
        "disposition": "legal_aid",
        "referral_office": "哈尔滨市法律援助中心",
        "follow_up_needed": True,
    }
    body.update(changes)
    return body
