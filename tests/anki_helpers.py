"""Drive Anki's own backend the way a user's desktop app would."""

from __future__ import annotations

from pathlib import Path

from anki.collection import Collection
from anki.import_export_pb2 import ExportAnkiPackageOptions, ImportAnkiPackageOptions, ImportAnkiPackageRequest


def import_package(col: Collection, path: Path):
    """Import a package with Anki's default options and return the import log."""
    request = ImportAnkiPackageRequest(package_path=str(path), options=ImportAnkiPackageOptions())
    return col.import_anki_package(request).log


def export_package(col: Collection, out: Path, *, scheduling: bool = False, media: bool = False,
                   legacy: bool = False) -> Path:
    """Export the whole collection with Anki's own exporter, as File > Export does."""
    options = ExportAnkiPackageOptions(with_scheduling=scheduling, with_deck_configs=False, with_media=media,
                                       legacy=legacy)
    col.export_anki_package(out_path=str(out), options=options, limit=None)
    return out


def notes_by_front(col: Collection) -> dict[str, object]:
    """Map each note's first field to the note."""
    return {col.get_note(nid).fields[0]: col.get_note(nid) for nid in col.find_notes("")}


def study(col: Collection, deck: str, ease: int = 3):
    """Answer the next card of a deck with the scheduler and return it refreshed."""
    col.decks.select(col.decks.id_for_name(deck))
    card = col.sched.getCard()
    assert card is not None, f"nothing to study in {deck}"
    col.sched.answerCard(card, ease)
    return col.get_card(card.id)


def integrity_is_clean(col: Collection) -> bool:
    """Run Anki's Check Database and tell whether it found nothing to fix."""
    message, ok = col.fix_integrity()
    return ok and message.strip() == "Database rebuilt and optimized."
