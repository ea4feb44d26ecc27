"""``simulate-text``: a customer's text (``1``, ``2``, anything) through the real, signed webhook.

The bridge is built in this process with a secret of its own and Twilio's
signature over the form, so the text takes the path a real one takes
(``POST /twilio/sms``); the answer the customer would get is returned.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace
from xml.etree import ElementTree

import httpx

from crm_app.simulate import pick_business
from voice_bridge.app import create_bridge
from voice_bridge.config import BridgeConfig
from voice_bridge.security import sign_request

BASE = "https://simulated.invalid"


async def _post(form: dict[str, str]) -> str:
    config = replace(
        BridgeConfig.from_settings(), public_base_url=BASE, twilio_auth_token=secrets.token_hex(16)
    )
    signature = sign_request(config.twilio_auth_token, f"{BASE}/sms", form)
    transport = httpx.ASGITransport(app=create_bridge(config))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        answer = await client.post("/sms", data=form, headers={"X-Twilio-Signature": signature})
    answer.raise_for_status()
    return answer.text


def run(business_phone: str | None, from_number: str, body: str) -> str:
    """Send the text; what the business texts back ("" for nothing)."""
    business = pick_business(business_phone)
    form = {
        "MessageSid": "SM" + secrets.token_hex(16),
        "AccountSid": "AC" + secrets.token_hex(16),
        "From": from_number,
        "To": business.phone_number,
        "Body": body,
        "NumMedia": "0",
    }
    twiml = asyncio.run(_post(form))
    message = ElementTree.fromstring(twiml).find("Message")
    return (message.text or "") if message is not None else ""
