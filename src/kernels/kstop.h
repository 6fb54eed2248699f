/* Stopping a long kernel call early. A kernel knows nothing of runs,
 * timeouts or ONNX: the caller (the runtime, around one node's run) puts a
 * poll on the calling thread with obn_kstop_set, and a kernel that can run
 * long takes it once at its entry (obn_kstop_get, on the calling thread,
 * before any parallel region) and asks it at its chunk boundaries, from any
 * of its threads. Once the poll says stop, the kernel skips the work it has
 * not started and returns as usual; what it wrote is unspecified, and the
 * caller learns of the stop from its own state, not from the kernel.
 * Nested kernel calls made from worker threads get the poll passed
 * explicitly (a worker thread has none of its own). With no poll set (the
 * default) a kernel costs one NULL test per chunk. */
#ifndef OBN_KERNELS_KSTOP_H
#define OBN_KERNELS_KSTOP_H

typedef struct obn_kstop {
    int (*poll)(void *arg); /* nonzero: stop; safe to call from any thread */
    void *arg;
} obn_kstop;

/* The calling thread's poll: set (or cleared with NULL) by the caller of the
 * kernels; returns the one it replaces, to be restored. */
const obn_kstop *obn_kstop_set(const obn_kstop *stop);
const obn_kstop *obn_kstop_get(void);

/* Whether the work must stop (NULL: never). */
static inline int obn_kstop_hit(const obn_kstop *stop) { return stop && stop->poll(stop->arg); }

/* For loops that poll only every `every`-th step (cheap steps): step i
 * polls when i % every == 0 and remembers a stop in *latch, which the
 * threads of one call share, so that the steps between polls see it too. */
static inline int obn_kstop_step(const obn_kstop *stop, int *latch, long long i, long long every)
{
    if (!stop) return 0;
    if (__atomic_load_n(latch, __ATOMIC_RELAXED)) return 1;
    if (i % every || !stop->poll(stop->arg)) return 0;
    __atomic_store_n(latch, 1, __ATOMIC_RELAXED);
    return 1;
}

/* How many loop steps of `work` operations each to run between polls: one
 * poll per ~64k operations, so that a poll (a clock read) stays noise. */
static inline long long obn_kstop_every(double work)
{
    return work >= 65536.0 ? 1 : (long long)(65536.0 / (work + 1.0)) + 1;
}

#endif
