# SPDX-License-Identifier: BSD-3-Clause
"""nodetest.py - what the Python node tests share: the check/finish
report ("ok   - ..." / "FAIL - ..." lines and the closing "N passed,
N failed" that ctest's log shows) and a free loopback port.

Used by test_alerts.py, test_hostile.py, test_crash.py and test_disk.py
(which put this folder on sys.path, as Python does for a script's own
folder).
"""
import socket
import sys

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
