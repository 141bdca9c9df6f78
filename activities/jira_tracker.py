"""Jira as the follow-up tracker, through the `jira` package.

Each action item becomes one issue labelled `warroom`, `incident-<id>` and
`action-<n>`. The labels are searched before creating, so a retry whose first
attempt created the issue (and lost the answer) returns that issue. Issues of
one incident are linked to each other with "Relates".

The owner becomes the assignee: on Cloud by `accountId`, the person's `jira`
in the people directory or else the account user search finds by their e-mail
address; on Server/Data Center by username, configured, found by e-mail, or
the owner's handle. A retry that finds the issue sets a missing assignee, so
an issue ends up assigned however its create went. When no account matches,
the issue is created unassigned and the incident's timeline says why. When
Jira refuses an optional field (assignee, priority, due date are not on
every project's screens) the issue is created without it and the description
says what it would have been, so the follow-up is never lost over a field.

`jira` is synchronous and retries on its own; here it runs in a thread with its
retries off, because Temporal's activity retries (which honour Retry-After)
own that job. Search goes where the package sends it: `search/jql` on Cloud
(`deploymentType` "Cloud" in serverInfo), `search` on Data Center.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import requests
from jira import JIRA, JIRAError

from activities.failures import from_status, redact, retryable
from activities.tracker import TrackerItem, TrackerRef

A = TypeVar("A")
R = TypeVar("R")

SERVICE = "Jira"
PRIORITY = {"SEV1": "Highest", "SEV2": "High", "SEV3": "Medium", "SEV4": "Low"}
OPTIONAL_FIELDS = {"assignee", "priority", "duedate"}
LINK_TYPE = "Relates"


class JiraTracker:
    def __init__(self, server: str, user: str, token: str, project: str, issue_type: str = "Task"):
        self.server = server.rstrip("/")
        self.user = user
        self.token = token
        self.project = project
        self.issue_type = issue_type
        self._client: JIRA | None = None
        self._lock = threading.Lock()

    async def create(self, item: TrackerItem) -> TrackerRef:
        return await asyncio.to_thread(self._guarded, self._create, item)

    async def status(self, key: str) -> Literal["open", "done"] | None:
        return await asyncio.to_thread(self._guarded, self._status, key)

    # --- in the worker thread ---------------------------------------------------------

    def _create(self, item: TrackerItem) -> TrackerRef:
        jira = self._jira()
        assignee, unassigned = self._assignee(jira, item)
        found = self._search(jira, f'labels = "incident-{item.incident_id}" AND labels = "action-{item.number}"')
        if found:
            key = found[0]["key"]
            if assignee and not _same_user(found[0]["fields"].get("assignee"), assignee):
                jira.issue(key, fields="assignee").update(fields={"assignee": assignee})
        else:
            key, refused = self._create_issue(jira, item, assignee)
            if "assignee" in refused:
                unassigned = f"Jira refused {item.owner} as assignee"
        self._link_siblings(jira, item, key)
        return TrackerRef(key=key, url=f"{self.server}/browse/{key}", unassigned=unassigned)

    def _assignee(self, jira: JIRA, item: TrackerItem) -> tuple[dict[str, str] | None, str | None]:
        """The assignee field for the owner, or None and why not."""
        cloud = jira.deploymentType == "Cloud"
        account = item.assignee
        if account is None and item.assignee_email:
            users = jira.search_users(query=item.assignee_email) if cloud else jira.search_users(user=item.assignee_email)
            matches = [u.raw for u in users if (u.raw.get("emailAddress") or "").lower() in ("", item.assignee_email.lower())]
            if len(matches) == 1:
                account = matches[0]["accountId"] if cloud else matches[0]["name"]
        if account is None and not cloud:
            account = item.owner
        if account is None:
            how = f"by e-mail {item.assignee_email}" if item.assignee_email else "(no `jira` or `email` in [people])"
            return None, f"no Jira account found for {item.owner} {how}"
        return ({"accountId": account} if cloud else {"name": account}), None

    def _status(self, key: str) -> Literal["open", "done"] | None:
        """Jira's status category, which every workflow maps its statuses to."""
        try:
            issue = self._jira().issue(key, fields="status")
        except JIRAError as err:
            if err.status_code == 404:
                return None
            raise
        category = (issue.raw["fields"].get("status") or {}).get("statusCategory") or {}
        return "done" if category.get("key") == "done" else "open"

    def _create_issue(self, jira: JIRA, item: TrackerItem, assignee: dict[str, str] | None) -> tuple[str, set[str]]:
        """The new issue's key, and the optional fields Jira refused."""
        fields: dict[str, Any] = {
            "project": {"key": self.project},
            "issuetype": {"name": self.issue_type},
            "summary": item.title[:255],
            "labels": item.labels,
            "assignee": assignee,
            "priority": {"name": PRIORITY[item.severity.value]},
            "duedate": item.due.isoformat(),
        }
        fields = {k: v for k, v in fields.items() if v is not None}
        notes = [f"Owner: {item.owner}", f"Due: {item.due.isoformat()}"]
        fields["description"] = self._description(item, notes)
        try:
            return jira.create_issue(fields=fields, prefetch=False).key, set()
        except JIRAError as err:
            refused = set(_field_errors(err))
            if err.status_code != 400 or not refused or not refused <= OPTIONAL_FIELDS:
                raise
        for name in refused:
            fields.pop(name)
        notes.append(f"Jira refused {', '.join(sorted(refused))}; set by hand.")
        fields["description"] = self._description(item, notes)
        return jira.create_issue(fields=fields, prefetch=False).key, refused

    @staticmethod
    def _description(item: TrackerItem, notes: list[str]) -> str:
        return "\n\n".join([item.description, *notes, f"Created by warroom for incident {item.incident_id}."])

    def _link_siblings(self, jira: JIRA, item: TrackerItem, key: str) -> None:
        issues = self._search(jira, f'labels = "incident-{item.incident_id}" AND labels = "warroom"')
        mine = next((i for i in issues if i["key"] == key), None)
        linked = {
            (link.get("inwardIssue") or link.get("outwardIssue") or {}).get("key")
            for link in ((mine or {}).get("fields", {}).get("issuelinks") or [])
        }
        for other in issues:
            if other["key"] != key and other["key"] not in linked:
                jira.create_issue_link(LINK_TYPE, key, other["key"])

    @staticmethod
    def _search(jira: JIRA, jql: str) -> list[dict[str, Any]]:
        issues = jira.search_issues(jql, maxResults=100, fields=["summary", "labels", "issuelinks", "assignee"])
        return [issue.raw for issue in issues]

    def _jira(self) -> JIRA:
        with self._lock:
            if self._client is None:
                self._client = JIRA(
                    server=self.server, basic_auth=(self.user, self.token), max_retries=0, timeout=20
                )
            return self._client

    def _guarded(self, fn: Callable[[A], R], arg: A) -> R:
        """Turn the package's errors into Temporal's, without their request
        headers (JIRAError's own text includes the Authorization header)."""
        try:
            return fn(arg)
        except JIRAError as err:
            headers = err.response.headers if err.response is not None else {}
            raise from_status(SERVICE, err.status_code or 500, self._redact(_messages(err)), headers.get("Retry-After")) from None
        except requests.RequestException as err:
            raise retryable(SERVICE, f"{type(err).__name__} talking to Jira") from None

    def _redact(self, text: str) -> str:
        return redact(text, [self.token])


def _same_user(current: dict[str, Any] | None, wanted: dict[str, str]) -> bool:
    return bool(current) and all(current.get(k) == v for k, v in wanted.items())


def _payload(err: JIRAError) -> dict[str, Any]:
    try:
        data = err.response.json() if err.response is not None else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _field_errors(err: JIRAError) -> dict[str, str]:
    return _payload(err).get("errors") or {}


def _messages(err: JIRAError) -> str:
    data = _payload(err)
    parts = list(data.get("errorMessages") or []) + [f"{k}: {v}" for k, v in (data.get("errors") or {}).items()]
    return "; ".join(parts) or f"HTTP {err.status_code}"
