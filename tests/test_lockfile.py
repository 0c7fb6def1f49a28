"""The lock file moves times forward on change only, and survives damage and merges."""

from __future__ import annotations

from deckgen.compiler.stamp import Stamper
from deckgen.model import LockEntry
from deckgen.project.lockfile import format_lock, parse_lock


def entry(key: str, digest: str = "h1", mod: int = 100, note_id: int = 5000) -> LockEntry:
    return LockEntry(key, digest, mod, note_id, "basic", "D")


def test_round_trip_is_sorted_one_line_per_card() -> None:
    text = format_lock([entry("D/b"), entry("D/a", note_id=5001)])
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert body == ["D/a\th1\t100\t5001\tbasic\tD", "D/b\th1\t100\t5000\tbasic\tD"]
    parsed, problems = parse_lock(text, "deckgen.lock")
    assert problems == [] and parsed == {"D/a": entry("D/a", note_id=5001), "D/b": entry("D/b")}


def test_time_moves_forward_only_on_change_even_within_a_second() -> None:
    previous = {"D/a": entry("D/a", mod=100), "D/b": entry("D/b", mod=100, note_id=5001)}
    stamper = Stamper(previous, now=100.5)  # the same second as the last build
    same = stamper.stamp("D/a", "h1", "basic", "D")
    edited = stamper.stamp("D/b", "h2", "basic", "D")
    added = stamper.stamp("D/c", "h3", "basic", "D")
    assert (same.status, same.entry.mod) == ("unchanged", 100)
    assert (edited.status, edited.entry.mod, edited.entry.note_id) == ("changed", 101, 5001)
    assert added.status == "new" and added.entry.note_id not in (5000, 5001)
    later = Stamper(previous, now=500).stamp("D/b", "h2", "basic", "D")
    assert later.entry.mod == 500


def test_merge_conflict_keeps_the_later_entry_and_warns() -> None:
    text = (
        "D/a\th1\t100\t5000\tbasic\tD\n"
        "<<<<<<< HEAD\n"
        "D/b\th2\t300\t5001\tbasic\tD\n"
        "=======\n"
        "D/b\th3\t200\t5001\tbasic\tD\n"
        ">>>>>>> branch\n"
    )
    parsed, problems = parse_lock(text, "deckgen.lock")
    assert parsed["D/b"].hash == "h2" and parsed["D/b"].mod == 300
    assert [(str(p.location), p.code, p.severity) for p in problems] == [("deckgen.lock:2:1", "lock-conflict", "warning")]


def test_damaged_lines_are_located_warnings_and_ignored() -> None:
    text = ("D/a\th1\tnot-a-number\t1\tbasic\tD\ngarbage\nD/b\th1\t1\t2\tbasic\tD\n"
            "D/c\th1\t99999999999999999999999\t3\tbasic\tD\nD/d\th1\t1\t-4\tbasic\tD\n")
    parsed, problems = parse_lock(text, "x.lock")
    assert list(parsed) == ["D/b"]
    assert [(p.location.line, p.code) for p in problems] == [(n, "lock-damaged") for n in (1, 2, 4, 5)]


def test_shared_note_ids_after_a_merge_are_made_unique() -> None:
    previous = {"D/a": entry("D/a", note_id=7), "D/b": entry("D/b", note_id=7)}
    stamper = Stamper(previous, now=100)
    ids = {stamper.stamp(key, "h1", "basic", "D").entry.note_id for key in ("D/a", "D/b")}
    assert len(ids) == 2 and 7 in ids


def test_a_union_merge_of_two_branches_reads_as_the_later_entries(tmp_path) -> None:
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True, text=True).stdout

    git("init", "-q", "-b", "main")
    git("config", "user.email", "t@example.invalid")
    git("config", "user.name", "t")
    (tmp_path / ".gitattributes").write_text("deckgen.lock merge=union\n", encoding="utf-8")
    base = [entry("D/a", mod=100), entry("D/b", mod=100, note_id=5001), entry("D/c", mod=100, note_id=5002)]
    lock = tmp_path / "deckgen.lock"
    lock.write_text(format_lock(base), encoding="utf-8")
    git("add", ".")
    git("commit", "-qm", "base")
    git("checkout", "-qb", "other")
    lock.write_text(format_lock([base[0], entry("D/b", "h2", 200, 5001), base[2]]), encoding="utf-8")
    git("commit", "-qam", "edit b")
    git("checkout", "-q", "main")
    # Adjacent lines: a plain text merge would stop with a conflict here.
    lock.write_text(format_lock([entry("D/a", "h3", 300), base[1], entry("D/c", "h4", 300, 5002)]), encoding="utf-8")
    git("commit", "-qam", "edit a and c")
    git("merge", "-q", "other", "-m", "merge")

    parsed, problems = parse_lock(lock.read_text(encoding="utf-8"), "deckgen.lock")
    assert problems == []
    assert {key: (e.hash, e.mod) for key, e in parsed.items()} == {
        "D/a": ("h3", 300), "D/b": ("h2", 200), "D/c": ("h4", 300),
    }


def test_numbers_are_read_only_as_plain_decimals_below_the_limit() -> None:
    # Unusual columns take the checked path: each line reads as an entry or a located warning.
    lines = [
        "D/a\th\t0000000000000000100\t5\tbasic\tD",  # leading zeros past 16 digits: still 100
        "D/b\th\t9007199254740991\t5\tbasic\tD",  # 2**53 - 1, the largest time kept
        "D/c\th\t9007199254740992\t5\tbasic\tD",  # 2**53: damaged
        "D/d\th\t\u00b2\t5\tbasic\tD",  # a superscript digit: isdigit() but not a number
        "D/e\th\t+7\t5\tbasic\tD",  # int() reads it; kept as before
        "#1/f\th\t1\t2\tbasic\t#1",  # a key starting with '#' is an entry, not a comment
        "D/g\t\t1\t2\tbasic\tD",  # no hash: damaged
        "D/h\th\t\u0661\t5\tbasic\tD",  # an Arabic-Indic digit: int() reads it as 1
    ]
    parsed, problems = parse_lock("\n".join(lines) + "\n", "deckgen.lock")
    assert {key: entry.mod for key, entry in parsed.items()} == {
        "D/a": 100, "D/b": 9007199254740991, "D/e": 7, "#1/f": 1, "D/h": 1}
    assert [(p.location.line, p.code) for p in problems] == [(3, "lock-damaged"), (4, "lock-damaged"),
                                                              (7, "lock-damaged")]
