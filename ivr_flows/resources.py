"""What the engine needs besides the flow: prompts, voice, hours, regions, topics, classifier."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hotline.config_files import VoiceConfig, load_voice_config
from hotline.taxonomy import Taxonomy, load_taxonomy
from ivr_flows.hours import ServiceHours, load_hours
from ivr_flows.prompts import Prompts, load_prompts
from ivr_flows.schema import Vocabulary
from routing.regions import PROVINCE, RegionDirectory, load_regions

OPERATOR_SERVICE = "operator"


class Classifier(Protocol):
    """Anything with classify(text) -> an object with topic, group and confidence."""

    def classify(self, text: str) -> Any: ...


@dataclass(frozen=True)
class FlowResources:
    """Deployment data a running flow reads (all from the config directory)."""

    config_dir: Path
    prompts: Prompts
    voice: VoiceConfig
    hours: ServiceHours
    regions: RegionDirectory
    taxonomy: Taxonomy
    classifier: Callable[[], Classifier]

    def vocabulary(self) -> Vocabulary:
        """The values flows may give routing variables."""
        return vocabulary_for(self.taxonomy, self.regions)


def vocabulary_for(taxonomy: Taxonomy, regions: RegionDirectory) -> Vocabulary:
    """Service codes, group digits, topics and region codes a flow may use."""
    return Vocabulary(
        services=frozenset(taxonomy.service_codes() + [OPERATOR_SERVICE]),
        groups=frozenset(taxonomy.group_digits()),
        topics=frozenset(taxonomy.topics()),
        regions=frozenset(regions.codes() + [PROVINCE]),
    )


def default_classifier(config_dir: Path) -> Classifier:
    """The topic classifier for a config directory (the shared one when topics are the same)."""
    from ivr_flows.classifier import DEFAULT_CONFIG_DIR, load_classifier

    topics = config_dir / "topics.yaml"
    default_topics = DEFAULT_CONFIG_DIR / "topics.yaml"
    if default_topics.is_file() and topics.read_bytes() == default_topics.read_bytes():
        return load_classifier()
    return load_classifier(config_dir)


def load_resources(
    config_dir: Path, classifier: Callable[[], Classifier] | None = None
) -> FlowResources:
    """Read every config file a flow needs; the classifier loads on first use."""
    return FlowResources(
        config_dir=config_dir,
        prompts=load_prompts(config_dir),
        voice=load_voice_config(config_dir),
        hours=load_hours(config_dir),
        regions=load_regions(config_dir),
        taxonomy=load_taxonomy(config_dir),
        classifier=classifier or functools.partial(default_classifier, config_dir),
    )
