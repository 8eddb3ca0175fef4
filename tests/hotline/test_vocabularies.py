"""Each closed vocabulary is one Literal type; its tuple and its labels follow it, in order."""

from __future__ import annotations

from typing import get_args

from hotline.consultations import DISPOSITIONS, Disposition
from hotline.models import vocabulary
from hotline.supervision.followup_desk import CLOSED_STATUSES
from hotline.supervision.live_view import AGENT_STATE_LABELS, AGENT_STATES
from hotline.supervision.reports.periods import DIMENSIONS, PERIODS
from hotline.web.labels import VOICEMAIL_STATUS_LABELS, DeskVoicemailStatus


def test_the_tuples_keep_their_values_and_order():
    # CHECK constraints and error messages are made from these: they must not move.
    assert vocabulary.AGENT_STATUSES == ("available", "break", "offline")
    assert vocabulary.CALL_STAGES == (
        "ivr", "queued", "ringing", "talking", "wrap_up", "survey", "voicemail", "ended",
    )  # fmt: skip
    assert vocabulary.CALL_DIRECTIONS == ("inbound", "outbound")
    assert vocabulary.WORK_ITEM_STATUSES == (
        "pending", "assigned", "in_progress", "done", "unreachable", "cancelled",
    )  # fmt: skip
    assert vocabulary.RETURN_VISIT_STATUSES == ("open", "done", "unreachable", "cancelled")
    assert CLOSED_STATUSES == ("done", "unreachable")
    assert PERIODS == ("day", "week", "month")
    assert DIMENSIONS == ("region", "group", "service", "agent", "hour", "day")
    assert AGENT_STATES == (
        "available", "ringing", "talking", "wrap_up", "paused", "break", "offline",
    )  # fmt: skip


def test_labelled_vocabularies_name_the_codes_of_their_type():
    assert tuple(DISPOSITIONS) == get_args(Disposition)
    assert tuple(VOICEMAIL_STATUS_LABELS) == get_args(DeskVoicemailStatus)
    assert tuple(AGENT_STATE_LABELS) == AGENT_STATES
