"""Measurements that need a process of their own (run by bench/run.py): `python -m bench.probes export|copy`.

export: every couple in the database written to the two CSV files of a case report export with
jobs.exports.export_csv_write, as export_build writes them (without the ZIP of PDF case reports, which is timed
apart as a PDF). copy: the reference, PostgreSQL's COPY ... TO STDOUT of the very same queries
(jobs.exports.export_queries) into files. Each prints one JSON line: time, rows, and the process's resident
memory before, during and at its peak.
"""

import io
import json
import resource
import sys
import tempfile
import time
from pathlib import Path


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def export() -> dict:
    import django

    django.setup()
    from cases.models import Couple
    from jobs import exports

    couples = Couple.objects.count()
    # Warm-up on no couple at all: imports, query compilation and the first connection are not the export's memory.
    exports.export_csv_write(filters={"status": "-"}, sessions_file=io.StringIO(), couples_file=io.StringIO())
    before = rss_mb()
    samples = []
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kap-bench-export-") as tmp:
        with (
            open(Path(tmp) / "sessions.csv", "w", newline="", encoding="utf-8") as sessions_file,
            open(Path(tmp) / "couples.csv", "w", newline="", encoding="utf-8") as couples_file,
        ):
            exports.export_csv_write(
                filters={},
                sessions_file=sessions_file,
                couples_file=couples_file,
                alive=lambda: samples.append(rss_mb()),
            )
        seconds = time.perf_counter() - began
        session_rows = sum(1 for _ in open(Path(tmp) / "sessions.csv", encoding="utf-8")) - 1
        size_mb = sum(f.stat().st_size for f in Path(tmp).iterdir()) / 1e6
    return {
        "couples": couples,
        "session_rows": session_rows,
        "seconds": seconds,
        "rss_before_mb": before,
        "rss_during_max_mb": max(samples or [before]),
        "rss_end_mb": rss_mb(),
        "rss_peak_mb": _peak_mb(),
        "file_mb": size_mb,
    }


def copy() -> dict:
    import django

    django.setup()
    from django.db import connection

    from jobs import exports

    exports.export_queries({})  # the same warm-up as the export's
    before = rss_mb()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kap-bench-copy-") as tmp:
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg2's own cursor, for copy_expert
            for name, queryset in exports.export_queries({}).items():
                sql, params = queryset.query.sql_with_params()
                statement = raw.mogrify(sql, params).decode()
                with open(Path(tmp) / f"{name}.csv", "w", encoding="utf-8") as target:
                    raw.copy_expert(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)", target)
        seconds = time.perf_counter() - began
        session_rows = sum(1 for _ in open(Path(tmp) / "sessions.csv", encoding="utf-8"))
    return {"session_rows": session_rows, "seconds": seconds, "rss_before_mb": before, "rss_peak_mb": _peak_mb()}


if __name__ == "__main__":
    probes = {"export": export, "copy": copy}
    if len(sys.argv) != 2 or sys.argv[1] not in probes:
        sys.exit(f"usage: python -m bench.probes {{{','.join(probes)}}}")
    print(json.dumps(probes[sys.argv[1]]()))
