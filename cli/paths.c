/* SPDX-License-Identifier: BSD-3-Clause
 *
 * paths.c - the files a command works on: each path given, or the files
 * under it (directories walked recursively in name order, hidden entries
 * skipped, at most 64 levels deep).  Used by `score` and `train niqe`.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static int pathAdd(struct cli_paths *p, const char *z)
{
  if(p->n == p->nMax) {
    size_t nNew = p->nMax ? 2 * p->nMax : 64;
    char **az = realloc(p->az, nNew * sizeof(char *));
    if(az == NULL)
      return -1;
    p->az = az;
    p->nMax = nNew;
  }
  p->az[p->n] = strdup(z);
  return p->az[p->n++] ? 0 : -1;
}

static int cmpStr(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds zPath, or the files under it in name order; returns the number of
 * paths that could not be read (each named on stderr). */
static int collect(const char *zPath, struct cli_paths *pList, int depth)
{
  struct stat st;
  if(stat(zPath, &st) != 0) {
    cli_errorf("%s: cannot open: %s", zPath, strerror(errno));
    return 1;
  }
  if(!S_ISDIR(st.st_mode))
    return pathAdd(pList, zPath) ? 1 : 0;
  if(depth > 64) {
    cli_errorf("%s: directories nested too deep", zPath);
    return 1;
  }
  DIR *d = opendir(zPath);
  if(d == NULL) {
    cli_errorf("%s: cannot read directory: %s", zPath, strerror(errno));
    return 1;
  }
  struct cli_paths sub = {0};
  struct dirent *e;
  int nBad = 0;
  while((e = readdir(d)) != NULL) {
    if(e->d_name[0] == '.')
      continue;
    char z[4096];
    snprintf(z, sizeof(z), "%s/%s", zPath, e->d_name);
    nBad += pathAdd(&sub, z) ? 1 : 0;
  }
  closedir(d);
  qsort(sub.az, sub.n, sizeof(char *), cmpStr);
  for(size_t i = 0; i < sub.n; i++) {
    nBad += collect(sub.az[i], pList, depth + 1);
    free(sub.az[i]);
  }
  free(sub.az);
  return nBad;
}

int cli_paths_collect(struct cli_paths *pList, const char *zPath)
{
  return collect(zPath, pList, 0);
}

void cli_paths_free(struct cli_paths *pList)
{
  for(size_t i = 0; i < pList->n; i++)
    free(pList->az[i]);
  free(pList->az);
  memset(pList, 0, sizeof(*pList));
}
