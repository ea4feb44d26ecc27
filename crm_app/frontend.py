"""A change to Reflex's frontend: the tab's token travels in the CONNECT packet, not the URL.

Reflex's ``utils/state.js`` opens the event socket at ``/_event?token=<tab>``;
URLs end up in proxy and access logs, and whoever holds a tab's token can ask
for that tab's state. This plugin rewrites the file at every compile so the
token rides in the Socket.IO ``auth`` payload instead (the server side is
``crm_app.state.socket``). Each rewrite names the exact text it replaces and
fails the build when Reflex's file no longer has it, rather than leaving the
token in the URL unnoticed.
"""

from __future__ import annotations

from reflex_base.plugins.base import Plugin

STATE_JS = "utils/state.js"
MARKER = "/* crm: token in CONNECT auth */"
_RECONNECT_QUERY = "socket.current.io.opts.query = { token: getToken() };"
_BOOT_AUTH = "return { event: boot_event, state_schema: app.stateSchema"
REWRITES = (
    # The socket's URL carries no query.
    ("    query: { token },\n", ""),
    # A warmed-up transport no longer depends on the token (the token goes in at connect).
    ("    (warmSocket.io.opts.query.token !== session_token ||\n      ", "    ("),
    # Reconnects send the current token in their CONNECT packet, not in the URL.
    (f"      {_RECONNECT_QUERY} // Update token for reconnect.\n", ""),
    (f"    {_BOOT_AUTH} }};", f"    {_BOOT_AUTH}, token: getToken() }}; {MARKER}"),
)


class ReflexFrontendChanged(RuntimeError):
    """Reflex's ``state.js`` no longer has the text a rewrite expects."""


def token_in_connect_auth(source: str) -> str:
    """``state.js`` with the rewrites applied (once: a rewritten file is returned as is)."""
    if MARKER in source:
        return source
    for old, new in REWRITES:
        if source.count(old) != 1:
            raise ReflexFrontendChanged(f"utils/state.js: expected once: {old.strip()!r}")
        source = source.replace(old, new)
    return source


class SocketTokenPlugin(Plugin):
    """Applies :func:`token_in_connect_auth` to the compiled frontend."""

    def pre_compile(self, **context):  # type: ignore[no-untyped-def]  # Reflex's hook signature
        """Register the rewrite of ``utils/state.js``."""
        context["add_modify_task"](STATE_JS, token_in_connect_auth)
