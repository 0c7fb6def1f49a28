"""`deckgen watch`: rebuild the packages and the preview whenever a card file changes.

The only module that imports watchfiles. The loop itself takes any iterable of change sets, so
tests drive it without file-system events. A round with errors prints them and writes nothing,
so the last good packages and preview stay in place until the cards are fixed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from threading import Event
from typing import Callable, Iterable, Iterator

from deckgen.commands.build import BuildReport, build_report, write_failure
from deckgen.commands.lint import lint_project
from deckgen.commands.preview import check_editor_url, preview_page
from deckgen.errors import WriteError
from deckgen.output.report import format_count, format_preview, format_problems, format_summary
from deckgen.pipeline import compile_project, load_project, write_build
from deckgen.problems import sorted_problems
from deckgen.project.files import CARD_SUFFIXES
from deckgen.project.paths import ProjectPaths, display_path

# Called as echo(line, err) so the CLI can use click.echo and tests can collect lines.
Echo = Callable[[str, bool], None]


@dataclass
class WatchSession:
    """What one `deckgen watch` keeps between rounds."""

    cards_dir: Path
    out_dir: Path
    echo: Echo
    lock_path: Path | None = None
    config_path: Path | None = None
    editor_url: str = ""
    run_card_scripts: bool = False
    clock: Callable[[], str] = field(default=lambda: time.strftime("%H:%M:%S"))
    rounds: int = 0
    had_problems: bool = False
    shown: frozenset[str] = frozenset()  # the warnings printed last round, not repeated while they stay

    def rebuild(self, changed: Iterable[Path] = ()) -> bool:
        """Build, lint and write the preview once; print what happened. Return True when it built."""
        self.rounds += 1
        names = sorted(display_path(path) for path in changed)
        self.echo(f"[{self.clock()}] " + (f"changed: {', '.join(names)}" if names else "building"), False)
        project = load_project(ProjectPaths.of(self.cards_dir, self.out_dir, self.lock_path, self.config_path))
        compilation = compile_project(project)
        report = build_report(project, compilation)
        failed = report.failed
        warnings = [] if failed else lint_project(project)
        problems = sorted_problems([*report.problems, *project.config.problems, *warnings])
        fresh = [p for p in problems if p.severity == "error" or str(p) not in self.shown]
        for line in format_problems(fresh, quiet=True) + format_count(problems, len(problems) - len(fresh)):
            self.echo(line, True)
        if not failed:  # lint ran: remember its warnings
            self.shown = frozenset(str(p) for p in problems if p.severity == "warning")
        if failed:
            self.echo("not built: fix the errors above; the last good build stays in place", False)
            self.had_problems = True
            return False
        page = preview_page(project, compilation, warnings, editor_url=self.editor_url,
                            run_card_scripts=self.run_card_scripts)
        try:  # the packages, the lock file and the preview page change together or not at all
            write_build(project, compilation, also={page.target: page.pieces})
        except WriteError as exc:
            for line in format_problems([write_failure(exc, self.out_dir)], quiet=True):
                self.echo(line, True)
            self.had_problems = True
            return False
        done = BuildReport(report.problems, report.packages, report.removed, report.lock_found, wrote=True)
        for line in format_summary(done, "built") + format_preview(page.report):
            self.echo(line, False)
        if self.had_problems and not problems:
            self.echo("all problems fixed", False)
        self.had_problems = bool(problems)
        return True


def is_card_file(path: Path) -> bool:
    """Tell whether a changed path is a card file (editors' hidden swap and backup files are not)."""
    return path.suffix in CARD_SUFFIXES and not path.name.startswith(".")


def watch_loop(session: WatchSession, changes: Iterable[set[Path]]) -> int:
    """Build once, then once per change set that touches a card file; return the number of builds."""
    check_editor_url(session.editor_url)
    session.rebuild()
    session.echo(f"watching {display_path(session.cards_dir)} for changes (Ctrl-C to stop)", False)
    for changed in changes:
        cards = {path for path in changed if is_card_file(path)}
        if cards:
            session.rebuild(cards)
    session.echo("stopped watching", False)
    return session.rounds


def card_changes(cards_dir: Path, stop: Event | None = None) -> Iterator[set[Path]]:
    """Yield the sets of paths that change below the card folder until Ctrl-C or `stop` is set."""
    import logging

    import watchfiles

    # Ctrl-C ends the watch quietly: watchfiles would log its own line about the interrupt.
    logging.getLogger("watchfiles.main").setLevel(logging.ERROR)
    for changes in watchfiles.watch(cards_dir, watch_filter=lambda _, path: is_card_file(Path(path)),
                                    debounce=200, step=50, stop_event=stop, raise_interrupt=False):
        yield {Path(path) for _, path in changes}
