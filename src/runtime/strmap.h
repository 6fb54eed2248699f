/* Open-addressing map from string to int, for name lookups in the IR. */
#ifndef OBN_STRMAP_H
#define OBN_STRMAP_H

#include <stddef.h>

#include "onnxbn.h"

typedef struct obn_strmap {
    const char **keys; /* borrowed: the IR owns the strings */
    int *vals;
    size_t cap, count;
} obn_strmap;

void obn_strmap_init(obn_strmap *m);
void obn_strmap_free(obn_strmap *m);
/* Returns the value, or -1 if absent. */
int obn_strmap_get(const obn_strmap *m, const char *key);
/* Inserts or replaces. The key must outlive the map (it is not copied). */
obn_status obn_strmap_put(obn_strmap *m, const char *key, int val);

#endif
