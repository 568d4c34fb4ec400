"""Delivery unit tests share the SMTP world (a populated store and its services)."""

from tests.protocol.smtp.conftest import world

__all__ = ["world"]
