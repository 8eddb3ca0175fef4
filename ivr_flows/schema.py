"""Loading and validating flow files: a broken flow is refused with file, node and reason."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ivr_flows.prompts import Prompts

FLOW_LEVEL = "(flow)"
NODE_ID = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
VAR_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MENU_KEYS = set("0123456789#")
REPEAT_KEY = "*"

# Variables the engine fills in; flows may branch on them but not set them.
COMPUTED_VARS = frozenset(
    {
        "anonymous",
        "repeat_caller",
        "region_known",
        "region_reason",
        "is_open",
        "is_holiday",
        "is_rest_day",
        "guess_topic",
        "guess_group",
        "guess_confidence",
    }
)
# Variables with a meaning for routing; `set:` checks their values.
ROUTING_VARS = frozenset({"service", "group", "topic", "region", "priority", "green_channel"})
# Node kinds where the engine moves on without waiting for the caller (loop check).
TERMINAL_KINDS = ("enqueue", "voicemail", "hangup")


class FlowError(Exception):
    """One or more flow files are refused; every line reads 'file: node: reason'."""

    def __init__(self, problems: Iterable[FlowProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class FlowProblem:
    """Why a flow file is refused: the file, the node (or '(flow)') and the reason."""

    file: str
    node: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.node}: {self.reason}"


@dataclass(frozen=True)
class Vocabulary:
    """The values flows may use for routing variables (from topics.yaml and regions.yaml)."""

    services: frozenset[str]
    groups: frozenset[str]
    topics: frozenset[str]
    regions: frozenset[str]


@dataclass(frozen=True)
class Field:
    """How one field of a node kind is checked."""

    type: str
    required: bool = False
    default: Any = None
    low: float = 0
    high: float = 0
    choices: tuple[str, ...] = ()


def _gather_fields(**extra: Field) -> dict[str, Field]:
    return {
        "timeout": Field("int", default=5, low=1, high=30),
        "max_failures": Field("int", low=1, high=5),
        "invalid_prompt": Field("prompt", default="invalid_input"),
        "no_input_prompt": Field("prompt", default="no_input"),
        "on_fail": Field("target"),
        **extra,
    }


KIND_FIELDS: dict[str, dict[str, Field]] = {
    "say": {"prompt": Field("prompts", required=True), "next": Field("target", required=True)},
    "play": {"url": Field("urls", required=True), "next": Field("target", required=True)},
    "set": {"set": Field("set", required=True), "next": Field("target", required=True)},
    "branch": {"cases": Field("cases", required=True), "default": Field("target", required=True)},
    "menu": _gather_fields(
        prompt=Field("prompt", required=True), options=Field("options", required=True)
    ),
    "speech": _gather_fields(
        prompt=Field("prompt", required=True),
        next=Field("target", required=True),
        dtmf_next=Field("target"),
        var=Field("var", default="speech"),
        hints=Field("hints", default=()),
    ),
    "classify": _gather_fields(
        var=Field("var", default="speech"),
        threshold=Field("float", default=0.6, low=0.0, high=1.0),
        prompt=Field("prompt", default="confirm_topic"),
        accepted_prompt=Field("prompt"),
        not_understood_prompt=Field("prompt"),
        next=Field("target", required=True),
        reject=Field("target", required=True),
    ),
    "region": _gather_fields(
        prompt=Field("prompt", default="ask_area_code"), next=Field("target", required=True)
    ),
    "enqueue": {
        "prompt": Field("prompt"),
        "service": Field("service"),
        "group": Field("group"),
        "topic": Field("topic"),
        "region": Field("region"),
        "priority": Field("int", default=0, low=0, high=9),
    },
    "voicemail": {
        "prompt": Field("prompt", default="voicemail_prompt"),
        "done_prompt": Field("prompt", default="voicemail_thanks"),
        "no_recording_prompt": Field("prompt", default="goodbye"),
        "max_length": Field("int", default=120, low=5, high=600),
    },
    "callback": {
        "prompt": Field("prompt", default="callback_confirm"),
        "source": Field("choice", default="ivr", choices=("ivr", "after_hours")),
        "anonymous_next": Field("target", required=True),
    },
    "survey": _gather_fields(
        prompt=Field("prompt", required=True),
        thanks_prompt=Field("prompt"),
        next=Field("target", required=True),
        # rating: a 1-5 key; comment: optional speech on the rated survey (silence, a key skip)
        ask=Field("choice", default="rating", choices=("rating", "comment")),
    ),
    "transfer": {
        "number": Field("phone", required=True),
        "prompt": Field("prompt"),
        "timeout": Field("int", default=30, low=5, high=120),
        "next": Field("target", required=True),
    },
    "hangup": {"prompt": Field("prompt", default="goodbye")},
}

FLOW_FIELDS = {"name", "description", "start", "safe_default", "max_failures", "max_steps",
               "fail_prompt", "nodes"}  # fmt: skip

# Edges that the engine may follow without waiting for the caller's input.
_IMMEDIATE_EDGES = {
    "say": ("next",),
    "play": ("next",),
    "set": ("next",),
    "branch": ("cases", "default"),
    "region": ("next",),
    "classify": ("next", "reject"),
    "callback": ("anonymous_next",),
}
# Labels of the graph edges, by field.
_EDGE_LABELS = {"next": "", "dtmf_next": "key", "reject": "no", "on_fail": "fail",
                "anonymous_next": "anonymous", "default": "else"}  # fmt: skip


@dataclass(frozen=True)
class Option:
    """A menu key: where it leads and which variables it sets."""

    next: str
    set: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """A branch case: every variable equals one of its values -> next."""

    when: dict[str, tuple[Any, ...]]
    next: str

    def label(self) -> str:
        """A short text of the condition for graphs."""
        return " and ".join(
            f"{var}={'|'.join(_text(v) for v in values)}" for var, values in self.when.items()
        )


@dataclass(frozen=True)
class Node:
    """One validated node: its id, kind and fields (defaults filled in)."""

    id: str
    kind: str
    spec: dict[str, Any]
    edges: tuple[tuple[str, str], ...]

    def __getitem__(self, key: str) -> Any:
        return self.spec[key]

    def get(self, key: str, default: Any = None) -> Any:
        """A field's value, or default when the field is unset."""
        value = self.spec.get(key)
        return default if value is None else value

    def target(self, key: str) -> str:
        """The node id a target field leads to."""
        value = self.spec[key]
        # The schema refuses a flow whose target fields name no node.
        assert isinstance(value, str), f"{self.id}.{key} is not a node id"
        return value


@dataclass(frozen=True)
class Flow:
    """A validated flow: its nodes by id and the rules every node shares."""

    name: str
    path: Path
    start: str
    safe_default: str
    max_failures: int
    max_steps: int
    fail_prompt: str
    nodes: dict[str, Node]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Mapping(dict[Any, Any]):
    """A YAML mapping that remembers its keys given twice and its line."""

    duplicates: list[tuple[Any, int]]
    line: int


class _Loader(yaml.SafeLoader):
    """A safe loader whose mappings report duplicate keys instead of dropping them."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Mapping:
    loader.flatten_mapping(node)
    mapping = _Mapping()
    mapping.duplicates = []
    mapping.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        if key in mapping:
            mapping.duplicates.append((key, key_node.start_mark.line + 1))
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _duplicates(mapping: Any) -> list[tuple[Any, int]]:
    return list(getattr(mapping, "duplicates", []))


class _Checker:
    """Validates one flow file, collecting every problem."""

    def __init__(self, path: Path, prompts: Prompts, vocabulary: Vocabulary) -> None:
        self.path = path
        self.prompts = prompts
        self.vocabulary = vocabulary
        self.problems: list[FlowProblem] = []

    def problem(self, node: str, reason: str) -> None:
        self.problems.append(FlowProblem(str(self.path), node, reason))

    # Fields -----------------------------------------------------------------------------

    def prompt_key(self, node: str, name: str, value: Any) -> str | None:
        if not isinstance(value, str) or not value:
            self.problem(node, f"'{name}' must be a prompt key")
            return None
        if value not in self.prompts:
            self.problem(node, f"prompt '{value}' is not in {self.prompts.path.name}")
            return None
        return value

    def value(self, node: str, name: str, spec: Field, value: Any) -> Any:
        kind = spec.type
        if kind == "prompt":
            return self.prompt_key(node, name, value)
        if kind == "prompts":
            keys = value if isinstance(value, list) else [value]
            if not keys:
                self.problem(node, f"'{name}' must name at least one prompt")
            return tuple(self.prompt_key(node, name, key) for key in keys)
        if kind == "target":
            if not isinstance(value, str) or not value:
                self.problem(node, f"'{name}' must be a node id")
                return None
            return value
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                value = None
            if value is None or not spec.low <= value <= spec.high:
                self.problem(
                    node, f"'{name}' must be a whole number from {spec.low:g} to {spec.high:g}"
                )
                return None
            return value
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, int | float):
                value = None
            if value is None or not spec.low <= value <= spec.high:
                self.problem(node, f"'{name}' must be a number from {spec.low:g} to {spec.high:g}")
                return None
            return float(value)
        if kind == "choice":
            if value not in spec.choices:
                self.problem(node, f"'{name}' must be one of {', '.join(spec.choices)}")
                return None
            return value
        if kind == "var":
            if not isinstance(value, str) or not VAR_NAME.match(value):
                self.problem(node, f"'{name}' must be a variable name like 'speech'")
                return None
            return value
        if kind == "phone":
            text = _text(value)
            if not re.fullmatch(r"\+?\d{3,16}", text):
                self.problem(node, f"'{name}' must be a phone number like 110 or +8645112348")
                return None
            return text
        if kind == "urls":
            urls = value if isinstance(value, list) else [value]
            if not urls or not all(
                isinstance(u, str) and u.startswith(("https://", "http://", "/")) for u in urls
            ):
                self.problem(node, f"'{name}' must be one or more http(s) URLs")
            return tuple(urls)
        if kind == "hints":
            if value in ("topics", "regions"):
                return value
            if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
                self.problem(node, f"'{name}' must be a list of words, 'topics' or 'regions'")
                return ()
            return tuple(value)
        if kind in ("service", "group", "topic", "region"):
            return self.routing_value(node, kind, value)
        if kind == "options":
            return self.options(node, value)
        if kind == "cases":
            return self.cases(node, value)
        if kind == "set":
            return self.assignments(node, name, value)
        raise AssertionError(f"unknown field type {kind}")  # pragma: no cover

    def routing_value(self, node: str, var: str, value: Any) -> Any:
        vocab = self.vocabulary
        allowed: frozenset[str] = {
            "service": vocab.services,
            "group": vocab.groups,
            "topic": vocab.topics,
            "region": vocab.regions,
        }[var]
        text = _text(value)
        if text not in allowed:
            self.problem(node, f"{var} '{text}' is not one of {', '.join(sorted(allowed))}")
            return None
        return text

    def assignments(self, node: str, name: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict) or not value:
            self.problem(node, f"'{name}' must map variable names to values")
            return {}
        result: dict[str, Any] = {}
        for var, item in value.items():
            var = str(var)
            if var in COMPUTED_VARS:
                self.problem(node, f"'{var}' is computed by the engine and cannot be set")
            elif not VAR_NAME.match(var):
                self.problem(node, f"'{var}' is not a variable name")
            elif var in ("service", "group", "topic", "region"):
                result[var] = self.routing_value(node, var, item)
            elif var == "priority":
                result[var] = self.value(node, "priority", Field("int", low=0, high=9), item)
            elif var == "green_channel" and not isinstance(item, bool):
                self.problem(node, "'green_channel' must be true or false")
            elif item is not None and not isinstance(item, str | int | float | bool):
                self.problem(node, f"'{var}' must be set to a plain value")
            else:
                result[var] = item
        return result

    def options(self, node: str, value: Any) -> dict[str, Option]:
        if not isinstance(value, dict) or not value:
            self.problem(node, "'options' must map keys to nodes")
            return {}
        for key, line in _duplicates(value):
            self.problem(node, f"menu key '{_text(key)}' used twice (line {line})")
        result: dict[str, Option] = {}
        for raw_key, item in value.items():
            key = _text(raw_key)
            if key == REPEAT_KEY:
                self.problem(node, "menu key '*' is reserved: it repeats the prompt")
                continue
            if key not in MENU_KEYS:
                self.problem(node, f"menu key '{key}' must be one key 0-9 or #")
                continue
            if key in result:
                self.problem(node, f"menu key '{key}' used twice")
                continue
            if isinstance(item, str):
                item = {"next": item}
            if not isinstance(item, dict):
                self.problem(node, f"menu key '{key}' must name a node or map next/set")
                continue
            unknown = set(item) - {"next", "set"}
            if unknown:
                self.problem(node, f"menu key '{key}' has an unknown field '{sorted(unknown)[0]}'")
            target = item.get("next")
            if not isinstance(target, str) or not target:
                self.problem(node, f"menu key '{key}' is missing 'next'")
                continue
            assigned = self.assignments(node, f"{key}.set", item["set"]) if "set" in item else {}
            result[key] = Option(next=target, set=assigned)
        return result

    def cases(self, node: str, value: Any) -> tuple[Case, ...]:
        if not isinstance(value, list) or not value:
            self.problem(node, "'cases' must be a list of {when, next}")
            return ()
        result = []
        for index, item in enumerate(value):
            where = f"cases[{index}]"
            if not isinstance(item, dict) or set(item) != {"when", "next"}:
                self.problem(node, f"{where} must have exactly 'when' and 'next'")
                continue
            when = item["when"]
            if not isinstance(when, dict) or not when:
                self.problem(node, f"{where}.when must map variables to values")
                continue
            condition = {}
            for var, expected in when.items():
                values = tuple(expected) if isinstance(expected, list) else (expected,)
                if not values or any(isinstance(v, dict | list) for v in values):
                    self.problem(node, f"{where}.when.{var} must be a value or a list of values")
                condition[str(var)] = values
            target = item["next"]
            if not isinstance(target, str) or not target:
                self.problem(node, f"{where}.next must be a node id")
                continue
            result.append(Case(when=condition, next=target))
        return tuple(result)

    # Nodes ------------------------------------------------------------------------------

    def node(self, node_id: Any, data: Any) -> Node | None:
        node_id = _text(node_id)
        if not NODE_ID.match(node_id):
            self.problem(node_id, "a node id must be lower-case letters, digits and _")
            return None
        if not isinstance(data, dict):
            self.problem(node_id, "a node must be a mapping with a 'kind'")
            return None
        for key, line in _duplicates(data):
            self.problem(node_id, f"field '{key}' given twice (line {line})")
        kind = data.get("kind")
        if kind is None:
            self.problem(node_id, "missing 'kind'")
            return None
        if kind not in KIND_FIELDS:
            known = ", ".join(sorted(KIND_FIELDS))
            self.problem(node_id, f"unknown node kind '{kind}' (known: {known})")
            return None
        fields = KIND_FIELDS[kind]
        for key in data:
            if key != "kind" and key not in fields:
                self.problem(node_id, f"unknown field '{key}' for a {kind} node")
        spec: dict[str, Any] = {}
        for name, field_spec in fields.items():
            if name not in data or data[name] is None:
                if field_spec.required:
                    self.problem(node_id, f"missing '{name}'")
                default = field_spec.default
                if field_spec.type == "prompt" and default is not None:
                    default = self.prompt_key(node_id, name, default)
                spec[name] = default
                continue
            spec[name] = self.value(node_id, name, field_spec, data[name])
        return Node(id=node_id, kind=kind, spec=spec, edges=tuple(_edges(kind, spec)))

    # Whole flow -------------------------------------------------------------------------

    def flow(self, data: Any) -> Flow | None:
        if not isinstance(data, dict):
            self.problem(FLOW_LEVEL, "a flow file must be a mapping with start and nodes")
            return None
        for key, line in _duplicates(data):
            self.problem(FLOW_LEVEL, f"field '{key}' given twice (line {line})")
        for key in data:
            if key not in FLOW_FIELDS:
                self.problem(FLOW_LEVEL, f"unknown field '{key}'")
        raw_nodes = data.get("nodes")
        if not isinstance(raw_nodes, dict) or not raw_nodes:
            self.problem(FLOW_LEVEL, "missing 'nodes' (a mapping of node id to node)")
            return None
        for key, line in _duplicates(raw_nodes):
            self.problem(_text(key), f"node defined twice (line {line})")
        nodes: dict[str, Node] = {}
        for node_id, node_data in raw_nodes.items():
            node = self.node(node_id, node_data)
            if node is not None:
                nodes[node.id] = node
        start = self.flow_target(data, "start", raw_nodes)
        safe_default = self.flow_target(data, "safe_default", raw_nodes)
        if safe_default in nodes and nodes[safe_default].kind not in TERMINAL_KINDS:
            self.problem(
                FLOW_LEVEL,
                f"'safe_default' must be a node of kind {', '.join(TERMINAL_KINDS)}",
            )
        max_failures = self.value(
            FLOW_LEVEL, "max_failures", Field("int", low=1, high=5), data.get("max_failures", 3)
        )
        max_steps = self.value(
            FLOW_LEVEL, "max_steps", Field("int", low=5, high=200), data.get("max_steps", 40)
        )
        fail_prompt = self.prompt_key(
            FLOW_LEVEL, "fail_prompt", data.get("fail_prompt", "too_many_failures")
        )
        name = data.get("name", self.path.stem)
        if not isinstance(name, str | int) or not _text(name):
            self.problem(FLOW_LEVEL, "'name' must be a text")
        self.targets(nodes)
        self.variables(nodes)
        if start in nodes:
            self.reachability(nodes, [start] + ([safe_default] if safe_default else []), start)
        self.input_loops(nodes)
        if self.problems:
            return None
        return Flow(
            name=_text(name),
            path=self.path,
            start=start or "",
            safe_default=safe_default or "",
            max_failures=max_failures,
            max_steps=max_steps,
            fail_prompt=fail_prompt or "",
            nodes=nodes,
        )

    def flow_target(self, data: dict[Any, Any], name: str, raw_nodes: dict[Any, Any]) -> str | None:
        value = data.get(name)
        if not isinstance(value, str) or not value:
            self.problem(FLOW_LEVEL, f"missing '{name}' (a node id)")
            return None
        if value not in raw_nodes:
            self.problem(FLOW_LEVEL, f"'{name}' names a node that does not exist: '{value}'")
            return None
        return value

    def targets(self, nodes: dict[str, Node]) -> None:
        for node in nodes.values():
            for label, target in node.edges:
                if target not in nodes:
                    where = f"'{label}'" if label else "'next'"
                    self.problem(node.id, f"{where} names a node that does not exist: '{target}'")

    def variables(self, nodes: dict[str, Node]) -> None:
        known = set(COMPUTED_VARS) | ROUTING_VARS
        for node in nodes.values():
            if node.kind in ("speech", "classify") and node.get("var"):
                known.add(node["var"])
            assignments = [node.get("set", {})] if node.kind == "set" else []
            if node.kind == "menu":
                assignments += [option.set for option in (node.get("options") or {}).values()]
            for assigned in assignments:
                known.update(assigned)
        for node in nodes.values():
            for case in node.get("cases", ()) if node.kind == "branch" else ():
                for var in case.when:
                    if var not in known:
                        self.problem(node.id, f"branch on unknown variable '{var}'")

    def reachability(self, nodes: dict[str, Node], roots: list[str], start: str) -> None:
        seen: set[str] = set()
        todo = [root for root in roots if root in nodes]
        while todo:
            node_id = todo.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            todo.extend(t for _, t in nodes[node_id].edges if t in nodes and t not in seen)
        for node_id in nodes:
            if node_id not in seen:
                self.problem(node_id, f"unreachable from the start node '{start}'")

    def input_loops(self, nodes: dict[str, Node]) -> None:
        """Refuse cycles the engine could run forever without waiting for the caller."""
        graph = {
            node.id: [t for field_name, t in _immediate_edges(node) if t in nodes]
            for node in nodes.values()
        }
        state: dict[str, int] = {}  # 1 = on the path, 2 = done
        reported: set[frozenset[str]] = set()

        def visit(node_id: str, path: list[str]) -> None:
            state[node_id] = 1
            path.append(node_id)
            for target in graph[node_id]:
                if state.get(target) == 1:
                    cycle = path[path.index(target) :] + [target]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        self.problem(target, "loop without any input: " + " -> ".join(cycle))
                elif target not in state:
                    visit(target, path)
            path.pop()
            state[node_id] = 2

        for node_id in graph:
            if node_id not in state:
                visit(node_id, [])


def _edges(kind: str, spec: dict[str, Any]) -> list[tuple[str, str]]:
    """The (label, target) edges of a node, for reachability and graphs."""
    edges: list[tuple[str, str]] = []
    if kind == "menu":
        edges += [(key, option.next) for key, option in (spec.get("options") or {}).items()]
    if kind == "branch":
        edges += [(case.label(), case.next) for case in spec.get("cases") or ()]
    for name in ("next", "dtmf_next", "reject", "anonymous_next", "default", "on_fail"):
        target = spec.get(name)
        if isinstance(target, str) and target:
            edges.append((_EDGE_LABELS[name], target))
    return edges


def _immediate_edges(node: Node) -> list[tuple[str, str]]:
    names = _IMMEDIATE_EDGES.get(node.kind, ())
    edges: list[tuple[str, str]] = []
    for name in names:
        if name == "cases":
            edges += [("case", case.next) for case in node.get("cases", ())]
        elif node.get(name):
            edges.append((name, node[name]))
    return edges


def parse_flow(text: str, path: Path, prompts: Prompts, vocabulary: Vocabulary) -> Flow:
    """Validate the text of one flow file; raise FlowError listing every problem."""
    checker = _Checker(path, prompts, vocabulary)
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        checker.problem(FLOW_LEVEL, "not valid YAML: " + " ".join(str(exc).split()))
        raise FlowError(checker.problems) from None
    flow = checker.flow(data)
    if flow is None:
        raise FlowError(checker.problems)
    return flow


def load_flow(path: Path, prompts: Prompts, vocabulary: Vocabulary) -> Flow:
    """Read and validate one flow file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError([FlowProblem(str(path), FLOW_LEVEL, f"cannot be read: {exc}")]) from None
    return parse_flow(text, path, prompts, vocabulary)


def load_flows(flows_dir: Path, prompts: Prompts, vocabulary: Vocabulary) -> dict[str, Flow]:
    """Validate every *.yaml flow in a directory; raise FlowError listing all problems."""
    paths = sorted(flows_dir.glob("*.yaml")) if flows_dir.is_dir() else []
    if not paths:
        raise FlowError([FlowProblem(str(flows_dir), FLOW_LEVEL, "no flow files (*.yaml)")])
    flows: dict[str, Flow] = {}
    problems: list[FlowProblem] = []
    for path in paths:
        try:
            flow = load_flow(path, prompts, vocabulary)
        except FlowError as exc:
            problems.extend(exc.problems)
            continue
        if flow.name in flows:
            problems.append(
                FlowProblem(str(path), FLOW_LEVEL, f"flow name '{flow.name}' is used twice")
            )
        flows[flow.name] = flow
    if problems:
        raise FlowError(problems)
    return flows
