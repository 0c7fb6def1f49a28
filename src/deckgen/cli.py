"""The command line: parse options, make one call, print, map the outcome to an exit code."""

from __future__ import annotations

from pathlib import Path

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deckgen")
def main() -> None:
    """Compile YAML question/answer cards into Anki decks that keep your review history."""


def _finish(report, verb: str) -> None:
    from deckgen.report import format_problems, format_summary

    for line in format_problems(report.problems):
        click.echo(line, err=True)
    if report.failed:
        click.get_current_context().exit(1)
    for line in format_summary(report, verb):
        click.echo(line)


@main.command()
@_cards_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help="Folder the .apkg packages are written to.")
@_lock_option
def build(cards_dir: Path, out_dir: Path, lock_path: Path | None) -> None:
    """Build one .apkg package per top-level deck."""
    from deckgen.build import run_build

    try:
        report = run_build(cards_dir, out_dir, lock_path)
    except OSError as exc:
        raise click.ClickException(f"cannot write output: {exc}") from exc
    _finish(report, "built")


@main.command()
@_cards_option
@_lock_option
def check(cards_dir: Path, lock_path: Path | None) -> None:
    """Validate the card files without writing anything (exit 1 on errors)."""
    from deckgen.build import run_build

    report = run_build(cards_dir, Path("build"), lock_path, write=False)
    _finish(report, "would write")


@main.command("import")
@click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--into", "cards_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("cards"),
              show_default=True, help="Card folder to write the card files into.")
@click.option("--merge", is_flag=True,
              help="Add the package's notes beside existing card files (new files only; never overwrites).")
@_lock_option
def import_(package: Path, cards_dir: Path, merge: bool, lock_path: Path | None) -> None:
    """Turn an Anki package (.apkg) into card files, keeping each note's identity and history."""
    from deckgen.importing import run_import
    from deckgen.report import format_import

    report = run_import(package, cards_dir, merge=merge, lock_path=lock_path)
    for line, to_stderr in format_import(report, package.name):
        click.echo(line, err=to_stderr)
    if report.failed:
        click.get_current_context().exit(1)
