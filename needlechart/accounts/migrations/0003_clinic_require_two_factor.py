"""Clinic.require_two_factor: off for the clinics that exist now, on for every clinic created later.

The column is added with False, so current deployments and the demo clinic sign in as before (their
staff have no authenticators yet; a clinic admin turns it on when the staff are ready). The second
step makes True the default, in Python and in the database, for clinics created from then on.
"""

from django.db import migrations, models

HELP = "Every member of staff signs in with a code from an authenticator app as well as the password."


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_clinic_time_zone"),
    ]

    operations = [
        migrations.AddField(
            model_name="clinic",
            name="require_two_factor",
            field=models.BooleanField(default=False, help_text=HELP),
        ),
        migrations.AlterField(
            model_name="clinic",
            name="require_two_factor",
            field=models.BooleanField(db_default=True, default=True, help_text=HELP),
        ),
    ]
