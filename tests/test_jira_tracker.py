"""JiraTracker through the `jira` package over real HTTP against the Jira fake,
as Data Center (`search`) and as Cloud (`search/jql`)."""

from __future__ import annotations

from datetime import date

import pytest
from temporalio.exceptions import ApplicationError

from activities.jira_tracker import JiraTracker
from warroom.rules.requests import TrackerItem
from tests.fakes.jira import FakeJira, jira_error
from tests.fakes.server import Served
from warroom.models import Severity

TOKEN = "jira-secret-token"


@pytest.fixture(params=["datacenter", "cloud"])
def fake(request):
    jira = FakeJira(user="bot@example.com", token=TOKEN, project="OPS", cloud=request.param == "cloud")
    served = Served(jira.app).start()
    jira.url = served.url
    yield jira
    served.stop()


@pytest.fixture
def tracker(fake):
    return JiraTracker(fake.url, "bot@example.com", TOKEN, "OPS")


def item(number: int = 1, owner: str = "carol", **kw) -> TrackerItem:
    return TrackerItem(
        incident_id="inc-1", number=number, title=f"Follow-up {number}", owner=owner, due=date(2026, 4, 1),
        severity=Severity.SEV1, description="Follow-up of incident inc-1 (Checkout down). http://127.0.0.1:8233/x", **kw,
    )


async def test_creates_once_per_action_item_and_links_siblings(fake, tracker):
    owner = {"assignee": "acc-carol"} if fake.cloud else {}  # Data Center: the owner's handle is the username
    first = await tracker.create(item(1, "carol", **owner))
    assert await tracker.create(item(1, "carol", **owner)) == first
    second = await tracker.create(item(2, "carol", **owner))
    assert len(fake.issues) == 2 and first.key != second.key
    fields = fake.issues[first.key]["fields"]
    assert fields["labels"] == ["warroom", "incident-inc-1", "action-1"]
    assert fields["assignee"] == ({"accountId": "acc-carol"} if fake.cloud else {"name": "carol"})
    assert (fields["priority"], fields["duedate"]) == ({"name": "Highest"}, "2026-04-01")
    assert "inc-1" in fields["description"] and first.url == f"{fake.url}/browse/{first.key}"
    assert [link["inwardIssue"]["key"] for link in fields["issuelinks"]] == [second.key]
    assert fake.searches[0] == 'labels = "incident-inc-1" AND labels = "action-1"'


async def test_status_follows_the_status_category(fake, tracker):
    ref = await tracker.create(item(1, "carol", assignee="acc-carol" if fake.cloud else None))
    assert await tracker.status(ref.key) == "open"
    fake.finish(ref.key)
    assert await tracker.status(ref.key) == "done"
    assert await tracker.status("OPS-999") is None


async def test_an_unassignable_owner_goes_into_the_description(fake, tracker):
    ref = await tracker.create(item(1, owner="mallory", assignee="acc-mallory" if fake.cloud else None))
    fields = fake.issues[ref.key]["fields"]
    assert "assignee" not in fields and ref.unassigned == "Jira refused mallory as assignee"
    assert "Owner: mallory" in fields["description"] and "refused assignee" in fields["description"]


async def test_a_create_whose_answer_was_lost_is_found_by_labels(fake, tracker):
    fake.faults.fail_next(jira_error(500, ["Internal server error"]), after_apply=True)
    with pytest.raises(ApplicationError) as err:
        await tracker.create(item(1))
    assert not err.value.non_retryable
    await tracker.create(item(1))
    assert len(fake.issues) == 1


async def test_rate_limit_is_retryable_after_the_servers_delay(fake, tracker):
    fake.faults.fail_next(jira_error(429, ["Rate limit exceeded."], headers={"Retry-After": "2"}))
    with pytest.raises(ApplicationError, match="Rate limit exceeded") as err:
        await tracker.create(item(1))
    assert not err.value.non_retryable and err.value.next_retry_delay.total_seconds() == 2


async def test_field_errors_and_bad_credentials_are_final_without_secrets(fake):
    with pytest.raises(ApplicationError, match="project: valid project is required") as err:
        await JiraTracker(fake.url, "bot@example.com", TOKEN, "NOPE").create(item(1))
    assert err.value.non_retryable and TOKEN not in str(err.value)
    with pytest.raises(ApplicationError, match="HTTP 401") as err:
        await JiraTracker(fake.url, "bot@example.com", "wrong-token", "OPS").create(item(1))
    assert err.value.non_retryable and "wrong-token" not in str(err.value) and "Basic" not in str(err.value)


async def test_the_owner_is_found_by_email_and_a_retry_assigns_an_issue_left_unassigned(fake, tracker):
    """Cloud: accountId from the user search by e-mail; Data Center: the username."""
    carol = item(1, "carol", assignee_email="carol@example.com")
    ref = await tracker.create(carol)
    expected = {"accountId": "acc-carol"} if fake.cloud else {"name": "carol"}
    assert fake.issues[ref.key]["fields"]["assignee"] == expected and ref.unassigned is None
    fake.issues[ref.key]["fields"].pop("assignee")  # as if the first attempt's create lost it
    assert (await tracker.create(carol)).key == ref.key
    assert fake.issues[ref.key]["fields"]["assignee"] == expected and len(fake.issues) == 1


async def test_no_account_for_the_owner_is_said_not_guessed(fake, tracker):
    ref = await tracker.create(item(1, "zed", assignee_email="zed@example.com"))
    if fake.cloud:
        assert "assignee" not in fake.issues[ref.key]["fields"]
        assert ref.unassigned == "no Jira account found for zed by e-mail zed@example.com"
    else:  # Data Center falls back to the handle as username, which Jira refuses here
        assert ref.unassigned == "Jira refused zed as assignee"
