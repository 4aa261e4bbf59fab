"""Department API keys: shown once, stored as a hash, compared in constant time.

A key reads ``mpr_<id>_<secret>``: the id (8 hex) finds the row, the secret (256 bits)
is checked against its SHA-256. A fast hash is right for random secrets of that size
(there is nothing to brute-force); a slow one would only slow every request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Session

from registry.errors import InvalidInput, NotFound
from registry.language import say
from registry.models import ApiKey, Department, ReaderKey
from registry.publishing.authority import Actor

KEY = re.compile(r"^mpr_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")
READER_KEY = re.compile(r"^rdr_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")
DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Credentials:
    """Who a request is: an actor, or why its key was refused (``problem``)."""

    actor: Actor | None = None
    problem: str | None = None  # missing | malformed | unknown | revoked
    key_id: str | None = None

    @property
    def name(self) -> str:
        if self.actor:
            return self.actor.name
        return f"{self.problem}-key" + (f":{self.key_id}" if self.key_id else "")


def create_key(
    session: Session, department_code: str, admin: bool = False, label: str | None = None
) -> tuple[str, str]:
    """(key id, the full key). The key is not stored and cannot be shown again."""
    department = session.scalar(select(Department).where(Department.code == department_code))
    if department is None:
        raise NotFound.one(
            "department",
            "unknown_department",
            say("no department has the code {code!r}", code=department_code),
        )
    key_id, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            id=key_id,
            department_id=department.id,
            is_admin=admin,
            secret_hash=digest(secret),
            label=label,
        )
    )
    return key_id, f"mpr_{key_id}_{secret}"


def create_reader_key(session: Session, label: str, contact: str | None = None) -> tuple[str, str]:
    """(key id, the full key ``rdr_…``) for a reader: higher quotas, no writes."""
    if not label.strip():
        raise InvalidInput.one(
            "label", "required", say("a reader key needs a label: who or what reads with it")
        )
    key_id, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    session.add(ReaderKey(id=key_id, secret_hash=digest(secret), label=label.strip(),
                          contact=contact))  # fmt: skip
    return key_id, f"rdr_{key_id}_{secret}"


def quota_subject(header: str | None) -> tuple[str, str] | None:
    """(key id, secret hash) of a department's or a reader's key in an ``Authorization``
    header, for the quotas to check and count against; None without one."""
    parsed = parse_bearer(header, (KEY, READER_KEY))
    return None if isinstance(parsed, str) else (parsed[0], digest(parsed[1]))


def revoke_key(session: Session, key_id: str) -> bool:
    key = session.get(ApiKey, key_id) or session.get(ReaderKey, key_id)
    if key is None:
        raise NotFound.one("key_id", "unknown_key", say("no key has the id {id!r}", id=key_id))
    if key.revoked_at is not None:
        return False
    key.revoked_at = dt.datetime.now(dt.UTC)
    return True


def parse_bearer(
    header: str | None, kinds: tuple[re.Pattern, ...] = (KEY,)
) -> tuple[str, str] | str:
    """(key id, secret) of a key of one of ``kinds`` (a department's, by default), or the
    problem: missing | malformed."""
    if not header:
        return "missing"
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer":
        for kind in kinds:
            if match := kind.match(token.strip()):
                return match.group(1), match.group(2)
    return "malformed"


def check(row: tuple | None, key_id: str, secret: str, path: str) -> Credentials:
    """``row``: (secret_hash, revoked_at, department_code, is_admin) or None."""
    stored = row[0] if row else DUMMY_HASH
    matches = hmac.compare_digest(digest(secret), stored)
    if row is None or not matches:
        return Credentials(problem="unknown", key_id=key_id)
    if row[1] is not None:
        return Credentials(problem="revoked", key_id=key_id)
    return Credentials(actor=Actor(path=path, department=row[2], is_admin=row[3]), key_id=key_id)


KEY_LOOKUP = text(
    "SELECT k.secret_hash, k.revoked_at, d.code, k.is_admin FROM api_keys k "
    "JOIN departments d ON d.id = k.department_id WHERE k.id = :key_id"
)


async def authenticate(conn: AsyncConnection, header: str | None, path: str) -> Credentials:
    """Who an ``Authorization`` header says the caller is: an actor, or why not."""
    parsed = parse_bearer(header)
    if isinstance(parsed, str):
        return Credentials(problem=parsed)
    key_id, secret = parsed
    row = (await conn.execute(KEY_LOOKUP, {"key_id": key_id})).first()
    return check(tuple(row) if row else None, key_id, secret, path)


def reader_of(session: Session, header: str | None) -> str | None:
    """The id of the live reader key an ``Authorization`` header carries, or None."""
    parsed = parse_bearer(header, (READER_KEY,))
    if isinstance(parsed, str):
        return None
    row = session.get(ReaderKey, parsed[0])
    stored = row.secret_hash if row else DUMMY_HASH
    if hmac.compare_digest(digest(parsed[1]), stored) and row and row.revoked_at is None:
        return row.id
    return None
