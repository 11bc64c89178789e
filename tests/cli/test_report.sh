#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# test_report.sh - `dicomqc report` on a fixed database.
#
# The schema is made by the program itself (`dicomqc studies` on an
# empty file); the rows are written by Python's sqlite3: about 150 images
# over the report period [2026-11-26T06:00Z, 2026-11-27T06:00Z), the
# previous period of the same length and outside both (boundaries
# included and excluded), four modalities and none, stations and
# operators with awkward names (<script>alert(1)</script>, a comma and
# quotes, non-ASCII, a leading @), verdicts, studies complete and open,
# alerts and acknowledgments.  Every number of the JSON report is then
# checked against independent SQL queries and Python statistics (not
# against the program's own output), the CSV against the same, and the
# HTML for structure, escaping, content and self-containment; headless
# Chromium renders it (--dump-dom is checked, the screenshot is kept in
# ARTIFACT_DIR/report.png).  Also the usage errors and exit codes.
#
# Usage: test_report.sh DICOMQC SOURCE_DIR ARTIFACT_DIR
# Only the Python standard library is used.  Exit 77 (skip) when python3
# is missing, or when Chromium is missing and everything else passed.
set -u
BIN=$1 SRC=$2 ART=$3
T=$(mktemp -d "${TMPDIR:-/tmp}/dicomqc-report-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
. "$SRC/tests/cli/lib.sh"

PY=$(command -v python3 || command -v /usr/bin/python3 || true)
if [ -z "$PY" ]; then echo "SKIP: python3 not found"; exit 77; fi
mkdir -p "$ART" "$T/archive"

FROM=2026-11-26T06:00Z TO=2026-11-27T06:00Z
DB=$T/qc.db

# ---- usage errors -------------------------------------------------------
expect "no --format" 2 "$BIN" report --db "$DB" --out "$T/x"
same_text "no --format: message" "$T/err" \
"dicomqc: option --format: missing (html, csv or json)
dicomqc: try 'dicomqc report --help'"
expect "bad --format" 2 "$BIN" report --db "$DB" --format pdf --out "$T/x"
expect "no --out" 2 "$BIN" report --db "$DB" --format csv
expect "bad --from" 2 "$BIN" report --db "$DB" --format csv --out "$T/x" \
  --from yesterday
L1="dicomqc: option --from: 'yesterday' is not a UTC time like 2026-11-27"
same_text "bad --from: message" "$T/err" "$L1 or 2026-11-27T06:00Z
dicomqc: try 'dicomqc report --help'"
expect "impossible date" 2 "$BIN" report --db "$DB" --format csv \
  --out "$T/x" --to 2026-02-30
expect "from >= to" 2 "$BIN" report --db "$DB" --format csv --out "$T/x" \
  --from "$TO" --to "$FROM"
expect "from = to" 2 "$BIN" report --db "$DB" --format csv --out "$T/x" \
  --from "$TO" --to "$TO"
expect "unknown option" 2 "$BIN" report --db "$DB" --format csv \
  --out "$T/x" --since 2026-11-27
expect "operand" 2 "$BIN" report --db "$DB" --format csv --out "$T/x" extra
expect "--help" 0 "$BIN" report --help
if grep -q "bin_from" "$T/out" && grep -q "Exit status" "$T/out"; then
  ok "--help documents the CSV columns and exit codes"
else bad "--help text"; fi
# A missing database is an error, and is not created.
expect "missing database" 1 "$BIN" report --db "$DB" --format csv \
  --out "$T/x"
if [ ! -e "$DB" ] && grep -q "no database" "$T/err"; then
  ok "missing database: named, not created"
else bad "missing database: created or not named"; cat "$T/err"; fi

# ---- the fixed database -------------------------------------------------
: >"$DB"
"$BIN" studies --db "$DB" >/dev/null 2>"$T/err" ||
  { bad "schema by dicomqc studies"; cat "$T/err"; }
cp "$SRC/samples/dicom/dx_chest_explicit_le.dcm" "$T/archive/dx.dcm"
cp "$SRC/samples/dicom/mr_head_rle.dcm" "$T/archive/mr.dcm"

cat >"$T/make_db.py" <<'EOF'
"""Fills a dicomqc schema-3 database with a fixed, seeded data set."""
import random
import sqlite3
import sys

db, archive = sys.argv[1], sys.argv[2]
rng = random.Random(20261127)
con = sqlite3.connect(db)
MODS = ["CR", "DX", "MR", "OP", None]
STATIONS = ["CR-ROOM1", "DX-ROOM2", "MR-3T", "<script>alert(1)</script>",
            'Fundus, "A"', "Röntgen Süd", None, ""]
OPERATORS = ["DOE^JANE", "ROE^RICHARD", "@evil", None]
VERDICTS = ["pass"] * 6 + ["warn"] * 2 + ["retake"] * 2 + [
    "unscored", "error", None]


def ts(day, sec):
    """ISO time of second `sec` after 2026-11-<day>T00:00Z."""
    h, rest = divmod(sec, 3600)
    m, s = divmod(rest, 60)
    return "2026-11-%02dT%02d:%02d:%02d.%03dZ" % (day, h, m, s,
                                                rng.randrange(1000))


iid = 0
for n in range(60):
    study = "1.2.826.0.1.3680043.8.498.%d" % (1000 + n)
    # Days 24 (outside), 25 (previous/outside), 26, 27 (current/outside).
    day = rng.choice([24, 25, 25, 26, 26, 26, 27, 27])
    mod = rng.choice(MODS)
    first = None
    worst = {"pass": 1, "warn": 2, "retake": 3}
    verdict_rank = 0
    last_rx = None
    for k in range(rng.randint(1, 4)):
        iid += 1
        rx = ts(day, rng.randrange(86400))
        sta = rng.choice(STATIONS)
        op = rng.choice(OPERATORS)
        path = "%s/%s/%d.dcm" % (archive, study, iid)
        con.execute(
            "INSERT INTO instances(id, sop_instance_uid, study_instance_uid,"
            " series_instance_uid, modality, body_part, station_name,"
            " operator_name, accession_number, file_path, received_at)"
            " VALUES(?,?,?,?,?,?,?,?,?,?,?)",
            (iid, "%s.%d" % (study, iid), study, study + ".1", mod, "CHEST",
             sta, op, "ACC%d" % n, path, rx))
        v = rng.choice(VERDICTS)
        if v is not None:
            q = None if v in ("unscored", "error") else round(
                rng.uniform(0, 100), 3)
            con.execute(
                "INSERT INTO verdicts(instance_id, verdict, quality, reasons,"
                " error, decided_at) VALUES(?,?,?,?,?,?)",
                (iid, v, q, '["%s reason %d"]' % (v, iid),
                 "bad file" if v == "error" else None,
                 ts(day, rng.randrange(86400))))
            verdict_rank = max(verdict_rank, worst.get(v, 0))
        last_rx = max(last_rx or rx, rx)
        first = first or rx
    state = rng.choice(["complete", "complete", "complete", "open"])
    sv = {0: "unscored", 1: "pass", 2: "warn", 3: "retake"}[verdict_rank]
    con.execute(
        "INSERT INTO studies(study_instance_uid, modality, first_received_at,"
        " last_received_at, instances, complete, verdict, reasons,"
        " completed_at) VALUES(?,?,?,?,?,?,?,?,?)",
        (study, mod, first, last_rx, k + 1, 1 if state == "complete" else 0,
         sv if state == "complete" else "pending",
         '["study %s reason"]' % sv, ts(day, rng.randrange(86400))
         if state == "complete" else None))

# Boundaries: at from (current), at to (neither), at previous from
# (previous), one millisecond before from (previous).
for rx, mod in [("2026-11-26T06:00:00.000Z", "CR"),
                ("2026-11-27T06:00:00.000Z", "CR"),
                ("2026-11-25T06:00:00.000Z", "DX"),
                ("2026-11-26T05:59:59.999Z", "DX")]:
    iid += 1
    con.execute(
        "INSERT INTO instances(id, sop_instance_uid, study_instance_uid,"
        " modality, station_name, operator_name, file_path, received_at)"
        " VALUES(?,?,?,?,?,?,?,?)",
        (iid, "9.9.%d" % iid, "9.9.9.%d" % iid, mod, "EDGE", "EDGE^OP",
         "%s/none.dcm" % archive, rx))
    con.execute("INSERT INTO verdicts(instance_id, verdict, quality,"
                " reasons, decided_at) VALUES(?,?,?,?,?)",
                (iid, "retake", 12.5, '["edge"]', rx))

# The flagged study the HTML test looks for: retake, complete in the
# period, first instance from the <script> station, worst image the
# sample DX file (present), two acknowledgments (the latest counts).
S = "1.2.826.0.1.3680043.8.498.7777"
rows = [("pass", 90.0, "%s/dx-first.dcm" % archive, "FIRST-STATION"),
        ("retake", 8.25, "%s/dx.dcm" % archive, "<script>alert(1)</script>"),
        ("retake", 30.0, "%s/none.dcm" % archive, "OTHER")]
ids = []
for k, (v, q, path, sta) in enumerate(rows):
    iid += 1
    ids.append(iid)
    con.execute(
        "INSERT INTO instances(id, sop_instance_uid, study_instance_uid,"
        " series_instance_uid, modality, body_part, station_name,"
        " operator_name, accession_number, file_path, received_at)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?)",
        (iid, "%s.%d" % (S, k), S, S + ".1", "DX", "CHEST", sta,
         "O'Hara & <b>Sons</b>", "ACC-<7777>", path,
         "2026-11-26T10:0%d:00.000Z" % k))
    con.execute("INSERT INTO verdicts(instance_id, verdict, quality, reasons,"
                " decided_at) VALUES(?,?,?,?,?)",
                (iid, v, q, '["Underexposed: deviation index -4.2, limit -3",'
                 ' "<img src=x onerror=alert(2)>"]' if v == "retake" else "[]",
                 "2026-11-26T10:1%d:00.000Z" % k))
con.execute(
    "INSERT INTO studies(study_instance_uid, modality, first_received_at,"
    " last_received_at, instances, complete, verdict, reasons, completed_at)"
    " VALUES(?,?,?,?,?,?,?,?,?)",
    (S, "DX", "2026-11-26T10:00:00.000Z", "2026-11-26T10:02:00.000Z", 3, 1,
     "retake", '["Underexposed: deviation index -4.2, limit -3",'
     ' "Patient moved <script>x</script>"]', "2026-11-26T10:30:00.000Z"))
con.execute("INSERT INTO alerts(kind, study_instance_uid, verdict, reasons,"
            " created_at) VALUES('study', ?, 'retake', '[]',"
            " '2026-11-26T10:30:00.000Z')", (S,))
con.execute("INSERT INTO alerts(kind, instance_id, verdict, reasons,"
            " created_at) VALUES('image', ?, 'retake', '[]',"
            " '2026-11-26T10:11:00.000Z')", (ids[1],))
con.execute("INSERT INTO acks(study_instance_uid, action, comment, by_name,"
            " created_at) VALUES(?, 'accepted', 'older ack', 'A',"
            " '2026-11-26T10:40:00.000Z')", (S,))
con.execute("INSERT INTO acks(study_instance_uid, action, comment, by_name,"
            " created_at) VALUES(?, 'retaken', 'Repeated with <b>better</b>"
            " positioning', 'Tech & Co', '2026-11-26T10:45:00.000Z')", (S,))
con.execute("INSERT INTO acks(instance_id, action, comment, by_name,"
            " created_at) VALUES(?, 'accepted', NULL, NULL,"
            " '2026-11-26T11:00:00.000Z')", (ids[2],))
con.commit()
EOF

if "$PY" "$T/make_db.py" "$DB" "$T/archive" 2>"$T/err"; then
  ok "fixed database written"
else bad "fixed database"; cat "$T/err"; fi

# ---- the reports ---------------------------------------------------------
for f in json csv html; do
  expect "report --format $f" 0 "$BIN" report --db "$DB" --from "$FROM" \
    --to "$TO" --format "$f" --out "$T/report.$f" --title "QC <Nightly> & co"
  [ -e "$T/report.$f.tmp" ] && bad "$f: temp file left behind"
done
cp "$T/report.html" "$ART/report.html" 2>/dev/null
expect "json to stdout" 0 "$BIN" report --db "$DB" --from "$FROM" \
  --to "$TO" --format json --out - --title "QC <Nightly> & co"
grep -v generated_at "$T/out" >"$T/a"
grep -v generated_at "$T/report.json" >"$T/b"
if cmp -s "$T/a" "$T/b"; then ok "--out - writes the same JSON"
else bad "--out - differs from --out FILE"; fi
expect "--out in a missing folder" 1 "$BIN" report --db "$DB" --format csv \
  --out "$T/no/such/dir/r.csv"
if grep -q "no/such/dir/r.csv.tmp" "$T/err"; then
  ok "the output failure names the file"
else bad "output failure message"; cat "$T/err"; fi
# --to alone: the 24 h before it, so the same report.
expect "--to alone" 0 "$BIN" report --db "$DB" --to "$TO" --format json \
  --out "$T/to.json"
grep '"from"' "$T/to.json" | grep -q '2026-11-26T06:00:00.000Z' &&
  ok "--to alone: 24 h before" || bad "--to alone: wrong from"

cat >"$T/check.py" <<'EOF'
"""Checks the JSON, CSV and HTML reports against independent SQL."""
import csv
import html.parser
import json
import re
import sqlite3
import statistics
import sys

db, tdir = sys.argv[1], sys.argv[2]
FROM, TO, PREV = ("2026-11-26T06:00:00.000Z", "2026-11-27T06:00:00.000Z",
                  "2026-11-25T06:00:00.000Z")
con = sqlite3.connect(db)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


KEYS = {"all": "'all'",
        "modality": "COALESCE(NULLIF(i.modality, ''), '(none)')",
        "station": "COALESCE(NULLIF(i.station_name, ''), '(none)')",
        "operator": "COALESCE(NULLIF(i.operator_name, ''), '(none)')"}
METRICS = ["images", "studies", "retake_rate", "warn_rate",
           "study_retake_rate", "judged", "pass", "warn", "retake",
           "unscored", "error", "pending", "studies_judged", "study_retakes",
           "quality_median", "quality_p10"]


def quantile(xs, p):
    """Hyndman-Fan 7 via statistics (inclusive); one value is itself."""
    if len(xs) == 1:
        return xs[0]
    if p == 0.5:
        return statistics.median(xs)
    return statistics.quantiles(xs, n=10, method="inclusive")[0]


def expected(dim, lo, hi):
    k = KEYS[dim]
    out = {}
    for row in con.execute(
            "SELECT %s AS k, count(*), count(DISTINCT i.study_instance_uid),"
            " total(v.verdict = 'pass'), total(v.verdict = 'warn'),"
            " total(v.verdict = 'retake'), total(v.verdict = 'unscored'),"
            " total(v.verdict = 'error'), total(v.verdict IS NULL)"
            " FROM instances i LEFT JOIN verdicts v ON v.instance_id = i.id"
            " WHERE i.received_at >= ? AND i.received_at < ? GROUP BY k" % k,
            (lo, hi)):
        key, n, ns, p, w, r, u, e, pend = row
        judged = p + w + r
        out[key] = {"images": n, "studies": ns, "pass": p, "warn": w,
                    "retake": r, "unscored": u, "error": e, "pending": pend,
                    "judged": judged,
                    "retake_rate": r / judged if judged else None,
                    "warn_rate": w / judged if judged else None,
                    "studies_judged": 0, "study_retakes": 0,
                    "study_retake_rate": None, "quality_median": None,
                    "quality_p10": None}
    for key, nj, nr in con.execute(
            "SELECT k, count(*), total(verdict = 'retake') FROM"
            " (SELECT DISTINCT %s AS k, s.study_instance_uid, s.verdict"
            "  FROM instances i JOIN studies s"
            "  ON s.study_instance_uid = i.study_instance_uid"
            "  WHERE i.received_at >= ? AND i.received_at < ?"
            "  AND s.complete = 1 AND s.verdict IN ('pass','warn','retake'))"
            " GROUP BY k" % k, (lo, hi)):
        out[key].update(studies_judged=nj, study_retakes=nr,
                        study_retake_rate=nr / nj)
    qs = {}
    for key, q in con.execute(
            "SELECT %s, v.quality FROM instances i JOIN verdicts v"
            " ON v.instance_id = i.id WHERE i.received_at >= ?"
            " AND i.received_at < ? AND v.quality IS NOT NULL" % k, (lo, hi)):
        qs.setdefault(key, []).append(q)
    for key, xs in qs.items():
        out[key]["quality_median"] = quantile(sorted(xs), 0.5)
        out[key]["quality_p10"] = quantile(sorted(xs), 0.1)
    return out


def zero():
    return {m: (None if "rate" in m or "quality" in m else 0)
            for m in METRICS}


def change(c, p, m):
    return None if c[m] is None or p[m] is None else c[m] - p[m]


EXP = {}
for dim in KEYS:
    cur, prev = expected(dim, FROM, TO), expected(dim, PREV, FROM)
    for key in set(cur) | set(prev):
        c, p = cur.get(key, zero()), prev.get(key, zero())
        EXP[(dim, key)] = {"current": c, "previous": p,
                           "change": {m: change(c, p, m) for m in METRICS}}
check(EXP[("all", "all")]["current"]["images"] > 50, "data set too small")
check(EXP[("all", "all")]["previous"]["images"] > 20, "previous too small")
check(("station", "<script>alert(1)</script>") in EXP, "no xss station")

# ---- JSON ----
rep = json.load(open(tdir + "/report.json", encoding="utf-8"))
check(rep["from"] == FROM and rep["to"] == TO, "json period")
check(rep["previous_from"] == PREV, "json previous_from")
check(rep["title"] == "QC <Nightly> & co", "json title")
seen = set()
for dim in KEYS:
    keys = [g["key"] for g in rep["groups"][dim]]
    check(keys == sorted(keys, key=lambda s: s.encode()), "order " + dim)
    for g in rep["groups"][dim]:
        e = EXP.get((dim, g["key"]))
        if e is None:
            failures.append("json: unexpected group %s %r" % (dim, g["key"]))
            continue
        seen.add((dim, g["key"]))
        for part in ("current", "previous", "change"):
            for m in METRICS:
                if not close(g[part][m], e[part][m]):
                    failures.append("json %s %r %s %s: %r, SQL says %r" % (
                        dim, g["key"], part, m, g[part][m], e[part][m]))
check(seen == set(EXP), "json groups missing: %r" % (set(EXP) - seen))

# Histograms of the current period, per modality.
hist = {}
for key, q in con.execute(
        "SELECT COALESCE(NULLIF(i.modality, ''), '(none)'), v.quality"
        " FROM instances i LEFT JOIN verdicts v ON v.instance_id = i.id"
        " WHERE i.received_at >= ? AND i.received_at < ?", (FROM, TO)):
    h = hist.setdefault(key, [0] * 10)
    if q is not None:
        h[min(9, max(0, int(q // 10)))] += 1
got = {h["modality"]: h["counts"] for h in rep["quality_histograms"]}
check(got == hist, "histograms: %r, SQL says %r" % (got, hist))

# Retake rate per hour of the current period.
bins = [[0, 0, 0] for _ in range(24)]
for rx, v in con.execute(
        "SELECT i.received_at, v.verdict FROM instances i LEFT JOIN verdicts"
        " v ON v.instance_id = i.id WHERE i.received_at >= ?"
        " AND i.received_at < ?", (FROM, TO)):
    day, hh = int(rx[8:10]), int(rx[11:13])
    b = (day - 26) * 24 + hh - 6
    bins[b][0] += 1
    bins[b][1] += v in ("pass", "warn", "retake")
    bins[b][2] += v == "retake"
tl = rep["retake_over_time"]
check(rep["timeline_bin"] == "hour" and len(tl) == 24, "timeline bins")
for i, (b, e) in enumerate(zip(tl, bins)):
    check(b["from"] == "2026-11-%02dT%02d:00:00.000Z" % (
        26 + (i + 6) // 24, (i + 6) % 24), "bin %d start %s" % (i, b["from"]))
    check([b["images"], b["judged"], b["retake"]] == e,
          "bin %d: %r, SQL says %r" % (i, b, e))
    check(close(b["retake_rate"], e[2] / e[1] if e[1] else None),
          "bin %d rate" % i)

# Flagged rows: same set, order, fields.
flag = []
for row in con.execute(
        "SELECT 'image', i.id, i.study_instance_uid, v.decided_at,"
        " i.station_name, i.operator_name, i.accession_number, v.verdict,"
        " v.reasons FROM verdicts v JOIN instances i ON i.id = v.instance_id"
        " WHERE v.verdict IN ('warn','retake') AND v.decided_at >= ?"
        " AND v.decided_at < ?", (FROM, TO)):
    flag.append(row)
for row in con.execute(
        "SELECT 'study', 0, s.study_instance_uid, s.completed_at,"
        " f.station_name, f.operator_name, f.accession_number, s.verdict,"
        " s.reasons FROM studies s JOIN instances f ON f.id ="
        " (SELECT min(id) FROM instances WHERE study_instance_uid ="
        " s.study_instance_uid) WHERE s.complete = 1 AND s.verdict IN"
        " ('warn','retake') AND s.completed_at >= ? AND s.completed_at < ?",
        (FROM, TO)):
    flag.append(row)
# Newest first; then images before studies, higher id, study UID.
flag.sort(key=lambda r: r[2])
flag.sort(key=lambda r: r[1], reverse=True)
flag.sort(key=lambda r: r[0])
flag.sort(key=lambda r: r[3], reverse=True)
got = rep["flagged"]
check(len(got) == len(flag) and len(flag) > 5,
      "flagged: %d rows, SQL says %d" % (len(got), len(flag)))
for g, e in zip(got, flag):
    want = {"kind": e[0], "instance": e[1], "study_instance_uid": e[2],
            "at": e[3], "station": e[4], "operator": e[5],
            "accession": e[6], "verdict": e[7], "reasons": json.loads(e[8])}
    for k, v in want.items():
        check(g[k] == v, "flagged %s %s: %r, SQL says %r" % (
            e[0], e[1] or e[2], g[k], v))
S = "1.2.826.0.1.3680043.8.498.7777"
st = [g for g in got if g["kind"] == "study" and g["study_instance_uid"] == S]
check(len(st) == 1, "the flagged study is listed")
if st:
    st = st[0]
    check(st["ack"] == {"action": "retaken", "comment":
                        "Repeated with <b>better</b> positioning",
                        "by": "Tech & Co", "at": "2026-11-26T10:45:00.000Z"},
          "latest ack of the study: %r" % st["ack"])
    check(st["station"] == "FIRST-STATION", "study station: first instance")
    check(st["file"].endswith("/dx.dcm"), "study thumbnail: worst image")
    check(st["alert"] > 0, "study alert id")
check(rep["flagged_truncated"] is False, "not truncated")
acked = [g for g in got if g["kind"] == "image" and g["ack"]]
check(any(a["ack"]["action"] == "accepted" and a["ack"]["comment"] is None
          for a in acked), "image ack without comment")

# ---- CSV ----
rows = list(csv.DictReader(open(tdir + "/report.csv", encoding="utf-8",
                                newline="")))
check(list(rows[0].keys())[:6] == ["section", "group", "key", "images",
                                   "studies", "retake_rate"], "csv header")
ncsv = 0
for r in rows:
    if r["section"] not in ("current", "previous", "change"):
        continue
    key = r["key"][1:] if r["key"][:1] == "'" else r["key"]
    e = EXP.get((r["group"], key))
    if e is None:
        failures.append("csv: unexpected %r" % r)
        continue
    ncsv += 1
    for m in METRICS:
        want = e[r["section"]][m]
        got_v = None if r[m] == "" else float(r[m])
        if not close(got_v, want):
            failures.append("csv %s %s %r %s: %r, SQL says %r" % (
                r["section"], r["group"], key, m, r[m], want))
check(ncsv == 3 * len(EXP), "csv rows: %d, want %d" % (ncsv, 3 * len(EXP)))
check(any(r["key"] == "'@evil" for r in rows), "csv: formula guard on @")
ch = {(r["key"], int(r["bin_from"])): int(r["images"])
      for r in rows if r["section"] == "histogram"}
check(ch == {(k, 10 * b): n for k, h in hist.items()
             for b, n in enumerate(h)}, "csv histogram")
ct = [(int(r["images"]), int(r["judged"]), int(r["retake"]))
      for r in rows if r["section"] == "timeline"]
check(ct == [tuple(b) for b in bins], "csv timeline")

# ---- HTML ----
text = open(tdir + "/report.html", encoding="utf-8").read()
VOID = {"meta", "br", "img", "hr", "input", "link", "line", "rect",
        "polyline", "path", "circle", "col", "wbr"}


class Checker(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags, self.data = [], [], set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for k, v in attrs:
            if k.startswith("on") or (v and re.match(r"\s*(https?:|//|"
                                                      r"javascript:)", v)
                                      and k in ("src", "href")):
                self.errors.append("attribute %s=%r" % (k, v))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.add(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes %r" % (tag, self.stack[-3:]))
        else:
            self.stack.pop()

    def handle_data(self, d):
        self.data.append(d)


p = Checker()
p.feed(text)
p.close()
body = "".join(p.data)
check(text.startswith("<!DOCTYPE html>"), "html doctype")
check(not p.errors, "html structure: %r" % p.errors[:5])
check(not p.stack, "html unclosed: %r" % p.stack)
check("script" not in p.tags, "html has a script element")
check("<script" not in text.lower(), "raw <script in the HTML")
check("<img src=x" not in text, "raw <img from a reason")
check("&lt;script&gt;alert(1)&lt;/script&gt;" in text, "escaped station")
check("<script>alert(1)</script>" in body, "station shown as text")
check("QC &lt;Nightly&gt; &amp; co" in text, "escaped title")
check("O&#39;Hara &amp; &lt;b&gt;Sons&lt;/b&gt;" in text, "escaped operator")
for s in ("Underexposed: deviation index -4.2, limit -3",
          "Patient moved <script>x</script>",
          "Repeated with <b>better</b> positioning", "Tech & Co", "retaken",
          "Flagged studies and images", "Per station", "Per operator",
          "Quality distribution per modality", "Retake rate over time",
          "ACC-<7777>", "no image"):
    check(s in body, "html text %r" % s)
check(text.count("data:image/png;base64,") >= 2, "thumbnails embedded")
check(re.search(r"(?i)<link|@import|url\(|https?://(?!www\.w3\.org/2000/svg)",
                text) is None, "an external resource in the HTML")
check("@media print" in text and "break-before:page" in text, "print css")
check(text.count("<svg") >= 2, "svg charts")

for f in failures[:40]:
    print("FAIL", f)
print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
EOF

if "$PY" "$T/check.py" "$DB" "$T" >"$T/check.out" 2>&1; then
  ok "json, csv and html agree with SQL ($(tail -1 "$T/check.out"))"
else bad "report checks"; cat "$T/check.out"; fi

# ---- Chromium -------------------------------------------------------------
CHROME=$(command -v chromium || command -v chromium-browser ||
  command -v google-chrome || true)
if [ -z "$CHROME" ]; then
  echo "$pass passed, $fail failed"
  echo "SKIP: chromium not found: the HTML was not rendered"
  [ "$fail" = 0 ] && exit 77
  exit 1
fi
URL="file://$T/report.html"
CHROME_FLAGS="--headless --no-sandbox --disable-gpu --hide-scrollbars
  --user-data-dir=$T/chrome --window-size=1200,2000"
# shellcheck disable=SC2086
"$CHROME" $CHROME_FLAGS --dump-dom "$URL" >"$T/dom.html" 2>"$T/chrome.err"
if grep -q "Flagged studies and images" "$T/dom.html" &&
   grep -q "Repeated with &lt;b&gt;better&lt;/b&gt; positioning" \
     "$T/dom.html" &&
   grep -q "&lt;script&gt;alert(1)&lt;/script&gt;" "$T/dom.html" &&
   grep -q "Underexposed: deviation index -4.2, limit -3" "$T/dom.html" &&
   ! grep -qi "<script" "$T/dom.html"; then
  ok "chromium: the DOM holds the report, no script element"
else bad "chromium --dump-dom"; head -c 2000 "$T/dom.html"
  cat "$T/chrome.err"; fi
rm -f "$ART/report.png"
# shellcheck disable=SC2086
"$CHROME" $CHROME_FLAGS --screenshot="$ART/report.png" "$URL" \
  >"$T/chrome.out" 2>&1
if "$PY" - "$ART/report.png" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
w, h = struct.unpack(">II", d[16:24])
sys.exit(0 if d[:8] == b"\x89PNG\r\n\x1a\n" and (w, h) == (1200, 2000)
         and len(d) > 20000 else 1)
EOF
then ok "chromium: screenshot kept as $ART/report.png"
else bad "chromium --screenshot"; cat "$T/chrome.out"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
