"""Node kinds that talk with the caller: prompts, menus, speech, classification, branches."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hotline.phones import ANONYMOUS
from ivr_flows.inputs import Given, is_dont_know, is_no, is_yes, spoken_digits
from ivr_flows.schema import REPEAT_KEY, Case, Node, Option
from ivr_flows.turn import Turn
from routing.regions import PROVINCE

# A fixed-line area code of mainland China: 010, 02x, or 0 and three digits from 3 up.
CHINA_AREA_CODE = re.compile(r"^0(10|2\d|[3-9]\d\d)$")
DONT_KNOW_KEY = "0"


class Kind:
    """How a node kind answers when entered, and when input, a recording or a dial result comes."""

    def enter(self, turn: Turn, node: Node) -> str | None:
        """Render the node; return the next node to enter at once, or None to wait/stop."""
        raise NotImplementedError

    def on_input(self, turn: Turn, node: Node, given: Given) -> str | None:
        """Input for a node that asks for none (a stale or forged URL): take the safe default."""
        turn.event(node, "unexpected_input", input=given.for_event())
        return turn.flow.safe_default

    def on_recorded(self, turn: Turn, node: Node, params: Mapping[str, str]) -> str | None:
        """A recording for a node that records nothing: take the safe default."""
        turn.event(node, "unexpected_recording")
        return turn.flow.safe_default

    def on_dialed(self, turn: Turn, node: Node, params: Mapping[str, str]) -> str | None:
        """A dial result for a node that dials nothing: take the safe default."""
        turn.event(node, "unexpected_dial")
        return turn.flow.safe_default


def repeat(turn: Turn, node: Node) -> str:
    """The caller pressed '*': say the node's prompt again."""
    turn.event(node, "repeat")
    return node.id


class Say(Kind):
    """Speak one or more prompts, then go on."""

    def enter(self, turn: Turn, node: Node) -> str | None:
        for key in node["prompt"]:
            turn.say(key)
        turn.event(node, "said")
        return node.target("next")


class Play(Kind):
    """Play one or more audio files, then go on."""

    def enter(self, turn: Turn, node: Node) -> str | None:
        for url in node["url"]:
            turn.answer.play(url)
        turn.event(node, "played")
        return node.target("next")


class Set(Kind):
    """Set flow variables, then go on."""

    def enter(self, turn: Turn, node: Node) -> str | None:
        turn.apply(node["set"])
        turn.event(node, "set", values=node["set"])
        return node.target("next")


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if actual is None or expected is None:
        return actual is None and expected is None
    return str(actual) == str(expected)


def branch_vars(variables: Mapping[str, Any]) -> dict[str, Any]:
    """The flow variables plus the ones derived for conditions."""
    return {**variables, "region_known": variables.get("region") is not None}


def case_matches(case: Case, variables: Mapping[str, Any]) -> bool:
    """Whether every variable of the case has one of its values."""
    return all(
        any(_same(variables.get(var), value) for value in values)
        for var, values in case.when.items()
    )


class Branch(Kind):
    """Go to the first case whose condition holds, else to the default."""

    def enter(self, turn: Turn, node: Node) -> str | None:
        variables = branch_vars(turn.vars)
        cases: tuple[Case, ...] = node["cases"]
        for index, case in enumerate(cases):
            if case_matches(case, variables):
                turn.event(node, "branched", case=index, next=case.next)
                return case.next
        turn.event(node, "branched", case=None, next=node["default"])
        return node.target("default")


class Menu(Kind):
    """A DTMF menu: one key leads on, '*' repeats, anything else counts as a failure."""

    def enter(self, turn: Turn, node: Node) -> str | None:
        turn.answer.gather(node.id, [turn.text(node["prompt"])], timeout=node["timeout"])
        turn.event(node, "prompted")
        return None

    def on_input(self, turn: Turn, node: Node, given: Given) -> str | None:
        key = given.digits.rstrip("#") or given.digits
        if not key and given.speech:
            key = spoken_digits(given.speech)
        if not key:
            return turn.fail(node, "invalid" if given.speech else "no_input", given)
        if key == REPEAT_KEY:
            return repeat(turn, node)
        options: dict[str, Option] = node["options"]
        option = options.get(key)
        if option is None:
            return turn.fail(node, "invalid", given)
        turn.accepted(node)
        turn.apply(option.set)
        turn.event(node, "chosen", input=key, next=option.next)
        return option.next


def _hints(turn: Turn, node: Node) -> list[str]:
    hints = node.get("hints", ())
    if hints == "topics":
        return turn.resources.taxonomy.topics()
    if hints == "regions":
        return [region.name for region in turn.resources.regions.regions]
    return list(hints)


class Speech(Kind):
    """Ask the caller to say something (Mandarin); a key press may lead elsewhere."""

    def enter(self, turn: Turn, node: Node) -> str | None:
        turn.answer.gather(
            node.id,
            [turn.text(node["prompt"])],
            speech=True,
            timeout=node["timeout"],
            hints=_hints(turn, node),
        )
        turn.event(node, "prompted")
        return None

    def on_input(self, turn: Turn, node: Node, given: Given) -> str | None:
        if given.digits:
            if given.digits == REPEAT_KEY:
                return repeat(turn, node)
            if node.get("dtmf_next"):
                turn.accepted(node)
                turn.event(node, "keyed", input=given.digits, next=node["dtmf_next"])
                return node.target("dtmf_next")
            return turn.fail(node, "invalid", given)
        if not given.speech:
            return turn.fail(node, "no_input", given)
        turn.accepted(node)
        turn.vars[node["var"]] = given.speech
        turn.event(node, "heard", input=given.for_event(), next=node["next"])
        return node.target("next")


class Classify(Kind):
    """Classify what the caller said; confirm the topic when the classifier is unsure."""

    def enter(self, turn: Turn, node: Node) -> str | None:
        text = str(turn.vars.get(node["var"]) or "")
        result = turn.resources.classifier().classify(text)
        confidence = round(float(result.confidence), 4)
        turn.vars.update(
            guess_topic=result.topic, guess_group=result.group, guess_confidence=confidence
        )
        if confidence <= 0:
            turn.say(node.get("not_understood_prompt"))
            turn.event(node, "not_understood", next=node["reject"])
            return node.target("reject")
        if confidence >= node["threshold"]:
            turn.apply({"topic": result.topic, "group": result.group})
            turn.say(node.get("accepted_prompt"))
            turn.event(node, "accepted", topic=result.topic, confidence=confidence)
            return node.target("next")
        turn.answer.gather(
            node.id, [turn.text(node["prompt"])], speech=True, timeout=node["timeout"],
            hints=["是", "不是", "对", "不对"],
        )  # fmt: skip
        turn.event(node, "confirm_asked", topic=result.topic, confidence=confidence)
        return None

    def on_input(self, turn: Turn, node: Node, given: Given) -> str | None:
        guess = turn.vars.get("guess_topic")
        if given.digits == REPEAT_KEY:
            return repeat(turn, node)
        if given.empty:
            return turn.fail(node, "no_input", given)
        if guess and (given.digits == "1" or (not given.digits and is_yes(given.speech))):
            turn.accepted(node)
            turn.apply({"topic": guess, "group": turn.vars.get("guess_group")})
            turn.event(node, "confirmed", input=given.for_event(), topic=guess)
            return node.target("next")
        if given.digits == "2" or (not given.digits and is_no(given.speech)):
            turn.accepted(node)
            turn.event(node, "rejected", input=given.for_event(), next=node["reject"])
            return node.target("reject")
        return turn.fail(node, "invalid", given)


class Region(Kind):
    """The caller's region: from the number, else asked (area code, name, or 'don't know')."""

    def enter(self, turn: Turn, node: Node) -> str | None:
        region = turn.vars.get("region")
        if region:
            turn.event(node, "known", region=region, reason=turn.vars.get("region_reason"))
            return node.target("next")
        names = [r.name for r in turn.resources.regions.regions]
        turn.answer.gather(
            node.id, [turn.text(node["prompt"])], speech=True, num_digits=4, finish_on_key="#",
            timeout=node["timeout"], hints=names + ["不知道", "不清楚"],
        )  # fmt: skip
        turn.event(node, "prompted", reason=turn.vars.get("region_reason"))
        return None

    def on_input(self, turn: Turn, node: Node, given: Given) -> str | None:
        if given.digits == REPEAT_KEY:
            return repeat(turn, node)
        if given.empty:
            return turn.fail(node, "no_input", given)
        found = self._resolve(turn, given)
        if found is None:
            return turn.fail(node, "invalid", given)
        region, how = found
        turn.accepted(node)
        turn.vars.update(region=region, region_reason=how)
        caller = turn.call.caller
        if region != PROVINCE and caller is not None and caller.phone != ANONYMOUS:
            caller.region = region  # asked once, known next time
        turn.event(node, "given", input=given.for_event(), region=region, how=how)
        return node.target("next")

    @staticmethod
    def _resolve(turn: Turn, given: Given) -> tuple[str, str] | None:
        directory = turn.resources.regions
        speech = given.speech
        if speech and is_dont_know(speech):
            return PROVINCE, "dont_know"
        if speech and not given.digits:
            named = next((r for r in directory.regions if r.name in speech), None)
            if named is not None:
                return named.code, "named"
        digits = given.digits.rstrip("#") or spoken_digits(speech)
        if digits == DONT_KNOW_KEY:
            return PROVINCE, "dont_know"
        if not digits or len(digits) > 4:
            return None
        region = directory.by_area_code(digits)
        if region is not None:
            return region.code, "area_code"
        if CHINA_AREA_CODE.match(digits):
            return PROVINCE, "other_province"
        return None
