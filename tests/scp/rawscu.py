#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""rawscu.py - a minimal C-STORE SCU that sends a Part 10 file's dataset
bytes exactly as they are, in the file's own transfer syntax, whatever it
is.  It exists for transfer syntaxes DCMTK 3.6.7's storescu cannot send
(HTJ2K, 1.2.840.10008.1.2.4.201-203: storescu 3.6.7 does not know them and
fails with "unable to convert dataset"), to prove that the SCP accepts a
proposed context with a transfer syntax unknown to DCMTK and stores the
bytes unchanged.  Python standard library only; the upper layer protocol
of PS3.8 9.3 (A-ASSOCIATE-RQ/AC, P-DATA-TF, A-RELEASE) and the C-STORE
command of PS3.7 9.3.1 in implicit VR little endian.

Usage: rawscu.py HOST PORT CALLING_AET CALLED_AET FILE...
One association, one presentation context per (SOP class, transfer
syntax).  Prints one line per file; exit 0 when every C-STORE was
answered with status 0x0000, 1 otherwise.
"""
import socket
import struct
import sys

MAX_PDU = 16384  # what we receive; we send at most the peer's limit


def item(kind, data):
    return struct.pack(">BxH", kind, len(data)) + data


def uid(text):
    raw = text.encode()
    return raw + (b"\0" if len(raw) % 2 else b"")


def read_part10(path):
    """(SOP class UID, SOP instance UID, transfer syntax UID, dataset)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[128:132] != b"DICM":
        raise ValueError(path + ": not a Part 10 file")
    pos, meta = 132, {}
    while pos + 8 <= len(data):
        group, elem = struct.unpack_from("<HH", data, pos)
        if group != 2:
            break
        vr = data[pos + 4:pos + 6]
        if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN"):
            length, head = struct.unpack_from("<I", data, pos + 8)[0], 12
        else:
            length, head = struct.unpack_from("<H", data, pos + 6)[0], 8
        meta[elem] = data[pos + head:pos + head + length]
        pos += head + length

    def text(elem):
        return meta[elem].rstrip(b"\0 ").decode()
    return text(2), text(3), text(0x10), data[pos:]


def element(group, elem, value):
    return struct.pack("<HHI", group, elem, len(value)) + value


def store_command(sop_class, sop_instance, message_id):
    body = (element(0, 0x0002, uid(sop_class)) +
            element(0, 0x0100, struct.pack("<H", 0x0001)) +
            element(0, 0x0110, struct.pack("<H", message_id)) +
            element(0, 0x0700, struct.pack("<H", 0)) +
            element(0, 0x0800, struct.pack("<H", 0)) +
            element(0, 0x1000, uid(sop_instance)))
    return element(0, 0x0000, struct.pack("<I", len(body))) + body


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by the SCP")
        buf += chunk
    return buf


def recv_pdu(sock):
    kind, length = struct.unpack(">BxI", recv_exact(sock, 6))
    return kind, recv_exact(sock, length)


def associate(sock, calling, called, contexts):
    """contexts: {id: (abstract, ts)}.  Returns (accepted ids, peer max)."""
    items = item(0x10, b"1.2.840.10008.3.1.1.1")
    for pid, (abstract, ts) in sorted(contexts.items()):
        items += item(0x20, struct.pack(">BBBB", pid, 0, 0, 0) +
                      item(0x30, uid(abstract)) + item(0x40, uid(ts)))
    items += item(0x50, item(0x51, struct.pack(">I", MAX_PDU)) +
                  item(0x52, uid("1.2.826.0.1.3680043.9.7133.1")))
    body = (struct.pack(">HH", 1, 0) + called.ljust(16).encode() +
            calling.ljust(16).encode() + bytes(32) + items)
    sock.sendall(struct.pack(">BxI", 1, len(body)) + body)
    kind, body = recv_pdu(sock)
    if kind != 2:
        raise ConnectionError("association not accepted (PDU type %d)" % kind)
    accepted, peer_max, pos = set(), 0, 68
    while pos + 4 <= len(body):
        sub, length = struct.unpack_from(">BxH", body, pos)
        value = body[pos + 4:pos + 4 + length]
        if sub == 0x21 and value[2] == 0:
            accepted.add(value[0])
        if sub == 0x50 and len(value) >= 8 and value[0] == 0x51:
            peer_max = struct.unpack_from(">I", value, 4)[0]
        pos += 4 + length
    return accepted, peer_max or MAX_PDU


def send_pdvs(sock, pid, data, is_command, max_pdu):
    chunk = max(max_pdu - 6, 2)
    for start in range(0, max(len(data), 1), chunk):
        part = data[start:start + chunk]
        last = start + chunk >= len(data)
        control = (1 if is_command else 0) | (2 if last else 0)
        pdv = struct.pack(">IBB", len(part) + 2, pid, control) + part
        sock.sendall(struct.pack(">BxI", 4, len(pdv)) + pdv)


def response_status(sock):
    command = b""
    while True:
        kind, body = recv_pdu(sock)
        if kind != 4:
            raise ConnectionError("expected P-DATA, got PDU type %d" % kind)
        pos = 0
        while pos + 6 <= len(body):
            length, _, control = struct.unpack_from(">IBB", body, pos)
            command += body[pos + 6:pos + 4 + length]
            pos += 4 + length
            if control & 3 == 3:
                break
        else:
            continue
        break
    pos = 0
    while pos + 8 <= len(command):
        group, elem, length = struct.unpack_from("<HHI", command, pos)
        if (group, elem) == (0, 0x0900):
            return struct.unpack_from("<H", command, pos + 8)[0]
        pos += 8 + length
    raise ValueError("no status in the C-STORE response")


def main(argv):
    if len(argv) < 6:
        sys.stderr.write(__doc__)
        return 2
    host, port, calling, called, files = (argv[1], int(argv[2]), argv[3],
                                          argv[4], argv[5:])
    objects = [(path,) + read_part10(path) for path in files]
    contexts, ids = {}, {}
    for _, sop_class, _, ts, _ in objects:
        if (sop_class, ts) not in ids:
            ids[(sop_class, ts)] = 2 * len(ids) + 1
            contexts[ids[(sop_class, ts)]] = (sop_class, ts)
    failed = 0
    with socket.create_connection((host, port), timeout=30) as sock:
        accepted, peer_max = associate(sock, calling, called, contexts)
        for number, (path, sop_class, sop_instance, ts, dataset) in \
                enumerate(objects, 1):
            pid = ids[(sop_class, ts)]
            if pid not in accepted:
                print("FAIL %s: context %s not accepted" % (path, ts))
                failed += 1
                continue
            send_pdvs(sock, pid, store_command(sop_class, sop_instance,
                                               number), True, peer_max)
            send_pdvs(sock, pid, dataset, False, peer_max)
            status = response_status(sock)
            print("%s %s: ts=%s status=0x%04X" %
                  ("OK" if status == 0 else "FAIL", path, ts, status))
            failed += status != 0
        sock.sendall(struct.pack(">BxI", 5, 4) + bytes(4))
        kind, _ = recv_pdu(sock)
        if kind != 6:
            print("FAIL release: PDU type %d" % kind)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
