#include "kstop.h"

static _Thread_local const obn_kstop *current;

const obn_kstop *obn_kstop_set(const obn_kstop *stop)
{
    const obn_kstop *prev = current;
    current = stop;
    return prev;
}

const obn_kstop *obn_kstop_get(void) { return current; }
