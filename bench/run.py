"""Benchmark deckgen against the floor script and a bare genanki script on generated projects.

Usage: python bench/run.py [--sizes 1000,10000,100000] [--repeat 3] [--content plain,markdown]
                           [--workdir DIR] [--json FILE]

For each size and content ("plain": text only; "markdown": a fifth of the answers Markdown, with
fenced code, math, lists and emphasis) it generates a project (basic, reverse and cloze cards; tags,
sources, some Chinese text) and, in each repetition, runs every scenario of SCENARIOS once, each in a
fresh subprocess: the floor script (bench/floor.py), deckgen's full build, the bare genanki script
(bench/bare.py), a no-op build, stats, check and preview on the unchanged project, a one-card edit,
lint, import of the largest package, and check without the build cache. Every scenario runs next to
its baseline in the same repetition, and its ratio is the median of the per-repetition ratios
(paired), so drift in a shared machine's speed hits both sides alike.

Also `deckgen --help` against `python -c "import click"`. It prints Markdown tables of medians,
peak memory (the largest resident set of each command's processes) and paired ratios, whether the packages
stayed byte-reproducible and deflated, and a PASS/MISS line per target of the speed issue.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BARE = REPO / "bench" / "bare.py"
FLOOR = REPO / "bench" / "floor.py"
CARDS_PER_FILE = 200
TOP_DECKS = ("Medicine", "Chinese", "Computing")
# Share of (basic, reverse, cloze) cards per top-level deck.
KIND_WEIGHTS = {"Medicine": (70, 10, 20), "Chinese": (30, 60, 10), "Computing": (40, 10, 50)}
WORDS = (
    "heart valve artery pressure kidney filtration enzyme protein receptor neuron signal dose "
    "compiler kernel tensor graph runtime memory cache thread scheduler register vector layout "
    "the of which what is does how many first largest main cause effect during after before"
).split()
CJK_WORDS = "心脏 血压 学习 中国 电脑 你好 谢谢 医生 医院 朋友 老师 学生 图书馆 火车站 天气 历史 语言 数学".split()
EDIT_MARKER = "bench-edit-target"


# ---------------------------------------------------------------------------------------------
# Generating projects


def _sentence(rng: random.Random, low: int, high: int, cjk: bool = False) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    if cjk:
        words[rng.randrange(len(words))] = "".join(rng.choice(CJK_WORDS) for _ in range(rng.randint(1, 3)))
    return " ".join(words).capitalize()


def _quoted(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(text, ensure_ascii=False)


# Markdown answers, by share of basic and reverse cards in the "markdown" content (about a fifth in
# all: fenced code ~6%, math ~5%, lists ~5%, emphasis and inline code ~4%).
CODE_SAMPLES = (
    ("python", ["def area(radius):", "    return 3.14159 * radius ** 2", "", "print(area(2))"]),
    ("javascript", ["const total = items.reduce((sum, x) => sum + x.price, 0);", "console.log(total);"]),
    ("bash", ["for f in *.txt; do", '  wc -l "$f"', "done"]),
    ("c", ["int square(int x) {", "    return x * x;", "}"]),
)
MATH_SAMPLES = ("$E = mc^2$", "$\\frac{a}{b} + \\sqrt{x}$", "$$\\int_0^1 x^2 \\, dx = \\frac{1}{3}$$",
                "\\(p = \\frac{n}{V} RT\\)", "$\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$")


def _markdown_answer(rng: random.Random, cjk: bool) -> list[str] | None:
    """An answer in Markdown as card lines, or None for a plain one (four answers in five)."""
    roll = rng.random()
    if roll < 0.06:
        language, code = rng.choice(CODE_SAMPLES)
        body = [_sentence(rng, 2, 6, cjk) + ":", "", f"```{language}", *code, "```"]
        return ["    a: |"] + [f"      {line}" if line else "" for line in body]
    if roll < 0.11:
        return [f"    a: {_quoted(_sentence(rng, 2, 6, cjk) + ' ' + rng.choice(MATH_SAMPLES))}"]
    if roll < 0.16:
        return ["    a: |"] + [f"      - {_sentence(rng, 1, 5, cjk)}" for _ in range(rng.randint(2, 4))]
    if roll < 0.20:
        words = _sentence(rng, 3, 9, cjk).split(" ")
        index = rng.randrange(len(words))
        words[index] = rng.choice(("*{}*", "**{}**", "`{}`", "_{}_")).format(words[index])
        return [f"    a: {_quoted(' '.join(words))}"]
    return None


def _card_lines(rng: random.Random, top: str, card_id: str, first: bool, content: str = "plain") -> list[str]:
    cjk = top == "Chinese" or rng.random() < 0.05
    basic, reverse, _ = KIND_WEIGHTS[top]
    roll = 0 if first else rng.randrange(100)
    lines = [f"  - id: {card_id}"]
    if roll < basic + reverse:
        lines.append(f"    q: {_quoted(_sentence(rng, 5, 14, cjk) + '?')}")
        markdown = None if first or content != "markdown" else _markdown_answer(rng, cjk)
        if first:
            lines.append(f"    a: {_quoted(EDIT_MARKER)}")
        elif markdown is not None:
            lines += markdown
        elif rng.random() < 0.1:  # a multi-line answer as a block scalar
            lines += ["    a: |"] + [f"      {_sentence(rng, 3, 9, cjk)}" for _ in range(rng.randint(2, 4))]
        else:
            lines.append(f"    a: {_quoted(_sentence(rng, 1, 8, cjk))}")
        if roll >= basic:
            lines.append("    reverse: true")
    else:
        words = _sentence(rng, 8, 16, cjk).split(" ")
        for number, index in enumerate(sorted(rng.sample(range(len(words)), rng.randint(1, 3))), start=1):
            hint = "::hint" if rng.random() < 0.2 else ""
            words[index] = f"{{{{c{number}::{words[index]}{hint}}}}}"
        lines.append(f"    cloze: {_quoted(' '.join(words))}")
    if rng.random() < 0.2:
        lines.append(f"    extra: {_quoted(_sentence(rng, 4, 12, cjk))}")
    if rng.random() < 0.3:
        lines.append(f"    tags: [{rng.choice(('hard', 'exam', 'review::weak', 'review::later'))}]")
    if rng.random() < 0.1:
        lines.append(f"    source: {_quoted('Lecture ' + str(rng.randint(1, 40)))}")
    return lines


def generate_project(root: Path, size: int, seed: int = 42, content: str = "plain") -> None:
    """Write `size` cards into `root/cards/` across files of CARDS_PER_FILE cards ("plain" or "markdown")."""
    rng = random.Random(seed)
    cards = root / "cards"
    shutil.rmtree(root, ignore_errors=True)
    cards.mkdir(parents=True)
    files = max(1, size // CARDS_PER_FILE)
    for number in range(files):
        top = TOP_DECKS[number % len(TOP_DECKS)]
        count = CARDS_PER_FILE if number < files - 1 else size - CARDS_PER_FILE * (files - 1)
        slug = top.lower()[:3]
        lines = [
            f"deck: {top}::Topic {number // len(TOP_DECKS):03d}",
            f"tags: [{top.lower()}, {top.lower()}::topic-{number:03d}]",
            f"source: {_quoted(f'Generated benchmark notes, part {number}')}",
            "cards:",
        ]
        for index in range(count):
            lines += _card_lines(rng, top, f"{slug}-{number:03d}-{index:04d}", index == 0, content)
        folder = cards / top.lower()
        folder.mkdir(exist_ok=True)
        (folder / f"part-{number:03d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def edit_one_card(root: Path, value: str) -> None:
    """Change the answer of the first card of the first file to `value`."""
    path = root / "cards" / TOP_DECKS[0].lower() / "part-000.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith("    a: "))
    lines[index] = f"    a: {_quoted(value)}"
    path.write_text("\n".join(lines), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Running and measuring


@dataclass
class Runs:
    """The wall times and CPU times (seconds) and peak memory (MB) of one scenario's repetitions."""

    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def peak(self) -> float:
        return max(self.peak_mb)

    def ratio(self, baseline: "Runs") -> float:
        """The median of this scenario's time over its baseline's, repetition by repetition (paired)."""
        return statistics.median(a / b for a, b in zip(self.seconds, baseline.seconds))

    def cpu_ratio(self, baseline: "Runs") -> float:
        """The same pairing with CPU time (user + system), which other work on the machine moves less."""
        return statistics.median(a / b for a, b in zip(self.cpu, baseline.cpu))


def run_once(cmd: list[str], cwd: Path, expect: str | None = None, code: int = 0) -> tuple[float, float, float, str]:
    """Run a command in a fresh process; return its wall time, CPU time, peak RSS and output."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    # Measure deckgen as installed, with its bytecode cached (pip compiles it at install time).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        # wait4 reports the largest peak RSS of this child and of the processes it waited for (deckgen's
        # forked workers), not of every child this script ran (as getrusage(RUSAGE_CHILDREN) would).
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    if proc.returncode != code or (expect is not None and expect not in text):
        sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{text}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text


def measure(runs: Runs, cmd: list[str], cwd: Path, prepare=None, expect: str | None = None, code: int = 0) -> Runs:
    """Time one run of `cmd` after `prepare()` and add it to `runs`."""
    if prepare is not None:
        prepare()
    seconds, cpu, peak, _ = run_once(cmd, cwd, expect, code)
    runs.seconds.append(seconds)
    runs.cpu.append(cpu)
    runs.peak_mb.append(peak)
    return runs


def _remove(*paths: Path) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _package_digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.glob("*.apkg"))}


def _all_deflated(out: Path) -> bool:
    for path in out.glob("*.apkg"):
        with zipfile.ZipFile(path) as archive:
            if any(info.compress_type != zipfile.ZIP_DEFLATED for info in archive.infolist()):
                return False
    return True


def _snapshot(*paths: Path) -> dict[str, bytes]:
    files = [p for path in paths for p in ([path] if path.is_file() else sorted(path.rglob("*")))]
    return {str(p): p.read_bytes() for p in files if p.is_file()}


def bad_card_is_refused(root: Path, runs: Runs) -> bool:
    """Add a card with a misspelt key to the last file: the build must locate it and write nothing."""
    path = sorted((root / "cards").rglob("*.yaml"))[-1]
    text = path.read_text(encoding="utf-8")
    line = text.count("\n") + 4
    before = _snapshot(root / "build", root / "deckgen.lock")
    path.write_text(text + "  - id: broken-card\n    q: Broken?\n    a: Yes\n    revers: true\n", encoding="utf-8")
    shown = path.relative_to(root).as_posix()
    try:
        measure(runs, [sys.executable, "-m", "deckgen", "build"], root,
                expect=f"{shown}:{line}:5: error: unknown key 'revers'", code=1)
        return _snapshot(root / "build", root / "deckgen.lock") == before
    finally:
        path.write_text(text, encoding="utf-8")


# A bench-only probe of `deckgen preview`'s load part: loading the project and compiling what the
# page is drawn from, as `run_preview` does (cards from the build cache and the preview-only
# compile when the cache vouches for them, else a build's compile). The lint run preview also
# makes is timed by the lint row.
PREVIEW_LOAD = """
from pathlib import Path
from deckgen.commands.preview import preview_compile
from deckgen.project.paths import ProjectPaths
project, compiled, _ = preview_compile(ProjectPaths.of(Path("cards"), Path("build")))
print("loaded", len(compiled.notes) if compiled else "?", "notes", "(preview compile)" if compiled else "(build compile)")
"""
# Scenarios, in the order each repetition runs them, with the baseline each is paired with.
SCENARIOS = (
    # name, label, baseline, ratio wording
    ("floor", "floor script (CSafeLoader, executemany, deflate 1)", None, ""),
    ("build", "deckgen build (scratch)", "floor", "floor"),
    ("bare", "bare genanki + CSafeLoader", "build", "build"),
    ("noop", "deckgen build (no-op)", "build", "build"),
    ("stats", "deckgen stats (cached)", "noop", "no-op"),
    ("check", "deckgen check (cached)", "noop", "no-op"),
    ("preview_load", "preview's load part (cached)", "noop", "no-op"),
    ("preview", "deckgen preview (cached)", "build", "build"),
    ("blank_page", "headless Chromium, blank page", None, ""),
    ("preview_open", "headless Chromium, preview page", "blank_page", "blank page"),
    ("edit", "deckgen build (1 edit)", "build", "build"),
    ("lint", "deckgen lint", "build", "build"),
    ("import", "deckgen import (largest package)", "build", "build"),
    ("check_cold", "deckgen check (cold)", "build", "build"),
)


def _screenshot(browser: str, page: Path, root: Path) -> list[str]:
    """Headless Chromium loading a page and painting its first screen (it exits once painted)."""
    return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
            "--disable-background-networking", "--disable-component-update", f"--user-data-dir={root / 'chromium'}",
            "--window-size=1200,900", f"--screenshot={root / 'screen.png'}", page.resolve().as_uri()]


def bench_size(root: Path, size: int, repeat: int, content: str = "plain", preview_up_to: int = 100_000) -> dict:
    """Generate one project and time every scenario on it, each repetition running all of them in turn.

    Each scenario runs next to its baseline in every repetition, so its ratio is taken pair by pair.
    Above `preview_up_to` cards the two preview scenarios are left out, to keep the run short.
    """
    generate_project(root, size, content=content)
    deckgen = [sys.executable, "-m", "deckgen"]
    build_dir, lock = root / "build", root / "deckgen.lock"
    runs = {name: Runs() for name, *_ in SCENARIOS}
    browser = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    digests: dict[str, str] = {}
    largest = ""

    def imported() -> None:
        _remove(root / "imported")
        (root / "imported").mkdir()

    for rep in range(repeat):
        measure(runs["floor"], [sys.executable, str(FLOOR), "cards", "floor-out"], root, lambda: _remove(root / "floor-out"))
        measure(runs["build"], deckgen + ["build"], root, lambda: _remove(build_dir, lock), expect=" new, 0 changed")
        measure(runs["bare"], [sys.executable, str(BARE), "cards", "bare-out"], root, lambda: _remove(root / "bare-out"))
        measure(runs["noop"], deckgen + ["build"], root, expect=" 0 new, 0 changed")
        measure(runs["stats"], deckgen + ["stats"], root)
        measure(runs["check"], deckgen + ["check"], root, expect="would write")
        if size <= preview_up_to:
            measure(runs["preview_load"], [sys.executable, "-c", PREVIEW_LOAD], root, expect="loaded")
            measure(runs["preview"], deckgen + ["preview", "-q"], root)
            if browser:
                (root / "blank.html").write_text("<!DOCTYPE html><title>blank</title>", encoding="utf-8")
                measure(runs["blank_page"], _screenshot(browser, root / "blank.html", root), root)
                measure(runs["preview_open"], _screenshot(browser, build_dir / "preview.html", root), root)
        measure(runs["edit"], deckgen + ["build"], root, lambda: edit_one_card(root, f"edited answer {rep}"), expect="1 changed")
        digests = _package_digests(build_dir)
        measure(runs["lint"], deckgen + ["lint", "-q"], root)
        largest = max(build_dir.glob("*.apkg"), key=lambda p: p.stat().st_size).name
        measure(runs["import"], deckgen + ["import", str(build_dir / largest), "-q"], root / "imported", imported)
        measure(runs["check_cold"], deckgen + ["check"], root, lambda: _remove(build_dir), expect="would write")
    # Same cards and lock file, empty build folder: the packages must come out byte-identical.
    run_once(deckgen + ["build"], root)
    reproducible = _package_digests(build_dir) == digests
    bad = Runs()
    refused = bad_card_is_refused(root, bad)
    packages = sorted(build_dir.glob("*.apkg"))
    return {
        "size": size,
        "content": content,
        "files": len(list((root / "cards").rglob("*.yaml"))),
        **runs,
        "bad": bad,
        "refused": refused,
        "reproducible": reproducible,
        "deflated": _all_deflated(build_dir),
        "imported_package": largest,
        "package_mb": sum(p.stat().st_size for p in packages) / 1e6,
        "floor_package_mb": sum(p.stat().st_size for p in (root / "floor-out").glob("*.apkg")) / 1e6,
    }


def bench_startup(root: Path, repeat: int) -> dict:
    """Time `deckgen --help` against importing click alone, and an empty Python for the floor."""
    root.mkdir(parents=True, exist_ok=True)
    python, click, helps = Runs(), Runs(), Runs()
    for _ in range(repeat):
        measure(python, [sys.executable, "-c", "pass"], root)
        measure(click, [sys.executable, "-c", "import click"], root)
        measure(helps, [sys.executable, "-m", "deckgen", "--help"], root, expect="Usage:")
    return {"python": python, "click": click, "help": helps}


# ---------------------------------------------------------------------------------------------
# Reporting


def machine() -> str:
    """Describe the machine: CPU model, cores, Python."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), Python {platform.python_version()}"


def print_size(result: dict) -> None:
    """Print one project's figures as a Markdown table (ready for BENCHMARKS.md)."""
    print(f"\n**{result['size']:,} cards, {result['content']} content** in {result['files']} files "
          f"(packages {result['package_mb']:.1f} MB; the floor script's {result['floor_package_mb']:.1f} MB)\n")
    print("| scenario | median s | cpu s | peak MB | paired ratio | paired cpu ratio |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    for name, label, baseline, wording in SCENARIOS:
        runs = result[name]
        if not runs.seconds:
            print(f"| {label} | not run | | | | |")
            continue
        ratio = f"{runs.ratio(result[baseline]):.2f}x {wording}" if baseline else ""
        cpu = f"{runs.cpu_ratio(result[baseline]):.2f}x" if baseline else ""
        print(f"| {label} | {runs.median:.3f} | {runs.cpu_median:.3f} | {runs.peak:.1f} | {ratio} | {cpu} |")
    bad = result["bad"]
    print(f"| build, 1 bad card (once) | {bad.median:.3f} | {bad.cpu_median:.3f} | {bad.peak:.1f} | | |")
    print(f"\nreproducible: {'yes' if result['reproducible'] else 'NO'}, "
          f"deflated: {'yes' if result['deflated'] else 'NO'}, "
          f"bad card located and nothing written: {'yes' if result['refused'] else 'NO'}")


Check = tuple[str, str, "bool | None"]  # target, figure, met (None: not measured in this run)


def _content_targets(content: str, results: dict[int, dict]) -> list[Check]:
    checks: list[Check] = []
    for size in (10_000, 100_000):
        r = results.get(size)
        if r is None:
            checks.append((f"[{content}] build at {size:,} <= 1.0x floor", "not measured", None))
            continue
        ratio = r["build"].ratio(r["floor"])
        checks.append((f"[{content}] build at {size:,} <= 1.0x floor", f"{ratio:.2f}x", ratio <= 1.0))
        noop = r["noop"].ratio(r["build"])
        checks.append((f"[{content}] no-op at {size:,} <= 0.1x build", f"{noop:.3f}x", noop <= 0.1))
        lint = r["lint"].ratio(r["build"])
        checks.append((f"[{content}] lint at {size:,} <= 1.0x build", f"{lint:.2f}x", lint <= 1.0))
    r = results.get(10_000)
    if r is not None:
        edit = r["edit"].ratio(r["build"])
        checks.append((f"[{content}] 1-card edit at 10,000 <= 0.2x build", f"{edit:.2f}x", edit <= 0.2))
        for name, label in (("stats", "stats"), ("check", "check (cached)"), ("preview_load", "preview's load part")):
            if not r[name].seconds:
                checks.append((f"[{content}] {label} at 10,000 <= 2x no-op", "not run", None))
                continue
            ratio = r[name].ratio(r["noop"])
            checks.append((f"[{content}] {label} at 10,000 <= 2x no-op", f"{ratio:.2f}x", ratio <= 2.0))
    for size, r in sorted(results.items()):
        if r["preview_open"].seconds:
            extra = r["preview_open"].median - r["blank_page"].median
            checks.append((f"[{content}] preview page at {size:,} painted in Chromium within 3 s (beyond a blank page)",
                           f"{extra:.2f} s", extra <= 3.0))
    r = results.get(100_000)
    if r is not None:
        build_peak = r["build"].peak
        checks.append((f"[{content}] build peak memory at 100,000 <= 200 MB", f"{build_peak:.0f} MB", build_peak <= 200))
        worst = max((name for name, *_ in SCENARIOS
                     if name not in ("floor", "bare", "blank_page", "preview_open") and r[name].seconds),
                    key=lambda n: r[n].peak)
        checks.append((f"[{content}] every command's peak memory at 100,000 <= 300 MB",
                       f"{r[worst].peak:.0f} MB ({worst}{'' if r['preview'].seconds else '; preview not run'})",
                       r[worst].peak <= 300))
    if 10_000 in results and 100_000 in results:
        growth = results[100_000]["import"].median / results[10_000]["import"].median
        checks.append((f"[{content}] import grows linearly 10k -> 100k (<= 11x)", f"{growth:.1f}x", growth <= 11))
    if 100_000 in results and 300_000 in results:
        growth = results[300_000]["build"].peak / results[100_000]["build"].peak
        checks.append((f"[{content}] build memory 100k -> 300k no worse than linear (<= 3x)", f"{growth:.1f}x",
                       growth <= 3))
    for size, r in sorted(results.items()):
        ok = r["reproducible"] and r["deflated"] and r["refused"]
        checks.append((f"[{content}] reproducible, deflated, bad input refused at {size:,}", "yes" if ok else "no", ok))
    return checks


def targets(results: dict[tuple[str, int], dict], startup: dict) -> list[Check]:
    """Evaluate each target of the issue that the measured sizes allow, for each content."""
    checks: list[Check] = []
    for content in sorted({c for c, _ in results}, key=("plain", "markdown").index):
        checks += _content_targets(content, {size: r for (c, size), r in results.items() if c == content})
    help_ratio = startup["help"].ratio(startup["click"])
    checks.append(("deckgen --help <= 2x import click", f"{help_ratio:.2f}x", help_ratio <= 2))
    return checks


def _as_json(results: dict[tuple[str, int], dict], startup: dict) -> dict:
    def plain(value):
        if isinstance(value, Runs):
            if not value.seconds:
                return None  # not run at this size
            return {"median_s": value.median, "cpu_median_s": value.cpu_median, "peak_mb": value.peak,
                    "seconds": value.seconds, "peak_mb_each": value.peak_mb}
        return value

    return {
        "machine": machine(),
        "results": {f"{content}-{size}": {k: plain(v) for k, v in r.items()} for (content, size), r in results.items()},
        "startup": {k: plain(v) for k, v in startup.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated card counts")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per scenario (medians are reported)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to generate projects (default: a temp dir)")
    parser.add_argument("--content", default="plain,markdown", help="plain, markdown or both (comma-separated)")
    parser.add_argument("--preview-up-to", type=int, default=100_000,
                        help="time preview only on projects of at most this many cards (default 100000)")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw figures as JSON here")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "").replace("k", "000")) for s in args.sizes.split(",") if s]
    contents = [c for c in args.content.split(",") if c]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="deckgen-bench-"))

    print(f"machine: {machine()}")
    print(f"repetitions: {args.repeat}, medians reported; work folder: {workdir}")
    startup = bench_startup(workdir / "startup", max(args.repeat, 10))
    print(f"\nstart-up: deckgen --help {startup['help'].median * 1000:.0f} ms, "
          f"python -c 'import click' {startup['click'].median * 1000:.0f} ms, "
          f"python -c pass {startup['python'].median * 1000:.0f} ms")
    results: dict[tuple[str, int], dict] = {}
    for size in sizes:
        for content in contents:
            results[content, size] = bench_size(workdir / f"{content}{size}", size, args.repeat, content,
                                                args.preview_up_to)
            print_size(results[content, size])

    print("\ntargets:\n\n| target | figure | |\n| --- | --- | --- |")
    checks = targets(results, startup)
    for name, value, ok in checks:
        print(f"| {name} | {value} | {'PASS' if ok else 'not measured' if ok is None else 'MISS'} |")
    if args.json:
        args.json.write_text(json.dumps(_as_json(results, startup), indent=2) + "\n", encoding="utf-8")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(ok is not False for _, _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
