"""The survey flow file: valid, kept apart from the call flows, and safe when its state is lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotline.cli import main
from hotline.models import Survey
from hotline.web.ivr import ENGINE_KEY, SURVEY_ENGINE_KEY
from ivr_flows.engine import SURVEY_FLOW, call_flows
from ivr_flows.resources import load_resources
from ivr_flows.schema import FlowError, load_flows, parse_flow
from tests.conftest import AUTH_TOKEN
from tests.harness.caller import TestCaller, new_call_sid
from tests.ivr_flows.support import (
    CONFIG_DIR,
    FLOWS_DIR,
    HARBIN_LANDLINE,
    StubClassifier,
    make_app,
    twiml_problems,
)

SURVEY_TEXT = (FLOWS_DIR / "survey.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def resources():
    return load_resources(CONFIG_DIR, classifier=lambda: StubClassifier("综合咨询", "9", 0.0))


def test_the_survey_flow_is_valid_and_no_call_starts_in_it(resources):
    flows = load_flows(FLOWS_DIR, resources.prompts, resources.vocabulary())
    survey = flows[SURVEY_FLOW]

    assert (survey.start, survey.safe_default, survey.max_failures) == ("rating", "goodbye", 2)
    assert (survey.nodes["rating"]["ask"], survey.nodes["comment"]["ask"]) == (
        "rating", "comment",
    )  # fmt: skip
    assert survey.nodes["rating"]["on_fail"] == "goodbye"
    assert survey.nodes["thanks"].kind == survey.nodes["goodbye"].kind == "hangup"
    assert set(call_flows(flows)) == {"12348"}


def test_flows_check_validates_the_survey_flow_too():
    result = CliRunner().invoke(main, ["flows", "check"])

    assert result.exit_code == 0, result.output
    assert f"ok: flow survey ({FLOWS_DIR / 'survey.yaml'}, 4 nodes)" in result.output.splitlines()
    assert '  n_rating -->|"fail"| n_goodbye' in result.output.splitlines()


def test_a_survey_node_asks_for_a_rating_or_a_comment_only(resources):
    text = SURVEY_TEXT.replace("ask: comment", "ask: essay")
    with pytest.raises(FlowError) as caught:
        parse_flow(text, Path("flows/survey.yaml"), resources.prompts, resources.vocabulary())
    assert str(caught.value).splitlines() == [
        "flows/survey.yaml: comment: 'ask' must be one of rating, comment"
    ]


def test_a_survey_webhook_whose_state_was_lost_says_goodbye_and_stores_nothing(runtime, db_session):
    app = make_app(runtime)
    caller = TestCaller(app.test_client(), AUTH_TOKEN)
    params = {"CallSid": new_call_sid(), "From": HARBIN_LANDLINE, "To": "+8612348", "Digits": "1"}

    response = caller.send(caller.absolute("/ivr/input?node=rating&flow=survey"), params)

    body = response.get_data(as_text=True)
    assert response.status_code == 200 and twiml_problems(body) == []
    assert "感谢您的来电，再见。" in body and "<Hangup />" in body and "Enqueue" not in body
    assert db_session.scalars(select(Survey)).all() == []


def test_a_flows_directory_without_a_survey_has_no_survey(runtime, tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "12348.yaml").write_text((FLOWS_DIR / "12348.yaml").read_text("utf-8"), "utf-8")

    app = make_app(runtime, flows_dir=flows)

    assert app.extensions[SURVEY_ENGINE_KEY] is None
    assert app.extensions[ENGINE_KEY].flow.name == "12348"
