"""The sandbox page: a phone-like view of every conversation, the opt-out ledger, the webhook log and
the controls, served at /_emulator/ to browsers (API clients still get the control API's JSON).

Pages are server-rendered shells (Jinja2) that hold no data, so a browser can open them before it
has the control token; their content comes from parts (/_emulator/parts/...), HTML rendered from
the control API's own JSON shapes and fetched like any control request. What the page changes, it
changes through the control API (its forms send JSON to /_emulator/...), and it follows
GET /_emulator/events to refresh what it shows. No build step and no network: the CSS and
JavaScript ship in this package.
"""

from .views import HOME, home, register, wants_html

__all__ = ["HOME", "home", "register", "wants_html"]
