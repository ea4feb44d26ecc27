"""The OpenAPI document, exact: every error answer, the auth schemes and ``OPTIONS``.

FastAPI documents the success answer and a 422 of its own shape. The API
answers more than that, always with one error body; this completes the
document from the routes themselves, so it cannot drift from them:

- every operation but ``/health`` needs credentials: 401 (with
  ``WWW-Authenticate``) and 403 (a role that may not, or a cookie write from a
  foreign origin);
- an operation with path parameters can answer 404 (another business's id is
  not found); one with parameters or a body can answer 422; one with a body
  can answer 400 (a body that cannot be parsed) and 413 (too large);
- the operations that can collide with existing data answer 409;
- every path answers ``OPTIONS`` with 204 and ``Allow`` (see
  :func:`allowed_methods`).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from fastapi import FastAPI
from starlette.types import Scope

from crm_app.api.bodies import HAS_TEXT
from crm_app.settings import get_settings

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Error",
    "description": "Every failure of the API answers this body.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "machine-readable: not_found, invalid…"},
                "message": {"type": "string", "description": "for people, in English"},
                "field": {"type": "string", "description": "the input at fault (422)"},
                "existing_id": {"type": "integer", "description": "the clashing row (409)"},
            },
        }
    },
}
_DESCRIPTIONS = {
    400: "The body could not be parsed.",
    401: "No valid API token or session.",
    403: "The role may not do this, or a cookie write came from a foreign origin.",
    404: "Not found (another business's ids are never found).",
    409: "The change collides with existing data.",
    413: "The body is too large.",
    422: "An input is not valid; ``field`` names it.",
}
CONFLICTS = frozenset(
    {
        ("post", "/leads"),
        ("patch", "/leads/{lead_id}"),
        ("patch", "/notes/{note_id}"),
        ("patch", "/business"),
        ("post", "/users"),
        ("patch", "/users/{user_id}"),
        ("post", "/fields"),
        ("post", "/appointments"),
        ("patch", "/appointments/{appointment_id}"),
    }
)
OPEN_PATHS = frozenset({"/health"})
NOT_EMPTY_NOTE: dict[str, Any] = {  # text, files or both: never neither
    "anyOf": [
        {"required": ["text"], "properties": {"text": {"pattern": HAS_TEXT}}},
        {"required": ["files"], "properties": {"files": {"minItems": 1}}},
    ]
}
BODY_RULES = {("post", "/leads/{lead_id}/notes"): NOT_EMPTY_NOTE}
REQUIRED_BODIES = frozenset({("post", "/leads/{lead_id}/notes")})
BODY_IDS = frozenset(
    {
        ("post", "/leads"),
        ("post", "/tasks"),
        ("patch", "/business"),
        ("get", "/appointments"),
        ("post", "/appointments"),
        ("get", "/availability"),
    }
)  # ids in the body or the query (owner_id, calendar_id) that may not be found
_METHODS = ("get", "put", "post", "delete", "patch")
_ALLOW_HEADER = {
    "description": "the methods this path answers",
    "schema": {"type": "string", "example": "GET, PATCH, OPTIONS"},
}


def _error(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": _DESCRIPTIONS[status],
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if status == 401:
        answer["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return answer


def _error_statuses(method: str, path: str, operation: dict[str, Any]) -> list[int]:
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    statuses = [] if path in OPEN_PATHS else [401, 403]
    if any(p.get("in") == "path" for p in parameters) or (method, path) in BODY_IDS:
        statuses.append(404)
    if has_body:
        statuses += [400, 413]
    if parameters or has_body:
        statuses.append(422)
    if (method, path) in CONFLICTS:
        statuses.append(409)
    return sorted(statuses)


def _complete_operation(method: str, path: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)  # FastAPI's own shape: the API answers the error body
    for status in _error_statuses(method, path, operation):
        responses[str(status)] = _error(status)
    operation["security"] = [] if path in OPEN_PATHS else [{"bearer": []}, {"session": []}]


def _options_operation(path: str, operations: dict[str, Any]) -> dict[str, Any]:
    path_parameters: dict[str, Any] = {}
    for operation in operations.values():
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path":
                path_parameters.setdefault(parameter["name"], parameter)
    methods = ", ".join([*(m.upper() for m in _METHODS if m in operations), "OPTIONS"])
    options: dict[str, Any] = {
        "summary": "The methods of this path",
        "description": f"Answers 204 with `Allow: {methods}` (no credentials needed).",
        "operationId": "options_"
        + path.strip("/").replace("/", "_").replace("{", "").replace("}", ""),
        "tags": ["meta"],
        "security": [],
        "responses": {
            "204": {"description": "the allowed methods", "headers": {"Allow": _ALLOW_HEADER}},
            "404": _error(404),
        },
    }
    if path_parameters:  # OPTIONS answers for any value: the path's shape is enough
        options["parameters"] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in path_parameters
        ]
    return options


def _without_null(schema: dict[str, Any]) -> None:
    """A form field or query parameter is absent or has a value: it is never ``null``."""
    options = schema.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        del schema["anyOf"]
        if len(rest) == 1:
            schema.update(rest[0])
        else:
            schema["anyOf"] = rest


def _no_nulls_outside_json(document: dict[str, Any]) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                _without_null(parameter.get("schema", {}))
            for prop in _form_schema(operation, schemas).get("properties", {}).values():
                _without_null(prop)


def _form_schema(operation: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    form = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
    if form is None:
        return {}
    ref = str(form.get("schema", {}).get("$ref", ""))
    found: dict[str, Any] = schemas.get(ref.rsplit("/", 1)[-1], {})
    return found


def _body_rules(document: dict[str, Any]) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    for (method, path), rule in BODY_RULES.items():
        operation = document.get("paths", {}).get(path, {}).get(method)
        if operation is not None:
            _form_schema(operation, schemas).update(rule)
    for method, path in REQUIRED_BODIES:
        document["paths"][path][method]["requestBody"]["required"] = True
    most = get_settings().max_files_per_note
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            files = _form_schema(operation, schemas).get("properties", {}).get("files")
            if files is not None:
                files["maxItems"] = most


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers, the auth schemes and ``OPTIONS`` to FastAPI's document."""
    for path, operations in document.get("paths", {}).items():
        for method in _METHODS:
            if method in operations:
                _complete_operation(method, path, operations[method])
        operations["options"] = _options_operation(path, operations)
    _no_nulls_outside_json(document)
    _body_rules(document)
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Error"] = ERROR_SCHEMA
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "an API token"},
        "session": {"type": "apiKey", "in": "cookie", "name": "crm_session"},
    }
    return document


def install(api: FastAPI) -> None:
    """Serve the completed document at the API's ``openapi_url``."""

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = complete(FastAPI.openapi(api))
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]


def allowed_methods(api: FastAPI, scope: Scope) -> list[str]:
    """The methods the document gives ``scope``'s path, and ``OPTIONS`` (none: not a path)."""
    path = scope["path"][len(scope.get("root_path", "")) :] or "/"
    paths = api.openapi()["paths"]
    # /leads/export before /leads/{lead_id}, and /appointments/{id}.ics before /appointments/{id}
    for template in sorted(paths, key=lambda t: (t.count("{"), -len(re.sub(r"\{[^}]+\}", "", t)))):
        operations = paths[template]
        if _template_pattern(template).fullmatch(path):
            return [m.upper() for m in (*_METHODS, "options") if m in operations]
    return []


@functools.lru_cache(maxsize=256)
def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))
