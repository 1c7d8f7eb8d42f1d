#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Seed inputs for tests/fuzz/fuzz_passthru.c (the record format is in its
header comment): the seed's scenario and its variations, so the fuzzer
starts from streams that reach every state. Writes tests/fuzz/corpus/passthru/.

    tests/fuzz/gen_passthru_seeds.py
"""
import hashlib
import os
import struct

OUT = os.path.join(os.path.dirname(__file__), "corpus", "passthru")

INIT, ERROR, READER_ADD, READER_REMOVE, ATR, CARD_REMOVE, APDU, FLUSH, FLUSH_COMPLETE = range(1, 10)
ATR_BYTES = bytes.fromhex("3B7A18000073667465206364313434")
SELECT = bytes.fromhex("00A4040007A0000000790100")


def vsc(mtype, payload=b"", reader=0):
    return struct.pack(">III", mtype, reader, len(payload)) + payload


def client(raw):
    """op 0: client bytes, in records of at most 255."""
    out = b""
    while raw:
        chunk, raw = raw[:255], raw[255:]
        out += bytes([0, len(chunk)]) + chunk
    return out


def power_on():
    return bytes([1])


def xfr(apdu):
    return bytes([2, len(apdu)]) + apdu


def reconnect():
    return bytes([3])


def wait(seconds):
    return bytes([4, seconds])


def usb_reset():
    return bytes([5])


def abort():
    return bytes([6])


def msg(mtype, payload=b""):
    return bytes([7, mtype - 1, len(payload)]) + payload


card_in = client(vsc(READER_ADD) + vsc(ATR, ATR_BYTES))
seeds = {
    "scenario": card_in + power_on() + xfr(SELECT) + client(vsc(APDU, b"\x90\x00"))
    + client(vsc(CARD_REMOVE)) + client(vsc(READER_REMOVE)),
    "vscclient-start": client(vsc(READER_REMOVE) + vsc(READER_ADD)) + client(vsc(ATR, ATR_BYTES)),
    "timeout-late-answer": card_in + power_on() + xfr(SELECT) + wait(3)
    + xfr(b"\x00\xb0\x00\x00\x02") + client(vsc(APDU, b"\x6a\x82")) + client(vsc(APDU, b"\x01\x02\x90\x00")),
    "error-answer": card_in + power_on() + xfr(SELECT) + client(vsc(ERROR, b"\x00\x00\x00\x01")),
    "error-answer-le": card_in + power_on() + xfr(SELECT) + client(vsc(ERROR, b"\x01\x00\x00\x00")),
    "drop-mid-apdu": card_in + power_on() + xfr(SELECT) + reconnect() + card_in + power_on(),
    "abort": card_in + power_on() + xfr(SELECT) + abort() + xfr(SELECT) + client(vsc(APDU, b"\x90\x00")),
    "usb-reset": card_in + power_on() + xfr(SELECT) + usb_reset() + power_on() + xfr(SELECT),
    "split-header": b"".join(client(bytes([b])) for b in vsc(READER_ADD) + vsc(ATR, ATR_BYTES)),
    "flush": client(vsc(FLUSH)) + msg(FLUSH_COMPLETE),
    "second-reader": card_in + client(vsc(READER_ADD)) + client(vsc(ATR, ATR_BYTES)),
    "bad-atr": client(vsc(READER_ADD) + vsc(ATR, b"\x12\x34")),
    "long-atr": client(vsc(READER_ADD) + vsc(ATR, b"\x3b" + b"\x00" * 33)),
    "huge-length": client(struct.pack(">III", APDU, 0, 0xFFFFFFFF)),
    "bad-magic": reconnect()[:0] + client(vsc(INIT, b"XSCD\x00\x00\x00\x02\x00\x00\x00\x00")),
    "short-response": card_in + power_on() + xfr(SELECT) + client(vsc(APDU, b"\x90")),
    "unsolicited-answer": card_in + client(vsc(APDU, b"\x90\x00")),
    "records": msg(READER_ADD) + msg(ATR, ATR_BYTES) + power_on() + xfr(SELECT) + msg(APDU, b"\x90\x00"),
}

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    digest = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(OUT, f"seed-{name}-{digest}"), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {OUT}")
