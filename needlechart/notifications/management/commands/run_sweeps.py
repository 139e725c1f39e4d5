"""`needlechart manage run_sweeps [--every SECONDS] [--only NAME ...]`: the due-work sweeps.

Once (cron, a systemd timer) by default: the exit status is 1 when a sweep failed. With `--every`
it runs until stopped (SIGTERM or Ctrl-C end it between passes), as `make run` does.
"""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from needlechart.notifications.sweeps import registered, run_sweeps


class Command(BaseCommand):
    help = "Run the registered sweeps (questionnaire reminders, stalled email...) once, or every N seconds."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--every", type=float, default=None, help="Run again every SECONDS until stopped.")
        parser.add_argument("--only", nargs="+", default=None, metavar="NAME", help="Run only these sweeps.")
        parser.add_argument(
            "--list", action="store_true", dest="list_sweeps", help="List the registered sweeps and exit."
        )

    def handle(
        self, *args: Any, every: float | None, only: list[str] | None, list_sweeps: bool, **options: Any
    ) -> None:
        if list_sweeps:
            for name, fn in sorted(registered().items()):
                self.stdout.write(f"{name}\t{fn.__module__}.{fn.__qualname__}")
            return
        if only:
            unknown = [name for name in only if name not in registered()]
            if unknown:
                raise CommandError(f"unknown sweep {', '.join(unknown)}; registered: {', '.join(sorted(registered()))}")
        if every is not None and every <= 0:
            raise CommandError("--every must be a number of seconds above 0")
        if every is None:
            if not self._pass(only, options["verbosity"]):
                raise CommandError("a sweep failed (see above)", returncode=1)
            return
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            close_old_connections()
            self._pass(only, options["verbosity"])
            close_old_connections()
            deadline = time.monotonic() + every
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.5, every))

    def _pass(self, only: list[str] | None, verbosity: int) -> bool:
        results = run_sweeps(only=only)
        for result in results:
            if not result.ok:
                self.stderr.write(f"{result.name}: failed: {result.error}")
            elif verbosity >= 2 or (verbosity >= 1 and result.handled):
                self.stdout.write(f"{result.name}: {result.handled} handled in {result.seconds:.2f} s")
        return all(result.ok for result in results)
