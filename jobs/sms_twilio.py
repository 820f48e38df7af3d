"""The Twilio SMS backend (SMS_BACKEND=jobs.sms_twilio.TwilioSMSBackend), on Twilio's official library.

Configured from the environment (kapcouples/settings.py): TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, and the sender,
TWILIO_FROM (a number in E.164) or TWILIO_MESSAGING_SERVICE_SID. TWILIO_API_BASE_URL points the client elsewhere
than https://api.twilio.com (a regional proxy, or the tests' local fake of the API).

What an error proves decides what happens next (jobs/reminders.py): a connection that never opened, a 429 or a
503 prove the message did not leave (retry with backoff); a 4xx refusal proves it never will; a read timeout or
another 5xx proves nothing, and the reminder waits for a person to check and resend.
"""

import requests
import urllib3
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from jobs.sms import BaseSMSBackend, SMSError, SMSReceipt, SMSTransientError

TWILIO_API = "https://api.twilio.com"
TRANSIENT_HTTP = {429, 503}
# Twilio error codes for a number that cannot take the message: invalid, not a mobile, opted out (STOP).
UNREACHABLE_CODES = {
    21211: "is not a valid phone number",
    21614: "cannot receive text messages (not a mobile)",
    21610: "has opted out of text messages (replied STOP)",
    21408: "is in a region the clinic's SMS account does not send to",
    21612: "cannot be reached from the clinic's number",
}
TIMEOUT_SECONDS = 15


class _BaseURLHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, with the API's address replaced by TWILIO_API_BASE_URL."""

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def twilio_client() -> Client:
    """A Twilio REST client from the settings; ImproperlyConfigured if the account is not set."""
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
        raise ImproperlyConfigured("The Twilio SMS backend needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.")
    base = settings.TWILIO_API_BASE_URL or TWILIO_API
    http_client = _BaseURLHttpClient(base, timeout=TIMEOUT_SECONDS, pool_connections=False)
    return Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)


def twilio_signature_valid(*, url: str, params: dict, signature: str) -> bool:
    """Whether a request to url with these form fields carries Twilio's signature for our auth token."""
    if not (signature and settings.TWILIO_AUTH_TOKEN):
        return False
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, params, signature)


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True if the request never reached the provider: refused, no route, unknown host, connect timeout, TLS."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


class TwilioSMSBackend(BaseSMSBackend):
    """Sends through Twilio's Messages API and asks for delivery callbacks at status_callback."""

    def send(self, *, to: str, body: str, status_callback: str = "") -> SMSReceipt:
        sender = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"from_": settings.TWILIO_FROM}
        )
        if status_callback:
            sender["status_callback"] = status_callback
        try:
            message = twilio_client().messages.create(to=to, body=body, **sender)
        except TwilioRestException as exc:
            if exc.status in TRANSIENT_HTTP:
                raise SMSTransientError(f"The SMS provider said try later ({exc.status}).") from exc
            if 400 <= exc.status < 500:
                reason = UNREACHABLE_CODES.get(exc.code)
                if reason:
                    raise SMSError(f"The number {reason} (provider error {exc.code}).") from exc
                raise SMSError(f"The SMS provider refused the message ({exc.status}, error {exc.code}).") from exc
            raise  # another 5xx: it may or may not have been accepted
        except requests.exceptions.ConnectionError as exc:
            if not _never_connected(exc):
                raise  # the connection broke after the request went out: it may have been taken
            raise SMSTransientError("The SMS provider could not be reached.") from exc
        return SMSReceipt(provider_id=message.sid or "", status=message.status or "")
