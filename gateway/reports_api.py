"""`GET /v1/reports`: the report across archived incidents, as `warroom report`
prints it (JSON, or markdown for a wiki page)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import PlainTextResponse

from gateway import tokens
from gateway.http import get_settings
from gateway.reading import build_report
from store.archive import Archive
from store.db import Database
from warroom import learning
from warroom import report as reports
from warroom.report import markdown_table
from warroom.settings import Settings

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=tokens.REFUSALS, dependencies=[Depends(tokens.read)])


@router.get("", summary="MTTx, MTBF, on-call load, postmortems, action items and alert fatigue across archived incidents")
async def report(
    since: Annotated[str, Query(description="incidents that started this long ago or later (90d, 12w, P90D); all for every one")] = "90d",
    format: Annotated[Literal["json", "markdown"], Query()] = "json",
    night: Annotated[str, Query(description="night hours for on-call load, START-END, in each person's time zone")] = "22-7",
    recent: Annotated[int | None, Query(ge=1, le=500, description="instead: the last N incident reports with their postmortem links")] = None,
    settings: Settings = Depends(get_settings),
) -> Any:
    if recent is not None:
        past = await Archive(Database(settings.database)).recent_reports(recent)
        if format == "markdown":
            return PlainTextResponse(markdown_table(*learning.recent_table(past)), media_type="text/markdown; charset=utf-8")
        return {"recent": [r.model_dump(mode="json") for r in past]}
    try:
        result = await build_report(settings, since, night, datetime.now(UTC))
    except ValueError as err:
        raise HTTPException(422, str(err)) from None
    if format == "markdown":
        return PlainTextResponse(reports.to_markdown(result), media_type="text/markdown; charset=utf-8")
    return result.model_dump(mode="json")
