"""POST /api/token (log in) and DELETE /api/token (revoke the token in use)."""

from __future__ import annotations

from flask import current_app, g, jsonify, request

from hotline import clock
from hotline.auth import issue_token, revoke_token
from hotline.errors import BadRequest
from hotline.web.api import bp
from hotline.web.api.docs import api_doc
from hotline.web.api.json_input import Field, json_object
from hotline.web.api.schemas import ANY_USER, TOKEN
from hotline.web.api.security import token_required
from hotline.web.extensions import db, redis_store
from hotline.web.login_throttle import throttled_authenticate

TOKEN_FIELDS = [Field("username", str, max_length=64), Field("password", str, max_length=256)]


@bp.post("/token")
@api_doc(
    "Exchange username and password for a bearer token (expires after 12 hours)",
    request=TOKEN_FIELDS,
    response=TOKEN,
    status=201,
    errors=(401, 429),
    description="Failed logins are slowed down per username and address, and lock the account "
    "for 15 minutes after 5 in a row (429 with details.retry_after_seconds).",
)
def create_token():  # type: ignore[no-untyped-def]
    """Exchange username and password for a bearer token."""
    body = json_object(TOKEN_FIELDS)
    session = db.session
    now = clock.now()
    try:
        user = throttled_authenticate(
            session,
            redis_store.client,
            body["username"],
            body["password"],
            request.remote_addr,
            now,
            current_app.config["HOTLINE_SETTINGS"].login_slowdown_seconds,
        )
    finally:
        # Failed attempts are counted and audited even though the request fails.
        session.commit()
    issued = issue_token(session, user, now)
    session.commit()
    return jsonify(
        {"token": issued.token, "role": user.role, "expires_at": issued.expires_at.isoformat()}
    ), 201


@bp.delete("/token")
@api_doc("Revoke the bearer token this request is made with", status=204, roles=ANY_USER)
@token_required()
def delete_token():  # type: ignore[no-untyped-def]
    """Revoke the token this request was made with."""
    if g.api_token is None:
        raise BadRequest("this request has no bearer token; pages log out with POST /logout")
    revoke_token(db.session, g.api_token, clock.now())
    db.session.commit()
    return "", 204
