"""Plain value types the store hands to the layers above (never ORM rows or SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SpecialUse(StrEnum):
    """RFC 6154 special-use attributes (and INBOX)."""

    INBOX = "\\Inbox"
    SENT = "\\Sent"
    DRAFTS = "\\Drafts"
    TRASH = "\\Trash"
    JUNK = "\\Junk"
    ARCHIVE = "\\Archive"


#: Folders every new account gets (DESIGN section 4).
DEFAULT_FOLDERS: tuple[tuple[str, SpecialUse], ...] = (
    ("INBOX", SpecialUse.INBOX),
    ("Sent", SpecialUse.SENT),
    ("Drafts", SpecialUse.DRAFTS),
    ("Trash", SpecialUse.TRASH),
    ("Junk", SpecialUse.JUNK),
    ("Archive", SpecialUse.ARCHIVE),
)

DELIMITER = "/"


@dataclass(frozen=True)
class FolderInfo:
    id: int
    account_id: int
    name: str
    special_use: SpecialUse | None
    uidvalidity: int
    uidnext: int
    highestmodseq: int
    subscribed: bool


@dataclass(frozen=True)
class FolderStatus:
    """A folder with its counts (IMAP STATUS, the web mail's folder list)."""

    folder: FolderInfo
    messages: int
    unseen: int
    size: int
    deleted: int


@dataclass(frozen=True)
class MessageRow:
    """One message in a folder, without its bytes."""

    id: int
    folder_id: int
    uid: int
    modseq: int
    size: int
    internal_date: datetime
    flags: frozenset[str]
    blob_hash: str
    blob_id: int
    #: Per account (``store.conversations``); 0 only for rows made outside the store.
    conversation_id: int = 0


@dataclass(frozen=True)
class MessageDetail:
    """A message with the parsed summary and list fields of its blob."""

    row: MessageRow
    summary: dict[str, object]
    subject: str
    from_text: str
    to_text: str
    cc_text: str
    sent_date: datetime | None
    message_id: str
    preview: str
    has_attachments: bool


@dataclass(frozen=True)
class AppendResult:
    uidvalidity: int
    uid: int
    modseq: int


@dataclass(frozen=True)
class CopyResult:
    """RFC 4315 COPYUID: source UIDs and the UIDs they got in the destination."""

    uidvalidity: int
    source_uids: tuple[int, ...]
    dest_uids: tuple[int, ...]


@dataclass(frozen=True)
class FlagUpdate:
    """Result of a flag change (RFC 7162 STORE): what changed and what was refused."""

    changed: tuple[MessageRow, ...]
    modified: tuple[int, ...]  # UIDs refused by UNCHANGEDSINCE
    modseq: int


@dataclass(frozen=True)
class Changes:
    """What changed in a folder since a MODSEQ (CONDSTORE/QRESYNC, IMAP NOOP)."""

    highestmodseq: int
    uidnext: int
    changed: tuple[MessageRow, ...]
    vanished: tuple[int, ...]


@dataclass(frozen=True)
class Target:
    """Where one delivered copy goes."""

    account_id: int
    folder: str = "INBOX"
    flags: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class DeliveryOutcome:
    """Per target: the append result, or the error that refused it."""

    target: Target
    result: AppendResult | None
    error: Exception | None


@dataclass(frozen=True)
class Quota:
    usage: int
    limit: int

    @property
    def free(self) -> int:
        return max(0, self.limit - self.usage)


# --- tenancy records ----------------------------------------------------------------


class OrgStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class Funding(StrEnum):
    CENTRAL = "central"
    CHARGED = "charged"


class DomainStatus(StrEnum):
    PENDING_DNS = "pending_dns"
    ACTIVE = "active"
    DISABLED = "disabled"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class Role(StrEnum):
    USER = "user"
    ORG_ADMIN = "org_admin"


@dataclass(frozen=True)
class Organisation:
    id: int
    name: str
    status: OrgStatus
    mailbox_allocation: int
    storage_allocation: int
    smtp_access: bool
    funding: Funding
    max_messages_per_day: int
    max_new_recipients_per_day: int
    allow_forwarding: bool
    created_at: datetime


@dataclass(frozen=True)
class Domain:
    id: int
    organisation_id: int
    name: str
    status: DomainStatus
    dkim_selector: str
    dkim_private_key: str = field(repr=False)
    last_dns_check: datetime | None = None
    dns_result: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Account:
    id: int
    organisation_id: int
    domain_id: int
    address: str
    display_name: str
    password_hash: str = field(repr=False)
    status: AccountStatus = AccountStatus.ACTIVE
    role: Role = Role.USER
    quota: int = 0
    usage: int = 0
    password_changed_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Alias:
    id: int
    domain_id: int
    address: str
    targets: tuple[str, ...]


@dataclass(frozen=True)
class Operator:
    id: int
    login: str
    password_hash: str = field(repr=False)


@dataclass(frozen=True)
class OrgUsage:
    """What an organisation uses of its allocation (terminated accounts excluded)."""

    mailboxes: int
    quota_total: int
    usage_total: int


@dataclass(frozen=True)
class Throttle:
    key: str
    failures: int
    last_failure: datetime
    blocked_until: datetime | None
