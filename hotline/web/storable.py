"""Text a database column cannot store: NUL (PostgreSQL text refuses it) and lone surrogates.

The API refuses a request that carries such a character (400, naming where it is), and so do
the staff pages (a 400 error page); a Twilio webhook has it dropped, after its signature was
checked on what Twilio sent, with one log line, so the citizen's call or message goes on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Request, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from hotline.twiml import TWILIO_PATH_PREFIXES
from hotline.web.extensions import SAFE_METHODS

log = logging.getLogger("hotline.web")

# A lone surrogate cannot be encoded as UTF-8 (psycopg and sqlite3 both fail on it).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable(text: str) -> bool:
    """True when every character of the text can be stored in a text column."""
    return _UNSTORABLE.search(text) is None


def storable(text: str) -> str:
    """The text without the characters a text column cannot store."""
    return _UNSTORABLE.sub("", text)


def unstorable_in_json(value: Any, where: str = "") -> str | None:
    """Where in a decoded JSON value (keys too) the first unstorable character is, or None."""
    if isinstance(value, str):
        return None if is_storable(value) else where
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            if not is_storable(str(key)):
                return storable(name)
            found = unstorable_in_json(item, name)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable_in_json(item, f"{where}[{index}]")
            if found is not None:
                return found
    return None


def unstorable_in_pairs(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The name of the first (name, value) pair with an unstorable character, or None."""
    for name, value in pairs:
        if not (is_storable(name) and is_storable(value)):
            return storable(name)
    return None


Params = MultiDict[str, str]


def _cleaned(values: Params) -> tuple[Params, list[str]]:
    pairs = list(values.items(multi=True))
    dirty = [name for name, value in pairs if not (is_storable(name) and is_storable(value))]
    if not dirty:
        return values, []
    clean = [(storable(name), storable(value)) for name, value in pairs]
    return ImmutableMultiDict(clean), [storable(name) for name in dirty]


def drop_unstorable_webhook_input() -> None:
    """Drop unstorable characters from this webhook's form and query string, with a log line."""
    # Werkzeug caches the parsed form and query string on the request object: replacing them
    # there is what every later request.form / request.args read sees.
    current: Request = request._get_current_object()  # type: ignore[attr-defined]  # LocalProxy
    form, dirty_form = _cleaned(current.form)
    args, dirty_args = _cleaned(current.args)
    if not (dirty_form or dirty_args):
        return
    current.__dict__["form"] = form
    current.__dict__["args"] = args
    current.__dict__.pop("values", None)  # the cached union of both, made again from these
    log.warning(
        "webhook %s: dropped characters a database cannot store from %s",
        current.path,
        ", ".join(sorted(set(dirty_form + dirty_args))),
    )


PAGE_MESSAGE = "请求中含有无法保存的字符（如空字符 NUL），请删除后重试。"


def refuse_unstorable_page_input() -> ResponseReturnValue | None:
    """before_request of the staff pages: a 400 error page for unstorable input."""
    if request.path.startswith(("/api/", "/static/", *TWILIO_PATH_PREFIXES)):
        return None  # the API refuses with its JSON error; webhooks drop the characters
    pairs = [
        *((name, str(value)) for name, value in (request.view_args or {}).items()),
        *request.args.items(multi=True),
        *(request.form.items(multi=True) if request.method not in SAFE_METHODS else ()),
    ]
    name = unstorable_in_pairs(pairs)
    if name is None:
        return None
    log.warning("page %s refused: %s has characters a database cannot store", request.path, name)
    return render_template("error.html", status=400, message=PAGE_MESSAGE), 400
