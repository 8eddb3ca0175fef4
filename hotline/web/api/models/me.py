"""Who the caller of the API is, and the closed vocabularies the forms offer."""

from __future__ import annotations

from hotline.web.api.models.common import OutModel


class AgentProfileOut(OutModel):
    """The routing profile of a user who is an agent."""

    status: str
    region: str
    skills: list[str]
    browser_phone: bool


class MeOut(OutModel):
    """The logged-in user."""

    username: str
    display_name: str
    role: str
    role_label: str
    agent: AgentProfileOut | None


class ServiceOut(OutModel):
    """A service of the IVR's first menu."""

    code: str
    name: str


class TopicGroupOut(OutModel):
    """A routing group and its consultation topics."""

    digit: str
    name: str
    topics: list[str]


class DispositionOut(OutModel):
    """What became of a consultation."""

    code: str
    label: str


class RegionOfficeOut(OutModel):
    """A region and the offices callers are referred to."""

    code: str
    name: str
    legal_aid_centre: str
    mediation_office: str


class VocabularyOut(OutModel):
    """The closed vocabularies of the consultation form."""

    services: list[ServiceOut]
    groups: list[TopicGroupOut]
    dispositions: list[DispositionOut]
    regions: list[RegionOfficeOut]
