"""A flow as a Mermaid flowchart, for reviews and `hotline flows check`."""

from __future__ import annotations

from ivr_flows.schema import Flow, Node

_WAITING = {"menu", "speech", "classify", "region", "survey"}
_EXITS = {"enqueue", "voicemail", "callback", "transfer", "hangup"}


def _quote(text: str) -> str:
    return text.replace('"', "#quot;")


def _ref(node_id: str) -> str:
    # Prefixed: Mermaid reserves words such as "end".
    return f"n_{node_id}"


def _shape(node: Node) -> str:
    label = _quote(f"{node.id}<br/>{node.kind}")
    if node.kind in _WAITING:
        return f'{_ref(node.id)}{{"{label}"}}'
    if node.kind in _EXITS:
        return f'{_ref(node.id)}(["{label}"])'
    return f'{_ref(node.id)}["{label}"]'


def to_mermaid(flow: Flow) -> str:
    """The flow as Mermaid flowchart text: one box per node, one arrow per way on."""
    lines = ["flowchart TD", f"  %% flow {flow.name} ({flow.path.name})"]
    lines.append(f'  flow_start(("start")) --> {_ref(flow.start)}')
    for node in flow.nodes.values():
        lines.append(f"  {_shape(node)}")
    for node in flow.nodes.values():
        for label, target in node.edges:
            arrow = f'-->|"{_quote(label)}"|' if label else "-->"
            lines.append(f"  {_ref(node.id)} {arrow} {_ref(target)}")
    failures = f"{flow.max_failures} failures"
    lines.append(f'  flow_failures(("{failures}")) -.-> {_ref(flow.safe_default)}')
    return "\n".join(lines) + "\n"
