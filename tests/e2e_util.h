/*
 * Helpers shared by the tests that run the wormwatch binary (test_e2e,
 * test_live): reading what a child wrote, and looking into EVE events.
 * They assert through cmocka, so they are for use inside a test only.
 */
#ifndef WW_TESTS_E2E_UTIL_H
#define WW_TESTS_E2E_UTIL_H

#include <jansson.h>
#include <stddef.h>

/* Everything left to read from fd, NUL-terminated; free() it. */
char *slurp_fd(int fd);
/* The whole file at `path`, NUL-terminated (the test fails if it cannot be read); free() it. */
char *slurp_path(const char *path);

/* An unlinked temporary file for a child's stdout or stderr (never blocks it). */
int spill_file(void);

/* How many newline characters `text` holds. */
size_t line_count(const char *text);

/*
 * The value at a dotted path such as "alert.signature_id", or NULL. A key
 * of digits indexes an array: "stats.output.sinks.0.lost".
 */
json_t *value_at(json_t *o, const char *path);

/* The string or integer at a dotted path; the test fails if it is not one. */
const char *str_at(json_t *o, const char *path);
long long int_at(json_t *o, const char *path);

/* Runs `binary -r capture` (it must exit 0) and returns its events as a JSON array. */
json_t *e2e_events(const char *binary, const char *capture);

#endif
