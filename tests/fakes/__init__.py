"""Small real HTTP servers playing Slack, Statuspage and Jira for the adapters'
tests, following the public API docs closely enough for the real clients."""
