/* session.c -- per-connection state (see session.h). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include "session.h"

/* moves[from][to]: the transitions of the diagram in session.h. */
static const uint8_t moves[SS_COUNT][SS_COUNT] = {
    /*              NEW READY DRAINING DEAD */
    [SS_NEW]      = {0, 1, 1, 1},
    [SS_READY]    = {0, 0, 1, 1},
    [SS_DRAINING] = {0, 0, 0, 1},
    [SS_DEAD]     = {0, 0, 0, 0},
};

int session_can_move(enum session_state from, enum session_state to) {
    return (unsigned)from < SS_COUNT && (unsigned)to < SS_COUNT && moves[from][to];
}

void session_set_state(struct session *s, enum session_state to) {
    assert(session_can_move(s->state, to));
    s->state = to;
}

const char *session_state_name(enum session_state st) {
    static const char *const names[SS_COUNT] = {"new", "ready", "draining", "dead"};
    return (unsigned)st < SS_COUNT ? names[st] : "?";
}

int session_close(struct session *s, int code) {
    if (!session_is_open(s)) return 0;
    session_set_state(s, SS_DRAINING);
    s->close_code = (uint16_t)code;
    return 1;
}

int session_kill(struct session *s) {
    if (s->state == SS_DEAD) return 0;
    session_set_state(s, SS_DEAD);
    return 1;
}

void session_set_ip(struct session *s, const char *ip) {
    snprintf(s->ip, sizeof s->ip, "%s", ip ? ip : "");
}

int session_outq_max(const struct session *s) {
    return s->state != SS_NEW && s->role != ROLE_AUDIENCE ? SESSION_OUTQ_WATCHER_MAX : SESSION_OUTQ_MAX;
}

int session_push(struct session *s, struct msg *m) {
    if (s->outq_n >= session_outq_max(s)) return -1;
    struct qnode *q = malloc(sizeof *q);
    if (!q) return -1;
    msg_ref(m);
    q->m = m;
    q->next = NULL;
    if (s->outq_tail) s->outq_tail->next = q;
    else s->outq_head = q;
    s->outq_tail = q;
    s->outq_n++;
    return 0;
}

void session_offer_snap(struct session *s, struct msg *m) {
    msg_ref(m);
    msg_unref(s->snap);
    s->snap = m;
}

struct msg *session_pop(struct session *s) {
    struct qnode *q = s->outq_head;
    if (q) {
        struct msg *m = q->m;
        s->outq_head = q->next;
        if (!s->outq_head) s->outq_tail = NULL;
        s->outq_n--;
        free(q);
        return m;
    }
    struct msg *m = s->snap;
    s->snap = NULL;
    return m;
}

int session_pending(const struct session *s) { return s->outq_head != NULL || s->snap != NULL; }

int session_error(struct session *s, uint32_t now_ms) {
    if (s->role == ROLE_CREW && s->state == SS_READY) return 0;
    if (s->errors == 0 || now_ms - s->err_window_start > SESSION_ERR_WINDOW) {
        s->err_window_start = now_ms;
        s->errors = 0;
    }
    return ++s->errors >= SESSION_ERR_MAX ? SESSION_OVER_BUDGET : 0;
}

void session_clear(struct session *s) {
    struct msg *m;
    while ((m = session_pop(s)) != NULL) msg_unref(m);
}
