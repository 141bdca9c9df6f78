"""StatusPageAPI through httpx over real HTTP against the Statuspage fake."""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError

from warroom.rules.requests import StatusPost
from warroom.rules.wording import public_wording
from activities.statuspage_api import StatusPageAPI
from tests.fakes.server import Served, json_response
from tests.fakes.statuspage import FakeStatuspage
from warroom.models import PublicStatus
from warroom.public_state import ComponentStatus

KEY = "sp-secret-key"


@pytest.fixture
def fake():
    page = FakeStatuspage(api_key=KEY)
    served = Served(page.app).start()
    page.url = f"{served.url}/v1/"
    yield page
    served.stop()


@pytest.fixture
def api(fake):
    return StatusPageAPI(KEY, "page1", fake.url)


def post(status: PublicStatus, key: str, page_ref=None, **kw) -> StatusPost:
    return StatusPost(
        incident_id="inc-1", page_ref=page_ref, title="Checkout down", service="checkout", status=status,
        message=public_wording(status, "checkout", "a bad deploy"), impact="critical",
        components=kw.pop("components", {"Checkout": "operational" if status is PublicStatus.RESOLVED else "major_outage"}),
        idempotency_key=key, **kw,
    )


async def test_walks_every_status_once_and_restores_components(fake, api):
    ref = await api.publish(post(PublicStatus.INVESTIGATING, "inc-1:3"))
    assert fake.components["cmp-checkout"]["status"] == "major_outage"
    for n, status in enumerate([PublicStatus.IDENTIFIED, PublicStatus.MONITORING, PublicStatus.RESOLVED], start=4):
        ref = await api.publish(post(status, f"inc-1:{n}", page_ref=ref))
    [incident] = fake.incidents.values()
    updates = list(reversed(incident["incident_updates"]))
    assert [u["status"] for u in updates] == ["investigating", "identified", "monitoring", "resolved"]
    assert updates[0]["body"].startswith("We are currently investigating reports of issues with checkout.")
    assert updates[1]["body"] == "The issue has been identified as a bad deploy. We are implementing a fix."
    assert incident["impact"] == "critical" and incident["metadata"]["warroom"]["incident_id"] == "inc-1"
    assert fake.components["cmp-checkout"]["status"] == "operational"
    assert ref.url == incident["shortlink"]


async def test_a_lost_create_is_found_and_a_repeated_update_skipped(fake, api):
    fake.faults.fail_next(json_response({"error": "Internal Server Error"}, 500))
    with pytest.raises(ApplicationError) as err:
        await api.publish(post(PublicStatus.INVESTIGATING, "inc-1:3"))
    assert not err.value.non_retryable
    # The answer is lost after the create landed: the retry must find it by metadata.
    fake.faults.fail_next(json_response({"error": "Internal Server Error"}, 500), after_apply=True)
    with pytest.raises(ApplicationError):
        await api.publish(post(PublicStatus.INVESTIGATING, "inc-1:3"))
    assert len(fake.incidents) == 1
    ref = await api.publish(post(PublicStatus.INVESTIGATING, "inc-1:3"))
    await api.publish(post(PublicStatus.INVESTIGATING, "inc-1:3", page_ref=ref))
    [incident] = fake.incidents.values()
    assert len(incident["incident_updates"]) == 1


async def test_rate_limit_is_retryable_after_the_servers_delay(fake, api):
    fake.faults.fail_next(json_response({"error": "Rate limit exceeded"}, 429, {"Retry-After": "3"}))
    with pytest.raises(ApplicationError) as err:
        await api.publish(post(PublicStatus.INVESTIGATING, "k"))
    assert not err.value.non_retryable and err.value.next_retry_delay.total_seconds() == 3


@pytest.mark.parametrize(
    ("api_key", "page_id", "components", "expected"),
    [
        ("wrong-key", "page1", {"Checkout": "major_outage"}, "HTTP 401"),
        (KEY, "nope", {"Checkout": "major_outage"}, "HTTP 404"),
        (KEY, "page1", {"Billing": "major_outage"}, "no component named Billing"),
    ],
)
async def test_client_errors_are_final_and_keep_the_key_out(fake, api_key, page_id, components, expected):
    api = StatusPageAPI(api_key, page_id, fake.url)
    with pytest.raises(ApplicationError, match=expected) as err:
        await api.publish(post(PublicStatus.INVESTIGATING, "k", components=components))
    assert err.value.non_retryable and api_key not in str(err.value)


async def test_validation_errors_are_final(fake, api):
    # The page lists a component whose id the incident endpoint rejects: 422.
    fake.components["cmp-legacy"] = {"id": "cmp-retired", "name": "Legacy", "status": "operational"}
    with pytest.raises(ApplicationError, match="HTTP 422.*do not exist") as err:
        await api.publish(post(PublicStatus.INVESTIGATING, "k", components={"Legacy": "major_outage"}))
    assert err.value.non_retryable


async def test_a_publication_without_text_renames_and_moves_components_without_an_update(fake, api):
    ref = await api.publish(post(PublicStatus.INVESTIGATING, "inc-1:3"))
    quiet = post(PublicStatus.INVESTIGATING, "inc-1:4", page_ref=ref).model_copy(
        update={"message": None, "title": "Partial outage: Checkout", "components": {"Checkout": ComponentStatus.PARTIAL_OUTAGE}}
    )
    await api.publish(quiet)
    [incident] = fake.incidents.values()
    assert incident["name"] == "Partial outage: Checkout" and len(incident["incident_updates"]) == 1
    assert fake.components["cmp-checkout"]["status"] == "partial_outage"


async def test_a_name_longer_than_statuspage_takes_is_final(fake, api):
    with pytest.raises(ApplicationError, match="HTTP 422.*Name is too long") as err:
        await api.publish(post(PublicStatus.INVESTIGATING, "k").model_copy(update={"title": "x" * 256}))
    assert err.value.non_retryable


def on_checkout(incident: str, status: PublicStatus, state: str, key: str, page_ref=None) -> StatusPost:
    shared = post(status, key, page_ref=page_ref, components={"Checkout": state})
    return shared.model_copy(update={"incident_id": incident})


def someone_elses_incidents(fake, count: int) -> None:
    """Incidents a person opened on the page, touching no component."""
    for n in range(count):
        fake.incidents[f"p{n}"] = {"id": f"p{n}", "status": "identified", "created_at": fake._tick(), "metadata": {}, "components": []}


@pytest.mark.parametrize("crowded", [False, True], ids=["one-page", "paged"])
@pytest.mark.parametrize(("first", "left"), [("inc-minor", "major_outage"), ("inc-major", "degraded_performance")])
async def test_a_component_two_incidents_share_keeps_the_worst_the_unresolved_hold(fake, api, first, left, crowded):
    refs = {"inc-major": await api.publish(on_checkout("inc-major", PublicStatus.INVESTIGATING, "major_outage", "major:1"))}
    if crowded:  # the other incident is on the second page of incidents/unresolved
        someone_elses_incidents(fake, 120)
    refs["inc-minor"] = await api.publish(on_checkout("inc-minor", PublicStatus.INVESTIGATING, "degraded_performance", "minor:1"))
    assert fake.components["cmp-checkout"]["status"] == "major_outage"
    resolve = on_checkout(first, PublicStatus.RESOLVED, "operational", f"{first}:2", page_ref=refs[first])
    await api.publish(resolve)
    assert fake.components["cmp-checkout"]["status"] == left
    updates = len(fake.incidents[refs[first].id]["incident_updates"])
    await api.publish(resolve)  # a retry
    await api.publish(resolve.model_copy(update={"message": None}))  # a quiet one
    assert fake.components["cmp-checkout"]["status"] == left
    assert len(fake.incidents[refs[first].id]["incident_updates"]) == updates
    other = "inc-major" if first == "inc-minor" else "inc-minor"
    await api.publish(on_checkout(other, PublicStatus.RESOLVED, "operational", f"{other}:2", page_ref=refs[other]))
    assert fake.components["cmp-checkout"]["status"] == "operational"


async def test_a_component_under_maintenance_is_left_to_the_page(fake, api):
    ref = await api.publish(post(PublicStatus.INVESTIGATING, "inc-1:3"))
    fake.components["cmp-checkout"]["status"] = "under_maintenance"
    await api.publish(post(PublicStatus.RESOLVED, "inc-1:4", page_ref=ref))
    assert fake.components["cmp-checkout"]["status"] == "under_maintenance"
    assert fake.incidents[ref.id]["status"] == "resolved"


async def test_a_persons_incident_on_the_component_holds_its_page_wide_status(fake, api):
    """Statuspage records no per-incident status for a person's incident: it
    holds what the page shows, so warroom never clears a component under it."""
    ref = await api.publish(post(PublicStatus.INVESTIGATING, "inc-1:3"))
    fake.incidents["p1"] = {
        "id": "p1", "status": "investigating", "created_at": fake._tick(), "metadata": {},
        "components": [fake.components["cmp-checkout"]],
    }
    await api.publish(post(PublicStatus.RESOLVED, "inc-1:4", page_ref=ref))
    assert fake.components["cmp-checkout"]["status"] == "major_outage"


async def test_two_attempts_racing_on_one_create_agree_on_the_oldest_incident(fake, api, monkeypatch):
    """An attempt that outlived its timeout created the incident after its retry
    looked for it: the retry creates another, then both agree on the oldest."""
    first = await api.publish(post(PublicStatus.INVESTIGATING, "inc-1:3"))  # the earlier attempt's, landed late

    async def looked_too_early(http, req, unresolved):
        return None

    monkeypatch.setattr(api, "_existing", looked_too_early)
    again = await api.publish(post(PublicStatus.INVESTIGATING, "inc-1:3"))
    assert again.id == first.id and list(fake.incidents) == [first.id], "the newer one deleted, the oldest kept"
    monkeypatch.undo()
    assert (await api.publish(post(PublicStatus.IDENTIFIED, "inc-1:4", page_ref=again))).id == first.id
