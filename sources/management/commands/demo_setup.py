"""Set up the demo: the agency, two clients, their staff and a webhook source each."""

from __future__ import annotations

import contextlib
import io
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Client, Membership, Role, User
from accounts.services import agency_ensure, client_domain, user_create_or_update
from config.errors import DomainError
from mentions.models import SavedReply
from mentions.responses import saved_reply_create
from routing.models import Department, StaffMember, Team
from routing.services import routing_apply_preset
from routing.services.assignment import staff_upsert
from routing.training.library.content import LIBRARY, STARTER_GUIDELINES, STARTER_LEVELS
from routing.training.services import (
    library_templates_ensure,
    staff_certification_set,
    training_starter_apply,
)
from sources.demo_content import DEMO_CLIENTS
from sources.models import Source
from sources.services import demo_source_ensure
from sources.services.demo_history import HISTORY_DAYS, demo_history_write, history_needed
from sources.services.onboarding import client_create

DEMO_PASSWORD = "lotse-demo"  # noqa: S105 - a published demo password, local use only
DEMO_SOURCE_NAME = "Demo stream"
PORT = 8000

AGENCY_ADMIN = ("admin@agency.localhost", Role.AGENCY_ADMIN, "Ada Agency")

# Per client: (local part of the e-mail, role, name).
DEMO_STAFF: dict[str, list[tuple[str, str, str]]] = {
    "nordbahn": [
        ("admin", Role.CLIENT_ADMIN, "Nora Brandt"),
        ("care", Role.RESPONDER, "Kai Lorenz"),
        ("tech", Role.RESPONDER, "Tariq Haddad"),
        ("viewer", Role.VIEWER, "Vera Sommer"),
    ],
    "brightcell": [
        ("admin", Role.CLIENT_ADMIN, "Beth Carter"),
        ("care", Role.RESPONDER, "Chris Doyle"),
        ("tech", Role.RESPONDER, "Tomasz Nowak"),
        ("viewer", Role.VIEWER, "Vivian Lee"),
    ],
}
DEFAULT_STAFF = [
    ("admin", Role.CLIENT_ADMIN, "Demo Admin"),
    ("care", Role.RESPONDER, "Demo Care"),
    ("tech", Role.RESPONDER, "Demo Tech"),
    ("viewer", Role.VIEWER, "Demo Viewer"),
]


# Each demo client starts from its industry's routing matrix.
DEMO_PRESETS = {"nordbahn": "transport", "brightcell": "telecom"}


def demo_staff(slug: str) -> list[tuple[str, str, str]]:
    """(e-mail, role, name) of a demo client's staff."""
    return [
        (f"{local}@{slug}.localhost", role, name)
        for local, role, name in DEMO_STAFF.get(slug, DEFAULT_STAFF)
    ]


DEMO_SAVED_REPLIES = (
    (
        "Entschuldigung",
        "de",
        "Hallo {author}, das tut uns leid! Schreib uns bitte per DM, dann kümmern wir uns.",
    ),
    ("Danke", "de", "Danke für dein Lob, {author}! Wir geben es ans Team weiter."),
    ("Apology", "en", "Hi {author}, we're sorry about this! Please DM us and we'll sort it out."),
    ("Thanks", "", "Thank you, {author}! The {brand} team"),
)


class Command(BaseCommand):
    help = (
        "Create the demo (idempotent): the agency with an agency admin, the clients "
        f"{', '.join(DEMO_CLIENTS)} with staff, and a webhook source '{DEMO_SOURCE_NAME}' "
        f"each. Every demo login uses the password {DEMO_PASSWORD!r}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--history-days",
            type=int,
            default=HISTORY_DAYS,
            help=f"days of generated back history per client (default {HISTORY_DAYS}; 0 for "
            "none). Written once, for clients without history.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        history_days: int = options["history_days"]
        if history_days < 0:
            raise CommandError("--history-days must not be negative")
        self.changes = 0
        try:
            agency_ensure()
            self._user(email=AGENCY_ADMIN[0], role=AGENCY_ADMIN[1], name=AGENCY_ADMIN[2])
            if library_templates_ensure(templates=LIBRARY):
                self._done(f"Stored {len(LIBRARY)} template modules in the agency's library")
            for slug, name in DEMO_CLIENTS.items():
                client = self._client(slug=slug, name=name)
                for email, role, person in demo_staff(slug):
                    self._user(email=email, role=role, name=person, client=client)
                self._source(client)
                self._staff(client)
                self._saved_replies(client)
                self._training(client)
                if history_days:
                    self._history(client, days=history_days)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if not self.changes:
            self.stdout.write("The demo is set up already; nothing to do.")
        self._logins()

    def _done(self, message: str) -> None:
        self.changes += 1
        self.stdout.write(self.style.SUCCESS(message))

    def _client(self, *, slug: str, name: str) -> Client:
        client = Client.objects.filter(slug=slug).first()
        if client is not None:
            return client
        self.stdout.write(f"Creating client {name} (a schema of its own takes a few seconds)…")
        # Creating the schema runs every migration verbosely; keep that out of the way unless
        # it fails.
        migration_log = io.StringIO()
        try:
            with contextlib.redirect_stdout(migration_log):
                client = client_create(slug=slug, name=name)
        except Exception:
            self.stderr.write(migration_log.getvalue())
            raise
        preset = DEMO_PRESETS.get(slug)
        if preset:
            with tenant_context(client):
                routing_apply_preset(preset=preset, by=None)
        self._done(f"Created client {name} at http://{client_domain(slug)}:{PORT}/")
        return client

    def _user(self, *, email: str, role: str, name: str, client: Client | None = None) -> None:
        """Create the user or repair them (role, password, active); leave a correct one be."""
        user = User.objects.filter(email=email).first()
        if user is None:
            user_create_or_update(
                email=email, password=DEMO_PASSWORD, name=name, client=client, role=role
            )
            self._done(f"Created {email} ({role})")
            return
        has_role = Membership.objects.filter(user=user, client=client, role=role).exists()
        password_ok = user.check_password(DEMO_PASSWORD)
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
            self._done(f"Reactivated {email}")
        if not has_role or not password_ok:
            user_create_or_update(
                email=email,
                password=None if password_ok else DEMO_PASSWORD,
                name=user.name or name,
                client=client,
                role=role,
            )
            what = [] if has_role else [f"role {role}"]
            what += [] if password_ok else ["the demo password"]
            self._done(f"Reset {email}: {' and '.join(what)}")

    def _staff(self, client: Client) -> None:
        """Care and tech agents work in their departments; tech in a round-robin team."""

        with tenant_context(client):
            tech = Department.objects.filter(slug="tech-support").first()
            if tech is None or StaffMember.objects.exists():
                return
            team, _ = Team.objects.get_or_create(
                department=tech, slug="app", defaults={"name": "App and website"}
            )
            for local, department, teams in (
                ("care", "customer-care", []),
                ("tech", "tech-support", [team]),
            ):
                user = User.objects.filter(email=f"{local}@{client.slug}.localhost").first()
                if user is not None:
                    staff_upsert(
                        user_id=user.pk,
                        name=user.display_name,
                        departments=[department],
                        teams=teams,
                        languages=["de", "en"],
                    )
            # The care agent is certified and answers publicly at once; the tech agent is
            # not yet, so their public replies wait in the approval queue.
            care = User.objects.filter(email=f"care@{client.slug}.localhost").first()
            admin = User.objects.filter(email=AGENCY_ADMIN[0]).first()
            if care is not None and admin is not None:
                staff_certification_set(user=care, certified=True, by=admin)
            self.changes += 1

    def _training(self, client: Client) -> None:
        """The library's modules, levels that need them, assignments and the guidelines.
        Everyone but the tech agent has acknowledged the guidelines; the tech agent is the
        uncertified one who takes the training (the care agent holds certificates)."""
        admin = User.objects.filter(email=AGENCY_ADMIN[0]).first()
        if admin is None:
            return
        people = User.objects.filter(email__endswith=f"@{client.slug}.localhost").exclude(
            email=f"tech@{client.slug}.localhost"
        )
        with tenant_context(client):
            done = training_starter_apply(
                by=admin,
                levels=STARTER_LEVELS,
                guidelines=STARTER_GUIDELINES,
                acknowledge_user_ids=[admin.pk, *people.values_list("pk", flat=True)],
            )
        if done:
            self._done(f"Set up training (library modules, levels, guidelines) for {client.name}")

    def _saved_replies(self, client: Client) -> None:
        """A few reply templates per client, so the composer has something to offer."""

        admin = User.objects.filter(email=AGENCY_ADMIN[0]).first()
        with tenant_context(client):
            if admin is None or SavedReply.objects.exists():
                return
            for title, language, text in DEMO_SAVED_REPLIES:
                saved_reply_create(
                    data={"title": title, "language": language, "text": text}, by=admin
                )
        self._done(f"Added {len(DEMO_SAVED_REPLIES)} saved replies for {client.name}")

    def _source(self, client: Client) -> None:
        with tenant_context(client):
            source, changed = demo_source_ensure(name=DEMO_SOURCE_NAME, account=client.slug)
        if changed:
            self._done(
                f"Source '{DEMO_SOURCE_NAME}' (id {source.pk}) for {client.name}: pushed by "
                "demo_stream, answered on the demo network"
            )

    def _history(self, client: Client, *, days: int) -> None:
        with tenant_context(client):
            source = Source.objects.get(name=DEMO_SOURCE_NAME)
            if not history_needed(source=source, now=timezone.now()):
                return
            self.stdout.write(f"Writing {days} days of back history for {client.name}…")
            started = time.monotonic()

            def progress(done: int, total: int) -> None:
                if done == total or done * 10 // total != (done - 1) * 10 // total:
                    self.stdout.write(f"  {done * 100 // total:3d} % ({done} of {total} days)")

            responders = [
                (user.pk, user.display_name)
                for local in ("care", "tech")
                for user in User.objects.filter(email=f"{local}@{client.slug}.localhost")
            ]
            outcome = demo_history_write(
                source=source,
                client_slug=client.slug,
                time_zone=client.time_zone,
                responders=responders,
                days=days,
                progress=progress,
            )
        self._done(
            f"Wrote {outcome.mentions:,} mentions since {outcome.first_day:%d %b %Y} for "
            f"{client.name} in {time.monotonic() - started:.0f} s (care set up "
            f"{outcome.care_start:%d %b %Y}, a crisis week from {outcome.crisis_start:%d %b %Y})"
        )

    def _logins(self) -> None:
        agency_email, agency_role, agency_name = AGENCY_ADMIN
        groups: list[tuple[str, str, list[tuple[str, str, str]]]] = [
            (
                "Agency",
                f"http://{settings.LOTSE_BASE_DOMAIN}:{PORT}/",
                [(agency_email, str(agency_role), agency_name)],
            )
        ]
        for slug, client_name in DEMO_CLIENTS.items():
            groups.append((client_name, f"http://{client_domain(slug)}:{PORT}/", demo_staff(slug)))
        email_width = max(len(email) for *_, people in groups for email, _, _ in people)
        role_width = max(len(str(role)) for *_, people in groups for _, role, _ in people)

        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Demo logins"))
        self.stdout.write(f"Password for every login: {self.style.SUCCESS(DEMO_PASSWORD)}")
        for where, url, people in groups:
            self.stdout.write("")
            self.stdout.write(f"  {self.style.MIGRATE_LABEL(where)}  {url}")
            for email, role, name in people:
                self.stdout.write(f"    {email:<{email_width}}  {role!s:<{role_width}}  {name}")
        self.stdout.write("")
        self.stdout.write(
            "Start the web server on port 8000 and a Celery worker, then run "
            "`manage.py demo_stream` to feed the demo sources. Browsers resolve *.localhost "
            "to this machine."
        )
