"""The texts of config/sms_templates.yaml, and the follow-up SMS text of a consultation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import field_validator

from hotline.config_files import ConfigModel, load_config, or_empty
from hotline.consultations import DISPOSITIONS
from routing.regions import Office, RegionDirectory


class SmsTemplates(ConfigModel):
    """config/sms_templates.yaml: the follow-up, its next steps, and the survey and reply texts."""

    followup: str
    next_steps: dict[str, str]
    default_referral: Annotated[dict[str, str], or_empty({})] = {}
    hotline_hours: str = ""
    survey: str
    survey_thanks: str
    reply_help: str
    optout_confirm: str

    @field_validator("next_steps")
    @classmethod
    def _one_per_disposition(cls, steps: dict[str, str]) -> dict[str, str]:
        missing = [disposition for disposition in DISPOSITIONS if disposition not in steps]
        if missing:
            raise ValueError(f"needs a text for each disposition, none for {', '.join(missing)}")
        return steps


def load_sms_templates(config_dir: Path) -> SmsTemplates:
    """Read and check config/sms_templates.yaml."""
    return load_config(config_dir, "sms_templates.yaml", SmsTemplates)


def office_for(regions: RegionDirectory, region_code: str | None, disposition: str) -> Office:
    """The caller's regional legal-aid centre or mediation office (the province's if unknown)."""
    region = regions.get(region_code or "")
    if disposition == "mediation":
        return region.mediation_office if region else regions.province_mediation_office
    return region.legal_aid_centre if region else regions.province_legal_aid_centre


def render_followup(
    templates: SmsTemplates,
    regions: RegionDirectory,
    *,
    case_number: str,
    disposition: str,
    region_code: str | None,
    referral_office: str | None,
) -> str:
    """The follow-up SMS: case number, the next step for the disposition, the right office."""
    office = office_for(regions, region_code, disposition)
    referral = referral_office or templates.default_referral.get(disposition, office.name)
    next_step = templates.next_steps[disposition].format(
        office=office.name,
        office_phone=office.phone,
        office_address=office.address or office.name,
        referral=referral,
    )
    return templates.followup.format(
        case_number=case_number, next_step=next_step, hours=templates.hotline_hours
    )
