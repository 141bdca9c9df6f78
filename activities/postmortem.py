"""Postmortem drafts: write the draft, check a submitted postmortem for blame.

Drafts are rows in the database (`store.postmortems`), served by the gateway
at `<public URL>/postmortems/<incident-id>`: that URL is the draft's link in
the channel, the direct message and the tracker's issues. Writing is
idempotent: a retried activity writes the same draft again, and an automatic
draft never replaces one that exists (only an explicit `draft_postmortem`
request does).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from temporalio import activity

from store.db import Database
from store.postmortems import PostmortemDrafts
from warroom import blameless, postmortem
from warroom.rules.requests import DraftRequest, DraftRef, CheckRequest, CheckResult


def local_path(link: str) -> Path | None:
    """A link the worker can read: a plain path or a file:// URL; None for web links."""
    parsed = urlparse(link)
    if parsed.scheme == "file":
        return Path(parsed.path)
    if parsed.scheme in ("", None) or len(parsed.scheme) == 1:  # a Windows drive letter is not a scheme
        return Path(link)
    return None


class PostmortemActivities:
    def __init__(self, db: Database, gateway_url: str, link_secret: str | None = None):
        self.drafts = PostmortemDrafts(db)
        self.gateway_url = gateway_url
        self.link_secret = link_secret

    @activity.defn
    async def write_postmortem_draft(self, req: DraftRequest) -> DraftRef:
        s = req.state
        written = await self.drafts.save(s.id, postmortem.render(s, req.generated_at), req.generated_at, replace=req.replace)
        return DraftRef(url=postmortem.draft_url(self.gateway_url, s.id, self.link_secret), written=written)

    @activity.defn
    async def check_postmortem(self, req: CheckRequest) -> CheckResult:
        """Our own draft's URL is read from the database, a path or file:// URL
        from the worker's disk (`warroom postmortem --file`); other links are
        not fetched."""
        if (incident := postmortem.drafted_incident(req.link, self.gateway_url)) is not None:
            if (draft := await self.drafts.get(incident)) is None:
                return CheckResult(checked=False, reason=f"{req.link}: no draft of {incident} in the database")
            return CheckResult(checked=True, findings=blameless.check(draft.markdown, req.participants))
        path = local_path(req.link)
        if path is None:
            return CheckResult(checked=False, reason=f"{req.link} is not a local file; check it with `warroom postmortem --file`")
        if not path.is_file():
            return CheckResult(checked=False, reason=f"{path} does not exist on the worker")
        return CheckResult(checked=True, findings=blameless.check(path.read_text(errors="replace"), req.participants))
