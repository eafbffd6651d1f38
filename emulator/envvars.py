"""`twilio-emulator env`: the environment variables that point one SDK at a running emulator.

Each official SDK honours different variables (read from their sources):

| SDK            | proxy                                      | trust                                      |
|----------------|--------------------------------------------|--------------------------------------------|
| python         | HTTPS_PROXY, NO_PROXY (requests)           | REQUESTS_CA_BUNDLE (replaces the bundle)   |
| python-async   | none: aiohttp with trust_env=False         | SSL_CERT_FILE (replaces)                   |
| node           | HTTP_PROXY only, as the HTTPS tunnel       | NODE_EXTRA_CA_CERTS (adds)                 |
| go             | HTTPS_PROXY, NO_PROXY (net/http)           | SSL_CERT_FILE (replaces)                   |
| ruby           | https_proxy, no_proxy (Faraday)            | SSL_CERT_FILE (replaces)                   |
| php            | https_proxy, no_proxy (libcurl)            | curl.cainfo, set by PHP_INI_SCAN_DIR       |
| java           | -Dhttps.proxyHost/Port (JAVA_TOOL_OPTIONS) | -Djavax.net.ssl.trustStore (replaces)      |
| csharp         | HTTPS_PROXY, NO_PROXY (HttpClient)         | SSL_CERT_FILE (replaces)                   |
| curl           | https_proxy, no_proxy                      | CURL_CA_BUNDLE (replaces)                  |

Where a variable replaces the trust store it names a bundle of the system roots plus our CA, so
the program still reaches every other HTTPS site.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import sys
from pathlib import Path
from urllib.parse import urlsplit

SDKS = ("python", "python-async", "node", "go", "ruby", "php", "java", "csharp", "curl")
FORMATS = ("shell", "dotenv", "json", "docker")
LOOPBACK = ("localhost", "127.0.0.1", "::1")


class EnvError(Exception):
    """Why the variables cannot be printed, in a sentence that says what to do."""


def default_files_dir() -> Path:
    """The per-user cache directory that holds the CA copy, bundle and truststore env refers to."""
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "twilio-emulator" / "cache"
    elif sys.platform == "darwin":
        base = home / "Library" / "Caches" / "twilio-emulator"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "twilio-emulator"
    return base / "env"


def fetch_info(url: str, token: str | None = None) -> dict:
    """Ask the emulator at `url` for its proxy, TLS port and CA (GET /_emulator/proxy); `token`:
    its --control-token (default $TWILIO_EMULATOR_CONTROL_TOKEN)."""
    import requests

    from .testing import BearerAuth, control_token

    token = control_token(token)
    try:
        response = requests.get(f"{url.rstrip('/')}/_emulator/proxy", timeout=10,
                                auth=BearerAuth(token) if token else None)
    except requests.RequestException as exc:
        raise EnvError(f"no emulator at {url} ({exc.__class__.__name__}): start one with "
                       "`twilio-emulator serve --proxy`") from None
    if response.status_code == 404:
        raise EnvError(f"the emulator at {url} runs without its proxy or TLS port: restart it with "
                       "`twilio-emulator serve --proxy` (or --tls)")
    if response.status_code != 200:
        reason = response.json().get("error", "") if response.headers.get("Content-Type") == "application/json" else ""
        raise EnvError(f"the emulator at {url} answered {response.status_code} to GET /_emulator/proxy"
                       + (f": {reason}" if reason else ""))
    return response.json()


def variables(sdk: str, info: dict, url: str, files_dir: str | Path | None = None) -> dict[str, str]:
    """The variables `sdk` needs to reach the emulator described by `info` (GET /_emulator/proxy),
    writing the trust files they name into files_dir (default: a per-user cache directory)."""
    from .proxy.trust import TRUSTSTORE_PASSWORD, write_trust_files

    if sdk not in SDKS:
        raise EnvError(f"unknown SDK {sdk!r}: one of {', '.join(SDKS)}")
    ca = info["ca"]
    directory = Path(files_dir) if files_dir else default_files_dir() / _fingerprint_key(ca["certificate"])
    trust = write_trust_files(ca["certificate"], directory)
    bundle = str(trust.bundle)
    if sdk == "python-async":
        if not info["tls"]["enabled"]:
            raise EnvError("async twilio-python ignores proxies: start the emulator with `--tls --tls-port 443` "
                           "and map the Twilio host names to it (README: Point any program at it)")
        return {"SSL_CERT_FILE": bundle}
    if not info["proxy"]["enabled"]:
        raise EnvError(f"the emulator at {url} runs without its proxy: restart it with `twilio-emulator serve --proxy`")
    host = urlsplit(url).hostname or "127.0.0.1"
    port = info["proxy"]["port"]
    proxy = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    no_proxy = ",".join(dict.fromkeys((*LOOPBACK, host)))
    if sdk == "python":
        return {"HTTPS_PROXY": proxy, "NO_PROXY": no_proxy, "REQUESTS_CA_BUNDLE": bundle}
    if sdk == "node":
        return {"HTTP_PROXY": proxy, "NO_PROXY": no_proxy, "NODE_EXTRA_CA_CERTS": str(trust.ca)}
    if sdk in ("go", "csharp"):
        return {"HTTPS_PROXY": proxy, "NO_PROXY": no_proxy, "SSL_CERT_FILE": bundle}
    if sdk == "ruby":
        return {"https_proxy": proxy, "no_proxy": no_proxy, "SSL_CERT_FILE": bundle}
    if sdk == "curl":
        return {"https_proxy": proxy, "no_proxy": no_proxy, "CURL_CA_BUNDLE": bundle}
    if sdk == "php":
        ini = directory / "php" / "twilio-emulator.ini"
        ini.parent.mkdir(exist_ok=True)
        ini.write_text(
            f'; written by `twilio-emulator env --sdk php`\ncurl.cainfo = "{bundle}"\nopenssl.cafile = "{bundle}"\n'
        )
        # A leading separator keeps PHP's own scan directory and adds ours after it.
        return {"https_proxy": proxy, "no_proxy": no_proxy, "PHP_INI_SCAN_DIR": f"{os.pathsep}{ini.parent}"}
    non_proxy = "|".join(("localhost", "127.*", "[::1]", *(() if host in LOOPBACK else (host,))))
    options = [
        f"-Dhttps.proxyHost={host}", f"-Dhttps.proxyPort={port}", f"-Dhttp.nonProxyHosts={non_proxy}",
        f"-Djavax.net.ssl.trustStore={trust.truststore}", "-Djavax.net.ssl.trustStoreType=PKCS12",
        f"-Djavax.net.ssl.trustStorePassword={TRUSTSTORE_PASSWORD}",
    ]
    return {"JAVA_TOOL_OPTIONS": " ".join(options)}


def render(values: dict[str, str], fmt: str) -> str:
    """shell: `export` lines for eval; dotenv: compose's env_file; docker: `docker run --env-file`
    (taken literally, so never quoted); json: one object."""
    if fmt == "json":
        return json.dumps(values, indent=2)
    if fmt == "shell":
        return "\n".join(f"export {name}={shlex.quote(value)}" for name, value in values.items())
    if fmt == "docker":
        return "\n".join(f"{name}={value}" for name, value in values.items())
    if fmt == "dotenv":
        return "\n".join(f"{name}={_dotenv_value(value)}" for name, value in values.items())
    raise EnvError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")


def _dotenv_value(value: str) -> str:
    if value and all(c.isalnum() or c in "_-./:,@" for c in value):
        return value
    if "'" not in value:  # single quotes: literal in compose and python-dotenv alike (no $ expansion)
        return f"'{value}'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fingerprint_key(pem: str) -> str:
    """A short directory name per CA: files of two emulators' CAs never overwrite each other."""
    return hashlib.sha256(pem.encode()).hexdigest()[:16]
