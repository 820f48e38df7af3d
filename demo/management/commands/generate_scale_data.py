"""Grow the database to N synthetic couples with full courses, for benchmarks (bench/run.py)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.scale import scale_generate


class Command(BaseCommand):
    help = (
        "Add synthetic couples (SC-000001...) with sessions, notes, approvals, doses, vitals and scores until "
        "there are N in all; deterministic for a given --seed. For benchmark databases only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--couples", type=int, required=True, help="How many generated couples in all.")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, couples: int, seed: int, **options):
        if settings.PRODUCTION:
            raise CommandError("Synthetic cases are never written to a production database.")
        if couples < 0:
            raise CommandError("--couples must be 0 or more.")
        began = time.perf_counter()

        def progress(done: int) -> None:
            if done % 1000 == 0 or done == couples:
                self.stdout.write(f"  {done} couples ({time.perf_counter() - began:.0f} s)")

        added = scale_generate(couples=couples, seed=seed, progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Added {added} couples in {time.perf_counter() - began:.1f} s."))
