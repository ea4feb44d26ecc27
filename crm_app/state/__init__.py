"""Reflex states: one per page, all built on SessionState."""
