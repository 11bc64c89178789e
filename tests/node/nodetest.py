# SPDX-License-Identifier: BSD-3-Clause
"""nodetest.py - what the Python node tests share: the check/finish
report ("ok   - ..." / "FAIL - ..." lines and the closing "N passed,
N failed" that ctest's log shows) and a free loopback port.

Used by test_alerts.py, test_hostile.py, test_crash.py and test_disk.py
(which put this folder on sys.path, as Python does for a script's own
folder), and the wait for a node's scoring queue to drain.
"""
import socket
import sqlite3
import sys
import time

counts = {"pass": 0, "fail": 0}


def check(what, ok, detail=""):
    """Reports one check; detail is shown only when it fails."""
    if ok:
        counts["pass"] += 1
        print("ok   - " + what)
    else:
        counts["fail"] += 1
        print("FAIL - " + what + (": " + str(detail) if detail else ""))


def failed():
    """How many checks failed so far."""
    return counts["fail"]


def finish():
    """Prints "N passed, N failed" and exits 1 on any failure, else 0."""
    print("%d passed, %d failed" % (counts["pass"], counts["fail"]))
    sys.exit(1 if counts["fail"] else 0)


def free_port():
    """A TCP port free on 127.0.0.1 at this moment."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def queue_left(db):
    """Queue rows of the node's database file db not yet done (read
    only, so the running node is not disturbed)."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return con.execute("SELECT count(*) FROM queue WHERE state <>"
                           " 'done'").fetchone()[0]
    finally:
        con.close()


def wait_drained(db, seconds):
    """Waits until every queued image of db is scored, at most seconds;
    returns the rows still left (0 when drained)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and queue_left(db) > 0:
        time.sleep(0.2)
    return queue_left(db)
