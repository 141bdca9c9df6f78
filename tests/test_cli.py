"""The `warroom` CLI as responders use it, against a time-skipping server."""

from __future__ import annotations

import asyncio
import json

import pytest

from cli.main import run_cli


@pytest.fixture
def cli(warroom, monkeypatch, capsys):
    monkeypatch.setenv("WARROOM_TEMPORAL_ADDRESS", warroom.client.service_client.config.target_host)
    monkeypatch.setenv("WARROOM_TASK_QUEUE", warroom.settings.task_queue)
    monkeypatch.setenv("WARROOM_DATA_DIR", str(warroom.settings.data_dir))
    monkeypatch.setenv("WARROOM_USER", "alice")

    async def invoke(*argv: str) -> tuple[int, str, str]:
        # The CLI runs its own event loop, as it does in a terminal; the worker keeps ours.
        code = await asyncio.to_thread(run_cli, list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


async def test_a_responder_runs_an_incident_from_the_terminal(cli, warroom):
    code, out, err = await cli("declare", "Checkout errors", "--service", "checkout", "--users", "0.3", "--json")
    assert code == 0, err
    incident = json.loads(out)
    warroom.track(incident["id"])
    short = incident["id"].removeprefix("inc-")
    assert incident["severity"] == "SEV2", "30% of users with a workaround is SEV2 by the default policy"

    assert (await cli("ack", short, "--by", "bob"))[0] == 0
    assert (await cli("assign", short, "comms_lead", "dave"))[0] == 0
    assert (await cli("note", short, "error rate flat since 10:02"))[0] == 0
    code, out, _ = await cli("mitigate", short, "feature_flag", "-d", "new checkout off")
    assert code == 0 and "mitigation feature_flag" in out
    assert (await cli("update", short, "identified", "flag flip fixed it"))[0] == 0
    assert (await cli("escalate", short, "SEV1", "--reason", "payments down"))[0] == 0
    code, out, _ = await cli("resolve", short, "--summary", "flag off")
    assert code == 0 and "verify" in out
    assert (await cli("action-item", short, "Alert on checkout errors", "--owner", "dave", "--due", "2099-01-31"))[0] == 0
    assert (await cli("postmortem", short, "submitted", "--link", "https://wiki/pm/7"))[0] == 0

    code, out, _ = await cli("show", short, "--json")
    state = json.loads(out)
    assert state["severity"] == "SEV1" and state["phase"] == "verify"
    assert state["roles"] == {"commander": "alice", "comms_lead": "dave"}
    kinds = [e["kind"] for e in state["timeline"]]
    for kind in ("acknowledge", "role", "note", "mitigate", "update", "severity", "resolve", "action_item", "postmortem"):
        assert kind in kinds

    code, out, _ = await cli("show", short)
    assert code == 0 and "Checkout errors" in out and "Temporal UI:" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("mitigate", "{id}", "rollback"), "rollback refused, checklist not met"),
        (("downgrade", "{id}", "SEV2", "--reason", "x"), "incident is already SEV2"),
        (("assign", "{id}", "chief", "bob"), "role: Input should be"),
        (("action-item", "{id}", "x", "--owner", "a", "--due", "soon"), "--due must be a date"),
        (("reopen", "{id}", "--reason", "x"), "not resolved"),
        (("show", "inc-doesnotexist"), "not found"),
    ],
)
async def test_refusals_are_one_readable_line_and_a_failing_exit(cli, warroom, argv, message):
    handle = await warroom.declare("Queue backlog", severity="SEV2")
    code, out, err = await cli(*(a.format(id=handle.id) for a in argv))
    assert code == 1
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2


async def test_declare_says_when_impact_began(cli, warroom):
    code, out, err = await cli("declare", "Exports slow", "--started-at", "45m", "--json")
    assert code == 0, err
    state = json.loads(out)
    warroom.track(state["id"])
    assert state["metrics"]["start_known"] and 44 <= state["metrics"]["time_to_detect"] <= 46
    code, _, err = await cli("declare", "Exports slow", "--started-at", "2999-01-01T00:00")
    assert code == 1 and "in the future" in err
    code, _, err = await cli("declare", "Exports slow", "--started-at", "yesterday")
    assert code == 1 and "--started-at must be" in err


async def test_usage_errors_exit_2(cli):
    code, _, err = await cli("resolve")
    assert code == 2 and "Missing argument" in err
