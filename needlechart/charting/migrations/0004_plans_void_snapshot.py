"""Planned targets, discarded drafts, the signed record, append-only screenings and consents.

SQLite rebuilds a table to add a column with a default, and a rebuild drops the table's triggers, so
every charting trigger is dropped before the schema changes and created again after them, with the
SQL frozen here:

- a visit is locked once signed or discarded; so are its parts (needles, planned targets, palpation
  findings, adverse events, exercises): no INSERT into, UPDATE or DELETE of, or move into such a note;
- screenings and consents are append-only: a signed note rests on them, and a withdrawal is a new row.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from needlechart.common import guards

OLD_PARTS = ("charting_insertion", "charting_palpation", "charting_adverseevent", "charting_exerciseassignment")
PARTS = (*OLD_PARTS, "charting_plannedneedle")
CLOSED = "(SELECT signed_at IS NOT NULL OR discarded_at IS NOT NULL FROM charting_visit WHERE id = {row}.visit_id)"
SIGNED = "(SELECT signed_at FROM charting_visit WHERE id = {row}.visit_id) IS NOT NULL"
APPEND_ONLY = ("charting_screening", "charting_consent")


def drop_old(apps, schema_editor):
    guards.drop_lock(schema_editor, "charting_visit", "charting_visit_lock")
    for table in OLD_PARTS:
        guards.drop_lock(schema_editor, table, f"{table}_lock")
        guards.drop_insert_guard(schema_editor, table, f"{table}_insert_lock")
        guards.drop_update_guard(schema_editor, table, f"{table}_move_lock")


def withdrawals_become_rows(apps, schema_editor):
    """A consent withdrawn in place becomes a withdrawal row of its own, dated when it was withdrawn."""
    Consent = apps.get_model("charting", "Consent")
    for consent in Consent.objects.filter(withdrawn_at__isnull=False):
        Consent.objects.create(
            patient_id=consent.patient_id,
            modality=consent.modality,
            risks_explained=[],
            agreed=False,
            withdrawal=True,
            recorded_by_id=consent.recorded_by_id,
            recorded_at=consent.withdrawn_at,
        )


def create_new(apps, schema_editor):
    guards.lock_when(
        schema_editor,
        "charting_visit",
        "OLD.signed_at IS NOT NULL OR OLD.discarded_at IS NOT NULL",
        "charting_visit_lock",
    )
    for table in PARTS:
        guards.lock_when(schema_editor, table, CLOSED.format(row="OLD"), f"{table}_lock")
        guards.insert_guard(schema_editor, table, CLOSED.format(row="NEW"), f"{table}_insert_lock")
        guards.update_guard(schema_editor, table, CLOSED.format(row="NEW"), f"{table}_move_lock")
    for table in APPEND_ONLY:
        guards.append_only(schema_editor, table)


def drop_new(apps, schema_editor):
    guards.drop_lock(schema_editor, "charting_visit", "charting_visit_lock")
    for table in PARTS:
        guards.drop_lock(schema_editor, table, f"{table}_lock")
        guards.drop_insert_guard(schema_editor, table, f"{table}_insert_lock")
        guards.drop_update_guard(schema_editor, table, f"{table}_move_lock")
    for table in APPEND_ONLY:
        guards.drop_append_only(schema_editor, table)


def create_old(apps, schema_editor):
    guards.lock_when(schema_editor, "charting_visit", "OLD.signed_at IS NOT NULL", "charting_visit_lock")
    for table in OLD_PARTS:
        guards.lock_when(schema_editor, table, SIGNED.format(row="OLD"), f"{table}_lock")
        guards.insert_guard(schema_editor, table, SIGNED.format(row="NEW"), f"{table}_insert_lock")
        guards.update_guard(schema_editor, table, SIGNED.format(row="NEW"), f"{table}_move_lock")


class Migration(migrations.Migration):
    dependencies = [
        ("charting", "0003_lock_moves_into_signed_notes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_old, create_old),
        migrations.AddField(
            model_name="consent",
            name="withdrawal",
            field=models.BooleanField(default=False),
        ),
        migrations.AlterField(
            model_name="consent",
            name="recorded_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(withdrawals_become_rows, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="consent",
            name="withdrawn_at",
        ),
        migrations.AddField(
            model_name="insertion",
            name="de_qi",
            field=models.BooleanField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="insertion",
            name="depth_cun",
            field=models.DecimalField(blank=True, decimal_places=1, max_digits=3, null=True),
        ),
        migrations.AddField(
            model_name="screening",
            name="patient_confirmed_unchanged",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="screening",
            name="repeats",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="charting.screening",
            ),
        ),
        migrations.AddField(
            model_name="visit",
            name="discard_reason",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="visit",
            name="discarded_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="visit",
            name="discarded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="visit",
            name="field_versions",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="visit",
            name="nprs_before_not_taken",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="visit",
            name="retention_minutes",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="visit",
            name="signed_record",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="visit",
            name="tcm_pattern",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="visit",
            name="tcm_pulse",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="visit",
            name="tcm_tongue",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="insertion",
            name="retention_minutes",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="screening",
            name="performed_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.CreateModel(
            name="PlannedNeedle",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("target", models.CharField(max_length=40)),
                ("side", models.CharField(max_length=10)),
                ("gauge_mm", models.DecimalField(blank=True, decimal_places=2, max_digits=4, null=True)),
                ("length_mm", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("depth_mm", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("depth_cun", models.DecimalField(blank=True, decimal_places=1, max_digits=3, null=True)),
                (
                    "technique",
                    models.CharField(
                        choices=[
                            ("static", "Static"),
                            ("pistoning", "Pistoning (fast in and out)"),
                            ("winding", "Winding / rotation"),
                            ("de_qi", "De qi sought"),
                        ],
                        default="static",
                        max_length=20,
                    ),
                ),
                ("es_frequency_hz", models.DecimalField(blank=True, decimal_places=1, max_digits=6, null=True)),
                ("es_pulse_width_ms", models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True)),
                ("es_intensity_ma", models.DecimalField(blank=True, decimal_places=1, max_digits=5, null=True)),
                ("es_minutes", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("retention_minutes", models.PositiveSmallIntegerField(blank=True, null=True)),
                (
                    "lung_technique",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("rib_bracketing", "Rib bracketing (fingers over the ribs either side)"),
                            ("pincer", "Pincer grip, needle into the lifted muscle"),
                            ("tangential", "Tangential angle, away from the chest wall"),
                            ("ultrasound", "Ultrasound-guided"),
                            ("superficial", "Superficial needling only"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "planned_from",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="charting.visit"
                    ),
                ),
                (
                    "visit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="%(class)ss", to="charting.visit"
                    ),
                ),
            ],
            options={
                "ordering": ["id"],
            },
        ),
        migrations.RunPython(create_new, drop_new),
    ]
