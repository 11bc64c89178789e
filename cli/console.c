/* SPDX-License-Identifier: BSD-3-Clause
 *
 * console.c - the node's live console over HTTP (libmicrohttpd), by
 * default on 127.0.0.1:8104:
 *
 *   GET  /              the page: images and studies flagged retake or
 *                       warn, newest first, refreshed every second
 *   GET  /console.js    its script (a separate file, so that the page's
 *                       Content-Security-Policy can forbid inline script)
 *   GET  /api/flagged   the list as JSON
 *   GET  /thumb/N.png   thumbnail of instance N (only images the list
 *                       showed), rendered through the VOI window
 *   POST /api/ack       an acknowledgment, JSON {"instance": N | "study":
 *                       UID, "action": "retaken"|"accepted", "comment",
 *                       "by"}; only with Content-Type application/json,
 *                       which a cross-site form cannot send
 *   GET  /healthz       200 {"status":"ok",...} or 503
 *   GET  /metrics       Prometheus text format
 *
 * Everything that comes from a DICOM header reaches the page as JSON and
 * is put into the page with textContent, never as markup; the policy
 * header forbids inline and foreign script as a second wall.  The page
 * loads nothing from outside the node.
 *
 * One thread (libmicrohttpd's internal polling thread) serves every
 * request with one read connection; acknowledgments are written through
 * the node's writer.
 */
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"
#include "thumb.h"

#define BODY_MAX    16384 /* Largest request body accepted */
#define LIST_MAX    200   /* Flagged items listed */
#define THUMB_SLOTS 512   /* Thumbnails the list may name */
#define THUMB_SIDE  160   /* Longest thumbnail side, pixels */

/* An image the flagged list named: its file, and its thumbnail once
 * rendered. */
struct thumb {
  int64_t iInstance;   /* 0 = free slot */
  char *zPath;         /* Archive path */
  unsigned char *pPng; /* Rendered PNG, or NULL */
  size_t nPng;         /* Its size */
  int isBad;           /* Rendering failed: 404 from now on */
};

struct cli_console {
  struct cli_console_cfg cfg;       /* What the node gave */
  struct MHD_Daemon *pDaemon;       /* The server */
  store *pDb;                       /* Read connection (server thread only) */
  struct thumb aThumb[THUMB_SLOTS]; /* Server thread only */
  int iNextThumb;                   /* Next slot to reuse */
  unsigned port;                    /* Bound port */
};

/* A request body being received. */
struct body {
  char *z;      /* Bytes so far, NUL-terminated */
  size_t n;     /* Length */
  int isTooBig; /* Over BODY_MAX */
};

/* ---- the page ------------------------------------------------------ */

static const char zPage[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width\">\n"
    "<title>dicomqc console</title>\n<style>\n"
    "body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;"
    "color:#111}\n"
    "header{background:#1d2b3a;color:#fff;padding:.6em 1em;display:flex;"
    "gap:1.5em;align-items:baseline}\n"
    "header h1{font-size:1.2em;margin:0}\n#status{font-size:.9em;"
    "opacity:.85}\n"
    "main{padding:1em}\ntable{border-collapse:collapse;width:100%;"
    "background:#fff}\n"
    "th,td{border-bottom:1px solid #ddd;padding:.4em .5em;text-align:left;"
    "vertical-align:top;font-size:.92em}\n"
    "th{background:#e8ebef}\ntr.retake td:first-child{border-left:6px solid "
    "#c62828}\n"
    "tr.warn td:first-child{border-left:6px solid #f9a825}\n"
    "tr.target{outline:3px solid #1565c0}\n"
    ".verdict{font-weight:bold;text-transform:uppercase}\n"
    "tr.retake .verdict{color:#c62828}\ntr.warn .verdict{color:#a66f00}\n"
    "img.thumb{max-width:160px;max-height:160px;background:#000;"
    "display:block}\n"
    "ul.reasons{margin:0;padding-left:1.1em}\n.ack{font-size:.85em}\n"
    ".ack input{width:9em}\n.acked{color:#2e7d32;font-weight:bold}\n"
    ".empty{padding:2em;text-align:center;color:#555}\n"
    "</style></head><body>\n"
    "<header><h1>dicomqc &mdash; flagged images and studies</h1>"
    "<span id=\"node\"></span><span id=\"status\">connecting&hellip;"
    "</span></header>\n<main>\n<table id=\"flagged\"><thead><tr>"
    "<th>Image</th><th>Verdict</th><th>When</th><th>Modality</th>"
    "<th>Station</th><th>Operator</th><th>Accession</th><th>Reasons</th>"
    "<th>Acknowledgment</th></tr></thead><tbody></tbody></table>\n"
    "<p class=\"empty\" id=\"empty\" hidden>No image or study is flagged."
    "</p>\n</main>\n<script src=\"/console.js\"></script>\n</body></html>\n";

static const char zScript[] =
    "'use strict';\n"
    "let last = '';\n"
    "function el(tag, cls, text) {\n"
    "  const e = document.createElement(tag);\n"
    "  if (cls) e.className = cls;\n"
    "  if (text !== undefined && text !== null) e.textContent = "
    "String(text);\n"
    "  return e;\n"
    "}\n"
    "function keyOf(it) { return it.kind + ':' + (it.kind === 'image' ? "
    "it.instance : it.study_instance_uid); }\n"
    "async function ack(it, action, comment, by, btn) {\n"
    "  btn.disabled = true;\n"
    "  const body = {action: action, comment: comment, by: by};\n"
    "  if (it.kind === 'image') body.instance = it.instance; else "
    "body.study = it.study_instance_uid;\n"
    "  try {\n"
    "    const r = await fetch('/api/ack', {method: 'POST', headers: "
    "{'Content-Type': 'application/json'}, body: JSON.stringify(body)});\n"
    "    if (!r.ok) { const j = await r.json(); alert('Not recorded: ' + "
    "j.error); }\n"
    "  } catch (e) { alert('Not recorded: ' + e); }\n"
    "  last = ''; refresh();\n"
    "}\n"
    "function row(it, saved) {\n"
    "  const tr = el('tr', it.verdict);\n"
    "  tr.dataset.key = keyOf(it);\n"
    "  if (it.alert) tr.id = 'alert-' + it.alert;\n"
    "  const tdImg = el('td');\n"
    "  if (it.thumb) { const img = el('img', 'thumb'); img.src = it.thumb; "
    "img.alt = 'thumbnail'; tdImg.appendChild(img); }\n"
    "  tdImg.appendChild(el('div', '', it.kind === 'image' ? 'image' : "
    "'study'));\n"
    "  tr.appendChild(tdImg);\n"
    "  const tdV = el('td'); tdV.appendChild(el('div', 'verdict', "
    "it.verdict));\n"
    "  if (it.quality !== null) tdV.appendChild(el('div', '', 'quality ' + "
    "it.quality.toFixed(1)));\n"
    "  tr.appendChild(tdV);\n"
    "  tr.appendChild(el('td', '', (it.at || '').replace('T', ' ')."
    "replace('Z', ' UTC')));\n"
    "  tr.appendChild(el('td', '', [it.modality, it.body_part].filter(x => "
    "x).join(' ')));\n"
    "  tr.appendChild(el('td', '', it.station));\n"
    "  tr.appendChild(el('td', '', it.operator));\n"
    "  tr.appendChild(el('td', '', it.accession));\n"
    "  const tdR = el('td'); const ul = el('ul', 'reasons');\n"
    "  for (const r of it.reasons) ul.appendChild(el('li', '', r));\n"
    "  tdR.appendChild(ul); tr.appendChild(tdR);\n"
    "  const tdA = el('td', 'ack');\n"
    "  if (it.ack) {\n"
    "    tdA.appendChild(el('div', 'acked', it.ack.action === 'retaken' ? "
    "'Retaken' : 'Accepted as is'));\n"
    "    if (it.ack.comment) tdA.appendChild(el('div', '', it.ack.comment));"
    "\n"
    "    tdA.appendChild(el('div', '', (it.ack.by ? it.ack.by + ', ' : '') + "
    "(it.ack.at || '').replace('T', ' ').replace('Z', ' UTC')));\n"
    "  } else {\n"
    "    const c = el('input'); c.placeholder = 'comment'; c.name = "
    "'comment';\n"
    "    const b = el('input'); b.placeholder = 'your name'; b.name = 'by';\n"
    "    const s = saved[keyOf(it)];\n"
    "    if (s) { c.value = s.comment; b.value = s.by; }\n"
    "    const r1 = el('button', 'retaken', 'Retaken');\n"
    "    const r2 = el('button', 'accepted', 'Accepted as is');\n"
    "    r1.onclick = () => ack(it, 'retaken', c.value, b.value, r1);\n"
    "    r2.onclick = () => ack(it, 'accepted', c.value, b.value, r2);\n"
    "    tdA.append(c, ' ', b, el('br'), r1, ' ', r2);\n"
    "  }\n"
    "  tr.appendChild(tdA);\n"
    "  return tr;\n"
    "}\n"
    "async function refresh() {\n"
    "  const st = document.getElementById('status');\n"
    "  let text;\n"
    "  try {\n"
    "    const r = await fetch('/api/flagged', {cache: 'no-store'});\n"
    "    text = await r.text();\n"
    "  } catch (e) { st.textContent = 'node unreachable: ' + e; return; }\n"
    "  const d = JSON.parse(text);\n"
    "  st.textContent = 'updated ' + d.now.replace('T', ' ').replace('Z', "
    "' UTC');\n"
    "  document.getElementById('node').textContent = 'node ' + d.node;\n"
    "  if (text.replace(/\"now\":\"[^\"]*\"/, '') === last) return;\n"
    "  last = text.replace(/\"now\":\"[^\"]*\"/, '');\n"
    "  const tb = document.querySelector('#flagged tbody');\n"
    "  const saved = {};\n"
    "  for (const tr of tb.children) {\n"
    "    const c = tr.querySelector('input[name=comment]');\n"
    "    const b = tr.querySelector('input[name=by]');\n"
    "    if (c && (c.value || b.value)) saved[tr.dataset.key] = {comment: "
    "c.value, by: b.value};\n"
    "  }\n"
    "  tb.replaceChildren(...d.items.map(it => row(it, saved)));\n"
    "  document.getElementById('empty').hidden = d.items.length > 0;\n"
    "  const h = location.hash.slice(1);\n"
    "  if (h) { const t = document.getElementById(h); if (t) "
    "t.classList.add('target'); }\n"
    "}\n"
    "refresh();\n"
    "setInterval(refresh, 1000);\n";

/* ---- responses ----------------------------------------------------- */

/* Queues a response of n bytes of z (copied) with status and type. */
static enum MHD_Result reply(struct MHD_Connection *pConn, unsigned status,
                             const char *zType, const void *z, size_t n)
{
  struct MHD_Response *pR =
      MHD_create_response_from_buffer(n, (void *)z, MHD_RESPMEM_MUST_COPY);
  if(pR == NULL)
    return MHD_NO;
  MHD_add_response_header(pR, MHD_HTTP_HEADER_CONTENT_TYPE, zType);
  MHD_add_response_header(pR, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  MHD_add_response_header(pR, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(pR, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(pR, "X-Frame-Options", "DENY");
  MHD_add_response_header(pR, "Content-Security-Policy",
                          "default-src 'none'; script-src 'self'; "
                          "connect-src 'self'; img-src 'self'; "
                          "style-src 'unsafe-inline'; "
                          "frame-ancestors 'none'");
  enum MHD_Result rc = MHD_queue_response(pConn, status, pR);
  MHD_destroy_response(pR);
  return rc;
}

/* Replies with the cJSON document o (freed). */
static enum MHD_Result replyJson(struct MHD_Connection *pConn, unsigned status,
                                 cJSON *o)
{
  char *z = o ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  if(z == NULL)
    return reply(pConn, 500, "text/plain", "out of memory\n", 14);
  enum MHD_Result rc = reply(pConn, status, "application/json", z, strlen(z));
  free(z);
  return rc;
}

static enum MHD_Result replyError(struct MHD_Connection *pConn,
                                  unsigned status, const char *zMsg)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "error", zMsg);
  return replyJson(pConn, status, o);
}

/* ---- /api/flagged -------------------------------------------------- */

/* Remembers that the list named instance i with file zPath. */
static void thumbNote(struct cli_console *c, int64_t i, const char *zPath)
{
  for(int k = 0; k < THUMB_SLOTS; k++)
    if(c->aThumb[k].iInstance == i)
      return;
  struct thumb *t = &c->aThumb[c->iNextThumb];
  c->iNextThumb = (c->iNextThumb + 1) % THUMB_SLOTS;
  free(t->zPath);
  free(t->pPng);
  memset(t, 0, sizeof(*t));
  t->zPath = strdup(zPath);
  if(t->zPath)
    t->iInstance = i;
}

/* State of a listing. */
struct listing {
  struct cli_console *c; /* The console */
  cJSON *aItem;          /* Array being filled */
};

static int onFlagged(void *pCtx, const struct store_flagged *f)
{
  struct listing *l = pCtx;
  char zThumb[48];
  cJSON *o = cJSON_CreateObject();
  cJSON *aReason = cli_json_reasons(f->zReasonsJson);
  if(o == NULL || aReason == NULL) {
    cJSON_Delete(o);
    cJSON_Delete(aReason);
    return 1;
  }
  cli_json_text(o, "kind", f->zKind);
  if(f->iInstance)
    cJSON_AddNumberToObject(o, "instance", (double)f->iInstance);
  else
    cJSON_AddNullToObject(o, "instance");
  cli_json_text(o, "study_instance_uid", f->zStudyUid);
  cli_json_text(o, "series_instance_uid", f->zSeriesUid);
  cli_json_text(o, "sop_instance_uid", f->zSopUid);
  cli_json_text(o, "modality", f->zModality);
  cli_json_text(o, "body_part", f->zBodyPart);
  cli_json_text(o, "station", f->zStation);
  cli_json_text(o, "operator", f->zOperator);
  cli_json_text(o, "accession", f->zAccession);
  cli_json_text(o, "verdict", f->zVerdict);
  if(f->hasQuality)
    cJSON_AddNumberToObject(o, "quality", f->quality);
  else
    cJSON_AddNullToObject(o, "quality");
  cJSON_AddItemToObject(o, "reasons", aReason);
  cli_json_text(o, "at", f->zAt);
  cli_json_text(o, "received_at", f->zReceivedAt);
  if(f->iAlert)
    cJSON_AddNumberToObject(o, "alert", (double)f->iAlert);
  else
    cJSON_AddNullToObject(o, "alert");
  if(f->zFilePath && f->iThumbInstance > 0) {
    thumbNote(l->c, f->iThumbInstance, f->zFilePath);
    snprintf(zThumb, sizeof(zThumb), "/thumb/%lld.png",
             (long long)f->iThumbInstance);
    cJSON_AddStringToObject(o, "thumb", zThumb);
  } else {
    cJSON_AddNullToObject(o, "thumb");
  }
  if(f->zAckAction) {
    cJSON *a = cJSON_AddObjectToObject(o, "ack");
    cli_json_text(a, "action", f->zAckAction);
    cli_json_text(a, "comment", f->zAckComment);
    cli_json_text(a, "by", f->zAckBy);
    cli_json_text(a, "at", f->zAckAt);
  } else {
    cJSON_AddNullToObject(o, "ack");
  }
  cJSON_AddItemToArray(l->aItem, o);
  return 0;
}

static enum MHD_Result serveFlagged(struct cli_console *c,
                                    struct MHD_Connection *pConn)
{
  char zNow[40];
  cJSON *o = cJSON_CreateObject();
  struct listing l = {c, cJSON_AddArrayToObject(o, "items")};
  cli_now_iso(zNow, sizeof(zNow));
  cJSON_AddStringToObject(o, "node", c->cfg.zAet);
  cJSON_AddStringToObject(o, "now", zNow);
  if(store_flagged_list(c->pDb, NULL, NULL, LIST_MAX, onFlagged, &l) !=
     STORE_OK) {
    char q[600];
    cli_log("error", "event=console_failed what=flagged reason=%s",
            cli_logq(q, sizeof(q), store_errmsg(c->pDb)));
    cJSON_Delete(o);
    return replyError(pConn, 500, "the database cannot be read now");
  }
  return replyJson(pConn, 200, o);
}

/* ---- /thumb/N.png -------------------------------------------------- */

static enum MHD_Result serveThumb(struct cli_console *c,
                                  struct MHD_Connection *pConn,
                                  const char *zUrl)
{
  char *zEnd = NULL;
  long long i = strtoll(zUrl + 7, &zEnd, 10);
  struct thumb *t = NULL;
  if(i <= 0 || zEnd == NULL || strcmp(zEnd, ".png") != 0)
    return replyError(pConn, 404, "no such thumbnail");
  for(int k = 0; k < THUMB_SLOTS; k++)
    if(c->aThumb[k].iInstance == i)
      t = &c->aThumb[k];
  if(t == NULL || t->isBad)
    return replyError(pConn, 404, "no thumbnail for that image");
  if(t->pPng == NULL) {
    char zErr[600], q[700];
    if(cli_thumb_png(t->zPath, c->cfg.pLimits, THUMB_SIDE, &t->pPng, &t->nPng,
                     zErr, sizeof(zErr)) != 0) {
      t->isBad = 1;
      cli_log("warn", "event=thumbnail_failed id=%lld reason=%s", i,
              cli_logq(q, sizeof(q), zErr));
      return replyError(pConn, 404, "the image cannot be rendered");
    }
  }
  return reply(pConn, 200, "image/png", t->pPng, t->nPng);
}

/* ---- /api/ack ------------------------------------------------------ */

struct ackReq {
  int64_t iInstance;    /* Or 0 */
  const char *zStudy;   /* Or NULL */
  const char *zAction;  /* retaken | accepted */
  const char *zComment; /* May be NULL */
  const char *zBy;      /* May be NULL */
  int64_t iId;          /* OUT */
  int rc;               /* OUT: store status */
  char zErr[300];       /* OUT */
};

static int ackWork(store *pDb, void *pArg)
{
  struct ackReq *a = pArg;
  a->rc = store_ack_put(pDb, a->iInstance, a->zStudy, a->zAction, a->zComment,
                        a->zBy, &a->iId);
  if(a->rc != STORE_OK)
    snprintf(a->zErr, sizeof(a->zErr), "%s", store_errmsg(pDb));
  return a->rc;
}

static const char *jsonText(const cJSON *o, const char *zKey)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, zKey);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static enum MHD_Result serveAck(struct cli_console *c,
                                struct MHD_Connection *pConn,
                                const struct body *b)
{
  const char *zType = MHD_lookup_connection_value(
      pConn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
  char zErr[600], q1[200], q2[400];
  if(zType == NULL || strncmp(zType, "application/json", 16) != 0)
    return replyError(pConn, 415,
                      "send the acknowledgment as "
                      "application/json");
  if(b->isTooBig)
    return replyError(pConn, 413, "request body too large");
  cJSON *o = cJSON_ParseWithLength(b->z ? b->z : "", b->n);
  if(o == NULL || !cJSON_IsObject(o)) {
    cJSON_Delete(o);
    return replyError(pConn, 400, "the body is not a JSON object");
  }
  struct ackReq a;
  memset(&a, 0, sizeof(a));
  const cJSON *pInst = cJSON_GetObjectItemCaseSensitive(o, "instance");
  if(cJSON_IsNumber(pInst) && pInst->valuedouble >= 1 &&
     pInst->valuedouble < 9e15)
    a.iInstance = (int64_t)pInst->valuedouble;
  a.zStudy = jsonText(o, "study");
  a.zAction = jsonText(o, "action");
  a.zComment = jsonText(o, "comment");
  a.zBy = jsonText(o, "by");
  if((a.iInstance > 0) == (a.zStudy != NULL) || a.zAction == NULL) {
    cJSON_Delete(o);
    return replyError(pConn, 400,
                      "give \"instance\" (a number) or \"study\" (a UID), "
                      "and \"action\"");
  }
  int rc = store_writer_run(c->cfg.pWriter, ackWork, &a, zErr, sizeof(zErr));
  if(rc != STORE_OK) {
    enum MHD_Result r = replyError(pConn,
                                   a.rc == STORE_NOTFOUND ? 404
                                   : a.rc == STORE_MISUSE ? 400
                                                          : 500,
                                   a.zErr[0] ? a.zErr : zErr);
    cJSON_Delete(o);
    return r;
  }
  cli_log("info", "event=ack id=%lld instance=%lld study=%s action=%s by=%s",
          (long long)a.iId, (long long)a.iInstance,
          cli_logq(q1, sizeof(q1), a.zStudy), a.zAction,
          cli_logq(q2, sizeof(q2), a.zBy));
  cJSON_Delete(o);
  cJSON *r = cJSON_CreateObject();
  cJSON_AddBoolToObject(r, "ok", 1);
  cJSON_AddNumberToObject(r, "id", (double)a.iId);
  return replyJson(pConn, 200, r);
}

/* ---- /healthz and /metrics ----------------------------------------- */

static enum MHD_Result serveHealth(struct cli_console *c,
                                   struct MHD_Connection *pConn)
{
  int64_t nPending = 0, nClaimed = 0;
  cJSON *o = cJSON_CreateObject();
  if(store_queue_depth(c->pDb, &nPending, &nClaimed) != STORE_OK) {
    cJSON_AddStringToObject(o, "status", "error");
    cJSON_AddStringToObject(o, "reason", store_errmsg(c->pDb));
    return replyJson(pConn, 503, o);
  }
  cJSON_AddStringToObject(o, "status", "ok");
  cJSON_AddStringToObject(o, "node", c->cfg.zAet);
  cJSON_AddNumberToObject(o, "queue_pending", (double)nPending);
  cJSON_AddNumberToObject(o, "queue_claimed", (double)nClaimed);
  return replyJson(pConn, 200, o);
}

/* A growing text buffer. */
struct text {
  char *z;     /* Text, NUL-terminated */
  size_t n;    /* Length */
  size_t nMax; /* Allocated */
  int isOom;   /* An append failed */
};

static void textf(struct text *t, const char *zFmt, ...)
    __attribute__((format(printf, 2, 3)));

static void textf(struct text *t, const char *zFmt, ...)
{
  va_list ap;
  for(;;) {
    size_t nRoom = t->nMax - t->n;
    va_start(ap, zFmt);
    int m = t->z ? vsnprintf(t->z + t->n, nRoom, zFmt, ap) : -1;
    va_end(ap);
    if(t->z && m >= 0 && (size_t)m < nRoom) {
      t->n += (size_t)m;
      return;
    }
    if(t->isOom)
      return;
    size_t nNew = t->nMax ? t->nMax * 2 : 4096;
    char *z = realloc(t->z, nNew);
    if(z == NULL) {
      t->isOom = 1;
      return;
    }
    t->z = z;
    t->nMax = nNew;
  }
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static const char *labelValue(char *zBuf, size_t nBuf, const char *z)
{
  size_t j = 0;
  for(; *z && j + 3 < nBuf; z++) {
    if(*z == '\\' || *z == '"') {
      zBuf[j++] = '\\';
      zBuf[j++] = *z;
    } else if(*z == '\n') {
      zBuf[j++] = '\\';
      zBuf[j++] = 'n';
    } else {
      zBuf[j++] = *z;
    }
  }
  zBuf[j] = 0;
  return zBuf;
}

static int onVerdictCount(void *pCtx, const char *zModality,
                          const char *zVerdict, int64_t n)
{
  char q1[100], q2[40];
  textf(pCtx, "dicomqc_images{modality=\"%s\",verdict=\"%s\"} %lld\n",
        labelValue(q1, sizeof(q1), zModality ? zModality : ""),
        labelValue(q2, sizeof(q2), zVerdict ? zVerdict : ""), (long long)n);
  return 0;
}

static enum MHD_Result serveMetrics(struct cli_console *c,
                                    struct MHD_Connection *pConn)
{
  struct cli_stats *s = c->cfg.pStats;
  struct text t = {0};
  int64_t nPending = 0, nClaimed = 0, nGivenUp = 0, nRetrying = 0;
  int rc = store_queue_depth(c->pDb, &nPending, &nClaimed);
  if(rc == STORE_OK)
    rc = store_delivery_counts(c->pDb, &nGivenUp, &nRetrying);
  textf(&t,
        "# HELP dicomqc_received_total C-STORE requests received.\n"
        "# TYPE dicomqc_received_total counter\n"
        "dicomqc_received_total %ld\n"
        "# HELP dicomqc_stored_total Images stored and acknowledged.\n"
        "# TYPE dicomqc_stored_total counter\n"
        "dicomqc_stored_total %ld\n"
        "# HELP dicomqc_scored_total Images scored since the start.\n"
        "# TYPE dicomqc_scored_total counter\n"
        "dicomqc_scored_total %ld\n",
        atomic_load(&s->nReceived), atomic_load(&s->nStored),
        atomic_load(&s->nScored));
  textf(&t,
        "# HELP dicomqc_queue_depth Images waiting to be scored.\n"
        "# TYPE dicomqc_queue_depth gauge\n"
        "dicomqc_queue_depth{state=\"pending\"} %lld\n"
        "dicomqc_queue_depth{state=\"claimed\"} %lld\n",
        (long long)nPending, (long long)nClaimed);
  textf(&t, "# HELP dicomqc_images Images in the database by modality "
            "and verdict.\n# TYPE dicomqc_images gauge\n");
  if(rc == STORE_OK)
    rc = store_verdict_counts(c->pDb, onVerdictCount, &t);
  textf(&t,
        "# HELP dicomqc_alert_deliveries_total Alert delivery tries since "
        "the start.\n"
        "# TYPE dicomqc_alert_deliveries_total counter\n"
        "dicomqc_alert_deliveries_total{result=\"delivered\"} %ld\n"
        "dicomqc_alert_deliveries_total{result=\"failed\"} %ld\n"
        "# HELP dicomqc_alert_deliveries Alert deliveries by state.\n"
        "# TYPE dicomqc_alert_deliveries gauge\n"
        "dicomqc_alert_deliveries{state=\"retrying\"} %lld\n"
        "dicomqc_alert_deliveries{state=\"given_up\"} %lld\n",
        atomic_load(&s->nDelivered), atomic_load(&s->nDeliveryFails),
        (long long)nRetrying, (long long)nGivenUp);
  textf(&t, "# HELP dicomqc_score_seconds Time to decode, measure and "
            "judge one image.\n"
            "# TYPE dicomqc_score_seconds histogram\n");
  long nCum = 0;
  for(int i = 0; i <= CLI_SCORE_BUCKETS; i++) {
    nCum += atomic_load(&s->aScoreBucket[i]);
    if(i < CLI_SCORE_BUCKETS)
      textf(&t, "dicomqc_score_seconds_bucket{le=\"%g\"} %ld\n",
            cli_score_bucket_le[i], nCum);
    else
      textf(&t, "dicomqc_score_seconds_bucket{le=\"+Inf\"} %ld\n", nCum);
  }
  textf(&t,
        "dicomqc_score_seconds_sum %.6f\n"
        "dicomqc_score_seconds_count %ld\n",
        (double)atomic_load(&s->nScoreUsSum) / 1e6, nCum);
  enum MHD_Result r;
  if(t.isOom)
    r = reply(pConn, 500, "text/plain", "out of memory\n", 14);
  else if(rc != STORE_OK)
    r = reply(pConn, 503, "text/plain", "database unreadable\n", 20);
  else
    r = reply(pConn, 200, "text/plain; version=0.0.4; charset=utf-8", t.z,
              t.n);
  free(t.z);
  return r;
}

/* ---- dispatch ------------------------------------------------------ */

static enum MHD_Result onRequest(void *cls, struct MHD_Connection *pConn,
                                 const char *zUrl, const char *zMethod,
                                 const char *zVersion, const char *zUpload,
                                 size_t *pnUpload, void **ppConCls)
{
  struct cli_console *c = cls;
  (void)zVersion;
  if(strcmp(zMethod, "POST") == 0) {
    struct body *b = *ppConCls;
    if(b == NULL) {
      b = calloc(1, sizeof(*b));
      if(b == NULL)
        return MHD_NO;
      *ppConCls = b;
      return MHD_YES;
    }
    if(*pnUpload > 0) {
      if(b->n + *pnUpload > BODY_MAX) {
        b->isTooBig = 1;
      } else {
        char *z = realloc(b->z, b->n + *pnUpload + 1);
        if(z == NULL)
          return MHD_NO;
        memcpy(z + b->n, zUpload, *pnUpload);
        b->n += *pnUpload;
        z[b->n] = 0;
        b->z = z;
      }
      *pnUpload = 0;
      return MHD_YES;
    }
    if(strcmp(zUrl, "/api/ack") == 0)
      return serveAck(c, pConn, b);
    return replyError(pConn, 404, "no such resource");
  }
  if(strcmp(zMethod, "GET") != 0 && strcmp(zMethod, "HEAD") != 0)
    return replyError(pConn, 405, "method not allowed");
  if(strcmp(zUrl, "/") == 0)
    return reply(pConn, 200, "text/html; charset=utf-8", zPage,
                 sizeof(zPage) - 1);
  if(strcmp(zUrl, "/console.js") == 0)
    return reply(pConn, 200, "text/javascript; charset=utf-8", zScript,
                 sizeof(zScript) - 1);
  if(strcmp(zUrl, "/api/flagged") == 0)
    return serveFlagged(c, pConn);
  if(strncmp(zUrl, "/thumb/", 7) == 0)
    return serveThumb(c, pConn, zUrl);
  if(strcmp(zUrl, "/healthz") == 0)
    return serveHealth(c, pConn);
  if(strcmp(zUrl, "/metrics") == 0)
    return serveMetrics(c, pConn);
  return replyError(pConn, 404, "no such resource");
}

static void onCompleted(void *cls, struct MHD_Connection *pConn,
                        void **ppConCls, enum MHD_RequestTerminationCode e)
{
  (void)cls;
  (void)pConn;
  (void)e;
  struct body *b = *ppConCls;
  if(b) {
    free(b->z);
    free(b);
    *ppConCls = NULL;
  }
}

/* libmicrohttpd's own error messages go to the node's log. */
static void onMhdLog(void *cls, const char *zFmt, va_list ap)
{
  char z[600], q[700];
  (void)cls;
  vsnprintf(z, sizeof(z), zFmt, ap);
  size_t n = strlen(z);
  while(n > 0 && z[n - 1] == '\n')
    z[--n] = 0;
  cli_log("warn", "event=console_http reason=%s", cli_logq(q, sizeof(q), z));
}

/* ---- start and stop ------------------------------------------------ */

/* Parses "ADDR:PORT" or "[V6]:PORT" into *pAddr.  Returns 0 or -1. */
static int parseAddr(const char *zHttp, struct sockaddr_storage *pAddr,
                     int *pIsV6, char *zErr, size_t nErr)
{
  char zHost[256], zPort[16];
  const char *pColon = strrchr(zHttp, ':');
  const char *pHost = zHttp;
  size_t nHost = pColon ? (size_t)(pColon - zHttp) : 0;
  if(pColon == NULL || strlen(pColon + 1) == 0 ||
     strlen(pColon + 1) >= sizeof(zPort) || nHost >= sizeof(zHost)) {
    snprintf(zErr, nErr,
             "--http '%s': give ADDR:PORT, e.g. "
             "127.0.0.1:8104 or [::1]:8104",
             zHttp);
    return -1;
  }
  if(nHost >= 2 && pHost[0] == '[' && pHost[nHost - 1] == ']') {
    pHost++;
    nHost -= 2;
  }
  memcpy(zHost, pHost, nHost);
  zHost[nHost] = 0;
  snprintf(zPort, sizeof(zPort), "%s", pColon + 1);
  struct addrinfo hints, *pRes = NULL;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  int g = getaddrinfo(zHost[0] ? zHost : NULL, zPort, &hints, &pRes);
  if(g != 0 || pRes == NULL) {
    snprintf(zErr, nErr,
             "--http '%s': %s (give a numeric address and "
             "port)",
             zHttp, gai_strerror(g));
    return -1;
  }
  memcpy(pAddr, pRes->ai_addr, pRes->ai_addrlen);
  *pIsV6 = pRes->ai_family == AF_INET6;
  freeaddrinfo(pRes);
  return 0;
}

int cli_console_start(const struct cli_console_cfg *pCfg,
                      cli_console **ppConsole, char *zErr, size_t nErr)
{
  struct sockaddr_storage addr;
  int isV6 = 0;
  *ppConsole = NULL;
  memset(&addr, 0, sizeof(addr));
  if(parseAddr(pCfg->zHttp, &addr, &isV6, zErr, nErr))
    return -1;
  struct cli_console *c = calloc(1, sizeof(*c));
  if(c == NULL) {
    snprintf(zErr, nErr, "out of memory");
    return -1;
  }
  c->cfg = *pCfg;
  if(store_open(pCfg->zDb, &c->pDb) != STORE_OK) {
    snprintf(zErr, nErr, "%s: %s", pCfg->zDb, store_errmsg(c->pDb));
    cli_console_stop(c);
    return -1;
  }
  c->pDaemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
          (isV6 ? MHD_USE_IPv6 : 0),
      0, NULL, NULL, onRequest, c, MHD_OPTION_EXTERNAL_LOGGER, onMhdLog, c,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
      MHD_OPTION_NOTIFY_COMPLETED, onCompleted, c, MHD_OPTION_CONNECTION_LIMIT,
      (unsigned)64, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_END);
  if(c->pDaemon == NULL) {
    snprintf(zErr, nErr,
             "--http %s: cannot listen (address in use or not this "
             "machine's?); choose another with --http or turn the "
             "console off with --http off",
             pCfg->zHttp);
    cli_console_stop(c);
    return -1;
  }
  const union MHD_DaemonInfo *pInfo =
      MHD_get_daemon_info(c->pDaemon, MHD_DAEMON_INFO_BIND_PORT);
  c->port = pInfo ? pInfo->port : 0;
  *ppConsole = c;
  return 0;
}

unsigned cli_console_port(const cli_console *c)
{
  return c ? c->port : 0;
}

void cli_console_stop(cli_console *c)
{
  if(c == NULL)
    return;
  if(c->pDaemon)
    MHD_stop_daemon(c->pDaemon);
  store_close(c->pDb);
  for(int k = 0; k < THUMB_SLOTS; k++) {
    free(c->aThumb[k].zPath);
    free(c->aThumb[k].pPng);
  }
  free(c);
}
