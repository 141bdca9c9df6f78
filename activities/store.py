"""Crash-safe JSON files for the built-in local integrations.

Several workers may share one data directory, so every read-modify-write holds an
exclusive `flock` and replaces the file atomically: a worker killed mid-write
leaves the previous version, never half a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside `path` (a `.lock` file) for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(path.suffix + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


class JsonStore:
    def __init__(self, path: Path, empty: dict[str, Any]):
        self.path = path
        self._empty = empty

    def read(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return json.loads(json.dumps(self._empty))

    @contextlib.contextmanager
    def edit(self) -> Iterator[dict[str, Any]]:
        """Yield the document under an exclusive lock; it is saved when the block ends."""
        with locked(self.path):
            doc = self.read()
            yield doc
            os.replace(self._written_aside(doc), self.path)

    def create(self, doc: dict[str, Any]) -> bool:
        """Save `doc` unless the file exists (then False), with no lock: it is
        linked into place, and a link never replaces a file."""
        aside = self._written_aside(doc)
        try:
            os.link(aside, self.path)
        except FileExistsError:
            return False
        finally:
            os.unlink(aside)
        return True

    def _written_aside(self, doc: dict[str, Any]) -> str:
        """`doc` in a new file beside this one, on disk: moving or linking it
        into place then shows readers all of it or none."""
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name)
        with os.fdopen(fd, "w") as out:
            json.dump(doc, out, indent=1, default=str)
            out.flush()
            os.fsync(out.fileno())
        return tmp
