"""The import contracts (.importlinter) cover every module: a new module must be given its place in the layers,
or the contract would silently stop looking at it."""

import configparser
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_LAYERED = {"__init__", "apps", "migrations", "tests", "__pycache__", "static", "templates"}


def _config() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return config


def _layered_modules(config) -> set[str]:
    names = set()
    for line in config["importlinter:contract:layers"]["layers"].split("\n"):
        for part in line.replace("|", ":").split(":"):
            if part.strip():
                names.add(part.strip().strip("()"))
    return names


def test_every_module_of_every_app_has_a_layer():
    config = _config()
    roots = config["importlinter"]["root_packages"].split()
    layered = _layered_modules(config)
    missing = []
    for root in roots:
        if root in layered:
            continue  # the whole package is one layer
        for path in sorted((ROOT / root).iterdir()):
            name = path.stem if path.suffix == ".py" else path.name
            if name in NOT_LAYERED or not (path.suffix == ".py" or (path / "__init__.py").exists()):
                continue
            if f"{root}.{name}" not in layered:
                missing.append(f"{root}.{name}")
    assert not missing, f"Give these modules a layer in .importlinter: {', '.join(missing)}"


def test_every_app_is_checked_for_cycles():
    config = _config()
    roots = set(config["importlinter"]["root_packages"].split())
    assert set(config["importlinter:contract:acyclic"]["ancestors"].split()) == roots


def test_the_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "0 broken" in result.stdout


def test_every_app_of_the_project_is_under_contract():
    from django.apps import apps

    ours = {
        config.name.split(".")[0] for config in apps.get_app_configs() if Path(config.path).resolve().parent == ROOT
    }
    roots = set(_config()["importlinter"]["root_packages"].split())
    assert ours <= roots, f"Add to .importlinter's root_packages and layers: {', '.join(sorted(ours - roots))}"
