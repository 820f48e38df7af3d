"""A tiny SMTP server for tests: records every message it accepts, and can hold its reply to DATA for a while
(the moment a worker is killed in the acceptance test)."""

import socketserver
import threading
import time
from email import message_from_bytes


class _Handler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        server = self.server
        self.reply("220 capture ESMTP")
        recipients: list[str] = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode(errors="replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 capture")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    data = self.rfile.readline()
                    if not data or data in (b".\r\n", b".\n"):
                        break
                    lines.append(data[1:] if data.startswith(b"..") else data)
                with server.lock:
                    server.messages.append((list(recipients), message_from_bytes(b"".join(lines))))
                time.sleep(server.hold_seconds)  # the message is in; the sender does not know it yet
                self.reply("250 OK queued")
            elif verb == "RSET" or verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Not implemented")


class CaptureSMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, hold_seconds: float = 0.0):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hold_seconds = hold_seconds
        self.messages: list = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

    def recipients(self, *, subject_prefix: str = "") -> list[str]:
        with self.lock:
            return [
                address
                for to, message in self.messages
                for address in to
                if str(message["Subject"] or "").startswith(subject_prefix)
            ]
