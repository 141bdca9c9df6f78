"""People and teams: one identity per person across Slack, PagerDuty, Jira and the CLI.

`[people.<handle>]` in `warroom.toml` names a person once; rotations, escalation
steps, responders, roles and `--by` then name them by handle or e-mail, and a
Slack user id, a PagerDuty user id or a Jira account found anywhere maps back to
the handle. Incidents speak of people by handle; each integration gets the
identity it wants (`<@U…>` for a mention, a user id for a DM, an accountId for
an assignee). A name the directory does not know stays as it was: it is still
recorded, and whoever cannot be reached through it is named in the timeline.

`[teams.<name>]` holds what belongs to a team rather than a person: its Slack
on-call user group (mentioned as `<!subteam^S…>`) and its business hours.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")
SLACK_GROUP = re.compile(r"S[A-Z0-9]{2,}")
HERE = "<!here>"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin)") from None
    return name


def is_slack_user(value: str) -> bool:
    return SLACK_USER.fullmatch(value) is not None


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = None
    slack: str | None = Field(None, description="Slack user id (U… or W…); else resolved from email and remembered")
    pagerduty: str | None = Field(None, description="PagerDuty user id")
    jira: str | None = Field(None, description="Jira Cloud accountId or Server/Data Center username")
    timezone: str = "UTC"

    _tz = field_validator("timezone")(lambda v: _zone(v))

    @field_validator("slack")
    @classmethod
    def _slack_id(cls, value: str | None) -> str | None:
        if value is not None and not is_slack_user(value):
            raise ValueError(f"{value!r} is not a Slack user id (U… or W…; Slack does not take names)")
        return value


class People(RootModel[dict[str, Person]]):
    """The directory: handle -> person."""

    root: dict[str, Person] = Field(default_factory=dict)

    def handle(self, name: str) -> str:
        """The handle for a handle, an e-mail address, a Slack, PagerDuty or Jira
        id; an unknown name unchanged."""
        if name in self.root:
            return name
        folded = name.strip().lower()
        for handle, p in self.root.items():
            if folded == (p.email or "").lower() or name in (p.slack, p.pagerduty, p.jira):
                return handle
        return name

    def of_login(self, login: str) -> str:
        """A login name: a handle, or the one person whose e-mail starts with it."""
        if (found := self.handle(login)) != login or login in self.root:
            return found
        matches = [h for h, p in self.root.items() if (p.email or "").lower().partition("@")[0] == login.lower()]
        return matches[0] if len(matches) == 1 else login

    def get(self, name: str) -> Person | None:
        return self.root.get(self.handle(name))

    def mention(self, name: str) -> str:
        """`<@U…>` when the person's Slack id is known (Slack notifies on nothing else), else the name."""
        p = self.get(name)
        return f"<@{p.slack}>" if p and p.slack else name

    def address(self, name: str) -> str:
        """How chat reaches the person: Slack id, else e-mail (looked up), else the bare name."""
        p = self.get(name)
        if p is None:
            return name
        return p.slack or p.email or name

    def timezone(self, name: str) -> str:
        p = self.get(name)
        return p.timezone if p else "UTC"


class BusinessHours(BaseModel):
    """When a team works: `start`-`end` local time on `days` in `timezone`."""

    model_config = ConfigDict(extra="forbid")

    start: time = time(9, 0)
    end: time = time(17, 0)
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"], min_length=1
    )
    timezone: str = "UTC"

    _tz = field_validator("timezone")(lambda v: _zone(v))

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
        return DAYS[local.weekday()] in self.days and self.start <= local.time() < self.end

    def next_start(self, at: datetime) -> datetime:
        """The start of the next business day after `at` (today's, if it is still ahead)."""
        zone = ZoneInfo(self.timezone)
        local = at.astimezone(zone)
        for ahead in range(8):
            day = local.date() + timedelta(days=ahead)
            start = datetime.combine(day, self.start, zone)
            if DAYS[day.weekday()] in self.days and start > local:
                return start.astimezone(at.tzinfo)
        raise AssertionError("a week always has a business day")


class Team(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slack_group: str | None = Field(None, description="the team's on-call Slack user group id (S…), mentioned as <!subteam^S…>")
    business_hours: BusinessHours | None = None

    @field_validator("slack_group")
    @classmethod
    def _group_id(cls, value: str | None) -> str | None:
        if value is not None and not SLACK_GROUP.fullmatch(value):
            raise ValueError(f"{value!r} is not a Slack user group id (S…)")
        return value

    def here(self) -> str:
        """Who "everyone" is for this team: its on-call group, else the channel."""
        return f"<!subteam^{self.slack_group}>" if self.slack_group else HERE
