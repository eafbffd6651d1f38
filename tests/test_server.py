"""The default HTTP server: slow clients are dropped, connections are bounded, health keeps answering,
and errors raised before the app sees a request are JSON in the path's shape."""

from __future__ import annotations

import json
import socket
import threading
import time

import requests

from emulator import Settings, create_app
from emulator.server import ThreadedServer

AC = "AC" + "6" * 32


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server ends the connection (it sends nothing back to a request it never got)."""
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    finally:
        sock.close()


def _answer(port: int, raw: bytes) -> tuple[int, dict]:
    with _connect(port) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower(), head
    return int(head.split()[1]), json.loads(body)


def test_half_sent_requests_are_dropped_while_health_answers(serve):
    served = serve()
    port = served.port
    held = []
    for i in range(200):
        sock = _connect(port)
        if i % 2:  # a head that never ends
            sock.sendall(b"GET /_emulator/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        else:  # a body that never comes
            sock.sendall(f"POST /2010-04-01/Accounts/{AC}/Messages.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nTo=".encode())
        held.append(sock)
    assert requests.get(f"{served.url}/_emulator/health", timeout=10).json() == {"status": "ok"}
    sent = requests.post(f"{served.url}/2010-04-01/Accounts/{AC}/Messages.json", auth=(AC, "t"), timeout=10,
                         data={"To": "+15551230001", "From": "+15557650001", "Body": "still served"})
    assert sent.status_code == 201
    assert all(_closed_by_server(sock) for sock in held)
    assert requests.get(f"{served.url}/_emulator/messages", timeout=10).json()["messages"][0]["body"] == "still served"


def test_a_client_sending_a_byte_at_a_time_is_dropped_too():
    with ThreadedServer(create_app(Settings()), read_timeout=1.0) as server:
        sock = _connect(server.port)
        request = f"GET /2010-04-01/Accounts/{AC}/Messages.json HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
        request += b"X-Padding: " + b"x" * 200 + b"\r\n\r\n"
        dropped = False
        for byte in request:  # about 5 s in all: five times the read timeout
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                dropped = True
                break
            time.sleep(0.02)
        assert _closed_by_server(sock) or dropped


def test_connections_are_bounded_and_served_once_slow_ones_go():
    with ThreadedServer(create_app(Settings()), read_timeout=1.0, max_connections=4) as server:
        idle = [_connect(server.port) for _ in range(10)]
        time.sleep(0.3)
        handlers = [t for t in threading.enumerate() if "process_request_thread" in t.name]
        assert len(handlers) <= 4
        assert requests.get(f"{server.url}/_emulator/health", timeout=20).status_code == 200
        assert all(_closed_by_server(sock) for sock in idle)


def test_errors_before_the_app_are_json_in_the_paths_shape():
    with ThreadedServer(create_app(Settings())) as server:
        status, body = _answer(server.port, b"GET /2010-04-01/" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n")
        assert status == 414 and body["status"] == 414 and body["code"] == 20001
        assert set(body) == {"code", "message", "more_info", "status"}
        status, body = _answer(server.port, b"GET /_emulator/" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n")
        assert status == 414 and set(body) == {"error"}
        status, body = _answer(server.port, b"GET /2010-04-01/x HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n")
        assert status == 431 and body["code"] == 20001
        status, body = _answer(server.port, b"GARBAGE\r\n\r\n")
        assert status == 400 and body["status"] == 400
