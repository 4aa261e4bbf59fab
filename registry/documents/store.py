"""The document store: kept copies named by their SHA-256, behind one small interface
(``DocumentStore``) so that an object store can stand in for the directory."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class DocumentStore(Protocol):
    def put(self, data: bytes) -> str:
        """Keep ``data``; its SHA-256 (hex). Keeping the same bytes twice keeps one copy."""
        ...

    def path(self, sha256: str) -> Path | None:
        """Where the copy is (to stream it), or None when it is not kept."""
        ...


class DirectoryStore:
    """Copies as files ``ab/cd/abcd…`` under one directory, each written to a temporary
    name and renamed into place, so a reader never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _file(self, sha256: str) -> Path:
        if not SHA256.match(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        target = self._file(sha256)
        if target.exists():
            return sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as part:
            part.write(data)
            part.flush()
            os.fsync(part.fileno())
        os.replace(part.name, target)
        return sha256

    def path(self, sha256: str) -> Path | None:
        try:
            found = self._file(sha256)
        except ValueError:
            return None
        return found if found.is_file() else None


def document_store(directory: Path | None) -> DocumentStore:
    """The configured store (REGISTRY_DOCUMENT_DIR)."""
    return DirectoryStore(directory or Path.home() / ".local" / "share" / "registry" / "documents")
