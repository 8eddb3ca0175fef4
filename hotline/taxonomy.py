"""Services, routing groups and topics from config/topics.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hotline.config_files import ConfigFileError, load_yaml


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


@lru_cache(maxsize=8)
def load_taxonomy(config_dir: Path) -> Taxonomy:
    """Read and check config/topics.yaml."""
    path = config_dir / "topics.yaml"
    data = load_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("groups"), dict):
        raise ConfigFileError(f"{path}: 'groups' must be a mapping")
    groups = []
    for digit, item in data["groups"].items():
        if not isinstance(item, dict) or not item.get("topics"):
            raise ConfigFileError(f"{path}: group {digit} needs a name and topics")
        groups.append(Group(str(digit), str(item.get("name", "")), tuple(item["topics"])))
    services = [
        Service(code, str(item["digit"]), str(item["name"]))
        for code, item in (data.get("services") or {}).items()
    ]
    all_topics = [topic for group in groups for topic in group.topics]
    if len(all_topics) != len(set(all_topics)):
        raise ConfigFileError(f"{path}: a topic appears in two groups")
    default_topic = str(data.get("default_topic", ""))
    if default_topic not in all_topics:
        raise ConfigFileError(f"{path}: default_topic must be one of the topics")
    return Taxonomy(tuple(services), tuple(groups), default_topic)
