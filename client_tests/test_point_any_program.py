"""Unmodified programs pointed at the emulator by their environment alone, as the README shows:
`twilio-emulator serve --proxy --tls` in a process of its own, `eval "$(twilio-emulator env --sdk X)"`,
then the program, each in a clean environment (env -i) so nothing else can point it anywhere."""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

from emulator.testing import ControlClient

BIN = Path(sys.executable).parent
AC = "AC" + "6" * 32
TOKEN = "any-program"
HANDSET, NUMBER = "+15551230001", "+15557650001"
NODE_TWILIO = "6.3.1"  # the official twilio-node, from the npm registry

EXAMPLES = Path(__file__).parent / "examples"  # send_sms.py and send_sms.js, quoted in the README

JAVA_APP = """\
import java.net.*;
import java.util.Base64;

public class Send {
    public static void main(String[] args) throws Exception {
        URL url = new URL("https://api.twilio.com/2010-04-01/Accounts/" + args[0] + "/Messages.json?PageSize=1");
        HttpURLConnection connection = (HttpURLConnection) url.openConnection();
        String auth = Base64.getEncoder().encodeToString((args[0] + ":" + args[1]).getBytes());
        connection.setRequestProperty("Authorization", "Basic " + auth);
        System.out.println(connection.getResponseCode());
        System.out.println(new String(connection.getInputStream().readAllBytes()));
    }
}
"""


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    """`twilio-emulator serve --proxy --tls` as a process of its own, every port chosen free."""
    ca_dir = tmp_path_factory.mktemp("ca")
    process = subprocess.Popen(
        [str(BIN / "twilio-emulator"), "serve", "--port", "0", "--proxy", "--tls", "--ca-dir", str(ca_dir),
         "--log-level", "WARNING"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        banner = process.stdout.readline()
        assert "listening on http://" in banner, banner
        url = banner.split("listening on ")[1].strip()
        info = requests.get(f"{url}/_emulator/proxy", timeout=10).json()
        yield {"url": url, "control": ControlClient(url), **info}
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


@pytest.fixture
def control(emulator) -> ControlClient:
    emulator["control"].reset()
    return emulator["control"]


def clean_env(home: Path) -> dict[str, str]:
    """Only what any shell has: no proxy, no CA bundle, nothing of this machine's."""
    return {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8"}


def run_with_env(sdk: str, emulator: dict, tmp_path: Path, command: str, extra: dict | None = None):
    """`eval "$(twilio-emulator env --sdk SDK)"` then the command, as the README says to."""
    files = tmp_path / "env-files"
    script = (
        f'eval "$({shlex.quote(str(BIN / "twilio-emulator"))} env --sdk {sdk} --url {emulator["url"]} '
        f'--files-dir {files})" && {command}'
    )
    env = {**clean_env(tmp_path), **(extra or {})}
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)


def printed_env(sdk: str, emulator: dict, tmp_path: Path) -> dict[str, str]:
    result = subprocess.run(
        [str(BIN / "twilio-emulator"), "env", "--sdk", sdk, "--url", emulator["url"], "--format", "json",
         "--files-dir", str(tmp_path / "env-files")],
        capture_output=True, text=True, timeout=60, env=clean_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def send_twice(run, control: ControlClient) -> None:
    """create → 201; the handset texts STOP; create → 21610: the README's story."""
    first = run()
    assert first.returncode == 0, first.stderr
    sent = json.loads(first.stdout)
    assert sent["status"] == "queued" and sent["sid"].startswith("SM")
    [create] = [r for r in control.requests() if r["method"] == "POST"]
    assert create["status"] == 201
    control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    second = run()
    assert second.returncode == 0, second.stderr
    refused = json.loads(second.stdout)
    assert (refused["http_status"], refused["code"]) == (400, 21610)
    assert "Attempt to send to unsubscribed recipient" in refused["message"]
    assert [m["sid"] for m in control.messages(AC) if m["direction"] == "outbound-api"] == [sent["sid"]]


def test_an_unmodified_python_script_with_only_the_printed_env(emulator, control, tmp_path):
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(EXAMPLES / 'send_sms.py'))} {AC} {TOKEN} {HANDSET}"
    send_twice(lambda: run_with_env("python", emulator, tmp_path, command), control)
    assert set(printed_env("python", emulator, tmp_path)) == {"HTTPS_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE"}


def node_twilio() -> Path:
    """The official twilio package from the npm registry, installed once into a cache folder that
    outlives the run (concurrent workers wait for the first one's install)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "twilio-emulator-tests"
    target = cache / f"node-twilio-{NODE_TWILIO}"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "node_modules" / "twilio" / "package.json").exists():
            staging = cache / f".staging-{os.getpid()}"
            shutil.rmtree(staging, ignore_errors=True)
            result = subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--no-save", "--prefix", str(staging),
                 f"twilio@{NODE_TWILIO}"],
                capture_output=True, text=True, timeout=600,
            )
            assert result.returncode == 0, f"npm install twilio@{NODE_TWILIO} failed:\n{result.stderr}"
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
    return target / "node_modules"


@pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")), reason="node and npm are not installed")
def test_an_unmodified_node_script_with_only_the_printed_env(emulator, control, tmp_path):
    modules = node_twilio()
    command = f"node {shlex.quote(str(EXAMPLES / 'send_sms.js'))} {AC} {TOKEN} {HANDSET}"
    # NODE_PATH only says where npm put the package; every emulator setting comes from `env`.
    send_twice(lambda: run_with_env("node", emulator, tmp_path, command, {"NODE_PATH": str(modules)}), control)
    assert set(printed_env("node", emulator, tmp_path)) == {"HTTP_PROXY", "NO_PROXY", "NODE_EXTRA_CA_CERTS"}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_through_the_proxy_and_against_the_tls_port(emulator, control, tmp_path):
    messages = f"https://api.twilio.com/2010-04-01/Accounts/{AC}/Messages.json"
    data = f"--data-urlencode To={HANDSET} --data-urlencode From={NUMBER} --data-urlencode Body=hi"
    sent = run_with_env("curl", emulator, tmp_path, f"curl -sS -u {AC}:{TOKEN} {data} {messages}")
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["status"] == "queued"
    # --tls: the API on HTTPS for setups that map the Twilio names to the emulator (--resolve here).
    ca = printed_env("curl", emulator, tmp_path)["CURL_CA_BUNDLE"]
    port = emulator["tls"]["port"]
    listed = subprocess.run(
        ["curl", "-sS", "--cacert", ca, "--resolve", f"api.twilio.com:{port}:127.0.0.1", "-u", f"{AC}:{TOKEN}",
         f"https://api.twilio.com:{port}/2010-04-01/Accounts/{AC}/Messages.json"],
        capture_output=True, text=True, timeout=60, env=clean_env(tmp_path),
    )
    assert listed.returncode == 0, listed.stderr
    assert [m["body"] for m in json.loads(listed.stdout)["messages"]] == ["hi"]
    # Twilio's error envelope comes back as it would from Twilio
    refused = run_with_env("curl", emulator, tmp_path, f"curl -sS -u {AC}:wrong-token {messages}")
    assert json.loads(refused.stdout)["code"] == 20003
    # Any other name: the certificate cannot be for it, and curl refuses the connection.
    other = subprocess.run(
        ["curl", "-sS", "--cacert", ca, "--resolve", f"example.com:{port}:127.0.0.1", f"https://example.com:{port}/"],
        capture_output=True, text=True, timeout=60, env=clean_env(tmp_path),
    )
    assert other.returncode == 60 and "example.com" in other.stderr


def test_async_python_trusts_the_tls_port_with_the_printed_bundle(emulator, tmp_path):
    """python-async ignores proxies: SSL_CERT_FILE is its whole setting (with the names mapped)."""
    values = printed_env("python-async", emulator, tmp_path)
    assert list(values) == ["SSL_CERT_FILE"]
    probe = textwrap.dedent(f"""
        import socket, ssl
        context = ssl.create_default_context()  # what aiohttp uses: it reads SSL_CERT_FILE
        with context.wrap_socket(socket.create_connection(("127.0.0.1", {emulator["tls"]["port"]})),
                                 server_hostname="api.twilio.com") as tls:
            print(dict(x[0] for x in tls.getpeercert()["subject"])["commonName"])
    """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                            env={**clean_env(tmp_path), **values})
    assert (result.returncode, result.stdout.strip()) == (0, "api.twilio.com"), result.stderr
    # The bundle replaces the system's: it must still hold the system's roots beside our CA.
    bundle = Path(values["SSL_CERT_FILE"]).read_text()
    assert bundle.count("BEGIN CERTIFICATE") > 50 and bundle.endswith(emulator["ca"]["certificate"])


@pytest.mark.skipif(shutil.which("java") is None, reason="java is not installed")
def test_java_with_the_printed_tool_options(emulator, control, tmp_path):
    """JAVA_TOOL_OPTIONS: the proxy system properties and a PKCS#12 truststore (roots + our CA)."""
    requests.post(f"{emulator['url']}/2010-04-01/Accounts/{AC}/Messages.json", auth=(AC, TOKEN),
                  data={"To": HANDSET, "From": NUMBER, "Body": "for java"}, timeout=10)
    (tmp_path / "Send.java").write_text(JAVA_APP)
    result = run_with_env("java", emulator, tmp_path, f"java Send.java {AC} {TOKEN}")
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.split("\n", 1)
    assert status == "200" and json.loads(body)["messages"][0]["body"] == "for java"
