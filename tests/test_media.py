"""Media in packages: content-hash names, the zip's media map, links leaving the project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from deckgen.compiler import markdown
from deckgen.commands.build import run_build
from deckgen.names import media_name

from rich_project import png, write_rich


def test_media_are_zipped_with_a_numbered_map_in_a_fixed_order(project) -> None:
    write_rich(project)
    assert project.run("build").exit_code == 0
    with zipfile.ZipFile(project.package("rich.apkg")) as archive:
        infos = archive.infolist()
        mapping = json.loads(archive.read("media"))
        assert [i.filename for i in infos] == ["collection.anki2", "media", "0", "1", "2"]
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
        assert list(mapping) == ["0", "1", "2"] and list(mapping.values()) == sorted(mapping.values())
        for number, name in mapping.items():
            assert media_name(archive.read(number), Path(name).suffix) == name


def test_a_package_bundles_only_its_own_media(project) -> None:
    write_rich(project)
    project.write("solo.yaml", "deck: Solo\ncards:\n  - id: s\n    q: '![x](img/diagram.png)'\n    a: A\n")
    assert project.run("build").exit_code == 0
    with zipfile.ZipFile(project.package("solo.apkg")) as archive:
        assert list(json.loads(archive.read("media")).values()) == [
            media_name((project.cards / "img/diagram.png").read_bytes(), ".png")]


def _build_in_subprocess(project, seed: str) -> bytes:
    code = "import sys; from pathlib import Path; from deckgen.commands.build import run_build; " \
           "run_build(Path('cards'), Path('build'), now=1_700_000_000)"
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code], cwd=project.root, env=env, check=True)
    data = project.package("rich.apkg").read_bytes()
    project.package("rich.apkg").unlink()
    project.lock.unlink()
    return data


def test_rendering_is_deterministic_across_processes(project) -> None:
    write_rich(project)
    assert _build_in_subprocess(project, "1") == _build_in_subprocess(project, "2")


def test_a_rendering_change_only_changes_notes_whose_html_changed(project, monkeypatch) -> None:
    write_rich(project)
    assert project.run("build").exit_code == 0
    from deckgen.compiler import text as render

    # Restyle inline code only: the two notes with `code` change, the other three do not.
    monkeypatch.setattr(markdown._CardRenderer, "code_inline",
                        lambda self, tokens, idx, options, env: f"<code class='x'>{tokens[idx].content}</code>")
    # As a new deckgen version would: its code fingerprint differs, so the build cache is stale.
    from deckgen.project import cache
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "restyled deckgen")
    render._rich_html.cache_clear()
    markdown.parser.cache_clear()
    try:
        result = project.run("build")
    finally:
        render._rich_html.cache_clear()
        markdown.parser.cache_clear()
    assert "0 new, 2 changed, 3 unchanged" in result.output


def test_a_symlink_out_of_the_project_is_refused(project, tmp_path: Path) -> None:
    outside = tmp_path / "outside.png"
    outside.write_bytes(png(1, 1, (0, 0, 0)))
    (project.cards / "escape.png").symlink_to(outside)
    (project.cards / "inside.png").symlink_to(project.cards / "real.png")
    (project.cards / "real.png").write_bytes(png(2, 2, (9, 9, 9)))
    project.write("deck.yaml", """\
        deck: Demo
        cards:
          - id: a
            q: "![link](escape.png)"
            a: "![link inside](inside.png)"
    """)
    result = project.run("build")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "cards/deck.yaml:4:8: error: image 'escape.png' is a link to a file outside the project folder (media-outside)",
        "1 error, 0 warnings",
    ]
    assert not project.build_dir.exists()


def test_media_resolve_against_the_card_file_from_any_working_directory(project, tmp_path: Path) -> None:
    write_rich(project)
    report = run_build(project.cards, project.build_dir, now=1_700_000_000)  # run from the test's own cwd
    assert not report.failed, report.problems
    with zipfile.ZipFile(project.package("rich.apkg")) as archive:
        assert len(json.loads(archive.read("media"))) == 3
