"""The message registry (`warroom.rules.messages.MESSAGES`) is the one place a
responder verb is defined: the README's table, the `warroom` commands and
Slack's `/incident` verbs all agree with it."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer

from cli import verbs
from cli.main import app, run_cli
from gateway import slack_commands as slack
from warroom.rules.messages import MESSAGES, PEOPLE, Verb, checklist, choices, word

README = Path(__file__).parent.parent / "README.md"
RESPONDER = {name: verb for name, verb in MESSAGES.items() if verb.cli or verb.slack}  # `alerts` is the gateway's
WITH_CLI = [name for name, verb in MESSAGES.items() if verb.cli]
WITH_SLACK = [name for name, verb in MESSAGES.items() if verb.slack]


def readme_table() -> dict[str, set[str]]:
    """`| name | fields besides by |` rows: each message named in the first cell, with the
    backticked field names of the second (a checklist's items, in braces, left out)."""
    text = README.read_text()
    rows = text[text.index("| name | fields besides `by` |"):].split("\n\n")[0].splitlines()[2:]
    table = {}
    for row in rows:
        names, fields = row.strip("|").split("|")[:2]
        fields = re.sub(r"\{[^}]*\}", "", fields)
        for name in re.findall(r"`(\w+)`", names):
            table[name] = set(re.findall(r"`(\w+)`", fields))
    return table


def test_the_readme_table_lists_every_responder_message_with_its_fields():
    table = readme_table()
    assert set(table) == set(RESPONDER)
    for name, verb in RESPONDER.items():
        assert table[name] == set(verb.fields()), name


def test_every_entry_names_real_fields_and_slack_can_give_each_required_one():
    for name, verb in MESSAGES.items():
        assert set(verb.cli_args) <= set(verb.fields()) and set(verb.slack_args) <= set(verb.fields()), name
        unreachable = [f for f, info in verb.fields().items() if f not in verb.slack_args and info.is_required()]
        assert not (verb.slack and unreachable), f"/incident {verb.slack} cannot give {unreachable}"


# --- the CLI ---------------------------------------------------------------------------


def cli_parameters(command: str) -> dict[str, Any]:
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    return {p.name: p for p in click_command.params if p.name not in ("incident", "by", "help")}


@pytest.mark.parametrize("name", [n for n in WITH_CLI if n != "draft_postmortem"])  # `postmortem INCIDENT draft`
def test_each_cli_command_takes_exactly_the_message_fields(name):
    verb = MESSAGES[name]
    params = cli_parameters(verb.cli)
    expected = {item for f, info in verb.fields().items() for item in (checklist(info) or [f])}
    extra = {"file"} if verb.cli == "postmortem" else set()  # checks a postmortem file for blameful wording
    assert set(params) == expected | extra
    assert [p for p, param in params.items() if param.param_type_name == "argument"] == list(verb.cli_args)
    for f, info in verb.fields().items():
        if f not in verb.cli_args and not checklist(info):
            assert f"--{word(f)}" in params[f].opts


def sample(verb: Verb, field: str) -> str:
    info = verb.fields()[field]
    if values := choices(info):
        return values[-1] if field == "severity" else values[0]
    return "2099-01-31" if info.annotation is date else "alice" if field in PEOPLE else "some words"


@pytest.mark.parametrize("name", [n for n in WITH_CLI if n not in verbs.WRITTEN_OUT])
def test_each_cli_command_sends_a_message_its_model_accepts(name, monkeypatch):
    verb = MESSAGES[name]
    sent = []
    monkeypatch.setattr(verbs, "send", lambda incident, message, payload: sent.append((incident, message, payload)))
    argv = [verb.cli, "inc-1", *(sample(verb, f) for f in verb.cli_args)]
    for f, info in verb.fields().items():
        if f in verb.cli_args:
            continue
        if items := checklist(info):
            argv += [f"--{word(item)}" for item in items]
        elif info.is_required():
            argv += [f"--{word(f)}", sample(verb, f)]
    assert run_cli(argv) == 0
    [(incident, message, payload)] = sent
    assert (incident, message) == ("inc-1", name)
    verb.model.model_validate({"by": "bob", **payload})


def test_the_postmortem_command_sends_both_postmortem_messages(monkeypatch):
    sent = []
    monkeypatch.setattr(verbs, "send", lambda incident, message, payload: sent.append((message, payload)))
    assert run_cli(["postmortem", "inc-1", "reviewed", "--link", "https://wiki/pm/1", "--by", "bob"]) == 0
    assert run_cli(["postmortem", "inc-1", "draft", "--by", "bob"]) == 0
    for message, payload in sent:
        MESSAGES[message].model.model_validate(payload)
    assert [message for message, _ in sent] == ["postmortem", "draft_postmortem"]


# --- Slack -----------------------------------------------------------------------------


def test_slack_takes_exactly_the_registry_verbs_and_its_help_lists_them():
    assert set(slack.VERBS) - {"status"} == {MESSAGES[name].slack for name in WITH_SLACK}
    listed = {line.split("`")[1].split()[0] for line in slack.USAGE.splitlines() if line.startswith("• ")}
    listed |= {"status"}  # on the declare line
    assert listed == set(slack.VERBS) | {"declare"}


@pytest.mark.parametrize("name", WITH_SLACK)
def test_each_slack_verb_builds_a_message_its_model_accepts(name):
    verb = MESSAGES[name]
    words = [("@" if f in PEOPLE else "") + sample(verb, f) for f in verb.slack_args]
    words += ["checked" for info in verb.fields().values() if checklist(info)]
    payload = slack.fields_of(slack.VERBS[verb.slack], words)
    message = verb.model.model_validate({"by": "bob", **payload})
    for f in verb.slack_args:
        assert payload[f] and getattr(message, f) is not None, f


def test_slack_usage_names_the_words_in_order_and_refuses_too_few():
    assign = slack.usage(MESSAGES["assign"])
    assert assign == "assign <commander|ops_lead|comms_lead|scribe> <@user>"
    assert slack.usage(MESSAGES["action_item"]) == "action-item <@owner> <YYYY-MM-DD> <title> [addresses=<addresses>]"
    assert "[change=<change_id>]" in slack.usage(MESSAGES["mitigate"])
    with pytest.raises(slack.Refusal, match="usage: `assign"):
        slack.fields_of("assign", ["scribe"])
    with pytest.raises(slack.Refusal, match="the due date must look like"):
        slack.fields_of("action_item", ["carol", "soon", "a", "title"])
