"""patch(url): every twilio.rest.Client of this process talks to the emulator, and nothing else
may reach a real Twilio host. Like moto's mock_aws, as a context manager or a decorator:

    from emulator.testing import patch

    with patch("http://127.0.0.1:4010"):
        Client(sid, token).messages.create(...)   # built anywhere, sync or async: the emulator

Two layers, both undone when the last patch() exits:
- the SDK's ClientBase.get_hostname, through which every request of every Client (sync and
  async, any HTTP client, any region or edge) passes, sends *.twilio.com URLs to the emulator;
- a guard refuses any other request to a Twilio host with RealTwilioRequestError, naming the code
  that made it: at aiohttp's ClientSession._request (aiohttp resolves names in a task of its own,
  whose stack no longer shows the caller) and at host-name resolution for everything else
  (socket.getaddrinfo, asyncio's loop.getaddrinfo).
"""

from __future__ import annotations

import asyncio
import functools
import http.client
import inspect
import os
import socket
import sys
import threading
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .hosts import is_twilio_host

DEFAULT_URL = "http://127.0.0.1:4010"
# Frames of these packages are the path to the network, not the code that asked for it.
_LIBRARIES = frozenset({
    "emulator", "twilio", "requests", "urllib3", "aiohttp", "aiohttp_retry", "httpx", "httpcore", "anyio",
    "asyncio", "socket", "ssl", "http", "urllib", "concurrent", "threading", "selectors", "contextlib",
    "functools", "yarl", "multidict", "aiohappyeyeballs",
})


class RealTwilioRequestError(RuntimeError):
    """Raised under patch() instead of contacting a real Twilio host. Not an OSError, so HTTP
    libraries let it through unchanged instead of retrying or wrapping it."""

    def __init__(self, host: str, call_site: str, emulator_url: str) -> None:
        self.host = host
        self.call_site = call_site
        super().__init__(
            f"blocked a request to the real Twilio ({host}) from {call_site}: emulator.testing.patch() is "
            f"on, so nothing may reach production. twilio.rest.Client requests go to the emulator at "
            f"{emulator_url}; this one did not go through a Client (a hand-made HTTP call, or an SDK HTTP "
            f"client used on its own). Send it to {emulator_url} instead."
        )


class _Patcher:
    """The process-wide state: a stack of emulator URLs (nested patch() calls), the originals."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.urls: list[str] = []
        self.originals: dict[str, Any] = {}

    @property
    def url(self) -> str:
        return self.urls[-1]

    def push(self, url: str) -> None:
        with self.lock:
            if not self.urls:
                self._install()
            self.urls.append(url)

    def pop(self, url: str) -> None:
        with self.lock:
            # the innermost entry of this URL, even if exits come out of order
            del self.urls[len(self.urls) - 1 - self.urls[::-1].index(url)]
            if not self.urls:
                self._uninstall()

    def _install(self) -> None:
        from twilio.base.client_base import ClientBase

        get_hostname = ClientBase.get_hostname
        getaddrinfo = socket.getaddrinfo
        loop_getaddrinfo = asyncio.BaseEventLoop.getaddrinfo
        set_tunnel = http.client.HTTPConnection.set_tunnel
        self.originals = {"get_hostname": get_hostname, "getaddrinfo": getaddrinfo, "loop": loop_getaddrinfo,
                          "set_tunnel": set_tunnel}

        @functools.wraps(get_hostname)
        def redirected(client: ClientBase, uri: str) -> str:
            return self.redirect(get_hostname(client, uri))

        @functools.wraps(getaddrinfo)
        def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
            self.guard(host)
            return getaddrinfo(host, *args, **kwargs)

        @functools.wraps(set_tunnel)
        def tunnel_guarded(connection: Any, host: Any, *args: Any, **kwargs: Any) -> Any:
            self.guard(host)  # through an HTTPS_PROXY, only the proxy's name is looked up
            return set_tunnel(connection, host, *args, **kwargs)

        @functools.wraps(loop_getaddrinfo)
        async def loop_guarded(loop: Any, host: Any, *args: Any, **kwargs: Any) -> Any:
            self.guard(host)  # here, in the caller's task, the stack still shows who asked
            return await loop_getaddrinfo(loop, host, *args, **kwargs)

        # Patching these functions is the whole point of patch(): mypy sees methods replaced.
        ClientBase.get_hostname = redirected
        socket.getaddrinfo = guarded
        http.client.HTTPConnection.set_tunnel = tunnel_guarded  # type: ignore[method-assign, assignment]
        asyncio.BaseEventLoop.getaddrinfo = loop_guarded  # type: ignore[method-assign, assignment]
        session: Any = _aiohttp_session()
        if session is not None:
            request = self.originals["aiohttp"] = session._request

            @functools.wraps(request)
            async def session_guarded(client: Any, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
                self.guard(urlsplit(str(url)).hostname)
                return await request(client, method, url, *args, **kwargs)

            session._request = session_guarded

    def _uninstall(self) -> None:
        from twilio.base.client_base import ClientBase

        ClientBase.get_hostname = self.originals["get_hostname"]
        socket.getaddrinfo = self.originals["getaddrinfo"]
        http.client.HTTPConnection.set_tunnel = self.originals["set_tunnel"]  # type: ignore[method-assign]
        asyncio.BaseEventLoop.getaddrinfo = self.originals["loop"]  # type: ignore[method-assign]
        if "aiohttp" in self.originals:
            session: Any = _aiohttp_session()
            session._request = self.originals["aiohttp"]

    def redirect(self, uri: str) -> str:
        parts = urlsplit(uri)
        if not is_twilio_host(parts.hostname):
            return uri
        target = urlsplit(self.url)
        return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, parts.fragment))

    def guard(self, host: object) -> None:
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if isinstance(host, str) and is_twilio_host(host) and self.urls:
            raise RealTwilioRequestError(host, _call_site(), self.url)


_patcher = _Patcher()


def _aiohttp_session() -> type | None:
    try:
        from aiohttp import ClientSession
    except ImportError:  # the async SDK client is optional
        return None
    return ClientSession if hasattr(ClientSession, "_request") else None


def _call_site() -> str:
    """file:line in function of the innermost frame that belongs to no HTTP library (nor to us)."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        package = str(frame.f_globals.get("__name__", "")).split(".", 1)[0]
        if package not in _LIBRARIES:
            return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return "(unknown: the lookup ran outside the code that asked for it)"


class patch:  # noqa: N801 - used like a function, as mock.patch and moto's mock_aws are
    """Point every twilio.rest.Client of this process at the emulator at `url` (default
    $TWILIO_EMULATOR_URL or http://127.0.0.1:4010), and refuse any other request to a real Twilio
    host with RealTwilioRequestError. A context manager and a decorator (sync or async functions).
    Process-wide while active, like moto: threads started meanwhile are covered too."""

    def __init__(self, url: str | None = None) -> None:
        url = url or os.environ.get("TWILIO_EMULATOR_URL") or DEFAULT_URL
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"patch() needs the emulator's URL, such as {DEFAULT_URL}; got {url!r}")
        self.url = url.rstrip("/")

    def __enter__(self) -> patch:
        _patcher.push(self.url)
        return self

    def __exit__(self, *exc: object) -> None:
        _patcher.pop(self.url)

    def __call__(self, function):  # noqa: ANN001, ANN204
        if inspect.iscoroutinefunction(function):
            @functools.wraps(function)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with patch(self.url):
                    return await function(*args, **kwargs)

            return async_wrapper

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with patch(self.url):
                return function(*args, **kwargs)

        return wrapper
