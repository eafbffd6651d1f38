"""The HTTPS proxy and the TLS port, in-process (real sockets, real TLS, the official SDK): Twilio
hosts are answered by the emulator's app, everything else passes untouched."""

from __future__ import annotations

import datetime
import http.client
import json
import socket
import ssl
import threading

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from twilio.rest import Client

from emulator import Settings, create_app
from emulator.proxy import behind_listeners, start_listeners
from emulator.server import ThreadedServer
from emulator.testing import EmulatorServer, WebhookReceiver

AC = "AC" + "5" * 32
TOKEN = "proxy-token"
HANDSET, NUMBER = "+15551230001", "+15557650001"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    settings = Settings(proxy=True, tls=True, ca_dir=str(tmp_path_factory.mktemp("ca")))
    with EmulatorServer(settings) as server:
        yield server


@pytest.fixture
def sdk_env(emulator, monkeypatch):
    """What `twilio-emulator env --sdk python` prints, set in this process."""
    monkeypatch.setenv("HTTPS_PROXY", emulator.proxy_url)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1,::1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_file)
    emulator.control.reset()
    return emulator


def tls_client_context(cafile: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile)


def connect_through(proxy_url: str, target: str) -> tuple[socket.socket, bytes]:
    """Open a CONNECT tunnel by hand: (socket, the proxy's answer head; the body stays unread)."""
    host, port = proxy_url.rsplit(":", 1)
    sock = socket.create_connection((host.split("//")[1], int(port)), timeout=10)
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            break
        head += chunk
    return sock, head


def read_response(stream) -> tuple[int, dict, bytes]:
    status = int(stream.readline().split()[1])
    headers = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, stream.read(int(headers.get("content-length", 0)))


def test_the_sdk_through_the_proxy_sends_and_pages_with_twilio_hosts(sdk_env):
    client = Client(AC, TOKEN)  # nothing but the environment points it at the emulator
    for n in range(5):
        client.messages.create(to=f"+1555123000{n}", from_=NUMBER, body=f"message {n}")
    # api.twilio.com pages by relative next_page_uri, messaging.twilio.com by absolute next_page_url:
    # both must come back to the proxy with Twilio's host names.
    assert len(client.messages.list(page_size=2)) == 5
    for n in range(3):
        client.messaging.v1.services.create(friendly_name=f"service {n}")
    services = client.messaging.v1.services.list(page_size=1)
    assert len(services) == 3
    assert services[0].url.startswith("https://messaging.twilio.com/v1/Services/MG")
    assert len(sdk_env.control.messages(AC)) == 5


def test_region_and_edge_hosts_get_a_certificate_of_their_own(sdk_env):
    client = Client(AC, TOKEN, region="ie1", edge="dublin")
    message = client.messages.create(to=HANDSET, from_=NUMBER, body="via api.dublin.ie1.twilio.com")
    assert message.status == "queued"
    context = tls_client_context(sdk_env.ca_file)
    sock, head = connect_through(sdk_env.proxy_url, "api.dublin.ie1.twilio.com:443")
    assert head.startswith(b"HTTP/1.1 200")
    with context.wrap_socket(sock, server_hostname="api.dublin.ie1.twilio.com") as tls:
        names = [value for kind, value in tls.getpeercert()["subjectAltName"]]
    assert names == ["api.dublin.ie1.twilio.com"]


def test_a_tunnel_stays_open_for_many_requests(emulator):
    emulator.control.reset()
    sock, head = connect_through(emulator.proxy_url, "api.twilio.com:443")
    assert head.startswith(b"HTTP/1.1 200")
    with tls_client_context(emulator.ca_file).wrap_socket(sock, server_hostname="api.twilio.com") as tls:
        stream = tls.makefile("rb")
        auth = __import__("base64").b64encode(f"{AC}:{TOKEN}".encode()).decode()
        for n in range(3):
            body = f"To=%2B1555123000{n}&From=%2B15557650001&Body=n{n}"
            tls.sendall(
                f"POST /2010-04-01/Accounts/{AC}/Messages.json HTTP/1.1\r\nHost: api.twilio.com\r\n"
                f"Authorization: Basic {auth}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n{body}".encode()
            )
            status, headers, payload = read_response(stream)
            assert status == 201 and headers.get("connection") != "close"
            assert json.loads(payload)["body"] == f"n{n}"
        # chunked request bodies are understood too
        tls.sendall(
            f"POST /2010-04-01/Accounts/{AC}/Messages.json HTTP/1.1\r\nHost: api.twilio.com\r\n"
            f"Authorization: Basic {auth}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
            "1a\r\nTo=%2B15551230009&From=%2B\r\n18\r\n15557650001&Body=chunked\r\n0\r\n\r\n".encode()
        )
        status, _, payload = read_response(stream)
        assert status == 201 and json.loads(payload)["body"] == "chunked"
    assert len(emulator.control.messages(AC)) == 4


def test_a_client_that_does_not_trust_the_ca_is_refused_not_served(emulator):
    sock, _ = connect_through(emulator.proxy_url, "api.twilio.com:443")
    with pytest.raises(ssl.SSLCertVerificationError):
        ssl.create_default_context(cafile=requests.certs.where()).wrap_socket(sock, server_hostname="api.twilio.com")
    sock.close()


@pytest.fixture
def own_tls_server(tmp_path):
    """A TLS server of the test's own (its own self-signed certificate), answering one line."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / "own.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"hello from the test's own server\n" + tls.recv(100))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], cert, pem
    listener.close()
    thread.join(timeout=5)


def test_connect_to_another_host_is_tunnelled_untouched(emulator, own_tls_server):
    port, cert, pem = own_tls_server
    sock, head = connect_through(emulator.proxy_url, f"localhost:{port}")
    assert head.startswith(b"HTTP/1.1 200")
    context = ssl.create_default_context(cafile=str(pem))  # the server's own certificate, not ours
    with context.wrap_socket(sock, server_hostname="localhost") as tls:
        assert tls.getpeercert(binary_form=True) == cert.public_bytes(serialization.Encoding.DER)
        tls.sendall(b"ping")
        received = b""
        while chunk := tls.recv(100):
            received += chunk
    assert received == b"hello from the test's own server\nping"


def test_plain_http_requests_are_forwarded_or_answered(emulator):
    emulator.control.reset()
    proxies = {"http": emulator.proxy_url}
    with WebhookReceiver() as receiver:
        receiver.respond("/ping", "pong", content_type="text/plain")
        answer = requests.post(receiver.url("/ping?x=1"), data={"a": "b"}, proxies=proxies, timeout=10)
        assert (answer.status_code, answer.text) == (200, "pong")
        [seen] = receiver.received("/ping")
        assert seen.form == {"a": "b"} and seen.url.endswith("/ping?x=1")
    twilio = requests.get(f"http://api.twilio.com/2010-04-01/Accounts/{AC}/Messages.json",
                          auth=(AC, TOKEN), proxies=proxies, timeout=10)
    assert twilio.status_code == 200 and twilio.json()["messages"] == []


def test_the_proxy_explains_what_it_cannot_do(emulator):
    direct = requests.get(f"{emulator.proxy_url}/2010-04-01/Accounts.json", timeout=10)
    assert direct.status_code == 400 and "HTTPS_PROXY" in direct.text
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    sock, head = connect_through(emulator.proxy_url, f"127.0.0.1:{port}")
    explanation = sock.recv(1000)
    sock.close()
    assert head.startswith(b"HTTP/1.1 502") and f"could not reach 127.0.0.1:{port}".encode() in explanation
    sock, head = connect_through(emulator.proxy_url, "no-port-here")
    sock.close()
    assert head.startswith(b"HTTP/1.1 400")


def test_the_tls_port_serves_the_same_state_with_certificates_by_sni(emulator):
    emulator.control.reset()
    requests.post(f"{emulator.url}/2010-04-01/Accounts/{AC}/Messages.json", auth=(AC, TOKEN),
                  data={"To": HANDSET, "From": NUMBER, "Body": "over plain HTTP"}, timeout=10)
    port = int(emulator.tls_url.rsplit(":", 1)[1])
    context = tls_client_context(emulator.ca_file)
    for name in ("api.twilio.com", "messaging.twilio.com", "api.sydney.au1.twilio.com"):
        with context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname=name) as tls:
            assert [v for _, v in tls.getpeercert()["subjectAltName"]] == [name]
    auth = {"Authorization": "Basic " + __import__("base64").b64encode(f"{AC}:{TOKEN}".encode()).decode()}
    listed = _Pinned("api.twilio.com", port, context=context)
    listed.request("GET", f"/2010-04-01/Accounts/{AC}/Messages.json", headers=auth)
    assert [m["body"] for m in json.loads(listed.getresponse().read())["messages"]] == ["over plain HTTP"]
    listed.close()
    created = _Pinned("messaging.twilio.com", port, context=context)
    created.request("POST", "/v1/Services", body="FriendlyName=tls",
                    headers={**auth, "Content-Type": "application/x-www-form-urlencoded"})
    service = json.loads(created.getresponse().read())
    created.close()
    assert service["url"].startswith(f"https://messaging.twilio.com:{port}/v1/Services/MG")


class _Pinned(http.client.HTTPSConnection):
    """HTTPS to a Twilio host name at 127.0.0.1: what an /etc/hosts line would do."""

    def connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def test_stop_closes_open_tunnels(tmp_path):
    server = EmulatorServer(Settings(proxy=True, ca_dir=str(tmp_path / "ca"))).start()
    sock, head = connect_through(server.proxy_url, "api.twilio.com:443")
    tls = tls_client_context(server.ca_file).wrap_socket(sock, server_hostname="api.twilio.com")
    assert head.startswith(b"HTTP/1.1 200")
    server.stop()
    tls.settimeout(5)
    assert tls.recv(10) == b""  # closed by stop(), not left to its idle timeout
    tls.close()


def test_under_granian_the_listeners_reach_the_app_over_loopback(tmp_path):
    """--server granian: the app lives in the worker process; the listeners forward over loopback
    with the scheme, and the worker's app takes it (emulator.proxy.behind_listeners)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:  # as `serve` picks granian's port
        port = probe.getsockname()[1]
    settings = Settings(host="127.0.0.1", port=port, proxy=True, proxy_port=0, ca_dir=str(tmp_path / "ca"))
    listeners = start_listeners(None, settings, api_port=port)
    app = create_app(listeners.settings)  # what the worker builds from the environment
    behind_listeners(app, listeners.settings)
    api = ThreadedServer(app, port=port).start()
    try:
        session = requests.Session()
        session.trust_env = False  # this machine's REQUESTS_CA_BUNDLE would replace session.verify
        session.proxies = {"https": f"http://127.0.0.1:{listeners.proxy.port}"}
        session.verify = str(listeners.ca.cert_path)
        created = session.post("https://messaging.twilio.com/v1/Services", data={"FriendlyName": "g"},
                               auth=(AC, TOKEN), timeout=10)
        assert created.status_code == 201
        assert created.json()["url"].startswith("https://messaging.twilio.com/v1/Services/MG")
        info = requests.get(f"{api.url}/_emulator/proxy", timeout=10).json()
        assert info["proxy"] == {"enabled": True, "port": listeners.proxy.port}
    finally:
        listeners.stop()
        api.stop()
