/* The RegexFullMatch matcher (regex.h): a recursive-descent parser builds a
 * syntax tree, which compiles to a program of CHAR/ANY/CLASS/ASSERT/SPLIT/
 * JMP/MATCH instructions (Thompson's construction); the matcher runs the
 * program as a Pike VM: one list of threads per text position, each
 * instruction at most once per list, so time is O(text * program). */
#include "regex.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROGRAM 65536 /* instructions */
#define MAX_REPEAT 1000   /* RE2's bound on {n,m} */
#define MAX_NESTING 200   /* groups inside groups */
#define CP_MAX 0x1100FFu  /* past Unicode: invalid bytes are 0x110000 + byte */

typedef struct {
    uint32_t lo, hi;
} cp_range;

typedef struct {
    cp_range *r;
    int n, cap;
    bool neg;
} cp_class;

enum { N_EMPTY, N_LIT, N_ANY, N_CLASS, N_ASSERT, N_CAT, N_ALT, N_REP };
enum { A_BEGIN, A_END, A_WORD, A_NOT_WORD };

typedef struct {
    int kind;
    uint32_t cp;      /* N_LIT */
    int arg;          /* N_CLASS: class index; N_ASSERT: A_* */
    int child, next;  /* first child (CAT, ALT, REP) and next sibling; -1 none */
    int min, max;     /* N_REP; max -1: no bound */
} re_node;

enum { I_CHAR, I_ANY, I_CLASS, I_ASSERT, I_SPLIT, I_JMP, I_MATCH };

typedef struct {
    int op;
    int x, y;     /* SPLIT: both targets; JMP: x; CLASS: x = class; ASSERT: x = kind */
    uint32_t cp;  /* CHAR */
} re_inst;

struct obn_regex {
    re_inst *prog;
    int n_prog;
    cp_class *classes;
    int n_classes;
};

typedef struct {
    const unsigned char *p;
    size_t len, pos;
    re_node *nodes;
    int n_nodes, cap_nodes;
    cp_class *classes;
    int n_classes, cap_classes;
    char *err;
    size_t err_cap;
    bool failed;
    re_inst *prog;
    int n_prog, cap_prog;
} parser;

static void fail(parser *ps, const char *what)
{
    if (ps->failed) return;
    ps->failed = true;
    snprintf(ps->err, ps->err_cap, "%s at byte %zu of the pattern", what, ps->pos);
}

static void fail_oom(parser *ps)
{
    if (ps->failed) return;
    ps->failed = true;
    snprintf(ps->err, ps->err_cap, "out of memory");
}

static int new_node(parser *ps, int kind)
{
    if (ps->failed) return -1;
    if (ps->n_nodes == ps->cap_nodes) {
        int cap = ps->cap_nodes ? 2 * ps->cap_nodes : 64;
        re_node *n = realloc(ps->nodes, (size_t)cap * sizeof *n);
        if (!n) {
            fail_oom(ps);
            return -1;
        }
        ps->nodes = n;
        ps->cap_nodes = cap;
    }
    re_node *n = &ps->nodes[ps->n_nodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->child = n->next = -1;
    return ps->n_nodes++;
}

/* ---- character classes */

static int new_class(parser *ps)
{
    if (ps->failed) return -1;
    if (ps->n_classes == ps->cap_classes) {
        int cap = ps->cap_classes ? 2 * ps->cap_classes : 8;
        cp_class *c = realloc(ps->classes, (size_t)cap * sizeof *c);
        if (!c) {
            fail_oom(ps);
            return -1;
        }
        ps->classes = c;
        ps->cap_classes = cap;
    }
    memset(&ps->classes[ps->n_classes], 0, sizeof(cp_class));
    return ps->n_classes++;
}

static void add_range(parser *ps, int ci, uint32_t lo, uint32_t hi)
{
    if (ps->failed || lo > hi) return;
    cp_class *c = &ps->classes[ci];
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 8;
        cp_range *r = realloc(c->r, (size_t)cap * sizeof *r);
        if (!r) {
            fail_oom(ps);
            return;
        }
        c->r = r;
        c->cap = cap;
    }
    c->r[c->n++] = (cp_range){lo, hi};
}

/* Ranges of an ASCII set given as sorted ranges, or of its complement. */
static void add_set(parser *ps, int ci, const cp_range *set, int n, bool negate)
{
    if (!negate) {
        for (int i = 0; i < n; i++) add_range(ps, ci, set[i].lo, set[i].hi);
        return;
    }
    uint32_t from = 0;
    for (int i = 0; i < n; i++) {
        if (set[i].lo > from) add_range(ps, ci, from, set[i].lo - 1);
        from = set[i].hi + 1;
    }
    add_range(ps, ci, from, CP_MAX);
}

static const cp_range DIGIT[] = {{'0', '9'}};
static const cp_range WORD[] = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
static const cp_range SPACE[] = {{'\t', '\n'}, {'\f', '\r'}, {' ', ' '}}; /* RE2's \s: no \v */

/* \d \D \w \W \s \S into class ci; false for another letter. */
static bool add_perl(parser *ps, int ci, char letter)
{
    switch (letter) {
    case 'd': case 'D': add_set(ps, ci, DIGIT, 1, letter == 'D'); return true;
    case 'w': case 'W': add_set(ps, ci, WORD, 4, letter == 'W'); return true;
    case 's': case 'S': add_set(ps, ci, SPACE, 3, letter == 'S'); return true;
    default: return false;
    }
}

/* [:name:] and [:^name:] (ASCII). The caller is at "[:"; false when what
 * follows is not such a class (then it is read as literal characters). */
static bool add_posix(parser *ps, int ci)
{
    static const struct {
        const char *name;
        cp_range r[4];
        int n;
    } posix[] = {
        {"alnum", {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}}, 3}, {"alpha", {{'A', 'Z'}, {'a', 'z'}}, 2},
        {"ascii", {{0, 0x7F}}, 1},                          {"blank", {{'\t', '\t'}, {' ', ' '}}, 2},
        {"cntrl", {{0, 0x1F}, {0x7F, 0x7F}}, 2},            {"digit", {{'0', '9'}}, 1},
        {"graph", {{'!', '~'}}, 1},                         {"lower", {{'a', 'z'}}, 1},
        {"print", {{' ', '~'}}, 1},                         {"punct", {{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}}, 4},
        {"space", {{'\t', '\r'}, {' ', ' '}}, 2},           {"upper", {{'A', 'Z'}}, 1},
        {"word", {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}, 4},
        {"xdigit", {{'0', '9'}, {'A', 'F'}, {'a', 'f'}}, 3},
    };
    size_t at = ps->pos + 2;
    bool neg = at < ps->len && ps->p[at] == '^';
    if (neg) at++;
    for (size_t k = 0; k < sizeof posix / sizeof posix[0]; k++) {
        size_t l = strlen(posix[k].name);
        if (at + l + 2 <= ps->len && memcmp(ps->p + at, posix[k].name, l) == 0 && ps->p[at + l] == ':' &&
            ps->p[at + l + 1] == ']') {
            add_set(ps, ci, posix[k].r, posix[k].n, neg);
            ps->pos = at + l + 2;
            return true;
        }
    }
    return false;
}

/* ---- UTF-8 */

/* The code point at s[*i] (advancing *i); an invalid byte is 0x110000 + byte. */
static uint32_t next_cp(const unsigned char *s, size_t len, size_t *i)
{
    unsigned c = s[*i];
    int extra = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
    if (extra > 0 && *i + (size_t)extra < len) {
        uint32_t cp = c & (0x3Fu >> extra);
        bool ok = true;
        for (int k = 1; k <= extra; k++) {
            unsigned b = s[*i + (size_t)k];
            if ((b & 0xC0) != 0x80) ok = false;
            cp = cp << 6 | (b & 0x3F);
        }
        static const uint32_t least[4] = {0, 0x80, 0x800, 0x10000};
        if (ok && cp >= least[extra] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF)) {
            *i += (size_t)extra + 1;
            return cp;
        }
    }
    if (extra == 0) {
        (*i)++;
        return c;
    }
    (*i)++;
    return 0x110000u + c;
}

/* ---- parser */

static int parse_alt(parser *ps, int depth);

static int hex_value(unsigned c)
{
    if (c >= '0' && c <= '9') return (int)(c - '0');
    if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return (int)(c - 'A' + 10);
    return -1;
}

/* After a backslash (ps->pos at the letter): a literal code point in *cp
 * (returns 1), or a Perl class letter left at ps->p[pos-1] (returns 2), or
 * an assertion in *cp (returns 3); 0 on error. */
static int parse_escape(parser *ps, uint32_t *cp, bool in_class)
{
    if (ps->pos >= ps->len) {
        fail(ps, "trailing backslash");
        return 0;
    }
    unsigned c = ps->p[ps->pos++];
    switch (c) {
    case 'd': case 'D': case 'w': case 'W': case 's': case 'S': return 2;
    case 'n': *cp = '\n'; return 1;
    case 't': *cp = '\t'; return 1;
    case 'r': *cp = '\r'; return 1;
    case 'f': *cp = '\f'; return 1;
    case 'v': *cp = '\v'; return 1;
    case 'a': *cp = '\a'; return 1;
    case 'x': {
        uint32_t v = 0;
        if (ps->pos < ps->len && ps->p[ps->pos] == '{') {
            ps->pos++;
            int digits = 0;
            while (ps->pos < ps->len && ps->p[ps->pos] != '}') {
                int h = hex_value(ps->p[ps->pos++]);
                if (h < 0 || ++digits > 8) {
                    fail(ps, "bad \\x{...} escape");
                    return 0;
                }
                v = v << 4 | (uint32_t)h;
            }
            if (ps->pos >= ps->len || !digits || v > 0x10FFFF) {
                fail(ps, "bad \\x{...} escape");
                return 0;
            }
            ps->pos++;
        } else {
            for (int k = 0; k < 2; k++) {
                int h = ps->pos < ps->len ? hex_value(ps->p[ps->pos]) : -1;
                if (h < 0) {
                    fail(ps, "bad \\x escape");
                    return 0;
                }
                ps->pos++;
                v = v << 4 | (uint32_t)h;
            }
        }
        *cp = v;
        return 1;
    }
    case 'b': case 'B': case 'A': case 'z':
        if (in_class) break;
        *cp = c == 'b' ? A_WORD : c == 'B' ? A_NOT_WORD : c == 'A' ? A_BEGIN : A_END;
        return 3;
    case 'p': case 'P':
        fail(ps, "Unicode classes (\\p, \\P) are not supported by onnxbn's regex engine");
        return 0;
    case 'Q': case 'E':
        fail(ps, "\\Q...\\E quoting is not supported by onnxbn's regex engine");
        return 0;
    case 'C':
        fail(ps, "\\C is not supported by onnxbn's regex engine");
        return 0;
    default: break;
    }
    if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
        *cp = c; /* escaped punctuation */
        return 1;
    }
    /* octal as RE2 reads it: \0, or 1-7 followed by more octal digits (up
     * to three); a lone \1-\9 would be a back reference, which RE2 lacks */
    if (c >= '0' && c <= '7' && (c == '0' || (ps->pos < ps->len && ps->p[ps->pos] >= '0' && ps->p[ps->pos] <= '7'))) {
        uint32_t v = c - '0';
        for (int k = 0; k < 2 && ps->pos < ps->len && ps->p[ps->pos] >= '0' && ps->p[ps->pos] <= '7'; k++)
            v = v * 8 + (uint32_t)(ps->p[ps->pos++] - '0');
        *cp = v;
        return 1;
    }
    fail(ps, c >= '0' && c <= '9' ? "invalid escape (RE2 has no back references)" : "invalid escape");
    return 0;
}

/* A class body after '['. */
static int parse_class(parser *ps)
{
    int ci = new_class(ps);
    if (ci < 0) return -1;
    if (ps->pos < ps->len && ps->p[ps->pos] == '^') {
        ps->classes[ci].neg = true;
        ps->pos++;
    }
    bool first = true;
    for (;;) {
        if (ps->pos >= ps->len) {
            fail(ps, "missing ]");
            return -1;
        }
        unsigned c = ps->p[ps->pos];
        if (c == ']' && !first) {
            ps->pos++;
            break;
        }
        first = false;
        if (c == '[' && ps->pos + 1 < ps->len && ps->p[ps->pos + 1] == ':' && add_posix(ps, ci)) continue;
        uint32_t lo;
        if (c == '\\') {
            ps->pos++;
            int k = parse_escape(ps, &lo, true);
            if (k == 0) return -1;
            if (k == 2) {
                add_perl(ps, ci, (char)ps->p[ps->pos - 1]);
                continue;
            }
        } else {
            lo = next_cp(ps->p, ps->len, &ps->pos);
        }
        uint32_t hi = lo;
        if (ps->pos + 1 < ps->len && ps->p[ps->pos] == '-' && ps->p[ps->pos + 1] != ']') {
            ps->pos++;
            if (ps->p[ps->pos] == '\\') {
                ps->pos++;
                if (parse_escape(ps, &hi, true) != 1) {
                    if (!ps->failed) fail(ps, "bad character class range");
                    return -1;
                }
            } else {
                hi = next_cp(ps->p, ps->len, &ps->pos);
            }
            if (hi < lo) {
                fail(ps, "bad character class range");
                return -1;
            }
        }
        add_range(ps, ci, lo, hi);
    }
    int n = new_node(ps, N_CLASS);
    if (n >= 0) ps->nodes[n].arg = ci;
    return n;
}

static int parse_atom(parser *ps, int depth)
{
    unsigned c = ps->p[ps->pos];
    int n;
    switch (c) {
    case '(': {
        if (depth >= MAX_NESTING) {
            fail(ps, "groups nest too deep");
            return -1;
        }
        ps->pos++;
        if (ps->pos < ps->len && ps->p[ps->pos] == '?') {
            /* (?: ), (?P<name> ), (?<name> ): groups; other (? ) are flags */
            size_t at = ps->pos + 1;
            if (at < ps->len && ps->p[at] == ':') {
                ps->pos = at + 1;
            } else if (at < ps->len && (ps->p[at] == 'P' || ps->p[at] == '<')) {
                if (ps->p[at] == 'P') at++;
                if (at >= ps->len || ps->p[at] != '<') {
                    fail(ps, "bad named group");
                    return -1;
                }
                while (at < ps->len && ps->p[at] != '>') at++;
                if (at >= ps->len) {
                    fail(ps, "bad named group");
                    return -1;
                }
                ps->pos = at + 1;
            } else {
                fail(ps, "flag groups ((?i), (?s), (?m), (?U)) are not supported by onnxbn's regex engine");
                return -1;
            }
        }
        n = parse_alt(ps, depth + 1);
        if (ps->failed) return -1;
        if (ps->pos >= ps->len || ps->p[ps->pos] != ')') {
            fail(ps, "missing )");
            return -1;
        }
        ps->pos++;
        return n;
    }
    case '[': ps->pos++; return parse_class(ps);
    case '.': ps->pos++; return new_node(ps, N_ANY);
    case '^': case '$':
        ps->pos++;
        n = new_node(ps, N_ASSERT);
        if (n >= 0) ps->nodes[n].arg = c == '^' ? A_BEGIN : A_END;
        return n;
    case '\\': {
        ps->pos++;
        uint32_t cp = 0;
        int k = parse_escape(ps, &cp, false);
        if (k == 0) return -1;
        if (k == 2) {
            int ci = new_class(ps);
            if (ci < 0) return -1;
            add_perl(ps, ci, (char)ps->p[ps->pos - 1]);
            n = new_node(ps, N_CLASS);
            if (n >= 0) ps->nodes[n].arg = ci;
            return n;
        }
        n = new_node(ps, k == 3 ? N_ASSERT : N_LIT);
        if (n >= 0) {
            if (k == 3) ps->nodes[n].arg = (int)cp;
            else ps->nodes[n].cp = cp;
        }
        return n;
    }
    case '*': case '+': case '?':
        fail(ps, "missing argument to repetition operator");
        return -1;
    default:
        n = new_node(ps, N_LIT);
        if (n >= 0) ps->nodes[n].cp = next_cp(ps->p, ps->len, &ps->pos);
        return n;
    }
}

/* "{n}", "{n,}", "{n,m}" at ps->pos: true (bounds set, pos past it) or
 * false when the text is not a repetition (then '{' is a literal). */
static bool parse_braces(parser *ps, int *min, int *max)
{
    size_t i = ps->pos + 1;
    long lo = 0, hi;
    int digits = 0;
    while (i < ps->len && ps->p[i] >= '0' && ps->p[i] <= '9' && digits < 8) lo = lo * 10 + (ps->p[i++] - '0'), digits++;
    if (!digits || i >= ps->len) return false;
    if (ps->p[i] == '}') {
        hi = lo;
    } else if (ps->p[i] == ',') {
        i++;
        if (i < ps->len && ps->p[i] == '}') {
            hi = -1;
        } else {
            hi = 0;
            digits = 0;
            while (i < ps->len && ps->p[i] >= '0' && ps->p[i] <= '9' && digits < 8) hi = hi * 10 + (ps->p[i++] - '0'), digits++;
            if (!digits || i >= ps->len || ps->p[i] != '}') return false;
        }
    } else {
        return false;
    }
    ps->pos = i + 1;
    if (lo > MAX_REPEAT || hi > MAX_REPEAT || (hi >= 0 && hi < lo)) {
        fail(ps, "bad repetition count (at most 1000, and {n,m} needs n <= m)");
        return true;
    }
    *min = (int)lo;
    *max = (int)hi;
    return true;
}

static int parse_repeat(parser *ps, int depth)
{
    int atom = parse_atom(ps, depth);
    bool repeated = false;
    while (!ps->failed && ps->pos < ps->len) {
        unsigned c = ps->p[ps->pos];
        int min = 0, max = -1;
        if (c == '*') min = 0, max = -1, ps->pos++;
        else if (c == '+') min = 1, max = -1, ps->pos++;
        else if (c == '?') min = 0, max = 1, ps->pos++;
        else if (c != '{' || !parse_braces(ps, &min, &max)) break;
        if (ps->failed) return -1;
        if (repeated) {
            fail(ps, "bad repetition operator (a repetition of a repetition)");
            return -1;
        }
        if (ps->pos < ps->len && ps->p[ps->pos] == '?') ps->pos++; /* lazy: the same for a full match */
        int r = new_node(ps, N_REP);
        if (r < 0) return -1;
        ps->nodes[r].child = atom;
        ps->nodes[r].min = min;
        ps->nodes[r].max = max;
        atom = r;
        repeated = true;
    }
    return atom;
}

static int parse_cat(parser *ps, int depth)
{
    int cat = new_node(ps, N_CAT), last = -1;
    while (!ps->failed && ps->pos < ps->len && ps->p[ps->pos] != '|' && ps->p[ps->pos] != ')') {
        int item = parse_repeat(ps, depth);
        if (item < 0) return -1;
        if (last < 0) ps->nodes[cat].child = item;
        else ps->nodes[last].next = item;
        last = item;
    }
    return ps->failed ? -1 : cat;
}

static int parse_alt(parser *ps, int depth)
{
    int alt = new_node(ps, N_ALT), last = -1;
    for (;;) {
        int branch = parse_cat(ps, depth);
        if (branch < 0) return -1;
        if (last < 0) ps->nodes[alt].child = branch;
        else ps->nodes[last].next = branch;
        last = branch;
        if (ps->pos < ps->len && ps->p[ps->pos] == '|') {
            ps->pos++;
            continue;
        }
        return alt;
    }
}

/* ---- compiler */

static int emit(parser *ps, int op)
{
    if (ps->failed) return -1;
    if (ps->n_prog >= MAX_PROGRAM) {
        snprintf(ps->err, ps->err_cap, "the pattern compiles to more than %d instructions", MAX_PROGRAM);
        ps->failed = true;
        return -1;
    }
    if (ps->n_prog == ps->cap_prog) {
        int cap = ps->cap_prog ? 2 * ps->cap_prog : 64;
        re_inst *p = realloc(ps->prog, (size_t)cap * sizeof *p);
        if (!p) {
            fail_oom(ps);
            return -1;
        }
        ps->prog = p;
        ps->cap_prog = cap;
    }
    ps->prog[ps->n_prog] = (re_inst){op, -1, -1, 0};
    return ps->n_prog++;
}

static void compile(parser *ps, int n);

static void compile_rep(parser *ps, const re_node *r)
{
    for (int k = 0; k < r->min && !ps->failed; k++) compile(ps, r->child);
    if (r->max < 0) { /* L: split body, out; body; jmp L */
        int s = emit(ps, I_SPLIT);
        if (s < 0) return;
        ps->prog[s].x = s + 1;
        compile(ps, r->child);
        int j = emit(ps, I_JMP);
        if (j < 0) return;
        ps->prog[j].x = s;
        ps->prog[s].y = ps->n_prog;
        return;
    }
    /* max - min optional copies, (e(e(e)?)?)?: a split before each that
     * leaves to the end; until the end is known each split's y links to the
     * previous split (-1 ends the chain) */
    int last = -1;
    for (int k = r->min; k < r->max && !ps->failed; k++) {
        int s = emit(ps, I_SPLIT);
        if (s < 0) return;
        ps->prog[s].x = s + 1;
        ps->prog[s].y = last;
        last = s;
        compile(ps, r->child);
    }
    while (last >= 0 && !ps->failed) {
        int prev = ps->prog[last].y;
        ps->prog[last].y = ps->n_prog;
        last = prev;
    }
}

static void compile(parser *ps, int ni)
{
    if (ps->failed || ni < 0) return;
    const re_node *n = &ps->nodes[ni];
    int i;
    switch (n->kind) {
    case N_EMPTY: break;
    case N_LIT:
        if ((i = emit(ps, I_CHAR)) >= 0) ps->prog[i].cp = n->cp;
        break;
    case N_ANY: emit(ps, I_ANY); break;
    case N_CLASS:
        if ((i = emit(ps, I_CLASS)) >= 0) ps->prog[i].x = n->arg;
        break;
    case N_ASSERT:
        if ((i = emit(ps, I_ASSERT)) >= 0) ps->prog[i].x = n->arg;
        break;
    case N_CAT:
        for (int c = n->child; c >= 0 && !ps->failed; c = ps->nodes[c].next) compile(ps, c);
        break;
    case N_ALT: {
        /* split b1, next; b1; jmp end; next: split b2, ... */
        int prev_jmp = -1;
        for (int c = n->child; c >= 0 && !ps->failed; c = ps->nodes[c].next) {
            int s = -1;
            if (ps->nodes[c].next >= 0) {
                if ((s = emit(ps, I_SPLIT)) < 0) return;
                ps->prog[s].x = s + 1;
            }
            compile(ps, c);
            if (ps->nodes[c].next >= 0) {
                int j = emit(ps, I_JMP);
                if (j < 0) return;
                ps->prog[j].x = prev_jmp; /* chained, patched below */
                prev_jmp = j;
                ps->prog[s].y = ps->n_prog;
            }
        }
        for (int j = prev_jmp; j >= 0 && !ps->failed;) {
            int up = ps->prog[j].x;
            ps->prog[j].x = ps->n_prog;
            j = up;
        }
        break;
    }
    case N_REP: compile_rep(ps, n); break;
    }
}

obn_regex *obn_regex_compile(const char *pattern, size_t len, char *err, size_t cap)
{
    parser ps = {.p = (const unsigned char *)pattern, .len = len, .err = err, .err_cap = cap};
    if (cap) err[0] = '\0';
    int root = parse_alt(&ps, 0);
    if (!ps.failed && ps.pos < ps.len) fail(&ps, "unmatched )");
    if (!ps.failed) compile(&ps, root);
    if (!ps.failed) emit(&ps, I_MATCH);
    obn_regex *re = ps.failed ? NULL : calloc(1, sizeof *re);
    if (!ps.failed && !re) fail_oom(&ps);
    free(ps.nodes);
    if (!re) {
        for (int i = 0; i < ps.n_classes; i++) free(ps.classes[i].r);
        free(ps.classes);
        free(ps.prog);
        return NULL;
    }
    re->prog = ps.prog;
    re->n_prog = ps.n_prog;
    re->classes = ps.classes;
    re->n_classes = ps.n_classes;
    return re;
}

void obn_regex_free(obn_regex *re)
{
    if (!re) return;
    for (int i = 0; i < re->n_classes; i++) free(re->classes[i].r);
    free(re->classes);
    free(re->prog);
    free(re);
}

/* ---- matcher */

static bool is_word(uint32_t cp)
{
    return (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || cp == '_';
}

static bool class_has(const cp_class *c, uint32_t cp)
{
    bool in = false;
    for (int i = 0; i < c->n && !in; i++) in = cp >= c->r[i].lo && cp <= c->r[i].hi;
    return in != c->neg;
}

static bool assert_holds(int kind, const uint32_t *t, size_t n, size_t i)
{
    switch (kind) {
    case A_BEGIN: return i == 0;
    case A_END: return i == n;
    default: {
        bool before = i > 0 && is_word(t[i - 1]), after = i < n && is_word(t[i]);
        return (before != after) == (kind == A_WORD);
    }
    }
}

typedef struct {
    int *pcs;
    int n;
} thread_list;

/* Adds pc and what it leads to without consuming text (jumps, splits,
 * assertions that hold at text position i) to list l; `mark` stamps each
 * instruction with the position whose list holds it. */
static void add_thread(const obn_regex *re, thread_list *l, int *mark, int *stack, int pc, const uint32_t *t,
                       size_t n, size_t i)
{
    int sp = 0, stamp = (int)i + 1;
    stack[sp++] = pc;
    while (sp) {
        int p = stack[--sp];
        if (mark[p] == stamp) continue;
        mark[p] = stamp;
        const re_inst *in = &re->prog[p];
        switch (in->op) {
        case I_JMP: stack[sp++] = in->x; break;
        case I_SPLIT:
            stack[sp++] = in->y;
            stack[sp++] = in->x;
            break;
        case I_ASSERT:
            if (assert_holds(in->x, t, n, i)) stack[sp++] = p + 1;
            break;
        default: l->pcs[l->n++] = p; break;
        }
    }
}

int obn_regex_full_match(const obn_regex *re, const char *s, size_t len)
{
    if (len > (SIZE_MAX / sizeof(uint32_t)) - 1 || (size_t)len + 1 > (size_t)INT32_MAX) return -1;
    uint32_t *t = malloc((len + 1) * sizeof *t);
    int np = re->n_prog;
    /* mark, the two thread lists (np each) and the stack (each instruction
     * taken once per list pushes at most 2, plus the first) */
    int *buf = malloc(((size_t)np * 5 + 2) * sizeof *buf);
    if (!t || !buf) {
        free(t);
        free(buf);
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < len;) t[n++] = next_cp((const unsigned char *)s, len, &i);
    int *mark = buf, *stack = buf + 3 * np;
    thread_list cl = {buf + np, 0}, nl = {buf + 2 * np, 0};
    for (int k = 0; k < np; k++) mark[k] = 0;
    /* positions whose list was built: stamps 1..n+1; the lists alternate,
     * so a stamp cannot be confused with the other list's */
    add_thread(re, &cl, mark, stack, 0, t, n, 0);
    int result = 0;
    for (size_t i = 0;; i++) {
        if (i == n) {
            for (int k = 0; k < cl.n; k++)
                if (re->prog[cl.pcs[k]].op == I_MATCH) result = 1;
            break;
        }
        nl.n = 0;
        uint32_t c = t[i];
        for (int k = 0; k < cl.n; k++) {
            const re_inst *in = &re->prog[cl.pcs[k]];
            bool ok = in->op == I_CHAR    ? c == in->cp
                      : in->op == I_ANY   ? c != '\n'
                      : in->op == I_CLASS ? class_has(&re->classes[in->x], c)
                                          : false;
            if (ok) add_thread(re, &nl, mark, stack, cl.pcs[k] + 1, t, n, i + 1);
        }
        thread_list tmp = cl;
        cl = nl;
        nl = tmp;
        if (cl.n == 0) break; /* no thread left: no match */
    }
    free(t);
    free(buf);
    return result;
}
