"""The emulator's own control API under /_emulator (JSON; errors are {"error": "..."})."""

from .routes import register

__all__ = ["register"]
