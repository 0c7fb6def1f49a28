"""deckgen watch: rebuilds on change, prints problems, keeps the last good build."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

from deckgen.commands.watch import WatchSession, card_changes, is_card_file, watch_loop

GOOD = "deck: Demo\ntags: [demo]\nsource: Notes\ncards:\n  - id: one\n    q: Which company built TensorFlow?\n    a: Google\n"
BROKEN = GOOD.replace("    a: Google\n", "")
EDITED = GOOD.replace("a: Google", "a: Google Brain")


def session_for(project, lines: list[tuple[str, bool]], monkeypatch) -> WatchSession:
    monkeypatch.chdir(project.root)  # paths print relative to where the user runs deckgen
    return WatchSession(project.cards, project.build_dir, lambda line, err: lines.append((line, err)),
                        clock=lambda: "12:00:00")


def test_rounds_rebuild_report_problems_and_keep_the_last_good_build(project, monkeypatch) -> None:
    card_file = project.write("a.yaml", GOOD)
    package, page = project.package(), project.build_dir / "preview.html"
    lines: list[tuple[str, bool]] = []
    snapshots = {}

    def edits():
        snapshots["first"] = (package.read_bytes(), page.read_bytes(), project.lock.read_bytes())
        card_file.write_text(BROKEN, encoding="utf-8")
        yield {card_file}
        snapshots["broken"] = (package.read_bytes(), page.read_bytes(), project.lock.read_bytes())
        yield {project.cards / ".a.yaml.swp", project.cards / "notes.txt"}  # not card files: no round
        card_file.write_text(EDITED, encoding="utf-8")
        yield {card_file}

    rounds = watch_loop(session_for(project, lines, monkeypatch), edits())

    assert rounds == 3
    assert snapshots["broken"] == snapshots["first"]  # errors leave the last good build in place
    assert "Google Brain" in page.read_text(encoding="utf-8")
    assert package.read_bytes() != snapshots["first"][0]
    out = [line for line, err in lines if not err]
    err = [line for line, err in lines if err]
    assert out[0] == "[12:00:00] building"
    assert out.index("watching cards for changes (Ctrl-C to stop)") == out.index(
        "wrote build/preview.html: 1 card from 1 note in 1 deck") + 1
    assert "[12:00:00] changed: cards/a.yaml" in out
    assert "cards/a.yaml:5:5: error: card 'one' is missing 'a' (missing-key)" in err
    assert "not built: fix the errors above; the last good build stays in place" in out
    assert out[-3:] == ["wrote build/preview.html: 1 card from 1 note in 1 deck", "all problems fixed", "stopped watching"]
    assert "built build/demo.apkg: Demo - 1 deck, 1 note (1 card): 0 new, 1 changed, 0 unchanged" in out


def test_lint_warnings_are_printed_once_and_do_not_stop_the_build(project, monkeypatch) -> None:
    card_file = project.write("a.yaml", GOOD.replace("tags: [demo]\n", ""))
    lines: list[tuple[str, bool]] = []
    warning = "cards/a.yaml:4:5: warning: card 'one' has no tag; add a topic tag to it or its file (missing-topic-tag)"
    watch_loop(session_for(project, lines, monkeypatch), [{card_file}])
    err = [line for line, is_err in lines if is_err]
    assert err == [warning, "0 errors, 1 warning", "0 errors, 1 warning (1 shown before)"]
    assert project.package().is_file()


def test_card_file_filter() -> None:
    assert is_card_file(Path("cards/a.yaml")) and is_card_file(Path("cards/sub/b.yml"))
    assert not is_card_file(Path("cards/.a.yaml")) and not is_card_file(Path("cards/a.yaml~"))
    assert not is_card_file(Path("cards/4913"))


def test_real_file_events_trigger_a_rebuild(project, monkeypatch) -> None:
    monkeypatch.chdir(project.root)
    card_file = project.write("a.yaml", GOOD)
    page = project.build_dir / "preview.html"
    lines: queue.Queue[str] = queue.Queue()
    stop = threading.Event()
    session = WatchSession(project.cards, project.build_dir, lambda line, err: lines.put(line))
    thread = threading.Thread(target=watch_loop, args=(session, card_changes(project.cards, stop)), daemon=True)
    thread.start()
    try:
        _wait_for(lines, "watching")
        # The watcher starts just after that line; save again each second until it has seen a save.
        deadline = time.monotonic() + 20
        while session.rounds < 2 and time.monotonic() < deadline:
            card_file.write_text(EDITED, encoding="utf-8")
            time.sleep(1)
        _wait_for(lines, "wrote build/preview.html")
        assert "Google Brain" in page.read_text(encoding="utf-8")
        assert session.rounds >= 2
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def _wait_for(lines: queue.Queue, start: str, timeout: float = 20.0) -> None:
    """Read printed lines until one starts with `start`, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if line.startswith(start):
            return
    raise AssertionError(f"no line starting {start!r} within {timeout}s; saw {seen}")


def test_watch_command(project, monkeypatch) -> None:
    import deckgen.commands.watch

    assert project.run("watch", "--cards", "nowhere").exit_code == 1
    project.write("a.yaml", GOOD)
    monkeypatch.setattr(deckgen.commands.watch, "card_changes", lambda cards_dir, stop=None: iter([]))
    result = project.run("watch")
    assert result.exit_code == 0, result.output
    assert "watching cards for changes (Ctrl-C to stop)" in result.stdout
    assert result.stdout.endswith("stopped watching\n")
    assert (project.build_dir / "preview.html").is_file() and project.package().is_file()


def test_ctrl_c_stops_the_watch_without_the_file_watchers_own_log_line(project, capfd) -> None:
    import logging
    import threading

    from deckgen.commands.watch import card_changes

    stop = threading.Event()
    stop.set()
    assert list(card_changes(project.cards, stop)) == []
    # watchfiles reports a caught interrupt with a warning on this logger: it must stay quiet.
    assert not logging.getLogger("watchfiles.main").isEnabledFor(logging.WARNING)


def test_a_watch_round_without_a_lock_file_keeps_edits_newer_than_the_last_build(project) -> None:
    from deckgen.commands.build import run_build

    project.write("a.yaml", "deck: W\ncards:\n  - id: w1\n    q: Q?\n    a: A\n")
    run_build(project.cards, project.build_dir, now=1_700_000_000)
    note_id = next(row.split("\t")[3] for row in project.lock.read_text(encoding="utf-8").splitlines()
                   if row.startswith("W/"))
    project.lock.unlink()
    lines: list[str] = []
    session = WatchSession(project.cards, project.build_dir, lambda line, err: lines.append(line))
    assert session.rebuild()
    assert any("0 new, 1 changed" in line for line in lines), lines
    stamped = [row.split("\t") for row in project.lock.read_text(encoding="utf-8").splitlines() if row.startswith("W/")]
    assert stamped[0][3] == note_id  # the note keeps its id: Anki's "Created" date stays
