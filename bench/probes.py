"""Measurements that need a process of their own (run by bench/run.py): `python -m bench.probes export`.

export: every couple in the database written to the two CSV files of a case report export (sessions and
couples), with jobs.exports' own chunked reads and row builders, as export_build writes them (without the ZIP of
PDF case reports, which is timed apart as a PDF). Prints one JSON line: time, rows, and the process's resident
memory before, a tenth of the way through, at the end and at its peak, so that memory at 1,000 and 10,000 couples
can be compared.
"""

import csv
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


def export() -> dict:
    import django

    django.setup()
    from cases.models import Couple
    from jobs import exports

    couples = Couple.objects.count()
    before = rss_mb()
    began = time.perf_counter()
    session_rows = done = 0
    tenth = None
    with tempfile.TemporaryDirectory(prefix="kap-bench-export-") as tmp:
        with open(Path(tmp) / "sessions.csv", "w", newline="", encoding="utf-8") as sessions_file, \
                open(Path(tmp) / "couples.csv", "w", newline="", encoding="utf-8") as couples_file:
            sessions_csv, couples_csv = csv.writer(sessions_file), csv.writer(couples_file)
            sessions_csv.writerow(exports.SESSION_COLUMNS)
            couples_csv.writerow(exports.COUPLE_COLUMNS)
            for chunk in exports._couple_chunks({}):
                done += len(chunk)
                if tenth is None and done >= couples / 10:
                    tenth = rss_mb()  # where memory stands a tenth of the way: the rest should not add to it
                for couple in chunk:
                    for row in exports._session_rows(couple):
                        sessions_csv.writerow([exports._safe(v) for v in row])
                        session_rows += 1
                    couples_csv.writerow([exports._safe(v) for v in exports._couple_row(couple)])
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    return {"couples": couples, "session_rows": session_rows, "seconds": seconds, "rss_before_mb": before,
            "rss_at_tenth_mb": tenth or before, "rss_end_mb": rss_mb(), "rss_peak_mb": peak}


if __name__ == "__main__":
    probes = {"export": export}
    if len(sys.argv) != 2 or sys.argv[1] not in probes:
        sys.exit(f"usage: python -m bench.probes {{{','.join(probes)}}}")
    print(json.dumps(probes[sys.argv[1]]()))
