/* SPDX-License-Identifier: BSD-3-Clause
 *
 * opts.c - the option tables of the subcommands: one walker over argv
 * and one --help printer, so every command parses and explains its
 * options the same way (GNU long options "--name" and "--name VALUE",
 * "-h" for --help, "--" ends the options).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_opt_next(const char *zCmd, const struct cli_opt *aOpt, int nOpt,
                 int iHelp, int argc, char **argv, int *pi, int *pk,
                 const char **pzArg)
{
  const char *z = argv[*pi];
  int k = -1;
  *pzArg = NULL;
  if(strcmp(z, "--") == 0) {
    ++*pi;
    return CLI_OPT_END;
  }
  if(z[0] != '-' || z[1] == 0)
    return CLI_OPT_POSITIONAL;
  for(int j = 0; j < nOpt; j++)
    if(z[1] == '-' && strcmp(z + 2, aOpt[j].zLong) == 0)
      k = j;
  if(strcmp(z, "-h") == 0)
    k = iHelp;
  if(k < 0)
    return cli_usagef(zCmd, "option %s: is unknown", z);
  if(aOpt[k].hasArg) {
    if(*pi + 1 >= argc)
      return cli_usagef(zCmd, "option --%s: needs a value (%s)", aOpt[k].zLong,
                        aOpt[k].zArg);
    *pzArg = argv[++*pi];
  }
  *pk = k;
  return CLI_OPT_FOUND;
}

void cli_opt_help(FILE *out, const struct cli_opt *aOpt, int nOpt)
{
  for(int i = 0; i < nOpt; i++) {
    char z[40];
    snprintf(z, sizeof(z), "--%s%s%s", aOpt[i].zLong,
             aOpt[i].hasArg ? " " : "", aOpt[i].zArg);
    fprintf(out, "  %-18s %s\n", z, aOpt[i].zHelp);
  }
}
