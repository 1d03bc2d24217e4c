"""Inserts N documents with mixed _id types into a MongoDB-compatible server, with one raw OP_MSG
insert (no driver: the AOT smoke test has none). Every fifth _id is an embedded document, the rest
strings, int32s and ObjectIds; "i" numbers the documents 0..N-1 and "tag" names the _id's kind.
Usage: mongo_seed.py HOST PORT DATABASE COLLECTION N   (prints the number the server inserted)"""
import socket
import struct
import sys


def cstring(s):
    return s.encode() + b"\0"


def document(*elements):
    body = b"".join(elements)
    return struct.pack("<i", len(body) + 5) + body + b"\0"


def string(key, value):
    b = value.encode() + b"\0"
    return b"\x02" + cstring(key) + struct.pack("<i", len(b)) + b


def int32(key, value):
    return b"\x10" + cstring(key) + struct.pack("<i", value)


def embedded(key, value):
    return b"\x03" + cstring(key) + value


def object_id(key, seconds, rest):
    return b"\x07" + cstring(key) + struct.pack(">iQ", seconds, rest)


def mixed(i):
    kind = i % 5
    if kind == 0:
        return document(embedded("_id", document(int32("region", i % 3), int32("n", i))), int32("i", i), string("tag", "document"))
    if kind == 1:
        return document(string("_id", "key-%05d" % i), int32("i", i), string("tag", "string"))
    if kind == 2:
        return document(int32("_id", i), int32("i", i), string("tag", "int32"))
    return document(object_id("_id", 1_700_000_000 + i, i * 7919), int32("i", i), string("tag", "oid"))


def main():
    host, port, database, collection, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
    body = document(string("insert", collection), string("$db", database))
    sequence = cstring("documents") + b"".join(mixed(i) for i in range(n))
    message = struct.pack("<I", 0) + b"\0" + body + b"\x01" + struct.pack("<i", len(sequence) + 4) + sequence
    with socket.create_connection((host, port), timeout=30) as s:
        s.sendall(struct.pack("<iiii", 16 + len(message), 1, 0, 2013) + message)
        header = s.recv(16, socket.MSG_WAITALL)
        length = struct.unpack("<i", header[:4])[0]
        reply = b""
        while len(reply) < length - 16:
            reply += s.recv(length - 16 - len(reply))
    at = reply.find(b"\x10n\0")
    if at < 0:
        sys.exit("insert failed: %r" % reply[:300])
    print(struct.unpack("<i", reply[at + 3:at + 7])[0])


main()
