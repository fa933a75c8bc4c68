"""The plugin's requirements against what each supported Saleor line locks.

A store installs the plugin into Saleor's environment with `pip install`: a requirement that the
line's lock does not satisfy makes pip upgrade or downgrade a package Saleor pinned. Each line's
locked packages are recorded in tests/saleor_lines/<line>.json (package names and versions,
written by scripts/saleor-lock-versions from the line's uv.lock or poetry.lock), so a pin changed
here, or a new line recorded there, fails this test instead of a store's upgrade.
"""

import configparser
import json
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LINES_DIR = Path(__file__).resolve().parent / "saleor_lines"
# The lines the README's compatibility table promises.
SUPPORTED = {"3.21", "3.22", "3.23", "main"}
# Saleor runs on CPython 3.12 on Linux; requirement markers are read for that platform.
PLATFORM = {
    **default_environment(),
    "python_version": "3.12",
    "python_full_version": "3.12.1",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
}


def install_requires() -> list[Requirement]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    lines = cfg["options"]["install_requires"].strip().splitlines()
    return [Requirement(line) for line in map(str.strip, lines) if line]


def load_line(name: str) -> dict:
    return json.loads((LINES_DIR / f"{name}.json").read_text())


def moved_pins(requirements: list[Requirement], locked: dict) -> list[str]:
    """What `pip install` of these requirements would change in an environment installed from
    the lock: packages it would add, versions it would move, extras it would resolve anew."""
    problems = []
    for requirement in requirements:
        if requirement.marker is not None and not requirement.marker.evaluate(PLATFORM):
            continue
        name = canonicalize_name(requirement.name)
        version = locked["packages"].get(name)
        if version is None:
            problems.append(f"{requirement}: {name} is not in Saleor {locked['saleor']}'s lock")
            continue
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement}: Saleor {locked['saleor']} locks {name}=={version}")
        missing = sorted(set(requirement.extras) - set(locked["extras"].get(name, ())))
        if missing:
            problems.append(
                f"{requirement}: Saleor {locked['saleor']}'s lock does not resolve "
                f"{name}[{','.join(missing)}]"
            )
    return problems


def test_every_supported_line_is_recorded():
    recorded = {path.stem for path in LINES_DIR.glob("*.json")}
    assert recorded == SUPPORTED
    for name in SUPPORTED:
        locked = load_line(name)
        assert locked["line"] == name
        # Package names as pip compares them, each with an exact version.
        assert all(canonicalize_name(p) == p for p in locked["packages"])
        assert {"celery", "django", "psycopg"} <= locked["packages"].keys()


@pytest.mark.parametrize("line", sorted(SUPPORTED))
def test_installing_the_plugin_moves_no_pin_of_the_line(line):
    assert moved_pins(install_requires(), load_line(line)) == []


def test_a_pin_outside_a_lines_lock_is_reported():
    locked = load_line("3.23")
    requirements = [
        Requirement(text)
        for text in (
            # Only main locks Celery 5.6: this pin would upgrade 3.23's Celery and kombu.
            "celery[redis]>=5.6,<5.7",
            "psycopg[binary]>=3.3",
            "celery[mongodb]>=5.5",
            "requests-oauthlib>=1",
            "pywin32>=300; sys_platform == 'win32'",
        )
    ]

    assert moved_pins(requirements, locked) == [
        "celery[redis]<5.7,>=5.6: Saleor 3.23.28 locks celery==5.5.3",
        "psycopg[binary]>=3.3: Saleor 3.23.28 locks psycopg==3.2.9",
        "celery[mongodb]>=5.5: Saleor 3.23.28's lock does not resolve celery[mongodb]",
        "requests-oauthlib>=1: requests-oauthlib is not in Saleor 3.23.28's lock",
    ]
    assert moved_pins([Requirement("celery[redis]>=5.6,<5.7")], load_line("main")) == []
