"""Node kinds where the IVR ends: queue, voicemail, call-back request, transfer, hang-up."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from callbacks.work_items.items import VOICEMAIL_SOURCE, Need, open_work_item
from hotline.models import Voicemail
from hotline.phones import ANONYMOUS
from ivr_flows.inputs import clean_token, clean_url
from ivr_flows.nodes import Kind
from ivr_flows.resources import OPERATOR_SERVICE
from ivr_flows.schema import Node
from ivr_flows.turn import Turn
from routing.handoff import QueueRequest, enqueue
from routing.regions import PROVINCE

OPERATOR_GROUP = "9"


def queue_request(turn: Turn, node: Node) -> QueueRequest:
    """What the caller needs, from the node's fixed values, else the flow variables."""
    variables = turn.vars
    taxonomy = turn.resources.taxonomy
    service = node.get("service") or variables.get("service") or OPERATOR_SERVICE
    group = node.get("group") or variables.get("group") or OPERATOR_GROUP
    topic = node.get("topic") or variables.get("topic") or taxonomy.default_topic
    region = node.get("region") or variables.get("region") or PROVINCE
    priority = max(int(node.get("priority", 0)), int(variables.get("priority") or 0))
    return QueueRequest(
        service=str(service), group=str(group), topic=str(topic), region=str(region),
        priority=priority,
    )  # fmt: skip


def need(turn: Turn) -> Need:
    """What the caller told the IVR so far (a call-back or voicemail work item copies it)."""
    variables = turn.vars
    return Need(
        region=variables.get("region"),
        service=variables.get("service"),
        group=variables.get("group"),
        topic=variables.get("topic"),
        priority=int(variables.get("priority") or 0),
    )


class Enqueue(Kind):
    """Hand the call to routing and put it in its region's Twilio queue."""

    def enter(self, turn: Turn, node: Node) -> str | None:
        request = queue_request(turn, node)
        placement = enqueue(turn.session, turn.redis, turn.call, request, now=turn.now)
        turn.say(node.get("prompt"))
        turn.answer.enqueue(placement.queue_name, placement.wait_url, placement.action_url)
        turn.event(
            node, "enqueued", queue=placement.queue_name, service=request.service,
            group=request.group, topic=request.topic, region=request.region,
            priority=request.priority, repeat_caller=bool(turn.call.repeat_caller),
        )  # fmt: skip
        return None


class VoicemailNode(Kind):
    """Record a message (with a length limit); the recording becomes a pending Voicemail."""

    def enter(self, turn: Turn, node: Node) -> str | None:
        turn.call.stage = "voicemail"
        turn.say(node["prompt"])
        turn.answer.record(
            node.id, node["max_length"], goodbye=turn.text(node["no_recording_prompt"])
        )
        turn.event(node, "recording", max_length=node["max_length"])
        return None

    def on_recorded(self, turn: Turn, node: Node, params: Mapping[str, str]) -> str | None:
        url = clean_url(params.get("RecordingUrl"))
        sid = clean_token(params.get("RecordingSid")) or None
        duration = clean_token(params.get("RecordingDuration"), 6)
        if url:
            voicemail = None
            if sid is not None:
                voicemail = turn.session.scalars(
                    select(Voicemail).where(Voicemail.recording_sid == sid)
                ).one_or_none()
            if voicemail is None:
                voicemail = Voicemail(
                    call_id=turn.call.id,
                    caller_id=turn.call.caller_id,
                    region=turn.vars.get("region"),
                    service=turn.vars.get("service"),
                    group=turn.vars.get("group"),
                    recording_url=url,
                    recording_sid=sid,
                    duration_seconds=int(duration) if duration.isdigit() else None,
                    status="pending",
                )
                turn.session.add(voicemail)
                turn.session.flush()
            open_work_item(
                turn.session, turn.call, VOICEMAIL_SOURCE, turn.now, need(turn), voicemail
            )
            turn.call.recording_url = url
            turn.call.outcome = "voicemail"
            turn.event(node, "recorded", voicemail_id=voicemail.id, duration=duration)
            turn.say(node["done_prompt"])
        else:
            turn.event(node, "no_recording")
            turn.say(node["no_recording_prompt"])
        turn.answer.hangup()
        return None


class Callback(Kind):
    """A call-back request for the caller's number; anonymous callers go elsewhere."""

    def enter(self, turn: Turn, node: Node) -> str | None:
        call = turn.call
        if call.from_number == ANONYMOUS:
            turn.event(node, "anonymous", next=node["anonymous_next"])
            return node.target("anonymous_next")
        request = open_work_item(turn.session, call, node["source"], turn.now, need(turn))
        if request is None:  # not reached: withheld numbers took the branch above
            return node.target("anonymous_next")
        call.outcome = "callback"  # the same outcome as a call-back chosen while waiting
        turn.say(node["prompt"])
        turn.answer.hangup()
        turn.event(node, "requested", callback_id=request.id, source=node["source"])
        return None


class Transfer(Kind):
    """Dial a configured number (e.g. 110); if nobody answers, go on in the flow."""

    def enter(self, turn: Turn, node: Node) -> str | None:
        turn.say(node.get("prompt"))
        turn.answer.dial(node.id, node["number"], node["timeout"])
        turn.event(node, "dialing", number=node["number"])
        return None

    def on_dialed(self, turn: Turn, node: Node, params: Mapping[str, str]) -> str | None:
        status = clean_token(params.get("DialCallStatus"), 20)
        turn.event(node, "dialed", status=status)
        if status == "completed":
            turn.call.outcome = "transferred"
            turn.answer.hangup()
            return None
        return node.target("next")


class Hangup(Kind):
    """Say goodbye and hang up."""

    def enter(self, turn: Turn, node: Node) -> str | None:
        turn.say(node["prompt"])
        turn.answer.hangup()
        turn.event(node, "hangup")
        return None
