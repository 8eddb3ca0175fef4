"""IVR webhooks: every step of the call flow (entering a node, input, recording, dial result)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Blueprint, Flask, current_app, request
from flask.blueprints import BlueprintSetupState
from sqlalchemy.orm import Session

from hotline.calls import get_or_create_call
from hotline.db import utcnow
from hotline.models import Call
from hotline.settings import Settings
from hotline.web.extensions import db, redis_store
from hotline.web.twilio_auth import twilio_signed
from hotline.web.voice_guard import require_call_sid, twiml_response, voice_guard
from ivr_flows.engine import DIALED, ENTER, INPUT, NOINPUT, RECORDED, FlowEngine, build_engine

bp = Blueprint("ivr", __name__, url_prefix="/ivr")

ENGINE_KEY = "hotline.ivr_engine"
# app.config keys tests and `hotline simulate` may set:
CLOCK_CONFIG = "HOTLINE_CLOCK"  # a callable returning the aware "now" the IVR uses
CLASSIFIER_CONFIG = "HOTLINE_CLASSIFIER"  # an object with classify(text), instead of the default


def init_engine(app: Flask) -> FlowEngine:
    """Load and validate the flows for the app (FlowError refuses the start)."""
    settings: Settings = app.config["HOTLINE_SETTINGS"]
    flows_dir = settings.extra.get("flows_dir")

    def classifier():  # type: ignore[no-untyped-def]
        override = app.config.get(CLASSIFIER_CONFIG)
        if override is not None:
            return override
        from ivr_flows.resources import default_classifier

        return default_classifier(settings.config_dir)

    engine = build_engine(
        settings.config_dir,
        flows_dir=Path(flows_dir) if flows_dir else None,
        flow_name=str(settings.extra.get("ivr_flow", "12348")),
        classifier=classifier,
    )
    app.extensions[ENGINE_KEY] = engine
    return engine


@bp.record_once
def _load_flows(state: BlueprintSetupState) -> None:
    init_engine(state.app)


def engine() -> FlowEngine:
    """The current app's flow engine."""
    return current_app.extensions[ENGINE_KEY]


def now() -> datetime:
    """The time the IVR works with (a configured clock in tests and simulations)."""
    clock = current_app.config.get(CLOCK_CONFIG)
    return clock() if clock is not None else utcnow()


def base_url() -> str:
    """The public base URL TwiML links are built on (keeps a path prefix behind a proxy)."""
    settings: Settings = current_app.config["HOTLINE_SETTINGS"]
    return settings.public_url or request.script_root


def start_flow(session: Session, call: Call) -> str:
    """TwiML that begins the IVR flow for a call just recorded by /voice/incoming."""
    return engine().start(session, redis_store.client, call, now(), base_url())


def _step(event: str):  # type: ignore[no-untyped-def]
    call_sid = require_call_sid()
    session = db.session
    call, _created = get_or_create_call(
        session, call_sid, request.form.get("From"), request.form.get("To")
    )
    twiml = engine().handle(
        session,
        redis_store.client,
        call,
        event,
        request.args.get("node"),
        request.form.to_dict(),
        now(),
        base_url(),
    )
    session.commit()
    return twiml_response(twiml)


@bp.post("/step")
@twilio_signed
@voice_guard
def step():  # type: ignore[no-untyped-def]
    """Enter a node of the flow (?node=ID)."""
    return _step(ENTER)


@bp.post("/input")
@twilio_signed
@voice_guard
def gather_input():  # type: ignore[no-untyped-def]
    """A Gather's action (?node=ID), or its fallback Redirect (&noinput=1)."""
    return _step(NOINPUT if request.args.get("noinput") else INPUT)


@bp.post("/recorded")
@twilio_signed
@voice_guard
def recorded():  # type: ignore[no-untyped-def]
    """A voicemail Record's action (?node=ID)."""
    return _step(RECORDED)


@bp.post("/dialed")
@twilio_signed
@voice_guard
def dialed():  # type: ignore[no-untyped-def]
    """A transfer Dial's action (?node=ID)."""
    return _step(DIALED)
