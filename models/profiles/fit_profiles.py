#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# fit_profiles.py - fits the warn/retake limits and sub-score curves of
# the modality profiles (xray.ini, mr.ini, fundus.ini) on the training
# images only, and writes them into the .ini files.
#
# Input: the per-image table of `dicomqc eval --tsv FILE DIR` run on
# ../shared/data/train (never on ../shared/data/holdout, whose labels
# are kept outside the project): one row per judged image and level with
# every metric.  For each fitted rule below:
#   good  = the metric on the acceptable originals (X-ray references,
#           still MR scans, good and reference fundus photographs);
#   bad   = the metric at levels 3 and 4 of the distortion families the
#           rule answers for, plus, where named, the real images whose
#           label says they need a retake;
#   retake limit = the threshold that flags none of the good images
#           and misses the fewest bad ones (the goal of <= 2 % false
#           retakes allows none on 24 still MR scans or 46 good fundus
#           photographs); among equally good thresholds, the middle of the
#           interval, i.e. half way between the most extreme good image
#           and the next bad one;
#   warn limit   = a third of the way from the retake limit back to the
#           good images' median;
#   points       = 100 at the good images' median (or, per rule, their
#           best or worst value; see fit()), warn -> 70, retake -> 40, and
#           0 at the worst value seen at level 4 (pushed 25 % further), so
#           the sub-score keeps falling through every level.
# Rules not listed keep their hand-set values (the X-ray deviation index
# follows IEC 62494-1 and AAPM TG-116).  Limits of the other direction are left alone.
#
# Usage (from the repository root; the first command takes ~2 minutes):
#   build/dicomqc eval --quiet --tsv /tmp/train.tsv ../shared/data/train
#   /usr/bin/python3 models/profiles/fit_profiles.py /tmp/train.tsv
# It prints each fitted rule and rewrites the numbers in place, keeping
# every other line of the files.  Run eval again afterwards to see the
# table the new limits give (the README's table).

import math
import os
import re
import statistics
import sys
from datetime import date

HERE = os.path.dirname(os.path.abspath(__file__))

# profile, metric, direction of "worse", families it answers for, real
# labels that count as bad for it.
RULES = [
    ("xray", "xray_sharpness", "below", ["blur"], []),
    ("xray", "xray_noise", "above", ["noise", "underexpose"], []),
    ("xray", "xray_saturated_fraction", "above", ["overexpose"], []),
    ("mr", "mr_efc", "above", ["motion", "blur"], ["motion"], "best"),
    ("mr", "mr_fber", "below", ["rician", "motion"], [], "worst"),
    ("mr", "sharpness_laplacian_var", "below", ["blur"], [], "worst"),
    ("mr", "mr_snr", "below", ["rician"], [], "worst"),
    ("mr", "mr_ghost_ratio", "above", ["motion"], [], "worst"),
    ("fundus", "fundus_focus", "below", ["defocus"], ["bad"]),
    ("fundus", "fundus_sharpness", "below", ["defocus"], []),
    ("fundus", "fundus_likeness", "below", [], ["outlier"]),
    ("fundus", "fundus_mean_level", "below", ["darken"], []),
    ("fundus", "fundus_noise", "above", ["noise"], []),
    ("fundus", "fundus_non_uniformity", "above", ["illumination"], []),
]
SET_OF = {"xray": "xray", "mr": "mr", "fundus": "fundus"}
GOOD_LABELS = {"xray": None, "mr": {"nomotion"},
               "fundus": {"good", "good_reference"}}


def read_rows(path):
    rows = []
    with open(path) as f:
        next(f)
        for line in f:
            p = line.rstrip("\n").split("\t")
            m = {}
            for kv in p[7:]:
                k, v = kv.split("=", 1)
                m[k] = float(v)
            rows.append({"file": p[0], "set": p[1], "label": p[2],
                         "family": p[3], "level": int(p[4]), "m": m})
    return rows


def is_good(row):
    g = GOOD_LABELS[row["set"]]
    return g is None or row["label"] in g


def fit_threshold(good, bad, above):
    """Threshold with no good image flagged that misses the fewest bad
    ones; flagged = value beyond it (above: v > t)."""
    vals = sorted(set(good + bad))
    cands = [vals[0] - 1] + [(a + b) / 2 for a, b in zip(vals, vals[1:])] \
        + [vals[-1] + 1]
    best, best_cost = [], None
    for t in cands:
        fp = sum((v > t) if above else (v < t) for v in good)
        fn = sum((v <= t) if above else (v >= t) for v in bad)
        cost = 1000 * fp + fn / len(bad)
        if best_cost is None or cost < best_cost - 1e-12:
            best, best_cost = [t], cost
        elif abs(cost - best_cost) <= 1e-12:
            best.append(t)
    # The middle of the best interval: candidates of equal cost are
    # contiguous around the optimum.
    return (best[0] + best[-1]) / 2, best_cost


def fmt(v):
    return "%.4g" % v


def fit(rows):
    out = {}
    for rule in RULES:
        prof, metric, direction, fams, bad_labels = rule[:5]
        anchor = rule[5] if len(rule) > 5 else "median"
        above = direction == "above"
        good = [r["m"][metric] for r in rows
                if r["set"] == SET_OF[prof] and r["level"] == 0 and
                r["family"] == "original" and is_good(r) and metric in r["m"]]
        bad = [r["m"][metric] for r in rows
               if r["set"] == SET_OF[prof] and r["family"] in fams and
               r["level"] >= 3 and metric in r["m"]]
        bad += [r["m"][metric] for r in rows
                if r["set"] == SET_OF[prof] and r["family"] == "original" and
                r["label"] in bad_labels and metric in r["m"]]
        worst4 = [r["m"][metric] for r in rows
                  if r["set"] == SET_OF[prof] and r["family"] in fams and
                  r["level"] == 4 and metric in r["m"]]
        if not worst4:
            worst4 = bad
        if not good or not bad:
            sys.exit("fit_profiles: no data for %s %s" % (prof, metric))
        retake, cost = fit_threshold(good, bad, above)
        med = statistics.median(good)
        warn = retake + (med - retake) / 3
        # Where the sub-score reaches 100: the good images' median, or
        # their best value (so that the score ranks images all through
        # the good range: the measure that orders still and motion MR
        # scans), or their worst (so that a measure only counts once it
        # leaves the good range and does not disturb that order).
        top = {"median": med, "best": min(good) if above else max(good),
               "worst": max(good) if above else min(good)}[anchor]
        if (top - warn) * (1 if above else -1) >= 0:
            top = med
        end = max(worst4) if above else min(worst4)
        end = retake + 1.25 * (end - retake)
        if above:
            pts = [(top, 100), (warn, 70), (retake, 40),
                   (max(end, retake * 1.01 + 1e-9), 0)]
        else:
            pts = [(min(end, retake * 0.99), 0), (retake, 40), (warn, 70),
                   (top, 100)]
        pts = sorted(pts)
        fp = sum((v > retake) if above else (v < retake) for v in good)
        fn = sum((v <= retake) if above else (v >= retake) for v in bad)
        print("%-7s %-24s %-5s retake %s warn %s  good %d (median %s, "
              "%d flagged)  bad %d (%d missed)" %
              (prof, metric, direction, fmt(retake), fmt(warn), len(good),
               fmt(med), fp, len(bad), fn))
        out.setdefault(prof, {})[metric] = {
            "points": " ".join("%s:%g" % (fmt(v), s) for v, s in pts),
            ("%s_%s" % ("retake", direction)): fmt(retake),
            ("%s_%s" % ("warn", direction)): fmt(warn),
        }
    return out


def rewrite(prof, fitted, source):
    path = os.path.join(HERE, prof + ".ini")
    lines = open(path).read().split("\n")
    section = None
    seen = set()
    for i, line in enumerate(lines):
        m = re.match(r"\[metric (\S+)\]", line)
        if m:
            section = m.group(1)
            continue
        if line.startswith("["):
            section = None
        if line.startswith("provenance ="):
            lines[i] = ("provenance = limits fitted by "
                        "models/profiles/fit_profiles.py on %s, %s" %
                        (source, date.today().isoformat()))
        if section in fitted:
            k = line.split("=", 1)[0].strip()
            if k in fitted[section]:
                lines[i] = "%s = %s" % (k, fitted[section][k])
                seen.add((section, k))
    for metric, keys in fitted.items():
        for k in keys:
            if (metric, k) not in seen:
                sys.exit("fit_profiles: %s has no line '%s' in [metric %s]"
                         % (path, k, metric))
    open(path, "w").write("\n".join(lines))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: fit_profiles.py EVAL.tsv")
    rows = read_rows(sys.argv[1])
    fitted = fit(rows)
    for prof, f in fitted.items():
        rewrite(prof, f, "../shared/data/train (dicomqc eval --tsv)")


if __name__ == "__main__":
    main()
