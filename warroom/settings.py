"""Process settings from `WARROOM_*` environment variables (the brief's contract)."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from warroom.durations import parse_duration
from warroom.policy import Policy, load_policy


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WARROOM_", extra="ignore")

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_api_key: SecretStr | None = None
    temporal_tls: bool = False
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    temporal_ui_port: int = 8233
    temporal_ui_url: str | None = None
    task_queue: str = "warroom"

    data_dir: Path = Path(".warroom")
    database_url: SecretStr | None = None  # SQLAlchemy URL; default a SQLite file in data_dir
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    public_url: str | None = None
    link_secret: SecretStr | None = None  # signs postmortem links, so they open without a token
    tokens: SecretStr | None = None  # named bearer tokens with scopes: gateway/tokens.py
    tokens_file: Path | None = None  # the same, from a file (a mounted Kubernetes secret)
    webhook_token: SecretStr | None = None  # deprecated: the token named `webhook` (ingest, read, respond)

    slack_bot_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_signing_secret: SecretStr | None = None
    slack_rate_window: timedelta = timedelta(minutes=1)  # Slack's tiers are calls per minute; a test double may shorten it

    jira_url: str | None = None
    jira_user: str | None = None
    jira_token: SecretStr | None = None
    jira_project: str | None = None

    statuspage_api_key: SecretStr | None = None
    statuspage_page_id: str | None = None
    statuspage_api_url: str = "https://api.statuspage.io/v1/"

    pagerduty_routing_key: SecretStr | None = None
    pagerduty_events_url: str = "https://events.pagerduty.com/v2/enqueue"
    pagerduty_webhook_secret: SecretStr | None = None  # webhooks v3 signing secret: acknowledgements in
    prometheus_url: str | None = None

    monitoring_window: timedelta = timedelta(minutes=30)
    postmortem_draft_due: timedelta = timedelta(hours=24)
    postmortem_review_due: timedelta = timedelta(days=5)

    config: Path | None = None

    codec_keys: SecretStr | None = None
    codec_token: SecretStr | None = None
    codec_cors_origins: str | None = None

    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_endpoint: str | None = None
    sdk_metrics_address: str | None = None
    workflow_sandbox: bool = False

    ready_poller_window: timedelta = timedelta(seconds=90)  # /readyz: a worker polled this recently
    heartbeat_url: str | None = None  # a dead-man's switch, called while the whole path works
    heartbeat_every: timedelta = timedelta(minutes=1)
    canary_every: timedelta | None = None  # a synthetic alert this often (off when unset): README "Canary"
    canary_deadline: timedelta = timedelta(minutes=2)  # alert in -> page out, else page the on-call directly
    canary_service: str = "warroom-canary"
    canary_target: str = "warroom-canary"  # who the canary's page reaches (a chat user id)
    canary_token: SecretStr | None = None  # with tokens configured: one with the ingest scope
    canary_routing_key: SecretStr | None = None  # PagerDuty Events v2 key paged when a canary misses

    _durations = field_validator(
        "monitoring_window", "postmortem_draft_due", "postmortem_review_due", "ready_poller_window", "heartbeat_every",
        "canary_every", "canary_deadline", "slack_rate_window", mode="before",
    )(lambda v: None if v is None or v == "" else parse_duration(v))

    @property
    def ui_base(self) -> str:
        """Where the Temporal UI lives, for links people click."""
        if self.temporal_ui_url:
            return self.temporal_ui_url.rstrip("/")
        host = self.temporal_address.rsplit(":", 1)[0]
        return f"http://{host}:{self.temporal_ui_port}"

    def workflow_url(self, workflow_id: str) -> str:
        return f"{self.ui_base}/namespaces/{self.temporal_namespace}/workflows/{workflow_id}"

    @property
    def database(self) -> str:
        """The SQLAlchemy async URL of warroom's database: `WARROOM_DATABASE_URL`
        (a plain `postgresql://` URL gets the asyncpg driver), else a SQLite file
        in the data directory."""
        if self.database_url is None:
            return f"sqlite+aiosqlite:///{(self.data_dir / 'warroom.db').resolve()}"
        url = self.database_url.get_secret_value()
        for plain in ("postgresql://", "postgres://"):
            if url.startswith(plain):
                return "postgresql+asyncpg://" + url.removeprefix(plain)
        return url

    @property
    def gateway_url(self) -> str:
        return (self.public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    @cached_property
    def policy(self) -> Policy:
        """Policy from `warroom.toml` (if any) over the seeds' defaults; timing
        settings from the environment apply unless the file sets them."""
        timing = {
            "monitoring_window": self.monitoring_window,
            "postmortem_draft_due": self.postmortem_draft_due,
            "postmortem_review_due": self.postmortem_review_due,
        }
        return load_policy(self.config, timing)
