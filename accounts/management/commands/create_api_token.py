from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Client, TokenScope, User
from accounts.services import api_token_create
from config.errors import DomainError


class Command(BaseCommand):
    help = "Issue an API token for a user in one client and print it (shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", required=True)
        parser.add_argument("--user", required=True, help="e-mail address")
        parser.add_argument("--scope", choices=TokenScope.values, default=TokenScope.WRITE)
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        client = Client.objects.filter(slug=options["client"]).first()
        if client is None:
            raise CommandError(f"No client {options['client']!r}")
        user = User.objects.filter(email=options["user"].strip().lower()).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}")
        try:
            _, raw_key = api_token_create(
                client=client, user=user, scope=options["scope"], name=options["name"]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(raw_key)
