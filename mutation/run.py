"""``make mutation``: mutate a package with cosmic-ray and print the score and every survivor.

Everything runs in throwaway checkouts under a temporary folder, never in this tree: cosmic-ray
mutates files in place, and an interrupted run would leave a mutant behind. One cosmic-ray
session per module; the sessions share ``--workers`` checkouts (default: one per core).

Usage: ``python mutation/run.py [--target NAME] [--workers N] [--module PATH ...] [--keep]``; the
targets are in mutation/targets.toml (default: the first, the handler package).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Queue

import coverage_map
from equivalents import Equivalents
from triage import triage

from report import ModuleResult, print_report, read_session, score

MUTATION_DIR = Path(__file__).resolve().parent
ROOT = MUTATION_DIR.parent
COSMIC_RAY = Path(sys.executable).parent / "cosmic-ray"
# cosmic-ray's own limit; mutant_tests.py stops a mutant's tests long before it.
SESSION_TIMEOUT_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Job:
    """One module to mutate, with the coverage map of its target's tests."""

    module: str
    coverage_map: Path


def main() -> int:
    arguments = _arguments()
    settings, targets = _targets()
    target = next((t for t in targets if t["name"] == (arguments.target or targets[0]["name"])), None)
    if target is None:
        sys.exit(f"no target {arguments.target!r} in mutation/targets.toml: {', '.join(t['name'] for t in targets)}")
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="running-model-mutation-"))
    checkouts: Queue[Path] = Queue()
    for index in range(arguments.workers):
        checkouts.put(_checkout(work / f"checkout-{index}"))
    first = checkouts.queue[0]
    modules = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / target["package"]).glob("*.py"))
    modules = [m for m in modules if not arguments.module or m in arguments.module]
    map_file = work / f"{target['name']}.map.json"
    print(f"{target['name']}: recording which test runs which line ({' '.join(target['tests'])})", flush=True)
    coverage_map.record(first, target["package"], target["tests"], map_file)
    jobs = [Job(module, map_file) for module in modules]
    equivalents = Equivalents.load(MUTATION_DIR / "equivalent.toml")
    matched: set[tuple[str, str, str]] = set()
    lock = threading.Lock()

    def run(job: Job) -> ModuleResult:
        checkout = checkouts.get()
        try:
            result, found = _session(job, checkout, work, settings, equivalents)
        finally:
            checkouts.put(checkout)
        with lock:
            matched.update(found)
            print(f"  {job.module}: {dict(result.counts)} after {time.monotonic() - started:.0f} s", flush=True)
        return result

    jobs.sort(key=lambda job: -(ROOT / job.module).stat().st_size)  # the longest first: they bound the wall time
    print(f"mutating {len(jobs)} modules in {arguments.workers} checkouts under {work}", flush=True)
    servers = [_preload_server(checkout) for checkout in list(checkouts.queue)]
    try:
        with ThreadPoolExecutor(arguments.workers) as pool:
            results = list(pool.map(run, jobs))
    finally:
        for server in servers:
            server.kill()
    print_report(results)
    mutated = {job.module for job in jobs}
    stale = sorted(key for key in equivalents.mutants if key[0] in mutated and key not in matched)
    for module, line, mutant in stale:
        print(f"equivalent.toml lists a mutant no longer made: {module}: {line!r} -> {mutant!r}")
    mutants = sum(sum(r.counts.values()) for r in results)
    errors = sum(r.counts["error"] for r in results)
    elapsed = time.monotonic() - started
    print(
        f"\n{target['name']}: mutation score {score(results):.1f}% (fail under {target['fail-under']}%): "
        f"{sum(r.counts['killed'] for r in results)} killed of {sum(r.judged for r in results)} judged; "
        f"{mutants} mutants in {len(jobs)} modules; wall time {elapsed // 60:.0f} min {elapsed % 60:.0f} s"
    )
    if arguments.keep:
        print(f"sessions kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if errors or stale or score(results) < target["fail-under"] else 0


def _session(
    job: Job, checkout: Path, work: Path, settings: dict, equivalents: Equivalents
) -> tuple[ModuleResult, set[tuple[str, str, str]]]:
    name = job.module.replace("/", "_").removesuffix(".py")
    pristine = work / "pristine" / job.module
    pristine.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(checkout / job.module, pristine)
    config, session = work / f"{name}.toml", work / f"{name}.sqlite"
    test_command = [sys.executable, str(checkout / "mutation" / "mutant_tests.py"), str(job.coverage_map)]
    config.write_text(
        "[cosmic-ray]\n"
        f"module-path = {json.dumps(job.module)}\n"
        f"timeout = {SESSION_TIMEOUT_SECONDS}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(' '.join([*test_command, str(pristine), job.module]))}\n"
        '[cosmic-ray.distributor]\nname = "local"\n'
    )
    environment = {
        **os.environ,
        "MUTATION_PRELOAD_SOCKET": str(_socket(checkout)),
        "MUTATION_SETTINGS": json.dumps(
            {
                "factor": settings["timeout-factor"],
                "grace": settings["timeout-grace-seconds"],
                "slow": settings["slow-test-seconds"],
                "budget": settings["test-budget-seconds"],
            }
        ),
    }

    def cosmic_ray(*arguments: str) -> None:
        subprocess.run([str(COSMIC_RAY), *arguments], cwd=checkout, env=environment, check=True, capture_output=True)

    cosmic_ray("init", str(config), str(session), "--force")
    found = triage(session, checkout, equivalents)
    cosmic_ray("exec", str(config), str(session))
    return read_session(session, job.module, pristine), found


def _preload_server(checkout: Path) -> subprocess.Popen[bytes]:
    """The checkout's warm pytest (preload_server.py), listening on _socket(checkout)."""
    server = subprocess.Popen([sys.executable, "mutation/preload_server.py", str(_socket(checkout))], cwd=checkout)
    while not _socket(checkout).exists():
        if server.poll() is not None:
            raise RuntimeError(f"the preload server of {checkout} ended with {server.returncode}")
        time.sleep(0.1)
    return server


def _socket(checkout: Path) -> Path:
    return checkout.with_suffix(".sock")


def _checkout(destination: Path) -> Path:
    """A copy of this tree's files (tracked, and untracked but not ignored): what a commit would hold."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def _targets() -> tuple[dict, list[dict]]:
    document = tomllib.loads((MUTATION_DIR / "targets.toml").read_text())
    return document["settings"], document["target"]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", help="the target in mutation/targets.toml (default: the first)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="checkouts run at once")
    parser.add_argument("--module", action="append", help="mutate only this module (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary sessions and checkouts")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
