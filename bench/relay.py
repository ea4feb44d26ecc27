"""The floor of a Python relay: Twilio frames to OpenAI and back, nothing else.

No SDK, no validation, no tokens, no bookkeeping beyond a mark per delta and
a ``clear`` on barge-in. The bridge benchmark runs it through the same
harness, so its CPU and latency are the anchor the bridge is measured against.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


def create_relay(openai_ws_url: str) -> Starlette:
    """A Starlette app with one route: ``/twilio/media``."""

    async def media(twilio: WebSocket) -> None:
        await twilio.accept()
        stream_sid = ""
        async with websockets.connect(
            openai_ws_url, additional_headers={"Authorization": "Bearer x"}
        ) as ai:

            async def up() -> None:
                nonlocal stream_sid
                with contextlib.suppress(WebSocketDisconnect):
                    while True:
                        message = json.loads(await twilio.receive_text())
                        if message["event"] == "start":
                            stream_sid = message["streamSid"]
                        elif message["event"] == "media":
                            payload = message["media"]["payload"]
                            await ai.send(
                                '{"type":"input_audio_buffer.append","audio":"' + payload + '"}'
                            )
                        elif message["event"] == "stop":
                            return

            async def down() -> None:
                with contextlib.suppress(websockets.ConnectionClosed):
                    async for raw in ai:
                        event = json.loads(raw)
                        if event["type"] == "response.output_audio.delta":
                            await twilio.send_text(
                                json.dumps(
                                    {
                                        "event": "media",
                                        "streamSid": stream_sid,
                                        "media": {"payload": event["delta"]},
                                    }
                                )
                            )
                            await twilio.send_text(
                                json.dumps(
                                    {
                                        "event": "mark",
                                        "streamSid": stream_sid,
                                        "mark": {"name": event["item_id"]},
                                    }
                                )
                            )
                        elif event["type"] == "input_audio_buffer.speech_started":
                            await twilio.send_text(
                                json.dumps({"event": "clear", "streamSid": stream_sid})
                            )

            tasks = [asyncio.create_task(up()), asyncio.create_task(down())]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()

    return Starlette(routes=[WebSocketRoute("/twilio/media", media)])
