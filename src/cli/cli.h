/* The onnxbn command: argument parsing and printing only; all work goes
 * through the public API in onnxbn.h. */
#ifndef OBN_CLI_H
#define OBN_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "onnxbn.h"

/* Exit codes (documented in the README). */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_optimize(int argc, char **argv);
int cmd_ops(int argc, char **argv);
int cmd_recalibrate(int argc, char **argv);

/* Prints "onnxbn: error [CODE]: <last error>" to stderr, returns CLI_USAGE. */
/* A growable list of strings the list owns (copies). */
typedef struct cli_str_list {
    char **items;
    size_t n, cap;
} cli_str_list;
/* Appends a copy of s; -1 when out of memory. */
int cli_list_push(cli_str_list *l, const char *s);
/* Frees the strings and the list; *l is empty after. */
void cli_list_free(cli_str_list *l);

int cli_error(obn_status status);
/* Prints a usage error, returns CLI_USAGE. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a positive int option value. Returns 0 on success. */
int cli_parse_int(const char *s, long lo, long hi, long *out);

/* Options shared by the commands that load and run models:
 *   --max-initializers SIZE  --max-arena SIZE  --max-rank N  --max-graph-depth N
 * SIZE is bytes with an optional K/M/G/T suffix (powers of 1024). Returns 1
 * (and advances *i past the value) when argv[*i] is one of them, 0 when it
 * is not, CLI_USAGE after printing the error for a bad value. */
int cli_parse_limit_option(const char *cmd, int argc, char **argv, int *i, obn_limits *limits);
#define CLI_LIMIT_OPTIONS_HELP \
    "[--max-initializers SIZE] [--max-arena SIZE] [--max-rank N] [--max-graph-depth N]"

/* "[1,3,N,224]" from a value info (symbolic dims by name). */
void cli_format_info_shape(const obn_value_info *vi, char *buf, size_t cap);
void cli_format_dims(const int64_t *dims, size_t rank, char *buf, size_t cap);

/* String i of a string tensor, quoted with C escapes ("a\"b\n"), cut with
 * "..." to fit cap (>= 8). */
const char *cli_format_string(const obn_tensor *t, int64_t i, char *buf, size_t cap);

/* One-line summary: dtype, shape, min/max/mean and the first values
 * (strings: the first ones, quoted). */
void cli_print_summary(FILE *f, const char *name, const obn_tensor *t);

/* Fills a tensor with values from a seeded generator: uniform [-1, 1) for
 * floats, [0, 10) for integers, 0/1 for bool, short words for strings. */
void cli_fill_random(obn_tensor *t, uint64_t *rng);

/* --plugin (cli_plugin.c): loads the library into the command's registry;
 * 0 on success, else prints the error and returns CLI_USAGE. Models loaded
 * with cli_load_model / cli_inspect_model see its operators (limits: NULL =
 * the defaults). */
int cli_add_plugin(const char *cmd, const char *path);
const obn_op_registry *cli_registry(void);
obn_status cli_load_model(const char *path, const obn_limits *limits, obn_model **out);
obn_status cli_inspect_model(const char *path, obn_model **out);

/* --trace and --dump DIR (cli_trace.c): a node callback on the session. */
typedef struct cli_observe {
    int trace;              /* a line per computed node on stderr */
    const char *dump_dir;   /* every node output as DIR/<value>.pb; NULL = off */
    char **files;           /* file names written (without .pb) */
    size_t n_files, cap_files, n_traced, n_dumped;
    double seconds;         /* summed node times */
} cli_observe;
/* Returns 1 (and advances *i past a value) when argv[*i] is --trace or
 * --dump DIR, 0 when it is not, CLI_USAGE after printing the error. */
int cli_observe_option(const char *cmd, int argc, char **argv, int *i, cli_observe *o);
/* Creates the dump folder and sets the callback; 0 or the exit status. */
int cli_observe_attach(obn_session *s, cli_observe *o);
/* Prints the totals and frees what cli_observe holds. */
void cli_observe_finish(cli_observe *o);
#define CLI_OBSERVE_HELP "[--trace] [--dump DIR]"

/* Replaces characters that are unsafe in a file name with '_'. */
void cli_safe_filename(const char *name, char *buf, size_t cap);

#endif
