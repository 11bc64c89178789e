#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""test_alerts.py - alert delivery and the live console, end to end.

Real processes on 127.0.0.1: `dicomqc serve` with --webhook (signed),
--alert-exec and the console on a free port; images sent with
tests/scp/rawscu.py.  Checks, as a technician and an administrator meet
them:

  * the webhook receiver is down when the first retake arrives: the node
    retries and the alert arrives once the receiver is up;
  * the payload names the study, series, instance, modality, station,
    operator, accession, verdict, reasons, quality and console link, as
    the database and the DICOM header have them;
  * X-Dicomqc-Signature is HMAC-SHA256 over "<timestamp>.<body>" with the
    secret, computed here with Python's hmac module;
  * the exec hook gets the same JSON on stdin and DICOMQC_* variables;
  * the log names each alert (event=alert_notice);
  * after a restart of the node nothing is delivered twice;
  * /healthz and /metrics answer, their counts match the database;
  * in headless Chromium (Selenium + chromedriver): a new retake appears
    on the console within 2 s of its verdict, a station name holding
    markup shows as text and runs no script, and "Retaken" with a comment
    is stored in the database and shown; screenshots are kept in
    ARTIFACT_DIR.

Usage: test_alerts.py DICOMQC SOURCE_DIR ARTIFACT_DIR
Prints "N passed, N failed"; exit 1 on a failure, 77 (skip) when DCMTK's
dcmodify or sqlite3 is missing.  The browser part skips, saying so, when
chromium, chromedriver or Selenium is missing.
"""
import atexit
import hashlib
import hmac
import http.server
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

BIN, SRC, ARTIFACTS = sys.argv[1], sys.argv[2], sys.argv[3]
HERE = os.path.dirname(os.path.abspath(__file__))
RAWSCU = os.path.join(SRC, "tests", "scp", "rawscu.py")
SAMPLE = os.path.join(SRC, "samples", "dicom", "dx_chest_explicit_le.dcm")
SECRET = b"test-secret-\x01\xff"  # bytes a shell would mangle

from nodetest import check, finish, free_port  # noqa: E402


for tool in ("dcmodify", "dcmdump"):
    if shutil.which(tool) is None:
        print("SKIP: %s missing" % tool)
        sys.exit(77)

T = tempfile.mkdtemp(prefix="dicomqc-alerts-")
os.makedirs(ARTIFACTS, exist_ok=True)



# ---- the webhook receiver ------------------------------------------------

class Receiver:
    """Records every POST; answers 200."""

    def __init__(self, port):
        self.posts = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with outer.lock:
                    outer.posts.append((self.path, dict(self.headers), body,
                                        time.monotonic()))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                      Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def count(self):
        with self.lock:
            return len(self.posts)


# ---- the node ------------------------------------------------------------

def make_hook(name):
    """An exec hook that keeps its stdin and DICOMQC_* variables in a
    folder of its own, per alert id; returns (program, folder)."""
    out = os.path.join(T, name)
    os.makedirs(out)
    prog = os.path.join(T, name + ".py")
    with open(prog, "w") as f:
        f.write("#!%s\nimport os, sys\n"
                "d = sys.stdin.buffer.read()\n"
                "n = os.environ['DICOMQC_ALERT_ID']\n"
                "open(os.path.join(%r, n + '.json'), 'wb').write(d)\n"
                "open(os.path.join(%r, n + '.env'), 'w').write('\\n'.join(\n"
                "  k + '=' + v for k, v in sorted(os.environ.items())\n"
                "  if k.startswith('DICOMQC_')))\n"
                % (sys.executable, out, out))
    os.chmod(prog, 0o755)
    return prog, out


HOOK, HOOK_OUT = make_hook("hook")
SECRET_FILE = os.path.join(T, "secret")
with open(SECRET_FILE, "wb") as f:
    f.write(SECRET + b"\n")  # the trailing newline is not part of it
DATA = os.path.join(T, "data")
DB = os.path.join(DATA, "dicomqc.db")
HOOK_PORT = free_port()
node = None
node_log = None


def start_node(logname, extra=()):
    global node, node_log
    node_log = os.path.join(T, logname)
    node = subprocess.Popen(
        [BIN, "serve"] + list(extra) +
        ["--port", "0", "--data-dir", DATA, "--workers", "1",
         "--http", "127.0.0.1:0",
         "--webhook", "http://127.0.0.1:%d/hook" % HOOK_PORT,
         "--webhook-secret-file", SECRET_FILE, "--alert-exec", HOOK,
         "--alert-retry-max", "1", "--alert-timeout", "5"],
        stderr=open(node_log, "w"))
    for _ in range(200):
        with open(node_log) as f:
            text = f.read()
        if "event=listening" in text:
            line = [x for x in text.splitlines() if "event=listening" in x][0]
            kv = dict(p.split("=", 1) for p in line.split() if "=" in p)
            return int(kv["port"]), int(kv["http_port"])
        if node.poll() is not None:
            break
        time.sleep(0.05)
    print(open(node_log).read())
    check("node starts", False)
    finish()


def stop_node():
    node.send_signal(signal.SIGTERM)
    rc = node.wait(30)
    check("SIGTERM ends the node with exit 0", rc == 0, rc)


def make_image(name, sop, station, operator="TECH^ALEX",
               accession="ACC-" + "1"):
    """A copy of the retake sample with its own SOP Instance UID."""
    path = os.path.join(T, name)
    shutil.copy(SAMPLE, path)
    # dcmodify updates (0002,0003) with the SOP Instance UID.
    subprocess.run(["dcmodify", "-nb", "-i", "(0008,0018)=" + sop,
                    "-i", "(0008,1010)=" + station,
                    "-i", "(0008,1070)=" + operator,
                    "-i", "(0008,0050)=" + accession, path],
                   check=True, capture_output=True)
    return path


def send(port, *paths):
    r = subprocess.run([sys.executable, RAWSCU, "127.0.0.1", str(port),
                        "MODALITY1", "DICOMQC"] + list(paths),
                       capture_output=True, text=True)
    return r.returncode == 0, time.monotonic()


def db(sql, *args):
    con = sqlite3.connect("file:%s?mode=ro" % DB, uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def wait_for(cond, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def http_get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path),
                                timeout=10) as r:
        return r.status, r.headers, r.read()


def cleanup():
    """Kills a node left running by a failed check or an exception."""
    if node is not None and node.poll() is None:
        node.kill()
        node.wait()
    shutil.rmtree(T, ignore_errors=True)


atexit.register(cleanup)

# ---- 1. receiver down, then up ------------------------------------------

UID = "1.2.826.0.1.3680043.8.498.7"
port, http_port = start_node("node1.log", ["--study-idle", "3600"])
img1 = make_image("a1.dcm", UID + ".1", "ROOM-1", accession="ACC-1")
ok, _ = send(port, img1)
check("the retake image is stored", ok)
check("a webhook try fails while the receiver is down",
      wait_for(lambda: "event=alert_delivery_failed channel=webhook"
               in open(node_log).read(), 20))
recv = Receiver(HOOK_PORT)
check("the alert arrives once the receiver is up (retried)",
      wait_for(lambda: recv.count() >= 1, 10), recv.count())
time.sleep(0.5)
check("... exactly once", recv.count() == 1, recv.count())

# ---- 2. the payload and its signature ------------------------------------

path, headers, body, _ = recv.posts[0]
doc = json.loads(body)
row = db("SELECT a.id, i.study_instance_uid, i.series_instance_uid,"
         " i.sop_instance_uid, i.modality, i.station_name, i.operator_name,"
         " i.accession_number, v.quality, v.reasons, a.created_at"
         " FROM alerts a JOIN instances i ON i.id = a.instance_id"
         " JOIN verdicts v ON v.instance_id = i.id")[0]
dump = subprocess.run(["dcmdump", "+P", "0020,000d", "+P", "0008,1010",
                       img1], capture_output=True, text=True).stdout
check("POST goes to the configured path", path == "/hook", path)
check("payload: alert id, kind, verdict",
      (doc["alert_id"], doc["kind"], doc["verdict"]) ==
      (row[0], "image", "retake"), doc)
check("payload: UIDs as stored",
      (doc["study_instance_uid"], doc["series_instance_uid"],
       doc["sop_instance_uid"]) == (row[1], row[2], row[3]))
check("payload: the study UID and station are the DICOM header's",
      row[1] in dump and "ROOM-1" in dump and doc["station"] == "ROOM-1")
check("payload: modality, operator, accession",
      (doc["modality"], doc["operator"], doc["accession"]) ==
      (row[4], row[6], row[7]) == ("DX", "TECH^ALEX", "ACC-1"), doc)
check("payload: quality and reasons as the verdict has them",
      abs(doc["quality"] - row[8]) < 1e-9 and
      doc["reasons"] == json.loads(row[9]) and len(doc["reasons"]) > 0)
check("payload: alerted_at, console link",
      doc["alerted_at"] == row[10] and
      doc["console_url"] == "http://127.0.0.1:%d/#alert-%d"
      % (http_port, row[0]), doc.get("console_url"))
ts = headers.get("X-Dicomqc-Timestamp", "")
want = hmac.new(SECRET, ts.encode() + b"." + body, hashlib.sha256)
check("X-Dicomqc-Signature is HMAC-SHA256(secret, timestamp.body)",
      headers.get("X-Dicomqc-Signature") == "sha256=" + want.hexdigest(),
      headers.get("X-Dicomqc-Signature"))
check("the timestamp is now (within 60 s)",
      ts.isdigit() and abs(int(ts) - time.time()) < 60, ts)
check("X-Dicomqc-Alert carries the idempotency key",
      headers.get("X-Dicomqc-Alert") == doc["key"], headers)
check("Content-Type is application/json",
      headers.get("Content-Type") == "application/json")

# ---- 3. the exec hook and the log ----------------------------------------

hook_json = os.path.join(HOOK_OUT, "%d.json" % row[0])
check("the exec hook ran", wait_for(lambda: os.path.exists(hook_json), 10))
if os.path.exists(hook_json):
    check("the exec hook got the same JSON on stdin",
          json.loads(open(hook_json, "rb").read()) == doc)
    env = dict(x.split("=", 1) for x in
               open(os.path.join(HOOK_OUT, "%d.env" % row[0])).read()
               .splitlines())
    check("the exec hook's DICOMQC_* variables",
          env.get("DICOMQC_STATION") == "ROOM-1" and
          env.get("DICOMQC_VERDICT") == "retake" and
          env.get("DICOMQC_SOP_UID") == row[3] and
          env.get("DICOMQC_REASON") == doc["reasons"][0], env)
log1 = open(node_log).read()
check("the log names the alert (event=alert_notice with its reason)",
      "event=alert_notice id=%d kind=image" % row[0] in log1 and
      'station="ROOM-1"' in log1)

# ---- 4. more alerts, then a restart: no duplicates ------------------------

imgs = [make_image("b%d.dcm" % i, UID + ".2.%d" % i, "ROOM-2",
                   accession="ACC-2") for i in range(3)]
ok, _ = send(port, *imgs)
check("three more retakes stored", ok)
check("their alerts arrive",
      wait_for(lambda: recv.count() == 4, 20), recv.count())
stop_node()
n_before = recv.count()
port, http_port = start_node("node2.log", ["--study-idle", "3600"])
time.sleep(3)
keys = [h.get("X-Dicomqc-Alert") for _, h, _, _ in recv.posts]
check("after a restart nothing is delivered again (%d posts)" % n_before,
      recv.count() == n_before == 4 and len(set(keys)) == 4, keys)
check("every alert is settled",
      db("SELECT count(*) FROM alerts WHERE delivered_at IS NULL")[0][0] == 0)
check("webhook, exec and log each delivered 4 alerts",
      db("SELECT channel, count(*) FROM alert_deliveries WHERE state ="
         " 'delivered' GROUP BY channel ORDER BY channel") ==
      [("exec", 4), ("log", 4), ("webhook", 4)])

# ---- 5. /healthz and /metrics --------------------------------------------

st, hd, b = http_get(http_port, "/healthz")
check("/healthz answers 200 ok",
      st == 200 and json.loads(b)["status"] == "ok", b)
st, hd, b = http_get(http_port, "/metrics")
metrics = b.decode()
nretake = db("SELECT count(*) FROM verdicts v JOIN instances i ON"
             " i.id = v.instance_id WHERE i.modality = 'DX' AND"
             " v.verdict = 'retake'")[0][0]
check("/metrics is Prometheus text with verdict counts from the database",
      st == 200 and hd.get("Content-Type", "").startswith("text/plain") and
      'dicomqc_images{modality="DX",verdict="retake"} %d' % nretake
      in metrics and "# TYPE dicomqc_score_seconds histogram" in metrics and
      'dicomqc_queue_depth{state="pending"} 0' in metrics, metrics[:400])

# ---- 6. the console in a real browser -------------------------------------

def open_browser():
    """Headless Chromium through Selenium, or None (skip, said why)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        print("SKIP browser: python3-selenium missing")
        return None
    drv = shutil.which("chromedriver")
    if drv is None or shutil.which("chromium") is None:
        print("SKIP browser: chromium or chromedriver missing")
        return None
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--window-size=1400,1000"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(drv), options=opts)


def browser_part():
    browser = open_browser()
    if browser is None:
        return
    from selenium.webdriver.common.by import By
    from selenium.common.exceptions import NoAlertPresentException
    try:
        browser.get("http://127.0.0.1:%d/" % http_port)
        check("the console lists the 4 flagged images",
              wait_for(lambda: len(browser.find_elements(
                  By.CSS_SELECTOR, "tr.retake")) == 4, 5))
        # A new retake whose station name is markup.
        evil = "<img src=x onerror=alert(1)><script>alert(2)</script>"
        img = make_image("c.dcm", UID + ".3", evil, accession="ACC-3")
        ok, _ = send(port, img)
        check("the markup-named retake is stored", ok)
        check("... and judged",
              wait_for(lambda: db("SELECT count(*) FROM verdicts v JOIN"
                                  " instances i ON i.id = v.instance_id"
                                  " WHERE i.sop_instance_uid = ?",
                                  UID + ".3")[0][0] == 1, 20))
        t_verdict = time.monotonic()
        appeared = wait_for(lambda: len(browser.find_elements(
            By.CSS_SELECTOR, "tr.retake")) == 5, 2.0)
        dt = time.monotonic() - t_verdict
        check("the new retake appears on the console within 2 s of its "
              "verdict (%.2f s)" % dt, appeared and dt <= 2.0)
        rows = browser.find_elements(By.CSS_SELECTOR, "tr.retake")
        top = rows[0]
        check("newest first, the station shown as text",
              evil in top.text, top.text[:200])
        check("the markup did not become elements or run",
              len(browser.find_elements(By.CSS_SELECTOR, "img[src='x']"))
              == 0 and len(browser.find_elements(
                  By.CSS_SELECTOR, "tbody script")) == 0)
        try:
            browser.switch_to.alert
            check("no script dialog opened", False)
        except NoAlertPresentException:
            check("no script dialog opened", True)
        thumbs = top.find_elements(By.CSS_SELECTOR, "img.thumb")
        check("the row has a rendered thumbnail",
              len(thumbs) == 1 and browser.execute_script(
                  "return arguments[0].complete && "
                  "arguments[0].naturalWidth > 0", thumbs[0]))
        browser.save_screenshot(os.path.join(ARTIFACTS, "console.png"))
        # Acknowledge it.
        top.find_element(By.NAME, "comment").send_keys("repeated, better")
        top.find_element(By.NAME, "by").send_keys("RT Ann")
        top.find_element(By.CSS_SELECTOR, "button.retaken").click()
        check("the acknowledgment is stored",
              wait_for(lambda: db("SELECT a.action, a.comment, a.by_name"
                                  " FROM acks a JOIN instances i ON"
                                  " i.id = a.instance_id WHERE"
                                  " i.sop_instance_uid = ?", UID + ".3") ==
                       [("retaken", "repeated, better", "RT Ann")], 5))
        def top_text():  # one call: the page may redraw in between
            return browser.execute_script(
                "const r = document.querySelector('tr.retake');"
                "return r ? r.textContent : '';")
        check("the console shows it",
              wait_for(lambda: "Retaken" in top_text() and
                       "repeated, better" in top_text(), 3), top_text())
        browser.save_screenshot(os.path.join(ARTIFACTS,
                                             "console-acked.png"))
    finally:
        browser.quit()


browser_part()

def post_ack(body, ctype="application/json"):
    req = urllib.request.Request(
        "http://127.0.0.1:%d/api/ack" % http_port, data=body,
        headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


st, js = post_ack(b"{not json")
check("an acknowledgment that is not JSON gets 400 and a reason",
      st == 400 and "JSON" in js["error"], (st, js))
st, js = post_ack(json.dumps({"instance": 99999,
                              "action": "retaken"}).encode())
check("an acknowledgment of an unknown image gets 404",
      st == 404 and "99999" in js["error"], (st, js))
st, js = post_ack(json.dumps({"instance": 1, "action": "ignored"}).encode())
check("an unknown action gets 400", st == 400, (st, js))
st, js = post_ack(b'{"comment": "' + b"x" * 20000 + b'"}')
check("a 20 kB body gets 413", st == 413, (st, js))
try:
    http_get(http_port, "/thumb/99999.png")
    check("a thumbnail the list never named is 404", False)
except urllib.error.HTTPError as e:
    check("a thumbnail the list never named is 404", e.code == 404)

# A form post from another site cannot acknowledge (no JSON type).
req = urllib.request.Request(
    "http://127.0.0.1:%d/api/ack" % http_port,
    data=b"instance=1&action=accepted",
    headers={"Content-Type": "application/x-www-form-urlencoded"})
try:
    urllib.request.urlopen(req, timeout=10)
    check("a form-encoded acknowledgment is refused", False)
except urllib.error.HTTPError as e:
    check("a form-encoded acknowledgment is refused (415)", e.code == 415)
stop_node()

# Channels that cannot work stop the start, with the reason.
for args, want in (
        (["--webhook", "ftp://127.0.0.1/x"], "not an http:// or https://"),
        (["--alert-exec", os.path.join(T, "missing")], "cannot be run"),
        (["--webhook", "http://127.0.0.1:1/", "--webhook-secret-file",
          os.path.join(T, "missing")], "cannot read the webhook secret")):
    r = subprocess.run([BIN, "serve", "--port", "0", "--http", "off",
                        "--data-dir", DATA] + args, capture_output=True,
                       text=True, timeout=30)
    check("serve %s: exit 1, '%s'" % (" ".join(args[:2]), want),
          r.returncode == 1 and want in r.stderr, r.stderr[-300:])

# ---- 7. routes: per station and per kind, and a study alert ---------------

HOOK2, OUT2 = make_hook("ward2")
HOOK3, OUT3 = make_hook("studies")
INI = os.path.join(T, "node.ini")
with open(INI, "w") as f:
    f.write("[node]\nstudy_idle = 2\n\n"
            "[alert ward2]\nexec = %s\nstations = room-2, ROOM-7\n"
            "kinds = image\n\n"
            "[alert studies]\nexec = %s\nkinds = study\n"
            "modalities = DX\n" % (HOOK2, HOOK3))
port, http_port = start_node("node3.log", ["--config", INI])
n_posts = recv.count()
browser = open_browser()
if browser is not None:
    browser.get("http://127.0.0.1:%d/" % http_port)
a2 = make_image("d.dcm", UID + ".4", "ROOM-2", accession="ACC-4")
a9 = make_image("e.dcm", UID + ".5", "ROOM-9", accession="ACC-5")
ok, _ = send(port, a2, a9)
check("two more retakes stored (stations ROOM-2 and ROOM-9)", ok)
# Both images, then the study (idle 2 s) reach the webhook.
check("the webhook gets both image alerts and the study alert",
      wait_for(lambda: recv.count() == n_posts + 3, 20),
      recv.count() - n_posts)
new = [json.loads(b) for _, _, b, _ in recv.posts[n_posts:]]
study = [d for d in new if d["kind"] == "study"]
study_uid = doc["study_instance_uid"]
if browser is not None:
    # The study row: within 2 s of the study's verdict.  (The new images
    # reopened the study; it closes again 2 s after the last one.)
    key = "study:" + study_uid

    def study_row():
        return browser.execute_script(
            "const r = document.querySelector('tr[data-key=\"' +"
            " arguments[0] + '\"]'); return r ? r.textContent : '';", key)

    def completed():
        return db("SELECT completed_at FROM studies WHERE"
                  " study_instance_uid = ?", study_uid)[0][0]
    wait_for(lambda: completed() is not None, 10)
    t_done = time.monotonic()
    appeared = wait_for(lambda: "retake" in study_row().lower(), 2.0)
    dt = time.monotonic() - t_done
    check("the retake study appears on the console within 2 s of its "
          "verdict (%.2f s)" % dt, appeared and dt <= 2.0, study_row()[:200])
    browser.save_screenshot(os.path.join(ARTIFACTS, "console-study.png"))
    browser.quit()
check("the study alert names the study, its first image's station, no "
      "quality", len(study) == 1 and study[0]["study_instance_uid"] ==
      doc["study_instance_uid"] and study[0]["station"] == "ROOM-1" and
      study[0]["quality"] is None and study[0]["sop_instance_uid"] is None
      and len(study[0]["reasons"]) > 0, study)
time.sleep(1)
got2 = sorted(json.loads(open(os.path.join(OUT2, x), "rb").read())
              ["sop_instance_uid"] for x in os.listdir(OUT2)
              if x.endswith(".json"))
check("route ward2 (stations room-2, ROOM-7; images) gets only the "
      "ROOM-2 image", got2 == [UID + ".4"], got2)
got3 = [json.loads(open(os.path.join(OUT3, x), "rb").read())["kind"]
        for x in os.listdir(OUT3) if x.endswith(".json")]
check("route studies (DX studies) gets only the study alert",
      got3 == ["study"], got3)
check("the routes recorded the alerts they exclude as skipped",
      db("SELECT state, count(*) FROM alert_deliveries WHERE channel ="
         " 'ward2' GROUP BY state ORDER BY state") ==
      [("delivered", 1), ("skipped", 2)])
check("every alert is settled",
      wait_for(lambda: db("SELECT count(*) FROM alerts WHERE"
                          " delivered_at IS NULL")[0][0] == 0, 5))
stop_node()
recv.stop()
finish()
