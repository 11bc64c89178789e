#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""test_disk.py - a full disk and the low-space watermark (issue 7,
item 4).

The node's data folder is on a 40 MiB tmpfs this test mounts (it needs
root and mount(2); it skips, saying so, otherwise).  A filler file takes
part of it.  Copies of a 514 kB sample with their own SOP Instance UIDs
are sent one by one (tests/scp/rawscu.py's functions) until stores fail:

  1. with --min-free-mib 8: stores are refused with 0xA700 while the file
     system still has about 8 MiB free (the log says "low disk space"),
     before it is full;
  2. with --min-free-mib 0: stores run until the disk is really full and
     then fail with 0xA700;

and in both: every acknowledged image is in the archive with its dataset
byte-identical and in the index, no refused image left a file in the
archive or in archive/.tmp, C-ECHO and new associations are still
answered, PRAGMA integrity_check is ok; and once the filler is deleted,
stores succeed again and are scored.

Usage: test_disk.py DICOMQC SOURCE_DIR
Prints "N passed, N failed"; exit 1 on a failure, 77 (skip) when not root,
when tmpfs cannot be mounted, or when dcmodify/echoscu are missing.
"""
import atexit
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

SAMPLE = os.path.join(SRC, "samples", "dicom", "dx_chest_explicit_le.dcm")
UID = "1.2.826.0.1.3680043.8.498.77"
MIB = 1024 * 1024

from nodetest import check, finish, wait_drained  # noqa: E402


for tool in ("dcmodify", "echoscu"):
    if shutil.which(tool) is None:
        print("SKIP: %s missing" % tool)
        sys.exit(77)
if os.geteuid() != 0:
    print("SKIP: not root (the test mounts a small tmpfs)")
    sys.exit(77)

T = tempfile.mkdtemp(prefix="dicomqc-disk-")
MNT = os.path.join(T, "mnt")
os.makedirs(MNT)
r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m,mode=0700",
                    "tmpfs", MNT], capture_output=True, text=True)
if r.returncode != 0:
    shutil.rmtree(T, ignore_errors=True)
    print("SKIP: cannot mount a tmpfs: " + r.stderr.strip())
    sys.exit(77)
node = None


def cleanup():
    if node is not None and node.poll() is None:
        node.kill()
        node.wait()
    subprocess.run(["umount", "-l", MNT], capture_output=True)
    shutil.rmtree(T, ignore_errors=True)


atexit.register(cleanup)
DATA = os.path.join(MNT, "data")
DB = os.path.join(DATA, "dicomqc.db")

# The images: 90 copies (46 MB, more than the disk), made outside it.
IMG = os.path.join(T, "img")
os.makedirs(IMG)
images = []
for i in range(90):
    p = os.path.join(IMG, "%03d.dcm" % i)
    shutil.copy(SAMPLE, p)
    subprocess.run(["dcmodify", "-nb", "-i", "(0008,0018)=%s.%d" % (UID, i),
                    p], check=True, capture_output=True)
    images.append(p)
objs = [rawscu.read_part10(p) for p in images]


def free_mib():
    sv = os.statvfs(MNT)
    return sv.f_bavail * sv.f_frsize / MIB


def filler(name, mib):
    with open(os.path.join(MNT, name), "wb") as f:
        f.write(b"\0" * int(mib * MIB))


def start(args, log):
    global node
    node = subprocess.Popen([BIN, "serve", "--port", "0", "--data-dir", DATA,
                             "--http", "off", "--workers", "1"] + args,
                            stderr=open(log, "w"))
    for _ in range(200):
        m = re.search(r"event=listening port=(\d+)", open(log).read())
        if m:
            return int(m.group(1))
        if node.poll() is not None:
            break
        time.sleep(0.05)
    check("node starts", False, open(log).read()[-400:])
    finish()


def stop():
    global node
    node.send_signal(signal.SIGTERM)
    rc = node.wait(60)
    node = None
    return rc


def send(port, idx):
    """Stores objs[idx] one per association; {idx: status or text}."""
    out = {}
    for i in idx:
        sop_class, sop, ts, data = objs[i]
        try:
            with socket.create_connection(("127.0.0.1", port),
                                          timeout=60) as s:
                acc, pmax = rawscu.associate(s, "DISKTEST", "DICOMQC",
                                             {1: (sop_class, ts)})
                rawscu.send_pdvs(s, 1, rawscu.store_command(sop_class, sop,
                                                            1), True, pmax)
                rawscu.send_pdvs(s, 1, data, False, pmax)
                out[i] = rawscu.response_status(s)
                s.sendall(struct.pack(">BxI", 5, 4) + bytes(4))
                rawscu.recv_pdu(s)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            out[i] = "no answer: %r" % e
    return out


def echo(port):
    return subprocess.run(["echoscu", "-aec", "DICOMQC", "127.0.0.1",
                           str(port)], capture_output=True).returncode == 0


def archive_consistent(acked):
    """Every acked image archived identical and indexed; nothing else in
    the archive; .tmp empty.  Returns a problem or ''."""
    files = {}
    for root, dirs, names in os.walk(os.path.join(DATA, "archive")):
        for n in names:
            files[n] = os.path.join(root, n)
    tmp = os.listdir(os.path.join(DATA, "archive", ".tmp"))
    if tmp:
        return "left in .tmp: %s" % tmp
    want = {objs[i][1] + ".dcm" for i in acked}
    if set(files) != want:
        return "archive %d files, acked %d (extra %s, missing %s)" % (
            len(files), len(want), sorted(set(files) - want)[:3],
            sorted(want - set(files))[:3])
    for i in acked:
        if rawscu.read_part10(files[objs[i][1] + ".dcm"])[3] != objs[i][3]:
            return "%s differs" % objs[i][1]
    con = sqlite3.connect("file:%s?mode=ro" % DB, uri=True, timeout=10)
    sops = {r[0] for r in con.execute(
        "SELECT sop_instance_uid FROM instances")}
    ok = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()
    if sops != {objs[i][1] for i in acked}:
        return "index has %d rows for %d acked" % (len(sops), len(acked))
    if ok != "ok":
        return "integrity_check: " + ok
    return ""


# ---- 1. the watermark refuses before the disk is full --------------------

filler("filler1", 8)
LOG1 = os.path.join(T, "node1.log")
port = start(["--min-free-mib", "8"], LOG1)
res = send(port, range(60))
acked = [i for i, st in res.items() if st == 0]
refused = [i for i, st in res.items() if st == 0xA700]
check("watermark: %d stored, then %d refused with 0xA700, no other answer"
      % (len(acked), len(refused)),
      acked and refused and len(acked) + len(refused) == 60 and
      max(acked) < min(refused), res)
check("watermark: refused with %.1f MiB still free (not full)" % free_mib(),
      free_mib() >= 7)
check("watermark: the log says low disk space",
      "low disk space" in open(LOG1).read())
check("watermark: C-ECHO still answered", echo(port))
problem = archive_consistent(acked)
check("watermark: acked images archived identical and indexed, nothing "
      "else, .tmp empty, integrity ok", problem == "", problem)
os.unlink(os.path.join(MNT, "filler1"))
again = send(port, [refused[0]])
check("watermark: after freeing 8 MiB the store succeeds",
      again[refused[0]] == 0, again)
acked.append(refused[0])
check("stop: exit 0", stop() == 0)

# ---- 2. really full: --min-free-mib 0 ------------------------------------

filler("filler2", 6)
LOG2 = os.path.join(T, "node2.log")
port = start(["--min-free-mib", "0"], LOG2)
rest = [i for i in range(90) if i not in acked]
res = send(port, rest)
acked2 = [i for i, st in res.items() if st == 0]
refused2 = [i for i, st in res.items() if st != 0]
check("full: %d more stored, %d refused, all with 0xA700 (%.2f MiB free)"
      % (len(acked2), len(refused2), free_mib()),
      acked2 and refused2 and all(res[i] == 0xA700 for i in refused2),
      {i: res[i] for i in refused2[:5]})
check("full: C-ECHO still answered", echo(port))
check("full: the node is running", node.poll() is None)
problem = archive_consistent(acked + acked2)
check("full: acked images archived identical and indexed, no partial "
      "file, .tmp empty, integrity ok", problem == "", problem)

# Space freed (the filler, never the archive): the same node stores again.
os.unlink(os.path.join(MNT, "filler2"))
res = send(port, refused2[:3])
check("after 6 MiB are freed, the running node stores again",
      all(res[i] == 0 for i in refused2[:3]), res)


check("every stored image is scored (queue empty)",
      wait_drained(DB, 120) == 0)
problem = archive_consistent(acked + acked2 + refused2[:3])
check("in the end: archive, index and integrity consistent", problem == "",
      problem)
check("stop: exit 0", stop() == 0)
finish()
