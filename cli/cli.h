/* SPDX-License-Identifier: BSD-3-Clause
 *
 * cli.h - shared declarations of the dicomqc program (cli/ only).
 *
 * The program is one file per subcommand (score.c, ...), dispatched by
 * main.c.  All output goes through the message functions of msg.c, which
 * add the "dicomqc: " prefix and the newline.  Exit codes are fixed here
 * and documented in --help and the README; a number is never reused.
 */
#ifndef DICOMQC_CLI_H
#define DICOMQC_CLI_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "dicom.h"
#include "qc.h"
#include "store.h"

/* Exit codes of dicomqc. */
#define CLI_EXIT_OK 0 /* Every input processed */
#define CLI_EXIT_INPUT                                                        \
  1                      /* An input or the database could not be
                             processed (each one named on stderr) */
#define CLI_EXIT_USAGE 2 /* Usage error */

/* Text of the exit code table, shared by every --help. */
extern const char cli_exit_help[];

/* Set by --quiet: warnings and notes are not printed. */
extern int cli_quiet;

/* "dicomqc: <message>" on stderr.  zFmt has no trailing newline. */
void cli_errorf(const char *zFmt, ...) __attribute__((format(printf, 1, 2)));
/* "dicomqc: warning: <message>" on stderr unless --quiet. */
void cli_warnf(const char *zFmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: the problem, then "try 'dicomqc CMD --help'".  Returns
 * CLI_EXIT_USAGE. */
int cli_usagef(const char *zCmd, const char *zFmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parses a decimal integer in 1..nMax; returns 0 on success, -1 for junk,
 * negatives, zero or too large values. */
int cli_parse_uint(const char *z, uint64_t nMax, uint64_t *pOut);

/* The measures of one image (measure.c), shared by `score` and the
 * node's workers.  Multi-frame images are measured on their middle
 * frame.  A measure that cannot be computed (an image under 3x3 has no
 * noise or sharpness) is NAN and left out of output and database. */
struct cli_result {
  struct qc_meta meta;     /* Header */
  int32_t nRows;           /* Rows, 0 if not decoded */
  int32_t nCols;           /* Columns */
  int32_t nFrames;         /* Frames */
  int hasMetrics;          /* 1 if the values below were computed */
  uint64_t mask;           /* Metrics asked for (cli_measures.mask) */
  double noise;            /* Immerkaer sigma, modality units */
  double sharp;            /* Laplacian variance of the 0..255 rendering */
  struct qc_exposure expo; /* Exposure statistics, modality units */
  double brisqueOpencv;    /* BRISQUE, OpenCV's model; NaN if not run */
  double brisqueLive;      /* BRISQUE, LIVE's model; NaN if not run */
  double niqe;             /* NIQE, LIVE pristine model; NaN if not run */
  double piqe;             /* PIQE 0..100; NaN if not run */
  struct qc_xray xray;     /* X-ray measures; NaN unless the profile uses
                              them */
  double xrayDiSource;     /* xray.diSource as a number; NaN if not run */
  struct qc_mr mr;         /* MR measures (median over the frames) */
  double mrGhostAxis;      /* mr.ghostAxis as a number; NaN if not run */
  struct qc_fundus fundus; /* Fundus measures */
  const struct qc_profile *pProfile; /* The image's profile, or NULL */
  struct qc_assessment assess;       /* Quality, verdict, reasons (unscored
                                  without a profile) */
  const char *zError; /* Failure message (names the file) or NULL */
  char zErrBuf[600];  /* Storage for zError */
};

/* One option of a subcommand (opts.c): a table of these drives both
 * parsing and --help. */
struct cli_opt {
  const char *zLong; /* --name */
  int hasArg;        /* 1 if it takes a value */
  const char *zArg;  /* Value name for --help, "" if none */
  const char *zHelp; /* Help text */
};

/* What cli_opt_next() found at argv[*pi]. */
#define CLI_OPT_FOUND      (-1) /* Option *pk, its value in *pzArg */
#define CLI_OPT_POSITIONAL (-2) /* Not an option: an operand */
#define CLI_OPT_END        (-3) /* "--": the rest are operands (skipped) */

/* Reads argv[*pi] against aOpt (nOpt entries; iHelp is the entry "-h"
 * means).  Returns one of the CLI_OPT_ values, advancing *pi past a "--"
 * or an option's value, or, for an unknown option or a missing value,
 * prints the usage error for command zCmd and returns CLI_EXIT_USAGE. */
int cli_opt_next(const char *zCmd, const struct cli_opt *aOpt, int nOpt,
                 int iHelp, int argc, char **argv, int *pi, int *pk,
                 const char **pzArg);

/* Prints one --help line per option. */
void cli_opt_help(FILE *out, const struct cli_opt *aOpt, int nOpt);

struct cJSON;

/* Prints the cJSON object o on one line of stdout and frees it (json.c).
 * Returns 0, or -1 when o is NULL or out of memory. */
int cli_json_line(struct cJSON *o);

/* A growable list of file paths (paths.c). */
struct cli_paths {
  char **az;   /* Paths, owned */
  size_t n;    /* Number used */
  size_t nMax; /* Allocated */
};

/* Adds zPath to pList, or the files under it (recursively, name order,
 * hidden entries skipped).  Returns the number of paths that could not
 * be read, each named on stderr. */
int cli_paths_collect(struct cli_paths *pList, const char *zPath);

/* Frees the paths; the list is empty again. */
void cli_paths_free(struct cli_paths *pList);

/* Number of metrics a result can hold, for cli_result_metric(). */
extern const int cli_metric_count;

/* Every metric (bit i = metric i of cli_result_metric()). */
#define CLI_METRICS_ALL (~(uint64_t)0 >> (64 - cli_metric_count))

/* The metrics to run and the models they need, loaded once and shared
 * read-only by every thread. */
#define CLI_NIQE_SITE_MAX 32 /* Site NIQE models, one per modality */
struct cli_profiles {
  int n;                /* Profiles in a */
  struct qc_profile *a; /* In file-name order, owned */
};

struct cli_measures {
  uint64_t mask;                    /* Bit i: metric i runs */
  struct cli_profiles profiles;     /* Modality profiles; n may be 0 */
  qc_brisque_model *pBrisqueOpencv; /* Loaded if brisque_opencv runs */
  qc_brisque_model *pBrisqueLive;   /* Loaded if brisque_live runs */
  qc_niqe_model *pNiqe;             /* LIVE pristine, if niqe runs */
  int nSite;                        /* Site models in aSite */
  struct {
    char zModality[17];       /* Modality it is for */
    qc_niqe_model *pFit;      /* Its model (niqe_<MODALITY>.txt) */
  } aSite[CLI_NIQE_SITE_MAX]; /* Site NIQE models, if niqe runs */
};

/* Name of metric i (0 <= i < cli_metric_count), or NULL. */
const char *cli_metric_name(int i);

/* Parses "name,name,..." (or "all") into a mask.  Returns 0, or -1 with
 * the reason in zErr (an unknown name, an empty list). */
int cli_measures_parse(const char *zList, uint64_t *pMask, char *zErr,
                       size_t nErr);

/* Loads the modality profiles of zProfileDir (NULL: zModelDir/profiles)
 * and from zModelDir the models the metrics of mask need: the BRISQUE
 * models, the LIVE NIQE model, and every site NIQE model
 * niqe_<MODALITY>.txt (`dicomqc train niqe`), used instead of the LIVE
 * one for images of that modality.  Returns 0, or -1 with the loader's
 * message (which names the file) in zErr. */
int cli_measures_open(const char *zModelDir, const char *zProfileDir,
                      uint64_t mask, struct cli_measures *p, char *zErr,
                      size_t nErr);

/* Reads one profile file (models/profiles/README.md) into *p and checks
 * it.  Returns 0, or -1 with "FILE:LINE: what" in zErr. */
int cli_profile_read(const char *zPath, struct qc_profile *p, char *zErr,
                     size_t nErr);

/* Reads every *.ini of zDir, in name order, into *pSet (free with
 * cli_profiles_free()).  Returns 0, or -1 with the first error (file,
 * line, key) in zErr and *pSet empty. */
int cli_profiles_load(const char *zDir, struct cli_profiles *pSet, char *zErr,
                      size_t nErr);

/* Frees the profiles of a set; it is empty again. */
void cli_profiles_free(struct cli_profiles *pSet);

/* The profile of pSet that fits an image best (qc_profile_match()), the
 * first in file-name order on a tie; NULL if none applies.  Owned by the
 * set. */
const struct qc_profile *cli_profile_for(const struct cli_profiles *pSet,
                                         const struct qc_meta *m);

/* The reasons of an assessment as a JSON array text; the caller frees it
 * with free().  NULL when memory is short. */
char *cli_reasons_json(const struct qc_assessment *a);

/* Adds "quality" (null when unscored), "verdict" and "reasons" of r to
 * the JSON object o (a file that failed is "unscored", quality null and
 * no reasons: its "error" says why). */
void cli_json_verdict(struct cJSON *o, const struct cli_result *r);

/* Adds zKey: z to o, or zKey: null when z is NULL (json.c). */
void cli_json_text(struct cJSON *o, const char *zKey, const char *z);

/* A reasons column (a JSON array of sentences, as stored) as a new cJSON
 * array; text that is not a JSON array, or NULL, gives an empty one.
 * The caller owns it (cJSON_Delete(), or add it to an object).  NULL
 * only when memory is short. */
struct cJSON *cli_json_reasons(const char *zJson);

/* Frees the models; p can be opened again. */
void cli_measures_close(struct cli_measures *p);

/* Decodes zPath within pLimits and measures it with the metrics of pM
 * into *r (always filled: on failure r->zError says why).  Cannot fail
 * otherwise.  Reentrant: pM is only read. */
void cli_measure_file(const char *zPath, const struct dicom_limits *pLimits,
                      const struct cli_measures *pM, struct cli_result *r);

/* Measures a decoded image whose header is pMeta (for `eval`, which
 * distorts images in memory) as cli_measure_file() does.  Returns QC_OK
 * or the qc/ failure (r is then partly filled). */
int cli_measure_image(const struct qc_image *pImg, const struct qc_meta *pMeta,
                      const struct cli_measures *pM, struct cli_result *r);

/* Metric i (0 <= i < cli_metric_count) of r: returns 1 and sets name, unit
 * and value (names and units are static strings) if it was computed, 0 if
 * absent. */
int cli_result_metric(const struct cli_result *r, int i, const char **pzName,
                      const char **pzUnit, double *pValue);

/* Fills *pIn from the header m for a file at zPath: identity and
 * acquisition fields only (sizes 0 = unknown; pointers into m and zPath:
 * valid while they are). */
void cli_meta_instance(const struct qc_meta *m, const char *zPath,
                       struct store_instance *pIn);

/* Fills *pIn from r's header for a file at zPath (pointers into r and
 * zPath: valid while they are). */
void cli_result_instance(const struct cli_result *r, const char *zPath,
                         struct store_instance *pIn);

/* Writes r's metrics and its verdict ("unscored", or "error" with the
 * message) for instance iInstance, inside the caller's transaction.
 * Returns a store status; the message is in store_errmsg(pDb). */
int cli_result_record(store *pDb, int64_t iInstance,
                      const struct cli_result *r);

/* Writes the current UTC time as "2026-11-27T14:00:00.123Z" (log.c). */
void cli_now_iso(char *zBuf, size_t nBuf);

/* One structured log line on stderr: "ts=... level=LEVEL " + the
 * formatted key=value pairs (no newline in zFmt).  Thread-safe. */
void cli_log(const char *zLevel, const char *zFmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Quotes z for a log value into zBuf (size nBuf, >= 3): "..." with \",
 * \\ and \xHH for control characters, truncated to fit.  Returns
 * zBuf. */
const char *cli_logq(char *zBuf, size_t nBuf, const char *z);

/* One alert delivery channel of the node (alerts.c): the log, the
 * --webhook and --alert-exec flags, or an INI section [alert NAME] that
 * routes some alerts to a webhook or a program.  Empty strings mean
 * unset; an empty filter list matches everything. */
#define CLI_MAX_CHANNELS 16
struct cli_channel {
  char zName[64];         /* "log", "webhook", "exec", or NAME */
  char zUrl[1024];        /* Webhook URL (http/https), "" for exec/log */
  char zSecretFile[1024]; /* File holding the HMAC key, "" = unsigned */
  char zExec[1024];       /* Program run with the JSON on stdin */
  char zStations[1024];   /* Station names, comma-separated */
  char zModalities[256];  /* Modalities, comma-separated */
  char zKinds[32];        /* "image", "study" or both */
};

/* Settings of `dicomqc serve` (config.c).  Sizes are bytes, times
 * seconds.  Empty zArchive/zDb mean DATA_DIR/archive and
 * DATA_DIR/dicomqc.db. */
struct cli_serve_cfg {
  char zAet[17];          /* Our AE title, 1..16 characters */
  uint32_t nPort;         /* TCP port; 0 = any free port */
  char zDataDir[1024];    /* Data folder */
  char zArchive[1024];    /* Archive folder, "" = DATA_DIR/archive */
  char zDb[1024];         /* Database, "" = DATA_DIR/dicomqc.db */
  uint32_t nMaxAssoc;     /* Concurrent associations, 1..256 */
  char zAllow[4096];      /* "AE[@HOST],..." or "" for everyone */
  uint32_t nWorkers;      /* Scoring threads, 0..256 (0: none) */
  uint32_t nStudyIdle;    /* Seconds without a new instance: study done */
  char zModelDir[1024];   /* Models, and profiles in profiles/ */
  char zProfileDir[1024]; /* Profiles, if not in zModelDir/profiles */
  char zMetrics[1024];    /* Metrics the workers run: "all" or names */
  uint32_t nAcseTimeout;  /* Association negotiation timeout, s */
  uint32_t nDimseTimeout; /* Timeout between messages, s */
  uint32_t nMaxPdu;       /* Largest PDU received, bytes */
  uint32_t nMinFreeMib;   /* Refuse stores below this free space, MiB */
  char zWebhook[1024];    /* --webhook URL, "" for none */
  char zWebhookSecretFile[1024]; /* Its HMAC key's file, "" = unsigned */
  char zAlertExec[1024];         /* --alert-exec PROGRAM, "" for none */
  uint32_t nAlertTimeout;        /* One delivery try at most, s */
  uint32_t nAlertRetryMax;       /* Longest wait between tries, s */
  uint32_t nAlertGiveUp;         /* Give up this long after the alert, s */
  char zHttp[300];               /* Console ADDR:PORT, or "off" */
  char zConsoleUrl[1024];        /* Console link in alerts, "" = from zHttp */
  char zTlsCert[1024];           /* DICOM TLS certificate, PEM; "" = plain */
  char zTlsKey[1024];            /* Its private key, PEM */
  char zTlsCa[1024];             /* CA file for client certificates, "" */
  char zTlsVerify[16];           /* none|optional|require, "" = require
                                    with zTlsCa, none without */
  char zTlsProfile[16];          /* bcp195|bcp195-nd|bcp195-ex, "" = bcp195 */
  struct cli_channel aChannel[CLI_MAX_CHANNELS]; /* [alert NAME] */
  int nChannel;                                  /* Entries used in aChannel */
};

/* Fills *c with the defaults (port 11112, AE DICOMQC, ./dicomqc-data,
 * one worker per core ...).  Cannot fail. */
void cli_serve_cfg_default(struct cli_serve_cfg *c);

/* Reads the INI file zFile (section [node], keys as in --help) into *c.
 * Returns 0, or -1 after naming every problem on stderr. */
int cli_serve_cfg_file(struct cli_serve_cfg *c, const char *zFile);

/* Applies --zFlag zValue (zValue NULL when missing).  Returns 0, or
 * CLI_EXIT_USAGE after printing the usage error. */
int cli_serve_cfg_flag(struct cli_serve_cfg *c, const char *zFlag,
                       const char *zValue);

/* Prints one help entry per setting: flag, text, INI key. */
void cli_serve_cfg_help(FILE *out);

/* ---- The running node's counters, alerts and console ---------------- */

/* Upper bounds, seconds, of the score latency histogram's buckets (the
 * last bucket, +Inf, is implicit). */
#define CLI_SCORE_BUCKETS 9
extern const double cli_score_bucket_le[CLI_SCORE_BUCKETS];

/* Counters shared by the node's threads (serve.c counts receptions and
 * scores, alerts.c deliveries; console.c prints them on /metrics). */
struct cli_stats {
  atomic_long nReceived;      /* C-STOREs handed to us */
  atomic_long nStored;        /* Of those, acknowledged with success */
  atomic_long nScored;        /* Images scored by the workers */
  atomic_long nDelivered;     /* Alert deliveries that succeeded */
  atomic_long nDeliveryFails; /* Delivery tries that failed */
  atomic_long aScoreBucket[CLI_SCORE_BUCKETS + 1]; /* Scores by latency
                                                      (not cumulative) */
  atomic_llong nScoreUsSum; /* Sum of score latencies, microseconds */
};

/* Adds one score that took `seconds` (decoding, measuring and judging
 * one image) to the histogram. */
void cli_stats_score(struct cli_stats *pStats, double seconds);

/* Reads "[alert NAME]" key zKey = zValue into the channel NAME of c
 * (created on its first key).  Returns 0, or -1 with zErr set. */
int cli_channel_set(struct cli_serve_cfg *c, const char *zName,
                    const char *zKey, const char *zValue, char *zErr,
                    size_t nErr);

/* The alert dispatcher (alerts.c): one thread per channel delivers the
 * outbox at least once, with retries and backoff. */
typedef struct cli_alerts cli_alerts;

/* What the dispatcher needs from the node; pointers outlive it. */
struct cli_alerts_cfg {
  const struct cli_serve_cfg *pCfg; /* Channels, timeouts, AE title */
  const char *zDb;                  /* Database file (read connections) */
  store_writer *pWriter;            /* Records deliveries */
  const char *zConsoleUrl;          /* Base of the console link */
  struct cli_stats *pStats;         /* Counters */
};

/* Checks the channels (URLs, programs, secret files), then starts one
 * thread per channel.  Returns 0 and sets *ppAlerts, or -1 with zErr set
 * (nothing started). */
int cli_alerts_start(const struct cli_alerts_cfg *pCfg, cli_alerts **ppAlerts,
                     char *zErr, size_t nErr);

/* Wakes the channels: a new alert is in the outbox.  Any thread. */
void cli_alerts_wake(cli_alerts *pAlerts);

/* Stops and joins the channel threads (a try in flight finishes or times
 * out first) and frees them.  NULL is a no-op. */
void cli_alerts_stop(cli_alerts *pAlerts);

/* The live console (console.c): libmicrohttpd on pCfg->zHttp. */
typedef struct cli_console cli_console;

struct cli_console_cfg {
  const char *zHttp;        /* "ADDR:PORT" */
  const char *zDb;          /* Database file (its own read connection) */
  store_writer *pWriter;    /* Records acknowledgments */
  const char *zAet;         /* Our AE title, shown on the page */
  struct cli_stats *pStats; /* Counters for /metrics */
  const struct dicom_limits *pLimits; /* Decoding limits (thumbnails) */
};

/* Starts serving.  Returns 0 and sets *ppConsole, or -1 with zErr set
 * (address in use, bad address, database). */
int cli_console_start(const struct cli_console_cfg *pCfg,
                      cli_console **ppConsole, char *zErr, size_t nErr);

/* The port it listens on (useful with port 0). */
unsigned cli_console_port(const cli_console *pConsole);

/* Stops serving and frees it.  NULL is a no-op. */
void cli_console_stop(cli_console *pConsole);

/* Opens the database file zPath, which must exist (store_open() would
 * create it), for the read-side commands (studies, show, report).
 * Returns the handle (free with store_close()), or NULL after naming the
 * problem on stderr (studies.c). */
store *cli_db_open_existing(const char *zPath);

/* Subcommands: argv[0] is the subcommand name.  Return an exit code. */
int cli_score_main(int argc, char **argv);
int cli_serve_main(int argc, char **argv);
int cli_studies_main(int argc, char **argv);
int cli_show_main(int argc, char **argv);
int cli_compare_main(int argc, char **argv);
int cli_train_main(int argc, char **argv);
int cli_eval_main(int argc, char **argv);

#endif /* DICOMQC_CLI_H */
