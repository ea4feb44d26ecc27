"""Twilio Media Streams <-> OpenAI Realtime bridge. Never imports reflex."""
