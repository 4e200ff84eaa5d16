/*
 * SMB: what an SMB worm sends, read from the client's side of TCP/445 and
 * TCP/139 flows.
 *
 * The flows come from a bounded stream store (stream.h). Each flow's bytes
 * are framed by the NetBIOS session service (nbss.h: a session request first
 * on 139, the same 4-byte length header on 445) into SMB1 or SMB2 messages,
 * and of each message only its first WW_SMB_HEAD bytes are read: the header,
 * the parameters and the start of the data. The data of a write into a named
 * pipe (WRITE_ANDX, TRANSACTION/TransactNmPipe, SMB2 WRITE and IOCTL) is
 * streamed on to that pipe's DCE/RPC parser (dcerpc.h) without being kept,
 * and everything else is skipped unread. A gap inside a body being skipped
 * costs nothing; any other gap (or a flow joined mid-stream) resynchronises
 * at the next NetBIOS header that starts an SMB message.
 *
 * What it recognises, each reported once per flow:
 * - MS08-067 (Conficker, Metasploit's ms08_067_netapi): NetprPathCanonicalize
 *   or NetprPathCompare of SRVSVC with a path that climbs; an exploit or a
 *   scanner's check by its length and content (dcerpc.h).
 * - MS08-067 infected: the server's answer to such a check is
 *   WERR_INVALID_PARAMETER, which is how Conficker's in-memory patch answers
 *   where a patched host says WERR_INVALID_NAME (nmap's smb-vuln-conficker).
 * - MS17-010 (EternalBlue, WannaCry; ms17.h): an NT_TRANSACT left incomplete and then
 *   continued by TRANSACTION2_SECONDARY of the same transaction (the type
 *   confusion the exploit relies on; no client does that);
 *   a PeekNamedPipe TRANSACTION on FID 0 (the vulnerability check of nmap,
 *   Metasploit and WannaCry itself); TRANSACTION2 SESSION_SETUP, a
 *   subcommand Windows never implemented, which is DoublePulsar's channel
 *   (its command is the byte sum of the Timeout field: 0x23 ping, 0xc8 exec,
 *   0x77 kill), and the implant's answer (the reply's Multiplex ID raised by
 *   16).
 *
 * Client: the side that sends to port 445 or 139. The store only ever sees
 * the 4-tuple as (client, server); the caller hashes that key.
 */
#ifndef WW_SMB_H
#define WW_SMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wormwatch/dcerpc.h"
#include "wormwatch/nbss.h"
#include "wormwatch/stream.h"

#define WW_SMB_PORT 445
#define WW_NETBIOS_SESSION_PORT 139

#define WW_SMB_HEAD 512            /* bytes of a client message read before it is judged */
#define WW_SMB_ANSWER_HEAD 256     /* bytes of a server message read when an answer is due */
#define WW_SMB_PIPES 2             /* named pipes followed per flow (least recently used goes) */
#define WW_SMB_HOLD 2048           /* out-of-order client bytes held per flow */

enum ww_smb_kind {
    WW_SMB_MS08_067_EXPLOIT,
    WW_SMB_MS08_067_CHECK,
    WW_SMB_MS08_067_INFECTED,         /* the server answered a check as Conficker does */
    WW_SMB_MS17_010_EXPLOIT,          /* EternalBlue's transaction confusion */
    WW_SMB_MS17_010_CHECK,            /* PeekNamedPipe on FID 0 */
    WW_SMB_MS17_010_DOUBLEPULSAR_PING,
    WW_SMB_MS17_010_DOUBLEPULSAR_EXEC, /* exec, kill, or an unknown DoublePulsar command */
    WW_SMB_MS17_010_DOUBLEPULSAR_IMPLANT, /* the server answered a ping as the implant does */
    WW_SMB_KIND__COUNT
};

/* One finding, with the evidence in the terms of Suricata's smb/dcerpc events. */
struct ww_smb_event {
    enum ww_smb_kind kind;
    uint64_t ts_ns;               /* packet time of the segment that completed it */
    struct ww_stream_key flow;    /* client -> server */
    struct {
        uint8_t dialect;          /* 1 (SMB1) or 2 (SMB2/3) */
        uint16_t command;         /* the command that carried it (ww_smb_command_name) */
        char named_pipe[WW_DCE_PIPE_NAME]; /* "" if the pipe's opening was not seen */
        uint16_t mid;             /* SMB1 Multiplex ID (MS17-010 kinds) */
    } smb;
    bool has_dcerpc;              /* the dcerpc fields hold a call (MS08-067 kinds) */
    struct {
        bool interface_known;     /* the call's context was bound to SRVSVC in sight */
        uint8_t interface_uuid[16]; /* SRVSVC's when known, else zero */
        uint16_t opnum;
        uint16_t context_id;
        uint32_t call_id;
        uint8_t bind_contexts;    /* contexts the pipe's bind offered (Metasploit: many) */
        uint16_t fragments;
        uint32_t request_bytes;   /* PDU bytes of the call */
        uint32_t stub_bytes;      /* stub bytes seen */
        uint32_t alloc_hint;      /* as claimed by the client */
        uint32_t path_units;      /* UTF-16 units the path claims */
        uint32_t path_examined;   /* of which looked at */
        uint32_t path_nonascii;   /* of those, outside printable ASCII */
        bool path_climbs;
        uint32_t answer_status;   /* MS08_067_INFECTED: the server's WERROR */
    } dcerpc;
    struct {
        uint32_t nt_total_data;   /* EXPLOIT: the NT_TRANSACT's TotalDataCount */
        uint16_t nt_function;     /* EXPLOIT: its function */
        uint16_t fid;             /* CHECK: the FID peeked */
        uint32_t timeout;         /* DOUBLEPULSAR: the Timeout field */
        uint8_t opcode;           /* DOUBLEPULSAR: its byte sum */
    } ms17;
};

typedef void (*ww_smb_sink)(void *ctx, const struct ww_smb_event *event);

struct ww_smb_config {
    size_t memory_bytes;      /* budget for the flows */
    uint64_t idle_timeout_ns; /* a flow silent this long is forgotten */
    bool answers;             /* read servers' answers (infected hosts, the implant) */
};

struct ww_smb_stats {
    struct ww_nbss_stats framing;        /* the clients' side */
    struct ww_nbss_stats answer_framing; /* the servers' side (when answers are read) */
    uint64_t smb1, smb2;      /* client messages parsed as SMB1 / SMB2 */
    uint64_t smb2_sealed;     /* encrypted or compressed SMB2: not readable */
    uint64_t truncated;       /* commands whose fields lie past the message or the head */
    uint64_t pipes;           /* named pipes followed */
    uint64_t pipes_replaced;  /* a pipe pushed out by another of its flow */
    uint64_t answers;         /* server answers to a check that were read */
    uint64_t shapes[WW_SMB_KIND__COUNT]; /* every occurrence, reported or not */
    uint64_t events[WW_SMB_KIND__COUNT]; /* reported (once per flow and kind) */
    struct ww_dce_stats dce;
};

struct ww_smb;

/*
 * Names a segment's flow from its client's side: false if neither port is
 * 445 or 139. *to_server says which way the segment goes.
 */
bool ww_smb_flow_key(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                     struct ww_stream_key *key, bool *to_server);
/* Bytes one flow costs (for memory budgets). */
size_t ww_smb_bytes_per_flow(void);

struct ww_smb *ww_smb_new(const struct ww_smb_config *cfg, ww_smb_sink sink, void *sink_ctx);
void ww_smb_free(struct ww_smb *smb);

/*
 * Feeds one TCP segment of a watched flow. `hash` is the caller's (keyed) hash
 * of *key, which ww_smb_flow_key() filled; the same for both directions. The
 * capture's snap length must leave SMB payloads whole to judge them: what it
 * cuts (seg->len past seg->captured) is a gap.
 */
void ww_smb_segment(struct ww_smb *smb, uint32_t hash, const struct ww_stream_key *key,
                    bool to_server, const struct ww_segment *seg);
/* Moves packet time forward (a quiet link) and expires idle flows. */
void ww_smb_advance(struct ww_smb *smb, uint64_t now_ns);
/* End of input: every flow is judged on what it sent and forgotten. */
void ww_smb_flush(struct ww_smb *smb);

const struct ww_smb_stats *ww_smb_stats(const struct ww_smb *smb);
const struct ww_stream_stats *ww_smb_stream_stats(const struct ww_smb *smb);
uint32_t ww_smb_capacity(const struct ww_smb *smb);
/* Flows whose server owes an answer (a check's, a ping's): until then the
   servers' data need not be read at all (triage.h). */
const uint32_t *ww_smb_answers_due(const struct ww_smb *smb);
/* The clients' bytes it said it has no use for, per flow (triage.h). */
const struct ww_flow_skips *ww_smb_skips(const struct ww_smb *smb);

const char *ww_smb_kind_name(enum ww_smb_kind kind);
/* "SMB1_COMMAND_WRITE_ANDX", "SMB2_COMMAND_IOCTL", ... as Suricata names them. */
const char *ww_smb_command_name(uint8_t dialect, uint16_t command);

#endif
