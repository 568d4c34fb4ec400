"""Tenancy: what exists now. Organisations, domains, accounts, aliases, allocations and
quotas, and authentication. The rules live here; the rows live in ``postroom.store``.
"""

from __future__ import annotations

from dataclasses import dataclass

from postroom.store.blobs import BlobStore
from postroom.store.db import Database
from postroom.tenancy.accounts import Accounts
from postroom.tenancy.auth import Authenticator, ThrottlePolicy
from postroom.tenancy.operators import Operators
from postroom.tenancy.organisations import Organisations
from postroom.tenancy.passwords import Passwords
from postroom.tenancy.recipients import Recipients


@dataclass
class Tenancy:
    """The tenancy services of one node, built once by ``postroom.app``."""

    organisations: Organisations
    accounts: Accounts
    recipients: Recipients
    auth: Authenticator
    operators: Operators

    @classmethod
    def build(cls, db: Database, blobs: BlobStore, passwords: Passwords, *,
              default_quota: int, throttle: ThrottlePolicy | None = None) -> Tenancy:
        return cls(
            organisations=Organisations(db),
            accounts=Accounts(db, passwords, blobs, default_quota),
            recipients=Recipients(db),
            auth=Authenticator(db, passwords, throttle),
            operators=Operators(db, passwords),
        )
