"""A small SMTP server on loopback for the mail tests: speaks enough of RFC 5321 for
Django's SMTP backend (EHLO, MAIL, RCPT, DATA, QUIT), can turn the first connections away
as a busy server does (421), and can refuse recipients for good (550)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SmtpServer:
    busy_first: int = 0  # connections answered "421 busy" and closed
    refuse_recipients: bool = False  # RCPT TO answered "550 no such mailbox"
    connections: int = 0
    messages: list[str] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._listener.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with conn:
                self.connections += 1
                self._session(conn.makefile("rwb"))

    def _session(self, stream: Any) -> None:
        def say(line: str) -> None:
            stream.write(f"{line}\r\n".encode())
            stream.flush()

        if self.connections <= self.busy_first:
            say("421 4.3.2 Too busy, try again later")
            return
        say("220 test.localhost ESMTP")
        while True:
            line = stream.readline().decode(errors="replace").strip()
            if not line:
                return
            verb = line.split(" ", 1)[0].upper().split(":", 1)[0]
            if verb in {"EHLO", "HELO"}:
                say("250 test.localhost")
            elif verb == "RCPT" and self.refuse_recipients:
                say("550 5.1.1 No such mailbox")
            elif verb == "DATA":
                say("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := stream.readline().decode(errors="replace")) not in {".\r\n", ""}:
                    lines.append(data)
                self.messages.append("".join(lines))
                say("250 2.0.0 Queued")
            elif verb == "QUIT":
                say("221 2.0.0 Bye")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                say("250 2.0.0 OK")
