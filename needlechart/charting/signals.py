"""What charting tells the rest of NeedleChart, without depending on it.

Both are sent inside the transaction that made the change, so a receiver's writes commit or roll back
with it. The outcomes app listens: a signed session or a new screening can change an episode's
progress reading (`needlechart.outcomes.reviews`).
"""

from django.dispatch import Signal

# sender=Visit, visit=the signed Visit
visit_signed = Signal()
# sender=Screening, screening=the new Screening (its patient's episodes may read it as a re-screen)
screening_recorded = Signal()
