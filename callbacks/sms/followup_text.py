"""The follow-up SMS text of a consultation, from config/sms_templates.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline.config_files import ConfigFileError, load_yaml
from hotline.consultations import DISPOSITIONS
from routing.regions import Office, RegionDirectory


@dataclass(frozen=True)
class SmsTemplates:
    """The follow-up template, one next step per disposition, and the hotline hours."""

    followup: str
    next_steps: dict[str, str]
    default_referral: dict[str, str]
    hotline_hours: str


def load_sms_templates(config_dir: Path) -> SmsTemplates:
    """Read and check config/sms_templates.yaml."""
    path = config_dir / "sms_templates.yaml"
    data: Any = load_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("followup"), str):
        raise ConfigFileError(f"{path}: 'followup' must be a text")
    steps = data.get("next_steps")
    if not isinstance(steps, dict) or set(DISPOSITIONS) - set(steps):
        raise ConfigFileError(f"{path}: 'next_steps' needs one text per disposition")
    return SmsTemplates(
        followup=data["followup"],
        next_steps={str(k): str(v) for k, v in steps.items()},
        default_referral={str(k): str(v) for k, v in (data.get("default_referral") or {}).items()},
        hotline_hours=str(data.get("hotline_hours", "")),
    )


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
