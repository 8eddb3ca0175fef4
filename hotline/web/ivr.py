"""IVR webhooks: every step of the call flow (entering a node, input, recording, dial result).

The satisfaction survey after the talk is a second flow (ivr_flows/flows/survey.yaml) run by
the same engine: /queue/dial-result calls start_survey when the agent hung up first, and the
survey's webhook URLs carry flow=survey so they reach the survey's engine. A flows directory
without a survey flow simply has no survey (the caller hears goodbye).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from flask.sansio.app import App
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from callbacks.surveys.sms_survey import SURVEY_STAGES
from hotline import clock
from hotline.calls import find_call, get_or_create_call
from hotline.models import Call, Survey
from hotline.twiml import IVR_PREFIX
from hotline.web.extensions import app_settings, db, redis_store, settings
from hotline.web.twilio_auth import twilio_signed
from hotline.web.voice_guard import (
    apology,
    goodbye_after_talk,
    guarded,
    require_call_sid,
    twiml_response,
)
from ivr_flows.engine import (
    DEFAULT_FLOW,
    DIALED,
    ENTER,
    INPUT,
    NOINPUT,
    RECORDED,
    SURVEY_FLOW,
    FlowEngine,
    call_flows,
    engine_for,
    load_flow_set,
)
from ivr_flows.resources import Classifier, default_classifier
from ivr_flows.survey_nodes import IVR_CHANNEL

bp = Blueprint("ivr", __name__, url_prefix=IVR_PREFIX)

ENGINE_KEY = "hotline.ivr_engine"
SURVEY_ENGINE_KEY = "hotline.ivr_survey_engine"
SURVEY_EVENT = "ivr_survey"  # the call-event kind of the survey's steps
# Call statuses of a caller who is gone: a Dial action Twilio posts after the caller hung up.
CALLER_GONE_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")
# app.config key tests and `hotline simulate` may set:
CLASSIFIER_CONFIG = "HOTLINE_CLASSIFIER"  # an object with classify(text), instead of the default


def init_engine(app: App) -> FlowEngine:
    """Load and validate the flows and the classifier for the app (FlowError refuses the start).

    Everything is loaded here, before the first request: a worker's first call never waits
    seconds for the classifier, and threads never build copies of it.
    """
    configured = app_settings(app)
    flows_dir = configured.extra.get("flows_dir")
    preloaded: Classifier | None = None

    def classifier() -> Classifier:
        override = app.config.get(CLASSIFIER_CONFIG)
        if override is not None:
            return cast(Classifier, override)  # app.config holds Any: see CLASSIFIER_CONFIG
        return preloaded or default_classifier(configured.config_dir)

    resources, flows = load_flow_set(
        configured.config_dir, Path(flows_dir) if flows_dir else None, classifier
    )
    # The flows are valid: now the classifier (once per process, shared by every app).
    preloaded = default_classifier(configured.config_dir)
    main_flow = str(configured.extra.get("ivr_flow", DEFAULT_FLOW))
    engine = engine_for(resources, call_flows(flows), main_flow)
    survey = None
    if SURVEY_FLOW in flows:
        survey = engine_for(resources, flows, SURVEY_FLOW, event_kind=SURVEY_EVENT, mark_urls=True)
    app.extensions[ENGINE_KEY] = engine
    app.extensions[SURVEY_ENGINE_KEY] = survey
    return engine


@bp.record_once
def _load_flows(state: BlueprintSetupState) -> None:
    init_engine(state.app)


def engine() -> FlowEngine:
    """The current app's flow engine."""
    # app.extensions holds Any: init_engine stored the engine there.
    return cast(FlowEngine, current_app.extensions[ENGINE_KEY])


def survey_engine() -> FlowEngine | None:
    """The engine of the satisfaction survey, None when the flows have no survey."""
    return cast(FlowEngine | None, current_app.extensions.get(SURVEY_ENGINE_KEY))  # as engine()


def _engine_of_request() -> FlowEngine:
    survey = survey_engine()
    if survey is not None and request.args.get("flow") == survey.flow.name:
        return survey
    return engine()


def base_url() -> str:
    """The public base URL TwiML links are built on (keeps a path prefix behind a proxy)."""
    return settings().public_url or request.script_root


def start_flow(session: Session, call: Call) -> str:
    """TwiML that begins the IVR flow for a call just recorded by /voice/incoming."""
    return engine().start(session, redis_store.client, call, clock.now(), base_url())


def start_survey(session: Session, call_sid: str, caller_status: str) -> str | None:
    """TwiML that begins the survey for a caller whose talk just ended, or None (no survey).

    None when the flows have no survey, the caller is gone, the call is not (or no longer)
    in talk, wrap-up or survey, or the caller already rated this call.
    """
    survey = survey_engine()
    if survey is None or caller_status in CALLER_GONE_STATUSES:
        return None
    call = find_call(session, call_sid)
    if call is None:
        return None
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed Result.
    moved = cast(
        CursorResult[Any],
        session.execute(
            update(Call)
            .where(Call.id == call.id, Call.stage.in_(SURVEY_STAGES))
            .values(stage="survey")
            .execution_options(synchronize_session="fetch")
        ),
    )
    if moved.rowcount != 1 or _rated(session, call):
        return None
    return survey.start_after_talk(session, redis_store.client, call, clock.now(), base_url())


def _rated(session: Session, call: Call) -> bool:
    return (
        session.scalar(
            select(Survey.id).where(
                Survey.call_id == call.id,
                Survey.channel == IVR_CHANNEL,
                Survey.rating.is_not(None),
            )
        )
        is not None
    )


def failed_step_answer() -> str:
    """A failed IVR step: the apology and fallback, but a goodbye in the survey after a talk."""
    survey = survey_engine()
    if survey is not None and request.args.get("flow") == survey.flow.name:
        return goodbye_after_talk()
    return apology()


ivr_guard = guarded(failed_step_answer, apology, "caller's leg")


def _step(event: str) -> Response:
    call_sid = require_call_sid()
    session = db.session
    call, _created = get_or_create_call(
        session, call_sid, request.form.get("From"), request.form.get("To")
    )
    twiml = _engine_of_request().handle(
        session,
        redis_store.client,
        call,
        event,
        request.args.get("node"),
        request.form.to_dict(),
        clock.now(),
        base_url(),
    )
    session.commit()
    return twiml_response(twiml)


@bp.post("/step")
@twilio_signed
@ivr_guard
def step() -> Response:
    """Enter a node of the flow (?node=ID)."""
    return _step(ENTER)


@bp.post("/input")
@twilio_signed
@ivr_guard
def gather_input() -> Response:
    """A Gather's action (?node=ID), or its fallback Redirect (&noinput=1)."""
    return _step(NOINPUT if request.args.get("noinput") else INPUT)


@bp.post("/recorded")
@twilio_signed
@ivr_guard
def recorded() -> Response:
    """A voicemail Record's action (?node=ID)."""
    return _step(RECORDED)


@bp.post("/dialed")
@twilio_signed
@ivr_guard
def dialed() -> Response:
    """A transfer Dial's action (?node=ID)."""
    return _step(DIALED)
