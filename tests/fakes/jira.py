"""A Jira REST API v2/v3 fake. `cloud=True` answers serverInfo with
deploymentType "Cloud" and, like Jira Cloud today, serves only the enhanced
search (`search/jql`), the old `search` answering 410; Data Center serves
`search` only. Errors carry `errorMessages` and field `errors` as Jira's do.
User search (`user/search`) is Cloud's `query` (matched against display name
and e-mail, answering `accountId`s) or Data Center's required `username`
(matched against username, name and e-mail, answering `name`s)."""

from __future__ import annotations

import base64
import itertools
import re
import threading
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from tests.fakes.server import Faults, json_response

LABEL_CLAUSE = re.compile(r'labels\s*=\s*"([^"]+)"')
TO_DO = {"name": "To Do", "statusCategory": {"key": "new", "name": "To Do"}}
DONE = {"name": "Done", "statusCategory": {"key": "done", "name": "Done"}}
PRIORITIES = {"Highest", "High", "Medium", "Low", "Lowest"}


def jira_error(status: int, messages: list[str] | None = None, errors: dict[str, str] | None = None, headers=None):
    return json_response({"errorMessages": messages or [], "errors": errors or {}}, status, headers)


class FakeJira:
    def __init__(self, user: str = "bot@example.com", token: str = "jira-token", project: str = "OPS",
                 cloud: bool = False, faults: Faults | None = None):
        self.auth = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()
        self.project = project
        self.cloud = cloud
        self.faults = faults or Faults()
        self.assignable = {"acc-carol"} if cloud else {"carol", "dave"}
        self.users = (
            [{"accountId": "acc-carol", "accountType": "atlassian", "emailAddress": "carol@example.com", "displayName": "Carol", "active": True}]
            if cloud else
            [{"name": n, "key": f"JIRAUSER{10100 + i}", "emailAddress": f"{n}@example.com", "displayName": n.title(), "active": True}
             for i, n in enumerate(("carol", "dave"))]
        )
        self.issues: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(10001)
        self.lock = threading.Lock()
        self.searches: list[str] = []
        self.app = FastAPI()
        base = "/rest/api/{version}"
        self.app.add_api_route(base + "/serverInfo", self.server_info, methods=["GET"])
        self.app.add_api_route(base + "/field", self.fields, methods=["GET"])
        self.app.add_api_route(base + "/issue", self.create_issue, methods=["POST"])
        self.app.add_api_route(base + "/issue/{key}", self.get_issue, methods=["GET"])
        self.app.add_api_route(base + "/issue/{key}", self.edit_issue, methods=["PUT"])
        self.app.add_api_route(base + "/user/search", self.search_users, methods=["GET"])
        self.app.add_api_route(base + "/search", self.search, methods=["GET", "POST"])
        self.app.add_api_route(base + "/search/jql", self.search_jql, methods=["GET", "POST"])
        self.app.add_api_route(base + "/issueLinkType", self.link_types, methods=["GET"])
        self.app.add_api_route(base + "/issueLink", self.create_link, methods=["POST"])

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != self.auth:
            return jira_error(401, ["You are not authenticated. Authentication required to perform this operation."])
        return None

    def _write(self, apply) -> Response:
        def locked() -> Response:
            with self.lock:
                return apply()

        return self.faults.write(
            locked,
            busy=lambda after: jira_error(429, ["Rate limit exceeded."], headers={"Retry-After": str(after)}),
            broken=lambda: jira_error(500, ["Internal server error"], headers=self.faults.retry_header),
        )

    # --- routes -----------------------------------------------------------------------

    async def server_info(self, version: str, request: Request) -> Response:
        if self.cloud:
            return json_response({"versionNumbers": [1001, 0, 0], "deploymentType": "Cloud", "version": "1001.0.0"})
        return json_response({"versionNumbers": [9, 12, 0], "deploymentType": "Server", "version": "9.12.0"})

    async def fields(self, version: str, request: Request) -> Response:
        names = ["summary", "labels", "issuelinks", "assignee", "priority", "duedate", "description"]
        return self._denied(request) or json_response(
            [{"id": n, "name": n.title(), "clauseNames": [n]} for n in names]
        )

    async def create_issue(self, version: str, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        fields = (await request.json()).get("fields", {})
        errors = {}
        if fields.get("project", {}).get("key") != self.project:
            errors["project"] = "valid project is required"
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        assignee = fields.get("assignee")
        if assignee and (assignee.get("name") or assignee.get("accountId")) not in self.assignable:
            errors["assignee"] = f"User '{assignee.get('name') or assignee.get('accountId')}' cannot be assigned issues."
        if fields.get("priority") and fields["priority"].get("name") not in PRIORITIES:
            errors["priority"] = "Specify the Priority (name) in the string format"
        if fields.get("duedate") and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", fields["duedate"]):
            errors["duedate"] = "Error parsing date string"
        if errors:
            return jira_error(400, errors=errors)

        def apply() -> Response:
            number = next(self.ids)
            key = f"{self.project}-{number - 10000}"
            self.issues[key] = {"id": str(number), "key": key, "fields": {**fields, "issuelinks": [], "status": TO_DO}}
            return json_response({"id": str(number), "key": key, "self": f"{request.base_url}rest/api/2/issue/{number}"}, 201)

        return self._write(apply)

    def finish(self, key: str) -> None:
        """What a person does in Jira's UI: move the issue to Done."""
        with self.lock:
            self.issues[key]["fields"]["status"] = DONE

    async def get_issue(self, version: str, key: str, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        with self.lock:
            issue = self._issue(key)
        if issue is None:
            return jira_error(404, ["Issue does not exist or you do not have permission to see it."])
        return json_response({**issue, "self": f"{request.base_url}rest/api/2/issue/{issue['id']}"})

    def _issue(self, key: str) -> dict[str, Any] | None:
        """By key or by id, as Jira's issue URLs take either."""
        return self.issues.get(key) or next((i for i in self.issues.values() if i["id"] == key), None)

    async def edit_issue(self, version: str, key: str, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        fields = (await request.json()).get("fields", {})
        with self.lock:
            issue = self._issue(key)
        if issue is None:
            return jira_error(404, ["Issue does not exist or you do not have permission to see it."])
        assignee = fields.get("assignee")
        if assignee and (assignee.get("name") or assignee.get("accountId")) not in self.assignable:
            return jira_error(400, errors={"assignee": f"User '{assignee.get('name') or assignee.get('accountId')}' cannot be assigned issues."})

        def apply() -> Response:
            issue["fields"].update(fields)
            return Response(status_code=204)

        return self._write(apply)

    async def search_users(self, version: str, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        params = request.query_params
        if self.cloud:
            term, keys = params.get("query"), ("displayName", "emailAddress")
            if not term and not params.get("accountId"):
                return jira_error(400, ["One of 'accountId' or 'query' must be provided."])
        else:
            term, keys = params.get("username"), ("name", "displayName", "emailAddress")
            if not term:
                return jira_error(400, ["The username query parameter was not provided"])
        found = [u for u in self.users if any(str(u[k]).lower().startswith((term or "").lower()) for k in keys)]
        ref = "accountId" if self.cloud else "username"
        return json_response([{**u, "self": f"{request.base_url}rest/api/{version}/user?{ref}={u.get('accountId') or u['name']}"} for u in found])

    async def search(self, version: str, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        if self.cloud:
            return jira_error(410, ["The requested API has been removed. Please migrate to /rest/api/3/search/jql."])
        found = self._find(await self._jql(request))
        if isinstance(found, Response):
            return found
        return json_response({"startAt": 0, "maxResults": 100, "total": len(found), "issues": found})

    async def search_jql(self, version: str, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        if not self.cloud:
            return jira_error(404, ["null for uri: search/jql"])
        found = self._find(await self._jql(request))
        if isinstance(found, Response):
            return found
        return json_response({"issues": found, "isLast": True})

    @staticmethod
    async def _jql(request: Request) -> str:
        if request.method == "POST":
            return (await request.json()).get("jql", "")
        return request.query_params.get("jql", "")

    def _find(self, jql: str) -> list[dict[str, Any]] | Response:
        self.searches.append(jql)
        clauses = [c.strip() for c in jql.split(" AND ")]
        labels = [LABEL_CLAUSE.fullmatch(c) for c in clauses]
        if not all(labels):
            return jira_error(400, [f"Error in the JQL Query: cannot parse '{jql}'."])
        wanted = {m.group(1) for m in labels}
        with self.lock:
            return [dict(i) for i in self.issues.values() if wanted <= set(i["fields"].get("labels", []))]

    async def link_types(self, version: str, request: Request) -> Response:
        return self._denied(request) or json_response(
            {"issueLinkTypes": [{"id": "10003", "name": "Relates", "inward": "relates to", "outward": "relates to"}]}
        )

    async def create_link(self, version: str, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        body = await request.json()
        inward, outward = body["inwardIssue"]["key"], body["outwardIssue"]["key"]
        if body.get("type", {}).get("name") != "Relates":
            return jira_error(404, ["No issue link type with name 'x' found."])
        if inward not in self.issues or outward not in self.issues:
            return jira_error(404, ["Issue Does Not Exist"])

        def apply() -> Response:
            link = next(self.ids)
            self.issues[inward]["fields"]["issuelinks"].append({"id": str(link), "type": {"name": "Relates"}, "outwardIssue": {"key": outward}})
            self.issues[outward]["fields"]["issuelinks"].append({"id": str(link), "type": {"name": "Relates"}, "inwardIssue": {"key": inward}})
            return Response(status_code=201)

        return self._write(apply)
