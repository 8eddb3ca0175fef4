"""IVR prompt texts from config/prompts.yaml, referred to by key from the flows."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, ConfigDict, RootModel

from hotline.config_files import load_config


class _Blank(dict[str, Any]):
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


def _checked_prompt(text: str) -> str:
    """A non-empty prompt text whose {placeholders} are plain names, stripped."""
    if not text.strip():
        raise ValueError("must be a non-empty text")
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name]
    except ValueError as exc:
        raise ValueError(f"has a bad placeholder: {exc}") from None
    if any(not name.isidentifier() for name in fields):
        raise ValueError("must use plain names as placeholders")
    return text.strip()


class PromptsFile(RootModel[dict[str, Annotated[str, AfterValidator(_checked_prompt)]]]):
    """config/prompts.yaml: a mapping of prompt key to text."""

    model_config = ConfigDict(frozen=True)
    entry_name: ClassVar[str] = "prompt"


def load_prompts(config_dir: Path) -> Prompts:
    """Read and check config/prompts.yaml (a mapping of key to non-empty text)."""
    path = config_dir / "prompts.yaml"
    return Prompts(path=path, texts=load_config(config_dir, path.name, PromptsFile).root)
