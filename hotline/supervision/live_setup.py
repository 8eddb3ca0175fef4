"""The deployment data of the live view: regions, routing groups, routing and alert settings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hotline.supervision.alerts import AlertThresholds, load_alert_thresholds
from hotline.taxonomy import Taxonomy, load_taxonomy
from routing.config import RoutingConfig, load_routing_config
from routing.regions import PROVINCE, RegionDirectory, load_regions


@dataclass(frozen=True)
class LiveSetup:
    """The deployment data the live view needs: regions, groups, routing and alert settings."""

    regions: RegionDirectory
    taxonomy: Taxonomy
    routing: RoutingConfig
    thresholds: AlertThresholds

    def region_codes(self) -> list[str]:
        """Every region in config order, then the province pool."""
        return [*self.regions.codes(), PROVINCE]

    def region_label(self, code: str | None) -> str:
        """哈尔滨 for harbin, 全省 for the pool."""
        if code == PROVINCE:
            return "全省"
        region = self.regions.get(code or "")
        return region.name if region else (code or "")

    def group_label(self, digit: str | None) -> str:
        """The routing group's name."""
        return next((g.name for g in self.taxonomy.groups if g.digit == digit), digit or "")

    def service_label(self, code: str | None) -> str:
        """法律咨询 for consultation, 人工服务 for the operator queue."""
        names = {s.code: s.name for s in self.taxonomy.services} | {"operator": "人工服务"}
        return names.get(code or "", code or "")

    def resolve_region(self, text: str) -> str | None:
        """A region code from a code, an area code (0452) or 'province'; None if unknown."""
        text = text.strip()
        if text == PROVINCE or self.regions.get(text) is not None:
            return text
        if text.isdigit():
            region = self.regions.by_area_code(text)
            return region.code if region else None
        return None


@lru_cache(maxsize=8)
def load_live_setup(config_dir: Path) -> LiveSetup:
    """Read the live view's config files (cached per directory)."""
    return LiveSetup(
        regions=load_regions(config_dir),
        taxonomy=load_taxonomy(config_dir),
        routing=load_routing_config(config_dir),
        thresholds=load_alert_thresholds(config_dir),
    )
