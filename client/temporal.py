"""One way to reach Temporal, for every warroom process: the pydantic data
converter, and TLS or an API key when pointed at a real cluster or Temporal Cloud."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client, Interceptor, TLSConfig
from temporalio.service import RPCError, RPCStatusCode
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from warroom.codec import EncryptionCodec, parse_keys
from warroom.settings import Settings
from client.search_attributes import INDEXED_TYPES
from client.telemetry import sdk_runtime, tracing_interceptors


def tls_config(settings: Settings) -> TLSConfig | bool:
    files = (settings.temporal_tls_cert, settings.temporal_tls_key, settings.temporal_tls_ca)
    if not any(files):
        return settings.temporal_tls or settings.temporal_api_key is not None
    cert, key, ca = (path.read_bytes() if path else None for path in files)
    return TLSConfig(client_cert=cert, client_private_key=key, server_root_ca_cert=ca)


def data_converter(settings: Settings) -> DataConverter:
    """Pydantic payloads, encrypted when `WARROOM_CODEC_KEYS` is set."""
    if settings.codec_keys is None:
        return pydantic_data_converter
    return dataclasses.replace(pydantic_data_converter, payload_codec=EncryptionCodec(parse_keys(settings.codec_keys.get_secret_value())))


async def connect(settings: Settings, interceptors: Sequence[Interceptor] | None = None, lazy: bool = False) -> Client:
    """`lazy`: connect on the first call, so that an unreachable Temporal is that call's error."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None,
        tls=tls_config(settings),
        data_converter=data_converter(settings),
        interceptors=tracing_interceptors(settings) if interceptors is None else interceptors,
        runtime=sdk_runtime(settings.sdk_metrics_address) if settings.sdk_metrics_address else None,
        lazy=lazy,
    )


async def ensure_search_attributes(client: Client) -> None:
    """Register warroom's search attributes where they are missing. Workflows
    cannot upsert unregistered attributes, so a worker checks before it polls."""
    service = client.operator_service
    try:
        listed = await service.list_search_attributes(ListSearchAttributesRequest(namespace=client.namespace))
        missing = {k: v for k, v in INDEXED_TYPES.items() if k not in listed.custom_attributes}
    except RPCError as err:  # the time-skipping test server cannot list, only add
        if err.status is not RPCStatusCode.UNIMPLEMENTED:
            raise
        missing = INDEXED_TYPES
    if missing:
        await service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
