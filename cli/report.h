/* SPDX-License-Identifier: BSD-3-Clause
 *
 * report.h - `dicomqc report`, the nightly QC report (report.c).
 *
 * Kept apart from cli.h so that the report can be added without touching
 * the declarations every other subcommand shares.
 */
#ifndef DICOMQC_CLI_REPORT_H
#define DICOMQC_CLI_REPORT_H

/* Runs `dicomqc report`; argv[0] is "report".  Writes the report of one
 * period as HTML, CSV or JSON to --out (through FILE.tmp and a rename,
 * so a reader never sees half a report) and returns an exit code of
 * cli.h: CLI_EXIT_OK, CLI_EXIT_INPUT (database or output file failed,
 * named on stderr) or CLI_EXIT_USAGE. */
int cli_report_main(int argc, char **argv);

#endif /* DICOMQC_CLI_REPORT_H */
