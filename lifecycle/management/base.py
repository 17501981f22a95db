"""Shared behaviour of govmedia's management commands (DESIGN §8 CLI contract)."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation


class GovCommand(BaseCommand):
    """Bad options exit 1 like bad input (argparse's own convention is 2), with its usage
    line and message and no traceback. Commands speak settings.LANGUAGE_CODE (Chinese),
    whatever language the caller had active: messages from Django and DRF (password
    validators, field errors) come out in the same language as ours."""

    def execute(self, *args: Any, **options: Any) -> Any:
        with translation.override(settings.LANGUAGE_CODE):
            return super().execute(*args, **options)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any):
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def error(message: str) -> None:
            if parser.called_from_command_line:
                parser.print_usage(sys.stderr)
                sys.stderr.write(f"{parser.prog}: error: {message}\n")
                sys.exit(1)
            raise CommandError(f"Error: {message}")

        parser.error = error  # type: ignore[method-assign]
        return parser
