"""`make` with no target prints what each target does, and sets nothing up."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = ROOT / "Makefile"


def _phony_targets() -> list[str]:
    text = MAKEFILE.read_text()
    (line,) = re.findall(r"^\.PHONY:(.*)$", text, flags=re.M)
    return line.split()


def _help() -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", "-f", str(MAKEFILE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_make_without_a_target_lists_every_target_with_what_it_does() -> None:
    listed = dict(re.findall(r"^  ([a-z-]+) +(\S.*)$", _help(), flags=re.M))
    assert sorted(listed) == sorted(_phony_targets())
    assert all(len(text) > 10 for text in listed.values()), listed


def test_make_without_a_target_runs_no_setup() -> None:
    text = _help()
    assert "pip install" not in text
    assert "npm ci" not in text
    assert "make synth" in text
    assert "make test" in text


def _pins(path: Path) -> dict[str, str]:
    """``{normalized name: version}`` of the ``name==version`` lines (extras and markers dropped)."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        requirement = line.split("#")[0].split(";")[0].strip()
        if "==" not in requirement:
            continue
        name, version = requirement.split("==")
        pins[re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()] = version.strip()
    return pins


def test_the_lock_holds_every_pin_of_the_requirements() -> None:
    # make setup-dev installs requirements-dev.lock, not requirements-dev.txt: a pin changed without `make lock`
    # would otherwise never be installed.
    locked = _pins(ROOT / "requirements-dev.lock")
    for requirements in ("requirements.txt", "requirements-dev.txt"):
        pins = _pins(ROOT / requirements)
        assert pins, f"no pins read from {requirements}"
        assert {name: locked.get(name) for name in pins} == pins, f"{requirements}: run `make lock`"
