"""A fake of OpenAI's HTTP API for the post-call pipeline: transcriptions and chat completions.

Responses have the real shapes (tests validate them against the ``openai``
SDK's own types); requests need a bearer key, as the real API does. Faults on
demand: a number of failing answers, a delay (for timeouts), or a chat answer
that is not the JSON asked for.

Transcription text comes from a script: the pipeline names each clip
``<call>-<speaker>-<index>.wav``, and the fake answers the ``index``-th line
of that speaker's script (a fake cannot listen; it can be consistent).
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

_CLIP_NAME = re.compile(r"-(?P<speaker>[a-z]+)-(?P<index>\d+)\.\w+$")
_HEBREW = re.compile(r"[\u0590-\u05FF]")
_LINE = re.compile(r"^\[[0-9:]+\]\s*[^:]*:\s*")  # "[mm:ss] Speaker: " before the words


def _error(status: int, message: str, kind: str, code: str | None = None) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status)


def _strict_schema_problem(json_schema: dict[str, Any]) -> str:
    """What the real API refuses in a strict ``json_schema`` response format ("" when fine)."""
    name, schema = json_schema.get("name"), json_schema.get("schema")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        return "Invalid 'response_format.json_schema.name'"
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return f"Invalid schema for response_format '{name}': the root must be an object"
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return f"Invalid schema for response_format '{name}': 'properties' is required"
    if json_schema.get("strict"):
        if schema.get("additionalProperties") is not False:
            return (
                f"Invalid schema for response_format '{name}': In context=(), "
                "'additionalProperties' is required to be supplied and to be false"
            )
        if sorted(schema.get("required") or []) != sorted(properties):
            return (
                f"Invalid schema for response_format '{name}': In context=(), 'required' is "
                "required to be supplied and to be an array including every key in properties"
            )
    return ""


@dataclass
class FakeOpenAIHttp:
    """State, scripts and faults; :meth:`app` is the ASGI app (base URL ``.../v1``)."""

    scripts: dict[str, list[str]] = field(default_factory=dict)
    default_text: str = "שלום"
    recommend: str | None = "contacted"
    confidence: float = 0.9
    transcription_failures: int = 0  # the next N transcriptions answer 500
    chat_failures: int = 0  # the next N chat completions answer 500
    chat_delay: float = 0.0  # seconds before a chat completion answers
    transcription_delay: float = 0.0
    chat_content: str | None = None  # answer this instead of the JSON summary
    # Structured output: the value of each schema property it knows (the rest are null).
    extraction: dict[str, Any] = field(default_factory=dict)
    transcriptions: list[dict[str, Any]] = field(default_factory=list)
    chats: list[dict[str, Any]] = field(default_factory=list)
    unauthorized: int = 0

    def _authorized(self, request: Request) -> bool:
        ok = request.headers.get("authorization", "").startswith("Bearer ")
        self.unauthorized += not ok
        return ok

    def _script_line(self, filename: str) -> str:
        found = _CLIP_NAME.search(filename)
        if found is None:
            return self.default_text
        lines = self.scripts.get(found["speaker"]) or [self.default_text]
        return lines[int(found["index"]) % len(lines)]

    async def transcriptions_create(self, request: Request) -> Response:
        """``POST /v1/audio/transcriptions`` (multipart)."""
        if not self._authorized(request):
            return _error(401, "Incorrect API key provided", "invalid_request_error")
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str) or not form.get("model"):
            return _error(400, "file and model are required", "invalid_request_error")
        data = await upload.read()
        record = {
            "filename": upload.filename or "",
            "bytes": len(data),
            "model": str(form.get("model")),
            "language": str(form.get("language") or ""),
            "response_format": str(form.get("response_format") or "json"),
        }
        self.transcriptions.append(record)
        if self.transcription_delay:
            await asyncio.sleep(self.transcription_delay)
        if self.transcription_failures > 0:
            self.transcription_failures -= 1
            return _error(500, "The server had an error processing your request", "server_error")
        text = self._script_line(str(record["filename"]))
        seconds = max(1, len(data) // 16000)
        if record["response_format"] == "text":
            return PlainTextResponse(text)
        if record["response_format"] == "verbose_json":
            return JSONResponse(
                {
                    "task": "transcribe",
                    "language": record["language"] or "hebrew",
                    "duration": float(seconds),
                    "text": text,
                    "segments": [
                        {
                            "id": 0,
                            "seek": 0,
                            "start": 0.0,
                            "end": float(seconds),
                            "text": text,
                            "tokens": [50364],
                            "temperature": 0.0,
                            "avg_logprob": -0.2,
                            "compression_ratio": 1.1,
                            "no_speech_prob": 0.01,
                        }
                    ],
                    "usage": {"type": "duration", "seconds": seconds},
                }
            )
        return JSONResponse({"text": text, "usage": {"type": "duration", "seconds": seconds}})

    def _summary(self, messages: list[dict[str, Any]]) -> str:
        system = next((m["content"] for m in messages if m.get("role") == "system"), "")
        said = next((m["content"] for m in messages if m.get("role") == "user"), "")
        lines = [_LINE.sub("", line).strip() for line in str(said).splitlines() if line]
        hebrew = bool(_HEBREW.search(str(system)))
        prefix = "סיכום השיחה:" if hebrew else "Call summary:"
        return f"{prefix} {' / '.join(lines)}"[:1500]

    def _structured(self, schema: dict[str, Any]) -> dict[str, Any]:
        """An answer that fits ``schema``: the known values, else false or null."""
        answer: dict[str, Any] = {}
        for key, spec in schema["properties"].items():
            if key in self.extraction:
                answer[key] = self.extraction[key]
            else:
                answer[key] = False if spec.get("type") == "boolean" else None
        return answer

    async def chat_create(self, request: Request) -> Response:
        """``POST /v1/chat/completions``."""
        if not self._authorized(request):
            return _error(401, "Incorrect API key provided", "invalid_request_error")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "We could not parse the JSON body", "invalid_request_error")
        if not isinstance(body, dict) or not body.get("model") or not body.get("messages"):
            return _error(400, "model and messages are required", "invalid_request_error")
        self.chats.append(body)
        if self.chat_delay:
            await asyncio.sleep(self.chat_delay)
        if self.chat_failures > 0:
            self.chat_failures -= 1
            return _error(500, "The server had an error processing your request", "server_error")
        content = self.chat_content
        response_format = body.get("response_format") or {}
        if content is None and response_format.get("type") == "json_schema":
            problem = _strict_schema_problem(response_format.get("json_schema") or {})
            if problem:
                return _error(400, problem, "invalid_request_error", "invalid_json_schema")
            content = json.dumps(
                self._structured(response_format["json_schema"]["schema"]), ensure_ascii=False
            )
        if content is None:
            content = json.dumps(
                {
                    "summary": self._summary(body["messages"]),
                    "recommended_status": self.recommend,
                    "confidence": self.confidence,
                },
                ensure_ascii=False,
            )
        prompt_tokens = sum(len(str(m.get("content", ""))) // 4 for m in body["messages"])
        completion_tokens = len(content) // 4
        return JSONResponse(
            {
                "id": "chatcmpl-" + secrets.token_hex(12),
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": content,
                            "refusal": None,
                            "annotations": [],
                        },
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
                "service_tier": "default",
                "system_fingerprint": "fp_fake",
            }
        )

    def app(self) -> Starlette:
        """The ASGI app; serve it and use ``<url>/v1`` as ``OPENAI_BASE_URL``."""
        return Starlette(
            routes=[
                Route("/v1/audio/transcriptions", self.transcriptions_create, methods=["POST"]),
                Route("/v1/chat/completions", self.chat_create, methods=["POST"]),
            ]
        )
