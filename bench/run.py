"""`make bench`: every main page at 1,000, 10,000 and 30,000 couples, and the background work, each against a
reference measured in the same run; writes var/bench/latest.json and regenerates docs/benchmarks.md from it.

Needs only the repository, the local PostgreSQL (postgres@127.0.0.1, trust auth) and Redis. It creates a
throwaway database (kapcouples_bench), migrates it, grows it to each size with the scale generator's bulk inserts
and measures, then drops the database. Progress goes to stderr.

What is measured, and how (docs/benchmarks.md says more):
- pages: Django's test client in-process (server time: middleware, view, queries, template), --requests
  timed requests per page after warm-up, median and 95th percentile; the SQL queries of one more request;
- throughput: gunicorn started with deploy/gunicorn.conf.py and production settings (KAPCOUPLES_ENV=production,
  manifest static files, secure cookies, requests arriving as from the HTTPS proxy), --clients threads of an
  http.client load generator, signed in over HTTP like a browser: the couple list against a bare view through the
  same middleware and the Django admin's changelist;
- the export against PostgreSQL's COPY of the same queries, reminders against a bare send_mail loop on the same
  mail backend, the session summary PDF against WeasyPrint on the same HTML written to a file.
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

from bench.report import goals, headline, render

ROOT = Path(__file__).resolve().parent.parent
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
DATABASE = "kapcouples_bench"
REDIS_URL = "redis://127.0.0.1:6379/3"  # a Redis database of its own, apart from the test suite's
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


def production_environment() -> dict:
    """The production settings (kapcouples/settings.py with KAPCOUPLES_ENV=production) for gunicorn, on the bench
    database; bench.settings only adds the bare view's URL and template."""
    import secrets

    return {
        **bench_environment(),
        "KAPCOUPLES_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_HOST": "127.0.0.1",
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

    return {
        "sessions": TherapySession.objects.count(),
        "notes": SessionNote.objects.count(),
        "vitals": VitalReading.objects.count(),
        "responses": QuestionnaireResponse.objects.count(),
    }


def personas() -> dict:
    """The couple measured on the couple page (the first completed one), its therapist and prescriber, the admin.

    Generation is deterministic and only adds couples, so these are the same rows at every size."""
    from accounts.models import User
    from cases.choices import CoupleStatus
    from cases.models import Couple
    from sessions.models import TherapySession

    couple = (
        Couple.objects.filter(case_number__startswith="SC-", status=CoupleStatus.COMPLETED)
        .order_by("case_number")
        .first()
    )
    therapist = couple.therapists.order_by("username").first()
    session = TherapySession.objects.filter(couple=couple, phase="integration").order_by("-start").first()
    return {
        "couple": couple,
        "therapist": therapist,
        "prescriber": couple.prescriber,
        "session": session,
        "admin": User.objects.get(username="scale-admin01"),
    }


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


PAGES = [  # (key in latest.json, name, who, url)
    ("therapist_home", "Therapist home", "therapist", lambda who: "/home/therapist/"),
    ("couple_list", "Couple list (therapist)", "therapist", lambda who: "/couples/"),
    ("couple_page", "Couple page (therapist)", "therapist", lambda who: f"/couples/{who['couple'].uuid}/"),
    ("session_page", "Session page (therapist)", "therapist", lambda who: f"/sessions/{who['session'].uuid}/"),
    ("calendar_week", "Calendar week (therapist)", "therapist", lambda who: "/sessions/calendar/week/"),
    ("prescriber_queue", "Prescriber home and queue", "prescriber", lambda who: "/home/prescriber/"),
    ("admin_dashboard", "Clinic admin dashboard", "admin", lambda who: "/home/clinic/"),
    ("outcomes", "Outcomes, clinic-wide (admin)", "admin", lambda who: "/outcomes/"),
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
    for key, name, role, url_of in PAGES:
        user, url = who[role], url_of(who)
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
        results[key] = {
            "name": name,
            "queries": len(queries),
            "n": len(times),
            "p50_ms": statistics.median(times),
            "p95_ms": percentile(times, 95),
            "sql": [q["sql"] for q in queries.captured_queries],
        }
        log(
            f"  {name}: {len(queries)} queries, median {results[key]['p50_ms']:.1f} ms, "
            f"p95 {results[key]['p95_ms']:.1f} ms"
        )
    return results


# -- throughput under gunicorn -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# What nginx in front of gunicorn adds (deploy/): the request came over HTTPS, from this client address.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}


class Browser:
    """Just enough of a browser to sign in over HTTP: cookies and the CSRF token."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, form: dict | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie_header(), **PROXY_HEADERS}
        body = None
        if form is not None:
            body = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://127.0.0.1:{self.port}"
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
            connection.request("GET", path, headers={"Cookie": cookie, **PROXY_HEADERS})
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
    environment = {**os.environ, **production_environment()}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True, env=environment
    )
    log_file = open(ROOT / "var" / "bench" / "gunicorn.log", "w")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "kapcouples.wsgi:application",
            "--config",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=environment,
        stdout=log_file,
        stderr=log_file,
    )
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
        targets = [
            ("Bare view (static template, same middleware)", "/bench/bare/", therapist),
            ("Couple list (therapist)", "/couples/", therapist),
            ("Django admin changelist of couples", "/admin/cases/couple/", admin),
        ]
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
        log_file.close()


# -- documents, exports, reminders ----------------------------------------------------------------------------


def measure_pdf(who: dict, runs: int = 5) -> dict:
    """A documented medicine session's summary as the worker builds it (jobs.summaries.summary_html +
    jobs.pdf.render_pdf) against plain WeasyPrint on the same HTML written to a file."""
    import tempfile

    import weasyprint

    from jobs.pdf import render_pdf
    from jobs.summaries import summary_html
    from sessions.models import TherapySession

    session = (
        TherapySession.objects.filter(couple=who["couple"], phase="medicine", status="completed")
        .select_related("couple", "therapist", "approval")
        .order_by("start")
        .first()
    )

    def timed(fn) -> float:
        fn()  # warm-up: fonts and caches
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            fn()
            times.append((time.perf_counter() - began) * 1000)
        return statistics.median(times)

    html = summary_html(session, version=1)
    with tempfile.TemporaryDirectory(prefix="kap-bench-pdf-") as tmp:
        target = Path(tmp) / "plain.pdf"
        app = timed(lambda: render_pdf(summary_html(session, version=1)))
        app_render_only = timed(lambda: render_pdf(html))
        plain = timed(lambda: weasyprint.HTML(string=html).write_pdf(target))
    return {"summary_ms": app, "render_only_ms": app_render_only, "plain_weasyprint_ms": plain}


def _probe(name: str) -> dict:
    """Runs bench/probes.py in a fresh process, so its peak memory is the probe's alone."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.probes", name],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **bench_environment()},
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def measure_export() -> dict:
    """The export's two CSV files against COPY of the same queries, alternating (export, COPY, export, COPY) so
    that a busy moment of the shared machine falls on both; the better of two of each."""
    runs = {"export": [], "copy": []}
    for _ in range(2):
        for name in ("export", "copy"):
            runs[name].append(_probe(name))
    export = min(runs["export"], key=lambda r: r["seconds"])
    copy = min(runs["copy"], key=lambda r: r["seconds"])
    return {
        "export": export,
        "copy": copy,
        "export_runs_s": [r["seconds"] for r in runs["export"]],
        "copy_runs_s": [r["seconds"] for r in runs["copy"]],
    }


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
    sessions = list(
        TherapySession.objects.filter(status="scheduled", start__gt=now + datetime.timedelta(hours=3))
        .order_by("start", "id")
        .values_list("pk", "couple_id", "start")
    )
    partners: dict[int, list] = {}
    for partner_id, couple_id, channel in Partner.objects.values_list("pk", "couple_id", "reminder_channel"):
        partners.setdefault(couple_id, []).append((partner_id, channel))
    rows = []
    for lead in (2880, 120, 1440, 60):
        for session_id, couple_id, start in sessions:
            for partner_id, channel in partners[couple_id]:
                rows.append(
                    Reminder(
                        session_id=session_id,
                        session_start=start,
                        recipient_kind=RecipientKind.PARTNER,
                        partner_id=partner_id,
                        channel=channel,
                        lead_minutes=lead,
                        due_at=now - datetime.timedelta(minutes=1),
                    )
                )
                if len(rows) == count:
                    break
            if len(rows) == count:
                break
        if len(rows) == count:
            break
    Reminder.objects.bulk_create(rows, batch_size=2000)
    from django.core import mail

    began = time.perf_counter()
    while True:
        result = reminders_dispatch_due(worker="bench-worker-1")
        if result.sent + result.failed + result.other == 0:
            break
    seconds = time.perf_counter() - began
    sent = Reminder.objects.filter(status=ReminderStatus.SENT).count()
    sent_messages = len(getattr(mail, "outbox", []))
    # The reference: Django's send_mail once per message on the same (in-memory) backend, nothing else.
    addresses = list(Partner.objects.exclude(email="").values_list("email", flat=True)[:count])
    addresses = (addresses * (count // max(len(addresses), 1) + 1))[:count]
    mail.outbox = []
    began = time.perf_counter()
    for address in addresses:
        mail.send_mail("Reminder: your appointment", "See you soon.\n", None, [address])
    loop_seconds = time.perf_counter() - began
    return {
        "rows": len(rows),
        "sent": sent,
        "seconds": seconds,
        "messages_delivered": sent_messages,
        "send_mail_loop_seconds": loop_seconds,
        "send_mail_loop_messages": len(addresses),
    }


# -- the table ----------------------------------------------------------------------------------------------


def machine() -> list[str]:
    from django.db import connection

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    import django

    return [
        f"{os.cpu_count()} CPUs ({cpu}), {memory_kb / 1024 / 1024:.1f} GiB RAM, PostgreSQL {pg}, "
        f"Python {platform.python_version()}, Django {django.get_version()}, {platform.system()} "
        f"{platform.release()}."
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,30000", help="couples, comma-separated, ascending")
    parser.add_argument("--export-at", type=int, default=10000, help="the export is measured at this size")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--page-seconds", type=float, default=10, help="time limit per page (at least 10 requests)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn sync workers")
    parser.add_argument("--clients", type=int, default=4 * (os.cpu_count() or 1), help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--reminders", type=int, default=10000)
    parser.add_argument("--keep", action="store_true", help="keep the kapcouples_bench database afterwards")
    parser.add_argument("--no-docs", action="store_true", help="do not regenerate docs/benchmarks.md")
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.sizes.split(","))
    export_at = args.export_at if args.export_at in sizes else sizes[len(sizes) // 2]

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

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    report = {
        "when": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "sizes": sizes,
        "requests": args.requests,
        "workers": args.workers,
        "clients": args.clients,
        "seconds": args.seconds,
        "pages": {key: {} for key, *_ in PAGES},
        "data": [],
        "load_average": {"start": load_before},
    }
    report["machine"] = machine()
    try:
        for size in sizes:
            log(f"generating {size:,} couples")
            report["data"].append(grow(size))
            log(f"  {report['data'][-1]}")
            who = personas()
            log(f"pages at {size:,} couples (load average {os.getloadavg()[0]:.1f})")
            for key, result in measure_pages(who, args.requests, args.page_seconds).items():
                report["pages"][key][str(size)] = result
            if size == export_at:
                log(f"CSV export and COPY at {size:,} couples")
                report["export"] = measure_export()
                log(f"  {report['export']}")
        log("throughput under gunicorn (deploy/gunicorn.conf.py, production settings)")
        throughput = measure_throughput(who, workers=args.workers, clients=args.clients, seconds=args.seconds)
        report["throughput"] = {
            "bare": throughput["Bare view (static template, same middleware)"],
            "couple_list": throughput["Couple list (therapist)"],
            "admin_changelist": throughput["Django admin changelist of couples"],
        }
        log("session summary PDF")
        report["pdf"] = measure_pdf(who)
        log(f"  {report['pdf']}")
        log(f"{args.reminders:,} reminders")
        report["reminders"] = measure_reminders(args.reminders)
        log(f"  {report['reminders']}")
    finally:
        connection.close()
        if not args.keep:
            admin_sql(f"DROP DATABASE IF EXISTS {DATABASE}")
    report["load_average"]["end"] = os.getloadavg()[0]
    report["minutes"] = (time.perf_counter() - began) / 60
    report["headline"] = headline(report)
    report.update(report["headline"])
    report["goals"] = [{"goal": g, "result": r, "holds": ok} for g, r, ok in goals(report)]
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, default=str, indent=1))
    text = render(report)
    (out / "latest.md").write_text(text)
    if not args.no_docs:
        (ROOT / "docs" / "benchmarks.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
