r"""The base of every JSON request body: strings the database can store.

JSON can carry a NUL character (``\u0000``) that PostgreSQL text cannot hold.
A body whose fields hold one is refused with a 422 naming the field, before
any service sees it, instead of failing at the database; the OpenAPI document
says so with a pattern on every string (keys of maps included).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

NO_NUL = "^[^\\x00]*$"
# A string with something to show: one character that is neither space (as
# Python's ``str.split`` counts it, the separators \x1c-\x1f included) nor a
# control character, and no NUL anywhere.
HAS_TEXT = "^[^\\x00]*[^\\s\\x00-\\x1f\\x85][^\\x00]*$"


def _nul_at(value: Any, path: str) -> str | None:
    """The path of the first string holding NUL inside ``value`` (keys included)."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return where
            if (found := _nul_at(item, where)) is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _nul_at(item, f"{path}[{index}]")) is not None:
                return found
    return None


def _document_no_nul(schema: Any) -> None:
    """Add the no-NUL pattern to every string schema inside ``schema`` without one."""
    if not isinstance(schema, dict):
        return
    constrained = {"pattern", "enum", "format"} & set(schema)  # already excludes NUL
    if schema.get("type") == "string" and not constrained:
        schema["pattern"] = NO_NUL
    if isinstance(schema.get("additionalProperties"), dict):
        schema.setdefault("propertyNames", {"pattern": NO_NUL})
        _document_no_nul(schema["additionalProperties"])
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for option in schema.get(key, []):
            _document_no_nul(option)
    _document_no_nul(schema.get("items"))


class Body(BaseModel):
    """A request body whose fields' strings never hold NUL (undeclared keys are ignored)."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if isinstance(data, dict):
            names = {f.alias or name for name, f in cls.model_fields.items()}
            declared = {k: v for k, v in data.items() if k in names}
            if (where := _nul_at(declared, "")) is not None:
                raise ValueError(f"{where} holds a NUL character")
        return data

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The model's schema, with the no-NUL pattern on its strings."""
        schema = handler(core_schema)
        resolved = handler.resolve_ref_schema(schema)
        for prop in resolved.get("properties", {}).values():
            _document_no_nul(prop)
        return schema
