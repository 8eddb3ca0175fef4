"""Keep a process off the network: every socket connection to a non-loopback address is refused.

`hotline demo` installs this in itself and runs its worker and router through
`python -m hotline.cli.offline worker|router`, so no process of the demo can reach
Twilio or any other outside host, whatever a setting says.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Any

_state = {"installed": False, "active": False, "refused": 0}
AUDITED = ("socket.connect", "socket.sendto", "socket.getaddrinfo")


class OutsideHostRefused(ConnectionRefusedError):
    """A connection to a host other than this machine was attempted and refused."""


def is_local_address(address: Any) -> bool:
    """Whether a socket address is a Unix socket path or a loopback IP."""
    if isinstance(address, str | bytes):
        return True  # AF_UNIX: the embedded Redis
    if not isinstance(address, tuple) or not address:
        return False
    host = str(address[0]).split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


def _allowed(event: str, args: tuple[Any, ...]) -> bool:
    if event == "socket.getaddrinfo":  # even a DNS query for an outside name is refused
        host = args[0].decode() if isinstance(args[0], bytes) else args[0]
        return host is None or host in LOCAL_NAMES or is_local_address((host, 0))
    sock, address = args[0], args[-1]
    return getattr(sock, "family", None) == socket.AF_UNIX or is_local_address(address)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _state["active"] or event not in AUDITED:
        return
    if _allowed(event, args):
        return
    address = args[0] if event == "socket.getaddrinfo" else args[-1]
    _state["refused"] += 1
    print(f"local-only: refused a connection to {address!r}", file=sys.stderr)
    raise OutsideHostRefused(f"the demo stays on this machine: refused {address!r}")


def enable() -> None:
    """Refuse outside connections in this process from now on (audit hooks cannot be removed)."""
    if not _state["installed"]:
        sys.addaudithook(_audit)
        _state["installed"] = True
    _state["active"] = True


def disable() -> None:
    """Stop refusing (the hook stays installed but does nothing)."""
    _state["active"] = False


def refused() -> int:
    """How many outside connections this process refused."""
    return int(_state["refused"])
