"""How calls and consultations are shown: Chinese labels and the JSON shapes of the API.

Every phone number leaves here masked; the full number is only given by the audited reveal.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.consultations import DISPOSITIONS
from hotline.models import Agent, Call, Caller, Consultation, User
from hotline.phones import mask
from hotline.supervision.call_log import TimelineEntry
from hotline.taxonomy import Taxonomy, load_taxonomy
from hotline.times import format_local
from routing.regions import PROVINCE, RegionDirectory, load_regions

ROLE_LABELS = {
    "lawyer": "律师",
    "mediator": "调解员",
    "legal_aid": "法律援助专员",
    "supervisor": "值班主任",
    "admin": "系统管理员",
}
AGENT_STATUS_LABELS = {"available": "示闲", "break": "小休", "offline": "离线"}
STAGE_LABELS = {
    "ivr": "语音导航",
    "queued": "排队中",
    "ringing": "振铃中",
    "talking": "通话中",
    "wrap_up": "话后整理",
    "survey": "满意度评价",
    "voicemail": "留言",
    "ended": "已结束",
}
OUTCOME_LABELS = {
    "answered": "已接听",
    "abandoned": "排队中放弃",
    "ivr_hangup": "语音导航中挂机",
    "voicemail": "已留言",
    "callback_requested": "已登记回拨",
    "busy": "占线",
    "no_answer": "无人接听",
    "failed": "呼叫失败",
    "canceled": "已取消",
    "ended": "已结束",
    "agent_unreachable": "坐席未接通",
}
EVENT_LABELS = {
    "incoming": "来电接入",
    "ivr_start": "语音导航开始",
    "ivr": "语音导航",
    "ivr_state_lost": "语音导航状态丢失",
    "ivr_unknown_node": "语音导航节点错误",
    "ivr_too_many_steps": "语音导航步骤过多",
    "missed": "坐席未接",
    "requeued": "重新排队",
    "offer_failed": "分配失败",
    "offer_cancelled": "分配取消",
    "caller_hangup": "来电人挂机",
    "caller_hung_up": "来电人挂机",
    "talk_ended": "通话结束",
    "wrap_up_done": "话后整理完成",
    "voicemail_offered": "提示留言",
    "voicemail_recorded": "已录制留言",
    "voicemail_empty": "留言为空",
    "incoming_retry": "来电重试",
    "status": "通话状态",
    "enqueued": "进入排队",
    "queue_left": "离开队列",
    "offered": "分配坐席",
    "offer": "分配坐席",
    "ringing": "坐席振铃",
    "answered": "坐席接听",
    "agent_answered": "坐席接听",
    "no_answer": "坐席未接",
    "agent_no_answer": "坐席未接",
    "overflow": "溢出至邻近地区",
    "talking": "通话开始",
    "wrap_up": "话后整理",
    "hangup": "挂机",
    "consultation_saved": "咨询记录已保存",
    "survey": "满意度评价",
    "ivr_survey": "语音满意度评价",
    "sms_outbound": "发送短信",
    "sms_inbound": "收到短信",
    "voicemail": "留言",
    "callback_requested": "登记回拨",
    "moved": "值班主任转移队列",
    "callback_dialing": "回拨呼出",
    "callback_answered": "回拨接通来电人",
    "callback_agent_dialed": "回拨转接坐席",
    "callback_attempt_ended": "回拨结束（未收到状态）",
    "callback_agent_answered": "回拨坐席接听",
}
WORK_ITEM_SOURCE_LABELS = {
    "voicemail": "留言",
    "queue": "预约回电",
    "after_hours": "预约回电",
    "ivr": "预约回电",
}
WORK_ITEM_STATUS_LABELS = {
    "pending": "待回拨",
    "assigned": "已分配",
    "in_progress": "回拨中",
    "done": "已完成",
    "unreachable": "无法联系",
    "cancelled": "已取消",
}
CALLBACK_OUTCOME_LABELS = {
    "dialing": "呼叫中",
    "connected": "已接通",
    "no_answer": "无人接听",
    "busy": "占线",
    "failed": "呼叫失败",
    "canceled": "来电人未等到接通",
    "agent_unreachable": "坐席未接通",
}
RETURN_VISIT_STATUS_LABELS = {
    "open": "待回访",
    "done": "已回访",
    "unreachable": "无法联系",
    "cancelled": "已取消",
}
RATING_LABELS = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}
MESSAGE_KIND_LABELS = {
    "followup": "咨询回执",
    "survey": "满意度调查",
    "survey_thanks": "评价感谢",
    "reply_help": "回复说明",
    "optout_confirm": "退订确认",
    "callback_notice": "回电通知",
    "reply": "人工回复",
}
SERVICE_EXTRA_LABELS = {"operator": "人工服务"}


def taxonomy() -> Taxonomy:
    """The deployment's services, groups and topics."""
    return load_taxonomy(current_app.config["HOTLINE_SETTINGS"].config_dir)


def regions() -> RegionDirectory:
    """The deployment's regions."""
    return load_regions(current_app.config["HOTLINE_SETTINGS"].config_dir)


def service_label(code: str | None) -> str:
    """法律咨询 for consultation, and so on."""
    if not code:
        return ""
    names = {service.code: service.name for service in taxonomy().services}
    return names.get(code) or SERVICE_EXTRA_LABELS.get(code, code)


def work_item_source_label(source: str | None) -> str:
    """What a work item came from: 留言 (a voicemail) or 预约回电 (a call-back request)."""
    return WORK_ITEM_SOURCE_LABELS.get(source or "", "预约回电")


def duration_label(seconds: int | None) -> str:
    """45秒, 2分05秒; — when unknown."""
    if seconds is None:
        return "—"
    minutes, rest = divmod(max(0, int(seconds)), 60)
    return f"{minutes}分{rest:02d}秒" if minutes else f"{rest}秒"


def region_label(code: str | None) -> str:
    """哈尔滨 for harbin; 全省 for the province pool."""
    if not code:
        return ""
    if code == PROVINCE:
        return "全省"
    region = regions().get(code)
    return region.name if region else code


def group_label(digit: str | None) -> str:
    """The routing group's name for its digit."""
    if not digit:
        return ""
    group = next((g for g in taxonomy().groups if g.digit == digit), None)
    return group.name if group else digit


def iso(moment: datetime | None) -> str | None:
    """An instant as ISO 8601 in UTC (None stays None)."""
    return moment.isoformat() if moment else None


def agent_names(session: Session, agent_ids: Iterable[int | None]) -> dict[int, User]:
    """The User of each agent id given."""
    ids = {agent_id for agent_id in agent_ids if agent_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Agent.id, User).join(User).where(Agent.id.in_(ids)))
    return {agent_id: user for agent_id, user in rows}


def caller_phones(session: Session, caller_ids: Iterable[int | None]) -> dict[int, str]:
    """The stored (full) number of each caller id given: mask before showing."""
    ids = {caller_id for caller_id in caller_ids if caller_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Caller.id, Caller.phone).where(Caller.id.in_(ids))).all())


def consultation_json(
    consultation: Consultation,
    call: Call | None,
    agent: User | None,
    caller_phone: str | None,
) -> dict[str, Any]:
    """The API shape of a consultation (the caller's number masked)."""
    group = taxonomy().group_of(consultation.topic)
    return {
        "case_number": consultation.case_number,
        "call_sid": call.call_sid if call else None,
        "service": consultation.service,
        "topic": consultation.topic,
        "group": group.digit if group else None,
        "summary": consultation.summary,
        "disposition": consultation.disposition,
        "disposition_label": DISPOSITIONS.get(consultation.disposition, consultation.disposition),
        "referral_office": consultation.referral_office,
        "follow_up_needed": consultation.follow_up_needed,
        "agent": agent.username if agent else None,
        "agent_name": (agent.display_name or agent.username) if agent else None,
        "caller": mask(caller_phone),
        "created_at": iso(consultation.created_at),
        "created_at_local": format_local(consultation.created_at),
    }


def consultations_json(session: Session, rows: list[Consultation]) -> list[dict[str, Any]]:
    """consultation_json for many rows with three queries in all."""
    calls = {
        call.id: call
        for call in session.scalars(
            select(Call).where(Call.id.in_({c.call_id for c in rows if c.call_id}))
        )
    }
    agents = agent_names(session, (c.agent_id for c in rows))
    phones = caller_phones(session, (c.caller_id for c in rows))
    return [
        consultation_json(
            c,
            calls.get(c.call_id) if c.call_id else None,
            agents.get(c.agent_id) if c.agent_id else None,
            phones.get(c.caller_id) if c.caller_id else None,
        )
        for c in rows
    ]


def call_summary_json(
    call: Call, agent: User | None, caller_phone: str | None, case_number: str | None
) -> dict[str, Any]:
    """One row of the call log (the caller's number masked)."""
    return {
        "call_sid": call.call_sid,
        "started_at": iso(call.started_at),
        "started_at_local": format_local(call.started_at, "%Y-%m-%d %H:%M:%S"),
        "caller": mask(caller_phone or call.from_number),
        "service": call.service,
        "topic": call.topic,
        "group": call.group,
        "region": call.region,
        "priority": call.priority,
        "repeat_caller": call.repeat_caller,
        "stage": call.stage,
        "outcome": call.outcome,
        "hangup_stage": call.hangup_stage,
        "agent": agent.username if agent else None,
        "agent_name": (agent.display_name or agent.username) if agent else None,
        "wait_seconds": call.wait_seconds,
        "talk_seconds": call.talk_seconds,
        "case_number": case_number,
    }


def timeline_json(entries: list[TimelineEntry]) -> list[dict[str, Any]]:
    """The API shape of a call's timeline."""
    return [
        {
            "at": iso(entry.at),
            "at_local": format_local(entry.at, "%Y-%m-%d %H:%M:%S"),
            "kind": entry.kind,
            "label": EVENT_LABELS.get(entry.kind, entry.kind),
            "source": entry.source,
            "data": entry.data,
        }
        for entry in entries
    ]
