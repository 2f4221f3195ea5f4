/*
 * The hardware checks of each model (xlat/tee.h, tee_check): what is read,
 * when, and what is refused. Sources and the reasoning are in docs/tee.md.
 *
 *  rmp   At the end of every guest-physical translation of an SNP guest
 *        (the guest's page-table reads and its data access) the RMP entry
 *        of the system-physical frame is read (AMD APM vol. 2, 15.36.10:
 *        "RMP checks"): a private access needs the frame assigned to the
 *        guest's ASID at exactly this GPA, else #NPF with the RMP bit, and
 *        validated, else #VC; a shared access (C-bit clear) needs a
 *        hypervisor-owned frame. The nested walk's own reads of the NPT are
 *        hypervisor reads, which the RMP does not check. The hypervisor's
 *        writes are checked (it may not write an assigned frame), its reads
 *        are not (they see ciphertext). The order of the checks follows
 *        microsoft/verismo's RMP specification (RmpEntry::check_access).
 *  gpt   Every physical access, the walk's own reads included, passes the
 *        granule protection check (Arm ARM, RME; TF-A's GPT library): the
 *        granule's GPI must allow the accessing world (realm: REALM or NS,
 *        the PAS of an unprotected IPA; normal world: NS), else a granule
 *        protection fault.
 *  tdx   Nothing is read at walk time (the TDX module checked the PAMT when
 *        it put the page in the secure EPT). A TD line the host wrote has
 *        lost its TD-owner bit (or its MAC): the TD's read of it is a
 *        machine check. That bit travels with the line: no extra reference.
 *  fold, stage3   Nothing beyond the walk: the monitor's tables are the
 *        check, and every change to them was checked at mapping time.
 */
#include "tee_int.h"

static const char *const fault_names[TEE_FAULT_COUNT] = {
	[TEE_OK] = "ok",
	[TEE_FAULT_RMP] = "RMP violation (#NPF)",
	[TEE_FAULT_NOT_VALIDATED] = "page not validated (#VC)",
	[TEE_FAULT_GPF] = "granule protection fault",
	[TEE_FAULT_POISON] = "poisoned line (#MC)",
};

const char *tee_fault_name(int f)
{
	return f >= 0 && f < TEE_FAULT_COUNT ? fault_names[f] : "?";
}

static int check_rmp(struct tee *t, struct tee_vm *v, const struct tee_access *a,
		     struct tee_ref *refs, unsigned *nrefs)
{
	uint64_t pfn = a->pa >> XLAT_PAGE_SHIFT, w0;
	xlat_pa ra;

	if (a->site != TEE_SITE_GPA)
		return TEE_OK;
	if (pfn >= t->hv_frames)
		return TEE_FAULT_RMP;   /* monitor memory: beyond what the RMP lets anyone use */
	ra = tee_record_addr(t, pfn);
	if (tee_rec_read(t, pfn, &w0, NULL))
		return TEE_FAULT_RMP;
	if (*nrefs < TEE_CHECK_MAX_REFS)
		refs[*nrefs] = (struct tee_ref){ .pa = ra, .val = w0, .kind = TEE_REF_RMP };
	(*nrefs)++;
	if (!v)   /* the hypervisor: its writes must stay off assigned frames */
		return a->write && (w0 & REC_ASSIGNED) ? TEE_FAULT_RMP : TEE_OK;
	if (tee_guest_is_shared(v, a->gpa))
		return (w0 & REC_ASSIGNED) ? TEE_FAULT_RMP : TEE_OK;
	if (!(w0 & REC_ASSIGNED) || ((w0 & REC_ASID_MASK) >> REC_ASID_SHIFT) != v->id ||
	    (w0 & REC_GPA_MASK) != xlat_align_down(a->gpa, XLAT_PAGE_SIZE))
		return TEE_FAULT_RMP;
	return (w0 & REC_VALIDATED) ? TEE_OK : TEE_FAULT_NOT_VALIDATED;
}

static int check_gpt(struct tee *t, struct tee_vm *v, const struct tee_access *a, bool use_cache,
		     struct tee_ref *refs, unsigned *nrefs)
{
	unsigned gpi;

	if (a->site != TEE_SITE_PHYS)
		return TEE_OK;
	gpi = tee_gpt_lookup(t, a->pa, use_cache, refs, nrefs);
	if (gpi == GPT_GPI_ANY || gpi == GPT_GPI_NS || (v && gpi == GPT_GPI_REALM))
		return TEE_OK;
	return TEE_FAULT_GPF;
}

static int check_tdx(struct tee *t, struct tee_vm *v, const struct tee_access *a)
{
	uint64_t pfn = a->pa >> XLAT_PAGE_SHIFT, w0, w1;

	if (!v || a->site != TEE_SITE_PHYS || pfn >= t->hv_frames)
		return TEE_OK;
	if (tee_rec_read(t, pfn, &w0, &w1))
		return TEE_OK;
	return (w1 & REC1_POISON) && !a->write ? TEE_FAULT_POISON : TEE_OK;
}

int tee_check_quiet(struct tee *t, struct tee_vm *v, const struct tee_access *a, bool use_cache,
		    struct tee_ref *refs, unsigned *nrefs)
{
	*nrefs = 0;
	switch (t->cfg.model) {
	case TEE_RMP:
		return check_rmp(t, v, a, refs, nrefs);
	case TEE_GPT:
		return check_gpt(t, v, a, use_cache, refs, nrefs);
	case TEE_TDX:
		return check_tdx(t, v, a);
	default:
		return TEE_OK;
	}
}

int tee_check(struct tee *t, struct tee_vm *v, const struct tee_access *a, bool use_cache,
	      struct tee_ref *refs, unsigned *nrefs)
{
	int rc = tee_check_quiet(t, v, a, use_cache, refs, nrefs);

	t->st.checks++;
	t->st.check_refs += *nrefs;
	t->st.check_faults[rc]++;
	return rc;
}
