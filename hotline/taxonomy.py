"""Services, routing groups and topics from config/topics.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from hotline.config_files import ConfigModel, load_config, or_empty


@dataclass(frozen=True)
class Group:
    """A routing skill that bundles topics; its digit is the DTMF sub-menu key."""

    digit: str
    name: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Service:
    """What the caller wants, with its service-menu digit."""

    code: str
    digit: str
    name: str


@dataclass(frozen=True)
class Taxonomy:
    """The deployment's services, groups and topics."""

    services: tuple[Service, ...]
    groups: tuple[Group, ...]
    default_topic: str

    def service_codes(self) -> list[str]:
        """Every service code, in menu order."""
        return [service.code for service in self.services]

    def group_digits(self) -> list[str]:
        """Every group digit, in menu order."""
        return [group.digit for group in self.groups]

    def group_of(self, topic: str) -> Group | None:
        """The group that holds a topic."""
        return next((g for g in self.groups if topic in g.topics), None)

    def topics(self) -> list[str]:
        """Every topic, in group order."""
        return [topic for group in self.groups for topic in group.topics]

    def parse_skills(self, text: str) -> list[str]:
        """Parse 'all' or a comma list of service codes and group digits; raise ValueError."""
        text = text.strip()
        if text == "all":
            return self.service_codes() + self.group_digits()
        skills: list[str] = []
        valid = set(self.service_codes()) | set(self.group_digits())
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            if item not in valid:
                raise ValueError(
                    f"unknown skill {item!r}; use service names "
                    f"({', '.join(self.service_codes())}), group digits "
                    f"({', '.join(self.group_digits())}) or 'all'"
                )
            if item not in skills:
                skills.append(item)
        if not skills:
            raise ValueError("at least one skill is needed")
        return skills


class TopicGroup(ConfigModel):
    """A group of topics.yaml: its name and topics."""

    name: str = ""
    topics: tuple[str, ...] = Field(min_length=1)


class TopicService(ConfigModel):
    """A service of topics.yaml: its menu digit and name."""

    model_config = ConfigDict(coerce_numbers_to_str=True)  # a digit may be written unquoted

    digit: str
    name: str


class TopicsFile(ConfigModel):
    """config/topics.yaml: groups by digit, services by code and the default topic."""

    model_config = ConfigDict(coerce_numbers_to_str=True)  # a group digit may be written unquoted

    groups: dict[str, TopicGroup]
    services: Annotated[dict[str, TopicService], or_empty({})] = {}
    default_topic: str

    @field_validator("groups")
    @classmethod
    def _each_topic_in_one_group(cls, groups: dict[str, TopicGroup]) -> dict[str, TopicGroup]:
        seen: set[str] = set()
        for topic in (topic for group in groups.values() for topic in group.topics):
            if topic in seen:
                raise ValueError(f"has the topic {topic!r} in two groups")
            seen.add(topic)
        return groups

    @field_validator("default_topic")
    @classmethod
    def _default_topic_is_a_topic(cls, topic: str, info: ValidationInfo) -> str:
        groups = info.data.get("groups")  # absent when the groups were refused
        topics = {t for group in (groups or {}).values() for t in group.topics}
        if groups is not None and topic not in topics:
            raise ValueError(f"must be one of the topics, not {topic!r}")
        return topic

    def taxonomy(self) -> Taxonomy:
        """The services, groups and default topic in menu order."""
        return Taxonomy(
            services=tuple(Service(c, s.digit, s.name) for c, s in self.services.items()),
            groups=tuple(Group(d, g.name, g.topics) for d, g in self.groups.items()),
            default_topic=self.default_topic,
        )


@lru_cache(maxsize=8)
def load_taxonomy(config_dir: Path) -> Taxonomy:
    """Read and check config/topics.yaml."""
    return load_config(config_dir, "topics.yaml", TopicsFile).taxonomy()
