"""The code keeps its shape: imports sit at the top of modules (the layers are checked by
import-linter in `make lint`), and every task a service queues by name exists."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "accounts", "sources", "mentions", "routing", "reports", "webhooks", "frontend")

# Function-level imports of project modules that Django requires, with the reason. A new one
# is almost always a dependency cycle being dodged: move the code instead (docs/architecture.md).
ALLOWED_FUNCTION_IMPORTS = {
    # AppConfig.ready: the app registry is ready only now; registers the OpenAPI auth scheme.
    ("accounts/apps.py", "accounts.schema"),
}


def _project_modules() -> list[Path]:
    return sorted(
        path
        for app_name in APPS
        for path in (ROOT / app_name).rglob("*.py")
        if "migrations" not in path.parts
    )


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        # "from a.b import c": c may be a module (a.b.c) or a name in a.b; both read as a.b.c.
        return [f"{node.module}.{alias.name}" for alias in node.names] if node.level == 0 else []
    return [alias.name for alias in node.names]


def _function_level_imports(path: Path) -> set[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for module in _imported(node):
                    if module.split(".")[0] in APPS:
                        found.add((str(path.relative_to(ROOT)), module))
    return found


def test_project_modules_import_each_other_only_at_module_level():
    found = set().union(*(_function_level_imports(path) for path in _project_modules()))
    assert found - ALLOWED_FUNCTION_IMPORTS == set(), (
        "Imports inside functions hide dependency cycles; move the code so the import can sit "
        "at the top of the module (layers: docs/architecture.md)"
    )


def _queued_task_names() -> set[str]:
    names = set()
    for path in _project_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "task_send"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names.add(node.args[0].value)
    return names


def _run_fresh(script: str, **env: str | None) -> None:
    """Run `script` in a new Python process with `env` changed (None removes a variable)."""
    environment = {**os.environ}
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_every_task_queued_by_name_is_found_in_a_process_that_never_imported_tasks():
    """A web process queues tasks before anything imported the tasks modules."""
    names = sorted(_queued_task_names())
    assert names
    _run_fresh(
        "import django; django.setup()\n"
        "from config.celery import task_lookup\n"
        f"for name in {names!r}: assert task_lookup(name).name == name, name\n",
        DJANGO_SETTINGS_MODULE="config.settings_test",
    )


@pytest.mark.parametrize("entry", ["config.asgi", "config.wsgi", "config.celery"])
def test_entry_points_import_in_a_fresh_process(entry):
    """uvicorn, gunicorn and celery import these before anything configures Django."""
    _run_fresh(f"import {entry}", DJANGO_SETTINGS_MODULE=None, LOTSE_DEBUG="1")


def test_production_settings_switch_on_tls_protection():
    production: dict[str, str | None] = {n: None for n in os.environ if n.startswith("LOTSE_")}
    production |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOTSE_DEBUG": "0",  # wins over a development .env in the checkout
        "LOTSE_SECRET_KEY": "x" * 50,
        "LOTSE_CREDENTIALS_KEYS": "Ii2Gm8bbXyKsvVBjD0y2LNjQ3-lV0DYSVMdm-2mYHAw=",
    }
    _run_fresh(
        "import django; django.setup()\n"
        "from django.conf import settings as s\n"
        "assert s.SESSION_COOKIE_SECURE and s.CSRF_COOKIE_SECURE and s.SECURE_SSL_REDIRECT\n"
        "assert s.SECURE_HSTS_SECONDS >= 31536000 and s.SECURE_HSTS_INCLUDE_SUBDOMAINS\n"
        "assert s.SECURE_PROXY_SSL_HEADER == ('HTTP_X_FORWARDED_PROTO', 'https')\n",
        **production,
    )
