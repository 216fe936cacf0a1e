"""Make a VAPID key pair for browser push and print it as environment lines, to paste
into the server's environment (or an env file):

    VAPID_PRIVATE_KEY=...
    VAPID_PUBLIC_KEY=...

The private key is a secret, like SECRET_KEY. Browsers subscribe to one public key: a
new pair means every browser has to turn push on again.
"""

from django.core.management.base import BaseCommand

from notifications.push import new_key_pair


class Command(BaseCommand):
    help = "Make a VAPID key pair for browser push and print the environment lines."

    def handle(self, *args, **options):
        private, public = new_key_pair()
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}")
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}")
