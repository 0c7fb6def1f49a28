"""The JSON Schema for editors agrees with the validator and accepts the project's own cards."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from deckgen.lint.rules import RULES
from deckgen.compiler.validate import CARD_KEYS, FILE_KEYS
from deckgen.compiler.yamlread import Mapping, Node, Scalar, parse_yaml

PROJECT_CARDS = Path(__file__).resolve().parents[1] / "cards"
# YAML 1.2's core schema, which editors' YAML servers apply before checking a schema.
_NULL = re.compile(r"^(~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^[-+]?([0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$")


def as_editor_sees(node: Node):
    """Turn located nodes into the JSON-like data an editor's YAML server would check."""
    if isinstance(node, Mapping):
        return {key.value: as_editor_sees(value) for key, value in node.items}
    if not isinstance(node, Scalar):
        return [as_editor_sees(item) for item in node.items]
    value = node.value
    if _NULL.match(value):
        return None
    if _BOOL.match(value):
        return value.lower() == "true"
    if _INT.match(value):
        base = {"0x": 16, "0o": 8}.get(value.lstrip("+-")[:2], 10)
        return int(value.replace("0x", "").replace("0o", ""), base)
    if _FLOAT.match(value):
        return float(value)
    return value


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    from importlib import resources

    schema = json.loads(resources.files("deckgen").joinpath("schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def load(text: str):
    root, problems = parse_yaml(text, "x.yaml")
    assert not problems
    return as_editor_sees(root)


def test_keys_match_the_validator(validator) -> None:
    schema = validator.schema
    assert list(schema["properties"]) == list(FILE_KEYS)
    assert list(schema["definitions"]["card"]["properties"]) == list(CARD_KEYS)
    assert schema["definitions"]["card"]["properties"]["nolint"]["items"]["enum"] == sorted(RULES)


@pytest.mark.parametrize("path", sorted(PROJECT_CARDS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_project_card_file_is_valid(validator, path: Path) -> None:
    data = load(path.read_text(encoding="utf-8"))
    assert [error.message for error in validator.iter_errors(data)] == []


@pytest.mark.parametrize("text, complaint", [
    ("deck: D\ncards:\n  - id: x\n    q: Q\n    a: A\n    revers: true\n", "'revers' was unexpected"),
    ("deck: D\ncards:\n  - id: x\n    q: Q\n", "is not valid under any of the given schemas"),
    ("deck: D\nformat: text\ncards:\n  - id: x\n    q: Q\n    a: A\n", "is not one of"),
    ("deck: D\ncards:\n  - id: x\n    cloze: '{{c1::x}}'\n    q: Q\n", "False schema does not allow"),
    ("deck: D\ncards:\n  - id: has space\n    q: Q\n    a: A\n", "does not match"),
    ("deck: D::::E\ncards:\n  - id: x\n    q: Q\n    a: A\n", "does not match"),
    ("deck: D\ncards:\n  - id: x\n    q: Q\n    a: A\n    nolint: [answer-too-lng]\n", "is not one of"),
    ("deck: D\ncards: []\n", "should be non-empty"),
])
def test_mistakes_are_flagged(validator, text: str, complaint: str) -> None:
    messages = [error.message for error in validator.iter_errors(load(text))]
    assert any(complaint in message for message in messages), messages


def test_values_editors_type_as_numbers_or_booleans_are_accepted(validator) -> None:
    data = load("deck: D\ncards:\n  - id: 2020\n    q: 1.10\n    a: true\n    reverse: True\n")
    assert data["cards"][0] == {"id": 2020, "q": 1.1, "a": True, "reverse": True}
    assert list(validator.iter_errors(data)) == []


def test_schema_command_prints_it(project) -> None:
    result = project.run("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"] == "deckgen card file"


def test_cards_of_an_imported_note_type_are_valid(validator) -> None:
    text = (
        "deck: D\nnotetype: Basic (type in the answer)\nformat: html\ncards:\n"
        "  - id: x\n    guid: 'abc'\n    fields:\n      Front: <b>Q</b>\n      Back: A\n"
        "  - id: y\n    q: Q2\n    a: A2\n"
    )
    assert [error.message for error in validator.iter_errors(load(text))] == []
