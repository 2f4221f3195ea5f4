/*
 * hardware/walk_perm.h — the permission rules of the walker, one place.
 *
 * Internal to walk.c and walk_perm.c. Permissions travel as a word of
 * XLAT_* bits (format.h) ANDed over the levels of a stage and over the
 * stages of a chain. Which entry bit grants which right is the format's
 * (struct fmt_perm_bits; walk.c's entry_perms reads it); for the two
 * formats there are:
 *
 *   XLAT_R   readable        x86: always;       EPT: bit 0
 *   XLAT_W   writable        x86: R/W (bit 1);  EPT: bit 1
 *   XLAT_U   user page       x86: U/S (bit 2);  EPT: always (no such bit)
 *   XLAT_X   executable by a supervisor-mode linear address
 *                            x86: XD clear (or NXE off); EPT: bit 2
 *   XLAT_UX  executable by a user-mode linear address
 *                            x86: as XLAT_X; EPT: bit 10 with MBEC, else bit 2
 *
 * so that "allowed" is always "the needed bits are all set", and a chain's
 * combined word is the AND of its stages' words.
 *
 * x86 rules: Intel SDM vol. 3A 4.6 (access rights), 4.7 (error code).
 * EPT rules: SDM vol. 3C 29.3.3.2 (violations), table 28-7 (qualification).
 */
#ifndef XLAT_HARDWARE_WALK_PERM_H
#define XLAT_HARDWARE_WALK_PERM_H

#include "xlat/format.h"
#include "xlat/walk.h"

#define WALK_PERM_ALL (XLAT_R | XLAT_W | XLAT_X | XLAT_U | XLAT_UX)

/*
 * Does an x86 stage allow an access, given the perms ANDed over its levels?
 * user: user-mode access (CPL 3 and not implicit; every access of a stage
 * after stage 0, as AMD nested paging treats them). ac_ok: EFLAGS.AC = 1 and
 * the access is explicit (SMAP override).
 *
 *   user  read : U                   user  write: U and W
 *   user  fetch: U and X (XD clear with NXE)
 *   sup   read : not (SMAP and U and not ac_ok)
 *   sup   write: same, and W when CR0.WP
 *   sup   fetch: X, and not U under SMEP
 */
static inline bool walk_x86_allowed(uint32_t p, unsigned kind, bool user, bool ac_ok,
				    unsigned ctl)
{
	if (user) {
		uint32_t need = XLAT_U | (kind == XLAT_WRITE ? XLAT_W : 0) |
				(kind == XLAT_FETCH ? XLAT_X : 0);
		return (p & need) == need;
	}
	if (kind == XLAT_FETCH)
		return (p & XLAT_X) && !((ctl & WALK_SMEP) && (p & XLAT_U));
	if ((ctl & WALK_SMAP) && (p & XLAT_U) && !ac_ok)
		return false;
	return kind != XLAT_WRITE || (p & XLAT_W) || !(ctl & WALK_WP);
}

/* The EPT permission an access needs (SDM 29.3.3.2). user_la selects UX for
 * a fetch through a user-mode linear address (meaningful with MBEC only;
 * without it XLAT_UX mirrors XLAT_X). */
static inline uint32_t walk_ept_need(unsigned kind, bool user_la)
{
	if (kind == XLAT_WRITE)
		return XLAT_W;
	if (kind == XLAT_FETCH)
		return user_la ? XLAT_UX : XLAT_X;
	return XLAT_R;
}

/* #PF error code bits that depend on the access, not on the cause (W, U, I);
 * the caller adds P and RSVD. I only when NXE or SMEP is on (SDM 4.7). */
static inline uint32_t walk_pf_access_bits(unsigned kind, bool user, unsigned ctl)
{
	uint32_t ec = 0;

	if (kind == XLAT_WRITE)
		ec |= WALK_PF_W;
	if (user)
		ec |= WALK_PF_U;
	if (kind == XLAT_FETCH && (ctl & (WALK_NXE | WALK_SMEP)))
		ec |= WALK_PF_I;
	return ec;
}

/* EPT exit qualification bits 2:0: the access. A guest paging-structure read
 * under EPT A/D counts as a write and reports both bits 0 and 1 (table 28-7). */
static inline uint64_t walk_eptq_access(unsigned kind, bool table, bool ad)
{
	if (table && ad)
		return WALK_EPTQ_READ | WALK_EPTQ_WRITE;
	return kind == XLAT_WRITE ? WALK_EPTQ_WRITE : kind == XLAT_FETCH ? WALK_EPTQ_FETCH : WALK_EPTQ_READ;
}

/* EPT exit qualification bits 6:3: the perms of the translation so far.
 * Bit 6 (user-executable) only with MBEC; bit 5 is plain X without it. */
static inline uint64_t walk_eptq_perms(uint32_t p, bool mbec)
{
	uint64_t q = 0;

	if (p & XLAT_R)
		q |= WALK_EPTQ_READABLE;
	if (p & XLAT_W)
		q |= WALK_EPTQ_WRITABLE;
	if (p & XLAT_X)
		q |= WALK_EPTQ_EXECUTABLE;
	if (mbec && (p & XLAT_UX))
		q |= WALK_EPTQ_UEXECUTABLE;
	return q;
}

#endif
