"""Playwright on Debian's Chromium against pytest-django's live server.

Browser tests skip on a newcomer's machine without Chromium, and fail in CI (CI=true) instead.
Every request the page makes outside the live server is blocked and recorded, so a page that
would load anything from a third party fails its test.
"""

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"


def chromium_path() -> str | None:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_or_skip(what: str, how: str) -> None:
    """Skip on a newcomer's machine; in CI a missing service or browser is a failure."""
    message = f"{what} is not available ({how})."
    if os.environ.get("CI"):
        pytest.fail(f"{message} CI must run every test.")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        require_or_skip("Chromium", "install it with: sudo apt-get install chromium")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    live_host = urlsplit(live_server.url).netloc
    external: list[str] = []

    def guard(route):
        url = route.request.url
        if urlsplit(url).netloc == live_host or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            external.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.external_requests = external
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert external == [], f"The page tried to reach outside the clinic's server: {external}"


def _open_login_page(page) -> None:
    """Open the sign-in page, even if the page before it is navigating away on its own (the idle-logoff
    script sends a page whose session expired to sign-in, which can abort a navigation started at the same
    moment)."""
    from playwright.sync_api import Error

    page.goto("about:blank")
    for attempt in range(3):
        try:
            page.goto("/accounts/login/")
            return
        except Error as exc:
            if "ERR_ABORTED" not in str(exc) or attempt == 2:
                raise
            page.wait_for_load_state()


@pytest.fixture
def login(page):
    """Sign a persona in through the real login form; returns the page.

    Prescribers and clinic admins (and anyone with an authenticator) then enter a code on the
    two-factor page, computed here from an authenticator the fixture gives them."""
    import pyotp

    from accounts.models import TOTPDevice
    from accounts.services import two_factor_required
    from conftest import PASSWORD

    def sign_in(user, password: str = PASSWORD):
        device = None
        if two_factor_required(user) or TOTPDevice.objects.filter(user=user).exists():
            device, _ = TOTPDevice.objects.get_or_create(user=user, defaults={"secret": pyotp.random_base32()})
            # A code is accepted once; a test that signs in twice within 30 seconds may reuse one.
            TOTPDevice.objects.filter(pk=device.pk).update(last_used_step=0)
        _open_login_page(page)
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        if device is not None:
            page.get_by_label("Code from your authenticator app, or a recovery code").fill(
                pyotp.TOTP(device.secret).now()
            )
            page.get_by_role("button", name="Verify").click()
            page.wait_for_load_state()
        return page

    return sign_in


def _shows(locator, timeout_ms: int = 2000) -> bool:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        locator.wait_for(state="visible", timeout=timeout_ms)
    except PlaywrightTimeoutError:
        return False
    return True


def sign_out(page) -> None:
    """Sign out from the user menu, as a person would. The menu is opened again until its "Sign out" shows: on a
    loaded machine the first click can land before the page's script has wired up the dropdown."""
    page.wait_for_load_state("load")
    menu, button = page.locator("#user-menu"), page.get_by_role("button", name="Sign out")
    for _ in range(5):
        menu.click()
        if _shows(button):
            break
    button.click()
    page.wait_for_url("**/accounts/login/")
