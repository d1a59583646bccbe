from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import client_domain
from config.errors import DomainError
from sources.services.onboarding import client_create


class Command(BaseCommand):
    help = "Create a client: its own schema, domain <slug>.localhost and default routing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            client = client_create(slug=options["slug"], name=options["name"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Created {client.name}: http://{client_domain(client.slug)}:8000/")
        )
