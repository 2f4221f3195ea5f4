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
#include <stdio.h>

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

	if (!t->any_poison || !v || a->site != TEE_SITE_PHYS || pfn >= t->hv_frames)
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

static const char *gpi_name(unsigned gpi)
{
	switch (gpi) {
	case GPT_GPI_NO_ACCESS: return "no access";
	case GPT_GPI_SECURE: return "secure";
	case GPT_GPI_NS: return "non-secure";
	case GPT_GPI_ROOT: return "root";
	case GPT_GPI_REALM: return "realm";
	case GPT_GPI_ANY: return "any";
	default: return "reserved";
	}
}

int tee_describe_ref(struct tee *t, unsigned kind, xlat_pa pa, uint64_t val, char *buf, size_t len)
{
	switch (kind) {
	case TEE_REF_RMP: {
		uint64_t pfn = (pa - t->rec_base) / REC_BYTES;
		if (!(val & REC_ASSIGNED))
			return snprintf(buf, len, "RMP entry of frame %#llx: the hypervisor's",
					(unsigned long long)(pfn << XLAT_PAGE_SHIFT));
		return snprintf(buf, len, "RMP entry of frame %#llx: ASID %llu, GPA %#llx, %s",
				(unsigned long long)(pfn << XLAT_PAGE_SHIFT),
				(unsigned long long)((val & REC_ASID_MASK) >> REC_ASID_SHIFT),
				(unsigned long long)(val & REC_GPA_MASK),
				(val & REC_VALIDATED) ? "validated" : "not validated");
	}
	case TEE_REF_GPT_L0: {
		uint64_t region = (pa - t->gpt_l0) / 8;
		if ((val & 0xf) == GPT_TYPE_BLOCK)
			return snprintf(buf, len, "GPT level 0, 1 GiB region %#llx: block, %s",
					(unsigned long long)(region << GPT_L0_SHIFT), gpi_name((unsigned)(val >> 4) & 0xf));
		return snprintf(buf, len, "GPT level 0, 1 GiB region %#llx: table -> level 1 at %#llx",
				(unsigned long long)(region << GPT_L0_SHIFT),
				(unsigned long long)(val & (0xffffffffffULL << 12)));
	}
	case TEE_REF_GPT_L1:
		return snprintf(buf, len, "GPT level 1 entry at %#llx: 16 granules' GPIs %016llx",
				(unsigned long long)pa, (unsigned long long)val);
	default:
		return snprintf(buf, len, "?");
	}
}

/* The hypervisor's own walks: its accesses as the normal world / the
 * hypervisor (tee_host_check). */
static int host_check_fn(void *ctx, struct walk_check_call *call, struct walk_check_site *s)
{
	struct tee *t = ctx;
	struct tee_ref refs[TEE_CHECK_MAX_REFS];
	unsigned n;
	struct tee_access a = { .write = s->write, .pa = s->pa, .gpa = s->in };
	int rc;

	a.site = s->site == WALK_CHECK_OUTPUT && t->cfg.model == TEE_RMP ? TEE_SITE_GPA : TEE_SITE_PHYS;
	rc = tee_check(t, NULL, &a, s->use_cache, refs, &n);
	for (unsigned i = 0; i < n && i < TEE_CHECK_MAX_REFS; i++)
		walk_check_ref(call, refs[i].pa, refs[i].val, (uint8_t)(refs[i].kind + 1));
	if (s->site == WALK_CHECK_OUTPUT)
		s->max_shift = XLAT_PAGE_SHIFT;
	return rc;
}

const struct walk_check *tee_host_check(struct tee *t)
{
	if (t->cfg.model != TEE_RMP && t->cfg.model != TEE_GPT)
		return NULL;
	t->host_check = (struct walk_check){ .fn = host_check_fn, .ctx = t, .use_cache = true,
					    .max_refs = TEE_CHECK_MAX_REFS };
	return &t->host_check;
}
