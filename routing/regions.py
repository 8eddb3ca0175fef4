"""The province's regions from config/regions.yaml, and finding a caller's region."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import phonenumbers
from phonenumbers import geocoder
from pydantic import field_validator

from hotline.config_files import ConfigModel, NonEmptyText, load_config, or_empty
from hotline.phones import ANONYMOUS

PROVINCE = "province"


class Office(ConfigModel):
    """A public office named in follow-up messages."""

    name: str
    address: str = ""
    phone: str


class Region(ConfigModel):
    """A city-level region with its area code, neighbours and offices."""

    code: NonEmptyText
    name: NonEmptyText
    area_code: NonEmptyText
    geocode: NonEmptyText
    neighbours: Annotated[tuple[str, ...], or_empty(())] = ()
    legal_aid_centre: Office
    mediation_office: Office

    @field_validator("code")
    @classmethod
    def _not_the_province(cls, code: str) -> str:
        if code == PROVINCE:
            raise ValueError(f"must not be '{PROVINCE}' (the province pool)")
        return code


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


class Province(ConfigModel):
    """The province of regions.yaml: its name, geocoder prefix and offices."""

    code: str = PROVINCE
    name: str = ""
    geocode_prefix: str = ""
    legal_aid_centre: Office
    mediation_office: Office

    @field_validator("code")
    @classmethod
    def _the_province_code(cls, code: str) -> str:
        if code != PROVINCE:
            raise ValueError(f"must be '{PROVINCE}'")
        return code


class RegionsFile(ConfigModel):
    """config/regions.yaml: the province and its regions."""

    province: Province
    regions: tuple[Region, ...]

    @field_validator("regions")
    @classmethod
    def _codes_and_neighbours_known(cls, regions: tuple[Region, ...]) -> tuple[Region, ...]:
        codes = [region.code for region in regions]
        twice = sorted({code for code in codes if codes.count(code) > 1})
        if twice:
            raise ValueError(f"has the code '{twice[0]}' twice")
        for region in regions:
            unknown = sorted(set(region.neighbours) - set(codes))
            if unknown:
                raise ValueError(f"has '{region.code}' naming unknown neighbours {unknown}")
        return regions

    def directory(self) -> RegionDirectory:
        """The regions of the province, to look callers up in."""
        return RegionDirectory(
            province_name=self.province.name,
            geocode_prefix=self.province.geocode_prefix,
            regions=self.regions,
            province_legal_aid_centre=self.province.legal_aid_centre,
            province_mediation_office=self.province.mediation_office,
        )


@lru_cache(maxsize=8)
def load_regions(config_dir: Path) -> RegionDirectory:
    """Read and check config/regions.yaml."""
    return load_config(config_dir, "regions.yaml", RegionsFile).directory()
