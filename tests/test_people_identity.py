"""Who acts (issue 19): a Slack slash command's user id and the CLI's `--by`,
WARROOM_USER or login all become the person's handle through the directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.runtime import user
from gateway.slack_commands import person
from warroom.settings import Settings

CONFIG = """
[people.alice]
email = "alice.smith@example.com"
slack = "U024BE7LH"

[people.bob]
email = "bob@example.com"
"""


@pytest.fixture
def config(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "warroom.toml"
    path.write_text(CONFIG)
    monkeypatch.setenv("WARROOM_CONFIG", str(path))
    return path


def test_a_slash_commands_user_id_maps_back_to_its_person(config):
    settings = Settings(config=config)
    assert person("U024BE7LH", "asmith", settings) == "alice"
    assert person("U0STRANGER", "carol", settings) == "carol", "not in the directory: Slack's name"
    assert person("U0STRANGER", "", settings) == "U0STRANGER"


def test_by_defaults_to_the_login_through_the_directory(config, monkeypatch):
    assert user("bob@example.com") == "bob"
    assert user("U024BE7LH") == "alice"
    assert user("mallory") == "mallory", "an unknown name is kept"
    monkeypatch.setattr("getpass.getuser", lambda: "alice.smith")
    assert user("") == "alice", "the login is the local part of alice's address"
    monkeypatch.setattr("getpass.getuser", lambda: "bob")
    assert user("") == "bob"


def test_a_person_named_in_a_slash_command_may_be_an_escaped_mention():
    from gateway.slack_commands import fields_of

    assert fields_of("assign", ["comms_lead", "<@U024BE7LH|alice>"]) == {"role": "comms_lead", "user": "U024BE7LH"}
    assert fields_of("assign", ["comms_lead", "@bob"]) == {"role": "comms_lead", "user": "bob"}
