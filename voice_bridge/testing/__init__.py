"""Faithful fakes of the paid services the bridge talks to (OpenAI Realtime, Twilio).

Used by the tests, ``python -m crm_app simulate-call`` and the bridge benchmark.
The speech clips are the project's fixtures: 8 kHz mu-law.
"""
