"""GET /api/openapi.json is generated from the models; an undocumented endpoint is caught."""

from __future__ import annotations

from openapi_spec_validator import validate

from hotline.web.api.openapi import undocumented_endpoints


def test_every_api_endpoint_is_documented(app):
    assert undocumented_endpoints(app) == []


def test_the_document_describes_the_design_endpoints(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path, method in [
        ("/api/token", "post"),
        ("/api/token", "delete"),
        ("/api/consultations", "post"),
        ("/api/consultations", "get"),
        ("/api/consultations/{case_number}", "get"),
        ("/api/calls", "get"),
        ("/api/calls/{call_sid}", "get"),
        ("/api/calls/{call_sid}/history", "get"),
        ("/api/calls/{call_sid}/reveal", "post"),
        ("/api/voice/token", "post"),
        ("/api/me", "get"),
        ("/api/vocabulary", "get"),
        ("/api/openapi.json", "get"),
    ]:
        assert method in paths.get(path, {}), f"{method.upper()} {path} missing"
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation["summary"] and "(undocumented)" not in operation["summary"], path
            assert operation["responses"], f"{method} {path}"


def test_request_schemas_come_from_the_checked_fields(client):
    document = client.get("/api/openapi.json").get_json()
    create = document["paths"]["/api/consultations"]["post"]
    schema = create["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["call_sid", "topic", "summary", "disposition"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["summary"] == {"type": "string", "maxLength": 2000}
    assert "legal_aid" in schema["properties"]["disposition"]["enum"]
    assert schema["properties"]["follow_up_needed"] == {"type": "boolean"}
    assert set(create["responses"]) == {"201", "400", "401", "403", "404", "409", "503"}
    assert create["x-roles"] == ["lawyer", "mediator", "legal_aid"]
    detail = document["paths"]["/api/calls/{call_sid}"]["get"]
    assert detail["parameters"][0] == {
        "name": "call_sid",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    login = document["paths"]["/api/token"]["post"]
    assert login["security"] == []


def test_an_endpoint_added_without_docs_is_reported(app):
    app.add_url_rule("/api/not-documented", "not_documented", lambda: "", methods=["GET"])
    assert undocumented_endpoints(app) == ["GET /api/not-documented"]


def test_the_document_is_valid_openapi_3_1(client):
    document = client.get("/api/openapi.json").get_json()

    validate(document)  # raises on any error
    assert document["openapi"] == "3.1.0"


def test_schemas_come_from_the_models(client):
    document = client.get("/api/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    listing = document["paths"]["/api/consultations"]["get"]
    answer = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["properties"]["consultations"]["items"] == {
        "$ref": "#/components/schemas/ConsultationOut"
    }
    assert schemas["ConsultationOut"]["additionalProperties"] is False
    assert schemas["Error"]["required"] == ["error", "message"]
    current = document["paths"]["/api/agents/me/current"]["get"]["responses"]["200"]
    assert current["content"]["application/json"]["schema"] == {
        "anyOf": [{"$ref": "#/components/schemas/CurrentCallOut"}, {"type": "null"}]
    }
    assert "caller_full" not in schemas["CurrentCallOut"]["required"]
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}
    text = str(document)
    assert "$defs" not in text and "'title': 'Summary'" not in text
