#include "resource_limits.h"

#include <stdio.h>
#include <string.h>

#include "status.h"
#include "tensor.h"

void obn_limits_init(obn_limits *l)
{
    if (!l) return;
    memset(l, 0, sizeof *l);
    l->max_initializer_bytes = OBN_DEFAULT_MAX_INITIALIZER_BYTES;
    l->max_arena_bytes = OBN_DEFAULT_MAX_ARENA_BYTES;
    l->max_rank = OBN_MAX_RANK;
    l->max_graph_depth = OBN_DEFAULT_MAX_GRAPH_DEPTH;
}

obn_status obn_limits_resolve(const obn_limits *in, const char *who, obn_limits *out)
{
    obn_limits_init(out);
    if (!in) return OBN_OK;
    if (in->max_rank < 0 || in->max_rank > OBN_MAX_RANK)
        return obn_err(OBN_E_INVALID_ARGUMENT, "%s: limits.max_rank must be 1 to %d (0 = default), got %d", who,
                       OBN_MAX_RANK, in->max_rank);
    if (in->max_graph_depth < 0 || in->max_graph_depth > OBN_MAX_GRAPH_DEPTH_LIMIT)
        return obn_err(OBN_E_INVALID_ARGUMENT, "%s: limits.max_graph_depth must be 1 to %d (0 = default), got %d",
                       who, OBN_MAX_GRAPH_DEPTH_LIMIT, in->max_graph_depth);
    if (in->max_initializer_bytes) out->max_initializer_bytes = in->max_initializer_bytes;
    if (in->max_arena_bytes) out->max_arena_bytes = in->max_arena_bytes;
    if (in->max_rank) out->max_rank = in->max_rank;
    if (in->max_graph_depth) out->max_graph_depth = in->max_graph_depth;
    return OBN_OK;
}

const char *obn_bytes_str(uint64_t n, char *buf, size_t cap)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = -1;
    while (u < 5 && n >> (10 * (u + 2)) != 0) u++;
    if (u < 0) {
        snprintf(buf, cap, "%llu bytes", (unsigned long long)n);
    } else if ((n & (((uint64_t)1 << (10 * (u + 1))) - 1)) == 0) {
        snprintf(buf, cap, "%llu %s", (unsigned long long)(n >> (10 * (u + 1))), units[u]); /* "16 GiB" */
    } else {
        snprintf(buf, cap, "%llu bytes (%.1f %s)", (unsigned long long)n, (double)n / (double)((uint64_t)1 << (10 * (u + 1))),
                 units[u]);
    }
    return buf;
}

obn_status obn_budget_take(obn_budget *b, uint64_t bytes, const char *tensor)
{
    if (!b) return OBN_OK;
    if (bytes <= b->limit && b->used <= b->limit - bytes) {
        b->used += bytes;
        return OBN_OK;
    }
    char need[48], lim[48], total[48];
    uint64_t sum = b->used + bytes < b->used ? UINT64_MAX : b->used + bytes;
    return obn_err(OBN_E_UNSUPPORTED,
                   "tensor '%s' needs %s, which brings %s to %s: over the limit of %s (obn_limits.%s)", tensor,
                   obn_bytes_str(bytes, need, sizeof need), b->scope, obn_bytes_str(sum, total, sizeof total),
                   obn_bytes_str(b->limit, lim, sizeof lim), b->limit_name);
}

void obn_budget_give(obn_budget *b, uint64_t bytes)
{
    if (!b) return;
    b->used = bytes > b->used ? 0 : b->used - bytes;
}

obn_status obn_limits_check_rank(const obn_limits *l, long rank, const char *tensor)
{
    int max = l ? l->max_rank : OBN_MAX_RANK;
    if (rank <= max) return OBN_OK;
    return obn_err(OBN_E_UNSUPPORTED, "tensor '%s' has rank %ld: over the limit of %d (obn_limits.max_rank)", tensor,
                   rank, max);
}
