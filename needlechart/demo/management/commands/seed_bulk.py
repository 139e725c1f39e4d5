from django.core.management.base import BaseCommand, CommandError

from needlechart.demo.bulk import seed_bulk


class Command(BaseCommand):
    help = (
        "Add a large caseload to the demo clinic for load tests: patients with weekly visits, mostly signed "
        "(idempotent: a second run only tops up to the requested number)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=2000)
        parser.add_argument("--visits-per-patient", type=int, default=20)
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")

    def handle(self, *args, **options):
        if options["patients"] < 0 or options["visits_per_patient"] < 1:
            raise CommandError("--patients must be 0 or more and --visits-per-patient 1 or more.")
        progress = (lambda line: self.stdout.write(f"  {line}")) if options["verbosity"] > 1 else None
        stats = seed_bulk(
            patients=options["patients"],
            visits_per_patient=options["visits_per_patient"],
            seed=options["seed"],
            progress=progress,
        )
        self.stdout.write(stats.summary())
