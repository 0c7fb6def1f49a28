"""deckgen stats: counts per deck and tag, the next import, and finding removed notes in Anki."""

from __future__ import annotations

import json

from anki_helpers import import_package, notes_by_front

CARDS = """\
    deck: Demo::Makers
    tags: [makers]
    cards:
      - id: tf
        q: Which company built TensorFlow?
        a: Google
        reverse: true
        tags: [company::google]
      - id: pytorch
        q: Which company built PyTorch?
        a: Facebook
      - id: mxnet
        q: Which company backed MXNet?
        a: Amazon
"""
HISTORY = """\
    deck: Demo::History
    cards:
      - id: first
        cloze: "First came {{c1::MATLAB}} and {{c2::Torch}}."
        tags: [history]
"""


def test_counts_per_deck_and_tag(project) -> None:
    project.write("makers.yaml", CARDS)
    project.write("history.yaml", HISTORY)
    result = project.run("stats")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:3] == ["Decks (notes / cards):", "  Demo::History  1 / 2", "  Demo::Makers   3 / 4"]
    assert lines[3:7] == ["Tags (cards):", "  makers           4", "  company::google  2", "  history          2"]
    assert "Next import of build/demo.apkg: 4 new, 0 changed, 0 unchanged" in result.stdout
    assert not project.lock.exists() and not project.build_dir.exists()  # stats writes nothing


def test_next_import_and_removed_notes_found_in_anki(project, collection) -> None:
    project.write("makers.yaml", CARDS)
    assert project.run("build").exit_code == 0
    import_package(collection, project.package())
    edited = CARDS.replace("a: Facebook", "a: Meta").split("      - id: mxnet")[0]  # one changed, one removed
    edited += "      - id: jax\n        q: Which company built JAX?\n        a: Google\n"  # one added
    project.write("makers.yaml", edited)
    project.write("history.yaml", HISTORY)  # and one more

    result = project.run("stats", "--format", "json")
    summary = json.loads(result.stdout)["summary"]
    assert summary["packages"][0] | {"new": 2, "changed": 1, "unchanged": 1} == summary["packages"][0]
    assert [r["card"] for r in summary["removed"]] == ["Demo/mxnet"]

    # The search stats prints finds exactly the removed note in a real collection.
    found = collection.find_notes(summary["anki_search"])
    assert [collection.get_note(nid).fields[0] for nid in found] == ["Which company backed MXNet?"]
    text_result = project.run("stats")
    assert f"search bar, check them, and delete them: {summary['anki_search']}" in text_result.stdout
    assert "Demo/mxnet  Demo::Makers" in text_result.stdout
    assert len(notes_by_front(collection)) == 3


def test_stats_on_bad_cards_fails_with_located_errors(project) -> None:
    project.write("a.yaml", "deck: D\ncards:\n  - id: x\n")
    result = project.run("stats", "-q")
    assert result.exit_code == 1
    assert result.stderr == "cards/a.yaml:3:5: error: card 'x' needs 'q' and 'a' (or 'cloze') (missing-key)\n"
    assert result.stdout == ""
