"""Reusable UI pieces: functions that return components."""
