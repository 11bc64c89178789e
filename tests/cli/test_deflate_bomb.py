#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""test_deflate_bomb.py - a deflated dataset that would inflate past the
size limit is refused before DCMTK inflates it (issue 7: memory bounded by
the configured limits).

Makes, with the standard library only, a Part 10 file in Deflated
Explicit VR Little Endian (1.2.840.10008.1.2.1.99) whose dataset holds a
SOP Class, a SOP Instance UID and a 96 MiB OB element of zeros: about
100 kB on disk.  `dicomqc score --max-mib 64` must exit 1 within 30 s,
saying the dataset inflates past the limit, with a peak RSS under 64 MiB
(it never holds the inflated data); with --max-mib 512 the same file is
read (the cap is the limit, not a refusal of deflate) and ends with
exit 0 or 1, never a signal.

Usage: test_deflate_bomb.py DICOMQC
Prints "N passed, N failed"; exit 1 on a failure.
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

BIN = sys.argv[1]
npass = nfail = 0


def check(what, ok, detail=""):
    global npass, nfail
    npass += bool(ok)
    nfail += not ok
    print(("ok   - " if ok else "FAIL - ") + what +
          ("" if ok or not detail else ": " + str(detail)))


def el(group, elem, vr, value):
    """An explicit VR little endian element."""
    if vr in (b"OB", b"OW", b"UN", b"SQ", b"UT"):
        return struct.pack("<HH2sxxI", group, elem, vr, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr, len(value)) + value


def ui(text):
    raw = text.encode()
    return raw + (b"\0" if len(raw) % 2 else b"")


SOP_CLASS = "1.2.840.10008.5.1.4.1.1.7"
SOP = "1.2.826.0.1.3680043.8.498.4242"
meta = (el(2, 1, b"OB", b"\0\1") + el(2, 2, b"UI", ui(SOP_CLASS)) +
        el(2, 3, b"UI", ui(SOP)) +
        el(2, 0x10, b"UI", ui("1.2.840.10008.1.2.1.99")))
meta = el(2, 0, b"UL", struct.pack("<I", len(meta))) + meta
zeros = 96 << 20
head = (el(8, 0x16, b"UI", ui(SOP_CLASS)) + el(8, 0x18, b"UI", ui(SOP)) +
        struct.pack("<HH2sxxI", 0x0009, 0x1010, b"OB", zeros))
comp = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
body = comp.compress(head)
chunk = bytes(1 << 20)
for _ in range(zeros >> 20):
    body += comp.compress(chunk)
body += comp.flush()
T = tempfile.mkdtemp(prefix="dicomqc-bomb-")
path = os.path.join(T, "bomb.dcm")
with open(path, "wb") as f:
    f.write(bytes(128) + b"DICM" + meta + body)
check("the bomb is small on disk (%d kB for %d MiB inflated)"
      % (os.path.getsize(path) // 1000, zeros >> 20),
      os.path.getsize(path) < 1 << 20)

WRAP = ("import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True,"
        " timeout=60)\n"
        "print(r.returncode)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stdout.write(r.stderr)\n")
for mib, want in ((64, "refused"), (512, "read")):
    r = subprocess.run([sys.executable, "-c", WRAP, BIN, "score",
                        "--max-mib", str(mib), path],
                       capture_output=True, text=True, timeout=120)
    lines = r.stdout.split("\n", 2)
    rc, kib, err = int(lines[0]), int(lines[1]), lines[2]
    if want == "refused":
        check("--max-mib 64: exit 1, 'inflates to more than 64 MiB', peak "
              "RSS %d MiB < 64 MiB" % (kib // 1024),
              rc == 1 and "inflates to more than 64 MiB" in err and
              kib < 64 * 1024, (rc, err[:300]))
    else:
        check("--max-mib 512: read, exit %d (0 or 1, no signal)" % rc,
              rc in (0, 1) and "inflates" not in err, err[:300])
os.unlink(path)
os.rmdir(T)
print("%d passed, %d failed" % (npass, nfail))
sys.exit(1 if nfail else 0)
