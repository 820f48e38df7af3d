"""A local fake of Twilio's Messages API: a real HTTP server on a free port, for the SMS backend's tests.

It speaks the part of the API the backend uses (POST /2010-04-01/Accounts/<sid>/Messages.json with HTTP basic
auth, answering a message resource or an error document) and signs status callbacks as Twilio does, so the
tests run the official twilio library end to end over a socket, without mocking it.
"""

import base64
import json
import secrets
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "fake-auth-token-0123456789abcdef"
FROM = "+15005550006"


class FakeTwilio:
    """Start with fake.start(); the next answers can be scripted with fake.fail_next(...) or fake.drop_next()."""

    def __init__(self, *, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.messages: list[dict] = []  # every request that reached the server, accepted or not
        self.accepted: list[dict] = []
        self._script: deque = deque()
        self._server: ThreadingHTTPServer | None = None

    # -- scripting ------------------------------------------------------------------------------------
    def fail_next(self, status: int, code: int = 0, message: str = "error") -> None:
        self._script.append(("error", status, code, message))

    def drop_next(self) -> None:
        """Read the request, then close the connection without an answer (it may or may not have been taken)."""
        self._script.append(("drop",))

    def signed_report(self, *, url: str, sid: str, status: str, error_code: str = "") -> tuple[dict, str]:
        """The form fields and X-Twilio-Signature of a status callback Twilio would POST to url."""
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": self.account_sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": self.accepted[-1]["To"] if self.accepted else "",
            "From": FROM,
            "ApiVersion": "2010-04-01",
        }
        if error_code:
            params["ErrorCode"] = error_code
        return params, RequestValidator(self.auth_token).compute_signature(url, params)

    # -- the server -----------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeTwilio":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                fields = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake.messages.append(fields)
                expected = "Basic " + base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
                if self.path != f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json":
                    return self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                if self.headers.get("Authorization") != expected:
                    return self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                step = fake._script.popleft() if fake._script else ("ok",)
                if step[0] == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                if step[0] == "error":
                    _, status, code, message = step
                    return self._answer(
                        status,
                        {
                            "code": code,
                            "message": message,
                            "status": status,
                            "more_info": f"https://www.twilio.com/docs/errors/{code}",
                        },
                    )
                sid = "SM" + secrets.token_hex(16)
                fake.accepted.append({**fields, "sid": sid})
                return self._answer(
                    201,
                    {
                        "sid": sid,
                        "status": "queued",
                        "to": fields.get("To"),
                        "from": fields.get("From"),
                        "body": fields.get("Body"),
                        "account_sid": fake.account_sid,
                        "api_version": "2010-04-01",
                        "num_segments": "1",
                        "direction": "outbound-api",
                        "uri": f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{sid}.json",
                    },
                )

            def _answer(self, status: int, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
