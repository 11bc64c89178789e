# SPDX-License-Identifier: BSD-3-Clause
#
# make_niqe_live.py - writes models/niqe_live_pristine.txt, the LIVE NIQE
# pristine model (mu_prisparam 1x36, cov_prisparam 36x36 of the LIVE
# release's modelparameters.mat) in dicomqc's NIQE model format (see
# qc/niqe.c), with the source file and its sha256 in the header.
#
# Source: ../shared/data/models/live_release/niqe_modelparameters.mat
# (utlive/niqe @ d80aead2 modelparameters.mat; PROVENANCE.md there).  The
# numbers are read from the .mat with scipy.io.loadmat and checked equal,
# bit for bit, to the plain-text dump niqe_modelparameters.txt beside it.
# Run from the repository root:
#   /usr/bin/python3 models/make_niqe_live.py
import hashlib
import os
import sys

import numpy as np
import scipy.io

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(os.path.dirname(ROOT), "shared", "data", "models",
                   "live_release")
MAT = os.path.join(SRC, "niqe_modelparameters.mat")
TXT = os.path.join(SRC, "niqe_modelparameters.txt")
OUT = os.path.join(ROOT, "models", "niqe_live_pristine.txt")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_dump(path):
    """The .txt dump: '# name shape=RxC' lines, then rows of numbers."""
    out, name = {}, None
    for line in open(path, encoding="ascii"):
        if line.startswith("#"):
            name = line.split()[1]
            out[name] = []
        elif line.strip():
            out[name].append([float(v) for v in line.split()])
    return {k: np.array(v) for k, v in out.items()}


def main():
    mat = scipy.io.loadmat(MAT)
    mu = np.asarray(mat["mu_prisparam"], dtype=np.float64).reshape(36)
    cov = np.asarray(mat["cov_prisparam"], dtype=np.float64)
    dump = read_dump(TXT)
    if not (np.array_equal(mu, dump["mu_prisparam"].reshape(36)) and
            np.array_equal(cov, dump["cov_prisparam"])):
        sys.exit("make_niqe_live: .mat and .txt disagree")
    if not np.array_equal(cov, cov.T):
        sys.exit("make_niqe_live: covariance is not symmetric")
    with open(OUT, "w", encoding="ascii", newline="\n") as f:
        f.write("# NIQE pristine model of the LIVE NIQE release (A. Mittal, "
                "R. Soundararajan, A. C. Bovik,\n"
                "# 'Making a Completely Blind Image Quality Analyzer', "
                "IEEE SPL 20(3), 2013): 125 pristine\n"
                "# natural images, 96x96 blocks, sharpness threshold "
                "0.75.  Licence: LIVE release notice,\n"
                "# models/niqe_live_readme.txt.\n")
        f.write("# Source: utlive/niqe @ d80aead297ff48b0254c39806f3a277b"
                "3ecbfc8d modelparameters.mat,\n"
                f"#   sha256 {sha256(MAT)};\n"
                "#   checked equal to niqe_modelparameters.txt, sha256 "
                f"{sha256(TXT)}.\n")
        f.write("# Made by: /usr/bin/python3 models/make_niqe_live.py\n")
        f.write("format dicomqc-niqe 1\n")
        f.write("date 2012\n")
        f.write("source LIVE NIQE release, pristine natural images\n")
        f.write("modality\n")
        f.write("images 125\n")
        f.write("blocks 0\n")
        f.write("block 96 96\n")
        f.write("sharpness 0.75\n")
        f.write("mu 36\n")
        f.write(" ".join(repr(float(v)) for v in mu) + "\n")
        f.write("cov 36 36\n")
        for row in cov:
            f.write(" ".join(repr(float(v)) for v in row) + "\n")


if __name__ == "__main__":
    main()
