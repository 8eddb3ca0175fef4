"""TwiML building blocks shared by every voice answer."""

from __future__ import annotations

from twilio.twiml.voice_response import Dial, VoiceResponse

from hotline.config_files import FallbackConfig, VoiceConfig

# Every URL Twilio calls lives under one of these (the web layer's blueprints mount them).
VOICE_PREFIX = "/voice"
IVR_PREFIX = "/ivr"
QUEUE_PREFIX = "/queue"
SMS_PREFIX = "/sms"
TWILIO_PATH_PREFIXES = tuple(f"{p}/" for p in (VOICE_PREFIX, IVR_PREFIX, QUEUE_PREFIX, SMS_PREFIX))
# The number's Voice URL, status callback and fallback (DESIGN §4: operators set these).
INCOMING_PATH = f"{VOICE_PREFIX}/incoming"
STATUS_PATH = f"{VOICE_PREFIX}/status"
FALLBACK_PATH = f"{VOICE_PREFIX}/fallback"


def say(response: VoiceResponse, text: str, voice: VoiceConfig) -> VoiceResponse:
    """Append a Mandarin <Say> to the response."""
    response.say(text, **voice.say_attrs())
    return response


def apology_to_fallback(voice: VoiceConfig, fallback: FallbackConfig, base_url: str = "") -> str:
    """Apologise and send the call to the fallback path (what the error guard answers).

    `base_url` is the public URL prefix (HOTLINE_PUBLIC_URL, or the app's script root), so a
    deployment under a path prefix keeps it.
    """
    response = VoiceResponse()
    say(response, fallback.error_apology, voice)
    response.redirect(f"{base_url}{FALLBACK_PATH}", method="POST")
    return str(response)


def fallback_answer(
    stage: str, dial_status: str, voice: VoiceConfig, fb: FallbackConfig, base_url: str = ""
) -> str:
    """The static fallback: dial the backup duty number, else take a voicemail."""
    response = VoiceResponse()
    fallback_url = f"{base_url}{FALLBACK_PATH}"
    if stage == "start":
        say(response, fb.apology, voice)
        dial = response.dial(
            action=f"{fallback_url}?stage=after_dial",
            method="POST",
            timeout=fb.dial_timeout_seconds,
        )
        dial.number(fb.backup_duty_number)
    elif stage == "after_dial" and dial_status == "completed":
        response.hangup()
    elif stage == "after_dial":
        say(response, fb.voicemail_prompt, voice)
        response.record(
            action=f"{fallback_url}?stage=recorded",
            method="POST",
            max_length=fb.voicemail_max_seconds,
            play_beep=True,
            finish_on_key="#",
        )
        # Record falls through when the caller stays silent: say goodbye, never silence.
        say(response, fb.goodbye, voice)
        response.hangup()
    else:
        say(response, fb.goodbye, voice)
        response.hangup()
    return str(response)


def dial_contact(dial: Dial, contact: str, answer_url: str) -> None:
    """Add an agent's contact to a <Dial>: a browser client ("client:NAME") or a phone number.

    `answer_url` runs on the agent's leg when they answer (the whisper) before the bridge.
    """
    if contact.startswith("client:"):
        dial.client(contact.removeprefix("client:"), url=answer_url, method="POST")
    else:
        dial.number(contact, url=answer_url, method="POST")
