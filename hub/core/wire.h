/* wire.h -- the vocabulary of protocol chorus.v1, named once: size limits,
 * roles, marker kinds and WebSocket close codes (docs/protocol.md). Every
 * other module spells these through the names here. Header-only, no state. */
#ifndef CHORUS_WIRE_H
#define CHORUS_WIRE_H

#include <stddef.h>
#include <string.h>

/* Size limits of client messages (bytes unless said otherwise). */
#define WIRE_MAX_FRAME    4096   /* one WebSocket message; larger closes with 1009 */
#define WIRE_MAX_OPTIONS  12     /* options of a poll */
#define WIRE_MAX_TEXT     64     /* chant, poll option, marker label */
#define WIRE_MAX_QUESTION 200    /* poll question */

/* Roles a connection takes with `hello`. */
enum role { ROLE_AUDIENCE, ROLE_SCREEN, ROLE_PERFORMER, ROLE_CREW, ROLE_COUNT };

static inline const char *wire_role_name(enum role r) {
    static const char *const names[ROLE_COUNT] = {"audience", "screen", "performer", "crew"};
    return (unsigned)r < ROLE_COUNT ? names[r] : "?";
}

/* The role named by s[0..n), or -1. */
static inline int wire_role_parse(const char *s, size_t n) {
    for (int r = 0; r < ROLE_COUNT; r++) {
        const char *name = wire_role_name((enum role)r);
        if (n == strlen(name) && memcmp(s, name, n) == 0) return r;
    }
    return -1;
}

/* Kinds of a show marker (`marker` message, markers table). */
enum marker_kind { MARKER_SONG_START, MARKER_SONG_END, MARKER_NOTE, MARKER_COUNT };

static inline const char *wire_marker_name(enum marker_kind k) {
    static const char *const names[MARKER_COUNT] = {"song_start", "song_end", "note"};
    return (unsigned)k < MARKER_COUNT ? names[k] : "note";
}

/* The kind named by s[0..n), or -1. */
static inline int wire_marker_parse(const char *s, size_t n) {
    for (int k = 0; k < MARKER_COUNT; k++) {
        const char *name = wire_marker_name((enum marker_kind)k);
        if (n == strlen(name) && memcmp(s, name, n) == 0) return k;
    }
    return -1;
}

/* When a poll's results are shown to screens, stage and phones (the crew
 * always sees them): at once, when it closes, or when the crew says so. */
enum poll_reveal { REVEAL_LIVE, REVEAL_ON_CLOSE, REVEAL_MANUAL, REVEAL_COUNT };

static inline const char *wire_reveal_name(enum poll_reveal r) {
    static const char *const names[REVEAL_COUNT] = {"live", "on_close", "manual"};
    return (unsigned)r < REVEAL_COUNT ? names[r] : "live";
}

static inline int wire_reveal_parse(const char *s, size_t n) {
    for (int r = 0; r < REVEAL_COUNT; r++) {
        const char *name = wire_reveal_name((enum poll_reveal)r);
        if (n == strlen(name) && memcmp(s, name, n) == 0) return r;
    }
    return -1;
}

/* Chant moderation modes (docs/protocol.md, "Moderation"). */
enum mod_mode { MOD_AUTO, MOD_APPROVE, MOD_OFF, MOD_MODE_COUNT };

static inline const char *wire_mod_mode_name(enum mod_mode m) {
    static const char *const names[MOD_MODE_COUNT] = {"auto", "approve", "off"};
    return (unsigned)m < MOD_MODE_COUNT ? names[m] : "auto";
}

/* The mode named by s[0..n), or -1. */
static inline int wire_mod_mode_parse(const char *s, size_t n) {
    for (int m = 0; m < MOD_MODE_COUNT; m++) {
        const char *name = wire_mod_mode_name((enum mod_mode)m);
        if (n == strlen(name) && memcmp(s, name, n) == 0) return m;
    }
    return -1;
}

/* Crew moderation actions (`mod` message). */
enum mod_action { MOD_APPROVE_TEXT, MOD_HIDE, MOD_UNHIDE, MOD_BAN, MOD_UNBAN, MOD_SET_MODE, MOD_BLOCKED,
                  MOD_ACTION_COUNT };

/* MOD_BLOCKED is not a crew action: the filter's refusal, for the audit log. */
static inline const char *wire_mod_action_name(enum mod_action a) {
    static const char *const names[MOD_ACTION_COUNT] = {"approve", "hide", "unhide", "ban", "unban", "mode",
                                                        "blocked"};
    return (unsigned)a < MOD_ACTION_COUNT ? names[a] : "?";
}

/* WebSocket close codes the hub sends. A slow client (no drain for 10 s, or
 * a full control queue) is dropped without a close frame: it is not reading. */
enum wire_close {
    WIRE_CLOSE_GOING_AWAY = 1001,   /* hub shutting down */
    WIRE_CLOSE_POLICY     = 1008,   /* too many errors, or no hello in time */
    WIRE_CLOSE_TOO_BIG    = 1009,   /* message over WIRE_MAX_FRAME */
    WIRE_CLOSE_REPLACED   = 4000,   /* the same device connected again */
    WIRE_CLOSE_BANNED     = 4003,   /* the crew banned the device */
};

/* The reason text sent with a close code. */
static inline const char *wire_close_reason(int code) {
    switch (code) {
    case WIRE_CLOSE_GOING_AWAY: return "hub shutting down";
    case WIRE_CLOSE_POLICY: return "policy violation";
    case WIRE_CLOSE_TOO_BIG: return "frame over 4096 bytes";
    case WIRE_CLOSE_REPLACED: return "replaced by a newer connection";
    case WIRE_CLOSE_BANNED: return "banned by the crew";
    default: return "closed";
    }
}

#endif
