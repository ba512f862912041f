"""Known advisories of the locked versions: pip-audit against PyPI's advisory data (the same registry the
packages come from); exits 1 on any advisory not accepted in requirements/audit-accepted.txt.

When the advisory data cannot be had — no route to pypi.org, or a registry mirror that does not serve
PyPI's per-release JSON (``/pypi/<name>/<version>/json``, where the advisories are) — it says so and
exits 0: the check could not run, and the message says so instead of "no known vulnerabilities".
Responses are cached in .cache/pip-audit, so a second run asks PyPI only about what changed.

    python requirements/audit.py requirements/test.txt
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

PROBE = "https://pypi.org/pypi/pip/json"
ACCEPTED = Path(__file__).resolve().parent / "audit-accepted.txt"


def advisory_data_reachable() -> str | None:
    """None when PyPI answers, else why not."""
    try:
        with urllib.request.urlopen(PROBE, timeout=10) as response:
            response.read(1)
    except (urllib.error.URLError, OSError) as exc:
        return str(getattr(exc, "reason", exc))
    return None


def accepted() -> list[str]:
    """Advisory ids accepted on purpose: one per line, a reason after '#'."""
    if not ACCEPTED.exists():
        return []
    return [line.split("#")[0].strip() for line in ACCEPTED.read_text().splitlines() if line.split("#")[0].strip()]


def main(lock: str) -> int:
    why = advisory_data_reachable()
    if why is not None:
        return _skipped(lock, f"{PROBE}: {why}")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        args = [sys.executable, "-m", "pip_audit", "-r", lock, "--require-hashes", "--disable-pip", "--format", "json"]
        args += ["--progress-spinner", "off", "--cache-dir", ".cache/pip-audit", "--vulnerability-service", "pypi"]
        args += ["--output", str(report)]
        for vuln in accepted():
            args += ["--ignore-vuln", vuln]
        code = subprocess.run(args, stderr=subprocess.DEVNULL).returncode
        if not report.exists():
            return _skipped(lock, f"pip-audit exited {code} without a report")
        deps = json.loads(report.read_text())["dependencies"]
    checked = [d for d in deps if "skip_reason" not in d]
    if not checked:
        return _skipped(lock, "the registry has no per-release advisory data for any locked package")
    found = [(d["name"], d["version"], v["id"]) for d in checked for v in d.get("vulns", [])]
    for name, version, vuln in found:
        print(f"{name} {version}: {vuln}")
    print(f"audit: {len(checked)} of {len(deps)} locked packages checked, {len(found)} known advisories")
    return 1 if found else 0


def _skipped(lock: str, why: str) -> int:
    print(f"audit SKIPPED: advisory data cannot be had ({why}); {lock} was not checked.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "requirements/test.txt"))
