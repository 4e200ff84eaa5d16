/*
 * wormwatch-report: the events of any number of sensors as one list of
 * hosts. Only the command line lives here; fold.c and report.c do the work.
 *
 *   wormwatch-report [-o report.html] [-t TITLE] INPUT...
 *
 * INPUT is an EVE file, '-' (standard input), or a Redis list or stream
 * (redis://HOST[:PORT]/KEY, redis+unix:PATH?key=KEY). Exit 0; 1 if an input or
 * the page cannot be read or written; 2 for a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/fold.h"
#include "wormwatch/report.h"
#include "wormwatch/report_redis.h"

static int usage_error(const char *what)
{
    fprintf(stderr, "wormwatch-report: %s (try 'wormwatch-report --help')\n", what);
    return 2;
}

static void usage(FILE *f)
{
    fputs("Usage: wormwatch-report [-o report.html] [-t TITLE] INPUT...\n"
          "Folds the EVE events of any number of wormwatch sensors into one line per\n"
          "flagged host, infected first, and the coverage of each sensor.\n"
          "  INPUT               an EVE file, '-' for standard input, or a Redis list or\n"
          "                      stream: redis://HOST[:PORT]/KEY, redis+unix:PATH?key=KEY\n"
          "  -o, --output FILE   also write a self-contained HTML page with a timeline\n"
          "  -t, --title TITLE   the page's title (default: wormwatch report)\n"
          "  -h, --help          this help\n",
          f);
}

/* Every line of `in` into the fold. */
static bool read_stream(struct ww_fold *fold, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) >= 0)
        ww_fold_line(fold, line, (size_t)n);
    bool ok = !ferror(in);
    free(line);
    return ok;
}

static bool read_input(struct ww_fold *fold, const char *name)
{
    if (ww_report_is_redis(name)) {
        char err[512];
        if (ww_report_read_redis(fold, name, err, sizeof err))
            return true;
        fprintf(stderr, "wormwatch-report: %s\n", err);
        return false;
    }
    if (!strcmp(name, "-"))
        return read_stream(fold, stdin);
    FILE *f = fopen(name, "r");
    if (!f) {
        fprintf(stderr, "wormwatch-report: %s: %s\n", name, strerror(errno));
        return false;
    }
    bool ok = read_stream(fold, f);
    if (!ok)
        fprintf(stderr, "wormwatch-report: %s: read error: %s\n", name, strerror(errno));
    fclose(f);
    return ok;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"title", required_argument, NULL, 't'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *page = NULL, *title = "wormwatch report";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:t:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': page = optarg; break;
        case 't': title = optarg; break;
        case 'h': usage(stdout); return 0;
        case ':': return usage_error("an option needs a value");
        default: return usage_error("unknown option");
        }
    }
    if (optind == argc)
        return usage_error("no input: give EVE files, or '-' for standard input");
    static struct ww_fold fold;
    ww_fold_init(&fold);
    int rc = 0;
    for (int i = optind; i < argc; i++)
        if (!read_input(&fold, argv[i]))
            rc = 1;
    ww_fold_sort(&fold);
    ww_report_text(&fold, stdout);
    if (page) {
        FILE *f = fopen(page, "w");
        if (!f || !ww_report_html(&fold, title, f) || fclose(f) != 0) {
            fprintf(stderr, "wormwatch-report: %s: cannot write the page: %s\n", page,
                    strerror(errno));
            rc = 1;
        }
    }
    ww_fold_free(&fold);
    return rc;
}
