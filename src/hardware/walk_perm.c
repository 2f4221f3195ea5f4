/*
 * hardware/walk_perm.c — permission check of a cached translation.
 *
 * A TLB entry holds the combined perms of a walk (walk_result.perms): R, W
 * and X ANDed over every stage (X already resolved for the page's mode), U
 * from stage 0, and WALK_PERM_LOWER_W. The x86 rules of walk_perm.h apply
 * to that word unchanged, with two additions for the later stages: a data
 * access needs R (an EPT page may be execute-only), and a supervisor write
 * under CR0.WP = 0 still needs the later stages' W.
 */
#include "hardware/walk_perm.h"

bool walk_perm_ok(uint32_t perms, const struct walk_req *req, unsigned ctl)
{
	unsigned kind = req->kind;
	bool user = !req->supervisor && !req->implicit;
	bool ac_ok = req->ac && !req->implicit;

	if (kind > XLAT_FETCH)
		return false;
	if (kind != XLAT_FETCH && !(perms & XLAT_R))
		return false;
	if (kind == XLAT_WRITE && !user && !(ctl & WALK_WP) && !(perms & WALK_PERM_LOWER_W))
		return false;
	return walk_x86_allowed(perms, kind, user, ac_ok, ctl);
}
