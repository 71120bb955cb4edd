"""Run the benchmarks and write their reports to ``benchmarks/results/``.

Usage: ``python -m benchmarks`` (all) or ``python -m benchmarks envs recordings``.

``--quick``: a short run (under a minute) of the benchmarks that offer one; its report is printed
but not written over the full run's. ``--json``: print the figures as JSON instead (benchmarks
with a ``run(quick)`` function that returns them), nothing else on stdout.
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import json
import os
import pkgutil
import platform
import sys
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _available() -> list[str]:
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(HERE)])
        if m.name.startswith("bench_")
    )


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    as_json = "--json" in argv
    names = [a for a in argv if not a.startswith("--")] or _available()
    RESULTS.mkdir(exist_ok=True)
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        if as_json:
            if not hasattr(module, "run"):
                print(f"benchmark {name} has no --json output", file=sys.stderr)
                return 2
            print(json.dumps(module.run(quick=quick), indent=2), flush=True)
            continue
        print(f"== benchmark {name}", flush=True)
        takes_quick = "quick" in inspect.signature(module.main).parameters
        body = module.main(quick=quick) if takes_quick else module.main()
        flag = " --quick" if quick and takes_quick else ""
        header = (
            f"# Benchmark: {name}\n\n"
            f"Command: `python -m benchmarks {name}{flag}` (or `make bench`)  \n"
            f"Run: {datetime.datetime.now().isoformat(timespec='seconds')} on {platform.node()}, "
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, MUJOCO_GL={os.environ.get('MUJOCO_GL')}\n\n"
        )
        if not quick:
            (RESULTS / f"{name}.md").write_text(header + body.rstrip() + "\n")
        print(body, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
