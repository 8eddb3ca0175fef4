"""Who am I (for the console) and the vocabularies the forms offer."""

from __future__ import annotations

from flask import jsonify

from hotline.consultations import DISPOSITIONS, agent_of
from hotline.web.api import bp
from hotline.web.api.docs import api_doc
from hotline.web.api.schemas import ANY_USER, ME, VOCABULARY
from hotline.web.api.security import current_user, token_required
from hotline.web.extensions import db
from hotline.web.presenters import ROLE_LABELS, regions, taxonomy


@bp.get("/me")
@api_doc("The logged-in user, with their agent status and region", response=ME, roles=ANY_USER)
@token_required()
def me():  # type: ignore[no-untyped-def]
    """Describe the current user."""
    user = current_user()
    agent = agent_of(db.session, user)
    return jsonify(
        {
            "username": user.username,
            "display_name": user.display_name or user.username,
            "role": user.role,
            "role_label": ROLE_LABELS.get(user.role, user.role),
            "agent": None
            if agent is None
            else {
                "status": agent.status,
                "region": agent.home_region,
                "skills": list(agent.skills),
                "browser_phone": agent.contact.startswith("client:"),
            },
        }
    )


@bp.get("/vocabulary")
@api_doc(
    "Services, groups and topics, dispositions and regional offices for the forms",
    response=VOCABULARY,
    roles=ANY_USER,
)
@token_required()
def vocabulary():  # type: ignore[no-untyped-def]
    """The closed vocabularies of the consultation form."""
    tax = taxonomy()
    return jsonify(
        {
            "services": [{"code": s.code, "name": s.name} for s in tax.services],
            "groups": [
                {"digit": g.digit, "name": g.name, "topics": list(g.topics)} for g in tax.groups
            ],
            "dispositions": [{"code": c, "label": label} for c, label in DISPOSITIONS.items()],
            "regions": [
                {
                    "code": r.code,
                    "name": r.name,
                    "legal_aid_centre": r.legal_aid_centre.name,
                    "mediation_office": r.mediation_office.name,
                }
                for r in regions().regions
            ],
        }
    )
