"""Trust files for clients whose CA setting replaces their whole trust store (REQUESTS_CA_BUNDLE,
SSL_CERT_FILE, a Java truststore): the system's roots plus our CA, so that an application whose
environment points at the emulator still reaches every other HTTPS site."""

from __future__ import annotations

import os
import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

CA_FILE = "ca.pem"
BUNDLE_FILE = "bundle.pem"
TRUSTSTORE_FILE = "truststore.p12"
# Java's own default: a truststore holds no secret, the password only satisfies the format.
TRUSTSTORE_PASSWORD = "changeit"


@dataclass(frozen=True)
class TrustFiles:
    ca: Path  # our CA alone (for settings that add to the store: NODE_EXTRA_CA_CERTS)
    bundle: Path  # system roots + our CA (for settings that replace the store)
    truststore: Path  # the same as a PKCS#12 Java truststore, password TRUSTSTORE_PASSWORD


def system_roots() -> bytes:
    """The operating system's CA bundle when it has one (it holds any roots the user added),
    else certifi's (which requests brings)."""
    cafile = ssl.get_default_verify_paths().openssl_cafile
    if cafile and os.path.isfile(cafile) and os.path.getsize(cafile):
        return Path(cafile).read_bytes()
    import certifi

    return Path(certifi.where()).read_bytes()


def write_trust_files(ca_pem: str, directory: str | Path) -> TrustFiles:
    """Write ca.pem, bundle.pem and truststore.p12 into `directory` (rewritten only when stale)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files = TrustFiles(directory / CA_FILE, directory / BUNDLE_FILE, directory / TRUSTSTORE_FILE)
    roots = system_roots().rstrip(b"\n")
    bundle = roots + b"\n\n# twilio-emulator local CA (valid for twilio.com names only)\n" + ca_pem.encode()
    _write_if_changed(files.ca, ca_pem.encode())
    if _write_if_changed(files.bundle, bundle) or not files.truststore.exists():
        _write(files.truststore, java_truststore(roots, ca_pem))
    return files


def java_truststore(roots: bytes, ca_pem: str) -> bytes:
    certificates = [x509.load_pem_x509_certificate(ca_pem.encode())]
    for block in roots.split(b"-----END CERTIFICATE-----")[:-1]:
        try:
            with warnings.catch_warnings():  # old roots with non-RFC 5280 serial numbers still load
                warnings.simplefilter("ignore")
                certificates.append(x509.load_pem_x509_certificate(block + b"-----END CERTIFICATE-----\n"))
        except ValueError:  # a root this parser refuses is left out, not fatal
            continue
    entries = [
        pkcs12.PKCS12Certificate(cert, b"twilio-emulator" if index == 0 else f"root-{index}".encode())
        for index, cert in enumerate(certificates)
    ]
    return pkcs12.serialize_java_truststore(
        entries, serialization.BestAvailableEncryption(TRUSTSTORE_PASSWORD.encode())
    )


def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.exists() and path.read_bytes() == data:
        return False
    _write(path, data)
    return True


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
