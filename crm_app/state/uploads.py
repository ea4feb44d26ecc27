"""``POST /_upload``: Reflex's upload route, behind the sign-in of the request itself.

Reflex runs an upload as an event of the tab named by the
``Reflex-Client-Token`` header, and reads the multipart body first. Here the
request's own cookie is checked before a byte of the body is read: no session
is a 401, a session other than the one the tab was loaded for is a 403. Then
the request's session key is written into the tab's state (so the guard checks
this request, not the tab's socket), and Reflex's handler takes the body.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from reflex.app import App
from reflex.istate.manager.token import BaseStateToken
from reflex_components_core.core._upload import upload as reflex_upload
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_app.state.guard import principal_for_key, session_key_of
from crm_app.state.session import SESSION_KEY, SessionState


def _refused(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def upload_endpoint(get_app: Callable[[], App]) -> Callable[[Request], object]:
    """The route, for the app ``get_app`` returns (the app is built after the backend)."""

    async def upload(request: Request) -> Response:
        token = request.headers.get("reflex-client-token", "")
        key = session_key_of(request.headers.get("cookie", ""))
        if not token or await asyncio.to_thread(principal_for_key, key) is None:
            return _refused(401, "unauthenticated", "sign in to upload files")
        app = get_app()
        async with app.state_manager.modify_state(
            BaseStateToken(ident=token, cls=SessionState)
        ) as root:
            session_state = await root.get_state(SessionState)
            if session_state._session_key != key:
                return _refused(403, "forbidden", "this page belongs to another sign-in")
            root.router_data = {**root.router_data, SESSION_KEY: key}
        response: Response = await reflex_upload(app)(request)
        return response

    return upload
