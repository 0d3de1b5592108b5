#!/usr/bin/env bash
# CI: every dependency floor in pyproject.toml is true. A second virtual
# environment gets the build backend and each runtime dependency at exactly its
# lowest allowed version (the bench extra included), builds the package there
# and runs a short smoke test.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python=${PYTHON:-python3}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The `==` pins come from pyproject.toml itself: "name>=floor" becomes "name==floor".
"$python" - "$work" <<'PY'
import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads(Path("pyproject.toml").read_text())
floor = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*>=\s*([^,;\s]+)")


def pins(requirements: list[str]) -> str:
    out = []
    for req in requirements:
        found = floor.match(req)
        if found is None:
            sys.exit(f"no >= floor in requirement {req!r}")
        out.append(f"{found[1]}=={found[2]}\n")
    return "".join(out)


work = Path(sys.argv[1])
(work / "build.txt").write_text(pins(project["build-system"]["requires"]))
# The bench extra holds most runtime floors; the smoke test runs the bench.
runtime = project["project"]["dependencies"] + project["project"]["optional-dependencies"]["bench"]
(work / "runtime.txt").write_text(pins(runtime))
PY
echo "lowest versions:" $(cat "$work/build.txt" "$work/runtime.txt")

"$python" -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install --quiet -r "$work/build.txt"
# No build isolation, so the package is built by the floor of its build backend;
# the constraints hold every runtime dependency at its floor.
"$py" -m pip install --quiet --no-build-isolation -c "$work/runtime.txt" "$root"
"$py" -m pip install --quiet -r "$work/runtime.txt"
"$py" -m pip check
# pip check above proves the set is consistent; this proves it is the floors.
"$py" - "$work/runtime.txt" <<'PY'
import sys
from importlib.metadata import version

from packaging.version import Version

for line in open(sys.argv[1]):
    name, floor = line.strip().split("==")
    if Version(version(name)) != Version(floor):
        sys.exit(f"{name} is {version(name)}, not its floor {floor}")
PY

cd "$work"
"$py" -c "import glomers, glomers.bench.cli, glomers.bench.pages.plots, glomers.bench.sim, glomers.bench.services, glomers.bench.maelstrom_results, glomers.bench.workloads.registry; print('imported glomers', glomers.__file__)"
"$py" -m glomers test --sim -w g-counter --time-limit 2 --nemesis partition --store store --seed 1
"$py" -m glomers test -w g-counter --time-limit 2 --recovery-time 1 --store store </dev/null
test -f store/latest/report.html
echo "lowest versions: smoke test passed"
