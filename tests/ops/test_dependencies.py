"""The product runs on requirements.txt alone: no module outside the tests imports a test or tool package, and
every package pinned for the runtime is pinned exactly."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Import names of what requirements-dev.txt adds (the Docker image does not have them).
DEV_ONLY = (
    "pytest",
    "_pytest",
    "pytest_django",
    "pytest_cov",
    "coverage",
    "factory",
    "faker",
    "playwright",
    "time_machine",
    "hypothesis",
    "aiosmtpd",
    "ruff",
    "importlinter",
    "grimp",
    "pre_commit",
    "pre_commit_hooks",
)
APPS = (
    "accounts",
    "audit",
    "cases",
    "clinic",
    "demo",
    "dosing",
    "integration",
    "jobs",
    "kapcouples",
    "ops",
    "pages",
    "sessions",
)

IMPORT_EVERYTHING = f"""
import importlib, importlib.abc, pkgutil, sys
DEV = {DEV_ONLY!r}

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in DEV:
            raise ImportError(f"product code imports the dev-only package {{name}}")

sys.meta_path.insert(0, Refuse())
import django
django.setup()
count = 0
for app in {APPS!r}:
    package = importlib.import_module(app)
    for module in pkgutil.walk_packages(package.__path__, app + "."):
        if ".tests" in module.name or module.name.endswith(".tests"):
            continue
        importlib.import_module(module.name)
        count += 1
import kapcouples.urls
from django.contrib import admin
admin.autodiscover()
print("imported", count)
"""


def test_no_product_module_imports_a_dev_package():
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "kapcouples.settings",
            "KAPCOUPLES_VAR_DIR": str(ROOT / "var"),
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.split()[-1]) > 100  # it really walked the apps


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-r"):
            match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]+\])?==([^\s;]+)", line)
            assert match, f"{name}: {line!r} is not an exact pin"
            found[match.group(1).lower().replace("_", "-")] = match.group(3)
    return found


def test_runtime_and_dev_pins_are_exact_and_apart():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    assert set(runtime) & set(dev) == set()
    assert "pytest" in dev and "pytest" not in runtime
    assert "django" in runtime
    assert (ROOT / "requirements-dev.txt").read_text().startswith("#") and "-r requirements.txt" in (
        ROOT / "requirements-dev.txt"
    ).read_text()


def test_the_image_installs_the_runtime_pins_only():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install -r requirements.txt" in dockerfile
    assert "requirements-dev" not in dockerfile.replace("(requirements-dev.txt)", "")
