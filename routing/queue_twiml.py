"""TwiML of the waiting caller, the connect and re-queue steps, and the agent's whisper.

Pure functions of what to say and where to go; `url(path)` makes the absolute URLs (so a public
URL with a path prefix is kept). No outside host is named: hold is <Say> and <Pause>.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from twilio.twiml.voice_response import VoiceResponse

from hotline.config_files import VoiceConfig
from hotline.twiml import QUEUE_PREFIX, dial_contact
from routing.config import QueuePrompts
from routing.handoff import placement_for

UrlFor = Callable[[str], str]


class SaysText(Protocol):
    """A TwiML verb that can hold a <Say>: a VoiceResponse or a Gather."""

    def say(self, message: str, **attrs: str) -> object: ...


WAIT_CHOICE_PATH = f"{QUEUE_PREFIX}/wait-choice"
OFFER_CHOICE_PATH = f"{QUEUE_PREFIX}/offer-choice"
VOICEMAIL_PATH = f"{QUEUE_PREFIX}/voicemail"
WHISPER_PATH = f"{QUEUE_PREFIX}/whisper"
DIAL_RESULT_PATH = f"{QUEUE_PREFIX}/dial-result"
GATHER_TIMEOUT = 5
WHISPER_TIMEOUT = 8
VOICEMAIL_MAX_SECONDS = 120


@dataclass(frozen=True)
class Speaker:
    """Prompts, voice and URL maker shared by every answer."""

    prompts: QueuePrompts
    voice: VoiceConfig
    url: UrlFor

    def say(self, target: SaysText, key: str, **values: object) -> None:
        """Speak a queue prompt into a response or a Gather."""
        target.say(self.prompts.text(key, **values), **self.voice.say_attrs())


def enqueue_again(speaker: Speaker, region: str, notice: str | None = None) -> str:
    """Put the caller (back) in its region's Twilio queue, optionally after a notice."""
    response = VoiceResponse()
    if notice:
        speaker.say(response, notice)
    placement = placement_for(region)
    response.enqueue(
        placement.queue_name,
        wait_url=speaker.url(placement.wait_url),
        wait_url_method="POST",
        action=speaker.url(placement.action_url),
        method="POST",
    )
    return str(response)


def holding(speaker: Speaker, pause_seconds: int, key: str = "hold") -> str:
    """A plain hold: a prompt and a pause (Twilio requests the waitUrl again after it)."""
    response = VoiceResponse()
    speaker.say(response, key)
    response.pause(length=max(1, pause_seconds))
    return str(response)


def waiting(speaker: Speaker, ahead: int, minutes: int, first: bool, pause_seconds: int) -> str:
    """Position and expected wait, then hold until the next announcement.

    From the second announcement on (the caller has waited a while) the caller is also offered
    a call-back instead of waiting.
    """
    response = VoiceResponse()
    if first:
        speaker.say(response, "hold")
    if ahead > 0:
        speaker.say(response, "position", ahead=ahead, minutes=minutes)
    else:
        speaker.say(response, "position_next", minutes=minutes)
    if first:
        response.pause(length=max(1, pause_seconds))
        return str(response)
    gather = response.gather(
        num_digits=1,
        action=speaker.url(WAIT_CHOICE_PATH),
        method="POST",
        timeout=GATHER_TIMEOUT,
    )
    speaker.say(gather, "callback_offer")
    response.pause(length=max(1, pause_seconds))
    return str(response)


def alternatives_in_queue(speaker: Speaker, reason_key: str) -> str:
    """Nobody can take the call or the wait is too long: call-back (1) or voicemail (2, default)."""
    response = VoiceResponse()
    speaker.say(response, reason_key)
    gather = response.gather(
        num_digits=1,
        action=speaker.url(WAIT_CHOICE_PATH + "?mode=offer"),
        method="POST",
        timeout=GATHER_TIMEOUT,
        action_on_empty_result=True,
    )
    speaker.say(gather, "alternatives")
    response.pause(length=1)
    return str(response)


def alternatives_out_of_queue(speaker: Speaker, reason_key: str) -> str:
    """The same choice for a caller not in a queue (e.g. the queue was full)."""
    response = VoiceResponse()
    speaker.say(response, reason_key)
    gather = response.gather(
        num_digits=1,
        action=speaker.url(OFFER_CHOICE_PATH),
        method="POST",
        timeout=GATHER_TIMEOUT,
        action_on_empty_result=True,
    )
    speaker.say(gather, "alternatives")
    response.redirect(speaker.url(OFFER_CHOICE_PATH), method="POST")
    return str(response)


def leave_queue(speaker: Speaker, key: str | None = None) -> str:
    """Leave the Twilio queue (the Enqueue action then says what comes next)."""
    response = VoiceResponse()
    if key:
        speaker.say(response, key)
    response.leave()
    return str(response)


def say_only(speaker: Speaker, key: str) -> str:
    """A short prompt; in a queue, the caller keeps waiting after it."""
    response = VoiceResponse()
    speaker.say(response, key)
    return str(response)


def goodbye(speaker: Speaker, key: str = "goodbye") -> str:
    """Say a closing prompt and hang up."""
    response = VoiceResponse()
    speaker.say(response, key)
    response.hangup()
    return str(response)


def voicemail(speaker: Speaker, notice: str | None = None) -> str:
    """Record a message; without a recording the caller still hears goodbye."""
    response = VoiceResponse()
    if notice:
        speaker.say(response, notice)
    speaker.say(response, "voicemail_prompt")
    response.record(
        action=speaker.url(VOICEMAIL_PATH),
        method="POST",
        max_length=VOICEMAIL_MAX_SECONDS,
        timeout=5,
        play_beep=True,
        finish_on_key="#",
    )
    speaker.say(response, "voicemail_none")
    response.hangup()
    return str(response)


def dial_agent(speaker: Speaker, offer_id: str, contact: str, ring_timeout: int) -> str:
    """Ring the agent's phone or browser; the agent hears the whisper and presses 1."""
    response = VoiceResponse()
    speaker.say(response, "connecting")
    dial = response.dial(
        action=speaker.url(f"{DIAL_RESULT_PATH}?offer={offer_id}"),
        method="POST",
        timeout=ring_timeout,
        answer_on_bridge=True,
    )
    dial_contact(dial, contact, speaker.url(f"{WHISPER_PATH}?offer={offer_id}"))
    return str(response)


def whisper(speaker: Speaker, offer_id: str, text: str) -> str:
    """The agent leg: name the call and ask for 1; no key hangs up the agent leg."""
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1,
        action=speaker.url(f"{WHISPER_PATH}?offer={offer_id}"),
        method="POST",
        timeout=WHISPER_TIMEOUT,
    )
    gather.say(text, **speaker.voice.say_attrs())
    speaker.say(response, "whisper_no_key")
    response.hangup()
    return str(response)


def bridge() -> str:
    """An empty answer on the agent leg: the two calls are connected."""
    return str(VoiceResponse())


def hang_up_agent(speaker: Speaker, key: str) -> str:
    """End the agent leg after a short prompt."""
    return goodbye(speaker, key)
