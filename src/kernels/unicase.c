/* Case mapping of UTF-8 text (unicase.h). The tables are the Unicode
 * simple case mappings of the blocks listed there, written as ranges. */
#include "unicase.h"

/* Pairs (upper, upper + 1 = lower) from `lo` to `hi` where upper has the
 * parity of `lo`. */
static bool in_pairs(uint32_t cp, uint32_t lo, uint32_t hi) { return cp >= lo && cp <= hi; }

static uint32_t to_lower(uint32_t cp)
{
    if (cp >= 'A' && cp <= 'Z') return cp + 32;
    if (cp < 0x80) return cp;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
    if (cp == 0x178) return 0xFF;
    /* Latin Extended-A: alternating pairs; 0x130/0x131 (Turkish i) and
     * 0x138, 0x149, 0x17F have no same-length partner */
    if ((in_pairs(cp, 0x100, 0x12F) || in_pairs(cp, 0x132, 0x137) || in_pairs(cp, 0x14A, 0x177)) && cp % 2 == 0)
        return cp + 1;
    if ((in_pairs(cp, 0x139, 0x148) || in_pairs(cp, 0x179, 0x17E)) && cp % 2 == 1) return cp + 1;
    /* Greek */
    if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 32;
    if (cp == 0x386) return 0x3AC;
    if (cp >= 0x388 && cp <= 0x38A) return cp + 37;
    if (cp == 0x38C) return 0x3CC;
    if (cp == 0x38E || cp == 0x38F) return cp + 63;
    /* Cyrillic */
    if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
    if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
    if ((in_pairs(cp, 0x460, 0x481) || in_pairs(cp, 0x48A, 0x4BF)) && cp % 2 == 0) return cp + 1;
    return cp;
}

static uint32_t to_upper(uint32_t cp)
{
    if (cp >= 'a' && cp <= 'z') return cp - 32;
    if (cp < 0x80) return cp;
    if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) return cp - 32;
    if (cp == 0xFF) return 0x178;
    if (cp == 0xB5) return 0x39C; /* micro sign -> Greek capital mu */
    if ((in_pairs(cp, 0x101, 0x12F) || in_pairs(cp, 0x133, 0x137) || in_pairs(cp, 0x14B, 0x177)) && cp % 2 == 1)
        return cp - 1;
    if ((in_pairs(cp, 0x13A, 0x148) || in_pairs(cp, 0x17A, 0x17E)) && cp % 2 == 0) return cp - 1;
    if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) return cp - 32;
    if (cp == 0x3C2) return 0x3A3; /* final sigma */
    if (cp == 0x3AC) return 0x386;
    if (cp >= 0x3AD && cp <= 0x3AF) return cp - 37;
    if (cp == 0x3CC) return 0x38C;
    if (cp == 0x3CD || cp == 0x3CE) return cp - 63;
    if (cp >= 0x430 && cp <= 0x44F) return cp - 32;
    if (cp >= 0x450 && cp <= 0x45F) return cp - 80;
    if ((in_pairs(cp, 0x461, 0x481) || in_pairs(cp, 0x48B, 0x4BF)) && cp % 2 == 1) return cp - 1;
    return cp;
}

uint32_t obn_case_map_cp(uint32_t cp, bool upper) { return upper ? to_upper(cp) : to_lower(cp); }

void obn_case_map_utf8(const char *s, size_t len, bool upper, char *out)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char *o = (unsigned char *)out;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        if (c < 0x80) {
            o[i] = (unsigned char)obn_case_map_cp(c, upper);
            i++;
            continue;
        }
        /* two-byte sequences hold every mapped letter above ASCII (U+0080..U+07FF) */
        if ((c & 0xE0) == 0xC0 && i + 1 < len && (p[i + 1] & 0xC0) == 0x80 && c >= 0xC2) {
            uint32_t cp = ((uint32_t)(c & 0x1F) << 6) | (p[i + 1] & 0x3F);
            uint32_t m = obn_case_map_cp(cp, upper);
            if (m < 0x80 || m > 0x7FF) m = cp; /* keep the length */
            o[i] = (unsigned char)(0xC0 | (m >> 6));
            o[i + 1] = (unsigned char)(0x80 | (m & 0x3F));
            i += 2;
            continue;
        }
        o[i] = p[i]; /* other sequences and stray bytes: unchanged */
        i++;
    }
}
