"""Payload encryption: incident data is ciphertext in Temporal, readable only
through the codec (the worker's, or the gateway's endpoint for the UI)."""

from __future__ import annotations

import base64
import json
import os
import uuid

import httpx
import pytest
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload

from warroom import models as m
from warroom.codec import CodecError, EncryptionCodec, parse_keys
from warroom.settings import Settings
from gateway.app import create_app
from client.incidents import start_incident
from client.temporal import connect
from worker.worker import build_worker

OLD, NEW = base64.b64encode(os.urandom(32)).decode(), base64.b64encode(os.urandom(32)).decode()
TITLE = "Merger data room exposed"


def payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())


async def test_round_trip_and_rotation():
    old = EncryptionCodec(parse_keys(f"k1:{OLD}"))
    sealed = await old.encode([payload(TITLE)])
    assert sealed[0].metadata["encryption-key-id"] == b"k1" and TITLE.encode() not in sealed[0].data
    rotated = EncryptionCodec(parse_keys(f"k2:{NEW},k1:{OLD}"))
    assert (await rotated.decode(sealed))[0] == payload(TITLE), "old key still decrypts"
    resealed = await rotated.encode([payload(TITLE)])
    assert resealed[0].metadata["encryption-key-id"] == b"k2", "the first key encrypts"
    with pytest.raises(CodecError, match="unknown key 'k2'"):
        await old.decode(resealed)
    plain = payload("written before encryption")
    assert await rotated.decode([plain]) == [plain]


async def test_tampering_is_detected_and_bad_keys_are_refused():
    codec = EncryptionCodec(parse_keys(f"k1:{OLD}"))
    (sealed,) = await codec.encode([payload(TITLE)])
    flipped = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(CodecError, match="failed authentication"):
        await codec.decode([flipped])
    for bad in ("", "k1", "k1:not-base64!", f"k1:{base64.b64encode(b'short').decode()}"):
        with pytest.raises(CodecError) as err:
            parse_keys(bad)
        assert OLD not in str(err.value)


async def test_incident_data_is_ciphertext_in_temporal_and_the_codec_endpoint_reads_it(dev_env, tmp_path):
    settings = Settings(
        temporal_address=dev_env.client.service_client.config.target_host, data_dir=tmp_path, config=None,
        task_queue=f"codec-{uuid.uuid4().hex[:6]}", codec_keys=SecretStr(f"k1:{OLD}"), codec_token=SecretStr("ui-token"),
    )
    client = await connect(settings)
    async with build_worker(client, settings):
        handle = await start_incident(client, settings, f"inc-{uuid.uuid4().hex[:8]}", m.IncidentInput(title=TITLE, severity="SEV3"))
        state = await handle.query("state")
        assert state["title"] == TITLE, "the worker and client with the codec see plain data"
        raw = await dev_env.client.get_workflow_handle(handle.id).fetch_history()  # no codec: what Temporal stores
        await handle.terminate()
    started = raw.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    assert started.metadata["encoding"] == b"binary/encrypted" and TITLE.encode() not in raw.to_json().encode()

    app = create_app(settings, client)
    body = {"payloads": [{"metadata": {k: base64.b64encode(v).decode() for k, v in started.metadata.items()},
                          "data": base64.b64encode(started.data).decode()}]}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        refused = await http.post("/codec/decode", json=body)
        assert refused.status_code == 401
        decoded = await http.post("/codec/decode", json=body, headers={"Authorization": "Bearer ui-token", "Origin": settings.ui_base})
        assert decoded.status_code == 200 and decoded.headers["access-control-allow-origin"] == settings.ui_base
        (plain,) = decoded.json()["payloads"]
        assert TITLE in base64.b64decode(plain["data"]).decode()
        encoded = await http.post("/codec/encode", json=decoded.json(), headers={"Authorization": "Bearer ui-token"})
        assert base64.b64decode(encoded.json()["payloads"][0]["metadata"]["encoding"]) == b"binary/encrypted"
        junk = await http.post("/codec/decode", content=b"{nope", headers={"Authorization": "Bearer ui-token"})
        assert junk.status_code == 400
