"""Tokens with scopes (issue 18): every endpoint group refuses a missing or
unknown token with 401 and a token without its scope with 403, a removed token
stops working alone, `/status` and `/healthz` stay public, `/metrics` is
guarded once a token has its scope, and the codec endpoint never runs open.

Requests that pass the check reach a Temporal that is down (a 503), which shows
they got past it without needing a server."""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.service import RPCError, RPCStatusCode

from gateway.app import create_app
from gateway.tokens import TokenError, Tokens, configured
from store.migrate import upgrade
from tests.test_processes import WARROOM, free_port
from warroom.settings import Settings

ALERTS = Path(__file__).parent / "fixtures" / "alerts"
SECRETS = {name: f"{name}-secret-0123456789" for name in ("alerts", "ci", "oncall", "prometheus", "viewer", "old")}
TOKENS = (
    f"alerts:ingest:{SECRETS['alerts']},ci:ingest+read:{SECRETS['ci']},oncall:read+respond:{SECRETS['oncall']},"
    f"viewer:read:{SECRETS['viewer']}"
)
CODEC_KEY = "k1:" + base64.b64encode(bytes(range(32))).decode()
CHANGE = {"service": "checkout", "kind": "deploy", "what": "v42", "who": "ci"}

BODIES = {  # valid requests, so that one past the check reaches Temporal
    **{("POST", f"/v1/alerts/{source}"): json.loads((ALERTS / f"{source}.json").read_text())
       for source in ("alertmanager", "grafana", "pagerduty", "datadog", "generic")},
    ("POST", "/v1/alerts/generic/inc-1a2b3c4d"): json.loads((ALERTS / "generic.json").read_text()),  # a named generic source
    ("POST", "/v1/maintenance"): {"service": "checkout", "for": "2h", "reason": "db upgrade"},
    ("POST", "/v1/changes"): CHANGE,
    ("POST", "/v1/incidents"): {"title": "Checkout errors", "service": "checkout", "severity": "SEV3"},
}
QUERIES = {("get", "/v1/changes"): "?service=checkout"}
WITHOUT = {"ingest": "viewer", "read": "alerts", "respond": "ci", "metrics": "ci"}  # a token lacking the scope
HOLDERS = {"ingest": ["alerts", "ci"], "read": ["ci", "oncall", "viewer"], "respond": ["oncall"], "metrics": ["prometheus"]}
WITH_METRICS = f"{TOKENS},prometheus:metrics:{SECRETS['prometheus']}"
SIGNED = ("/v1/slack/", "/v1/pagerduty/webhooks")  # Slack and PagerDuty sign their own requests


def operations() -> list[tuple[str, str, str | None]]:
    """Every operation of the gateway's OpenAPI document: method, a concrete path, its scope."""
    app = create_app(Settings(config=None), client=None)  # type: ignore[arg-type]
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "inc-1a2b3c4d", path) + QUERIES.get((method, path), ""),
         next(iter(operation["security"][0])) if operation.get("security") else None)
        for path, methods in app.openapi()["paths"].items() for method, operation in methods.items()
    ]


GUARDED = [(method, path, scope) for method, path, scope in operations() if scope and scope != "codec"]
PUBLIC = [(method, path) for method, path, scope in operations() if not scope and not path.startswith(SIGNED)]


class TemporalDown:
    """Any call into this client fails as an unreachable Temporal does."""

    def __getattr__(self, name: str) -> TemporalDown:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")


def settings(data_dir: Path, **values: Any) -> Settings:
    return Settings(config=None, data_dir=data_dir, **values)


@pytest.fixture(scope="module")
async def data_dir(tmp_path_factory) -> Path:
    """A migrated database, for the endpoints that read it (status page, postmortems)."""
    path = tmp_path_factory.mktemp("tokens")
    await upgrade(settings(path).database)
    return path


def gateway(config: Settings) -> httpx.AsyncClient:
    app = create_app(config, TemporalDown())  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


def bearer(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {SECRETS[name]}"}


async def call(http: httpx.AsyncClient, method: str, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return await http.request(method, path, json=BODIES.get((method, path)), headers=headers or {})


def test_every_api_endpoint_has_a_scope():
    """A new `/v1` endpoint without one would be open to anyone once tokens are set."""
    assert {scope for _, _, scope in GUARDED} == {"ingest", "read", "respond", "metrics"}
    assert not [f"{m} {p}" for m, p in PUBLIC if p.startswith("/v1/")]
    assert {"POST /v1/alerts/generic", "POST /v1/changes", "GET /v1/incidents", "POST /v1/incidents"} <= {f"{m} {p}" for m, p, _ in GUARDED}


@pytest.mark.parametrize(("method", "path", "scope"), GUARDED, ids=[f"{m} {p}" for m, p, _ in GUARDED])
async def test_every_endpoint_group_wants_a_token_with_its_scope(data_dir, method, path, scope):
    async with gateway(settings(data_dir, tokens=WITH_METRICS)) as http:
        for headers in ({}, {"Authorization": "Bearer not-a-known-token-at-all"}, {"Authorization": f"Basic {SECRETS['ci']}"}):
            refused = await call(http, method, path, headers)
            assert refused.status_code == 401, refused.text
            assert refused.headers["www-authenticate"].startswith("Bearer")
        missing = await call(http, method, path)
        assert scope in missing.json()["detail"] and f'scope="{scope}"' in missing.headers["www-authenticate"]

        lacking = await call(http, method, path, bearer(WITHOUT[scope]))
        assert lacking.status_code == 403, lacking.text
        assert f"lacks the {scope} scope" in lacking.json()["detail"] and WITHOUT[scope] in lacking.json()["detail"]
        assert 'error="insufficient_scope"' in lacking.headers["www-authenticate"]

        for name in HOLDERS[scope]:
            passed = await call(http, method, path, bearer(name))
            assert passed.status_code not in (401, 403), f"{name}: {passed.status_code} {passed.text}"
        spelled = await call(http, method, path, {"authorization": f"bearer  {SECRETS[HOLDERS[scope][0]]} "})
        assert spelled.status_code not in (401, 403), "the scheme is case-insensitive, spaces around the token are dropped"
        for response in (refused, missing, lacking):
            assert not any(secret in response.text or secret in str(response.headers) for secret in SECRETS.values())


async def test_a_request_with_its_scope_gets_through_to_temporal(data_dir):
    async with gateway(settings(data_dir, tokens=TOKENS)) as http:
        for method, path, scope in GUARDED:
            if path.startswith(("/v1/alerts/", "/v1/changes", "/v1/incidents")):
                passed = await call(http, method, path, bearer(HOLDERS[scope][0]))
                assert passed.status_code == 503 and "Temporal unavailable" in passed.text, f"{method} {path}: {passed.text}"


async def test_a_removed_token_stops_working_and_the_others_keep_working(data_dir):
    async with gateway(settings(data_dir, tokens=f"{TOKENS},old:ingest+read:{SECRETS['old']}")) as http:
        assert (await call(http, "POST", "/v1/alerts/generic", bearer("old"))).status_code == 503
    async with gateway(settings(data_dir, tokens=TOKENS)) as http:
        revoked = await call(http, "POST", "/v1/alerts/generic", bearer("old"))
        assert revoked.status_code == 401 and revoked.json()["detail"] == "unknown bearer token"
        assert (await call(http, "GET", "/v1/incidents", bearer("old"))).status_code == 401
        assert (await call(http, "POST", "/v1/alerts/generic", bearer("alerts"))).status_code == 503
        assert (await call(http, "GET", "/v1/incidents", bearer("ci"))).status_code == 503


async def test_with_no_token_configured_the_gateway_is_open_as_before(data_dir):
    async with gateway(settings(data_dir)) as http:
        for method, path, _ in GUARDED:
            assert (await call(http, method, path)).status_code not in (401, 403), path
        assert (await http.get("/metrics")).status_code == 200


async def test_status_healthz_and_the_other_pages_stay_public(data_dir):
    assert {("GET", "/status"), ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/openapi.json")} <= {*PUBLIC, ("GET", "/openapi.json")}
    async with gateway(settings(data_dir, tokens=WITH_METRICS)) as http:
        for method, path in [*PUBLIC, ("GET", "/openapi.json")]:
            assert (await call(http, method, path)).status_code not in (401, 403), path
        status = await http.get("/status")
        assert status.status_code == 200 and "System status" in status.text
        assert (await http.get("/healthz")).status_code == 200, "public, and alive"
        ready = await http.get("/readyz")
        assert ready.status_code == 503 and "temporal" in ready.json()["failed"], "public, and says Temporal is down"


async def test_metrics_are_open_until_a_token_has_the_metrics_scope(data_dir):
    async with gateway(settings(data_dir, tokens=TOKENS)) as http:
        assert (await http.get("/metrics")).status_code == 200, "no token has the scope: Prometheus scrapes as before"
    async with gateway(settings(data_dir, tokens=WITH_METRICS)) as http:
        assert (await http.get("/metrics")).status_code == 401
        lacking = await http.get("/metrics", headers=bearer("ci"))
        assert lacking.status_code == 403 and "metrics scope" in lacking.json()["detail"]
        scraped = await http.get("/metrics", headers=bearer("prometheus"))
        assert scraped.status_code == 200 and "warroom_alerts_received" in scraped.text
        assert (await http.get("/v1/incidents", headers=bearer("prometheus"))).status_code == 403


async def test_the_webhook_token_is_a_deprecated_token_named_webhook_with_the_old_scopes(data_dir, caplog):
    old = "the-old-shared-webhook-token"
    config = settings(data_dir, webhook_token=old, tokens=f"prometheus:metrics:{SECRETS['prometheus']}")
    with caplog.at_level(logging.WARNING, logger="warroom.gateway"):
        client = gateway(config)
    assert "WARROOM_WEBHOOK_TOKEN is deprecated" in caplog.text and old not in caplog.text
    async with client as http:
        for method, path, scope in GUARDED:
            if scope != "metrics":
                assert (await call(http, method, path, {"Authorization": f"Bearer {old}"})).status_code not in (401, 403), path
                assert (await call(http, method, path)).status_code == 401, path
        lacking = await http.get("/metrics", headers={"Authorization": f"Bearer {old}"})
        assert lacking.status_code == 403 and "'webhook' lacks the metrics scope" in lacking.json()["detail"]
    (webhook,) = configured(settings(data_dir, webhook_token=old))
    assert webhook.name == "webhook" and webhook.scopes == {"ingest", "read", "respond"}
    with pytest.raises(TokenError, match="two tokens are named 'webhook'"):
        configured(settings(data_dir, webhook_token=old, tokens=f"webhook:read:{SECRETS['ci']}"))
    assert configured(settings(data_dir, webhook_token="", tokens="")) == [], "empty variables are unset ones"


def test_the_formats_env_json_and_file_read_the_same(tmp_path):
    compact = configured(settings(tmp_path, tokens=TOKENS))
    document = {t.name: {"scopes": sorted(t.scopes), "token": t.secret.get_secret_value()} for t in compact}
    assert configured(settings(tmp_path, tokens=json.dumps(document))) == compact
    file = tmp_path / "tokens"
    file.write_text("# one token a line, as a mounted secret\n" + TOKENS.replace(",", "\n") + "\n\n")
    assert configured(settings(tmp_path, tokens_file=file)) == compact
    both = configured(settings(tmp_path, tokens_file=file, tokens=f"old:read:{SECRETS['old']}"))
    assert {t.name for t in both} == {"alerts", "ci", "oncall", "viewer", "old"}
    (ci,) = [t for t in compact if t.name == "ci"]
    assert ci.scopes == {"ingest", "read"} and SECRETS["ci"] not in repr(ci)


MALFORMED = [
    (f"ci:{SECRETS['ci']}", "entry 1 is not name:scope+scope:token"),
    (f"ci:ingest:{SECRETS['ci']},{SECRETS['old']}", "entry 2 is not name:scope+scope:token"),
    (f"ci:ingest+admin:{SECRETS['ci']}", "entry 1 (ci): scopes are ingest, read, respond, metrics"),
    (f"ci::{SECRETS['ci']}", "entry 1 (ci): scopes are"),
    (f"c i:read:{SECRETS['ci']}", "entry 1: a name is letters"),
    ("ci:read:short-s3cret", "entry 1 (ci): a token is at least 16"),
    (f"ci:read:{SECRETS['ci']},ci:ingest:{SECRETS['old']}", "two tokens are named 'ci'"),
    (f"ci:read:{SECRETS['ci']},cd:ingest:{SECRETS['ci']}", "tokens 'ci' and 'cd' have the same secret"),
    ('{"ci": {"scopes": ["read"], "token": "' + SECRETS["ci"] + '"', "not valid JSON"),
    ('{"ci": {"scopes": "read", "token": "' + SECRETS["ci"] + '"}}', 'entry 1 is not {"scopes": [...], "token": "..."}'),
    ('{"ci": {"scopes": [["read"]], "token": "' + SECRETS["ci"] + '"}}', "entry 1 (ci): scopes are"),
]


@pytest.mark.parametrize(("tokens", "reason"), MALFORMED, ids=[reason for _, reason in MALFORMED])
def test_malformed_tokens_stop_the_gateway_with_a_reason_that_shows_no_secret(tmp_path, tokens, reason):
    with pytest.raises(TokenError) as refused:
        create_app(settings(tmp_path, tokens=tokens), TemporalDown())  # type: ignore[arg-type]
    assert reason in str(refused.value)
    assert not any(secret in str(refused.value) for secret in [*SECRETS.values(), "short-s3cret"])


def test_an_unreadable_tokens_file_stops_the_gateway(tmp_path):
    with pytest.raises(TokenError, match="WARROOM_TOKENS_FILE: cannot read .*missing"):
        configured(settings(tmp_path, tokens_file=tmp_path / "missing"))


def test_an_open_gateway_on_a_public_address_warns_loudly(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="warroom.gateway"):
        for host in ("127.0.0.1", "::1", "localhost"):
            create_app(settings(tmp_path, http_host=host), TemporalDown())  # type: ignore[arg-type]
        assert caplog.records == []
        create_app(settings(tmp_path, http_host="0.0.0.0", tokens=TOKENS, link_secret="s" * 32), TemporalDown())  # type: ignore[arg-type]
        assert caplog.records == []
        create_app(settings(tmp_path, http_host="0.0.0.0"), TemporalDown())  # type: ignore[arg-type]
        (warning,) = caplog.records
        assert warning.levelno == logging.WARNING and "NO API TOKENS" in warning.getMessage() and "0.0.0.0" in warning.getMessage()
        caplog.clear()
        create_app(settings(tmp_path, tokens=TOKENS), TemporalDown())  # type: ignore[arg-type]
    (warning,) = caplog.records
    assert "WARROOM_LINK_SECRET" in warning.getMessage(), "shared postmortem links would not open in a browser"


def test_no_token_reaches_the_openapi_document(tmp_path):
    app = create_app(settings(tmp_path, tokens=TOKENS, codec_keys=CODEC_KEY, codec_token="codec-secret-0123456789"), TemporalDown())  # type: ignore[arg-type]
    document = json.dumps(app.openapi())
    assert not any(secret in document for secret in [*SECRETS.values(), "codec-secret-0123456789"])
    paths = app.openapi()["paths"]
    assert paths["/v1/alerts/generic"]["post"]["security"] == [{"ingest": []}]
    assert paths["/v1/incidents"]["post"]["security"] == [{"respond": []}]
    assert paths["/v1/incidents"]["get"]["security"] == [{"read": []}]
    assert set(app.openapi()["components"]["securitySchemes"]) == {"ingest", "read", "respond", "metrics", "codec"}


@pytest.mark.parametrize("codec_token", [None, "", "  "])
def test_the_codec_endpoint_refuses_to_run_open(tmp_path, codec_token):
    config = settings(tmp_path, codec_keys=CODEC_KEY, **({} if codec_token is None else {"codec_token": codec_token}))
    with pytest.raises(TokenError, match="WARROOM_CODEC_KEYS is set but WARROOM_CODEC_TOKEN is not"):
        create_app(config, TemporalDown())  # type: ignore[arg-type]
    with pytest.raises(TokenError):
        Tokens.from_settings(config)


async def test_the_codec_wants_its_own_token_not_an_api_token(tmp_path):
    config = settings(tmp_path, tokens=TOKENS, codec_keys=CODEC_KEY, codec_token="codec-secret-0123456789")
    async with gateway(config) as http:
        for headers in ({}, bearer("ci"), bearer("oncall")):
            refused = await http.post("/codec/encode", json={"payloads": []}, headers=headers)
            assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
        allowed = await http.post("/codec/encode", json={"payloads": []}, headers={"Authorization": "Bearer codec-secret-0123456789"})
        assert allowed.status_code == 200
        assert (await http.get("/v1/incidents", headers={"Authorization": "Bearer codec-secret-0123456789"})).status_code == 401
    async with gateway(settings(tmp_path, codec_token="codec-secret-0123456789")) as http:
        off = await http.post("/codec/encode", json={"payloads": []}, headers={"Authorization": "Bearer codec-secret-0123456789"})
        assert off.status_code == 404, "no keys: encryption is off"
        assert (await http.get("/v1/incidents")).status_code == 503, "a codec token alone leaves the API open"


def test_warroom_up_will_not_start_a_gateway_with_an_open_codec(tmp_path):
    env = {
        "WARROOM_CODEC_KEYS": CODEC_KEY, "WARROOM_HTTP_PORT": str(free_port()),
        "WARROOM_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}", "WARROOM_TEMPORAL_UI_PORT": str(free_port()),
        "WARROOM_DATA_DIR": str(tmp_path),
    }
    environ = {k: v for k, v in os.environ.items() if k not in ("WARROOM_CODEC_TOKEN", "WARROOM_DATABASE_URL")}
    done = subprocess.run([WARROOM, "up"], env=environ | env, capture_output=True, text=True, timeout=90)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "WARROOM_CODEC_KEYS is set but WARROOM_CODEC_TOKEN is not" in " ".join(done.stderr.split())
