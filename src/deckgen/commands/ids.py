"""`deckgen ids`: give cards without an `id` one made from their question, changing nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deckgen.cardfiles.yamledit import AddedId, add_ids_to_text, card_nodes, id_scope, value_of
from deckgen.compiler.yamlread import Scalar, parse_yaml
from deckgen.errors import WriteError
from deckgen.problems import Location, Problem, error, has_errors
from deckgen.project.files import find_card_files, read_for_edit
from deckgen.project.paths import display_path
from deckgen.project.writer import write_files

@dataclass(frozen=True)
class IdsReport:
    """The ids added (or that would be added), and the cards that could not get one."""

    problems: tuple[Problem, ...]
    added: tuple[AddedId, ...]
    files: int
    wrote: bool

    @property
    def failed(self) -> bool:
        return has_errors(self.problems)


def run_ids(cards_dir: Path, *, write: bool = True) -> IdsReport:
    """Add missing card ids to every card file; write only when every file could be edited."""
    if not cards_dir.is_dir():
        where = Location(display_path(cards_dir))
        return IdsReport((error(where, "no-cards-dir", f"card folder '{where.path}' does not exist"),), (), 0, False)
    root = cards_dir.resolve().parent
    paths, problems = find_card_files(cards_dir, root)
    files: list[tuple[Path, bytes, str, str]] = []
    for path in paths:
        shown = display_path(path)
        read = read_for_edit(path, shown, root)
        if isinstance(read, Problem):
            problems.append(read)
        else:
            files.append((path, read[0], read[1], shown))
    if problems:
        return IdsReport(tuple(problems), (), 0, False)
    # Existing ids first, across all files, so a new id never takes one used further on.
    taken: dict[str, set[str]] = {}
    for _, _, text, shown in files:
        node, _ = parse_yaml(text, shown)
        if node is not None:
            ids = taken.setdefault(id_scope(node), set())
            ids.update(v.value.strip() for c in card_nodes(node) if isinstance(v := value_of(c, "id"), Scalar))
    outputs: dict[Path, bytes] = {}
    added: list[AddedId] = []
    for path, bom, text, shown in files:
        new_text, found, trouble = add_ids_to_text(text, shown, taken)
        problems += trouble
        added += found
        if found and not trouble:
            outputs[path] = bom + new_text.encode("utf-8")
    if problems or not write:
        return IdsReport(tuple(problems), tuple(added), len(outputs), False)
    try:
        write_files(outputs)
    except WriteError as exc:
        where = Location(display_path(exc.path or next(iter(outputs))))
        return IdsReport((error(where, "cannot-write", exc.message),), tuple(added), 0, False)
    return IdsReport((), tuple(added), len(outputs), bool(outputs))
