"""Building the TwiML of one IVR answer: prompts, Gathers with their fallback, exits."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import VoiceResponse

from hotline.config_files import VoiceConfig
from hotline.twiml import IVR_PREFIX

STEP_PATH = f"{IVR_PREFIX}/step"
INPUT_PATH = f"{IVR_PREFIX}/input"
RECORDED_PATH = f"{IVR_PREFIX}/recorded"
DIALED_PATH = f"{IVR_PREFIX}/dialed"


class Answer:
    """The TwiML being built for one webhook; URLs are prefixed with the public base URL."""

    def __init__(
        self, voice: VoiceConfig, base_url: str = "", step_query: dict[str, str] | None = None
    ) -> None:
        self.voice = voice
        self.base_url = base_url.rstrip("/")
        # Added to the flow's own webhook URLs (e.g. flow=survey for a second flow).
        self.step_query = dict(step_query or {})
        self.response = VoiceResponse()
        self.verbs = 0
        self.finished = False  # the answer ends the IVR (hang-up, queue, record, dial)

    def url(self, path: str, **query: str) -> str:
        """An absolute-path URL of the app under the base URL, with a query."""
        full = self.base_url + path if path.startswith("/") else path
        return full + ("?" + urlencode(query) if query else "")

    def step_url(self, path: str, **query: str) -> str:
        """A URL of the flow's own webhooks (input, recorded, dialed, step)."""
        return self.url(path, **query, **self.step_query)

    def say(self, text: str) -> None:
        """Speak a prompt in Mandarin."""
        if text:
            self.response.say(text, **self.voice.say_attrs())
            self.verbs += 1

    def play(self, url: str) -> None:
        """Play an audio file."""
        self.response.play(url)
        self.verbs += 1

    def gather(
        self,
        node_id: str,
        prompts: list[str],
        *,
        speech: bool = False,
        num_digits: int | None = 1,
        timeout: int = 5,
        hints: list[str] | None = None,
        finish_on_key: str = "",
    ) -> None:
        """A Gather posting to the node's input URL, then a Redirect marking no input.

        Without a finish key '#' is a key like the others (single-key menus take it at once).
        """
        attrs: dict[str, object] = {
            "action": self.step_url(INPUT_PATH, node=node_id),
            "method": "POST",
            "timeout": timeout,
            "input": "speech dtmf" if speech else "dtmf",
        }
        if num_digits:
            attrs["num_digits"] = num_digits
        attrs["finish_on_key"] = finish_on_key
        if speech:
            attrs["language"] = self.voice.speech.language
            attrs["speech_timeout"] = "auto"
            if hints:
                attrs["hints"] = ",".join(hints)[:2000]
        gather = self.response.gather(**attrs)
        for text in prompts:
            if text:
                gather.say(text, **self.voice.say_attrs())
        # Twilio goes on with the next verb when the caller gives nothing: count a no-input.
        self.response.redirect(self.step_url(INPUT_PATH, node=node_id, noinput="1"), method="POST")
        self.verbs += 2
        self.finished = True

    def enqueue(self, queue_name: str, wait_url: str, action_url: str) -> None:
        """Put the caller in a Twilio queue."""
        self.response.enqueue(
            queue_name,
            wait_url=self.url(wait_url),
            wait_url_method="POST",
            action=self.url(action_url),
            method="POST",
        )
        self.verbs += 1
        self.finished = True

    def record(self, node_id: str, max_length: int, goodbye: str) -> None:
        """Record a message; without a recording the caller still hears goodbye."""
        self.response.record(
            action=self.step_url(RECORDED_PATH, node=node_id),
            method="POST",
            max_length=max_length,
            timeout=5,
            play_beep=True,
            finish_on_key="#",
        )
        self.say(goodbye)
        self.hangup()

    def dial(self, node_id: str, number: str, timeout: int) -> None:
        """Transfer the call to a number; the action says how it went."""
        dial = self.response.dial(
            action=self.step_url(DIALED_PATH, node=node_id), method="POST", timeout=timeout
        )
        dial.number(number)
        self.verbs += 1
        self.finished = True

    def redirect(self, path: str, **query: str) -> None:
        """Continue at another URL of the app."""
        self.response.redirect(self.url(path, **query), method="POST")
        self.verbs += 1
        self.finished = True

    def hangup(self) -> None:
        """End the call."""
        self.response.hangup()
        self.verbs += 1
        self.finished = True

    def twiml(self) -> str:
        """The TwiML document."""
        return str(self.response)
