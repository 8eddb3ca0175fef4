"""The survey node kind: the 1-5 rating and (ask: comment) the optional spoken comment.

Both store on the call's one IVR survey (Survey, channel "ivr"). A retried webhook (Twilio
repeats a request whose answer it did not get) changes nothing already stored: the first rating
stands, and a 1-2 rating opens its 回访 task once (callbacks.surveys.ratings).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from callbacks.surveys.ratings import RATING_SCALE, record_rating
from hotline.models import Survey
from ivr_flows.inputs import Given, spoken_digits
from ivr_flows.nodes import Kind, repeat
from ivr_flows.schema import REPEAT_KEY, Node
from ivr_flows.turn import Turn

IVR_CHANNEL = "ivr"
RATING_KEYS = {str(rating): rating for rating in RATING_SCALE}


def ivr_survey(turn: Turn) -> Survey | None:
    """The call's IVR survey, if one was stored."""
    return turn.session.scalars(
        select(Survey).where(Survey.call_id == turn.call.id, Survey.channel == IVR_CHANNEL)
    ).first()


def _new_ivr_survey(turn: Turn) -> Survey:
    """The call's IVR survey, created now unless a concurrent request just did."""
    survey = Survey(call_id=turn.call.id, channel=IVR_CHANNEL, created_at=turn.now)
    try:
        with turn.session.begin_nested():
            turn.session.add(survey)
    except IntegrityError:  # the same webhook answered twice at once: the other one won
        found = ivr_survey(turn)
        if found is None:
            raise
        return found
    return survey


class SurveyNode(Kind):
    """The survey: a 1-5 rating (1-2 opens a 回访 task), or an optional comment (ask: comment)."""

    def enter(self, turn: Turn, node: Node) -> str | None:
        speech = node["ask"] == "comment"
        turn.answer.gather(
            node.id, [turn.text(node["prompt"])], speech=speech, timeout=node["timeout"]
        )
        turn.event(node, "prompted")
        return None

    def on_input(self, turn: Turn, node: Node, given: Given) -> str | None:
        if node["ask"] == "comment":
            return self._comment(turn, node, given)
        key = given.digits or spoken_digits(given.speech)
        if key == REPEAT_KEY:
            return repeat(turn, node)
        if not key:
            return turn.fail(node, "no_input" if given.empty else "invalid", given)
        if key not in RATING_KEYS:
            return turn.fail(node, "invalid", given)
        turn.accepted(node)
        survey = ivr_survey(turn) or _new_ivr_survey(turn)
        if survey.rating is not None:
            turn.event(node, "already_rated", input=key, rating=survey.rating)
        else:
            task = record_rating(
                turn.session,
                survey,
                RATING_KEYS[key],
                turn.now,
                raw_reply=key,
                calendar=turn.resources.hours.calendar,
            )
            turn.event(node, "rated", rating=survey.rating, return_visit=task.id if task else None)
        turn.say(node.get("thanks_prompt"))
        return node.target("next")

    @staticmethod
    def _comment(turn: Turn, node: Node, given: Given) -> str:
        """Store spoken words on the rated survey; silence or any key means no comment."""
        if given.digits:
            turn.event(node, "skipped", input=given.digits)
        elif not given.speech:
            turn.event(node, "no_comment")
        else:
            survey = ivr_survey(turn)
            if survey is None or survey.rating is None:
                turn.event(node, "no_survey")
            elif survey.comment != given.speech:
                survey.comment = given.speech
                turn.event(node, "commented", comment=given.for_event(), chars=len(given.speech))
        turn.say(node.get("thanks_prompt"))
        return node.target("next")
