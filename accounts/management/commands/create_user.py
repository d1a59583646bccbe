from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Client, Role
from accounts.services import user_create_or_update
from config.errors import DomainError


class Command(BaseCommand):
    help = "Create a user (or update one) and give them a role in a client."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--client", help="client slug; not needed for agency_admin")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        client = None
        if options["client"]:
            client = Client.objects.filter(slug=options["client"]).first()
            if client is None:
                raise CommandError(f"No client {options['client']!r}")
        try:
            user = user_create_or_update(
                email=options["email"],
                password=options["password"],
                name=options["name"],
                client=client,
                role=options["role"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        where = client.slug if client else "every client"
        self.stdout.write(self.style.SUCCESS(f"{user.email} is {options['role']} in {where}"))
