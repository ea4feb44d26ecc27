"""TwiML answers: connect the media stream, a polite spoken refusal, or a text back."""

from __future__ import annotations

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Connect, Stream, VoiceResponse

MESSAGES = {
    "busy": {
        "he": "כל הנציגים שלנו עסוקים כרגע. אנא נסו שוב בעוד כמה דקות. תודה.",
        "en": "All our lines are busy right now. Please try again in a few minutes. Thank you.",
    },
    "unknown": {
        "he": "המספר שחייגתם אינו פעיל. תודה ולהתראות.",
        "en": "The number you have called is not in service. Goodbye.",
    },
}
VOICES = {"he": ("Google.he-IL-Wavenet-C", "he-IL"), "en": ("Polly.Joanna", "en-US")}


def connect_stream(stream_url: str, token: str) -> str:
    """``<Connect><Stream url>`` with the signed call token as a parameter."""
    response = VoiceResponse()
    connect = Connect()
    stream = Stream(url=stream_url)
    stream.parameter(name="token", value=token)
    connect.append(stream)
    response.append(connect)
    return str(response)


def refuse(reason: str, locale: str = "he") -> str:
    """Say why we cannot take the call, then hang up."""
    voice, language = VOICES.get(locale, VOICES["he"])
    response = VoiceResponse()
    response.say(
        MESSAGES[reason].get(locale, MESSAGES[reason]["he"]), voice=voice, language=language
    )
    response.hangup()
    return str(response)


def text_back(body: str | None) -> str:
    """The answer to a received text: ``<Message>`` with ``body``, or nothing to send."""
    response = MessagingResponse()
    if body:
        response.message(body)
    return str(response)
