"""Postmortem files: write the draft, check a submitted postmortem for blame.

Drafts live in `WARROOM_DATA_DIR/postmortems/<incident-id>.md`. Writing is
atomic and idempotent: a retried activity writes the same text again, and an
automatic draft never overwrites a file people may already have edited (only an
explicit `draft_postmortem` request replaces it).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from temporalio import activity

from warroom import blameless, postmortem
from warroom.rules.requests import DraftRequest, DraftRef, CheckRequest, CheckResult


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` in one step, so a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def local_path(link: str) -> Path | None:
    """A link the worker can read: a plain path or a file:// URL; None for web links."""
    parsed = urlparse(link)
    if parsed.scheme == "file":
        return Path(parsed.path)
    if parsed.scheme in ("", None) or len(parsed.scheme) == 1:  # a Windows drive letter is not a scheme
        return Path(link)
    return None


class PostmortemActivities:
    def __init__(self, data_dir: Path):
        self.dir = data_dir / "postmortems"

    @activity.defn
    async def write_postmortem_draft(self, req: DraftRequest) -> DraftRef:
        path = (self.dir / postmortem.file_name(req.state)).resolve()
        if path.exists() and not req.replace:
            return DraftRef(path=str(path), written=False)
        write_atomically(path, postmortem.render(req.state, req.generated_at))
        return DraftRef(path=str(path), written=True)

    @activity.defn
    async def check_postmortem(self, req: CheckRequest) -> CheckResult:
        path = local_path(req.link)
        if path is None:
            return CheckResult(checked=False, reason=f"{req.link} is not a local file; check it with `warroom postmortem --file`")
        if not path.is_file():
            return CheckResult(checked=False, reason=f"{path} does not exist on the worker")
        return CheckResult(checked=True, findings=blameless.check(path.read_text(errors="replace")))
