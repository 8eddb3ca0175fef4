"""Ids in URLs: out of the schema's integer range they are a 404, never a database error."""

from __future__ import annotations

import pytest

from tests.console_support import bearer, make_staff

HUGE = "99999999999999999999"


def _int_rules(app) -> list:
    return [r for r in app.url_map.iter_rules() if "<int:" in r.rule]


def test_every_id_route_refuses_an_out_of_range_id_with_404(app, client, db_session):
    make_staff(db_session)
    headers = bearer(client, "chen")  # a supervisor: role checks pass, the id is what fails
    rules = _int_rules(app)
    assert len(rules) >= 10  # the work-item, agent, 回访, message and voicemail routes
    for rule in rules:
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", HUGE)
        method = "POST" if "POST" in rule.methods else "GET"
        response = client.open(path, method=method, json={}, headers=headers)
        # Page forms are refused by the CSRF check before routing answers.
        expected = 404 if path.startswith("/api/") or method == "GET" else 400
        assert response.status_code == expected, (path, response.status_code)


@pytest.mark.parametrize("value", ["0", "-1", "2147483648"])
def test_ids_outside_one_to_two_to_the_31_are_not_routed(app, value):
    adapter = app.url_map.bind("localhost")
    with pytest.raises(Exception) as raised:
        adapter.match(f"/api/work-items/{value}", method="GET")
    assert type(raised.value).__name__ == "NotFound"
    assert adapter.match("/api/work-items/2147483647", method="GET")[1] == {"item_id": 2147483647}
