"""Logo pages: a client admin uploads, replaces and removes the client's logo on the
client's Settings page, an agency admin the agency's on the agency host. Other roles and
other clients are refused; bad files get a plain-language error; the image is served only
to those who may see it, and the client's heads its pages."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from PIL import Image

from accounts.logos import LOGO_MAX_BYTES, client_logo_get
from accounts.models import AgencyAuditEntry
from accounts.security import agency_get
from tests.conftest import web_client

pytestmark = pytest.mark.django_db


def png(size=(200, 80), color=(0, 114, 178)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def post_logo(web, path: str, data: bytes, name: str = "logo.png"):
    return web.post(path, {"action": "upload", "file": SimpleUploadedFile(name, data, "image/png")})


def test_a_client_admin_uploads_replaces_and_removes_the_logo(world):
    web = web_client(world.acme, world.alice)
    page = web.get("/settings/")
    assert page.status_code == 200 and b"No logo yet." in page.content

    answer = post_logo(web, "/settings/", png())
    assert answer.status_code == 302 and answer["Location"] == "/settings/"
    page = web.get("/settings/")
    assert b"The logo is saved." in page.content
    assert b'src="/logo.png?v=' in page.content and b"200 \xc3\x97 80 pixels" in page.content

    assert post_logo(web, "/settings/", png((60, 60))).status_code == 302
    assert (client_logo_get(client=world.acme.client).width) == 60

    assert web.post("/settings/", {"action": "remove"}).status_code == 302
    assert client_logo_get(client=world.acme.client) is None
    assert b"No logo yet." in web.get("/settings/").content


@pytest.mark.parametrize("person", ["rita", "vera"])
def test_only_client_admins_open_the_settings_page_and_see_it_in_the_header(world, person):
    web = web_client(world.acme, getattr(world, person))
    assert web.get("/settings/").status_code == 403
    assert post_logo(web, "/settings/", png()).status_code == 403
    assert client_logo_get(client=world.acme.client) is None
    assert b'href="/settings/"' not in web.get("/").content
    assert b'href="/settings/"' in web_client(world.acme, world.alice).get("/").content


def test_an_admin_of_another_client_cannot_change_or_read_this_clients_logo(world):
    post_logo(web_client(world.acme, world.alice), "/settings/", png())
    bob = web_client(world.globex, world.bob)  # globex's admin, with his session on acme's host
    acme = {"HTTP_HOST": world.acme.host}
    assert bob.get("/settings/", **acme).status_code in (302, 403)
    upload = {"action": "upload", "file": SimpleUploadedFile("l.png", png((10, 10)))}
    assert bob.post("/settings/", upload, **acme).status_code in (302, 403)
    assert bob.get("/logo.png", **acme).status_code in (302, 403)
    assert client_logo_get(client=world.acme.client).width == 200
    # On his own host he sees his own client's logo: none.
    assert bob.get("/logo.png").status_code == 404
    assert b"header-logo" not in bob.get("/").content


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "a.png",
            b"SVG is not accepted",
        ),
        (b"this is not a picture", "logo.png", b"Not a readable PNG, JPEG or WebP image."),
        (b"", "logo.png", b"Choose an image file to upload"),
        (
            b"\x89PNG" + b"0" * LOGO_MAX_BYTES,
            "big.png",
            b"The file is too large: a logo may be at most 1 MB.",
        ),
    ],
    ids=["svg", "not-an-image", "empty", "too-large"],
)
def test_a_bad_file_is_refused_with_a_plain_error_and_the_old_logo_stays(world, data, name, says):
    web = web_client(world.acme, world.alice)
    post_logo(web, "/settings/", png())
    if data:
        answer = post_logo(web, "/settings/", data, name=name)
    else:
        answer = web.post("/settings/", {"action": "upload"})
    assert answer.status_code == 400
    assert says in answer.content and b'role="alert"' in answer.content
    assert client_logo_get(client=world.acme.client).width == 200


def test_members_read_the_logo_image_and_the_header_shows_it(world):
    vera = web_client(world.acme, world.vera)
    assert vera.get("/logo.png").status_code == 404
    assert b'class="header-logo"' not in vera.get("/").content

    post_logo(web_client(world.acme, world.alice), "/settings/", png())
    image = vera.get("/logo.png")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image["X-Content-Type-Options"] == "nosniff"
    assert image["Cache-Control"].startswith("private")
    assert Image.open(io.BytesIO(image.content)).size == (200, 80)
    assert b'class="header-logo" src="/logo.png?v=' in vera.get("/").content

    assert web_client(world.acme).get("/logo.png").status_code == 302  # to the login page


def test_the_agency_admin_sets_the_agency_logo_on_the_agency_host(world):
    ada = web_client(None, world.ada)
    assert b'href="/branding/"' in ada.get("/").content
    assert ada.get("/branding/").status_code == 200
    assert post_logo(ada, "/branding/", png((90, 30))).status_code == 302
    agency = agency_get()
    assert client_logo_get(client=agency).width == 90
    assert AgencyAuditEntry.objects.filter(action="logo.uploaded").exists()
    image = ada.get("/branding/logo.png")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert post_logo(ada, "/branding/", b"GIF89a nope").status_code == 400

    # Client admins (even on the agency host) do not reach it; the client keeps its own.
    alice = web_client(None, world.alice)
    assert alice.get("/branding/").status_code == 403
    assert alice.get("/branding/logo.png").status_code == 403
    assert post_logo(alice, "/branding/", png()).status_code == 403
    with tenant_context(world.acme.client):
        assert client_logo_get(client=world.acme.client) is None
    assert ada.post("/branding/", {"action": "remove"}).status_code == 302
    assert client_logo_get(client=agency) is None
