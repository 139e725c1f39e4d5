"""Whether a patient has a portal account: everything the portal adds to the clinic's pages (the
portal panel, what was logged between visits, the online consent and the intake's drawing) exists
only for a patient who has one, so a page asks this first and reads nothing more when there is none.

The account row stays when the clinic turns access off, so what the patient sent before is still
shown. A page whose own query selected the account with the patient (`select_related` of
`portal_account`, as the overview and the visit page do) answers without another query.
"""

from __future__ import annotations

from typing import Any

from needlechart.patients.models import Patient

from .models import PortalAccount


def account_of(patient: Any) -> PortalAccount | None:
    """The patient's portal account, active or not, or None; read once per patient object."""
    relation = Patient.portal_account  # the reverse one-to-one descriptor
    if not relation.is_cached(patient):
        found = PortalAccount.objects.filter(patient_id=patient.pk).first()
        relation.related.set_cached_value(patient, found)
        if found is not None:
            found.patient = patient
    return getattr(patient, "portal_account", None)
