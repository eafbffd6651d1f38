"""Pointing unmodified programs at the emulator: the local CA."""

from __future__ import annotations

from .ca import CertificateAuthority, default_ca_dir

__all__ = ["CertificateAuthority", "default_ca_dir"]
