"""The local certificate authority that lets unmodified SDKs talk TLS to the emulator.

Created on first use in a per-user data directory. Its certificate carries a critical X.509 name
constraint: it may only vouch for twilio.com and its subdomains, and for no IP address, so trusting
it exposes no other site. Leaf certificates are minted per host name on demand and cached. All
cryptography comes from the `cryptography` package; nothing here is home-made crypto.
"""

from __future__ import annotations

import contextlib
import datetime
import getpass
import ipaddress
import logging
import os
import secrets
import socket
import ssl
import sys
import tempfile
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..hosts import TWILIO_DOMAIN, is_twilio_host

log = logging.getLogger("emulator.proxy")

CERT_FILE = "ca.pem"
KEY_FILE = "ca-key.pem"
CA_YEARS = 10
# Browsers and Apple's TLS stack refuse server certificates valid for longer than 398 days.
LEAF_DAYS = 397
# Clocks of containers and VMs drift: certificates start a day early.
BACKDATE = datetime.timedelta(days=1)


def default_ca_dir() -> Path:
    """The per-user data directory (XDG on Linux, Application Support on macOS, LOCALAPPDATA on Windows)."""
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "twilio-emulator" / "ca"


class CertificateAuthority:
    """Loads the CA from `directory`, creating it (and the directory, mode 0700) if absent."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory else default_ca_dir()
        self.cert_path = self.directory / CERT_FILE
        self.key_path = self.directory / KEY_FILE
        self.created = False
        with self._locked():
            if not self.cert_path.exists():
                self._create()
                self.created = True
        self._check_key_mode()
        self.certificate = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{self.key_path} is not the EC key this CA writes: remove the directory to start over")
        self._key = key
        self.pem = self.certificate.public_bytes(serialization.Encoding.PEM).decode()
        # One key for every leaf of this process: generating a key per host buys nothing here.
        self._leaf_key = ec.generate_private_key(ec.SECP256R1())
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex(":").upper()

    @property
    def common_name(self) -> str:
        return str(self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def not_after(self) -> datetime.datetime:
        return self.certificate.not_valid_after_utc

    @contextlib.contextmanager
    def _locked(self):  # noqa: ANN202
        """Two emulators starting at once with the same directory must not create two CAs."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; a simultaneous first start is unlikely
            yield
            return
        with open(self.directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _create(self) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        try:
            owner = f"{getpass.getuser()}@{socket.gethostname()}"
        except (KeyError, OSError):  # no user name (a container's bare uid)
            owner = socket.gethostname()
        name = x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, f"twilio-emulator CA {secrets.token_hex(4)}"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "twilio-emulator (local, twilio.com only)"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, owner[:64]),
        ])
        now = datetime.datetime.now(datetime.UTC)
        constraint = x509.NameConstraints(
            permitted_subtrees=[x509.DNSName(TWILIO_DOMAIN)],
            # A DNS-only constraint leaves IP addresses unconstrained (RFC 5280 4.2.1.10): exclude them all.
            excluded_subtrees=[
                x509.IPAddress(ipaddress.ip_network("0.0.0.0/0")),
                x509.IPAddress(ipaddress.ip_network("::/0")),
            ],
        )
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + datetime.timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True), critical=True)
            .add_extension(constraint, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_private(self.key_path, key_pem)
        _write_atomic(self.cert_path, certificate.public_bytes(serialization.Encoding.PEM))
        log.info("created a local certificate authority for twilio.com in %s", self.directory)

    def _check_key_mode(self) -> None:
        if os.name != "posix":
            return
        mode = self.key_path.stat().st_mode & 0o777
        if mode & 0o077:
            os.chmod(self.key_path, 0o600)
            log.warning("%s was readable by others (mode %o): now 0600", self.key_path, mode)

    def mint(self, hostname: str) -> x509.Certificate:
        """A server certificate for one Twilio host name, signed by this CA."""
        hostname = hostname.lower().rstrip(".")
        if not is_twilio_host(hostname):
            raise ValueError(f"{hostname!r}: this CA signs only twilio.com names (its name constraint)")
        now = datetime.datetime.now(datetime.UTC)
        public_key = self._leaf_key.public_key()
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(min(now + datetime.timedelta(days=LEAF_DAYS), self.not_after))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False
            )
            .sign(self._key, hashes.SHA256())
        )

    def context(self, hostname: str) -> ssl.SSLContext:
        """A server-side TLS context presenting this host's certificate (minted once, then cached).
        A client that names another Twilio host by SNI gets that host's certificate instead."""
        hostname = hostname.lower().rstrip(".")
        with self._lock:
            cached = self._contexts.get(hostname)
        if cached is not None:
            return cached
        leaf = self.mint(hostname)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_alpn_protocols(["http/1.1"])  # clients offering h2 fall back to HTTP/1.1
        chain = leaf.public_bytes(serialization.Encoding.PEM) + self._leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # The ssl module loads certificates from files only: a private temporary file, read at once.
        handle, path = tempfile.mkstemp(prefix="twilio-emulator-", suffix=".pem")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(chain)
            context.load_cert_chain(path)
        finally:
            os.unlink(path)
        context.sni_callback = self._on_sni
        with self._lock:
            return self._contexts.setdefault(hostname, context)

    def _on_sni(self, connection: ssl.SSLObject, server_name: str | None, _context: ssl.SSLContext) -> None:
        if server_name and is_twilio_host(server_name):
            connection.context = self.context(server_name)
        elif server_name:
            # The certificate presented will not match: the client refuses it, as it should.
            log.warning("a TLS client asked for %s: this CA signs only twilio.com names", server_name)


def _key_usage(**allowed: bool) -> x509.KeyUsage:
    flags = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{flag: allowed.get(flag, False) for flag in flags})


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, from the moment it exists."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
