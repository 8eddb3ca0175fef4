"""POST /api/token (log in) and DELETE /api/token (revoke the token in use)."""

from __future__ import annotations

from flask import g, jsonify, request

from hotline.auth import authenticate, issue_token, revoke_token
from hotline.db import utcnow
from hotline.web.api import bp
from hotline.web.api.json_input import Field, json_object
from hotline.web.api.security import token_required
from hotline.web.extensions import db


@bp.post("/token")
def create_token():  # type: ignore[no-untyped-def]
    """Exchange username and password for a bearer token."""
    body = json_object(
        [Field("username", str, max_length=64), Field("password", str, max_length=256)]
    )
    session = db.session
    now = utcnow()
    try:
        user = authenticate(session, body["username"], body["password"], request.remote_addr, now)
    finally:
        # Failed attempts are counted and audited even though the request fails.
        session.commit()
    issued = issue_token(session, user, now)
    session.commit()
    return jsonify(
        {"token": issued.token, "role": user.role, "expires_at": issued.expires_at.isoformat()}
    ), 201


@bp.delete("/token")
@token_required()
def delete_token():  # type: ignore[no-untyped-def]
    """Revoke the token this request was made with."""
    revoke_token(db.session, g.api_token, utcnow())
    db.session.commit()
    return "", 204
