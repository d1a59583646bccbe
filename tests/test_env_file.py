"""The newcomer's commands: a development `.env` makes `manage.py` work as printed, and
production (no .env, no LOTSE_DEBUG) still refuses to start without a secret key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_file_load

REPO = Path(__file__).resolve().parent.parent


def manage(*args: str, env_file: Path) -> subprocess.CompletedProcess[str]:
    """`python manage.py …` in a clean environment: no LOTSE_* variables from this shell."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LOTSE_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(LOTSE_ENV_FILE=str(env_file), PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_make_install_writes_a_dotenv_that_makes_manage_py_work(tmp_path):
    written = subprocess.run(
        ["bash", str(REPO / "scripts" / "ensure_dotenv.sh")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "wrote .env" in written.stdout
    dotenv = tmp_path / ".env"
    text = dotenv.read_text()
    assert "LOTSE_DEBUG=1" in text and "LOTSE_SECRET_KEY=" in text
    assert oct(dotenv.stat().st_mode & 0o777) == "0o600"
    # A second run keeps the file (and its key).
    subprocess.run(["bash", str(REPO / "scripts" / "ensure_dotenv.sh")], cwd=tmp_path, check=True)
    assert dotenv.read_text() == text

    result = manage("check", env_file=dotenv)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_without_dotenv_and_without_a_key_manage_py_refuses(tmp_path):
    result = manage("check", env_file=tmp_path / "missing.env")
    assert result.returncode != 0
    assert "Environment variable LOTSE_SECRET_KEY is required" in result.stderr


def test_real_environment_wins_over_the_file(tmp_path, monkeypatch):
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# comment\n\nLOTSE_T_ONE=from-file\nexport LOTSE_T_TWO='quoted value'\n"
        'LOTSE_T_THREE="x=y"\n'
    )
    monkeypatch.setenv("LOTSE_T_ONE", "from-environment")
    for name in ("LOTSE_T_TWO", "LOTSE_T_THREE"):
        monkeypatch.setenv(name, "")  # so monkeypatch removes what the loader sets
        monkeypatch.delenv(name)
    loaded = env_file_load(dotenv)
    assert loaded == ["LOTSE_T_TWO", "LOTSE_T_THREE"]
    assert os.environ["LOTSE_T_ONE"] == "from-environment"
    assert os.environ["LOTSE_T_TWO"] == "quoted value"
    assert os.environ["LOTSE_T_THREE"] == "x=y"


def test_a_malformed_line_names_the_file_and_line(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("LOTSE_OK=1\nthis is not an assignment\n")
    with pytest.raises(ImproperlyConfigured, match=r"\.env:2: expected NAME=VALUE"):
        env_file_load(dotenv)


def test_a_development_env_file_is_ignored_where_the_environment_sets_the_secret_key(tmp_path):
    """Production sets LOTSE_SECRET_KEY; a .env left by `make install` must not turn DEBUG on."""
    env_file = tmp_path / ".env"
    env_file.write_text("LOTSE_DEBUG=1\nLOTSE_SECRET_KEY=from-the-file\n", encoding="utf-8")
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings as s\n"
        "assert not s.DEBUG, 'DEBUG came from the .env'\n"
        "assert s.SECRET_KEY == 'p' * 50\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTSE_")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOTSE_ENV_FILE": str(env_file),
        "LOTSE_SECRET_KEY": "p" * 50,
        "LOTSE_CREDENTIALS_KEYS": "Ii2Gm8bbXyKsvVBjD0y2LNjQ3-lV0DYSVMdm-2mYHAw=",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
