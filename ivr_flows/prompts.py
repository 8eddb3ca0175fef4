"""IVR prompt texts from config/prompts.yaml, referred to by key from the flows."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline.config_files import ConfigFileError, load_yaml


class _Blank(dict):
    """Format variables where an unknown or empty placeholder renders as ''."""

    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class Prompts:
    """Prompt texts by key; a text may hold {placeholders} filled from flow variables."""

    path: Path
    texts: Mapping[str, str]

    def __contains__(self, key: object) -> bool:
        return key in self.texts

    def render(self, key: str, variables: Mapping[str, Any] | None = None) -> str:
        """The text of a prompt with its placeholders filled (unknown ones left empty)."""
        values = _Blank({k: "" if v is None else v for k, v in (variables or {}).items()})
        return self.texts[key].format_map(values)


def load_prompts(config_dir: Path) -> Prompts:
    """Read and check config/prompts.yaml (a mapping of key to non-empty text)."""
    path = config_dir / "prompts.yaml"
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path}: must be a mapping of prompt key to text")
    texts: dict[str, str] = {}
    for key, text in data.items():
        if not isinstance(text, str) or not text.strip():
            raise ConfigFileError(f"{path}: prompt '{key}' must be a non-empty text")
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(text) if name]
        except ValueError as exc:
            raise ConfigFileError(f"{path}: prompt '{key}' has a bad placeholder: {exc}") from None
        if any(not name.isidentifier() for name in fields):
            raise ConfigFileError(f"{path}: prompt '{key}' placeholders must be plain names")
        texts[str(key)] = text.strip()
    return Prompts(path=path, texts=texts)
