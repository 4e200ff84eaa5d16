/*
 * smb_build: SMB1, SMB2 and DCE/RPC messages built byte by byte, and a TCP
 * flow that carries them into the SMB stage, for test_smb and
 * test_smb_hostile.
 *
 * The builders follow the wire layouts of MS-CIFS, MS-SMB2 and DCE/RPC 1.1
 * and the shapes of the tools: nmap's smb-vuln-ms08-067 (NetprPathCompare of
 * "\AAAA...\..\n") and smb-vuln-conficker (NetprPathCanonicalize of
 * "\..\"), a long path of machine code for the exploit, the MS17-010
 * shapes. The flow (fx) goes from CLIENT:1038 to SERVER:fx.port; its client
 * bytes are cut into fx.segment-byte segments.
 */
#ifndef WW_TEST_SMB_BUILD_H
#define WW_TEST_SMB_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wormwatch/smb.h"

#define IP4(a, b, c, d) \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define NS_PER_SEC 1000000000ULL
#define T0 (1238414400ULL * NS_PER_SEC)
#define MAX_EVENTS 16
#define CLIENT IP4(10, 1, 1, 66)
#define SERVER IP4(10, 1, 1, 10)

struct buf {
    uint8_t b[40000];
    size_t n;
};

/* The flow under test and what the stage found in it. */
struct smb_fixture {
    struct ww_smb *smb;
    struct ww_smb_event event[MAX_EVENTS];
    size_t events;
    uint32_t client_seq, server_seq;
    uint16_t port;      /* server port */
    size_t segment;     /* client bytes per segment */
    uint64_t now;
};

extern struct smb_fixture fx;

void put(struct buf *o, const void *data, size_t len);
void u8(struct buf *o, unsigned v);
void le16(struct buf *o, unsigned v);
void le32(struct buf *o, uint32_t v);
void be16(struct buf *o, unsigned v);
void be32(struct buf *o, uint32_t v);
void zeros(struct buf *o, size_t n);
void align(struct buf *o, size_t to);
void set_le16(struct buf *o, size_t at, unsigned v);
void dce_bind(struct buf *o, bool le, unsigned count, int srvsvc_at);
void dce_request(struct buf *o, bool le, unsigned flags, uint32_t call_id, unsigned ctx,
                 unsigned opnum, uint32_t alloc_hint, const uint8_t *stub, size_t len);
void ascii_path_stub(struct buf *o, bool le, unsigned opnum, const char *path);
void exploit_path_stub(struct buf *o, size_t code_units);
void smb1_header(struct buf *o, unsigned command, unsigned flags, unsigned mid);
void smb1_nt_create(struct buf *o, const char *name);
void smb1_write_andx(struct buf *o, unsigned fid, const uint8_t *data, size_t len);
void smb1_transaction(struct buf *o, unsigned op, unsigned fid, const uint8_t *data, size_t len);
void smb1_trans2(struct buf *o, unsigned mid, unsigned subcommand, uint32_t timeout);
void smb1_nt_transact(struct buf *o, unsigned mid, uint32_t total_data, uint32_t data);
void smb1_trans2_secondary(struct buf *o, unsigned mid, unsigned displacement);
void smb1_read_answer(struct buf *o, const uint8_t *data, size_t len);
void dce_canonicalize_answer(struct buf *o, uint32_t call_id, uint32_t werror);
void smb2_header(struct buf *o, unsigned command, uint32_t flags, uint64_t message_id);
void smb2_create(struct buf *o, const char *name);
void smb2_ioctl(struct buf *o, uint64_t message_id, const uint8_t *data, size_t len);
void smb2_write(struct buf *o, uint64_t message_id, const uint8_t *data, size_t len);
void smb2_ioctl_answer(struct buf *o, uint64_t message_id, const uint8_t *data, size_t len);
void record(void *ctx, const struct ww_smb_event *ev);
int smb_setup(void **state);
int smb_teardown(void **state);
void segment(bool to_server, uint32_t seq, const uint8_t *data, size_t len, uint8_t flags);
void client_bytes(const uint8_t *data, size_t len);
void client_message(const struct buf *body);
void server_message(const struct buf *body);
void smb1_pipe_write(const char *pipe, const struct buf *dce);
void bind_srvsvc(const char *pipe, unsigned contexts, int srvsvc_at);
void request(unsigned ctx, unsigned opnum, const struct buf *stub);
void assert_one(enum ww_smb_kind kind);
/* smb-vuln-conficker's NetprPathCanonicalize stub, its path "\..\". */
struct buf conficker_stub(void);

#endif
