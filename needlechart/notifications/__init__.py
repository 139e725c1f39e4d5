"""Email messages and the background jobs that send them.

The contract for the rest of NeedleChart (the portal's invitations, reminders and check-ins):

    from needlechart.notifications.models import Kind
    from needlechart.notifications.services import EmailError, send_email

    email = send_email(
        clinic=clinic,                 # required: mail always goes out in a clinic's name
        to="ada@example.org",          # checked: EmailError("to", ...) names the field and the fix
        subject="Your check-in",       # one line, at most 200 characters
        text="How did you feel ...",   # the plain-text body (required); html="..." adds an alternative
        kind=Kind.CHECK_IN,            # invitation, reminder, check_in, sign_in, other (add yours to Kind)
        patient=patient,               # optional: the clinic's patient it concerns (audited with it)
        send_after=visit_end + timedelta(hours=24),  # optional: not before then
        key=f"check-in:{visit_token}",  # optional: at most one message per key and clinic
        sensitive=True,                # optional: it carries a link; never shown, removed once sent
        actor=request.user, context=request,  # optional: who caused it, and the request (audit)
    )  # -> OutboundEmail, status "queued"

- The row and its audit row are written in one transaction; the delivery job is queued when the
  caller's transaction commits (nothing is sent for a rolled-back one). Call it inside your own
  `transaction.atomic` with the change that causes the message.
- The worker (`needlechart manage db_worker`) sends it From "<clinic name> <DEFAULT_FROM_EMAIL>",
  Reply-To the clinic's email when it has one; a job that runs twice sends once; a refusal to try
  later is retried with growing delays, then the row is marked failed with the reason, which the
  clinic's Mail page (/mail/) shows with "Send again".
- Due work (reminders when a questionnaire is due) is a sweep: `@sweep("portal.reminders")` on a
  function `(now) -> int` that calls send_email with a `key`; see `sweeps.py`.
- Tests: the `smtp_server` and `mail_worker` fixtures (tests/mail_fixtures.py) run real SMTP and the
  real worker.
"""
