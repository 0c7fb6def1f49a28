"""README's "Sync with Anki" session, replayed: its plan and pull lines are what the commands print."""

from __future__ import annotations

import re
from pathlib import Path

from sync_helpers import edit_in_anki, empty_collection

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
VENDORS = """\
    deck: Deep Learning Frameworks
    cards:
      - id: mindspore
        q: Which company built MindSpore?
        a: Huawei
      - id: tensorrt
        q: Which company built TensorRT?
        a: NVIDIA
      - id: tfrt
        q: Who open-sourced TFRT?
        a: Google
"""


def _session() -> str:
    section = README[README.index("## Sync with Anki"):]
    return section[section.index("An example session:"):section.index("What sync does with each note:")]


def test_the_readme_session_prints_what_the_commands_print(project, tmp_path) -> None:
    col = empty_collection(tmp_path / "anki" / "User 1")
    project.write("vendors.yaml", VENDORS)
    outputs = [project.run("sync", "--collection", str(col), "--dry-run"),
               project.run("sync", "--collection", str(col))]
    edit_in_anki(col, "MindSpore", 1, "Huawei (<b>华为</b>)")
    project.write("vendors.yaml", VENDORS.replace("a: Huawei", "a: Huawei Technologies")
                  .replace("a: NVIDIA", "a: NVIDIA Corporation").split("      - id: tfrt")[0])
    outputs += [project.run("sync", "--collection", str(col)), project.run("pull", "--collection", str(col), "--dry-run"),
                project.run("pull", "--collection", str(col)), project.run("sync", "--collection", str(col))]
    assert [r.exit_code for r in outputs] == [0, 0, 1, 0, 0, 0]
    printed = [line for r in outputs for line in r.output.splitlines()
               if re.match(r"  Deep|cards/vendors.yaml:|would write|wrote|1 conflict", line)]
    shown = [line for line in _session().splitlines()
             if re.match(r"  Deep|cards/vendors.yaml:|would write|wrote|1 conflict", line)]
    assert printed == shown
