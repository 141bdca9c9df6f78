"""A storm of 50 SEV2 incidents at once against a Slack fake that enforces
each method's tier with 429 and Retry-After (issue 23): two workers share the
rate budgets, and every channel, first post and page arrives exactly once."""

from __future__ import annotations

import uuid

from warroom.settings import Settings
from benchmarks.slack_storm import storm


async def test_a_50_incident_storm_completes_with_no_duplicate_and_no_lost_post(env, tmp_path):
    settings = Settings(data_dir=tmp_path, task_queue=f"storm-{uuid.uuid4().hex[:8]}", config=None)
    result = await storm(env.client, settings, incidents=50, window=0.5, workers=2)
    assert result.channels == 50
    assert set(result.first_posts.values()) == {1} and len(result.first_posts) == 50
    assert set(result.pages.values()) == {1} and len(result.pages) == 50
    assert result.duplicate_keys == []
    # Paced by the shared budgets, the workers seldom meet a 429; never one per call.
    assert sum(result.limited.values()) < result.calls / 10, result.limited
