"""Make a personal API token for a user and print its secret, and nothing else, so a
script can capture it: `TOKEN=$(python manage.py api_token alice --name ci)`.

Writes through the same orchestrators as the API tokens page. `--create-user` signs
the user up first when there is no such user (with a random password nobody knows:
such a user signs in with the token only, until an admin sets a password).
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from pydantic import SecretStr, ValidationError

from accounts.contracts import CreateApiToken, SignUp
from accounts.orchestrators import create_api_token, sign_up


class Command(BaseCommand):
    help = "Create an API token for a user and print its secret (only the secret)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="what the token is known by")
        parser.add_argument(
            "--create-user",
            action="store_true",
            help="sign the user up first when there is no such user",
        )
        parser.add_argument(
            "--time-zone",
            default=settings.TIME_ZONE,
            help="the time zone of a user made with --create-user",
        )

    def handle(self, *args, username, name, create_user, time_zone, **options):
        now = timezone.now()
        user = get_user_model().objects.filter(username=username).first()
        if user is not None:
            user_id = user.pk
        elif create_user:
            try:
                command = SignUp(
                    username=username,
                    password=SecretStr(secrets.token_urlsafe(32)),
                    time_zone=time_zone,
                )
            except ValidationError as exc:
                raise CommandError(str(exc)) from exc
            account = sign_up(command, now=now)
            if not account.ok:
                raise CommandError(account.error.message)
            user_id = account.data.user_id
        else:
            raise CommandError(f"There is no user “{username}” (add --create-user to make one).")
        try:
            command = CreateApiToken(name=name)
        except ValidationError as exc:
            raise CommandError(str(exc)) from exc
        token = create_api_token(command, actor_id=user_id, now=now)
        if not token.ok:
            raise CommandError(token.error.message)
        self.stdout.write(token.data.secret)
