"""The strict schema the OpenAI SDK sends for a structured-output class, derived again from
the class's JSON schema that Langfuse and LangSmith log (``parse()`` calls)."""

from __future__ import annotations

import json

from promptcache.load.formats._strict_schema import class_response_format, class_text_format

# `Order.model_json_schema()` and `openai.lib._pydantic.to_strict_json_schema(Order)`
# (pydantic 2, openai 3.60.0) for:
#   class Address(BaseModel): city: str; postcode: Optional[str] = None
#   class Order(BaseModel): """An order."""; number: int = Field(description="Four digits.")
#       ship_to: Address; bill_to: Optional[Address] = None; lines: list[Address]
#       status: Literal["open", "shipped"] = "open"
ORDER = json.loads(
    '{"$defs": {"Address": {"properties": {"city": {"title": "City", "type": "string"}, '
    '"postcode": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": '
    '"Postcode"}}, "required": ["city"], "title": "Address", "type": "object"}}, '
    '"description": "An order.", "properties": {"number": {"description": "Four digits.", '
    '"title": "Number", "type": "integer"}, "ship_to": {"$ref": "#/$defs/Address"}, '
    '"bill_to": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}], "default": null}, '
    '"lines": {"items": {"$ref": "#/$defs/Address"}, "title": "Lines", "type": "array"}, '
    '"status": {"default": "open", "enum": ["open", "shipped"], "title": "Status", "type": '
    '"string"}}, "required": ["number", "ship_to", "lines"], "title": "Order", "type": '
    '"object"}')
ORDER_STRICT = (
    '{"$defs": {"Address": {"properties": {"city": {"title": "City", "type": "string"}, '
    '"postcode": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Postcode"}}, '
    '"required": ["city", "postcode"], "title": "Address", "type": "object", '
    '"additionalProperties": false}}, "description": "An order.", "properties": {"number": '
    '{"description": "Four digits.", "title": "Number", "type": "integer"}, "ship_to": '
    '{"$ref": "#/$defs/Address"}, "bill_to": {"anyOf": [{"$ref": "#/$defs/Address"}, '
    '{"type": "null"}]}, "lines": {"items": {"$ref": "#/$defs/Address"}, "title": "Lines", '
    '"type": "array"}, "status": {"default": "open", "enum": ["open", "shipped"], "title": '
    '"Status", "type": "string"}}, "required": ["number", "ship_to", "bill_to", "lines", '
    '"status"], "title": "Order", "type": "object", "additionalProperties": false}')


def test_a_class_schema_becomes_the_sdks_strict_schema_key_for_key_in_its_order() -> None:
    chat = class_response_format(ORDER)
    assert chat is not None
    assert json.dumps(chat["json_schema"]["schema"]) == ORDER_STRICT
    assert (chat["type"], chat["json_schema"]["name"], chat["json_schema"]["strict"]) == (
        "json_schema", "Order", True)
    assert json.dumps(class_text_format(ORDER)) == (
        '{"type": "json_schema", "strict": true, "name": "Order", "schema": '
        + ORDER_STRICT + "}")


def test_the_logged_schema_is_left_as_it_was() -> None:
    logged = json.dumps(ORDER)
    class_response_format(ORDER)
    assert json.dumps(ORDER) == logged


def test_what_is_no_class_schema_gives_nothing() -> None:
    for value in ("<class 'app.Order'>", {"type": "object"}, {"title": "X", "type": "array"},
                  {"title": "X", "type": "object", "properties": {
                      "a": {"$ref": "#/nowhere", "description": "a $ref the SDK resolves"}}}):
        assert (class_response_format(value), class_text_format(value)) == (None, None)
