"""The province's regions from config/regions.yaml, and finding a caller's region."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import phonenumbers
from phonenumbers import geocoder

from hotline.config_files import ConfigFileError, load_yaml
from hotline.phones import ANONYMOUS

PROVINCE = "province"


@dataclass(frozen=True)
class Office:
    """A public office named in follow-up messages."""

    name: str
    address: str
    phone: str


@dataclass(frozen=True)
class Region:
    """A city-level region with its area code, neighbours and offices."""

    code: str
    name: str
    area_code: str
    geocode: str
    neighbours: tuple[str, ...]
    legal_aid_centre: Office
    mediation_office: Office


@dataclass(frozen=True)
class RegionDirectory:
    """All regions of the province, looked up by code, area code or geocoded name."""

    province_name: str
    geocode_prefix: str
    regions: tuple[Region, ...]
    province_legal_aid_centre: Office
    province_mediation_office: Office

    def get(self, code: str) -> Region | None:
        """The region with this code, or None."""
        return self._by_code().get(code)

    def codes(self) -> list[str]:
        """Every region code in config order."""
        return [region.code for region in self.regions]

    def by_area_code(self, digits: str) -> Region | None:
        """The region whose area code is these digits (with or without the leading 0)."""
        digits = digits.strip()
        if digits and not digits.startswith("0"):
            digits = "0" + digits
        return next((r for r in self.regions if r.area_code == digits), None)

    def for_number(self, e164: str) -> RegionLookup:
        """Resolve the caller's region from their number (geocoding, then area code)."""
        if not e164 or e164 == ANONYMOUS:
            return RegionLookup(None, "anonymous")
        try:
            number = phonenumbers.parse(e164, None)
        except phonenumbers.NumberParseException:
            return RegionLookup(None, "unparseable")
        place = geocoder.description_for_number(number, "zh")
        for region in self.regions:
            if place and place.startswith(region.geocode):
                return RegionLookup(region, "geocoded")
        if number.country_code == 86 and not str(number.national_number).startswith("1"):
            national = "0" + str(number.national_number)
            for region in self.regions:
                if national.startswith(region.area_code):
                    return RegionLookup(region, "area_code")
        if number.country_code != 86:
            return RegionLookup(None, "foreign")
        if place and place not in ("中国", "") and not place.startswith(self.geocode_prefix):
            return RegionLookup(None, "out_of_province")
        return RegionLookup(None, "unknown")

    def _by_code(self) -> dict[str, Region]:
        return {region.code: region for region in self.regions}


@dataclass(frozen=True)
class RegionLookup:
    """The result of resolving a number: a region or why there is none."""

    region: Region | None
    reason: str


def _office(data: Any, path: Path, where: str) -> Office:
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), str) for k in ("name", "phone")
    ):
        raise ConfigFileError(f"{path}: {where} needs name and phone")
    return Office(name=data["name"], address=str(data.get("address", "")), phone=data["phone"])


@lru_cache(maxsize=8)
def load_regions(config_dir: Path) -> RegionDirectory:
    """Read and check config/regions.yaml."""
    path = config_dir / "regions.yaml"
    data = load_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("regions"), list):
        raise ConfigFileError(f"{path}: 'regions' must be a list")
    province = data.get("province") or {}
    regions = []
    for index, item in enumerate(data["regions"]):
        where = f"regions[{index}]"
        if not isinstance(item, dict):
            raise ConfigFileError(f"{path}: {where} must be a mapping")
        for key in ("code", "name", "area_code", "geocode"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise ConfigFileError(f"{path}: {where}.{key} must be a non-empty string")
        regions.append(
            Region(
                code=item["code"],
                name=item["name"],
                area_code=item["area_code"],
                geocode=item["geocode"],
                neighbours=tuple(item.get("neighbours") or ()),
                legal_aid_centre=_office(item.get("legal_aid_centre"), path, where),
                mediation_office=_office(item.get("mediation_office"), path, where),
            )
        )
    codes = [r.code for r in regions]
    if len(set(codes)) != len(codes) or PROVINCE in codes:
        raise ConfigFileError(f"{path}: region codes must be unique and not '{PROVINCE}'")
    for region in regions:
        unknown = set(region.neighbours) - set(codes)
        if unknown:
            raise ConfigFileError(
                f"{path}: {region.code} names unknown neighbours {sorted(unknown)}"
            )
    return RegionDirectory(
        province_name=str(province.get("name", "")),
        geocode_prefix=str(province.get("geocode_prefix", "")),
        regions=tuple(regions),
        province_legal_aid_centre=_office(province.get("legal_aid_centre"), path, "province"),
        province_mediation_office=_office(province.get("mediation_office"), path, "province"),
    )
