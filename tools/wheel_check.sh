#!/usr/bin/env bash
# The wheel as a user gets it. Builds the sdist, then the wheel from the sdist, out of a copy of the files git
# tracks, in an isolated build. Installs the wheel with its dependencies, pinned by requirements.lock, into a
# fresh venv outside the checkout. Then runs `morale run` and `morale classic civil-violence` from a folder
# outside it. Needs the network (build backend and dependencies come from the registry). tests/test_wheel.py
# is the offline version that runs in the suite.
#
# Usage: tools/wheel_check.sh [PYTHON]   (default: $PYTHON or python3.11; KEEP=1 keeps the temporary folder)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
python=${1:-${PYTHON:-python3.11}}
tmp=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then echo "wheel-check: keeping $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV
export PYTHONNOUSERSITE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

echo "wheel-check: copying the tracked files to $tmp/checkout"
mkdir "$tmp/checkout"
(cd "$root" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$tmp/checkout"

echo "wheel-check: building the sdist, then the wheel from it"
"$python" -m venv "$tmp/build-venv"
"$tmp/build-venv/bin/python" -m pip install --quiet -c "$root/requirements.lock" --upgrade pip build
"$tmp/build-venv/bin/python" -m build --outdir "$tmp/dist" "$tmp/checkout" > "$tmp/build.log" 2>&1 \
    || { tail -40 "$tmp/build.log"; exit 1; }
wheel=$(ls "$tmp"/dist/morale-*.whl)
ls "$tmp"/dist

echo "wheel-check: installing $(basename "$wheel") with its locked dependencies into a fresh venv"
"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet -c "$root/requirements.lock" --upgrade pip
"$tmp/venv/bin/python" -m pip install --quiet -c "$root/requirements.lock" "$wheel"

mkdir "$tmp/work"
cd "$tmp/work"
"$tmp/venv/bin/python" - "$tmp/venv" "$wheel" "$root" <<'EOF'
import subprocess, sys, zipfile
from pathlib import Path
import morale
venv, wheel, root = (Path(p).resolve() for p in sys.argv[1:])
where = Path(morale.__file__).resolve()
assert where.is_relative_to(venv), f"morale imported from {where}, not from the new venv"
tracked = subprocess.run(["git", "ls-files", "src/morale"], cwd=root, capture_output=True, text=True, check=True)
missing = sorted({p.removeprefix("src/") for p in tracked.stdout.split()} - set(zipfile.ZipFile(wheel).namelist()))
assert not missing, f"tracked files missing from the wheel: {missing}"
print(f"wheel-check: morale {morale.__version__} from {where.parent}; every tracked file of src/morale is in the wheel")
EOF
"$tmp/venv/bin/morale" --version
"$tmp/venv/bin/morale" run russia-2022 --scale 400 --end 2022-06-30 --out run > run.log
test -f run/manifest.json && test -f run/series.parquet && test -f run/report.html
"$tmp/venv/bin/morale" classic civil-violence --steps 20 --out classic > classic.log
test -f classic/series.csv && test -f classic/plot.png
echo "wheel-check: ok (the run and the classic model wrote their outputs)"
