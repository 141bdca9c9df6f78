"""The remote codec endpoint (`/codec/encode`, `/codec/decode`) the Temporal UI
and CLI call to show encrypted incident data to people allowed to see it.

Point the UI at `<gateway>/codec` (`temporal server start-dev
--ui-codec-endpoint`, or the UI's `codec.endpoint`), and the CLI with
`--codec-endpoint <gateway>/codec --codec-auth "Bearer <token>"`. Calls need
the bearer token `WARROOM_CODEC_TOKEN`: the gateway does not start with codec
keys and without it (`gateway.tokens`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from warroom.codec import CodecError, EncryptionCodec, parse_keys
from warroom.settings import Settings
from gateway import tokens
from gateway.http import get_settings

router = APIRouter(prefix="/codec", tags=["codec"], dependencies=[Depends(tokens.codec)], responses={401: tokens.REFUSALS[401]})


def codec(settings: Settings = Depends(get_settings)) -> EncryptionCodec:
    if settings.codec_keys is None:
        raise HTTPException(404, "payload encryption is off (WARROOM_CODEC_KEYS is not set)")
    return EncryptionCodec(parse_keys(settings.codec_keys.get_secret_value()))


async def _payloads(request: Request) -> Payloads:
    try:
        return json_format.Parse(await request.body(), Payloads())
    except json_format.ParseError as err:
        raise HTTPException(400, f"expected {{\"payloads\": [...]}} in Temporal's JSON form: {err}") from None


def _answer(payloads: list) -> Response:
    return Response(json_format.MessageToJson(Payloads(payloads=payloads)), media_type="application/json")


@router.post("/encode", summary="Encrypt payloads (Temporal remote codec)")
async def encode(request: Request, with_codec: EncryptionCodec = Depends(codec)) -> Response:
    return _answer(await with_codec.encode((await _payloads(request)).payloads))


@router.post("/decode", summary="Decrypt payloads (Temporal remote codec)")
async def decode(request: Request, with_codec: EncryptionCodec = Depends(codec)) -> Response:
    try:
        return _answer(await with_codec.decode((await _payloads(request)).payloads))
    except CodecError as err:
        raise HTTPException(422, str(err)) from None
