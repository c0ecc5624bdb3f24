/* wire.h -- the vocabulary of protocol chorus.v1, named once: size limits,
 * roles, marker kinds and WebSocket close codes (docs/protocol.md). Every
 * other module spells these through the names here. Header-only, no state. */
#ifndef CHORUS_WIRE_H
#define CHORUS_WIRE_H

#include <stddef.h>
#include <string.h>

/* The index of s[0..n) in names[0..count), or -1: the parsers below. */
static inline int wire_parse(const char *const *names, int count, const char *s, size_t n) {
    for (int i = 0; i < count; i++)
        if (n == strlen(names[i]) && memcmp(s, names[i], n) == 0) return i;
    return -1;
}

/* Size limits of client messages (bytes unless said otherwise). */
#define WIRE_MAX_FRAME    4096   /* one WebSocket message; larger closes with 1009 */
#define WIRE_MAX_OPTIONS  12     /* options of a poll */
#define WIRE_MAX_TEXT     64     /* chant, poll option, marker label */
#define WIRE_MAX_QUESTION 200    /* poll question */

/* A fan's signal may say how long ago it was made (`age`, ms): a phone
 * that was offline sends its backlog with the times the fan tapped. The hub
 * time stays authoritative: the age is bounded to [0, WIRE_MAX_AGE_MS] and
 * never reaches back before the hub started. */
#define WIRE_MAX_AGE_MS   (10 * 60 * 1000)

/* Roles a connection takes with `hello`. */
enum role { ROLE_AUDIENCE, ROLE_SCREEN, ROLE_PERFORMER, ROLE_CREW, ROLE_COUNT };

static inline const char *const *wire_role_names(void) {
    static const char *const names[ROLE_COUNT] = {"audience", "screen", "performer", "crew"};
    return names;
}

static inline const char *wire_role_name(enum role x) {
    return (unsigned)x < ROLE_COUNT ? wire_role_names()[x] : "?";
}

/* The value named by s[0..n), or -1. */
static inline int wire_role_parse(const char *s, size_t n) { return wire_parse(wire_role_names(), ROLE_COUNT, s, n); }

/* Kinds of a show marker (`marker` message, markers table). */
enum marker_kind { MARKER_SONG_START, MARKER_SONG_END, MARKER_NOTE, MARKER_COUNT };

static inline const char *const *wire_marker_names(void) {
    static const char *const names[MARKER_COUNT] = {"song_start", "song_end", "note"};
    return names;
}

static inline const char *wire_marker_name(enum marker_kind x) {
    return (unsigned)x < MARKER_COUNT ? wire_marker_names()[x] : "note";
}

/* The value named by s[0..n), or -1. */
static inline int wire_marker_parse(const char *s, size_t n) { return wire_parse(wire_marker_names(), MARKER_COUNT, s, n); }

/* When a poll's results are shown to screens, stage and phones (the crew
 * always sees them): at once, when it closes, or when the crew says so. */
enum poll_reveal { REVEAL_LIVE, REVEAL_ON_CLOSE, REVEAL_MANUAL, REVEAL_COUNT };

static inline const char *const *wire_reveal_names(void) {
    static const char *const names[REVEAL_COUNT] = {"live", "on_close", "manual"};
    return names;
}

static inline const char *wire_reveal_name(enum poll_reveal x) {
    return (unsigned)x < REVEAL_COUNT ? wire_reveal_names()[x] : "live";
}

/* The value named by s[0..n), or -1. */
static inline int wire_reveal_parse(const char *s, size_t n) { return wire_parse(wire_reveal_names(), REVEAL_COUNT, s, n); }

/* Chant moderation modes (docs/protocol.md, "Moderation"). */
enum mod_mode { MOD_AUTO, MOD_APPROVE, MOD_OFF, MOD_MODE_COUNT };

static inline const char *const *wire_mod_mode_names(void) {
    static const char *const names[MOD_MODE_COUNT] = {"auto", "approve", "off"};
    return names;
}

static inline const char *wire_mod_mode_name(enum mod_mode x) {
    return (unsigned)x < MOD_MODE_COUNT ? wire_mod_mode_names()[x] : "auto";
}

/* The value named by s[0..n), or -1. */
static inline int wire_mod_mode_parse(const char *s, size_t n) { return wire_parse(wire_mod_mode_names(), MOD_MODE_COUNT, s, n); }

/* Crew moderation actions (`mod` message). */
enum mod_action { MOD_APPROVE_TEXT, MOD_HIDE, MOD_UNHIDE, MOD_BAN, MOD_UNBAN, MOD_SET_MODE, MOD_BLOCKED,
                  MOD_ACTION_COUNT };

/* MOD_BLOCKED is not a crew action: the filter's refusal, for the audit log. */
static inline const char *const *wire_mod_action_names(void) {
    static const char *const names[MOD_ACTION_COUNT] = {"approve", "hide", "unhide", "ban", "unban", "mode",
                                                        "blocked"};
    return names;
}

static inline const char *wire_mod_action_name(enum mod_action a) {
    return (unsigned)a < MOD_ACTION_COUNT ? wire_mod_action_names()[a] : "?";
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
