"""The local CA: created once per directory with a private key, constrained to twilio.com (checked
with OpenSSL and with cryptography's verifier, not with our own code), and the trust files."""

from __future__ import annotations

import datetime
import ipaddress
import json
import shutil
import stat
import subprocess
import sys
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtensionOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from emulator.cli import main
from emulator.hosts import is_twilio_host
from emulator.proxy import CertificateAuthority
from emulator.proxy.trust import TRUSTSTORE_PASSWORD, write_trust_files


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> CertificateAuthority:
    return CertificateAuthority(tmp_path_factory.mktemp("data") / "ca")


def forge(ca: CertificateAuthority, *names: x509.GeneralName) -> x509.Certificate:
    """A leaf for any name, signed with the CA's own key: what the name constraint must defeat."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    ca_key = serialization.load_pem_private_key(ca.key_path.read_bytes(), password=None)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "forged")]))
        .issuer_name(ca.certificate.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def cryptography_verifies(ca: CertificateAuthority, leaf: x509.Certificate, name: str) -> bool:
    verifier = PolicyBuilder().store(Store([ca.certificate])).build_server_verifier(x509.DNSName(name))
    try:
        verifier.verify(leaf, [])
    except VerificationError:
        return False
    return True


def openssl_verify(ca: CertificateAuthority, leaf: x509.Certificate, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "leaf.pem"
    path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    return subprocess.run(["openssl", "verify", "-CAfile", str(ca.cert_path), str(path)], capture_output=True, text=True)


def test_created_once_with_a_private_key_and_reloaded(ca):
    assert ca.created
    assert stat.S_IMODE(ca.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(ca.directory.stat().st_mode) == 0o700
    again = CertificateAuthority(ca.directory)
    assert not again.created and again.fingerprint == ca.fingerprint


def test_a_key_others_can_read_is_made_private_again(tmp_path):
    first = CertificateAuthority(tmp_path / "ca")
    first.key_path.chmod(0o644)
    CertificateAuthority(tmp_path / "ca")
    assert stat.S_IMODE(first.key_path.stat().st_mode) == 0o600


def test_two_processes_starting_at_once_share_one_ca(tmp_path):
    code = f"from emulator.proxy import CertificateAuthority; print(CertificateAuthority({str(tmp_path / 'ca')!r}).fingerprint)"
    processes = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(3)]
    fingerprints = {p.communicate(timeout=60)[0].strip() for p in processes}
    assert len(fingerprints) == 1 and fingerprints != {""}


def test_the_certificate_is_a_ca_constrained_to_twilio_com(ca):
    constraint = ca.certificate.extensions.get_extension_for_oid(ExtensionOID.NAME_CONSTRAINTS)
    assert constraint.critical
    assert constraint.value.permitted_subtrees == [x509.DNSName("twilio.com")]
    assert {str(n.value) for n in constraint.value.excluded_subtrees} == {"0.0.0.0/0", "::/0"}
    basic = ca.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0


@pytest.mark.parametrize("host", ["api.twilio.com", "messaging.twilio.com", "api.dublin.ie1.twilio.com", "twilio.com"])
def test_minted_leaves_verify_for_twilio_names(ca, host, tmp_path):
    leaf = ca.mint(host)
    assert cryptography_verifies(ca, leaf, host)
    if shutil.which("openssl"):
        result = openssl_verify(ca, leaf, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("host", ["example.com", "eviltwilio.com", "twilio.com.example.com", "", "api..twilio.com"])
def test_the_ca_mints_nothing_for_other_names(ca, host):
    with pytest.raises(ValueError, match=r"only twilio\.com names"):
        ca.mint(host)


def test_a_forged_certificate_for_another_name_fails_verification(ca, tmp_path):
    """Even with the CA's key, a certificate for example.com or an IP address is refused by
    every verifier that honours the name constraint."""
    for leaf, name in ((forge(ca, x509.DNSName("example.com")), "example.com"),
                       (forge(ca, x509.DNSName("api.twilio.com"), x509.DNSName("example.com")), "example.com")):
        assert not cryptography_verifies(ca, leaf, name)
        if shutil.which("openssl"):
            result = openssl_verify(ca, leaf, tmp_path)
            assert result.returncode != 0 and "subtree violation" in result.stdout + result.stderr
    by_ip = forge(ca, x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    if shutil.which("openssl"):
        result = openssl_verify(ca, by_ip, tmp_path)
        assert result.returncode != 0 and "excluded subtree violation" in result.stdout + result.stderr
    # The same forge with a Twilio name verifies: the refusals above come from the constraint.
    assert cryptography_verifies(ca, forge(ca, x509.DNSName("api.twilio.com")), "api.twilio.com")


@pytest.mark.parametrize(
    ("host", "twilio"),
    [("api.twilio.com", True), ("API.Twilio.COM.", True), ("api.sydney.au1.twilio.com", True), ("twilio.com", True),
     ("eviltwilio.com", False), ("twilio.com.evil.com", False), ("api.twilio.co", False), (None, False),
     ("-bad.twilio.com", False), ("a b.twilio.com", False)],
)
def test_which_hosts_are_twilios(host, twilio):
    assert is_twilio_host(host) is twilio


def test_trust_files_hold_the_system_roots_and_the_ca(ca, tmp_path):
    files = write_trust_files(ca.pem, tmp_path / "trust")
    assert files.ca.read_text() == ca.pem
    bundle = files.bundle.read_text()
    assert bundle.endswith(ca.pem) and bundle.count("BEGIN CERTIFICATE") > 50
    with warnings.catch_warnings():  # a system root or two have non-RFC 5280 serial numbers
        warnings.simplefilter("ignore")
        store = pkcs12.load_pkcs12(files.truststore.read_bytes(), TRUSTSTORE_PASSWORD.encode())
    certificates = [c.certificate for c in store.additional_certs]
    assert ca.certificate in certificates and len(certificates) > 50
    before = files.truststore.stat().st_mtime_ns
    write_trust_files(ca.pem, tmp_path / "trust")  # unchanged: not rewritten
    assert files.truststore.stat().st_mtime_ns == before
    if shutil.which("keytool"):  # Java reads it as a truststore
        listed = subprocess.run(["keytool", "-list", "-keystore", str(files.truststore), "-storepass",
                                 TRUSTSTORE_PASSWORD], capture_output=True, text=True)
        assert listed.returncode == 0 and "twilio-emulator, " in listed.stdout and "trustedCertEntry" in listed.stdout


def test_ca_command_says_where_it_is_and_how_to_trust_and_remove_it(ca, capsys):
    assert main(["ca", "--ca-dir", str(ca.directory)]) == 0
    out = capsys.readouterr().out
    assert str(ca.cert_path) in out and ca.fingerprint in out
    assert "update-ca-certificates" in out and "security delete-certificate" in out and "twilio.com" in out
    assert main(["ca", "--ca-dir", str(ca.directory), "--path"]) == 0
    assert capsys.readouterr().out.strip() == str(ca.cert_path)
    assert main(["ca", "--ca-dir", str(ca.directory), "--json"]) == 0
    about = json.loads(capsys.readouterr().out)
    assert about["sha256"] == ca.fingerprint and about["created_now"] is False


def test_ca_command_creates_the_ca_in_the_directory_the_environment_names(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TWILIO_EMULATOR_CA_DIR", str(tmp_path / "from-env"))
    assert main(["ca", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created_now"] is True
    assert (tmp_path / "from-env" / "ca.pem").exists()
