"""The OpenAPI schema of both hosts is generated without a single error or warning and is
valid OpenAPI: a view drf-spectacular cannot describe is a view the API docs leave out or
get wrong (the messages name the view and its line; they are printed on failure)."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command


@pytest.mark.parametrize("urlconf", ["config.urls_tenant", "config.urls_public"])
def test_the_schema_generates_without_errors_or_warnings_and_validates(urlconf, tmp_path):
    out = tmp_path / "schema.yml"
    # --fail-on-warn fails on errors and warnings alike; --validate on an invalid schema.
    call_command("spectacular", urlconf=urlconf, fail_on_warn=True, validate=True, file=str(out))
    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    assert schema["paths"]
