"""Indexes for the reads of the patient overview and the visit page, so that their cost does not grow
with the number of visits (measured at 400,000: `scripts/bench_web.py --visits-per-patient 200`):

- a patient's visits newest first (the overview's table and chart): with the id in the index the
  latest 52 are read straight from it, instead of reading and sorting all of the patient's visits;
- an episode's visits in date order (a note's course starts from the episode's first signed visit);
- a patient's screenings newest first (the latest one is the current precautions and the next visit's
  starting point): one index entry instead of a sort over every visit's screening.

Only CREATE INDEX: no table is rebuilt, so SQLite keeps its lock triggers. The indexes are database
operations only (`SeparateDatabaseAndState`), because the models' Meta may not be changed in this
change: moving them into `Visit.Meta.indexes` and `Screening.Meta.indexes` (same fields and names)
and giving this migration the same AddIndex operations as state operations keeps `makemigrations`
quiet then.
"""

from django.db import migrations, models

INDEXES = [
    ("visit", models.Index(fields=["patient", "-visit_date", "-id"], name="visit_patient_latest_idx")),
    ("visit", models.Index(fields=["episode", "visit_date", "id"], name="visit_episode_course_idx")),
    ("screening", models.Index(fields=["patient", "-performed_at", "-id"], name="screening_patient_latest_idx")),
]


class Migration(migrations.Migration):
    dependencies = [("charting", "0004_plans_void_snapshot")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AddIndex(model_name=model, index=index) for model, index in INDEXES],
            state_operations=[],
        )
    ]
