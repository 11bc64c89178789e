/* SPDX-License-Identifier: BSD-3-Clause
 *
 * main.c - entry point of the dicomqc program: global options and the
 * dispatch to one subcommand per file (score.c, ...).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report.h"

#ifndef DICOMQC_VERSION
#define DICOMQC_VERSION "unknown"
#endif

/* One row per subcommand: drives both dispatch and --help. */
static const struct {
  const char *zName;          /* Subcommand as typed */
  int (*xMain)(int, char **); /* Its entry point */
  const char *zHelp;          /* One line for dicomqc --help */
} aCmd[] = {
    {"serve", cli_serve_main,
     "run the node: receive, archive, index and score images"},
    {"score", cli_score_main,
     "decode DICOM files and print their quality measures"},
    {"studies", cli_studies_main,
     "list the studies the node received, with their verdicts"},
    {"show", cli_show_main, "show one study: instances, measures, verdicts"},
    {"report", cli_report_main,
     "write the QC report of a period (HTML, CSV or JSON)"},
    {"compare", cli_compare_main,
     "compare two images by full-reference metrics (SSIM, PSNR ...)"},
    {"eval", cli_eval_main,
     "prove the modality profiles on labelled images (eval DIR)"},
    {"train", cli_train_main,
     "fit a NIQE model from images a site accepts (train niqe)"},
};

static void usage(FILE *out)
{
  fprintf(out, "Usage: dicomqc COMMAND [OPTIONS] [ARGS]\n"
               "DICOM quality-control node: decodes images and measures their "
               "quality.\n\nCommands:\n");
  for(size_t i = 0; i < sizeof(aCmd) / sizeof(aCmd[0]); i++)
    fprintf(out, "  %-10s %s\n", aCmd[i].zName, aCmd[i].zHelp);
  fprintf(out,
          "\nOptions:\n"
          "  -h, --help     show this help and exit\n"
          "  -V, --version  show the version and exit\n\n"
          "Run 'dicomqc COMMAND --help' for a command's options.\n\n%s",
          cli_exit_help);
}

int main(int argc, char **argv)
{
  if(argc < 2) {
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  if(strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(stdout);
    return CLI_EXIT_OK;
  }
  if(strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
    printf("dicomqc %s\n", DICOMQC_VERSION);
    return CLI_EXIT_OK;
  }
  for(size_t i = 0; i < sizeof(aCmd) / sizeof(aCmd[0]); i++)
    if(strcmp(argv[1], aCmd[i].zName) == 0)
      return aCmd[i].xMain(argc - 1, argv + 1);
  if(argv[1][0] == '-')
    return cli_usagef(NULL, "option %s: is unknown", argv[1]);
  return cli_usagef(NULL, "command '%s' is unknown", argv[1]);
}
