/* event.c -- event file loading and validation (see event.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "event.h"
#include "filter.h"
#include "oscmap.h"

const char *const event_limit_names[LIM_COUNT] = {
    "react_taps", "react_msgs", "votes", "chants", "pings", "joins_per_ip", "crew_msgs", "key_failures_per_ip",
};

static const struct event_limit default_limits[LIM_COUNT] = {
    {40, 200}, {10, 40}, {2, 10}, {0.5, 3}, {2, 10}, {200, 2000},
    /* crew_msgs: a person at a dashboard, with room for a scripted burst;
     * key_failures_per_ip: 10 wrong keys, then one more every 10 s. */
    {10, 60}, {0.1, 10},
};

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

static int name_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > EVENT_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-') return 0;
    return 1;
}

static int copy_str(const json_t *o, char *dst, size_t cap) {
    if (!json_is_string(o)) return -1;
    size_t n = json_string_length(o);
    if (n == 0 || n >= cap) return -1;
    memcpy(dst, json_string_value(o), n + 1);
    return 0;
}

static int read_names(const json_t *arr, int max, char out[][EVENT_NAME_MAX + 1], int *count) {
    if (!json_is_array(arr) || json_array_size(arr) > (size_t)max) return -1;
    *count = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || !name_ok(json_string_value(v))) return -1;
        for (int j = 0; j < *count; j++)
            if (!strcmp(out[j], json_string_value(v))) return -1;
        strcpy(out[(*count)++], json_string_value(v));
    }
    return 0;
}

/* An origin as a browser sends it: http(s)://host[:port], nothing after;
 * host is letters, digits, '.', '-' or a bracketed IPv6 address. With
 * allow_self, also 'self' (a CSP source). */
static int origin_ok(const char *s, int allow_self) {
    if (allow_self && !strcmp(s, "'self'")) return 1;
    const char *h = !strncmp(s, "http://", 7) ? s + 7 : !strncmp(s, "https://", 8) ? s + 8 : NULL;
    if (!h || !*h || strlen(s) > EVENT_ORIGIN_MAX) return 0;
    int v6 = *h == '[';
    for (const char *p = h; *p; p++) {
        if (isalnum((unsigned char)*p) || *p == '.' || *p == '-') continue;
        if (v6 && (*p == '[' || *p == ']' || *p == ':')) continue;
        if (!v6 && *p == ':') { while (isdigit((unsigned char)*++p)) {} return !*p && p[-1] != ':'; }
        return 0;
    }
    return 1;
}

static int read_origins(const json_t *arr, char out[][EVENT_ORIGIN_MAX + 1], int *count, int allow_self) {
    *count = 0;
    if (!arr) return 0;
    if (!json_is_array(arr) || json_array_size(arr) > EVENT_MAX_ORIGINS) return -1;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || !origin_ok(json_string_value(v), allow_self)) return -1;
        strcpy(out[(*count)++], json_string_value(v));
    }
    return 0;
}

/* moderation: {mode?, block?: [words], allow?: [words]}; the filter is
 * built here so a bad word is refused at start, naming its place. */
static int read_words(const json_t *arr, const char *name, struct filter *f, int allow, char *err, size_t errlen) {
    if (!arr) return 0;
    if (!json_is_array(arr) || json_array_size(arr) > 10000) {
        snprintf(err, errlen, "field 'moderation.%s' must be an array of at most 10000 words", name);
        return -1;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || (allow ? filter_allow(f, json_string_value(v)) : filter_block(f, json_string_value(v))) < 0) {
            snprintf(err, errlen, "field 'moderation.%s[%zu]' must be a word or phrase of 1-%d bytes of text", name, i,
                     FILTER_WORD_MAX);
            return -1;
        }
    }
    return 0;
}

static int read_moderation(const json_t *m, struct event_def *ev, const char *path, char *err, size_t errlen) {
    char why[200] = "";
    ev->mod_mode = MOD_AUTO;
    if (!(ev->filter = filter_new())) { snprintf(err, errlen, "out of memory"); return -1; }
    if (m) {
        if (!json_is_object(m)) { snprintf(err, errlen, "event file %s: field 'moderation' must be an object", path); return -1; }
        const json_t *mode = json_object_get(m, "mode");
        if (mode) {
            int md = json_is_string(mode) ? wire_mod_mode_parse(json_string_value(mode), json_string_length(mode)) : -1;
            if (md < 0) { snprintf(err, errlen, "event file %s: field 'moderation.mode' must be auto, approve or off", path); return -1; }
            ev->mod_mode = (enum mod_mode)md;
        }
        if (read_words(json_object_get(m, "block"), "block", ev->filter, 0, why, sizeof why) < 0 ||
            read_words(json_object_get(m, "allow"), "allow", ev->filter, 1, why, sizeof why) < 0) {
            snprintf(err, errlen, "event file %s: %s", path, why);
            return -1;
        }
    }
    if (filter_seal(ev->filter) < 0) { snprintf(err, errlen, "out of memory"); return -1; }
    return 0;
}

/* A prepared poll's text: 1..max bytes, not only white space. */
static char *poll_text(const json_t *v, size_t max) {
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max) return NULL;
    const char *s = json_string_value(v);
    if (strspn(s, " \t\r\n") == json_string_length(v)) return NULL;
    return strdup(s);
}

/* polls: [{name?, question, options, allow_change?, reveal?}], checked as a
 * crew's poll.open would be, so a desk cue never opens a poll that fails. */
static int read_polls(const json_t *a, struct event_def *ev, const char *path, char *err, size_t errlen) {
    if (!a) return 0;
    if (!json_is_array(a) || json_array_size(a) > EVENT_MAX_POLLS || !(ev->polls = calloc(json_array_size(a) + 1, sizeof *ev->polls))) {
        snprintf(err, errlen, "event file %s: field 'polls' must be an array of at most %d polls", path, EVENT_MAX_POLLS);
        return -1;
    }
    size_t i;
    json_t *o;
    json_array_foreach(a, i, o) {
        struct event_poll *p = &ev->polls[ev->npolls++];
        const json_t *name = json_object_get(o, "name"), *opts = json_object_get(o, "options"),
                     *ac = json_object_get(o, "allow_change"), *rv = json_object_get(o, "reveal");
        if (!json_is_object(o) || !(p->question = poll_text(json_object_get(o, "question"), WIRE_MAX_QUESTION))) {
            snprintf(err, errlen, "event file %s: field 'polls[%zu].question' must be a string of 1-%d bytes", path, i, WIRE_MAX_QUESTION);
            return -1;
        }
        if (name && (!json_is_string(name) || !name_ok(json_string_value(name)) || event_def_poll(ev, json_string_value(name), json_string_length(name)) >= 0)) {
            snprintf(err, errlen, "event file %s: field 'polls[%zu].name' must be a new name (letters, digits, '-', '_', up to 32)", path, i);
            return -1;
        }
        if (name) strcpy(p->name, json_string_value(name));
        if (!json_is_array(opts) || json_array_size(opts) < 2 || json_array_size(opts) > WIRE_MAX_OPTIONS) {
            snprintf(err, errlen, "event file %s: field 'polls[%zu].options' must hold 2-%d options", path, i, WIRE_MAX_OPTIONS);
            return -1;
        }
        for (size_t k = 0; k < json_array_size(opts); k++) {
            if (!(p->options[p->nopts] = poll_text(json_array_get(opts, k), WIRE_MAX_TEXT))) {
                snprintf(err, errlen, "event file %s: field 'polls[%zu].options[%zu]' must be a string of 1-%d bytes", path, i, k, WIRE_MAX_TEXT);
                return -1;
            }
            for (int j = 0; j < p->nopts; j++)
                if (!strcmp(p->options[j], p->options[p->nopts])) {
                    snprintf(err, errlen, "event file %s: field 'polls[%zu].options' has the same entry twice", path, i);
                    free(p->options[p->nopts]);
                    p->options[p->nopts] = NULL;
                    return -1;
                }
            p->nopts++;
        }
        if (ac && !json_is_boolean(ac)) {
            snprintf(err, errlen, "event file %s: field 'polls[%zu].allow_change' must be a boolean", path, i);
            return -1;
        }
        p->allow_change = json_is_true(ac);
        int r = rv ? (json_is_string(rv) ? wire_reveal_parse(json_string_value(rv), json_string_length(rv)) : -1) : REVEAL_LIVE;
        if (r < 0) {
            snprintf(err, errlen, "event file %s: field 'polls[%zu].reveal' must be live, on_close or manual", path, i);
            return -1;
        }
        p->reveal = (enum poll_reveal)r;
    }
    return 0;
}

/* osc: targets and listener (oscmap.c reads it; the names check its keys). */
static int read_osc(const json_t *o, struct event_def *ev, const char *path, char *err, size_t errlen) {
    _Static_assert(OSC_KINDS_MAX == EVENT_MAX_REACTIONS && OSC_SECTIONS_MAX == EVENT_MAX_SECTIONS, "oscmap.h's limits");
    if (!o) return 0;
    struct oscmap_names nm = {.nkinds = ev->nreactions, .nsections = ev->nsections};
    for (int i = 0; i < ev->nreactions; i++) nm.kinds[i] = ev->reactions[i];
    for (int i = 0; i < ev->nsections; i++) nm.sections[i] = ev->sections[i];
    char why[300];
    if (!(ev->osc = oscmap_conf_parse(o, &nm, why, sizeof why))) {
        snprintf(err, errlen, "event file %s: %s", path, why);
        return -1;
    }
    return 0;
}

struct event_def *event_def_load(const char *path, char *err, size_t errlen) {
    json_error_t je;
    struct event_def *ev = calloc(1, sizeof *ev);
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!ev) { snprintf(err, errlen, "out of memory"); free(ev); json_decref(root); return NULL; }
    if (!root) BAD("event file %s: %s (line %d)", path, je.text, je.line);
    if (!json_is_object(root)) BAD("event file %s: not a JSON object", path);

    const json_t *code = json_object_get(root, "code");
    if (copy_str(code, ev->code, sizeof ev->code) < 0 || !name_ok(ev->code))
        BAD("event file %s: field 'code' must be 1-32 letters, digits, '-' or '_'", path);
    if (copy_str(json_object_get(root, "name"), ev->name, sizeof ev->name) < 0)
        BAD("event file %s: field 'name' must be a string of 1-128 bytes", path);
    if (read_names(json_object_get(root, "reactions"), EVENT_MAX_REACTIONS, ev->reactions, &ev->nreactions) < 0 ||
        ev->nreactions == 0)
        BAD("event file %s: field 'reactions' must be 1-16 distinct names (letters, digits, '-', '_', up to 32)", path);
    const json_t *secs = json_object_get(root, "sections");
    if (secs && read_names(secs, EVENT_MAX_SECTIONS, ev->sections, &ev->nsections) < 0)
        BAD("event file %s: field 'sections' must be up to 64 distinct names (letters, digits, '-', '_', up to 32)", path);

    const json_t *keys = json_object_get(root, "keys");
    if (!json_is_object(keys)) BAD("event file %s: field 'keys' must be an object with crew, screen and performer", path);
    if (copy_str(json_object_get(keys, "crew"), ev->key_crew, sizeof ev->key_crew) < 0)
        BAD("event file %s: field 'keys.crew' must be a non-empty string", path);
    if (copy_str(json_object_get(keys, "screen"), ev->key_screen, sizeof ev->key_screen) < 0)
        BAD("event file %s: field 'keys.screen' must be a non-empty string", path);
    if (copy_str(json_object_get(keys, "performer"), ev->key_performer, sizeof ev->key_performer) < 0)
        BAD("event file %s: field 'keys.performer' must be a non-empty string", path);

    const json_t *songs = json_object_get(root, "songs");
    if (songs) {
        if (!json_is_array(songs) || json_array_size(songs) > EVENT_MAX_SONGS)
            BAD("event file %s: field 'songs' must be an array of up to 200 strings", path);
        ev->songs = calloc(json_array_size(songs) + 1, sizeof *ev->songs);
        if (!ev->songs) BAD("out of memory");
        size_t i;
        json_t *v;
        json_array_foreach(songs, i, v) {
            if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 64)
                BAD("event file %s: field 'songs[%zu]' must be a string of 1-64 bytes", path, i);
            ev->songs[ev->nsongs++] = strdup(json_string_value(v));
        }
    }

    memcpy(ev->limits, default_limits, sizeof ev->limits);
    const json_t *lim = json_object_get(root, "limits");
    if (lim) {
        if (!json_is_object(lim)) BAD("event file %s: field 'limits' must be an object", path);
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)lim, k, v) {
            int id = -1;
            for (int i = 0; i < LIM_COUNT; i++)
                if (!strcmp(k, event_limit_names[i])) id = i;
            if (id < 0) BAD("event file %s: unknown limit 'limits.%s'", path, k);
            json_t *r = json_object_get(v, "rate"), *b = json_object_get(v, "burst");
            if (!json_is_number(r) || !json_is_number(b) || json_number_value(r) <= 0 || json_number_value(b) < 1)
                BAD("event file %s: field 'limits.%s' needs a number 'rate' > 0 and 'burst' >= 1", path, k);
            ev->limits[id].rate = json_number_value(r);
            ev->limits[id].burst = json_number_value(b);
        }
    }
    if (read_origins(json_object_get(root, "origins"), ev->origins, &ev->norigins, 0) < 0)
        BAD("event file %s: field 'origins' must be up to 32 origins like \"https://chorus.example.com\" "
            "(scheme, host, optional port; no path)", path);
    if (read_origins(json_object_get(root, "screen_frame_ancestors"), ev->frame_ancestors, &ev->nframe_ancestors, 1) < 0)
        BAD("event file %s: field 'screen_frame_ancestors' must be up to 32 origins like \"https://obs.example.com\" "
            "or \"'self'\"", path);
    if (read_moderation(json_object_get(root, "moderation"), ev, path, err, errlen) < 0) goto fail;
    if (read_polls(json_object_get(root, "polls"), ev, path, err, errlen) < 0 ||
        read_osc(json_object_get(root, "osc"), ev, path, err, errlen) < 0)
        goto fail;
    json_object_del(root, "keys");
    ev->config_json = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(root);
    return ev;
fail:
    json_decref(root);
    event_def_free(ev);
    return NULL;
}

void event_def_free(struct event_def *ev) {
    if (!ev) return;
    for (int i = 0; i < ev->nsongs; i++) free(ev->songs[i]);
    free(ev->songs);
    free(ev->config_json);
    filter_free(ev->filter);
    for (int i = 0; i < ev->npolls; i++) {
        free(ev->polls[i].question);
        for (int k = 0; k < ev->polls[i].nopts; k++) free(ev->polls[i].options[k]);
    }
    free(ev->polls);
    free(ev->osc);
    free(ev);
}

static int find(const char (*names)[EVENT_NAME_MAX + 1], int count, const char *s, size_t n) {
    if (n > EVENT_NAME_MAX) return -1;
    for (int i = 0; i < count; i++)
        if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0) return i;
    return -1;
}

int event_def_reaction(const struct event_def *ev, const char *s, size_t n) {
    return find((const char (*)[EVENT_NAME_MAX + 1])ev->reactions, ev->nreactions, s, n);
}

int event_def_section(const struct event_def *ev, const char *s, size_t n) {
    return find((const char (*)[EVENT_NAME_MAX + 1])ev->sections, ev->nsections, s, n);
}

int event_def_poll(const struct event_def *ev, const char *s, size_t n) {
    for (int i = 0; i < ev->npolls; i++)
        if (ev->polls[i].name[0] && strlen(ev->polls[i].name) == n && memcmp(ev->polls[i].name, s, n) == 0) return i;
    return -1;
}
