"""Answering an inbound SMS once it is stored: opt-out, opt-in, a rating, or a reply for people.

- TD / 退订 / STOP (callbacks.sms.replies) opt the number out (Caller.sms_opted_out_at, kept
  from the first opt-out) and queue one confirmation per opt-out (key
  optout_confirm:<caller>:<opt-out time>); saying it again sends nothing more.
- START / 订阅 opt the number back in, silently.
- A rating counts for the caller's latest unrated SMS survey within the reply window: it is
  recorded with callbacks.surveys.ratings.record_rating (1-2 opens a 回访 task), thanked once per
  survey (key survey_thanks:<survey>). A rating with no open survey (none sent, already rated,
  or older than the window) is NOT applied to any survey: it is stored as "unmatched", so a
  supervisor reads it (a late "1" still reaches a person), and answered like other unmatched
  replies.
- Anything else is "unmatched": kept (reviewed_at NULL until a supervisor marks it), linked to
  the open survey if there is one, and answered politely at most once per number and day
  (key reply_help:<caller>:<YYYYMMDD in Asia/Shanghai>), so auto-replies cannot ping-pong.
Withheld numbers are stored like any other reply but never answered.
"""

from __future__ import annotations

from datetime import datetime

import redis
from sqlalchemy.orm import Session

from callbacks.sms.config import load_reply_texts
from callbacks.sms.outbox import queue_message
from callbacks.sms.replies import ParsedReply, parse_reply
from callbacks.surveys.ratings import record_rating
from callbacks.surveys.sms_survey import open_survey_for
from hotline.models import Caller, Message, Survey
from hotline.settings import Settings
from hotline.times import to_local
from hotline.workdays import load_calendar


class _Reply:
    """One inbound message being answered, with what answering needs."""

    def __init__(
        self,
        session: Session,
        client: redis.Redis,
        message: Message,
        now: datetime,
        settings: Settings,
    ) -> None:
        self.session = session
        self.client = client
        self.message = message
        self.now = now
        self.settings = settings

    def send(self, caller: Caller, kind: str, key: str, survey: Survey | None = None) -> None:
        queue_message(
            self.session,
            self.client,
            kind=kind,
            caller_id=caller.id,
            body=load_reply_texts(self.settings.config_dir)[kind],
            idempotency_key=key,
            now=self.now,
            call_id=survey.call_id if survey else None,
            consultation_id=survey.consultation_id if survey else None,
            survey_id=survey.id if survey else None,
            settings=self.settings,
        )

    def opt_out(self, caller: Caller) -> None:
        if caller.sms_opted_out_at is None:
            caller.sms_opted_out_at = self.now
        since = int(caller.sms_opted_out_at.timestamp())
        self.send(caller, "optout_confirm", f"optout_confirm:{caller.id}:{since}")

    def rating(self, caller: Caller, parsed: ParsedReply) -> bool:
        survey = open_survey_for(self.session, caller.id, self.now, self.settings)
        if survey is None or parsed.rating is None:
            return False
        record_rating(
            self.session,
            survey,
            parsed.rating,
            self.now,
            raw_reply=self.message.body,
            comment=parsed.comment,
            calendar=load_calendar(self.settings.config_dir),
        )
        self.message.survey_id = survey.id
        self.send(caller, "survey_thanks", f"survey_thanks:{survey.id}", survey)
        return True

    def unmatched(self, caller: Caller) -> None:
        survey = open_survey_for(self.session, caller.id, self.now, self.settings)
        self.message.survey_id = survey.id if survey else None
        day = to_local(self.now).strftime("%Y%m%d")
        self.send(caller, "reply_help", f"reply_help:{caller.id}:{day}")


def answer_inbound(
    session: Session, client: redis.Redis, message: Message, now: datetime, settings: Settings
) -> str:
    """Act on a stored inbound SMS and set its reply_kind (returned); replies go via the outbox."""
    parsed = parse_reply(message.body)
    caller = session.get(Caller, message.caller_id) if message.caller_id else None
    reply = _Reply(session, client, message, now, settings)
    kind = parsed.kind
    if caller is None:
        kind = "unmatched"
    elif kind == "optout":
        reply.opt_out(caller)
    elif kind == "optin":
        caller.sms_opted_out_at = None
    elif not (kind == "rating" and reply.rating(caller, parsed)):
        kind = "unmatched"
        reply.unmatched(caller)
    message.reply_kind = kind
    return kind
