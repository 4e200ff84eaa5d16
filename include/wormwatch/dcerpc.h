/*
 * DCE/RPC over a named pipe: the connection-oriented PDUs a client writes
 * into one pipe, parsed as a byte stream, and the MS08-067 test on a call.
 *
 * A pipe is a byte stream: Metasploit cuts its PDUs into SMB writes of random
 * sizes, and a call may span several fragments, so nothing here assumes one
 * PDU per write. Each pipe keeps the PDU header being read, what its binds
 * said (the context that names SRVSVC) and, for the call in progress, the
 * first WW_DCE_STUB_PREFIX bytes of its stub across fragments: enough for
 * NetprPathCanonicalize's server name and the first few hundred UTF-16 units
 * of its path. The rest of a stub is counted and skipped. A call is handed
 * back once, when its last fragment ends, or earlier when its stub grows past
 * WW_DCE_DECIDE_STUB bytes (a sender that never ends its fragments gets
 * judged all the same).
 *
 * MS08-067 (NetprPathCanonicalize, opnum 31, or NetprPathCompare, opnum 32,
 * of SRVSVC): the bug is a path whose \..\ climbs above its start. An exploit
 * has to carry its code in that path, so it is long (well past MAX_PATH) and
 * full of UTF-16 units outside printable ASCII (two bytes of machine code
 * almost never make one); a scanner's check (nmap's smb-vuln-ms08-067 or
 * smb-vuln-conficker) sends a short printable path that climbs.
 */
#ifndef WW_DCERPC_H
#define WW_DCERPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WW_DCE_STUB_PREFIX 768   /* stub (or bind body) bytes kept per call */
#define WW_DCE_DECIDE_STUB 16384 /* a call is judged once its stub is this long */
#define WW_DCE_PIPE_NAME 16      /* pipe name bytes kept, with the NUL */
#define WW_DCE_HEADER_MAX 40     /* request header with an object UUID */

#define WW_DCE_PTYPE_REQUEST 0
#define WW_DCE_PTYPE_RESPONSE 2
#define WW_DCE_PTYPE_FAULT 3
#define WW_DCE_PTYPE_BIND 11
#define WW_DCE_PTYPE_ALTER_CONTEXT 14

#define WW_SRVSVC_OPNUM_PATH_CANONICALIZE 0x1F
#define WW_SRVSVC_OPNUM_PATH_COMPARE 0x20

/* The MS08-067 thresholds (UTF-16 units). */
#define WW_MS08_LONG_PATH 128 /* a path longer than this is not a scanner's check */
#define WW_MS08_CODE_UNITS 8  /* non-ASCII units in a long path that say it carries code */
#define WW_MS08_EXAMINE 320   /* path units looked at, at most */

/* SRVSVC's interface UUID, in the textual (big-endian) byte order. */
extern const uint8_t ww_srvsvc_uuid[16];

/* One DCE/RPC call, as far as it was seen when it was handed back. */
struct ww_dce_call {
    bool complete;          /* its last fragment was seen (else judged early) */
    bool bound;             /* a bind was seen on the pipe */
    bool srvsvc;            /* its context is the one the bind gave SRVSVC */
    uint16_t opnum;
    uint16_t context_id;
    uint32_t call_id;
    uint32_t alloc_hint;    /* as the client claimed (never trusted) */
    uint32_t request_bytes; /* sum of its fragments' lengths */
    uint32_t stub_bytes;    /* stub bytes seen */
    uint16_t fragments;
    uint8_t bind_contexts;  /* contexts offered by the pipe's last bind */
    bool little_endian;     /* NDR data representation of the stub */
    const uint8_t *stub;    /* its first stub_len stub bytes */
    size_t stub_len;
};

enum ww_dce_state {
    WW_DCE_HEADER, /* reading a PDU header */
    WW_DCE_BODY,   /* inside a PDU's body */
    WW_DCE_LOST    /* out of step: waits for a write that starts a PDU */
};

/* One named pipe of a flow. Zeroed = unused. */
struct ww_dce_pipe {
    bool used;
    uint64_t fid;                 /* SMB1 FID, or SMB2 FileId folded to 64 bits */
    char name[WW_DCE_PIPE_NAME];  /* lower case, no leading backslash; "" if unseen */
    uint8_t carrier_dialect;      /* SMB dialect (1 or 2) of the last write into it */
    uint16_t carrier_command;     /* and its command (WRITE_ANDX, TRANSACTION, ...) */
    uint8_t state;                /* enum ww_dce_state */
    uint8_t header_len;           /* header bytes read */
    uint8_t header_need;          /* header bytes this PDU type has */
    uint8_t header[WW_DCE_HEADER_MAX];
    uint32_t body_left;           /* bytes of the PDU after its header still to come */
    uint32_t stub_left;           /* of which stub (a request's, before any auth trailer) */
    bool bound, srvsvc_bound;
    uint16_t srvsvc_context;      /* context id the bind gave SRVSVC */
    uint8_t bind_contexts;
    struct {
        bool active;              /* a first fragment was seen, the last not yet */
        bool judged;              /* already handed back */
        bool little_endian;
        uint16_t opnum, context_id, fragments;
        uint32_t call_id, alloc_hint, request_bytes, stub_bytes;
    } call;
    uint16_t body_len;            /* bytes in body */
    uint8_t body[WW_DCE_STUB_PREFIX]; /* a call's stub start, or a bind's body start */
};

struct ww_dce_stats {
    uint64_t pdus;
    uint64_t binds;
    uint64_t requests;         /* calls handed back */
    uint64_t judged_early;     /* of which before their last fragment */
    uint64_t malformed;        /* headers that lie (version, lengths): the pipe waits to resync */
    uint64_t orphan_fragments; /* fragments of no call in progress */
    uint64_t lost_bytes;       /* bytes skipped while out of step */
};

typedef void (*ww_dce_call_fn)(void *ctx, struct ww_dce_pipe *pipe, const struct ww_dce_call *call);

/*
 * Feeds the next bytes written into the pipe. `write_start`: they begin an SMB
 * write (a pipe out of step resynchronises only there, on a PDU's first byte).
 */
void ww_dce_feed(struct ww_dce_pipe *pipe, struct ww_dce_stats *stats, const uint8_t *data,
                 size_t len, bool write_start, ww_dce_call_fn on_call, void *ctx);
/* Bytes of the pipe were lost: a call in progress is judged on what was seen. */
void ww_dce_lost(struct ww_dce_pipe *pipe, struct ww_dce_stats *stats, ww_dce_call_fn on_call,
                 void *ctx);

/*
 * Reads the answer to a call from the start of a server's PDU: call_id and,
 * for a one-fragment response, the last 4 bytes of its stub (an srvsvc
 * method's WERROR), or a fault's status. False if it is neither or is cut.
 */
bool ww_dce_answer(const uint8_t *pdu, size_t len, uint32_t *call_id, uint32_t *status,
                   bool *fault);

/* What the MS08-067 test saw in the path of a call. */
struct ww_ms08_path {
    bool parsed;       /* the stub held a well-formed server name and path header */
    uint32_t units;    /* the path's length as sent (UTF-16 units, with its NUL) */
    uint32_t examined; /* units looked at (the first ones) */
    uint32_t nonascii; /* of those, units outside printable ASCII */
    bool climbs;       /* a \..\ (or /../) among them */
};

enum ww_ms08_verdict { WW_MS08_NONE, WW_MS08_CHECK, WW_MS08_EXPLOIT };

/* Judges a NetprPathCanonicalize or NetprPathCompare call of SRVSVC. */
enum ww_ms08_verdict ww_ms08_judge(const struct ww_dce_call *call, struct ww_ms08_path *path);

#endif
