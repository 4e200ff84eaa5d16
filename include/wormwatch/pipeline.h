/*
 * Pipeline: the stages wired together, as a library.
 *
 *   capture --frame--> decode --packet--> probe --event--> detect --alert--> output
 *
 * main.c only parses the command line and calls these; tests drive the same
 * calls without a network. Everything a run needs lives in one ww_pipeline.
 */
#ifndef WW_PIPELINE_H
#define WW_PIPELINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wormwatch/capture.h"
#include "wormwatch/hash.h"
#include "wormwatch/output.h"
#include "wormwatch/rules.h"

/*
 * max_memory bounds the whole process: the tables get it less a reserve for
 * everything else (code, libpcap's buffer, output), half of it for caps
 * below twice the reserve. Of the tables' share: pending attempts, live
 * hosts, the payload stages and the indicators, the rest for sources
 * (itself split with the probation table).
 */
#define WW_PROCESS_RESERVE (8ULL * 1024 * 1024)
#define WW_PENDING_MEMORY_SHARE 8 /* one eighth */
#define WW_HOSTS_MEMORY_SHARE 16  /* one sixteenth */
#define WW_PAYLOAD_MEMORY_SHARE 8     /* SMB flows, P2P sources, DGA clients */
#define WW_INDICATORS_MEMORY_SHARE 64 /* what each source has shown */
#define WW_IDENTITY_MEMORY_SHARE 64   /* which machine each home address is */

struct ww_pipeline;
struct ww_progress; /* below */

/*
 * NULL with a reason in err when memory (or a random hash key) is short.
 * `rules` must outlive it. Every table hashes under a key drawn here, per
 * pipeline, from the kernel (hash.h).
 */
struct ww_pipeline *ww_pipeline_new(const struct ww_ruleset *rules, struct ww_output *out, char *err,
                                    size_t err_len);
/* The same under a key of the caller's: for tests and benchmarks that must
   know it. A sensor never takes a fixed key from its user. */
struct ww_pipeline *ww_pipeline_new_keyed(const struct ww_ruleset *rules, struct ww_output *out,
                                          const struct ww_hash_key *key, char *err, size_t err_len);
void ww_pipeline_free(struct ww_pipeline *p);

/*
 * A flag (set by a signal handler) that stops ww_pipeline_run_capture()
 * between two frames; NULL for none.
 */
void ww_pipeline_set_stop_flag(struct ww_pipeline *p, const atomic_int *stop);
/* Whether the stop flag was raised. */
bool ww_pipeline_stopped(const struct ww_pipeline *p);

/* Feeds one captured frame through every stage. */
void ww_pipeline_frame(struct ww_pipeline *p, const struct ww_frame *frame);
/* Triage (triage.h) is on from the start; off, every frame is decoded. The
   events are the same either way: tests compare the two. */
void ww_pipeline_set_triage(struct ww_pipeline *p, bool on);
/*
 * Reads a whole capture source into the pipeline (or until the stop flag).
 * False on a read error (err says what); the frames before it have been
 * processed. A failing output does not stop it: see output.h.
 */
bool ww_pipeline_run_capture(struct ww_pipeline *p, struct ww_capture *cap, char *err,
                             size_t err_len);
/* Flags a run reacts to, set by signal handlers, and its timer (the stop
   flag is the pipeline's own: ww_pipeline_set_stop_flag). Atomics: signal
   handlers and other workers' threads write them (lock-free, so
   async-signal-safe). */
struct ww_live_control {
    atomic_int *reopen;                    /* SIGHUP: reopen outputs (cleared here); NULL:
                                              another worker does it */
    const atomic_uint *stats_requests;     /* SIGUSR1 counts up: one stats event each */
    const atomic_uint *attention;          /* every signal counts up: look at the flags now */
    uint64_t stats_interval_ns;            /* a stats event this often; 0: none */
    void (*warn)(void *ctx, const char *message); /* a problem worth telling, not fatal */
    void *warn_ctx;
    /* Replays: called about twice a second with where the run stands; NULL: never. */
    void (*progress)(void *ctx, const struct ww_progress *progress);
    void *progress_ctx;
};

#include "wormwatch/summary.h"

/* Sees every alert written, as the summary needs it (may run on workers' threads). */
typedef void (*ww_alert_observer)(void *ctx, const struct ww_summary_alert *alert);
void ww_pipeline_set_observer(struct ww_pipeline *p, ww_alert_observer fn, void *ctx);

/* Where a replay stands, for a progress line. */
struct ww_progress {
    uint64_t packets, bytes;   /* read so far (bytes on the wire) */
    uint64_t alerts;           /* written so far */
    uint64_t packet_ns;        /* packet time of the newest packet */
};

/*
 * The flags a run answers between frames in every input mode (files and
 * pipes too; a read blocked on a quiet pipe answers them at once). The
 * stats interval only applies live. NULL: none.
 */
void ww_pipeline_set_control(struct ww_pipeline *p, const struct ww_live_control *control);

/*
 * Reads a live capture until the stop flag: frames as they come, and on a
 * quiet link the wall clock moves packet time on, so attempts time out and
 * alerts go out even when nothing arrives. False on a capture error.
 */
bool ww_pipeline_run_live(struct ww_pipeline *p, struct ww_capture *cap,
                          const struct ww_live_control *ctl, char *err, size_t err_len);
/*
 * Packet time on a quiet live link: the newest packet's stamp (the wall
 * clock once, at the start) plus the MONOTONIC time since it was read. A
 * step of the wall clock (NTP) then neither fires every timeout at once nor
 * freezes them; event times stay the packets' own stamps.
 */
struct ww_quiet_clock {
    uint64_t packet_ns;    /* the newest packet's stamp, ns since the epoch */
    uint64_t monotonic_ns; /* CLOCK_MONOTONIC when it was read */
};
void ww_quiet_clock_start(struct ww_quiet_clock *c, uint64_t packet_ns, uint64_t monotonic_ns);
/* Packets were read by monotonic_ns; the newest stamp among all seen is newest_packet_ns. */
void ww_quiet_clock_saw(struct ww_quiet_clock *c, uint64_t newest_packet_ns, uint64_t monotonic_ns);
uint64_t ww_quiet_clock_now(const struct ww_quiet_clock *c, uint64_t monotonic_ns);

/* Moves packet time to now_ns (a quiet live link): timeouts, expiry. */
void ww_pipeline_tick(struct ww_pipeline *p, uint64_t now_ns);
/* --workers: this pipeline is worker `index` (stats events say so). */
void ww_pipeline_set_worker(struct ww_pipeline *p, int index);
/* Writes a stats event now (with kernel counters while a live capture runs). */
void ww_pipeline_write_stats(struct ww_pipeline *p);

/* End of input: pending attempts become unanswered, then a stats event. */
void ww_pipeline_finish(struct ww_pipeline *p);
void ww_pipeline_snapshot(struct ww_pipeline *p, struct ww_run_stats *stats);

#endif
