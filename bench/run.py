"""`make bench`: the pages and background work at 100 and 10,000 couples, as one table.

Needs only the repository, the local PostgreSQL (postgres@127.0.0.1, trust auth) and Redis. It creates a
throwaway database (kapcouples_bench), migrates it, generates 100 couples and measures, grows them to 1,000
(for the export's memory) and to 10,000 and measures again, then drops the database. Progress goes to stderr;
the table goes to stdout and to var/bench/latest.md.

What is measured, and how:
- pages: Django's test client in-process (server time: middleware, view, queries, template), --requests
  timed requests per page after warm-up; the SQL queries of one more request are counted;
- throughput: gunicorn (--workers sync workers) on 127.0.0.1 and --clients threads of a keep-alive-capable
  http.client load generator for --seconds each, signed in over HTTP like a browser (a therapist for the couple
  list and the bare view, the clinic admin with an authenticator code for the admin changelist);
- documents and reminders: the jobs app's own functions, in-process (see the functions below).
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
DATABASE = "kapcouples_bench"
REDIS_URL = "redis://127.0.0.1:6379/3"  # a Redis database of its own, apart from the test suite's
PAGE_BUDGET_MS = 100
MIN_REQUESTS = 10
SIGN_IN_PASSWORD = "bench-sign-in-2026"  # set on the two users the throughput run signs in as


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def bench_environment() -> dict:
    return {
        "DATABASE_URL": f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{DATABASE}",
        "REDIS_URL": REDIS_URL,
        "KAPCOUPLES_ENV": "local",
        "KAPCOUPLES_VAR_DIR": str(ROOT / "var" / "bench"),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }


def require_services() -> None:
    for name, port in (("PostgreSQL", PG_PORT), ("Redis", 6379)):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except OSError:
            sys.exit(f"make bench needs {name} on 127.0.0.1:{port} (see docs/benchmarks.md).")


def admin_sql(statement: str) -> None:
    import psycopg2

    connection = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(statement)
    connection.close()


# -- data ---------------------------------------------------------------------------------------------------


def grow(couples: int) -> dict:
    from django.core.management import call_command
    from django.db import connection

    began = time.perf_counter()
    call_command("generate_scale_data", couples=couples, stdout=open(os.devnull, "w"))
    seconds = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does after a bulk load, before the planner sees it
    return {"couples": couples, "seconds": seconds, **data_counts()}


def data_counts() -> dict:
    from cases.models import QuestionnaireResponse
    from dosing.models import VitalReading
    from sessions.models import SessionNote, TherapySession

    return {"sessions": TherapySession.objects.count(), "notes": SessionNote.objects.count(),
            "vitals": VitalReading.objects.count(), "responses": QuestionnaireResponse.objects.count()}


def personas() -> dict:
    """The couple measured on the couple page (the first completed one), its therapist and prescriber, the admin.

    Generation is deterministic and only adds couples, so these are the same rows at every size."""
    from accounts.models import User
    from cases.choices import CoupleStatus
    from cases.models import Couple

    couple = Couple.objects.filter(case_number__startswith="SC-", status=CoupleStatus.COMPLETED).order_by(
        "case_number").first()
    therapist = couple.therapists.order_by("username").first()
    return {"couple": couple, "therapist": therapist, "prescriber": couple.prescriber,
            "admin": User.objects.get(username="scale-admin01")}


# -- server time and queries per page ---------------------------------------------------------------------


def signed_in_client(user):
    from django.test import Client

    from accounts import session_state

    client = Client()
    client.force_login(user)
    session = client.session
    session_state.two_factor_passed(session)  # as if the code had been entered (sign-in is not measured here)
    session.save()
    return client


def pages(who: dict) -> list[tuple[str, object, str]]:
    return [
        ("Couple list (therapist)", who["therapist"], "/couples/"),
        ("Couple page (therapist)", who["therapist"], f"/couples/{who['couple'].uuid}/"),
        ("Calendar week (therapist)", who["therapist"], "/sessions/calendar/week/"),
        ("Prescriber queue", who["prescriber"], "/home/prescriber/"),
        ("Outcomes, clinic-wide (admin)", who["admin"], "/outcomes/"),
    ]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[rank]


def measure_pages(who: dict, requests: int, page_seconds: float) -> dict:
    """Server time per page: `requests` timed requests, or fewer (at least MIN_REQUESTS) if a page is so slow
    that they would take longer than `page_seconds`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results = {}
    for name, user, url in pages(who):
        client = signed_in_client(user)
        for _ in range(5):
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{name}: {url} answered {response.status_code}")
        times = []
        deadline = time.perf_counter() + page_seconds
        while len(times) < requests and (len(times) < MIN_REQUESTS or time.perf_counter() < deadline):
            began = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - began) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        results[name] = {"queries": len(queries), "n": len(times), "median": statistics.median(times), "p95": percentile(times, 95),
                         "sql": [q["sql"] for q in queries.captured_queries]}
        log(f"  {name}: {len(queries)} queries, median {results[name]['median']:.1f} ms, "
            f"p95 {results[name]['p95']:.1f} ms")
    return results


# -- throughput under gunicorn -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Just enough of a browser to sign in over HTTP: cookies and the CSRF token."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, form: dict | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie_header()}
        body = None
        if form is not None:
            body = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        connection.close()
        return response

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def sign_in(self, username: str, password: str, totp_secret: str | None = None) -> None:
        import pyotp

        self.request("GET", "/accounts/login/")
        response = self.request("POST", "/accounts/login/", {"username": username, "password": password})
        if response.status != 302:
            raise SystemExit(f"Signing in {username} over HTTP failed ({response.status}).")
        if totp_secret:
            response = self.request("POST", "/accounts/2fa/verify/", {"code": pyotp.TOTP(totp_secret).now()})
            if response.status != 302:
                raise SystemExit(f"The authenticator code of {username} was refused ({response.status}).")


def hammer(port: int, path: str, cookie: str, *, clients: int, seconds: float) -> dict:
    """Requests per second that `clients` concurrent connections get for `path` within `seconds`."""
    stop = time.perf_counter() + seconds
    done, failed = [0] * clients, [0] * clients

    def client(i: int) -> None:
        connection = None
        while time.perf_counter() < stop:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                done[i] += 1
            else:
                failed[i] += 1
            if response.will_close:  # gunicorn's sync workers close after each response
                connection.close()
                connection = None

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    return {"rps": sum(done) / elapsed, "requests": sum(done), "failed": sum(failed)}


def measure_throughput(who: dict, *, workers: int, clients: int, seconds: float) -> dict:
    import pyotp

    from accounts.models import TOTPDevice

    # The bench signs in with a password of its own: the scale generator (demo) sits above it and is imported by
    # nobody.
    for user in (who["therapist"], who["admin"]):
        user.set_password(SIGN_IN_PASSWORD)
        user.save(update_fields=["password"])
    device, _ = TOTPDevice.objects.get_or_create(user=who["admin"], defaults={"secret": pyotp.random_base32()})
    TOTPDevice.objects.filter(pk=device.pk).update(last_used_step=0)
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "kapcouples.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, **bench_environment()})
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        therapist, admin = Browser(port), Browser(port)
        therapist.sign_in(who["therapist"].username, SIGN_IN_PASSWORD)
        admin.sign_in(who["admin"].username, SIGN_IN_PASSWORD, totp_secret=device.secret)
        targets = [("Bare view (static template, same middleware)", "/bench/bare/", therapist),
                   ("Couple list (therapist)", "/couples/", therapist),
                   ("Django admin changelist of couples", "/admin/cases/couple/", admin)]
        results = {}
        for name, path, browser in targets:
            check = browser.request("GET", path)
            if check.status != 200:
                raise SystemExit(f"{name}: {path} answered {check.status} under gunicorn")
            hammer(port, path, browser.cookie_header(), clients=clients, seconds=2)  # warm-up, not counted
            results[name] = hammer(port, path, browser.cookie_header(), clients=clients, seconds=seconds)
            log(f"  {name}: {results[name]['rps']:.0f} requests/s ({results[name]['failed']} failed)")
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


# -- documents, exports, reminders ----------------------------------------------------------------------------


def measure_pdf(who: dict, runs: int = 5) -> dict:
    """A documented medicine session's summary (jobs.summaries.summary_html + jobs.pdf.render_pdf, as the worker
    builds it) against WeasyPrint's one-line page."""
    import weasyprint

    from jobs.pdf import render_pdf
    from jobs.summaries import summary_html
    from sessions.models import TherapySession

    session = (TherapySession.objects.filter(couple=who["couple"], phase="medicine", status="completed")
               .select_related("couple", "therapist", "approval").order_by("start").first())

    def timed(fn) -> float:
        fn()  # warm-up: fonts and caches
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            fn()
            times.append((time.perf_counter() - began) * 1000)
        return statistics.median(times)

    summary = timed(lambda: render_pdf(summary_html(session, version=1)))
    one_line = timed(lambda: weasyprint.HTML(string="<p>x</p>").write_pdf())
    one_line_app = timed(lambda: render_pdf("<p>x</p>"))
    return {"summary_ms": summary, "one_line_ms": one_line, "one_line_app_ms": one_line_app}


def measure_export() -> dict:
    """Runs bench/probes.py in a fresh process, so its peak memory is the export's alone."""
    output = subprocess.run([sys.executable, "-m", "bench.probes", "export"], cwd=ROOT, check=True,
                            capture_output=True, text=True, env={**os.environ, **bench_environment()})
    return json.loads(output.stdout.strip().splitlines()[-1])


def measure_reminders(count: int) -> dict:
    """`count` due reminder rows on booked sessions, sent by one worker: jobs.reminders.reminders_dispatch_due
    called in-process (as the Celery task does) until nothing is due, e-mail and SMS into memory."""
    from django.utils import timezone

    from cases.models import Partner
    from jobs.choices import RecipientKind, ReminderStatus
    from jobs.models import Reminder
    from jobs.reminders import reminders_dispatch_due
    from sessions.models import TherapySession

    now = timezone.now()
    sessions = list(TherapySession.objects.filter(status="scheduled", start__gt=now + datetime.timedelta(hours=3))
                    .order_by("start", "id").values_list("pk", "couple_id", "start"))
    partners: dict[int, list] = {}
    for partner_id, couple_id, channel in Partner.objects.values_list("pk", "couple_id", "reminder_channel"):
        partners.setdefault(couple_id, []).append((partner_id, channel))
    rows = []
    for lead in (2880, 120, 1440, 60):
        for session_id, couple_id, start in sessions:
            for partner_id, channel in partners[couple_id]:
                rows.append(Reminder(session_id=session_id, session_start=start, recipient_kind=RecipientKind.PARTNER,
                                     partner_id=partner_id, channel=channel, lead_minutes=lead,
                                     due_at=now - datetime.timedelta(minutes=1)))
                if len(rows) == count:
                    break
            if len(rows) == count:
                break
        if len(rows) == count:
            break
    Reminder.objects.bulk_create(rows, batch_size=2000)
    began = time.perf_counter()
    while True:
        result = reminders_dispatch_due(worker="bench-worker-1")
        if result.sent + result.failed + result.other == 0:
            break
    seconds = time.perf_counter() - began
    sent = Reminder.objects.filter(status=ReminderStatus.SENT).count()
    return {"rows": len(rows), "sent": sent, "seconds": seconds}


# -- the table ----------------------------------------------------------------------------------------------


def machine() -> list[str]:
    from django.db import connection

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")), 0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    import django

    return [f"{os.cpu_count()} CPUs ({cpu}), {memory_kb / 1024 / 1024:.1f} GiB RAM, PostgreSQL {pg}, "
            f"Python {platform.python_version()}, Django {django.get_version()}, {platform.system()} "
            f"{platform.release()}; load average before the run {os.getloadavg()[0]:.2f}"]


def table(report: dict) -> str:
    small, large = report["sizes"]
    ps, pl = report["pages"][small], report["pages"][large]
    lines = [f"# KAP Couples benchmark, {report['when']}", "", *report["machine"], ""]
    lines += ["| data | couples | sessions | notes | vital readings | questionnaire responses | generated in |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for d in report["data"]:
        lines.append(f"| | {d['couples']:,} | {d['sessions']:,} | {d['notes']:,} | {d['vitals']:,} | "
                     f"{d['responses']:,} | {d['seconds']:.0f} s |")
    lines += ["", f"| page (server time in-process) | queries @{small:,} | queries @{large:,} | "
              f"median @{small:,} | p95 @{small:,} | median @{large:,} | p95 @{large:,} | requests timed |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in ps:
        a, b = ps[name], pl[name]
        same = "" if a["queries"] == b["queries"] else " (differs)"
        lines.append(f"| {name} | {a['queries']} | {b['queries']}{same} | {a['median']:.1f} ms | {a['p95']:.1f} ms | "
                     f"{b['median']:.1f} ms | {b['p95']:.1f} ms | {a['n']} / {b['n']} |")
    t = report["throughput"]
    bare = t["Bare view (static template, same middleware)"]["rps"]
    lines += ["", f"| throughput @{large:,} couples (gunicorn, {report['workers']} sync workers, {report['clients']} "
              f"clients, {report['seconds']:.0f} s) | requests/s | of the bare view |", "|---|---:|---:|"]
    for name, r in t.items():
        failed = f" ({r['failed']} failed)" if r["failed"] else ""
        lines.append(f"| {name} | {r['rps']:.0f}{failed} | {r['rps'] / bare:.2f} |")
    pdf, reminders = report["pdf"], report["reminders"]
    lines += ["", "| background work | time | |", "|---|---:|---|",
              f"| Session summary PDF (documented medicine session) | {pdf['summary_ms']:.0f} ms | "
              f"{pdf['summary_ms'] / pdf['one_line_ms']:.2f} x WeasyPrint's one-line page ({pdf['one_line_ms']:.0f} ms); "
              f"the app's renderer on one line: {pdf['one_line_app_ms']:.0f} ms |"]
    for e in report["exports"]:
        lines.append(f"| CSV export of {e['couples']:,} couples ({e['session_rows']:,} session rows) | "
                     f"{e['seconds']:.1f} s | peak RSS {e['rss_peak_mb']:.0f} MB, of which the export "
                     f"{e['rss_peak_mb'] - e['rss_before_mb']:.0f} MB ({e['rss_at_tenth_mb'] - e['rss_before_mb']:.0f} MB "
                     f"a tenth of the way through) |")
    lines.append(f"| {reminders['rows']:,} due reminders, one worker (in-process) | {reminders['seconds']:.1f} s | "
                 f"{reminders['sent']:,} sent, {reminders['rows'] / reminders['seconds']:.0f}/s |")
    lines += ["", "| goal | result | holds |", "|---|---|---|"]
    for goal, result, holds in goals(report):
        lines.append(f"| {goal} | {result} | {'yes' if holds else '**no**'} |")
    return "\n".join(lines) + "\n"


def goals(report: dict) -> list[tuple[str, str, bool]]:
    small, large = report["sizes"]
    ps, pl = report["pages"][small], report["pages"][large]
    t = report["throughput"]
    bare = t["Bare view (static template, same middleware)"]["rps"]
    listing = t["Couple list (therapist)"]["rps"]
    admin = t["Django admin changelist of couples"]["rps"]
    differing = [n for n in ps if ps[n]["queries"] != pl[n]["queries"]]
    slow = [f"{n} {pl[n]['p95']:.0f} ms" for n in pl if pl[n]["p95"] >= PAGE_BUDGET_MS]
    pdf = report["pdf"]
    e_small, e_large = report["exports"][0], report["exports"][-1]
    growth_small = e_small["rss_peak_mb"] - e_small["rss_before_mb"]
    growth_large = e_large["rss_peak_mb"] - e_large["rss_before_mb"]
    reminders = report["reminders"]
    return [
        (f"Queries per page identical at {small:,} and {large:,} couples",
         "all identical" if not differing else "differ: " + ", ".join(differing), not differing),
        ("Couple list throughput >= half the bare view", f"{listing / bare:.2f} of the bare view", listing >= bare / 2),
        ("Couple list throughput above the admin changelist", f"{listing:.0f} vs {admin:.0f} requests/s",
         listing > admin),
        (f"p95 server time < {PAGE_BUDGET_MS} ms on every page at {large:,}",
         "all under" if not slow else "over: " + ", ".join(slow), not slow),
        ("Session summary PDF < 3 x one-line page", f"{pdf['summary_ms'] / pdf['one_line_ms']:.2f} x",
         pdf["summary_ms"] < 3 * pdf["one_line_ms"]),
        (f"CSV export memory flat ({e_small['couples']:,} vs {e_large['couples']:,} couples)",
         f"export's own memory {growth_small:.0f} MB vs {growth_large:.0f} MB",
         growth_large <= max(growth_small * 1.5, growth_small + 20)),
        (f"{reminders['rows']:,} reminders in under a minute", f"{reminders['seconds']:.1f} s, {reminders['sent']:,} sent",
         reminders["seconds"] < 60 and reminders["sent"] == reminders["rows"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--mid", type=int, default=1000, help="the export's memory is compared at this size")
    parser.add_argument("--large", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--page-seconds", type=float, default=20, help="time limit per page (at least 10 requests)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn sync workers")
    parser.add_argument("--clients", type=int, default=4 * (os.cpu_count() or 1), help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--reminders", type=int, default=10000)
    parser.add_argument("--keep", action="store_true", help="keep the kapcouples_bench database afterwards")
    args = parser.parse_args()

    require_services()
    os.environ.update(bench_environment())
    sys.path.insert(0, str(ROOT))
    load_before = os.getloadavg()[0]
    log(f"creating the {DATABASE} database")
    admin_sql(f"DROP DATABASE IF EXISTS {DATABASE}")
    admin_sql(f"CREATE DATABASE {DATABASE}")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    report = {"when": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
              "sizes": (args.small, args.large), "requests": args.requests, "workers": args.workers,
              "clients": args.clients, "seconds": args.seconds, "pages": {}, "data": [], "exports": []}
    report["machine"] = machine()
    report["machine"][0] = report["machine"][0].rsplit(";", 1)[0] + f"; load average at start {load_before:.2f}"
    try:
        for size in (args.small, args.mid, args.large):
            log(f"generating {size:,} couples")
            report["data"].append(grow(size))
            log(f"  {report['data'][-1]}")
            who = personas()
            if size in (args.small, args.large):
                log(f"pages at {size:,} couples")
                report["pages"][size] = measure_pages(who, args.requests, args.page_seconds)
            if size in (args.mid, args.large):
                log(f"CSV export at {size:,} couples")
                report["exports"].append(measure_export())
                log(f"  {report['exports'][-1]}")
        log("throughput under gunicorn")
        report["throughput"] = measure_throughput(who, workers=args.workers, clients=args.clients,
                                                  seconds=args.seconds)
        log("session summary PDF")
        report["pdf"] = measure_pdf(who)
        log(f"{args.reminders:,} reminders")
        report["reminders"] = measure_reminders(args.reminders)
        log(f"  {report['reminders']}")
    finally:
        connection.close()
        if not args.keep:
            admin_sql(f"DROP DATABASE IF EXISTS {DATABASE}")
    text = table(report)
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.md").write_text(text)
    (out / "latest.json").write_text(json.dumps(report, default=str, indent=1))
    print(text)


if __name__ == "__main__":
    main()
