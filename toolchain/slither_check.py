"""Static analysis of our contracts with slither, against a checked-in baseline.

Run by `make lint` from slither's own virtual environment (`.venv-slither`, created by the
Makefile: slither's pins clash with brownie's). It compiles every contract of ours (not the
ONCHAINID sources pinned to solc 0.8.17, not the test doubles under `contracts/mocks`) in one
solc standard-JSON compilation through our solc-js bridge, runs every detector, and fails when a
finding is neither fixed nor accepted in `toolchain/slither-baseline.txt`, or when the baseline
accepts something slither no longer finds (so the file stays true).

Baseline lines: `detector | element | reason`, where element is `Contract.member` as slither
names the finding's first element, or `*` for every finding of that detector. Each needs a
reason. Usage: `.venv-slither/bin/python toolchain/slither_check.py`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "toolchain" / "slither-baseline.txt"
SOLC = ROOT / ".solc" / "solc-v0.8.28"


def sources() -> list[Path]:
    return sorted(p for p in (ROOT / "contracts").rglob("*.sol")
                  if "onchainid" not in p.parts and "mocks" not in p.parts)


def run_slither() -> list[dict]:
    """Every detector's findings, as slither's JSON results."""
    target = ROOT / "build" / "slither"
    target.mkdir(parents=True, exist_ok=True)
    lines = ["// SPDX-License-Identifier: MIT", "pragma solidity ^0.8.24;"]
    lines += [f'import "../../{p.relative_to(ROOT)}";' for p in sources()]
    (target / "All.sol").write_text("\n".join(lines) + "\n")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "slither.json"
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "slither"), str(target.relative_to(ROOT)),
             "--solc-standard-json", "--solc", str(SOLC),
             "--solc-remaps",
             "@openzeppelin=node_modules/@openzeppelin @chainlink=node_modules/@chainlink",
             "--filter-paths", "node_modules", "--json", str(out)],
            cwd=ROOT, capture_output=True, text=True, check=False)
        if not out.exists():
            sys.exit(f"slither did not run:\n{proc.stdout}\n{proc.stderr}")
        report = json.loads(out.read_text())
    if not report.get("success"):
        sys.exit(f"slither failed: {report.get('error')}")
    return report["results"].get("detectors", [])


def element(finding: dict) -> str:
    first = finding["elements"][0] if finding["elements"] else {}
    parent = first.get("type_specific_fields", {}).get("parent", {}).get("name")
    name = first.get("name", "?")
    return f"{parent}.{name}" if parent else name


def load_baseline() -> dict[tuple[str, str], str]:
    accepted = {}
    for number, line in enumerate(BASELINE.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3 or not all(parts):
            sys.exit(f"{BASELINE.name}:{number}: want 'detector | element | reason'")
        accepted[(parts[0], parts[1])] = parts[2]
    return accepted


def main() -> int:
    findings = run_slither()
    accepted = load_baseline()
    used: set[tuple[str, str]] = set()
    new = []
    for finding in findings:
        key = (finding["check"], element(finding))
        wildcard = (finding["check"], "*")
        if key in accepted:
            used.add(key)
        elif wildcard in accepted:
            used.add(wildcard)
        else:
            new.append((finding["impact"], key, finding["description"].strip()))
    stale = sorted(set(accepted) - used)
    print(f"slither: {len(findings)} findings, {len(findings) - len(new)} accepted in "
          f"{BASELINE.relative_to(ROOT)}, {len(new)} new, {len(stale)} stale baseline lines")
    for impact, (check, name), description in new:
        print(f"\nNEW [{impact}] {check} | {name}\n{description}")
    for check, name in stale:
        print(f"STALE baseline line (slither no longer finds it): {check} | {name}")
    return 1 if new or stale else 0


if __name__ == "__main__":
    sys.exit(main())
