"""Demo staff and rota for development: about 30 agents across the province's regions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.models import Shift, User
from hotline.passwords import hash_password
from hotline.staff import add_shift, create_user
from hotline.taxonomy import Taxonomy
from hotline.times import SHANGHAI
from routing.regions import PROVINCE, RegionDirectory

DEMO_PASSWORD = "demo-password-12348"
DEMO_DAYS = 7

# (role, services) of the agents placed in each region, in turn.
_AGENT_KINDS = (
    ("lawyer", ["consultation", "complaint"]),
    ("mediator", ["mediation", "consultation"]),
    ("legal_aid", ["legal_aid", "notary_forensic"]),
)
_OFFICE_STAFF = (("admin", "admin", "系统管理员"), ("supervisor", "supervisor", "值班主任"))
_TITLES = {"lawyer": "律师", "mediator": "调解员", "legal_aid": "援助专员"}
_FAMILY_NAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程"


@dataclass
class SeedReport:
    """What the seed created."""

    users: int = 0
    agents: int = 0
    shifts: int = 0


def _day_and_night(day: datetime, night_duty: bool) -> tuple[datetime, datetime]:
    if night_duty:
        start = datetime.combine(day.date(), time(20, 0), SHANGHAI)
        return start, start + timedelta(hours=12)
    start = datetime.combine(day.date(), time(8, 0), SHANGHAI)
    return start, start + timedelta(hours=12)


def seed_demo(
    session: Session, regions: RegionDirectory, taxonomy: Taxonomy, now: datetime
) -> SeedReport:
    """Create the demo supervisor, admin and agents with a week of shifts (idempotent)."""
    report = SeedReport()
    if session.scalar(select(func.count()).select_from(User).where(User.username == "admin")):
        return report
    known = regions.codes() + [PROVINCE]
    # Every demo account shares one password: hash it once, not 32 times.
    shared_hash = hash_password(DEMO_PASSWORD)
    for username, role, name in (
        ("admin", "admin", "系统管理员"),
        ("supervisor", "supervisor", "值班主任"),
    ):
        create_user(
            session, username, role, DEMO_PASSWORD, display_name=name, password_hash=shared_hash
        )
        report.users += 1
    groups = taxonomy.group_digits()
    agent_regions = [r.code for r in regions.regions] * 2 + [PROVINCE] * 4
    today = now.astimezone(SHANGHAI)
    for index, region in enumerate(agent_regions):
        role, services = _AGENT_KINDS[index % len(_AGENT_KINDS)]
        skills = taxonomy.parse_skills("all") if region == PROVINCE else services + groups
        username = f"agent{index + 1:02d}"
        create_user(
            session,
            username,
            role,
            DEMO_PASSWORD,
            region=region,
            skills=skills,
            contact=f"+86139{45100000 + index:08d}" if index % 2 else f"client:{username}",
            display_name=_FAMILY_NAMES[index % len(_FAMILY_NAMES)] + _TITLES[role],
            known_regions=known,
            password_hash=shared_hash,
        )
        session.flush()
        report.users += 1
        report.agents += 1
        # The first agent of each region works days, the second nights; the pool alternates.
        night_duty = index % 2 == 1 if region == PROVINCE else index >= len(regions.regions)
        for offset in range(-1, DEMO_DAYS):
            start, end = _day_and_night(today + timedelta(days=offset), night_duty)
            add_shift(session, username, start, end, region, known)
            report.shifts += 1
    session.flush()
    report.shifts = session.scalar(select(func.count()).select_from(Shift)) or 0
    return report
