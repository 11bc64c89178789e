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

#include <stdint.h>

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

/* Subcommands: argv[0] is the subcommand name.  Return an exit code. */
int cli_score_main(int argc, char **argv);

#endif /* DICOMQC_CLI_H */
