from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .throttle import forget_account_failures

        user_logged_in.connect(forget_account_failures, dispatch_uid="accounts.forget_failures")
