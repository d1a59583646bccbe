from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import ApiToken, Client, TokenScope, User
from accounts.services import api_token_create
from config.errors import DomainError


class Command(BaseCommand):
    help = "Issue an API token for a user in one client and print it (shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", required=True)
        parser.add_argument("--user", required=True, help="e-mail address")
        parser.add_argument("--scope", choices=TokenScope.values, default=TokenScope.WRITE)
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="refused after this many days"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        client = Client.objects.filter(slug=options["client"]).first()
        if client is None:
            raise CommandError(f"No client {options['client']!r}")
        user = User.objects.filter(email=options["user"].strip().lower()).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}")
        try:
            token, raw_key = api_token_create(
                client=client, user=user, scope=options["scope"], name=options["name"]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        days = options["expires_days"]
        if days is not None:
            if days <= 0:
                raise CommandError("--expires-days must be a positive number")
            ApiToken.objects.filter(pk=token.pk).update(
                expires_at=timezone.now() + timedelta(days=days)
            )
        self.stdout.write(raw_key)
