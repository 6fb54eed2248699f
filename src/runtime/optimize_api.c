/* Public API of the graph passes and of export: obn_model_optimize,
 * its pass log, obn_model_save. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "model.h"
#include "passes.h"
#include "status.h"

void obn_optimize_options_init(obn_optimize_options *o)
{
    if (!o) return;
    o->fold_batchnorm = 1;
    o->fuse_activation = 1;
}

obn_status obn_model_optimize(const obn_model *model, const obn_optimize_options *options, obn_model **out)
{
    if (!model || !out) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_model_optimize: NULL argument");
    *out = NULL;
    obn_optimize_options defaults;
    obn_optimize_options_init(&defaults);
    if (!options) options = &defaults;
    obn_graph *g;
    OBN_TRY(obn_graph_clone(model->graph, &g));
    obn_pass_options po = {options->fold_batchnorm != 0, options->fuse_activation != 0, false};
    obn_pass_log log = {0};
    obn_status s = obn_optimize_graph(g, &po, &log);
    if (s != OBN_OK) {
        obn_graph_free(g);
        obn_pass_log_free(&log);
        return g && model->graph->source ? obn_err_prefix(s, "%s: ", model->graph->source) : s;
    }
    s = obn_model_wrap(g, out);
    if (s != OBN_OK) {
        obn_pass_log_free(&log);
        return s;
    }
    (*out)->pass_log = log.lines; /* the model takes the lines */
    (*out)->n_pass_log = log.n;
    return OBN_OK;
}

size_t obn_model_pass_log_count(const obn_model *m) { return m ? (size_t)m->n_pass_log : 0; }

const char *obn_model_pass_log(const obn_model *m, size_t i)
{
    return m && i < (size_t)m->n_pass_log ? m->pass_log[i] : NULL;
}

obn_status obn_model_save(const obn_model *m, const char *path)
{
    if (!m || !path) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_model_save: NULL argument");
    uint8_t *buf;
    size_t n;
    OBN_TRY(obn_export_bytes(m->graph, &buf, &n));
    FILE *f = fopen(path, "wb");
    obn_status s = OBN_OK;
    if (!f) {
        s = obn_err(OBN_E_IO, "%s: cannot create: %s", path, strerror(errno));
    } else {
        if (fwrite(buf, 1, n, f) != n) s = obn_err(OBN_E_IO, "%s: write failed", path);
        if (fclose(f) != 0 && s == OBN_OK) s = obn_err(OBN_E_IO, "%s: write failed: %s", path, strerror(errno));
    }
    free(buf);
    return s;
}
