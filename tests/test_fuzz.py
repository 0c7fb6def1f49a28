"""Property-based fuzzing (Hypothesis): hostile input never crashes deckgen or costs the user data.

The example counts follow the Hypothesis profile (tests/conftest.py): `ci` by default, bounded
so this file runs in about a minute; `pytest --hypothesis-profile=nightly tests/test_fuzz.py`
runs many more. Each failure fuzzing found is kept as a case in tests/cases/ as well.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import event, given, settings
from hypothesis import strategies as st

from deckgen.cardfiles.yamlwrite import Block, dump
from deckgen.compiler.escape import MEDIA_MARK
from deckgen.compiler.text import field_html
from deckgen.compiler.yamlread import Mapping, Node, Scalar, parse_yaml
from deckgen.model import LockEntry
from deckgen.project.lockfile import format_lock, parse_lock

from conftest import Project
from fuzz_strategies import _COLUMN, card_document, card_file_bytes, card_text, hostile_text, valid_deck

EXAMPLES = settings.default.max_examples


def _examples(scale: float) -> settings:
    """This test's share of the profile's examples: slow properties run fewer."""
    return settings(max_examples=max(2, int(EXAMPLES * scale)))


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@_examples(1)
@given(data=card_file_bytes(), name=st.sampled_from(["deck.yaml", "sub/deck.yml"]))
def test_any_card_file_checks_and_builds_with_exit_0_or_1_and_a_failed_build_writes_nothing(
        tmp_path_factory, data: bytes, name: str) -> None:
    project = Project(tmp_path_factory.mktemp("fuzz"))
    (project.cards / name).parent.mkdir(parents=True, exist_ok=True)
    (project.cards / name).write_bytes(data)
    project.build_dir.mkdir()
    (project.build_dir / "demo.apkg").write_bytes(b"the previous package")
    project.lock.write_text("# the previous lock\n", encoding="utf-8")
    before = _snapshot(project.root)

    check = project.run("check")  # the runner re-raises any exception: a traceback fails the test
    assert check.exit_code in (0, 1), check.output
    assert _snapshot(project.root) == before
    build = project.run("build")
    assert build.exit_code == check.exit_code, (check.output, build.output)  # check finds what build would
    event(f"build exit {build.exit_code}")
    if build.exit_code == 1:
        assert ": error: " in build.stderr
        assert _snapshot(project.root) == before
        return
    # What a build wrote reads back as it was meant: without the build cache, a rebuild finds the
    # lock file's every line, changes nothing and writes the same bytes.
    built = _snapshot(project.build_dir)
    (project.build_dir / ".deckgen-cache").unlink()
    again = project.run("build")
    assert again.exit_code == 0 and "lock-damaged" not in again.stderr, again.output
    summaries = [line for line in again.stdout.splitlines() if line.startswith("built ")]
    assert summaries and all(": 0 new, 0 changed, " in line for line in summaries), again.stdout
    assert {k: v for k, v in _snapshot(project.build_dir).items() if k.endswith(".apkg")} == \
        {k: v for k, v in built.items() if k.endswith(".apkg")}


def _card(question: str, answer: str, kind: str, number: int) -> Block:
    card = Block(id=f"c{number}")
    if kind == "cloze":
        card["cloze"] = f"{question} {{{{c1::{answer}}}}}"
    else:
        card["q"], card["a"] = question, answer
        if kind == "reverse":
            card["reverse"] = "true"
    return card


@_examples(0.1)
@given(deck=valid_deck(), cards=st.lists(st.tuples(card_text(), card_text(), st.sampled_from(["basic", "reverse", "cloze"])),
                                          min_size=1, max_size=4))
def test_any_package_that_builds_imports_into_anki_without_error(tmp_path_factory, deck: str,
                                                                 cards: list[tuple[str, str, str]]) -> None:
    from anki.collection import Collection

    from anki_helpers import import_package, integrity_is_clean

    project = Project(tmp_path_factory.mktemp("fuzz-anki"))
    (project.cards / "deck.yaml").write_text(
        dump(Block(deck=deck, cards=[_card(q, a, kind, i) for i, (q, a, kind) in enumerate(cards)])), encoding="utf-8")
    result = project.run("build")
    assert result.exit_code in (0, 1), result.output
    event(f"build exit {result.exit_code}")
    if result.exit_code == 1:
        return
    col = Collection(str(project.root / "collection.anki2"))
    try:
        for package in sorted(project.build_dir.glob("*.apkg")):
            log = import_package(col, package)
            assert len(log.new) == len(cards) and not log.conflicting
        assert col.note_count() == len(cards)
        assert integrity_is_clean(col)
        for package in sorted(project.build_dir.glob("*.apkg")):  # importing it again changes nothing
            assert not import_package(col, package).new
    finally:
        col.close()


@st.composite
def _lock_entry(draw) -> LockEntry:
    number = st.integers(0, (1 << 53) - 1)
    return LockEntry(draw(_COLUMN), draw(_COLUMN), draw(number), draw(number), draw(_COLUMN),
                     draw(st.one_of(_COLUMN, hostile_text(4))))


def _shown_deck(deck: str) -> str:
    """The last column as the lock file keeps it: characters that would split the line become spaces."""
    return "".join(" " if c in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029" else c for c in deck)


@_examples(5)
@given(st.lists(_lock_entry(), max_size=12, unique_by=lambda e: e.key))
def test_the_lock_file_round_trips(entries: list[LockEntry]) -> None:
    read, problems = parse_lock(format_lock(entries), "deckgen.lock")
    assert problems == []
    assert read == {e.key: LockEntry(e.key, e.hash, e.mod, e.note_id, e.kind, _shown_deck(e.deck)) for e in entries}


@_examples(5)
@given(hostile_text(16))
def test_any_lock_text_reads_without_error_and_what_it_reads_round_trips(text: str) -> None:
    read, problems = parse_lock(text, "deckgen.lock")
    assert all(p.severity == "warning" and p.location.path == "deckgen.lock" for p in problems)
    again, _ = parse_lock(format_lock(read.values()), "deckgen.lock")
    assert again == {key: LockEntry(e.key, e.hash, e.mod, e.note_id, e.kind, _shown_deck(e.deck)) for key, e in read.items()}


_KEYS = st.one_of(hostile_text(3), st.sampled_from(["deck", "cards", "q", "a", "id", "<<", "?", "-", "true", "~"]))
_DOCUMENTS = st.recursive(
    hostile_text(),
    lambda inner: st.one_of(
        st.lists(hostile_text(), max_size=3),
        st.dictionaries(_KEYS, inner, min_size=1, max_size=3).map(Block),
        st.lists(st.dictionaries(_KEYS, inner, min_size=1, max_size=3).map(Block), min_size=1, max_size=2),
    ),
    max_leaves=8,
)


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _read(node: Node):
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Mapping):
        return {key.value: _read(value) for key, value in node.items}
    return [_read(item) for item in node.items]


@_examples(2)
@given(st.dictionaries(_KEYS, _DOCUMENTS, min_size=1, max_size=4).map(Block), hostile_text(3))
def test_yamlwrite_output_reads_back_equal(document: Block, comment: str) -> None:
    text = dump(document, comment)
    node, problems = parse_yaml(text, "x.yaml")
    assert problems == [] and node is not None, (text, problems)
    assert _read(node) == _plain(document)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


# What rendered Markdown may hold: formatting tags, and only the attributes deckgen writes itself.
_TAGS = {"b", "i", "u", "s", "em", "strong", "sub", "sup", "kbd", "mark", "small", "ins", "del", "br", "p", "code",
         "pre", "a", "img", "ul", "ol", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table",
         "thead", "tbody", "tr", "th", "td", "span"}
_ATTRIBUTES = {("a", "href"), ("img", "src"), ("img", "alt"), ("pre", "class"), ("span", "class"), ("ol", "start"),
               ("th", "style"), ("td", "style")}


@_examples(5)
@given(hostile_text(12))
def test_markdown_rendering_never_lets_an_attribute_or_script_through(text: str) -> None:
    markup, _, _ = field_html(text)
    tags = _Tags()
    tags.feed(markup)
    tags.close()
    for tag, attributes in tags.tags:
        assert tag in _TAGS, (text, markup)
        for name, value in attributes:
            assert (tag, name) in _ATTRIBUTES, (text, markup)
            if name == "href":
                # As a browser reads it: edges stripped of controls and space, tabs and line breaks dropped.
                url = re.sub("[\t\n\r]", "", (value or "").strip("".join(map(chr, range(33)))))
                scheme = re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", url)
                assert scheme is None or scheme.group().lower() in ("http:", "https:", "mailto:"), (text, markup)
            if name == "src":
                assert (value or "").startswith(MEDIA_MARK), markup
            if name == "style":
                assert value in ("text-align:left", "text-align:center", "text-align:right"), markup
            if name == "class":
                assert re.fullmatch(r"[A-Za-z0-9 _-]+", value or ""), markup


@_examples(0.5)
@given(data=card_file_bytes())
def test_ids_on_any_card_file_only_inserts_id_lines_or_changes_nothing(tmp_path_factory, data: bytes) -> None:
    import difflib

    project = Project(tmp_path_factory.mktemp("fuzz-ids"))
    path = project.cards / "deck.yaml"
    path.write_bytes(data)

    result = project.run("ids")

    assert result.exit_code in (0, 1), result.output
    event(f"ids exit {result.exit_code}")
    after = path.read_bytes()
    if result.exit_code == 1 or after == data:
        assert after == data
        return
    old, new = data.decode("utf-8-sig").splitlines(keepends=True), after.decode("utf-8-sig").splitlines(keepends=True)
    edits = [op for op in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes() if op[0] != "equal"]
    inserted = [line for tag, _, _, j1, j2 in edits for line in new[j1:j2]]
    # Only whole `id:` lines were added (a last line without its break may gain one, for the insert).
    assert all(tag in ("insert", "replace") for tag, *_ in edits), edits
    for tag, i1, i2, j1, j2 in edits:
        if tag == "replace":
            assert "".join(new[j1:j2]).startswith("".join(old[i1:i2]).rstrip("\r\n")), (old[i1:i2], new[j1:j2])
    assert inserted and all(re.fullmatch(r"\s*(?:- )?id: [a-z0-9-]+\s*", line.strip("\r\n") + " ") or
                            "id: " in line for line in inserted), inserted
    again = project.run("ids")
    assert again.exit_code == 0 and path.read_bytes() == after, again.output


@st.composite
def _damaged_package(draw, genuine: bytes) -> bytes:
    """A package a stranger could send: a real one with bytes flipped, cut short, or its entries replaced."""
    import io
    import zipfile

    how = draw(st.sampled_from(["flip", "truncate", "entries"]))
    if how == "flip":
        data = bytearray(genuine)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if how == "truncate":
        return genuine[: draw(st.integers(0, len(genuine) - 1))]
    with zipfile.ZipFile(io.BytesIO(genuine)) as source:
        entries = {name: source.read(name) for name in source.namelist()}
    names = draw(st.lists(st.sampled_from(sorted(entries) + ["media", "0", "1", "meta", "collection.anki21b",
                                                            "../evil", "/abs", "collection.anki2"]),
                          min_size=1, max_size=3))
    for name in names:
        entries[name] = draw(st.one_of(
            st.binary(max_size=64),
            st.sampled_from([b"{}", b'{"0": "../evil.png"}', b'{"0": "ok.png", "1": "ok.png"}', b"[]", b"null",
                             b'{"0": "\\u0000.png"}', b'{"0": "' + b"a" * 300 + b'.png"}', b"\x08\x07", b"\x08\x02"]),
        ))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


_GENUINE: list[bytes] = []


def _genuine_package(tmp_path_factory) -> bytes:
    """One package deckgen built, the same bytes for every example (Hypothesis replays examples)."""
    if not _GENUINE:
        built = Project(tmp_path_factory.mktemp("fuzz-genuine"))
        (built.cards / "deck.yaml").write_text(
            "deck: Demo\ncards:\n  - id: a\n    q: Question?\n    a: Answer\n  - id: b\n    cloze: '{{c1::Cloze}}'\n",
            encoding="utf-8")
        assert built.run("build").exit_code == 0
        _GENUINE.append(built.package().read_bytes())
    return _GENUINE[0]


@_examples(0.25)
@given(st.data())
def test_importing_a_damaged_package_exits_0_or_1_and_a_failed_import_writes_nothing(tmp_path_factory, data) -> None:
    folder = tmp_path_factory.mktemp("fuzz-import")
    package = folder / "stranger.apkg"
    package.write_bytes(data.draw(_damaged_package(_genuine_package(tmp_path_factory))))
    project = Project(folder / "project")

    result = project.run("import", str(package))

    assert result.exit_code in (0, 1), result.output
    event(f"import exit {result.exit_code}")
    if result.exit_code == 1:
        assert ": error: " in result.stderr
        assert list(project.root.rglob("*")) == [project.cards]
    else:
        assert project.run("build").exit_code == 0
    assert not (folder / "evil").exists() and not (folder / "evil.png").exists()


_NOTETYPES = {"Basic": ("Front", "Back"), "Basic (and reversed card)": ("Front", "Back"), "Cloze": ("Text", "Back Extra")}


@_examples(0.1)
@given(notes=st.lists(st.tuples(st.sampled_from(sorted(_NOTETYPES)), valid_deck(), hostile_text(6), hostile_text(4),
                                st.lists(st.one_of(st.sampled_from(["a::b", "tag#1", "x"]), hostile_text(2)), max_size=3)),
                      min_size=1, max_size=3),
       raw=st.booleans())
def test_any_package_from_anki_imports_builds_and_goes_back_unchanged(tmp_path_factory, notes, raw: bool) -> None:
    """A stranger's package: any field text, deck and tags Anki stores (raw: written past Anki's editor)."""
    from anki.collection import Collection, ExportAnkiPackageOptions

    from anki_helpers import import_package

    folder = tmp_path_factory.mktemp("fuzz-from-anki")
    col = Collection(str(folder / "theirs.anki2"))
    try:
        for notetype, deck, first, second, tags in notes:
            note = col.new_note(col.models.by_name(notetype))
            first = first if notetype != "Cloze" else f"{first} {{{{c1::{second or 'x'}}}}}"
            note[_NOTETYPES[notetype][0]], note[_NOTETYPES[notetype][1]] = first, second
            note.tags = [tag for tag in tags if tag.strip() and " " not in tag]
            col.add_note(note, col.decks.id(deck))
            if raw:  # as other tools write notes: the text exactly, no clean-up by Anki's editor
                col.db.execute("UPDATE notes SET flds = ? WHERE id = ?", f"{first}\x1f{second}".replace("\x1f\x1f", "\x1f"),
                               note.id)
        package = folder / "theirs.apkg"
        col.export_anki_package(out_path=str(package), options=ExportAnkiPackageOptions(
            with_scheduling=False, with_deck_configs=False, with_media=True, legacy=False), limit=None)
        project = Project(folder / "project")

        result = project.run("import", str(package))

        assert result.exit_code in (0, 1), result.output
        event(f"import exit {result.exit_code}")
        if result.exit_code == 1:
            assert list(project.root.rglob("*")) == [project.cards], result.stderr
            assert "deckgen bug" not in result.stderr, result.stderr  # the import's own round trip failed
            event(result.stderr.split("(import-refused)")[0].split(": error: ")[-1][:60])
            return
        build = project.run("build")
        assert build.exit_code == 0, build.output
        before = {nid: col.get_note(nid).fields for nid in col.find_notes("")}
        for built in sorted(project.build_dir.glob("*.apkg")):
            log = import_package(col, built)
            assert not log.new and not log.conflicting
        assert {nid: col.get_note(nid).fields for nid in col.find_notes("")} == before
    finally:
        col.close()


_TOML = st.one_of(
    hostile_text(10),
    st.tuples(st.sampled_from(["[lint]\n", "[lint]\n", "[lint.answer-too-long]\n", "[lint]\n[lint]\n", ""]),
              st.sampled_from(["", "max-answer-words = ", "max-cloze-deletions = ", "near-duplicate-similarity = ",
                               "disable = ", "x = ", "max-answer-words.x = ", "'max-answer-words' = "]),
              st.one_of(hostile_text(3), st.sampled_from(["1", "-1", "1e999", "nan", "inf", "0x10", "[]", "{}", "true",
                                                          '["answer-too-long"]', '["nope"]', "99999999999999999999",
                                                          "1979-05-27", '"x"', "[1, [2]]"]))).map("".join),
)


@_examples(2)
@given(_TOML)
def test_any_settings_file_lints_with_exit_0_or_1_and_a_located_message(tmp_path_factory, text: str) -> None:
    project = Project(tmp_path_factory.mktemp("fuzz-toml"))
    (project.cards / "deck.yaml").write_text("deck: Demo\ncards:\n  - id: a\n    q: Question?\n    a: Answer\n",
                                             encoding="utf-8")
    (project.root / "deckgen.toml").write_text(text, encoding="utf-8")

    result = project.run("lint")

    assert result.exit_code in (0, 1), result.output
    event(f"lint exit {result.exit_code}")
    if result.exit_code == 1:
        assert "deckgen.toml:" in result.stderr and ": error: " in result.stderr, result.stderr


@_examples(0.5)
@given(documents=st.lists(card_document(hostile=False), min_size=2, max_size=3), nested=st.booleans())
def test_several_card_files_build_or_fail_cleanly_and_rebuild_to_the_same_bytes(tmp_path_factory, documents,
                                                                                   nested: bool) -> None:
    """Cross-file rules (ids per top-level deck, GUIDs, package names) over files that share decks."""
    project = Project(tmp_path_factory.mktemp("fuzz-files"))
    for number, document in enumerate(documents):
        if number and nested:  # often the same top-level deck as the first file, so ids and names meet
            document["deck"] = documents[0]["deck"].split("::")[0] + "::" + document["deck"].replace("::", " ")
        name = f"sub/f{number}.yaml" if number % 2 else f"f{number}.yaml"
        (project.cards / name).parent.mkdir(parents=True, exist_ok=True)
        (project.cards / name).write_text(dump(document), encoding="utf-8")

    check = project.run("check")
    build = project.run("build")

    assert (check.exit_code, build.exit_code) in ((0, 0), (1, 1)), (check.output, build.output)
    event(f"build exit {build.exit_code}")
    if build.exit_code == 1:
        assert not project.build_dir.exists() and not project.lock.exists(), build.stderr
        assert ": error: " in build.stderr
        return
    packages = {p.name: p.read_bytes() for p in project.build_dir.glob("*.apkg")}
    (project.build_dir / ".deckgen-cache").unlink()
    again = project.run("build")
    assert again.exit_code == 0 and "lock-damaged" not in again.stderr, again.output
    assert all(": 0 new, 0 changed, " in line for line in again.stdout.splitlines() if line.startswith("built "))
    assert {p.name: p.read_bytes() for p in project.build_dir.glob("*.apkg")} == packages
