"""Waiting in a Twilio queue and being connected to an agent: the queue's Twilio webhooks.

/queue/wait          the waitUrl of every <Enqueue>: position, expected wait, call-back offer
/queue/wait-choice   the Gather of the wait page: 1 = call-back, (offer mode) 2/none = voicemail
/queue/left          the <Enqueue> action: bridged, hang-up, leave, queue-full, redirected, error
/queue/rejoin        put the caller (back) in its region's queue
/queue/connect       where the router redirects a matched caller: <Dial> the agent
/queue/whisper       the agent's leg before the bridge: "婚姻家庭，哈尔滨。按1接听。"
/queue/dial-result   the <Dial> action: talk over (the survey) or a miss (back to the head of line)
/queue/offer-choice  call-back or voicemail for a caller out of the queue (queue full)
/queue/voicemail     the <Record> action: store the message
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from callbacks.status.queue_exit import record_queue_exit
from callbacks.work_items import from_queue
from hotline import clock
from hotline.calls import find_call
from hotline.models import Call
from hotline.taxonomy import load_taxonomy
from hotline.twiml import FALLBACK_PATH, QUEUE_PREFIX
from hotline.web.extensions import db, lifecycle, redis_store, runtime, settings, voice_config
from hotline.web.ivr import start_survey
from hotline.web.twilio_auth import twilio_signed
from hotline.web.voice_guard import (
    agent_leg_guard,
    apology,
    dial_bridged,
    goodbye_after_talk,
    guarded,
    require_call_sid,
    twiml_response,
    voice_guard,
    wait_guard,
)
from routing import connect as connecting
from routing import queue_twiml as twiml
from routing import waiting
from routing.config import RoutingConfig, load_queue_prompts, load_routing_config
from routing.rebuild import ensure_built
from routing.regions import PROVINCE, load_regions
from routing.state import RoutingState

bp = Blueprint("queue", __name__, url_prefix=QUEUE_PREFIX)
log = logging.getLogger("hotline.voice")

REJOIN_PATH = f"{QUEUE_PREFIX}/rejoin"
# Why the offer was given back when a webhook of its dial failed on our side.
SYSTEM_ERROR = "system_error"


def routing_config() -> RoutingConfig:
    """The routing timers and limits of this deployment."""
    return load_routing_config(settings().config_dir)


def url_for_twilio(path: str) -> str:
    """An absolute URL on the public base (keeps a path prefix behind a proxy)."""
    return (settings().public_url or request.script_root) + path


def speaker() -> twiml.Speaker:
    """Prompts, voice and URL maker of this request."""
    prompts = load_queue_prompts(settings().config_dir)
    return twiml.Speaker(prompts, voice_config(), url_for_twilio)


def _live_state() -> None:
    """Make sure the live routing state exists (rebuilt from the database after a Redis loss)."""
    ensure_built(redis_store.client, runtime().session, routing_config(), clock.now())


def _answer(session: Session, text: str) -> Response:
    session.commit()
    return twiml_response(text)


def _hangup() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)


# ----- waiting ---------------------------------------------------------------------------------


@bp.post("/wait")
@twilio_signed
@wait_guard
def wait() -> Response:
    """The waitUrl: position and expected wait, the call-back offer, then hold."""
    call_sid = require_call_sid()
    _live_state()
    session = db.session
    view = waiting.wait_view(redis_store.client, session, routing_config(), call_sid, clock.now())
    say = speaker()
    if view.state == "waiting" and view.alternatives:
        key = "nobody" if view.alternatives == "nobody" else "waited_long"
        return _answer(session, twiml.alternatives_in_queue(say, key))
    if view.state == "waiting":
        # The whole wait counts (Twilio's QueueTime restarts when a caller is put back).
        first = view.waited_seconds < routing_config().announce_every_seconds
        text = twiml.waiting(say, view.ahead, view.minutes, first, view.pause_seconds)
        return _answer(session, text)
    if view.state in ("offered", "talking"):
        return _answer(session, twiml.holding(say, view.pause_seconds, "connecting"))
    if view.state == "left":
        return _answer(session, twiml.leave_queue(say))
    return _answer(session, twiml.holding(say, 20))


@bp.post("/wait-choice")
@twilio_signed
@wait_guard
def wait_choice() -> Response:
    """A key pressed while waiting: 1 = call-back instead; in offer mode 2 or none = voicemail."""
    call_sid = require_call_sid()
    _live_state()
    session = db.session
    client = redis_store.client
    config = routing_config()
    say = speaker()
    digits = request.form.get("Digits", "").strip()
    offer_mode = request.args.get("mode") == "offer"
    if digits == "1":
        outcome = from_queue.choose_callback(client, session, config, call_sid, clock.now())
        if outcome == "ok":
            return _answer(session, twiml.leave_queue(say))
        if outcome == "anonymous":
            chosen = waiting.choose_voicemail(
                client, session, config, call_sid, clock.now(), "anonymous"
            )
            if chosen == "ok":
                return _answer(session, twiml.leave_queue(say, "callback_anonymous"))
        if outcome == "busy":
            return _answer(session, twiml.say_only(say, "connecting"))
        return _answer(session, twiml.say_only(say, "keep_waiting"))
    if offer_mode:
        outcome = waiting.choose_voicemail(client, session, config, call_sid, clock.now(), "offer")
        if outcome == "ok":
            return _answer(session, twiml.leave_queue(say))
        if outcome == "busy":
            return _answer(session, twiml.say_only(say, "connecting"))
    return _answer(session, twiml.say_only(say, "keep_waiting"))


@bp.post("/left")
@twilio_signed
@voice_guard
def left() -> Response:
    """The Enqueue action: why the caller left the queue, and what they hear next."""
    call_sid = require_call_sid()
    _live_state()
    session = db.session
    client = redis_store.client
    moment = clock.now()
    say = speaker()
    result = request.form.get("QueueResult", "")
    call = record_queue_exit(session, request.form)
    if call is None or result == "hangup":
        if call is not None:
            queue_time = request.form.get("QueueTime", "")
            lifecycle().call_ended(session, call, "completed", moment, queue_time)
        return _answer(session, _hangup())
    if result == "leave":
        if call.outcome == "callback":
            return _answer(session, twiml.goodbye(say, "callback_done"))
        if call.stage == "voicemail":
            return _answer(session, twiml.voicemail(say))
        if call.stage == "queued":
            return _answer(session, twiml.enqueue_again(say, call.region or PROVINCE))
        return _answer(session, twiml.goodbye(say))
    if result == "queue-full":
        waiting.leave_for_alternatives(client, session, call, moment, "queue_full")
        return _answer(session, twiml.alternatives_out_of_queue(say, "queue_full"))
    if result in ("error", "system-error"):
        # Twilio could not queue the call: the static fallback (backup duty line) takes over.
        RoutingState(client).remove(call_sid, 0, 0, only_waiting=True)
        if call.stage == "queued":
            call.stage = "ended"
            call.outcome = "fallback"
            call.ended_at = moment
        response = VoiceResponse()
        response.redirect(url_for_twilio(FALLBACK_PATH), method="POST")
        return _answer(session, str(response))
    if result.startswith("redirected") or result == "bridging-in-process":
        # The router moved the caller on (its TwiML is ignored by then): nothing to do.
        return _answer(session, str(VoiceResponse()))
    return _answer(session, _hangup())


@bp.post("/rejoin")
@twilio_signed
@voice_guard
def rejoin() -> Response:
    """Put a queued caller (back) in its region's Twilio queue."""
    call_sid = require_call_sid()
    _live_state()
    session = db.session
    call = find_call(session, call_sid)
    state = RoutingState(redis_store.client)
    action = connecting.back_in_line(state, session, call, clock.now())
    if action == "rejoin" and call is not None:
        return _answer(session, twiml.enqueue_again(speaker(), call.region or PROVINCE))
    return _answer(session, twiml.goodbye(speaker()))


# ----- connecting ------------------------------------------------------------------------------


@bp.post("/connect")
@twilio_signed
@voice_guard
def connect() -> Response:
    """The router redirected a matched caller here: ring the agent of the offer."""
    call_sid = require_call_sid()
    _live_state()
    session = db.session
    config = routing_config()
    step = connecting.connect(
        redis_store.client, session, config, request.args.get("offer", ""), call_sid, clock.now()
    )
    say = speaker()
    if step.action == "dial":
        offer = request.args.get("offer", "")
        text = twiml.dial_agent(say, offer, step.contact, config.ring_timeout_seconds)
        return _answer(session, text)
    if step.action == "rejoin":
        return _answer(session, twiml.enqueue_again(say, step.region))
    return _answer(session, twiml.goodbye(say))


def whisper_text(call: Call | None) -> str:
    """What the agent hears: green channel, service, topic and region of the call."""
    prompts = load_queue_prompts(settings().config_dir)
    if call is None:
        return prompts.text("whisper", green="", service="", topic="", region="")
    config_dir = settings().config_dir
    taxonomy = load_taxonomy(config_dir)
    service = next((s.name for s in taxonomy.services if s.code == call.service), "人工服务")
    region = load_regions(config_dir).get(call.region or "")
    region_name = region.name if region is not None else "全省"
    green = prompts.text("whisper_green") if (call.priority or 0) > 0 else ""
    return prompts.text(
        "whisper", green=green, service=service, topic=call.topic or "", region=region_name
    )


def give_back_offer(caller_sid: str | None) -> None:
    """A webhook of the offer's dial failed: the agent is freed, the caller is back at the head.

    Routing's own step for a missed offer, without the agent's pause; nothing when the offer
    was accepted or has moved on, or is not `caller_sid`'s (None: not checked).
    """
    client = redis_store.client
    offer_id = request.args.get("offer", "")
    offer = RoutingState(client).offer(offer_id) if offer_id else None
    if offer is None or (caller_sid is not None and offer.get("sid") != caller_sid):
        return
    connecting.take_back_missed(
        client, db.session, routing_config(), offer, SYSTEM_ERROR, clock.now(), pause=False
    )


def _give_back_from_agent_leg() -> None:
    # Twilio names the caller's call as the agent leg's parent.
    give_back_offer(request.form.get("ParentCallSid") or None)


def after_failed_dial() -> str:
    """/queue/dial-result failed: goodbye after a talk, otherwise back in line via /rejoin."""
    if _talked():
        return goodbye_after_talk()
    try:
        give_back_offer(request.form.get("CallSid", ""))
    except Exception:  # noqa: BLE001 - /queue/rejoin puts the caller back in line all the same
        log.exception("could not give back the offer after a failed dial result")
    response = VoiceResponse()
    response.redirect(url_for_twilio(REJOIN_PATH), method="POST")
    return str(response)


def _talked() -> bool:
    """Whether the caller of this dial result has talked with an agent."""
    try:
        call = find_call(db.session, request.form.get("CallSid", ""))
        if call is not None:
            return call.answered_at is not None
    except Exception:  # noqa: BLE001 - then Twilio's account of the dial decides
        log.exception("could not read the call after a failed dial result")
    return dial_bridged()


@bp.post("/whisper")
@twilio_signed
@agent_leg_guard(_give_back_from_agent_leg)
def whisper() -> Response:
    """The agent's leg: hear what the call is about and press 1 to take it."""
    require_call_sid()
    _live_state()
    session = db.session
    offer = request.args.get("offer", "")
    digits = request.form.get("Digits") if "Digits" in request.form else None
    step = connecting.whisper(redis_store.client, session, offer, digits, clock.now())
    say = speaker()
    if step.action == "ask":
        return _answer(session, twiml.whisper(say, offer, whisper_text(step.call)))
    if step.action == "bridge":
        return _answer(session, twiml.bridge())
    if step.action == "declined":
        return _answer(session, twiml.hang_up_agent(say, "whisper_no_key"))
    return _answer(session, twiml.hang_up_agent(say, "whisper_gone"))


@bp.post("/dial-result")
@twilio_signed
@guarded(after_failed_dial, apology, "caller's leg after the dial")
def dial_result() -> Response:
    """The Dial ended: after a talk the survey (or goodbye); after a miss back at the head."""
    call_sid = require_call_sid()
    _live_state()
    session = db.session
    step = lifecycle().agent_leg_ended(
        session,
        request.args.get("offer", ""),
        call_sid,
        request.form.get("DialCallStatus", ""),
        clock.now(),
    )
    say = speaker()
    if step.action == "requeued":
        return _answer(session, twiml.enqueue_again(say, step.region, "agent_missed"))
    if step.action == "rejoin":
        return _answer(session, twiml.enqueue_again(say, step.region))
    # The agent hung up first (or Twilio repeated this webhook during the survey): the caller
    # is still on the line and may rate the service.
    survey = start_survey(session, call_sid, request.form.get("CallStatus", ""))
    if survey is not None:
        return _answer(session, survey)
    return _answer(session, twiml.goodbye(say))


# ----- out of the queue ------------------------------------------------------------------------


@bp.post("/offer-choice")
@twilio_signed
@voice_guard
def offer_choice() -> Response:
    """Call-back (1) or voicemail (anything else) for a caller who could not wait in line."""
    call_sid = require_call_sid()
    session = db.session
    say = speaker()
    call = find_call(session, call_sid)
    if call is None:
        return _answer(session, twiml.voicemail(say))
    if request.form.get("Digits", "").strip() == "1":
        if from_queue.callback_from_offer(session, call, clock.now()) == "ok":
            return _answer(session, twiml.goodbye(say, "callback_done"))
        call.stage = "voicemail"
        return _answer(session, twiml.voicemail(say, "callback_anonymous"))
    call.stage = "voicemail"
    return _answer(session, twiml.voicemail(say))


@bp.post("/voicemail")
@twilio_signed
@voice_guard
def voicemail() -> Response:
    """The Record action: keep the caller's message as a pending voicemail."""
    call_sid = require_call_sid()
    session = db.session
    call = find_call(session, call_sid)
    recorded = None
    if call is not None:
        recorded = from_queue.record_voicemail(session, call, request.form, clock.now())
    key = "voicemail_done" if recorded is not None else "voicemail_none"
    return _answer(session, twiml.goodbye(speaker(), key))
