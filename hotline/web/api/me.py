"""Who am I (for the console) and the vocabularies the forms offer."""

from __future__ import annotations

from flask import Blueprint

from hotline.consultations import DISPOSITIONS, agent_of
from hotline.web.api.contract import ANY_USER, api_route
from hotline.web.api.models.me import (
    AgentProfileOut,
    DispositionOut,
    MeOut,
    RegionOfficeOut,
    ServiceOut,
    TopicGroupOut,
    VocabularyOut,
)
from hotline.web.api.security import current_user
from hotline.web.extensions import db
from hotline.web.labels import ROLE_LABELS, regions, taxonomy

bp = Blueprint("me", __name__)


@api_route(
    bp,
    "GET",
    "/me",
    "The logged-in user, with their agent status and region",
    response=MeOut,
    roles=ANY_USER,
)
def me() -> MeOut:
    """Describe the current user."""
    user = current_user()
    agent = agent_of(db.session, user)
    return MeOut(
        username=user.username,
        display_name=user.display_name or user.username,
        role=user.role,
        role_label=ROLE_LABELS.get(user.role, user.role),
        agent=None
        if agent is None
        else AgentProfileOut(
            status=agent.status,
            region=agent.home_region,
            skills=list(agent.skills),
            browser_phone=agent.contact.startswith("client:"),
        ),
    )


@api_route(
    bp,
    "GET",
    "/vocabulary",
    "Services, groups and topics, dispositions and regional offices for the forms",
    response=VocabularyOut,
    roles=ANY_USER,
)
def vocabulary() -> VocabularyOut:
    """The closed vocabularies of the consultation form."""
    tax = taxonomy()
    return VocabularyOut(
        services=[ServiceOut(code=s.code, name=s.name) for s in tax.services],
        groups=[
            TopicGroupOut(digit=g.digit, name=g.name, topics=list(g.topics)) for g in tax.groups
        ],
        dispositions=[DispositionOut(code=c, label=label) for c, label in DISPOSITIONS.items()],
        regions=[
            RegionOfficeOut(
                code=r.code,
                name=r.name,
                legal_aid_centre=r.legal_aid_centre.name,
                mediation_office=r.mediation_office.name,
            )
            for r in regions().regions
        ],
    )
