"""The deployment files speak the same settings as the code."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from warroom.settings import Settings

DEPLOY = Path(__file__).parent.parent / "deploy"
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))


def documents():
    for path in MANIFESTS:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield path.name, doc


def warroom_variables():
    for name, doc in documents():
        for key in (doc.get("data") or {}) | (doc.get("stringData") or {}):
            if key.startswith("WARROOM_"):
                yield name, key
        for container in doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            for env in container.get("env", []):
                yield name, env["name"]
    for key in re.findall(r"\b(WARROOM_[A-Z_]+)=", (DEPLOY / "Dockerfile").read_text()):
        yield "Dockerfile", key


def test_every_manifest_parses_and_is_labelled():
    kinds = {(doc["kind"], doc["metadata"]["name"]) for _, doc in documents()}
    assert {("Deployment", "warroom-worker"), ("Deployment", "warroom-gateway"), ("Service", "warroom-gateway")} <= kinds
    assert sum(kind == "PodDisruptionBudget" for kind, _ in kinds) == 2


def test_every_warroom_variable_is_a_real_setting():
    settings = set(Settings.model_fields)
    seen = list(warroom_variables())
    assert len(seen) > 20
    unknown = [(file, key) for file, key in seen if key.removeprefix("WARROOM_").lower() not in settings]
    assert unknown == []


def test_workers_get_time_to_finish_activities():
    for _, doc in documents():
        if doc["kind"] == "Deployment":
            pod = doc["spec"]["template"]["spec"]
            assert pod["terminationGracePeriodSeconds"] > 10, "longer than the worker's graceful shutdown"
            assert pod["securityContext"]["runAsNonRoot"]


def test_no_pod_keeps_state_and_a_job_migrates_the_shared_database():
    """Pods come and go: what outlives them is in Temporal and in the database."""
    secret = next(doc for _, doc in documents() if doc["kind"] == "Secret")
    assert secret["stringData"]["WARROOM_DATABASE_URL"].startswith("postgresql://")
    jobs = [doc for _, doc in documents() if doc["kind"] == "Job"]
    assert [job["spec"]["template"]["spec"]["containers"][0]["args"] for job in jobs] == [["db", "upgrade"]]
    for _, doc in documents():
        if doc["kind"] in ("Deployment", "Job"):
            pod = doc["spec"]["template"]["spec"]
            assert not any("emptyDir" in volume for volume in pod.get("volumes", [])), doc["metadata"]["name"]
            for container in pod["containers"]:
                assert {"secretRef": {"name": "warroom"}} in container["envFrom"]


def test_containers_run_real_commands_and_probe_real_routes():
    from cli.main import app
    from gateway.app import create_app

    commands = {command.name or command.callback.__name__ for command in app.registered_commands}
    commands |= {group.name for group in app.registered_groups}
    routes = set(create_app(Settings(config=None), client=None).openapi()["paths"])  # type: ignore[arg-type]
    for _, doc in documents():
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            assert container["args"][0] in commands
            for probe in ("readinessProbe", "livenessProbe"):
                if path := container.get(probe, {}).get("httpGet", {}).get("path"):
                    assert path.partition("?")[0] in routes


def test_the_image_copies_every_package():
    """A folder the wheel packages but the image leaves out breaks `warroom` at import."""
    import tomllib

    packages = tomllib.loads((DEPLOY.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (DEPLOY / "Dockerfile").read_text(), re.M))
    assert {p.partition(".")[0] for p in packages} == copied


def test_the_slack_app_manifest_points_at_the_gateway_and_grants_every_method_warroom_calls():
    manifest = yaml.safe_load((DEPLOY / "slack-app.yaml").read_text())
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/incident" and command["url"].endswith("/v1/slack/commands")
    assert manifest["settings"]["interactivity"] == {
        "is_enabled": True, "request_url": command["url"].replace("/v1/slack/commands", "/v1/slack/interactions"),
    }
    needs = {  # Slack's reference page of each method warroom calls: the bot scope it requires
        "conversations.create": "channels:manage", "conversations.setTopic": "channels:manage",
        "conversations.invite": "channels:manage", "conversations.archive": "channels:manage",
        "conversations.list": "channels:read", "conversations.members": "channels:read", "conversations.join": "channels:join",
        "conversations.history": "channels:history", "conversations.open": "im:write",
        "chat.postMessage": "chat:write", "chat.update": "chat:write", "bookmarks.add": "bookmarks:write",
        "bookmarks.list": "bookmarks:read", "users.lookupByEmail": "users:read.email", "/incident": "commands",
    }
    assert set(needs.values()) <= set(manifest["oauth_config"]["scopes"]["bot"])
