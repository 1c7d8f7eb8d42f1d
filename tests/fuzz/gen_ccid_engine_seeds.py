#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the seed corpus of tests/fuzz/fuzz_ccid_engine.c into
tests/fuzz/corpus/ccid_engine/seed-*.bin.

Each seed is a program for the fuzz target: two configuration bytes, then
operations (see LLVMFuzzerTestOneInput): op % 16 selects
  0/1 chunk(len byte), 2 chunk(out_read_size), 3 chunk(len word),
  4 message builder, 5 tick, 6 ABORT request, 7 card completion,
  8 presence (bit 4 = present), 9 pop bulk-IN, 10 pop interrupt,
  11 reset (op < 16) / enabled, 12 test card ops, 13 drain all,
  14 stats, 15 packet sizes.
Run from the repository root: tests/fuzz/gen_ccid_engine_seeds.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "corpus", "ccid_engine")


def msg(mtype, slot, seq, b7=0, b8=0, b9=0, data=b""):
    return bytes([mtype]) + struct.pack("<I", len(data)) + \
        bytes([slot, seq, b7, b8, b9]) + data


def chunk(data):
    """op 3: one bulk-OUT chunk with a 16-bit length."""
    return bytes([3]) + struct.pack("<H", len(data)) + data


def chunks(data, size):
    out = b""
    for i in range(0, len(data), size):
        out += chunk(data[i:i + size])
    return out


DRAIN = bytes([13])
TICK = bytes([5])
POP = bytes([9])
POPI = bytes([10])
RESET = bytes([11])
ENABLED = bytes([0x1B])


def cfg(nslots=1, testcard=True, busy=0, msglen=5, out_mps=0, in_mps=0,
        deferred=False):
    """msglen index: 271 272 300 1034 4096 65554; mps index: 0 8 64 512"""
    b0 = (nslots - 1) | (busy << 3) | (0x80 if testcard else 0)
    b1 = msglen | (out_mps << 3) | (in_mps << 5) | (0x80 if deferred else 0)
    return bytes([b0, b1])


SELECT = bytes.fromhex("00A4040008F043434944544301")
GETDATA = bytes.fromhex("00CA010000")
POWER_ON = msg(0x62, 0, 1)


def seeds():
    s = {}
    s["basic"] = cfg() + chunk(POWER_ON) + chunk(msg(0x6F, 0, 2, data=SELECT)) \
        + chunk(msg(0x6F, 0, 3, data=GETDATA)) + chunk(msg(0x65, 0, 4)) \
        + chunk(msg(0x63, 0, 5)) + DRAIN
    allmsgs = b""
    for i, t in enumerate([0x62, 0x63, 0x65, 0x6F, 0x6C, 0x6D, 0x61, 0x6B,
                           0x6E, 0x6A, 0x69, 0x71, 0x72, 0x73, 0x99]):
        allmsgs += chunk(msg(t, 0, i, data=b"\x11\x00\x00\x0A\x00"))
        allmsgs += chunk(msg(t, 0, 0x40 + i))
    s["all-types"] = cfg() + chunk(POWER_ON) + allmsgs + DRAIN
    echo = bytes.fromhex("80EE0000") + b"\x00" + struct.pack(">H", 600) + \
        bytes(range(256)) * 2 + bytes(88)
    chained = cfg(msglen=0) + chunk(POWER_ON) + \
        chunk(msg(0x6F, 0, 2, b8=1, data=echo[:261])) + DRAIN + \
        chunk(msg(0x6F, 0, 3, b8=3, data=echo[261:522])) + DRAIN + \
        chunk(msg(0x6F, 0, 4, b8=2, data=echo[522:])) + DRAIN + \
        chunk(msg(0x6F, 0, 5, b8=0x10)) + DRAIN + \
        chunk(msg(0x6F, 0, 6, b8=0x10)) + DRAIN + \
        chunk(msg(0x6F, 0, 7, b8=0x10)) + DRAIN
    s["chain-271"] = chained
    gen = bytes.fromhex("80EF0000000400")   # GENERATE 1024 bytes
    s["chain-response"] = cfg(msglen=0) + chunk(POWER_ON) + \
        chunk(msg(0x6F, 0, 2, data=gen)) + DRAIN + \
        b"".join(chunk(msg(0x6F, 0, 3 + i, b8=0x10)) + DRAIN for i in range(5))
    big = msg(0x6F, 0, 2, data=bytes.fromhex("80EE0000") + b"\x00\x00\x7B" +
              bytes(123) + b"\x00\x00")
    s["packets-64"] = cfg(out_mps=2, in_mps=2) + chunks(POWER_ON, 64) + \
        chunks(big, 64) + chunk(b"") + chunk(msg(0x6F, 0, 3, data=bytes(54))) \
        + chunk(b"") + chunk(msg(0x65, 0, 4)[:8]) + \
        chunk(msg(0x6F, 0, 5, data=bytes(100))[:64]) + chunk(b"\x01" * 7) + \
        chunk(msg(0x65, 0, 6) + b"junk") + DRAIN
    s["packets-8"] = cfg(out_mps=1, in_mps=1) + chunks(POWER_ON, 8) + \
        chunks(msg(0x6F, 0, 2, data=SELECT), 8) + DRAIN
    s["read-size"] = cfg(out_mps=3, in_mps=3) + bytes([2]) + POWER_ON + \
        bytes([2]) + msg(0x6F, 0, 2, data=SELECT) + DRAIN
    s["oversized"] = cfg(msglen=0, out_mps=2) + \
        chunks(msg(0x6F, 0, 9, data=bytes(1000)), 64) + DRAIN + \
        bytes([0x0F]) + chunk(msg(0x6F, 0, 9, data=bytes(700)) +
                             msg(0x65, 0, 10)) + DRAIN + \
        chunk(bytes.fromhex("6FFFFFFFFF0001000000")) + chunk(bytes(300))
    two = cfg(nslots=2, testcard=False, busy=1)
    s["abort-request-first"] = two + chunk(msg(0x62, 1, 1)) + DRAIN + \
        chunk(msg(0x6F, 1, 2, data=SELECT)) + bytes([6, 1, 3]) + \
        chunk(msg(0x65, 1, 4)) + chunk(msg(0x72, 1, 3)) + DRAIN + \
        bytes([7, 1, 0, 2, 0]) + DRAIN
    s["abort-message-first"] = two + chunk(msg(0x62, 1, 1)) + DRAIN + \
        chunk(msg(0x6F, 1, 2, data=SELECT)) + chunk(msg(0x72, 1, 3)) + \
        chunk(msg(0x6F, 1, 4, data=SELECT)) + bytes([6, 1, 5]) + \
        bytes([6, 1, 3]) + DRAIN + bytes([6, 9, 1])
    # a half alone for CCID_ABORT_TIMEOUT_TICKS (5) ticks ends; a new
    # host session forgets it (ccid/ccid_abort.c)
    s["abort-request-expires"] = two + chunk(msg(0x62, 1, 1)) + DRAIN + \
        bytes([6, 1, 7]) + chunk(msg(0x65, 1, 8)) + TICK * 5 + \
        chunk(msg(0x65, 1, 9)) + chunk(msg(0x72, 1, 7)) + DRAIN + \
        TICK * 5 + DRAIN
    s["abort-message-expires"] = two + chunk(msg(0x62, 1, 1)) + DRAIN + \
        chunk(msg(0x72, 1, 7)) + TICK * 4 + POP + TICK + DRAIN + \
        chunk(msg(0x65, 1, 8)) + DRAIN
    s["abort-new-session"] = two + chunk(msg(0x62, 1, 1)) + DRAIN + \
        chunk(msg(0x72, 1, 7)) + RESET + bytes([6, 1, 7]) + ENABLED + \
        chunk(msg(0x65, 1, 8)) + DRAIN + POPI
    s["time-extension"] = cfg(deferred=True) + chunk(POWER_ON) + TICK + TICK \
        + POP + TICK + bytes([12 | 0x10]) + DRAIN + \
        chunk(msg(0x6F, 0, 2, data=SELECT)) + TICK + POP + TICK + \
        bytes([12 | 0x10]) + DRAIN + TICK
    s["presence"] = cfg(nslots=3, testcard=False) + POPI + ENABLED + POPI + \
        bytes([8, 1]) + bytes([0x18, 1]) + bytes([8, 2]) + POPI + \
        chunk(msg(0x62, 1, 1)) + bytes([8, 1]) + DRAIN + POPI + ENABLED + \
        POPI + bytes([12, 2, 0x14]) + POPI
    s["card-errors"] = cfg(nslots=2, testcard=False) + \
        chunk(msg(0x62, 1, 1)) + bytes([7, 1, 4, 0, 0]) + \
        chunk(msg(0x62, 1, 2)) + bytes([7, 1, 5, 0, 0]) + \
        chunk(msg(0x62, 1, 3)) + bytes([7, 1, 0, 18, 0]) + \
        chunk(msg(0x6F, 1, 4, data=SELECT)) + bytes([7, 1, 0x80, 0xFF, 0xFF,
                                                    0xFF, 0xFF]) + \
        chunk(msg(0x6F, 1, 5, data=SELECT)) + bytes([7, 1, 3, 2, 0]) + \
        DRAIN + POPI + POPI
    s["reset"] = cfg(nslots=2, deferred=True) + chunk(POWER_ON) + \
        chunk(msg(0x6F, 0, 2, data=SELECT)[:7]) + RESET + ENABLED + POPI + \
        chunk(msg(0x65, 0, 3)) + DRAIN + bytes([6, 0, 4]) + RESET + \
        chunk(msg(0x72, 0, 4)) + DRAIN
    setp = b""
    for i, (p, d) in enumerate([(0, "1100000A00"), (0, "7000000A00"),
                                (0, "1101000A00"), (0, "1100000000"),
                                (1, "1110004D002000"), (1, "1114004D002000"),
                                (1, "111000A4002000"), (1, "1110004D00FF00"),
                                (2, "1100000A00"), (1, "11")]):
        setp += chunk(msg(0x61, 0, i, b7=p, data=bytes.fromhex(d)))
    s["set-parameters"] = cfg() + chunk(POWER_ON) + setp + \
        chunk(msg(0x6C, 0, 20)) + chunk(msg(0x6D, 0, 21)) + DRAIN
    s["flood"] = cfg() + chunk(msg(0x65, 0, 0) * 40) + DRAIN + \
        chunk(msg(0x65, 0, 0) * 10) + POP + POP + DRAIN
    s["builder"] = cfg(nslots=2) + bytes([4, 5, 0x83, 40, 0, 7, 0, 1]) + \
        bytes(300) + DRAIN + bytes([4, 0, 3, 0, 8, 0, 0]) + DRAIN
    s["stream-split"] = cfg() + b"".join(
        bytes([0, 3]) + (POWER_ON + msg(0x6F, 0, 2, data=SELECT))[i:i + 3]
        for i in range(0, 33, 3)) + DRAIN + bytes([14, 0, 14, 8])
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(OUT, "seed-%s.bin" % name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
