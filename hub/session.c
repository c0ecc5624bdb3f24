/* session.c -- per-connection state helpers (see session.h). */
#include <stdlib.h>
#include "session.h"

int session_take(struct bucket *b, const struct event_limit *lim, uint32_t now_ms, double cost) {
    if (b->last_ms == 0 && b->tokens == 0) {
        b->tokens = (float)lim->burst;
    } else {
        double t = b->tokens + (double)(now_ms - b->last_ms) * lim->rate / 1000.0;
        b->tokens = (float)(t > lim->burst ? lim->burst : t);
    }
    b->last_ms = now_ms ? now_ms : 1;
    if (b->tokens < cost) return 0;
    b->tokens -= (float)cost;
    return 1;
}

int session_push(struct session *s, struct msg *m) {
    if (s->outq_n >= SESSION_OUTQ_MAX) return -1;
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
    if (s->errors == 0 || now_ms - s->err_window_start > SESSION_ERR_WINDOW) {
        s->err_window_start = now_ms;
        s->errors = 0;
    }
    return ++s->errors >= SESSION_ERR_MAX;
}

void session_clear(struct session *s) {
    struct msg *m;
    while ((m = session_pop(s)) != NULL) msg_unref(m);
    free(s->rx);
    s->rx = NULL;
    s->rxlen = 0;
}
