"""The command line: parse options, make one call, print, map the outcome to an exit code."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import click

from deckgen import __version__

_cards_option = click.option(
    "--cards", "cards_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("cards"),
    show_default=True, help="Folder of YAML card files (searched recursively).",
)
_lock_option = click.option(
    "--lock", "lock_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Lock file recording when each card changed  [default: deckgen.lock beside the card folder]",
)

_config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Settings file  [default: deckgen.toml beside the card folder]",
)


def _out_option(what: str) -> Callable:
    """Add --out, the build folder, saying what goes there."""
    return click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
                        show_default=True, help=f"Folder {what}.")


def _output_options(command: Callable) -> Callable:
    """Add -q/--quiet and --format, for scripts and CI."""
    command = click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
                           show_default=True,
                           help="json: one JSON document on stdout with every problem and the summary; "
                                "github: problems as GitHub Actions annotations on stdout.")(command)
    return click.option("-q", "--quiet", is_flag=True, help="Print problems only, no summary.")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deckgen")
def main() -> None:
    """Compile YAML question/answer cards into Anki decks that keep your review history."""


def _emit(command: str, problems: Iterable, failed: bool, lines: Iterable[str], summary: dict[str, Any],
          fmt: str, quiet: bool) -> None:
    """Print a command's outcome as text or JSON and exit 1 when it failed."""
    from deckgen.output.report import format_count, format_github, format_json, format_problems

    if fmt == "json":
        click.echo(format_json(command, problems, failed, summary))
    elif fmt == "github":  # Actions reads workflow commands from stdout; the summary follows for the log
        problems = list(problems)
        for line in format_github(problems) + ([] if quiet else format_count(problems)):
            click.echo(line)
        if not (failed or quiet):
            for line in lines:
                click.echo(line)
    else:
        for line in format_problems(problems, quiet):
            click.echo(line, err=True)
        if not (failed or quiet):
            for line in lines:
                click.echo(line)
    if failed:
        click.get_current_context().exit(1)


def _finish(report, command: str, verb: str, fmt: str, quiet: bool) -> None:
    from deckgen.output.report import build_summary, format_summary

    _emit(command, report.problems, report.failed, format_summary(report, verb), build_summary(report), fmt, quiet)


@main.command()
@_cards_option
@_out_option("the .apkg packages are written to")
@_lock_option
@_output_options
def build(cards_dir: Path, out_dir: Path, lock_path: Path | None, quiet: bool, fmt: str) -> None:
    """Build one .apkg package per top-level deck."""
    from deckgen.commands.build import run_build
    from deckgen.output.progress import no_progress, terminal_progress

    bar = None if quiet or fmt == "json" else terminal_progress(sys.stdout, sys.stderr)
    try:
        report = run_build(cards_dir, out_dir, lock_path, progress=bar or no_progress)
    finally:
        if bar:
            bar.close()
    _finish(report, "build", "built", fmt, quiet)


@main.command()
@_cards_option
@_out_option("the packages would be written to (its build cache is read, never written)")
@_lock_option
@_output_options
def check(cards_dir: Path, out_dir: Path, lock_path: Path | None, quiet: bool, fmt: str) -> None:
    """Validate the card files; write nothing (exit 1 on errors)."""
    from deckgen.commands.build import run_check

    report = run_check(cards_dir, out_dir, lock_path)
    _finish(report, "check", "would write", fmt, quiet)


_editor_option = click.option(
    "--editor-url", default="", metavar="TEMPLATE",
    help="Link each card to your editor, e.g. 'vscode://file/{path}:{line}:{col}' (default: plain file links).",
)
_scripts_option = click.option(
    "--run-card-scripts", is_flag=True,
    help="Let scripts in card text run in the page, as Anki runs them (off: only the page's own script runs).",
)


@main.command()
@_cards_option
@_out_option("preview.html is written to")
@_lock_option
@_config_option
@_editor_option
@_scripts_option
@_output_options
def preview(cards_dir: Path, out_dir: Path, lock_path: Path | None, config_path: Path | None, editor_url: str,
            run_card_scripts: bool, quiet: bool, fmt: str) -> None:
    """Write build/preview.html: every card, front and back.

    Cards are drawn with the note types' own templates and CSS, as Anki shows them.
    """
    from deckgen.commands.preview import run_preview
    from deckgen.output.report import format_preview, preview_summary

    report = run_preview(cards_dir, out_dir, lock_path, config_path=config_path, editor_url=editor_url,
                         run_card_scripts=run_card_scripts)
    _emit("preview", report.problems, report.failed, format_preview(report), preview_summary(report), fmt, quiet)


@main.command()
@_cards_option
@_config_option
@click.option("--strict", is_flag=True, help="Exit 1 when there is any warning (for CI).")
@_output_options
def lint(cards_dir: Path, config_path: Path | None, strict: bool, quiet: bool, fmt: str) -> None:
    """Warn about hard-to-learn cards: duplicates, leaks, long answers.

    Each warning has a stable code; switch rules off per card (nolint) or in deckgen.toml.
    """
    from deckgen.commands.lint import run_lint
    from deckgen.output.report import format_lint, lint_summary

    report = run_lint(cards_dir, config_path, strict=strict)
    _emit("lint", report.problems, report.failed, format_lint(report), lint_summary(report), fmt, quiet)


@main.command()
@_cards_option
@_out_option("the packages would be written to")
@_lock_option
@_output_options
def stats(cards_dir: Path, out_dir: Path, lock_path: Path | None, quiet: bool, fmt: str) -> None:
    """Count cards per deck and tag, and what the next import does.

    Also lists the cards removed since the last build, with an Anki search that finds them.
    """
    from deckgen.commands.stats import run_stats
    from deckgen.output.report import format_stats, stats_summary

    report = run_stats(cards_dir, out_dir, lock_path)
    _emit("stats", report.problems, report.failed, format_stats(report), stats_summary(report), fmt, quiet)


@main.command()
def schema() -> None:
    """Print the JSON Schema of card files, for editors."""
    from importlib import resources

    click.echo(resources.files("deckgen").joinpath("schema.json").read_text(encoding="utf-8"), nl=False)


@main.command()
@click.argument("deck")
@_cards_option
@click.option("--path", "path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to create the file  [default: from the deck name, e.g. cards/topic/sub.yaml]")
def new(deck: str, cards_dir: Path, path: Path | None) -> None:
    """Create a card file for DECK (such as "Topic::Sub")."""
    from deckgen.commands.new import new_card_file
    from deckgen.project.paths import display_path

    created = new_card_file(cards_dir, deck, path)
    click.echo(f"created {display_path(created)}")


@main.command()
@_cards_option
@click.option("--dry-run", is_flag=True, help="Show the ids that would be added; change no file.")
@_output_options
def ids(cards_dir: Path, dry_run: bool, quiet: bool, fmt: str) -> None:
    """Add missing card ids, changing nothing else in the files."""
    from deckgen.commands.ids import run_ids
    from deckgen.output.report import format_ids, ids_summary

    report = run_ids(cards_dir, write=not dry_run)
    _emit("ids", report.problems, report.failed, format_ids(report, dry_run), ids_summary(report), fmt, quiet)


@main.command()
@_cards_option
@_out_option("the packages and preview.html are written to")
@_lock_option
@_config_option
@_editor_option
@_scripts_option
def watch(cards_dir: Path, out_dir: Path, lock_path: Path | None, config_path: Path | None, editor_url: str,
          run_card_scripts: bool) -> None:
    """Rebuild packages and preview on every card change (Ctrl-C stops)."""
    from deckgen.commands.watch import WatchSession, card_changes, watch_loop
    from deckgen.errors import DeckgenError
    from deckgen.project.paths import display_path

    if not cards_dir.is_dir():
        raise DeckgenError(f"card folder '{display_path(cards_dir)}' does not exist")
    session = WatchSession(cards_dir, out_dir, lambda line, err: click.echo(line, err=err),
                           lock_path, config_path, editor_url, run_card_scripts)
    watch_loop(session, card_changes(cards_dir))


@main.command("import")
@click.argument("package", type=click.Path(exists=True, path_type=Path))
@click.option("--into", "cards_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("cards"),
              show_default=True, help="Card folder to write the card files into.")
@click.option("--merge", is_flag=True,
              help="Add the package's notes beside existing card files (new files only; never overwrites).")
@_lock_option
@_output_options
def import_(package: Path, cards_dir: Path, merge: bool, lock_path: Path | None, quiet: bool, fmt: str) -> None:
    """Turn an Anki package (.apkg) into card files, history kept.

    Each note keeps its GUID and note type, so importing the built package back into the
    collection it came from changes nothing and keeps every card's review history.
    """
    from deckgen.commands.importing import run_import
    from deckgen.output.report import format_import, import_summary

    report = run_import(package, cards_dir, merge=merge, lock_path=lock_path)
    _emit("import", report.problems, report.failed, format_import(report, package.name), import_summary(report),
          fmt, quiet)


def _collection_options(command: Callable) -> Callable:
    """Add the options choosing the collection sync and pull work on."""
    command = click.option(
        "--ankiconnect", "ankiconnect", is_flag=False, flag_value="", default=None, metavar="[URL]",
        help="Work through a running Anki's AnkiConnect add-on  [URL default: http://127.0.0.1:8765]")(command)
    command = click.option("--base", "base", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="Anki's base folder  [default: $ANKI_BASE, else the platform's]")(command)
    command = click.option("--profile", "profile", default=None, metavar="NAME",
                           help="Anki profile whose collection to use  [default: the only one]")(command)
    return click.option("--collection", "collection", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help="The collection file (collection.anki2) to use.")(command)


def _print_report(lines: list[str], problems: list[str], document: str, failed: bool, fmt: str, quiet: bool) -> None:
    """Print a sync or pull: the plan whatever happened, problems on stderr; exit 1 when it failed."""
    if fmt == "json":
        click.echo(document)
    else:
        for line in problems:
            click.echo(line, err=True)
        if not quiet:
            for line in lines:
                click.echo(line)
    if failed:
        click.get_current_context().exit(1)


@contextmanager
def _json_failure(command: str, fmt: str) -> Iterator[None]:
    """With --format json, report a command that could not start as a JSON document (exit 1), not as text."""
    from deckgen.errors import DeckgenError

    try:
        yield
    except DeckgenError as exc:
        if fmt != "json":
            raise
        from deckgen.output.sync_report import format_failure_json

        click.echo(format_failure_json(command, exc.message))
        click.get_current_context().exit(1)


_text_or_json = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                             help="json: one JSON document on stdout.")
_quiet = click.option("-q", "--quiet", is_flag=True, help="Print problems only, no plan.")


@main.command()
@_cards_option
@_out_option("the packages and the sync state are written to")
@_lock_option
@_collection_options
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing anywhere.")
@click.option("--removed", type=click.Choice(["suspend", "delete", "keep"]), default="suspend", show_default=True,
              help="What to do with notes whose cards left the sources.")
@click.option("--force", is_flag=True, help="Overwrite notes edited both in Anki and in the card files.")
@_quiet
@_text_or_json
def sync(cards_dir: Path, out_dir: Path, lock_path: Path | None, collection: Path | None, profile: str | None,
         base: Path | None, ankiconnect: str | None, dry_run: bool, removed: str, force: bool, quiet: bool,
         fmt: str) -> None:
    """Build, then bring the Anki collection in step with the cards.

    Prints the plan per deck first. Edits made inside Anki are never overwritten silently.
    """
    from deckgen.commands.sync import run_sync
    from deckgen.output.sync_report import format_sync, format_sync_json, sync_problems
    from deckgen.sync.target import resolve_target

    with _json_failure("sync", fmt):
        target = resolve_target(collection, profile, base, ankiconnect)
        report = run_sync(cards_dir, out_dir, lock_path, target, dry_run=dry_run, removed=removed,  # type: ignore[arg-type]
                          force=force)
    _print_report(format_sync(report), sync_problems(report, quiet), format_sync_json(report) if fmt == "json" else "",
                  report.failed, fmt, quiet)


@main.command()
@_cards_option
@_out_option("the sync state is kept in")
@_lock_option
@_collection_options
@click.option("--dry-run", is_flag=True, help="Print each edit (file:line: old -> new); write nothing.")
@_quiet
@_text_or_json
def pull(cards_dir: Path, out_dir: Path, lock_path: Path | None, collection: Path | None, profile: str | None,
         base: Path | None, ankiconnect: str | None, dry_run: bool, quiet: bool, fmt: str) -> None:
    """Write edits made inside Anki back into the card files, every other byte kept."""
    from deckgen.commands.pull import run_pull
    from deckgen.output.sync_report import format_pull, format_pull_json, sync_problems
    from deckgen.sync.target import resolve_target

    with _json_failure("pull", fmt):
        target = resolve_target(collection, profile, base, ankiconnect)
        report = run_pull(cards_dir, out_dir, lock_path, target, dry_run=dry_run)
    _print_report(format_pull(report), sync_problems(report, quiet), format_pull_json(report) if fmt == "json" else "",
                  report.failed, fmt, quiet)
