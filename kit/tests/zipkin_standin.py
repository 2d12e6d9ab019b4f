"""A stand-in for Zipkin's v2 span API: a local HTTP server that keeps what it is sent
(tests/integration/test_traces.py reads real traces back from a real Zipkin)."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest


class Zipkin(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str, list[dict[str, Any]]]]] = []
    status: ClassVar[int] = 202
    resets: ClassVar[int] = 0  # how many of the next requests are reset unread
    delays: ClassVar[list[float]] = []  # how long each of the next requests waits unread
    arrived: ClassVar[int] = 0  # requests begun, read or not

    def do_POST(self) -> None:
        Zipkin.arrived += 1
        if Zipkin.delays:
            time.sleep(Zipkin.delays.pop(0))
        if Zipkin.resets:
            Zipkin.resets -= 1
            # A connection closed under the request (as an idle keep-alive one is): RST.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def zipkin() -> Iterator[str]:
    Zipkin.received, Zipkin.status, Zipkin.resets, Zipkin.delays = [], 202, 0, []
    Zipkin.arrived = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Zipkin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v2/spans"
    server.shutdown()
    server.server_close()
