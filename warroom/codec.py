"""Payload encryption: incident data is AES-GCM encrypted before it reaches
Temporal, so titles, timelines and names are ciphertext at rest in its
database and in exported histories.

Keys come from `WARROOM_CODEC_KEYS` as `id:base64key,...` (16, 24 or 32 byte
keys). The first key encrypts; every listed key decrypts, so rotation is: put
the new key first, keep the old ones until no history needs them. Each payload
names its key in its metadata (`encryption-key-id`); the nonce is random per
payload and the original metadata is encrypted with the data.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE = 12


class CodecError(ValueError):
    """A payload that cannot be decrypted, or keys that cannot be used."""


def parse_keys(text: str) -> dict[str, bytes]:
    """`id:base64key,id2:base64key` -> {id: key}, in order (the first encrypts)."""
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key_id, _, encoded = part.partition(":")
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise CodecError(f"key {key_id!r} is not base64") from None
        if not key_id or len(key) not in (16, 24, 32):
            raise CodecError(f"key {key_id!r} must be 16, 24 or 32 bytes of base64 after its id")
        keys[key_id] = key
    if not keys:
        raise CodecError("no keys: WARROOM_CODEC_KEYS is `id:base64key[,id:base64key...]`")
    return keys


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: dict[str, bytes]):
        self.keys = keys
        self.active = next(iter(keys))

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = AESGCM(self.keys[self.active])
        out = []
        for payload in payloads:
            nonce = os.urandom(NONCE)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), self.active.encode())
            out.append(Payload(metadata={"encoding": ENCODING, KEY_ID: self.active.encode()}, data=nonce + sealed))
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                out.append(payload)  # written before encryption was turned on
                continue
            key_id = payload.metadata.get(KEY_ID, b"").decode()
            key = self.keys.get(key_id)
            if key is None:
                raise CodecError(f"payload encrypted with unknown key {key_id!r}")
            try:
                plain = AESGCM(key).decrypt(payload.data[:NONCE], payload.data[NONCE:], key_id.encode())
            except InvalidTag:
                raise CodecError(f"payload under key {key_id!r} failed authentication (tampered or wrong key)") from None
            out.append(Payload.FromString(plain))
        return out
