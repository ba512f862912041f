"""Write the lock files make installs from: requirements/run.txt, test.txt and tools.txt (make sbom / audit).

    python requirements/lock.py              # re-lock: keep every version already locked, add what is new
    python requirements/lock.py --upgrade    # re-lock at the newest versions pyproject.toml allows

pip resolves the project's extras (``pip install --dry-run --report``, nothing is installed) for this
interpreter and platform — CPython 3.11 on Linux x86_64 is what make run/test target — under
``requirements/pins.txt`` (torch 2.13.0 CPU and the packages that ship model weights, by exact version).
Each locked line carries the sha256 of the exact file pip chose (``--require-hashes`` refuses anything
else). test.txt is resolved first; run.txt is resolved under it, so both agree on every version.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = ["setuptools", "wheel"]  # `pip install --no-build-isolation -e .` builds the project with these
SETS = {  # what each lock holds, and which make target installs it
    "test": ([".[embedded,embeddings,privacy,privacy-bench,scale,lab,test]", *BUILD], "test"),
    "run": ([".[embedded,embeddings,privacy,scale,lab]", *BUILD], "run"),
    "tools": (["-r", "requirements/tools.in"], "sbom / make audit"),
}
HEADER = """\
# {name}.txt — locked by requirements/lock.py for CPython 3.11 on Linux x86_64 ({what}).
# Installed with `pip install --require-hashes -r requirements/{name}.txt` by `make {target}`.
# Do not edit by hand: change pyproject.toml, requirements/pins.txt or tools.in, then run `make lock`.
"""


def resolve(wanted: list[str], constraints: list[Path]) -> list[tuple[str, str, str]]:
    """(name, version, sha256) of every package pip would install for ``wanted``."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        args = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet"]
        args += ["--report", str(report)]
        for c in constraints:
            args += ["-c", str(c)]
        subprocess.run([*args, *wanted], cwd=ROOT, check=True)
        items = json.loads(report.read_text())["install"]
    locked = []
    for item in items:
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        if name == "crossroads":
            continue
        hashes = item["download_info"].get("archive_info", {}).get("hashes", {})
        if "sha256" not in hashes:
            raise SystemExit(f"pip reported no sha256 for {name} {version} ({item['download_info']['url']})")
        locked.append((name.lower().replace("_", "-"), version, hashes["sha256"]))
    return sorted(locked)


def pins_of(path: Path) -> Path:
    """A constraints file with the versions of a lock file (hashes dropped: pip takes none in -c)."""
    out = Path(tempfile.mkstemp(suffix=".txt")[1])
    lines = [line.split()[0] for line in path.read_text().splitlines() if "==" in line and not line.startswith("#")]
    out.write_text("\n".join(lines) + "\n")
    return out


def write(name: str, locked: list[tuple[str, str, str]]) -> None:
    wanted, target = SETS[name]
    text = HEADER.format(name=name, what=" ".join(w for w in wanted if w != "-r"), target=target)
    text += "".join(f"{n}=={v} \\\n    --hash=sha256:{h}\n" for n, v, h in locked)
    (HERE / f"{name}.txt").write_text(text)
    print(f"requirements/{name}.txt: {len(locked)} packages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upgrade", action="store_true", help="newest allowed versions, not the locked ones")
    parser.add_argument("--keep", type=Path, help="a pip freeze whose versions to keep (first lock of a tested venv)")
    args = parser.parse_args()
    for name in ("test", "tools"):
        constraints = [HERE / "pins.txt"] if name == "test" else []
        if args.keep and name == "test":
            constraints.append(args.keep)
        elif not args.upgrade and (HERE / f"{name}.txt").exists():
            constraints.append(pins_of(HERE / f"{name}.txt"))
        locked = resolve(SETS[name][0], constraints)
        write(name, locked)
        if name == "test":
            tested = Path(tempfile.mkstemp(suffix=".txt")[1])
            tested.write_text("".join(f"{n}=={v}\n" for n, v, _ in locked))
            write("run", resolve(SETS["run"][0], [HERE / "pins.txt", tested]))


if __name__ == "__main__":
    main()
