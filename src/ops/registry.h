#ifndef OBN_REGISTRY_H
#define OBN_REGISTRY_H

#include <stddef.h>

#include "op.h"

size_t obn_registry_count(void);
const obn_op *obn_registry_at(size_t i);

#endif
