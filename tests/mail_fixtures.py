"""Fixtures for tests that send real mail through the real queue (registered in tests/conftest.py).

- `smtp_server`: a real SMTP server (aiosmtpd) on a loopback port the kernel picks as it binds, and
  the settings switched to Django's SMTP backend pointing at it. `smtp_server.messages` holds what it accepted (parsed
  `email.message.EmailMessage`s); `smtp_server.refuse(n, code=451)` answers the next n messages with
  that code (4xx: try later; 5xx: never); `smtp_server.delay = 0.05` slows each message down.
- `mail_worker`: runs the real worker: `mail_worker.run()` is `needlechart manage db_worker --batch`
  (django-tasks-db's own command, in this process) until no job is ready, and returns how many jobs it
  finished; `mail_worker.run_concurrently(2)` runs that many of django-tasks-db's worker loops at once,
  each in its own thread with its own database connection, and returns each worker's id.
  It needs committed rows (a worker reads the database, not the test's transaction), so it brings
  `transactional_db`: the test's writes commit, `transaction.on_commit` fires as in production, and
  the workers see the test's data on SQLite (a file) and PostgreSQL alike.
- `quick_retries`: retries after 0 s instead of minutes (NEEDLECHART_EMAIL_RETRY_SECONDS = 0, 0).

    def test_invitation_is_delivered(smtp_server, mail_worker):
        send_email(clinic=..., to="ada@example.org", subject="...", text="...", kind="invitation")
        mail_worker.run()
        assert smtp_server.messages[0]["To"] == "ada@example.org"
"""

from __future__ import annotations

import email
import email.policy
import logging
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        owner = self.server
        if owner.delay:
            await asyncio.sleep(owner.delay)
        with owner.lock:
            if owner.refusals:
                owner.refusals -= 1
                owner.refused += 1
                return f"{owner.refusal_code} {owner.refusal_text}"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            owner.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    refusals: int = 0
    refused: int = 0
    refusal_code: int = 451
    refusal_text: str = "4.3.0 Try again later"
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.received]

    def refuse(self, count: int, *, code: int = 451, text: str | None = None) -> None:
        """Answer the next `count` messages with `code` instead of accepting them."""
        with self.lock:
            self.refusals = count
            self.refusal_code = code
            self.refusal_text = text or ("4.3.0 Try again later" if code < 500 else "5.1.1 No such mailbox")


@contextmanager
def refusing_port(host: str = "127.0.0.1") -> Iterator[int]:
    """A port where nothing listens, held for the block: bound but not listening, so a connection to
    it is refused, and no other process (another xdist worker's SMTP server) can take it meanwhile."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        yield int(s.getsockname()[1])


def _controller(handler: _Handler, host: str) -> Any:
    """aiosmtpd's Controller on a port the kernel picks as it binds (port 0), read back from the
    listening socket: a port chosen first and bound later could be taken in between by another
    process (tests run in parallel under pytest-xdist)."""
    from aiosmtpd.controller import Controller

    class BoundController(Controller):
        def _trigger_server(self) -> None:  # after the bind, before aiosmtpd's first connection
            self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

    return BoundController(handler, hostname=host, port=0)


@pytest.fixture
def smtp_server(settings):
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's every connection, otherwise
    server = SmtpServer()
    controller = _controller(_Handler(server), server.host)
    controller.start()
    server.port = controller.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "noreply@needlechart.test"
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def quick_retries(settings):
    settings.NEEDLECHART_EMAIL_RETRY_SECONDS = (0, 0)
    return settings.NEEDLECHART_EMAIL_RETRY_SECONDS


class MailWorker:
    """The real worker of django-tasks-db against the test database."""

    def __init__(self) -> None:
        self.runs = 0

    def run(self) -> int:
        """`db_worker --batch`: every ready job, then return how many finished during the run."""
        from django.core.management import call_command
        from django.utils import timezone
        from django_tasks_db.models import DBTaskResult

        started = timezone.now()
        self.runs += 1
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
        try:
            call_command(
                "db_worker",
                "--batch",
                "--no-startup-delay",
                "--no-reload",
                "--interval=0",
                "--queue-name=*",
                f"--worker-id=test-{self.runs}",
                verbosity=0,
            )
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)
        return DBTaskResult.objects.filter(finished_at__gte=started).count()

    def run_concurrently(self, workers: int, *, timeout: float = 60) -> list[str]:
        """`workers` worker loops at once (threads, one database connection each), until no job is
        ready; returns their ids. A worker that raised fails the test."""
        from django.db import connections
        from django_tasks_db.management.commands.db_worker import Worker

        ids = [f"concurrent-{self.runs}-{n}" for n in range(workers)]
        self.runs += 1
        errors: list[BaseException] = []
        barrier = threading.Barrier(workers)

        def loop(worker_id: str) -> None:
            try:
                barrier.wait(timeout=timeout)
                Worker(
                    queue_names=["*"],
                    interval=0,
                    batch=True,
                    backend_name="default",
                    startup_delay=False,
                    max_tasks=None,
                    worker_id=worker_id,
                    excluded_queue_names=[],
                ).run()
            except BaseException as exc:  # noqa: BLE001 - reported to the test below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=loop, args=(worker_id,), daemon=True) for worker_id in ids]
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in threads):
            pytest.fail(f"a worker did not finish within {timeout} s")
        if errors:
            raise errors[0]
        return ids


@pytest.fixture
def mail_worker(transactional_db):
    return MailWorker()
