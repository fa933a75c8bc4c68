"""The distribution as Saleor sees it: entry point, app, migrations, the files the wheel ships."""

import configparser
import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def test_entry_point_name_is_the_django_app_module():
    # Saleor appends the entry point NAME to INSTALLED_APPS, so it must be the app module.
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    entry = cfg["options.entry_points"]["saleor.plugins"].strip()
    assert entry == "saleor_dividend_plugin = saleor_dividend_plugin.plugin:DividendPlugin"


def test_installed_distribution_lists_the_plugin_entry_point():
    from importlib.metadata import entry_points

    found = {ep.name: ep.value for ep in entry_points(group="saleor.plugins")}
    assert found["saleor_dividend_plugin"] == "saleor_dividend_plugin.plugin:DividendPlugin"


def test_models_and_migrations_agree(db):
    out = io.StringIO()
    # Exits non-zero (SystemExit) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_core_never_imports_saleor():
    core = [
        p
        for p in (ROOT / "saleor_dividend_plugin").rglob("*.py")
        if "adapter" not in p.parts and p.name != "plugin.py"
    ]
    assert core
    offenders = [
        str(p)
        for p in core
        if any(
            line.lstrip().startswith(("import saleor", "from saleor ", "from saleor."))
            for line in p.read_text().splitlines()
        )
    ]
    assert offenders == []


def test_the_wheel_ships_the_sql_the_schema_and_the_storefront_widget(tmp_path):
    # Built from a clean copy: an egg-info left by an editable install would list files that
    # setup.cfg no longer ships.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "saleor_dividend_plugin",
        source / "saleor_dividend_plugin",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), "."],
        cwd=source,
        check=True,
    )
    [wheel] = tmp_path.glob("saleor_dividend_plugin-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        script = archive.read("saleor_dividend_plugin/widget/saleor-rewards.js")
    package = ROOT / "saleor_dividend_plugin"
    assert script == (package / "widget" / "saleor-rewards.js").read_bytes()
    for data in [*package.glob("sql/*.sql"), *package.glob("graphql/*.graphql")]:
        assert data.relative_to(ROOT).as_posix() in names
    assert "saleor_dividend_plugin/widget/__init__.py" in names
    assert not any(name.startswith(("tests/", "standalone_host/")) for name in names)
