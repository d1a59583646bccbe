"""White-label logos over the API: a client admin uploads, replaces and deletes the client's
logo, an agency admin the agency's on the agency host; uploads are checked by their bytes
(never the file name), SVG and oversized or broken images are refused with a 4xx in the
one error shape, what is stored is a fresh PNG, changes are audited, and the PDF shows it."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from rest_framework.test import APIClient

from accounts.audit.models import AuditEntry
from accounts.logos import LOGO_MAX_BYTES, client_logo_get, client_logo_set
from accounts.models import AgencyAuditEntry, ClientLogo
from accounts.security import agency_get
from accounts.services import api_token_create
from reports import figures
from reports.pdf import letterhead_for
from tests.conftest import api_client


def image_bytes(fmt: str = "PNG", size=(120, 40), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (0, 114, 178)).save(out, format=fmt, **save)
    return out.getvalue()


def upload(api: APIClient, data: bytes, name: str = "logo.png", content_type="image/png"):
    return api.put(
        "/api/v1/logo",
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
        format="multipart",
    )


def admin_api(world, user=None):
    _, token = api_token_create(client=world.acme.client, user=user or world.alice)
    return api_client(world.acme, token)


def agency_api(world):
    _, token = api_token_create(client=agency_get(), user=world.ada)
    api = APIClient(HTTP_HOST="localhost")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_a_client_admin_uploads_a_logo_and_everyone_in_the_client_reads_it(world, fmt):
    api = admin_api(world)
    # The name and declared type are lies; the bytes decide.
    answer = upload(api, image_bytes(fmt), name="evil.svg.exe", content_type="text/html")
    assert answer.status_code == 200, answer.content
    assert answer.json()["content_type"] == "image/png"
    assert (answer.json()["width"], answer.json()["height"]) == (120, 40)

    viewer = admin_api(world, world.vera)
    shown = viewer.get("/api/v1/logo")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(shown.content)).format == "PNG"


@pytest.mark.django_db
def test_what_is_stored_is_a_fresh_png_without_what_rode_along(world):
    # A PNG with a script appended after its end and a text chunk: neither survives.
    out = io.BytesIO()
    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    Image.new("RGBA", (3000, 300), (0, 0, 0, 0)).save(out, format="PNG", pnginfo=info)
    data = out.getvalue() + b"<script>alert(2)</script>"
    assert upload(admin_api(world), data).status_code == 200
    logo = client_logo_get(client=world.acme.client)
    stored = bytes(logo.image)
    assert b"script" not in stored
    # Scaled to fit the letterhead box, transparency kept.
    assert (logo.width, logo.height) == (1200, 120)
    assert Image.open(io.BytesIO(stored)).mode == "RGBA"


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "status", "says"),
    [
        (SVG, 400, "SVG"),
        (b"  <svg onload='alert(1)'></svg>", 400, "SVG"),
        (b"GIF89a" + b"\0" * 40, 400, "PNG, JPEG or WebP"),
        (b"<html><script>alert(1)</script></html>", 400, "PNG, JPEG or WebP"),
        (image_bytes("PNG")[:60], 400, "PNG, JPEG or WebP"),  # truncated
        (image_bytes("BMP"), 400, "PNG, JPEG or WebP"),
        (image_bytes("PNG", size=(7000, 10)), 400, "pixels"),
        (b"", 400, "empty"),
        (b"\x89PNG" + b"\0" * (LOGO_MAX_BYTES + 1), 413, "KB"),
    ],
)
def test_bad_uploads_are_refused_in_the_one_error_shape(world, data, status, says):
    api = admin_api(world)
    answer = upload(api, data)
    assert answer.status_code == status, answer.content
    error = answer.json()["error"]
    assert says in " ".join(error["fields"]["file"]), error
    assert not ClientLogo.objects.exists()


@pytest.mark.django_db
def test_an_upload_without_a_file_is_refused_by_field(world):
    answer = admin_api(world).put("/api/v1/logo", {"picture": "x"}, format="multipart")
    assert answer.status_code == 400
    assert "file" in answer.json()["error"]["fields"]
    answer = admin_api(world).put("/api/v1/logo", {"file": "x"}, format="json")
    assert answer.status_code == 415


@pytest.mark.django_db
def test_replacing_and_deleting_are_audited_in_the_clients_log(world):
    api = admin_api(world)
    assert upload(api, image_bytes()).status_code == 200
    assert upload(api, image_bytes("JPEG", size=(60, 60))).status_code == 200
    assert api.delete("/api/v1/logo").status_code == 204
    assert api.delete("/api/v1/logo").status_code == 404
    assert api.get("/api/v1/logo").status_code == 404
    with tenant_context(world.acme.client):
        actions = list(
            AuditEntry.objects.filter(action__startswith="logo.")
            .order_by("id")
            .values_list("action", "actor_id")
        )
    assert actions == [
        ("logo.uploaded", world.alice.pk),
        ("logo.replaced", world.alice.pk),
        ("logo.deleted", world.alice.pk),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["vera", "rita"])
def test_viewers_and_responders_may_not_change_the_logo(world, who):
    api = admin_api(world, getattr(world, who))
    assert upload(api, image_bytes()).status_code == 403
    client_logo_set(client=world.acme.client, data=image_bytes(), actor=world.alice)
    assert api.delete("/api/v1/logo").status_code == 403
    assert ClientLogo.objects.filter(client=world.acme.client).exists()


@pytest.mark.django_db
def test_one_clients_logo_is_its_own(world):
    assert upload(admin_api(world), image_bytes()).status_code == 200
    _, token = api_token_create(client=world.globex.client, user=world.bob)
    globex = api_client(world.globex, token)
    assert globex.get("/api/v1/logo").status_code == 404
    assert globex.delete("/api/v1/logo").status_code == 404
    # Globex's token on Acme's host is refused.
    assert api_client(world.acme, token).delete("/api/v1/logo").status_code in (401, 403)
    assert client_logo_get(client=world.acme.client) is not None


@pytest.mark.django_db
def test_the_agency_admin_sets_the_agencys_logo_on_the_agency_host_only(world):
    agency = agency_api(world)
    answer = upload(agency, image_bytes(size=(300, 100)))
    assert answer.status_code == 200, answer.content
    assert agency.get("/api/v1/logo").status_code == 200
    logo = client_logo_get(client=agency_get())
    assert (logo.width, logo.height) == (300, 100)
    assert AgencyAuditEntry.objects.filter(action="logo.uploaded", client_slug="agency").exists()
    # A client admin has no say over it: the agency host refuses client tokens.
    _, token = api_token_create(client=world.acme.client, user=world.alice)
    stranger = APIClient(HTTP_HOST="localhost")
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert stranger.delete("/api/v1/logo").status_code in (401, 403)
    assert agency.delete("/api/v1/logo").status_code == 204
    assert client_logo_get(client=agency_get()) is None


@pytest.mark.django_db
def test_the_report_letterhead_carries_both_logos(world, in_acme):
    client_logo_set(client=world.acme.client, data=image_bytes(), actor=world.alice)
    head = letterhead_for(slice_=figures.Slice(), zone=figures.report_zone())
    assert head.client_logo.startswith("data:image/png;base64,")
    assert head.agency_logo == ""
    client_logo_set(client=agency_get(), data=image_bytes(size=(50, 50)), actor=world.ada)
    head = letterhead_for(slice_=figures.Slice(), zone=figures.report_zone())
    assert head.agency_logo.startswith("data:image/png;base64,")


@pytest.mark.django_db
def test_the_api_schema_describes_schedules_and_logos(world):
    schema = APIClient(HTTP_HOST=world.acme.host).get("/api/v1/schema/?format=json").json()
    public = APIClient(HTTP_HOST="localhost").get("/api/v1/schema/?format=json").json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/reports/schedules/"])
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/v1/reports/schedules/{id}/"])
    assert "post" in paths["/api/v1/reports/schedules/{id}/send-now"]
    assert "get" in paths["/api/v1/reports/schedules/{id}/deliveries/"]
    put = paths["/api/v1/logo"]["put"]
    assert "multipart/form-data" in put["requestBody"]["content"]
    assert "image/png" in paths["/api/v1/logo"]["get"]["responses"]["200"]["content"]
    assert {"get", "put", "delete"} <= set(public["paths"]["/api/v1/logo"])


@pytest.mark.django_db
@pytest.mark.skipif(shutil.which("pdfimages") is None, reason="needs poppler-utils")
def test_the_pdf_report_shows_the_client_and_agency_logos(world, in_acme, tmp_path):
    client_logo_set(client=world.acme.client, data=image_bytes(size=(240, 80)), actor=world.alice)
    client_logo_set(client=agency_get(), data=image_bytes(size=(90, 30)), actor=world.ada)
    pdf = admin_api(world, world.vera).get("/api/v1/reports/export.pdf")
    assert pdf.status_code == 200
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.content)
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    sizes = {tuple(line.split()[3:5]) for line in listing.splitlines()[2:]}
    assert sizes == {("240", "80"), ("90", "30")}
