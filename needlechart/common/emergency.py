"""The emergency number the urgent screens call (the self-check, the intake, the check-in).

NeedleChart cannot know the country it serves: a deployment sets NEEDLECHART_EMERGENCY_NUMBER (read
by the settings). Without it the screens offer the common numbers as tap-to-call links.
"""

from __future__ import annotations

from django.conf import settings

# Shown when the deployment has not set its emergency number.
EXAMPLE_NUMBERS = (("911", "USA, Canada"), ("999", "UK"), ("112", "Europe, most mobiles"))


def local_number() -> str:
    """The deployment's emergency number, or "" when it is not known."""
    return str(getattr(settings, "NEEDLECHART_EMERGENCY_NUMBER", "") or "").strip()
