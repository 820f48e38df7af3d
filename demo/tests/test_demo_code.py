"""make demo-code reads the database make run used, and says so plainly when that one has no demo clinic."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _demo_code(var_dir: Path, who: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAPCOUPLES_ENV")}
    env["KAPCOUPLES_VAR_DIR"] = str(var_dir)
    return subprocess.run(
        [sys.executable, "manage.py", "demo_code", who], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_demo_code_names_the_var_dir_database_when_the_demo_is_not_loaded(tmp_path):
    result = _demo_code(tmp_path, "sam")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"The demo clinic is not set up in {tmp_path / 'kapcouples.sqlite3'}" in result.stderr


def test_demo_code_refuses_a_user_who_is_not_a_demo_user(tmp_path):
    result = _demo_code(tmp_path, "mallory")
    assert result.returncode == 1
    assert "mallory is not a demo user." in result.stderr
