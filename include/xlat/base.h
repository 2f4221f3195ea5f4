/*
 * xlat/base.h — conventions shared by every module of libxlat.
 *
 *  - Functions that can fail return 0 (or a count) on success and a negative
 *    errno on failure; xlat_error() then holds one line saying what went
 *    wrong, for the command to print.
 *  - Broken invariants (bugs, not bad input) abort with "function: reason".
 *  - Ranges are half-open: [start, end).
 *  - Sizes are in bytes unless the name says pages or frames.
 */
#ifndef XLAT_BASE_H
#define XLAT_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The public API: what libxlat exports. The library is built with hidden
 * visibility and every public header marks its declarations default, so
 * an embedding program sees these and nothing internal (CMakeLists.txt
 * localizes the rest in libxlat.a). */
#define XLAT_API_BEGIN _Pragma("GCC visibility push(default)")
#define XLAT_API_END   _Pragma("GCC visibility pop")

XLAT_API_BEGIN

/* On every function that returns 0 or a negative errno (or a count or
 * -errno): ignoring what it says is a bug the compiler reports. */
#define XLAT_MUST_CHECK __attribute__((warn_unused_result))

/* An address in the input space of a stage (virtual, guest-virtual, or a
 * guest-physical address seen by the EPT stage). */
typedef uint64_t xlat_va;
/* An address in one physical space (struct phys): host-physical,
 * guest-physical or machine-physical depending on the space. */
typedef uint64_t xlat_pa;

#define XLAT_PAGE_SHIFT 12
#define XLAT_PAGE_SIZE  (1ULL << XLAT_PAGE_SHIFT)
#define XLAT_SIZE_4K    (1ULL << 12)
#define XLAT_SIZE_2M    (1ULL << 21)
#define XLAT_SIZE_1G    (1ULL << 30)

/* Largest physical address width the architecture allows (SDM 4.1.4). */
#define XLAT_MAX_PA_BITS 52
/* Deepest radix table we model (5-level paging / 5-level EPT). */
#define XLAT_MAX_LEVELS 5

/* Paging levels are numbered as the SDM does from the bottom: level 1 holds
 * PTEs (4 KiB leaves), 2 PDEs (2 MiB), 3 PDPTEs (1 GiB), 4 PML4Es, 5 PML5Es.
 *
 *   63      57 56    48 47    39 38    30 29    21 20    12 11         0
 *  +----------+--------+--------+--------+--------+--------+------------+
 *  | sign ext | L5 idx | L4 idx | L3 idx | L2 idx | L1 idx | page offset|
 *  +----------+--------+--------+--------+--------+--------+------------+
 */
static inline unsigned xlat_level_shift(int level) { return 12u + 9u * (unsigned)(level - 1); }
static inline uint64_t xlat_level_size(int level) { return 1ULL << xlat_level_shift(level); }
static inline unsigned xlat_index(int level, uint64_t va) { return (unsigned)(va >> xlat_level_shift(level)) & 511u; }

/* Page sizes: a leaf at level 1, 2, 3 maps a 4 KiB, 2 MiB, 1 GiB page (shift
 * 12, 21, 30). Counters and arrays by page size use a size index 0, 1, 2
 * (XLAT_PSIZE_*). These are the only conversions; use them. */
enum { XLAT_PSIZE_4K = 0, XLAT_PSIZE_2M, XLAT_PSIZE_1G, XLAT_NPSIZES };
/* The leaf level of a page of 2^shift bytes (a shift between the sizes
 * rounds down: the level whose pages it contains). */
static inline int xlat_shift_level(unsigned shift) { return shift >= 30 ? 3 : shift >= 21 ? 2 : 1; }
/* The size index of a page of 2^shift bytes (rounding down likewise). */
static inline unsigned xlat_shift_psize(unsigned shift) { return (unsigned)xlat_shift_level(shift) - 1u; }
/* The size index of exactly 2^shift bytes; XLAT_NPSIZES if that is not a
 * page size. */
static inline unsigned xlat_shift_psize_exact(unsigned shift)
{
	return shift == 12 ? XLAT_PSIZE_4K : shift == 21 ? XLAT_PSIZE_2M :
	       shift == 30 ? XLAT_PSIZE_1G : XLAT_NPSIZES;
}
/* Is shift exactly one of the three page sizes? */
static inline bool xlat_page_shift_ok(unsigned shift) { return xlat_shift_psize_exact(shift) < XLAT_NPSIZES; }
/* "4k", "2m", "1g" for a size index ("?" otherwise): how keys and
 * options spell page sizes. */
static inline const char *xlat_psize_name(unsigned psize)
{
	static const char *const names[XLAT_NPSIZES] = { "4k", "2m", "1g" };
	return psize < XLAT_NPSIZES ? names[psize] : "?";
}

static inline uint64_t xlat_align_down(uint64_t x, uint64_t a) { return x & ~(a - 1); }
static inline uint64_t xlat_align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }
static inline bool xlat_aligned(uint64_t x, uint64_t a) { return (x & (a - 1)) == 0; }

/* Records a one-line message for the current thread and returns err
 * (a negative errno) so callers can write `return xlat_fail(-EINVAL, ...)`.
 * Messages have no length limit, and xlat_error() may be one of the
 * arguments (to add context to a lower layer's message). */
int xlat_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last message recorded by xlat_fail on this thread ("" if none). */
const char *xlat_error(void);
/* The err of that xlat_fail call (0 if none): for a constructor that
 * returns NULL, whether it was bad input (-EINVAL) or memory (-ENOMEM). */
int xlat_error_code(void);

/* Aborts with "func: reason": for broken invariants only, never bad input. */
_Noreturn void xlat_bug(const char *func, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define XLAT_BUG(...) xlat_bug(__func__, __VA_ARGS__)
#define XLAT_ASSERT(cond) do { if (!(cond)) XLAT_BUG("assertion failed: %s", #cond); } while (0)

XLAT_API_END

#endif
