"""The Chinese labels staff see, in the pages and in the API's answers."""

from __future__ import annotations

from typing import Literal

from hotline.taxonomy import Taxonomy, load_taxonomy
from hotline.web.extensions import settings
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
# The statuses the follow-up desk lists voicemails without a number by, with their labels (the
# same codes in the same order; tests/hotline/test_vocabularies.py checks that they agree).
DeskVoicemailStatus = Literal["pending", "done"]
VOICEMAIL_STATUS_LABELS = {"pending": "待处理", "done": "已处理"}


def taxonomy() -> Taxonomy:
    """The deployment's services, groups and topics."""
    return load_taxonomy(settings().config_dir)


def regions() -> RegionDirectory:
    """The deployment's regions."""
    return load_regions(settings().config_dir)


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
    # No clamp at 0, as the pages had it: a stored duration is never negative (Twilio's are kept
    # only when all digits, waits and talks come from seconds_between, which clamps).
    minutes, rest = divmod(int(seconds), 60)
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
