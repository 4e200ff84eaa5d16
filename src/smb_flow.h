/*
 * What smb.c and smb_pipes.c share: a flow's parsing state, the store's
 * owner, and the site every parsing step is handed. Private to the SMB
 * stage (smb.h is its interface).
 */
#ifndef WW_SMB_FLOW_H
#define WW_SMB_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wormwatch/bytes.h"
#include "wormwatch/ms17.h"
#include "wormwatch/nbss.h"
#include "wormwatch/smb.h"

#define SMB1_HEADER 32
#define SMB1_FLAGS_REPLY 0x80
#define SMB1_FLAGS2_UNICODE 0x8000
#define SMB1_TRANSACTION WW_SMB1_TRANSACTION
#define SMB1_READ_ANDX 0x2E
#define SMB1_WRITE_ANDX 0x2F
#define SMB1_NT_CREATE_ANDX 0xA2
#define SMB1_ANDX_NONE 0xFF
#define SMB1_MAX_CHAIN 8
#define WRITE_MODE_RAW 0x0004
#define WRITE_MODE_MSG_START 0x0008
#define TRANS_TRANSACT_NMPIPE 0x0026

#define SMB2_HEADER 64
#define SMB2_FLAGS_RESPONSE 0x00000001u
#define SMB2_CREATE 0x0005
#define SMB2_READ 0x0008
#define SMB2_WRITE 0x0009
#define SMB2_IOCTL 0x000B
#define SMB2_MAX_CHAIN 8
#define FSCTL_PIPE_TRANSCEIVE 0x0011C017u

#define WERR_INVALID_PARAMETER 0x57

struct smb_flow {
    struct ww_nbss up, down;             /* framing: client -> server, server -> client */
    uint8_t up_head[WW_SMB_HEAD];
    uint8_t down_head[WW_SMB_ANSWER_HEAD];
    struct {
        uint8_t pipe;                    /* 1 + index of the pipe it feeds; 0: none */
        uint32_t start, end;             /* message offsets [start, end) */
    } route;                             /* the client message's bytes that are DCE/RPC */
    uint16_t reported;                   /* kinds reported, one bit each */
    uint32_t pipe_clock;                 /* ticks on each routed write */
    uint32_t pipe_touched[WW_SMB_PIPES]; /* pipe_clock at each pipe's last write */
    char pending_name[WW_DCE_PIPE_NAME]; /* last pipe opened, not claimed by a write yet */
    struct ww_dce_pipe pipe[WW_SMB_PIPES];
    struct ww_ms17 ms17;                 /* MS17-010 shapes in progress */
    struct {
        bool due;                        /* a check's answer is awaited */
        uint32_t call_id;
        struct ww_smb_event check;       /* its evidence, for the answer's event */
    } ms08_answer;
};

struct ww_smb {
    struct ww_smb_config cfg;
    ww_smb_sink sink;
    void *sink_ctx;
    struct ww_stream_store *store;
    struct ww_smb_stats stats;
    uint32_t answers_due;           /* flows whose server owes an answer */
};

/* What every parsing step needs: where it is and when. */
struct site {
    struct ww_smb *t;
    struct smb_flow *f;
    const struct ww_stream_key *key;
    uint64_t ts_ns;
    const uint8_t *head; /* the message being judged: its head */
    size_t head_len;
    uint32_t msg_len;    /* and its whole length */
};

/* --- smb_pipes.c: events, DCE/RPC calls, named pipes --- */

/* Reports an event once per kind and flow (smb.h). */
void smb_emit(struct site *s, const struct ww_smb_event *ev);
void smb_ms17_event(struct site *s, uint8_t command, const struct ww_ms17_finding *found);
/* dcerpc.c's sink: a call on one of the flow's pipes. */
void smb_on_call(void *ctx, struct ww_dce_pipe *pipe, const struct ww_dce_call *call);
/* A write of `len` bytes at message offset `start` into `fid`: the route of
   this message, if the FID is a pipe followed or the data starts a PDU. */
void smb_open_route(struct site *s, uint8_t dialect, uint16_t command, uint64_t fid,
                    uint64_t start, uint64_t len);
/* The part of the route inside message bytes [at, at + n). */
void smb_route_bytes(struct site *s, const uint8_t *data, uint32_t at, size_t n);
/* Bytes the route needed were lost: its pipe is out of step. */
void smb_route_lost(struct site *s);
/* A pipe's name as the client opened it, kept for the next write that claims one. */
void smb_remember_pipe_name(struct smb_flow *f, struct ww_cursor name, bool unicode);

#endif
