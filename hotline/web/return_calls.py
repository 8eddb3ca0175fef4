"""Outbound call-back calls: the TwiML when the citizen answers, and their status callbacks.

/voice/callback/answer?attempt=ID   the citizen picked up: who we are, then <Dial> the agent
/voice/callback/agent?attempt=ID    the agent's leg answered (the noun's url): the whisper, and on
                                    key 1 the bridge (the talk begins); no key: the leg hangs up
/voice/callback/dialed?attempt=ID   the <Dial> action: connected (talk over) or agent not reached
/voice/callback/status?attempt=ID   the call's status callback: the attempt's final outcome
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from twilio.twiml.voice_response import VoiceResponse

from callbacks.status.calls import apply_call_status
from callbacks.work_items import return_call_talk
from callbacks.work_items import return_calls as attempts
from callbacks.work_items.return_call_config import ReturnCallConfig, load_return_call_config
from hotline import clock
from hotline.models import CallbackAttempt, CallbackRequest
from hotline.twiml import dial_contact, say
from hotline.web.extensions import db, lifecycle, redis_store, settings, voice_config
from hotline.web.labels import region_label, work_item_source_label
from hotline.web.twilio_auth import twilio_signed
from hotline.web.voice_guard import (
    agent_leg_guard,
    apology,
    apology_unless_bridged,
    guarded,
    public_base_url,
    require_call_sid,
    twiml_response,
    voice_guard,
)
from routing.queue_twiml import WHISPER_TIMEOUT

bp = Blueprint("return_calls", __name__, url_prefix=attempts.RETURN_CALL_PREFIX)


def config() -> ReturnCallConfig:
    """The call-back settings of this deployment."""
    return load_return_call_config(settings().config_dir)


def spoken(key: str, hang_up: bool = True, response: VoiceResponse | None = None) -> VoiceResponse:
    """A response (a new one, or this one) that says a call-back prompt (and hangs up)."""
    response = response if response is not None else VoiceResponse()
    say(response, getattr(config().prompts, key), voice_config())
    if hang_up:
        response.hangup()
    return response


def current_attempt() -> CallbackAttempt | None:
    """The live attempt this webhook names (?attempt=ID) for its CallSid, or None."""
    return attempts.live_attempt(db.session, request.args.get("attempt", ""), require_call_sid())


def _answer(response: VoiceResponse) -> Response:
    db.session.commit()
    return twiml_response(str(response))


@bp.post("/answer")
@twilio_signed
@voice_guard
def answer() -> Response:
    """The citizen answered our call: say why we call and ring the agent who started it."""
    session = db.session
    attempt = current_attempt()
    if attempt is None:
        return _answer(spoken("gone"))
    step = attempts.answered(session, attempt, clock.now())
    if step is None:
        return _answer(spoken("agent_missed"))
    intro, contact = step
    response = spoken(intro, hang_up=False)
    dial = response.dial(
        action=f"{public_base_url()}{attempts.DIALED_PATH}?attempt={attempt.id}",
        method="POST",
        timeout=config().agent_ring_seconds,
        time_limit=config().talk_limit_seconds,
    )
    dial_contact(dial, contact, f"{public_base_url()}{attempts.AGENT_PATH}?attempt={attempt.id}")
    return _answer(response)


def whisper_text(attempt: CallbackAttempt) -> str:
    """What the agent hears: 12348回拨, the item's source and region, press 1."""
    item = db.session.get(CallbackRequest, attempt.request_id)
    source = work_item_source_label(item.source if item is not None else None)
    region = region_label(item.region if item is not None else None) or "地区未知"
    return config().whisper(source, region)


@bp.post("/agent")
@twilio_signed
@agent_leg_guard()
def agent() -> Response:
    """The agent's leg answered: say what the call-back is; only key 1 bridges it.

    A voicemail box or an agent who presses nothing (or another key) is hung up: the <Dial>
    ends without a bridge and the attempt is "agent unreachable".
    """
    require_call_sid()
    parent = request.form.get("ParentCallSid", "").strip()[:64]
    attempt = attempts.live_attempt(db.session, request.args.get("attempt", ""), parent)
    if attempt is None:
        response = VoiceResponse()
        response.hangup()  # the citizen is gone: nobody to bridge the agent to
        return _answer(response)
    if "Digits" not in request.form:
        response = VoiceResponse()
        gather = response.gather(
            num_digits=1,
            action=f"{public_base_url()}{attempts.AGENT_PATH}?attempt={attempt.id}",
            method="POST",
            timeout=WHISPER_TIMEOUT,
        )
        gather.say(whisper_text(attempt), **voice_config().say_attrs())
        return _answer(spoken("agent_no_key", response=response))  # no key: hang up
    if request.form.get("Digits", "").strip() != "1":
        return _answer(spoken("agent_no_key"))
    return_call_talk.agent_answered(db.session, attempt, clock.now())
    return _answer(VoiceResponse())  # nothing to say: the bridge follows


@bp.post("/dialed")
@twilio_signed
@guarded(apology_unless_bridged, apology, "citizen's leg after the dial")
def dialed() -> Response:
    """The agent leg ended: thank the citizen, or promise another call if the agent missed it."""
    session = db.session
    attempt = current_attempt()
    if attempt is None:
        return _answer(spoken("gone"))
    key = attempts.agent_dialed(
        session,
        attempt,
        request.form.get("DialCallStatus", "").strip()[:20],
        request.form.get("DialCallDuration", "").strip()[:8],
        clock.now(),
    )
    return _answer(spoken(key))


@bp.post("/status")
@twilio_signed
@voice_guard
def status() -> Response:
    """The outbound call's status: recorded on the call; a final one ends the attempt."""
    require_call_sid()
    session = db.session
    apply_call_status(lifecycle(), session, request.form)
    attempt = current_attempt()
    if attempt is not None:
        status_text = request.form.get("CallStatus", "").strip()
        attempts.call_ended(
            session, redis_store.client, config(), attempt, status_text, clock.now(), settings()
        )
    return _answer(VoiceResponse())
