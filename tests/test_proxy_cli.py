"""`twilio-emulator env`: exactly the variables each SDK honours, in four formats, from what a
running emulator says about its proxy (GET /_emulator/proxy); clear errors when it cannot. And the
serve options of the proxy and the TLS port."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from emulator import Settings
from emulator.cli import main
from emulator.testing import EmulatorServer

EXPECTED = {
    "python": {"HTTPS_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE"},
    "python-async": {"SSL_CERT_FILE"},
    "node": {"HTTP_PROXY", "NO_PROXY", "NODE_EXTRA_CA_CERTS"},
    "go": {"HTTPS_PROXY", "NO_PROXY", "SSL_CERT_FILE"},
    "ruby": {"https_proxy", "no_proxy", "SSL_CERT_FILE"},
    "php": {"https_proxy", "no_proxy", "PHP_INI_SCAN_DIR"},
    "java": {"JAVA_TOOL_OPTIONS"},
    "csharp": {"HTTPS_PROXY", "NO_PROXY", "SSL_CERT_FILE"},
    "curl": {"https_proxy", "no_proxy", "CURL_CA_BUNDLE"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = Settings(proxy=True, tls=True, ca_dir=str(tmp_path_factory.mktemp("ca")))
    with EmulatorServer(settings) as running:
        yield running


def env(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["env", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("sdk", sorted(EXPECTED))
def test_each_sdk_gets_exactly_its_variables(server, sdk, tmp_path, capsys):
    code, out, _ = env(capsys, "--sdk", sdk, "--url", server.url, "--format", "json", "--files-dir", str(tmp_path))
    assert code == 0
    values = json.loads(out)
    assert set(values) == EXPECTED[sdk]
    proxy = server.proxy_url
    ca_pem = Path(server.ca_file).read_text()
    for name, value in values.items():
        if name.upper() in ("HTTPS_PROXY", "HTTP_PROXY"):
            assert value == proxy
        elif name.upper() == "NO_PROXY":
            assert value.split(",") == ["localhost", "127.0.0.1", "::1"]
        elif name == "NODE_EXTRA_CA_CERTS":  # adds to Node's roots: our CA alone
            assert Path(value).read_text() == ca_pem
        elif name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):  # replace the roots: all
            bundle = Path(value).read_text()
            assert bundle.endswith(ca_pem) and bundle.count("BEGIN CERTIFICATE") > 50
        elif name == "PHP_INI_SCAN_DIR":
            assert value.startswith(os.pathsep)  # PHP's own scan directory stays first
            ini = (Path(value[1:]) / "twilio-emulator.ini").read_text()
            assert f'curl.cainfo = "{tmp_path / "bundle.pem"}"' in ini and "openssl.cafile" in ini
        elif name == "JAVA_TOOL_OPTIONS":
            port = proxy.rsplit(":", 1)[1]
            options = value.split()
            assert "-Dhttps.proxyHost=127.0.0.1" in options and f"-Dhttps.proxyPort={port}" in options
            assert f"-Djavax.net.ssl.trustStore={tmp_path / 'truststore.p12'}" in options
            assert "-Dhttp.nonProxyHosts=localhost|127.*|[::1]" in options


def test_the_proxy_host_is_the_one_the_url_names(server, tmp_path, capsys):
    """From a container or another machine the emulator is not 127.0.0.1: use --url's host."""
    url = server.url.replace("127.0.0.1", "localhost")
    code, out, _ = env(capsys, "--sdk", "go", "--url", url, "--format", "json", "--files-dir", str(tmp_path))
    values = json.loads(out)
    assert code == 0 and values["HTTPS_PROXY"] == server.proxy_url.replace("127.0.0.1", "localhost")
    assert values["NO_PROXY"] == "localhost,127.0.0.1,::1"


def test_shell_output_evaluates_to_the_same_values(server, tmp_path, capsys):
    code, out, _ = env(capsys, "--sdk", "java", "--url", server.url, "--files-dir", str(tmp_path / "with space"))
    assert code == 0 and out.startswith("export JAVA_TOOL_OPTIONS=")
    _, as_json, _ = env(capsys, "--sdk", "java", "--url", server.url, "--format", "json",
                        "--files-dir", str(tmp_path / "with space"))
    printed = subprocess.run(["bash", "-c", f'{out}\nprintf %s "$JAVA_TOOL_OPTIONS"'], capture_output=True, text=True)
    assert printed.stdout == json.loads(as_json)["JAVA_TOOL_OPTIONS"]


def test_dotenv_and_docker_formats(server, tmp_path, capsys):
    _, dotenv, _ = env(capsys, "--sdk", "java", "--url", server.url, "--format", "dotenv", "--files-dir", str(tmp_path))
    [line] = dotenv.splitlines()
    name, _, value = line.partition("=")
    assert name == "JAVA_TOOL_OPTIONS" and value.startswith("'-Dhttps.proxyHost=") and value.endswith("'")
    _, docker, _ = env(capsys, "--sdk", "python", "--url", server.url, "--format", "docker", "--files-dir", str(tmp_path))
    assert docker.splitlines() == [
        f"HTTPS_PROXY={server.proxy_url}", "NO_PROXY=localhost,127.0.0.1,::1",
        f"REQUESTS_CA_BUNDLE={tmp_path / 'bundle.pem'}",
    ]  # docker --env-file takes values literally: never quoted
    _, shell, _ = env(capsys, "--sdk", "python", "--url", server.url, "--files-dir", str(tmp_path))
    assert shlex.split(shell.splitlines()[0]) == ["export", f"HTTPS_PROXY={server.proxy_url}"]


def test_the_files_go_to_a_per_user_cache_by_default(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code, out, _ = env(capsys, "--sdk", "python", "--url", server.url, "--format", "json")
    bundle = Path(json.loads(out)["REQUESTS_CA_BUNDLE"])
    assert code == 0 and bundle.exists() and (tmp_path / "cache" / "twilio-emulator" / "env") in bundle.parents


def test_the_endpoint_env_reads(server):
    import requests

    info = requests.get(f"{server.url}/_emulator/proxy", timeout=10).json()
    assert info["proxy"] == {"enabled": True, "port": int(server.proxy_url.rsplit(":", 1)[1])}
    assert info["tls"] == {"enabled": True, "port": int(server.tls_url.rsplit(":", 1)[1])}
    assert info["ca"]["certificate"] == Path(server.ca_file).read_text()
    assert Path(info["ca"]["bundle_file"]).exists() and Path(info["ca"]["java_truststore_file"]).exists()
    pem = requests.get(f"{server.url}/_emulator/proxy/ca.pem", timeout=10)
    assert pem.text == info["ca"]["certificate"] and pem.headers["Content-Type"] == "application/x-pem-file"


def test_errors_say_what_to_do(tmp_path, capsys):
    with EmulatorServer() as plain:  # neither --proxy nor --tls
        code, out, err = env(capsys, "--sdk", "python", "--url", plain.url)
        assert (code, out) == (1, "") and "without its proxy or TLS port" in err and "--proxy" in err
    code, _, err = env(capsys, "--sdk", "node", "--url", plain.url)  # stopped now
    assert code == 1 and f"no emulator at {plain.url}" in err
    with EmulatorServer(Settings(tls=True, ca_dir=str(tmp_path / "ca"))) as tls_only:
        code, _, err = env(capsys, "--sdk", "go", "--url", tls_only.url, "--files-dir", str(tmp_path))
        assert code == 1 and "runs without its proxy" in err
        code, out, err = env(capsys, "--sdk", "python-async", "--url", tls_only.url, "--files-dir", str(tmp_path))
        assert code == 0 and out.startswith("export SSL_CERT_FILE=") and "443" in err
    with EmulatorServer(Settings(proxy=True, ca_dir=str(tmp_path / "ca"))) as proxy_only:
        code, _, err = env(capsys, "--sdk", "python-async", "--url", proxy_only.url, "--files-dir", str(tmp_path))
        assert code == 1 and "ignores proxies" in err and "--tls" in err


def test_serve_says_which_port_is_taken(tmp_path, capsys):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        code = main(["serve", "--port", "0", "--proxy", "--proxy-port", str(port), "--ca-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port} for the proxy" in err and "--proxy-port" in err


def test_serve_options_have_environment_twins(monkeypatch):
    monkeypatch.setenv("TWILIO_EMULATOR_PROXY", "true")
    monkeypatch.setenv("TWILIO_EMULATOR_TLS_PORT", "8443")
    monkeypatch.setenv("TWILIO_EMULATOR_CA_DIR", "/somewhere")
    settings = Settings.from_env()
    assert (settings.proxy, settings.tls, settings.tls_port, settings.ca_dir) == (True, False, 8443, "/somewhere")
    with pytest.raises(ValueError, match="proxy_port 70000 is out of range"):
        Settings(proxy_port=70000)
