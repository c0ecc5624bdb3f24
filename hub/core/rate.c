/* rate.c -- token buckets (see rate.h). */
#include "rate.h"

int rate_allow(struct rate_bucket *b, const struct event_limit *lim, uint32_t now_ms, double cost) {
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

double rate_peek(const struct rate_bucket *b, const struct event_limit *lim, uint32_t now_ms) {
    if (b->last_ms == 0 && b->tokens == 0) return lim->burst;
    double t = b->tokens + (double)(now_ms - b->last_ms) * lim->rate / 1000.0;
    return t > lim->burst ? lim->burst : t;
}
