#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""test_hostile.py - every malformed, edge-case and malicious file of the
shared corpus, read from disk and sent over the network (issue 7, item 1).

The list is every row of ../shared/data/dicom/MANIFEST.tsv whose notes
say MALFORMED, EDGE or MALICIOUS (27 files: a 3 GiB PixelData length in a
100 kB file, Rows x Columns 46341^2 and 65535^2, truncated pixel data,
missing or broken File Meta, UN-VR headers, split fragments, XSS strings,
...).  For each file:

  * from disk, `dicomqc score --json FILE` ends by itself with exit 0 (a
    result) or 1 (an error naming the file, and a JSON line with
    verdict "error"), never by a signal, within 60 s, and its peak RSS
    (wait4) stays under RSS_LIMIT_MIB;
  * over the network, to a running node, the file's dataset bytes as they
    are (File Meta stripped; for a file without one, the whole file in
    the transfer syntax the header suggests) in one C-STORE: the node
    answers with a status (success, or a failure status) and never drops
    the association unanswered; a C-ECHO right after succeeds;
  * afterwards: the node is alive, every stored instance has a verdict
    (an error verdict names why), a well-formed sample is still stored
    and scored, nothing is left in archive/.tmp, the node's peak RSS
    (VmHWM) stays under RSS_LIMIT_MIB, and PRAGMA integrity_check is ok.

Usage: test_hostile.py DICOMQC SOURCE_DIR
Prints "N passed, N failed"; exit 1 on a failure, 77 (skip) when the
shared corpus or DCMTK's echoscu/dcmdump is absent.
"""
import atexit
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

BIN, SRC = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(SRC, "tests", "scp"))
import rawscu  # noqa: E402

SHARED = os.path.join(os.path.dirname(os.path.abspath(SRC)), "shared",
                      "data", "dicom")
MANIFEST = os.path.join(SHARED, "MANIFEST.tsv")
RSS_LIMIT_MIB = 1024
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
EXPLICIT_BE = "1.2.840.10008.1.2.2"

from nodetest import check, finish, wait_drained  # noqa: E402


if not os.path.exists(MANIFEST):
    print("SKIP: %s not present (the shared corpus)" % MANIFEST)
    sys.exit(77)
for tool in ("echoscu", "dcmdump"):
    if shutil.which(tool) is None:
        print("SKIP: %s missing" % tool)
        sys.exit(77)

FILES = []
with open(MANIFEST) as f:
    head = f.readline().rstrip("\n").split("\t")
    for line in f:
        row = dict(zip(head, line.rstrip("\n").split("\t")))
        if re.search(r"MALFORMED|EDGE|MALICIOUS", row.get("notes", "")):
            FILES.append(row)

T = tempfile.mkdtemp(prefix="dicomqc-hostile-")
node = None


def cleanup():
    if node is not None and node.poll() is None:
        node.kill()
        node.wait()
    shutil.rmtree(T, ignore_errors=True)


atexit.register(cleanup)
check("the manifest lists the hostile files (%d)" % len(FILES),
      len(FILES) >= 20)

# ---- 1. from disk -----------------------------------------------------------

for row in FILES:
    path = os.path.join(SHARED, row["file"])
    t0 = time.monotonic()
    p = subprocess.Popen([BIN, "score", "--json", path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    dt = time.monotonic() - t0
    rc = p.returncode
    line = out.decode(errors="replace").strip()
    try:
        doc = json.loads(line)
    except ValueError:
        doc = {}
    ok = rc in (0, 1) and dt < 60 and "verdict" in doc
    if rc == 1:
        # An error: named on stderr and in the line, never a verdict.
        ok = ok and doc["verdict"] in ("error", "unscored") and \
            path in (doc.get("error") or "") and \
            os.path.basename(path) in err.decode(errors="replace")
    check("disk %s: exit %s in %.1f s%s" % (
        row["file"], rc, dt,
        ", " + err.decode(errors="replace").strip().splitlines()[0][:100]
        if err.strip() else ""), ok, line[:200])

# Peak memory from disk: each file again, in a wrapper process whose only
# child is `score`, so that its RUSAGE_CHILDREN ru_maxrss (KiB) is that
# child's peak.
WRAP = ("import os, resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
worst = (0, "")
for row in FILES:
    path = os.path.join(SHARED, row["file"])
    r = subprocess.run([sys.executable, "-c", WRAP, BIN, "score", "--json",
                        path], capture_output=True, text=True, timeout=120)
    kib = int(r.stdout.strip() or 0)
    if kib > worst[0]:
        worst = (kib, row["file"])
check("disk: peak RSS of `score` at most %d MiB over all files (largest "
      "%.0f MiB, %s)" % (RSS_LIMIT_MIB, worst[0] / 1024, worst[1]),
      0 < worst[0] <= RSS_LIMIT_MIB * 1024)

# ---- 2. over the network ----------------------------------------------------

DATA = os.path.join(T, "data")
LOG = os.path.join(T, "node.log")
node = subprocess.Popen([BIN, "serve", "--port", "0", "--data-dir", DATA,
                         "--http", "off", "--study-idle", "1"],
                        stderr=open(LOG, "w"))
port = None
for _ in range(200):
    m = re.search(r"event=listening port=(\d+)", open(LOG).read())
    if m:
        port = int(m.group(1))
        break
    time.sleep(0.05)
if port is None:
    check("the node starts", False, open(LOG).read()[-500:])
    finish()


def dump_value(path, tag, ts=None):
    """A value of the file's header by dcmdump, or None; with ts, the
    file is read as a bare dataset in that transfer syntax (-f -te|-ti|
    -tb: DCMTK does not guess it)."""
    opt = {EXPLICIT_LE: ["-f", "-te"], IMPLICIT_LE: ["-f", "-ti"],
           EXPLICIT_BE: ["-f", "-tb"]}.get(ts, [])
    r = subprocess.run(["dcmdump"] + opt + ["+P", tag, path],
                       capture_output=True, text=True)
    m = re.search(r"\[([^\]]*)\]", r.stdout)
    return m.group(1).strip() if m else None


def dataset_of(path):
    """(sop_class, sop_instance, transfer syntax, dataset bytes) to send:
    the file's own when it has a readable File Meta, else the whole file
    (or the part after 'DICM') in the syntax its first bytes suggest."""
    try:
        return rawscu.read_part10(path)
    except Exception:  # noqa: BLE001 - any broken meta: send raw
        pass
    data = open(path, "rb").read()
    if data[128:132] == b"DICM":
        # Meta without a usable transfer syntax: skip its group 0002.
        pos = 132
        while pos + 8 <= len(data) and data[pos:pos + 2] == b"\x02\x00":
            vr = data[pos + 4:pos + 6]
            if vr in (b"OB", b"OW", b"UN", b"SQ", b"UT"):
                n = struct.unpack("<I", data[pos + 8:pos + 12])[0]
                pos += 12 + n
            else:
                n = struct.unpack("<H", data[pos + 6:pos + 8])[0]
                pos += 8 + n
        data = data[pos:]
    if data[:2] == b"\x00\x08":
        ts = EXPLICIT_BE
    elif len(data) > 6 and data[4:6].isalpha():
        ts = EXPLICIT_LE
    else:
        ts = IMPLICIT_LE
    bare = None if open(path, "rb").read(132).endswith(b"DICM") else ts
    sop_class = dump_value(path, "0008,0016", bare) or \
        "1.2.840.10008.5.1.4.1.1.7"
    sop_inst = dump_value(path, "0008,0018", bare) or \
        "1.2.826.0.1.3680043.8.498.1"
    return sop_class, sop_inst, ts, data


def store_one(path):
    """Sends one file; returns its status, or a text saying what went
    wrong on the wire."""
    sop_class, sop_inst, ts, data = dataset_of(path)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
            accepted, peer_max = rawscu.associate(
                s, "HOSTILE", "DICOMQC", {1: (sop_class, ts)})
            if 1 not in accepted:
                return "context not accepted (%s)" % ts
            rawscu.send_pdvs(s, 1, rawscu.store_command(sop_class, sop_inst,
                                                        1), True, peer_max)
            rawscu.send_pdvs(s, 1, data, False, peer_max)
            status = rawscu.response_status(s)
            s.sendall(struct.pack(">BxI", 5, 4) + bytes(4))
            rawscu.recv_pdu(s)
            return status
    except ConnectionError as e:
        if "PDU type 3" in str(e):
            return "association rejected"  # A-ASSOCIATE-RJ: an answer
        return "no answer: %r" % e
    except Exception as e:  # noqa: BLE001 - reported as a failure
        return "no answer: %r" % e


def echo():
    r = subprocess.run(["echoscu", "-aec", "DICOMQC", "127.0.0.1",
                        str(port)], capture_output=True, timeout=30)
    return r.returncode == 0


stored = 0
for row in FILES:
    path = os.path.join(SHARED, row["file"])
    status = store_one(path)
    answered = isinstance(status, int)
    if answered and status == 0:
        stored += 1
    check("network %s: %s, then C-ECHO" % (
        row["file"], "status 0x%04X" % status if answered else status),
        (answered or status.startswith("context not accepted") or
         status == "association rejected") and echo(),
        status)

# UIDs that try to become paths: refused, nothing written outside.
SAMPLE_MR = os.path.join(SRC, "samples", "dicom",
                         "mr_head_signed_explicit_le.dcm")
mr_class, mr_sop, mr_ts, mr_data = rawscu.read_part10(SAMPLE_MR)
for evil in ("../../../../../../../../../../../../tmp/x",
             "1.2.3/../../../../../../../../../../../x",
             "/tmp/dicomqc-hostile-absolute-path-uid.."):
    evil = evil[:len(mr_sop)].ljust(len(mr_sop), "1")
    data = mr_data.replace(mr_sop.encode(), evil.encode())
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
            acc, pmax = rawscu.associate(s, "HOSTILE", "DICOMQC",
                                         {1: (mr_class, mr_ts)})
            rawscu.send_pdvs(s, 1, rawscu.store_command(mr_class, evil, 1),
                             True, pmax)
            rawscu.send_pdvs(s, 1, data, False, pmax)
            st = rawscu.response_status(s)
    except Exception as e:  # noqa: BLE001 - reported
        st = repr(e)
    outside = [p for p in ("/tmp/x", "/x", os.path.join(DATA, "x"))
               if os.path.exists(p)]
    check("SOP Instance UID %r: refused (%s), no file outside the archive"
          % (evil[:24], "0x%04X" % st if isinstance(st, int) else st),
          st in (0xC000, 0xA900) and not outside, outside)

check("the node is still running", node.poll() is None)
sample = os.path.join(SRC, "samples", "dicom", "dx_chest_explicit_le.dcm")
status = store_one(sample)
check("a well-formed image is stored after them (0x%04X)" %
      status if isinstance(status, int) else status, status == 0)

DB = os.path.join(DATA, "dicomqc.db")


wait_drained(DB, 120)
con = sqlite3.connect("file:%s?mode=ro" % DB, uri=True, timeout=10)
n_inst = con.execute("SELECT count(*) FROM instances").fetchone()[0]
n_verdict = con.execute("SELECT count(*) FROM verdicts").fetchone()[0]
errors = con.execute("SELECT count(*) FROM verdicts WHERE verdict ="
                     " 'error' AND (error IS NULL OR error = '')")\
    .fetchone()[0]
sample_ok = con.execute(
    "SELECT v.verdict FROM instances i JOIN verdicts v ON"
    " v.instance_id = i.id WHERE i.file_path LIKE '%' || ? || '%'",
    (rawscu.read_part10(sample)[1],)).fetchall()
integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
con.close()
check("%d hostile files stored, %d instances, every one with a verdict "
      "(%d)" % (stored, n_inst, n_verdict),
      n_inst == stored + 1 and n_verdict == n_inst)
check("every error verdict says why", errors == 0)
check("the well-formed image is scored (%s)" % sample_ok,
      len(sample_ok) == 1 and sample_ok[0][0] in ("pass", "warn", "retake"))
check("nothing left in archive/.tmp",
      os.listdir(os.path.join(DATA, "archive", ".tmp")) == [])
check("PRAGMA integrity_check: %s" % integrity, integrity == "ok")
with open("/proc/%d/status" % node.pid) as f:
    hwm = int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))
check("the node's peak RSS %.0f MiB <= %d MiB" % (hwm / 1024,
                                                  RSS_LIMIT_MIB),
      hwm <= RSS_LIMIT_MIB * 1024)
node.send_signal(signal.SIGTERM)
check("SIGTERM ends the node with exit 0", node.wait(60) == 0)
log = open(LOG, errors="replace").read()
check("the log names refused stores with a reason",
      all("reason=" in x for x in log.splitlines()
          if "event=store_failed" in x))
finish()
