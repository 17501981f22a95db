"""admin_role USERNAME security|audit|none — the installer appoints the security
administrator or the security auditor (三员分立; the system administrator is the `admin`
role of import_users). Exit 1 with the reason when the rules refuse it."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from lifecycle import services


class Command(BaseCommand):
    help = "Appoint a security administrator (security) or security auditor (audit), or none."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=[*services.ADMIN_ROLES, "none"])

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no such user: {options['username']}", returncode=1)
        try:
            services.admin_role_grant(user=user, role=options["role"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages), returncode=1) from exc
        self.stdout.write(f"{user.get_username()}: {options['role']}")
