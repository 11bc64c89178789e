#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""test_crash.py - kill -9 at random moments loses nothing acknowledged
(issue 7, item 3).

ROUNDS times: the node starts on the same data folder; 8 associations at
once (threads, tests/scp/rawscu.py's functions) each send up to 40
images, 15 ms apart, each with its own SOP Instance UID (an MR sample
whose UID is rewritten in place, same length); after a random 0.1-0.9 s
(seeded) the node gets SIGKILL, mostly in the middle of transfers.  Then, before the next start:

  * every image whose C-STORE was answered 0x0000 is in the archive at
    <Study>/<Series>/<SOP>.dcm with its dataset byte-identical to the
    one sent, and in the index;
  * every file in the archive outside .tmp is complete: its dataset is
    byte-identical to an image that was sent (a file placed but not yet
    acknowledged when the kill came may be there, complete);
  * PRAGMA integrity_check is ok.

After the last round the node starts once more and runs until the queue
is empty: every indexed image is scored, .tmp is empty.  The test prints
N sent, acknowledged, found, and the rounds.

Usage: test_crash.py DICOMQC SOURCE_DIR [ROUNDS]
Prints "N passed, N failed"; exit 1 on a failure.
"""
import atexit
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time

BIN, SRC = sys.argv[1], sys.argv[2]
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 5
sys.path.insert(0, os.path.join(SRC, "tests", "scp"))
import rawscu  # noqa: E402

SAMPLE = os.path.join(SRC, "samples", "dicom",
                      "mr_head_signed_explicit_le.dcm")
SENDERS = 8
PER_SENDER = 40  # images one association sends in a round, at most
PAUSE = 0.015    # seconds between them: a round lasts about 0.6-1 s

from nodetest import check, failed, finish, wait_drained  # noqa: E402


T = tempfile.mkdtemp(prefix="dicomqc-crash-")
DATA = os.path.join(T, "data")
DB = os.path.join(DATA, "dicomqc.db")
node = None


def cleanup():
    if node is not None and node.poll() is None:
        node.kill()
        node.wait()
    shutil.rmtree(T, ignore_errors=True)


atexit.register(cleanup)

SOP_CLASS, SOP0, TS, DATASET = rawscu.read_part10(SAMPLE)
assert DATASET.count(SOP0.encode()) == 1, "the sample's UID must occur once"


def image(k):
    """Image k: the sample with its SOP Instance UID's last 8 digits
    replaced by k (same length, so no length field changes)."""
    sop = SOP0[:-8] + "%08d" % k
    return sop, DATASET.replace(SOP0.encode(), sop.encode())


sent = {}    # sop -> dataset, every image whose sending began
acked = set()  # sops answered 0x0000
lock = threading.Lock()
counter = [0]


def sender(port, stop):
    """One association: images until the connection dies or stop."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            acc, pmax = rawscu.associate(s, "CRASHTEST", "DICOMQC",
                                         {1: (SOP_CLASS, TS)})
            n = 0
            while not stop.is_set() and n < PER_SENDER:
                with lock:
                    counter[0] += 1
                    sop, data = image(counter[0])
                    sent[sop] = data
                n += 1
                rawscu.send_pdvs(s, 1, rawscu.store_command(SOP_CLASS, sop,
                                                            n), True, pmax)
                rawscu.send_pdvs(s, 1, data, False, pmax)
                if rawscu.response_status(s) == 0:
                    with lock:
                        acked.add(sop)
                time.sleep(PAUSE)
    except (OSError, ConnectionError, struct.error):
        pass  # the node was killed


def start(log):
    global node
    node = subprocess.Popen([BIN, "serve", "--port", "0", "--data-dir", DATA,
                             "--http", "off", "--workers", "1",
                             "--study-idle", "1"], stderr=open(log, "w"))
    for _ in range(300):
        m = re.search(r"event=listening port=(\d+)", open(log).read())
        if m:
            return int(m.group(1))
        if node.poll() is not None:
            break
        time.sleep(0.05)
    check("node starts (%s)" % log, False, open(log).read()[-400:])
    finish()


def verify(label):
    files = {}
    for root, dirs, names in os.walk(os.path.join(DATA, "archive")):
        if os.path.basename(root) == ".tmp":
            continue
        for n in names:
            files[n[:-4]] = os.path.join(root, n)
    missing = [s for s in acked if s not in files]
    bad = []
    for sop, path in files.items():
        try:
            got = rawscu.read_part10(path)[3]
        except Exception:  # noqa: BLE001 - a broken file is the failure
            got = None
        if got is None or sent.get(sop) != got:
            bad.append(sop)
    con = sqlite3.connect(DB, timeout=10)  # read-write: WAL recovery
    indexed = {r[0] for r in con.execute(
        "SELECT sop_instance_uid FROM instances")}
    ok = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()
    unindexed_acked = [s for s in acked if s not in indexed]
    check("%s: %d acknowledged, all archived (missing %d) and indexed "
          "(missing %d)" % (label, len(acked), len(missing),
                            len(unindexed_acked)),
          not missing and not unindexed_acked,
          (missing[:3], unindexed_acked[:3]))
    check("%s: all %d archived files complete and identical to a sent "
          "image (bad %d)" % (label, len(files), len(bad)), not bad,
          bad[:3])
    check("%s: PRAGMA integrity_check %s" % (label, ok), ok == "ok")
    return len(files), len(indexed)


rng = random.Random(20261127)
for rnd in range(1, ROUNDS + 1):
    port = start(os.path.join(T, "node%d.log" % rnd))
    stop = threading.Event()
    threads = [threading.Thread(target=sender, args=(port, stop))
               for _ in range(SENDERS)]
    for t in threads:
        t.start()
    delay = rng.uniform(0.1, 0.9)
    time.sleep(delay)
    node.send_signal(signal.SIGKILL)
    node.wait()
    stop.set()
    for t in threads:
        t.join(60)
    nfiles, nindexed = verify("round %d (kill after %.2f s)" % (rnd, delay))
    print("# round %d: sent %d, acknowledged %d, archived %d, indexed %d"
          % (rnd, len(sent), len(acked), nfiles, nindexed))

# The last start: everything indexed gets scored; .tmp is cleared.
port = start(os.path.join(T, "final.log"))


left = wait_drained(DB, 300)
con = sqlite3.connect("file:%s?mode=ro" % DB, uri=True, timeout=10)
n_inst = con.execute("SELECT count(*) FROM instances").fetchone()[0]
n_verdict = con.execute("SELECT count(*) FROM verdicts WHERE verdict IN"
                        " ('pass','warn','retake')").fetchone()[0]
con.close()
check("after the last start every indexed image is scored (%d of %d)"
      % (n_verdict, n_inst), left == 0 and n_verdict == n_inst)
check(".tmp is empty after the start",
      os.listdir(os.path.join(DATA, "archive", ".tmp")) == [])
node.send_signal(signal.SIGTERM)
check("SIGTERM ends the node with exit 0", node.wait(60) == 0)
print("# %d rounds: sent %d, acknowledged %d, found %d of them, lost 0"
      % (ROUNDS, len(sent), len(acked), len(acked) if failed() == 0 else -1))
finish()
