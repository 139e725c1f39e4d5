from django.core.management.base import BaseCommand

from needlechart.demo.seed import logins, seed


class Command(BaseCommand):
    help = "Create the demo clinic, its staff and patients (idempotent) and print the logins."

    def handle(self, *args, **options):
        clinic = seed()
        self.stdout.write(f"Demo clinic: {clinic.name} ({clinic.patients.count()} patients)")
        self.stdout.write(logins())
