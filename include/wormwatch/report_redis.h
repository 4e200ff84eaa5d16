/*
 * wormwatch-report's Redis input: the events a sensor's Redis output left
 * in a list or a stream (see report_redis.c).
 */
#ifndef WW_REPORT_REDIS_H
#define WW_REPORT_REDIS_H

#include <stdbool.h>
#include <stddef.h>

#include "wormwatch/fold.h"

/* Whether an input names Redis (redis://HOST[:PORT]/KEY, redis+unix:PATH?key=KEY). */
bool ww_report_is_redis(const char *input);
/* Folds every event of the key; false with a one-line reason. */
bool ww_report_read_redis(struct ww_fold *fold, const char *url, char *err, size_t err_len);

#endif
