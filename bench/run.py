"""Benchmark deckgen against a bare PyYAML + genanki script on generated projects.

Usage: python bench/run.py [--sizes 1000,10000,100000] [--repeat 5] [--workdir DIR] [--json FILE]

For each size it generates a project (several card files; basic, reverse and cloze cards; tags,
sources, some Chinese text), then times, each run in a fresh subprocess:

- bare:      bench/bare.py (CSafeLoader + genanki, one package per top-level deck)
- build:     `deckgen build` from scratch (no build/ folder, no lock file)
- no-op:     `deckgen build` again with nothing changed
- edit:      `deckgen build` after changing one card's answer
- check:     `deckgen check` with no build cache (as on a fresh clone or in CI)

and once: `deckgen --help` against `python -c "import click"`. It prints medians, peak memory
(the child's maximum resident set size), the ratios the targets are stated in, and whether the
packages stayed byte-reproducible and deflated at that size.
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


def _card_lines(rng: random.Random, top: str, card_id: str, first: bool) -> list[str]:
    cjk = top == "Chinese" or rng.random() < 0.05
    basic, reverse, _ = KIND_WEIGHTS[top]
    roll = 0 if first else rng.randrange(100)
    lines = [f"  - id: {card_id}"]
    if roll < basic + reverse:
        lines.append(f"    q: {_quoted(_sentence(rng, 5, 14, cjk) + '?')}")
        if first:
            lines.append(f"    a: {_quoted(EDIT_MARKER)}")
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


def generate_project(root: Path, size: int, seed: int = 42) -> None:
    """Write `size` cards into `root/cards/` across files of CARDS_PER_FILE cards."""
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
            lines += _card_lines(rng, top, f"{slug}-{number:03d}-{index:04d}", first=index == 0)
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


def run_once(cmd: list[str], cwd: Path, expect: str | None = None, code: int = 0) -> tuple[float, float, float, str]:
    """Run a command in a fresh process; return its wall time, CPU time, peak RSS and output."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    # Measure deckgen as installed, with its bytecode cached (pip compiles it at install time).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        # wait4 reports this child's own peak RSS (getrusage(RUSAGE_CHILDREN) would be a max over all).
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


def bench_size(root: Path, size: int, repeat: int) -> dict:
    """Generate one project and time every scenario on it, interleaving bare and deckgen runs."""
    generate_project(root, size)
    deckgen = [sys.executable, "-m", "deckgen"]
    build_dir, lock = root / "build", root / "deckgen.lock"
    bare, scratch, noop, edit, check = Runs(), Runs(), Runs(), Runs(), Runs()
    for _ in range(repeat):
        # Alternate the two full builds so drift in the machine's speed hits both alike.
        measure(bare, [sys.executable, str(BARE), "cards", "bare-out"], root, lambda: _remove(root / "bare-out"))
        measure(scratch, deckgen + ["build"], root, lambda: _remove(build_dir, lock), expect=" new, 0 changed")
    for _ in range(repeat):
        measure(noop, deckgen + ["build"], root, expect=" 0 new, 0 changed")
    for rep in range(repeat):
        measure(edit, deckgen + ["build"], root, lambda: edit_one_card(root, f"edited answer {rep}"), expect="1 changed")
    digests = _package_digests(build_dir)
    for _ in range(repeat):
        measure(check, deckgen + ["check"], root, lambda: _remove(build_dir), expect="would write")
    # Same cards and lock file, empty build folder: the packages must come out byte-identical.
    run_once(deckgen + ["build"], root)
    reproducible = _package_digests(build_dir) == digests
    bad = Runs()
    refused = bad_card_is_refused(root, bad)
    packages = sorted(build_dir.glob("*.apkg"))
    return {
        "size": size,
        "files": len(list((root / "cards").rglob("*.yaml"))),
        "bare": bare,
        "build": scratch,
        "noop": noop,
        "edit": edit,
        "check": check,
        "bad": bad,
        "refused": refused,
        "reproducible": reproducible,
        "deflated": _all_deflated(build_dir),
        "package_mb": sum(p.stat().st_size for p in packages) / 1e6,
        "bare_package_mb": sum(p.stat().st_size for p in (root / "bare-out").glob("*.apkg")) / 1e6,
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
    bare, build = result["bare"], result["build"]
    print(f"\n{result['size']:,} cards in {result['files']} files "
          f"(packages {result['package_mb']:.1f} MB; bare script's {result['bare_package_mb']:.1f} MB)")
    print(f"  {'scenario':<26}{'median s':>10}{'cpu s':>8}{'peak MB':>10}   ratio")
    rows = [
        ("bare genanki + CSafeLoader", bare, ""),
        ("deckgen build (scratch)", build, f"{build.median / bare.median:.2f}x bare"),
        ("deckgen build (no-op)", result["noop"], f"{result['noop'].median / build.median:.2f}x build"),
        ("deckgen build (1 edit)", result["edit"], f"{result['edit'].median / build.median:.2f}x build"),
        ("deckgen check (cold)", result["check"], f"{result['check'].median / build.median:.2f}x build"),
        ("build, 1 bad card (once)", result["bad"], f"{result['bad'].median / build.median:.2f}x build"),
    ]
    for name, runs, ratio in rows:
        print(f"  {name:<26}{runs.median:>10.3f}{runs.cpu_median:>8.3f}{runs.peak:>10.1f}   {ratio}")
    print(f"  reproducible: {'yes' if result['reproducible'] else 'NO'}, "
          f"deflated: {'yes' if result['deflated'] else 'NO'}, "
          f"bad card located and nothing written: {'yes' if result['refused'] else 'NO'}")


def targets(results: dict[int, dict], startup: dict) -> list[tuple[str, str, bool]]:
    """Evaluate each target that the measured sizes allow."""
    checks: list[tuple[str, str, bool]] = []
    if 10_000 in results:
        r = results[10_000]
        ratio = r["build"].median / r["bare"].median
        checks.append(("build 10k <= 1.2x bare", f"{ratio:.2f}x", ratio <= 1.2))
        edit = r["edit"].median / r["build"].median
        checks.append(("1-card edit at 10k well under a build (<= 0.5x)", f"{edit:.2f}x", edit <= 0.5))
    if 10_000 in results and 100_000 in results:
        growth = results[100_000]["build"].median / results[10_000]["build"].median
        checks.append(("build growth 10k -> 100k <= 11x", f"{growth:.1f}x", growth <= 11))
    if 100_000 in results:
        peak = max(results[100_000][k].peak for k in ("build", "noop", "edit", "check"))
        checks.append(("peak memory at 100k < 400 MB", f"{peak:.0f} MB", peak < 400))
    for size, r in sorted(results.items()):
        noop = r["noop"].median / r["build"].median
        checks.append((f"no-op at {size:,} <= 0.25x build", f"{noop:.2f}x", noop <= 0.25))
        ok = r["reproducible"] and r["deflated"] and r["refused"]
        checks.append((f"reproducible, deflated, bad input refused at {size:,}", "yes" if ok else "no", ok))
    help_ratio = startup["help"].median / startup["click"].median
    checks.append(("deckgen --help <= 2x import click", f"{help_ratio:.2f}x", help_ratio <= 2))
    return checks


def _as_json(results: dict[int, dict], startup: dict) -> dict:
    def plain(value):
        if isinstance(value, Runs):
            return {"median_s": value.median, "cpu_median_s": value.cpu_median, "peak_mb": value.peak,
                    "seconds": value.seconds}
        return value

    return {
        "machine": machine(),
        "sizes": {str(size): {k: plain(v) for k, v in r.items()} for size, r in results.items()},
        "startup": {k: plain(v) for k, v in startup.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated card counts")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per scenario (medians are reported)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to generate projects (default: a temp dir)")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw figures as JSON here")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "").replace("k", "000")) for s in args.sizes.split(",") if s]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="deckgen-bench-"))

    print(f"machine: {machine()}")
    print(f"repetitions: {args.repeat}, medians reported; work folder: {workdir}")
    startup = bench_startup(workdir / "startup", max(args.repeat, 10))
    print(f"\nstart-up: deckgen --help {startup['help'].median * 1000:.0f} ms, "
          f"python -c 'import click' {startup['click'].median * 1000:.0f} ms, "
          f"python -c pass {startup['python'].median * 1000:.0f} ms")
    results: dict[int, dict] = {}
    for size in sizes:
        results[size] = bench_size(workdir / f"p{size}", size, args.repeat)
        print_size(results[size])

    print("\ntargets:")
    checks = targets(results, startup)
    for name, value, ok in checks:
        print(f"  {'met ' if ok else 'MISS'}  {name}: {value}")
    if args.json:
        args.json.write_text(json.dumps(_as_json(results, startup), indent=2) + "\n", encoding="utf-8")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(ok for _, _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
