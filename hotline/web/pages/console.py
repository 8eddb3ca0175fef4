"""The agent console: status, the incoming-call card and the consultation form."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from hotline.consultations import DISPOSITIONS, agent_of
from hotline.web.extensions import db
from hotline.web.labels import regions, taxonomy
from hotline.web.pages.access import AGENTS, logged_in_user, login_required

bp = Blueprint("console", __name__)


@bp.get("/console")
@login_required(*AGENTS)
def console() -> ResponseReturnValue:
    """The page an on-duty agent keeps open; it updates itself by polling the API."""
    agent = agent_of(db.session, logged_in_user())
    if agent is None:
        return redirect(url_for("call_log.calls"))
    region_directory = regions()
    offices = sorted(
        {r.legal_aid_centre.name for r in region_directory.regions}
        | {r.mediation_office.name for r in region_directory.regions}
    )
    return render_template(
        "console.html",
        agent=agent,
        groups=taxonomy().groups,
        dispositions=DISPOSITIONS,
        offices=offices,
        browser_phone=agent.contact.startswith("client:"),
    )
