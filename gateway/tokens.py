"""Bearer tokens with scopes, one check for every guarded endpoint group.

`WARROOM_TOKENS` (or the file named by `WARROOM_TOKENS_FILE`) names several
tokens, each with the scopes it may use, so one can be revoked alone:

    alertmanager:ingest:<token>,ci:ingest+read:<token>,oncall:read+respond:<token>

(entries separated by commas or new lines, `#` starts a comment line), or a
JSON object `{"ci": {"scopes": ["ingest", "read"], "token": "<token>"}}`.

| scope | endpoints |
|---|---|
| `ingest` | `POST /v1/alerts/...`, `POST /v1/changes` |
| `read` | `GET /v1/incidents[/{id}]`, `GET /v1/changes` |
| `respond` | `POST /v1/incidents` (declare and act on incidents) |
| `metrics` | `GET /metrics`, guarded only once some token has this scope |

With no token at all the gateway is open, as on a laptop. `WARROOM_WEBHOOK_TOKEN`
(deprecated) is the token named `webhook` with `ingest`, `read` and `respond`.
`/codec` has a token of its own, `WARROOM_CODEC_TOKEN`, which the gateway
refuses to start without while `WARROOM_CODEC_KEYS` is set. Slack and
PagerDuty sign their own requests; `/status`, `/healthz` and `/readyz` are public.

Tokens are compared in constant time and appear in no log, error or OpenAPI
document; errors about a malformed entry name its position, never its text.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from hmac import compare_digest
from typing import Any

from fastapi import HTTPException, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from pydantic import SecretStr

from warroom.settings import Settings

INGEST, READ, RESPOND, METRICS, CODEC = "ingest", "read", "respond", "metrics", "codec"
SCOPES = (INGEST, READ, RESPOND, METRICS)
WEBHOOK_SCOPES = frozenset({INGEST, READ, RESPOND})  # what WARROOM_WEBHOOK_TOKEN guarded
MIN_LENGTH = 16
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
SECRET = re.compile(r"[\x21-\x7e]+")  # visible ASCII: what an Authorization header carries as is

log = logging.getLogger("warroom.gateway")


class TokenError(ValueError):
    """A token setting the gateway cannot start with. The message names the
    variable and the entry, never a secret."""


@dataclass(frozen=True)
class ApiToken:
    name: str
    scopes: frozenset[str]
    secret: SecretStr  # its repr is masked


def configured(settings: Settings) -> list[ApiToken]:
    """Every API token: `WARROOM_TOKENS`, `WARROOM_TOKENS_FILE` and the
    deprecated `WARROOM_WEBHOOK_TOKEN`; names and secrets each unique."""
    found: list[ApiToken] = []
    if text := _value(settings.tokens):
        found += parse(text, "WARROOM_TOKENS")
    if path := settings.tokens_file:
        try:
            text = path.read_text()
        except OSError as err:
            raise TokenError(f"WARROOM_TOKENS_FILE: cannot read {path}: {err.strerror}") from None
        found += parse(text, f"WARROOM_TOKENS_FILE ({path})")
    if webhook := _value(settings.webhook_token):
        found.append(ApiToken("webhook", WEBHOOK_SCOPES, SecretStr(webhook)))
    names: set[str] = set()
    secrets: dict[str, str] = {}
    for token in found:
        if token.name in names:
            raise TokenError(f"two tokens are named {token.name!r} (WARROOM_WEBHOOK_TOKEN is the one named 'webhook')")
        if (twin := secrets.get(token.secret.get_secret_value())) is not None:
            raise TokenError(f"tokens {twin!r} and {token.name!r} have the same secret: neither could be revoked alone")
        names.add(token.name)
        secrets[token.secret.get_secret_value()] = token.name
    return found


def parse(text: str, source: str) -> list[ApiToken]:
    """`name:scope+scope:token` entries, or a JSON object of `{"scopes": [...], "token": ...}`."""
    text = text.strip()
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as err:
            raise TokenError(f"{source}: not valid JSON ({err.msg} at line {err.lineno} column {err.colno})") from None
        entries = [(i, name, spec) for i, (name, spec) in enumerate(document.items(), 1)]
        return [_token(source, i, name, *_fields(source, i, spec)) for i, name, spec in entries]
    lines = (line for line in text.splitlines() if not line.lstrip().startswith("#"))
    tokens = []
    for i, entry in enumerate((entry.strip() for line in lines for entry in line.split(",")), 1):
        if not entry:
            continue
        name, _, rest = entry.partition(":")
        scopes, colon, secret = rest.partition(":")
        if not colon:
            raise TokenError(f"{source}: entry {i} is not name:scope+scope:token")
        tokens.append(_token(source, i, name.strip(), scopes.split("+"), secret.strip()))
    return tokens


def _fields(source: str, i: int, spec: Any) -> tuple[Any, Any]:
    if not isinstance(spec, dict) or not isinstance(spec.get("scopes"), list) or not isinstance(spec.get("token"), str):
        raise TokenError(f'{source}: entry {i} is not {{"scopes": [...], "token": "..."}}')
    return spec["scopes"], spec["token"]


def _token(source: str, i: int, name: Any, scopes: list[Any], secret: str) -> ApiToken:
    where = f"{source}: entry {i}"
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise TokenError(f"{where}: a name is letters, digits, '.', '_' and '-', at most 64")
    where += f" ({name})"
    chosen = frozenset(s.strip() for s in scopes if isinstance(s, str))
    if not chosen or not all(isinstance(s, str) for s in scopes) or not chosen <= set(SCOPES):
        raise TokenError(f"{where}: scopes are {', '.join(SCOPES)}, joined by '+'")
    if not SECRET.fullmatch(secret) or len(secret) < MIN_LENGTH:
        raise TokenError(f"{where}: a token is at least {MIN_LENGTH} visible ASCII characters (e.g. `openssl rand -hex 32`)")
    return ApiToken(name, chosen, SecretStr(secret))


def _value(secret: SecretStr | None) -> str:
    """An empty variable (as in secret.example.yaml) is an unset one."""
    return secret.get_secret_value().strip() if secret is not None else ""


class Tokens:
    """The gateway's tokens, built once per app; `check` runs on every guarded
    request, the alert intake's hot path included: a set lookup when the scope
    is open, else one constant-time comparison per configured token."""

    def __init__(self, api: Iterable[ApiToken], codec: SecretStr | None = None):
        api = list(api)
        self.api = tuple((token.secret.get_secret_value().encode(), token) for token in api)
        self.codec = ((codec.get_secret_value().encode(), ApiToken("codec", frozenset({CODEC}), codec)),) if codec else ()
        guarded = set(WEBHOOK_SCOPES) if api else set()
        guarded |= {METRICS} if any(METRICS in token.scopes for token in api) else set()
        self.guarded = frozenset(guarded | ({CODEC} if codec else set()))

    @classmethod
    def from_settings(cls, settings: Settings) -> Tokens:
        """The tokens to serve with; a `TokenError` when the gateway must not start."""
        codec = _value(settings.codec_token)
        if settings.codec_keys is not None and not codec:
            raise TokenError(
                "WARROOM_CODEC_KEYS is set but WARROOM_CODEC_TOKEN is not: the /codec endpoint would decrypt "
                "incident data for anyone who reaches the gateway. Set WARROOM_CODEC_TOKEN and give it to "
                'the codec\'s callers (`temporal ... --codec-auth "Bearer <token>"`).'
            )
        return cls(configured(settings), SecretStr(codec) if codec else None)

    def check(self, authorization: bytes, scope: str) -> None:
        """Pass, or raise the 401 (no or unknown token) or 403 (token without `scope`)."""
        if scope not in self.guarded:
            return
        scheme, _, given = authorization.partition(b" ")
        given = given.strip()
        if scheme.lower() != b"bearer" or not given:
            raise _refused(401, f"this endpoint needs Authorization: Bearer <token> with the {scope} scope", f'Bearer scope="{scope}"')
        found = None
        for secret, token in self.codec if scope == CODEC else self.api:
            if compare_digest(secret, given):
                found = token
        if found is None:
            raise _refused(401, "unknown bearer token", 'Bearer error="invalid_token"')
        if scope not in found.scopes:
            raise _refused(
                403, f"the token {found.name!r} lacks the {scope} scope (it has {'+'.join(sorted(found.scopes))})",
                f'Bearer error="insufficient_scope", scope="{scope}"',
            )

    def warn(self, settings: Settings) -> None:
        """Say at start-up what an operator should change."""
        if _value(settings.webhook_token):
            log.warning(
                "WARROOM_WEBHOOK_TOKEN is deprecated: it is the token named 'webhook' with the ingest, read and "
                "respond scopes; move it into WARROOM_TOKENS as webhook:ingest+read+respond:<token>"
            )
        if READ in self.guarded and settings.link_secret is None:
            log.warning(
                "WARROOM_LINK_SECRET is not set: postmortem links shared in chat and the tracker open only with a "
                "read token, which a browser does not send; set it (any long random string) for the worker and gateway"
            )
        if not self.api and not _loopback(settings.http_host):
            log.warning(
                "NO API TOKENS: the gateway listens on %s and anyone who reaches it can post alerts, declare and "
                "read incidents. Set WARROOM_TOKENS (see the README's Tokens section).", settings.http_host,
            )


def _refused(status: int, reason: str, challenge: str) -> HTTPException:
    return HTTPException(status, reason, headers={"WWW-Authenticate": challenge})


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Bearer(SecurityBase):
    """A route dependency: a token with `scope` (when the scope is guarded);
    documented in OpenAPI as a bearer scheme named after the scope."""

    def __init__(self, scope: str, description: str):
        self.scope = scope
        self.scheme_name = scope
        self.model = HTTPBearerModel(description=description)

    async def __call__(self, request: Request) -> None:  # async: a plain function would hop to a thread
        tokens: Tokens = request.app.state.tokens
        tokens.check(request.headers.get("authorization", "").encode("latin-1"), self.scope)


ingest = Bearer(INGEST, "a token with the ingest scope (WARROOM_TOKENS)")
read = Bearer(READ, "a token with the read scope (WARROOM_TOKENS)")
respond = Bearer(RESPOND, "a token with the respond scope (WARROOM_TOKENS)")
metrics = Bearer(METRICS, "a token with the metrics scope, once some token in WARROOM_TOKENS has it")
codec = Bearer(CODEC, "WARROOM_CODEC_TOKEN")
BEARERS = (ingest, read, respond, metrics, codec)
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or unknown bearer token"},
    403: {"description": "the token lacks this endpoint's scope"},
}
