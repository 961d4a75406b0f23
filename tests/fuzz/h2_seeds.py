#!/usr/bin/env python3
"""Writes the HTTP/2 seeds of fuzz_request (tests/fuzz/corpus/fuzz_request/h2_*).

Each seed is what fuzz_request.c sends to its HTTP/2 server: byte 0x02 (HTTP/2), an options
byte (0: the client preface is prepended and h2_steps is the connection's default scenario;
0x08: two big-endian bytes follow, where the input is split in two sends 15 ms apart), then
frames (RFC 9113 4.1). Header blocks are written by hand in HPACK (RFC 7541) from the
static table's indexes, so no encoder is needed:
  0x82 :method GET, 0x83 :method POST, 0x84 :path /, 0x86 :scheme http (indexed fields, 6.1);
  0x04 LEN VALUE      :path VALUE (literal without indexing, indexed name 4, 6.2.2);
  0x41 LEN VALUE      :authority VALUE (literal with incremental indexing, name 1, 6.2.1);
  0x00 LEN NAME LEN VALUE  any other field (literal without indexing, new name).
Lengths are 7-bit prefixed integers without Huffman coding: every string here is under 127.
Run it from anywhere: python3 tests/fuzz/h2_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "fuzz_request")

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 2, 3, 4, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x01, 0x01, 0x04, 0x08, 0x20


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def lit(value):
    value = value.encode()
    assert len(value) < 127
    return bytes([len(value)]) + value


def field(name, value):
    return b"\x00" + lit(name) + lit(value)


def block(method=b"\x82", path="/h2_steps/x", **fields):
    b = method + b"\x86" + b"\x04" + lit(path) + b"\x41" + lit("localhost")
    for name, value in fields.items():
        b += field(name.replace("_", "-"), value)
    return b


def seed(name, frames, options=0, later=()):
    """frames, then (when later is given) the frames of later SPLIT_PAUSE_MS after them."""
    head = bytes([0x02, options | (0x08 if later else 0)])
    if later:
        head += struct.pack(">H", len(b"".join(frames)))
    with open(os.path.join(OUT, "h2_" + name), "wb") as f:
        f.write(head + b"".join(frames) + b"".join(later))


SETTINGS_EMPTY = frame(SETTINGS, 0, 0)

seed("settings", [frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 65535) + struct.pack(">HI", 1, 0)),
                  frame(SETTINGS, ACK, 0)])
seed("get", [SETTINGS_EMPTY, frame(HEADERS, END_HEADERS | END_STREAM, 1, block())])
seed("post_data", [SETTINGS_EMPTY,
                   frame(HEADERS, END_HEADERS, 1, block(b"\x83", "/h2_steps/post", x_plan="hdDk")),
                   frame(DATA, 0, 1, b"hello "), frame(DATA, END_STREAM, 1, b"world")])
whole = block(x_plan="ensAwpfo")
seed("continuation", [SETTINGS_EMPTY, frame(HEADERS, END_STREAM, 1, whole[:5]),
                      frame(CONTINUATION, 0, 1, whole[5:12]), frame(CONTINUATION, END_HEADERS, 1, whole[12:])])
seed("ping", [SETTINGS_EMPTY, frame(PING, 0, 0, b"12345678"), frame(PING, ACK, 0, b"87654321"),
              frame(HEADERS, END_HEADERS | END_STREAM, 1, block(x_plan="pg"))])
seed("rst_stream", [SETTINGS_EMPTY, frame(HEADERS, END_HEADERS | END_STREAM, 1, block(x_plan="hsd")),
                    frame(HEADERS, END_HEADERS | END_STREAM, 3, block(path="/h2_steps/y")),
                    frame(RST_STREAM, 0, 3, struct.pack(">I", 8)), frame(RST_STREAM, 0, 1, struct.pack(">I", 8))])
pad = 4
seed("padded_headers", [SETTINGS_EMPTY,
                        frame(HEADERS, END_HEADERS | END_STREAM | PADDED | PRIORITY_FLAG, 1,
                              bytes([pad]) + struct.pack(">IB", 0, 15) + block(x_plan="hDrRg") + b"\0" * pad),
                        frame(DATA, PADDED | END_STREAM, 3, b"\x02ab\0\0")])
seed("plans", [SETTINGS_EMPTY,
               frame(HEADERS, END_HEADERS | END_STREAM, 1, block(x_plan="qhdt")),
               frame(HEADERS, END_HEADERS | END_STREAM, 3, block(x_plan="eGc", x_stream="5")),
               frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 100)), frame(PRIORITY, 0, 3, b"\0\0\0\1\x10"),
               frame(GOAWAY, 0, 0, struct.pack(">II", 0, 0))])
seed("stall_reset", [frame(HEADERS, END_HEADERS | END_STREAM, 1, block(x_plan="sshx"))])
seed("routed_catalog", [frame(HEADERS, END_HEADERS | END_STREAM, 1, block(path="/h2_rst_internal_mid_body/a")),
                        frame(HEADERS, END_HEADERS | END_STREAM, 3, block(path="/ok/b"))])
# Options: the input's own preface (whole, or HTTP/1 instead), and the other default scenarios.
seed("own_preface", [b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", SETTINGS_EMPTY], options=0x01)
seed("http1_preface", [b"GET /h2_steps/ HTTP/1.1\r\nHost: x\r\n\r\n"], options=0x01)
seed("default_no_settings", [SETTINGS_EMPTY, frame(HEADERS, END_HEADERS | END_STREAM, 1, block())], options=0x02)
seed("default_window_zero", [frame(HEADERS, END_HEADERS, 1, block(b"\x83")), frame(DATA, END_STREAM, 1, b"x" * 10)],
     options=0x04)
seed("default_preface_plan", [SETTINGS_EMPTY], options=0x06)
# Past the 100 waiting streams (RST_STREAM REFUSED_STREAM): empty header blocks, END_STREAM.
seed("many_streams", [SETTINGS_EMPTY, frame(HEADERS, END_HEADERS | END_STREAM, 1, block(x_plan="s"))] +
     [frame(HEADERS, END_HEADERS | END_STREAM, 3 + 2 * i, b"") for i in range(101)])
# HPACK's dynamic table: a 4000-byte entry (literal with incremental indexing, 6.2.1; length
# 4000 = 127 + 3873: 7f a1 1e), then index 62 (0xbe) n times: 60 fit under 256 KiB of fields,
# 70 do not (GOAWAY ENHANCE_YOUR_CALM).
entry = b"\x40" + lit("x-big") + b"\x7f\xa1\x1e" + b"v" * 4000
seed("hpack_table", [frame(HEADERS, END_HEADERS | END_STREAM, 1, block() + entry + b"\xbe" * 60)])
seed("hpack_bomb", [frame(HEADERS, END_HEADERS | END_STREAM, 1, block() + entry + b"\xbe" * 70)])
# Frames that come while a plan runs (two sends): a RST_STREAM for the stream whose plan
# stalls, with the next request; a request whose plan starts at its HEADERS (the catalog's
# rxhdrs scenarios are HTTP/1: h2_steps stalls, so END_STREAM comes mid-plan) and its DATA.
seed("split_rst_running", [SETTINGS_EMPTY, frame(HEADERS, END_HEADERS | END_STREAM, 1, block(x_plan="sssssh"))],
     later=[frame(RST_STREAM, 0, 1, struct.pack(">I", 8)),
            frame(HEADERS, END_HEADERS | END_STREAM, 3, block(path="/h2_steps/z"))])
seed("split_data_mid_plan", [SETTINGS_EMPTY, frame(HEADERS, END_HEADERS, 1, block(b"\x83", x_plan="hsd")),
                             frame(HEADERS, END_HEADERS | END_STREAM, 3, block(x_plan="sssss"))],
     later=[frame(DATA, END_STREAM, 1, b"body"), frame(RST_STREAM, 0, 3, struct.pack(">I", 8)),
            frame(PING, 0, 0, b"abcdefgh")])
seed("split_fatal_mid_plan", [frame(HEADERS, END_HEADERS | END_STREAM, 1, block(x_plan="ssssd"))],
     later=[frame(HEADERS, END_HEADERS | END_STREAM, 3, block()), frame(CONTINUATION, END_HEADERS, 3, b"")])
