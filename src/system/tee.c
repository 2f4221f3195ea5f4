/*
 * The secure monitor (xlat/tee.h): machine memory, the ownership records,
 * the hypervisor's checked view, confidential VMs and the calls that move
 * frames between the hypervisor and them. The hardware checks are in
 * tee_check.c, Arm's granule protection table in tee_gpt.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tee_int.h"
#include "xlat/phys.h"

static const char *const model_names[TEE_MODEL_COUNT] = {
	[TEE_FOLD] = "fold", [TEE_STAGE3] = "stage3", [TEE_RMP] = "rmp",
	[TEE_GPT] = "gpt", [TEE_TDX] = "tdx",
};

const char *tee_model_name(enum tee_model m)
{
	return m < TEE_MODEL_COUNT ? model_names[m] : "?";
}

int tee_model_parse(const char *name, enum tee_model *m)
{
	for (unsigned i = 0; i < TEE_MODEL_COUNT; i++)
		if (!strcasecmp(name, model_names[i])) {
			*m = (enum tee_model)i;
			return 0;
		}
	return xlat_fail(-EINVAL, "unknown secure model '%s' (fold, stage3, rmp, gpt or tdx)", name);
}

void tee_config_init(struct tee_config *cfg, enum tee_model model)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->model = model;
	cfg->pa_bits = 46;
	cfg->hv_bytes = 0;
	cfg->host_levels = 4;
	cfg->monitor_levels = 4;
	cfg->gpt_cache = 16;
}

/* ---- the small map ---------------------------------------------------------- */

static size_t map_slot(const struct tee_map *m, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 17) & (m->cap - 1);
}

static int map_grow(struct tee_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	uint64_t *keys = malloc(cap * sizeof *keys), *vals = malloc(cap * sizeof *vals);
	struct tee_map nm = { keys, vals, cap, 0 };

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return xlat_fail(-ENOMEM, "tee: out of memory");
	}
	memset(keys, 0xff, cap * sizeof *keys);
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i] != TEE_MAP_EMPTY)
			tee_map_put(&nm, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	*m = nm;
	return 0;
}

int tee_map_put(struct tee_map *m, uint64_t key, uint64_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		int rc = map_grow(m);
		if (rc)
			return rc;
	}
	for (size_t i = map_slot(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return 0;
		}
		if (m->keys[i] == TEE_MAP_EMPTY) {
			m->keys[i] = key;
			m->vals[i] = val;
			m->n++;
			return 0;
		}
	}
}

bool tee_map_get(const struct tee_map *m, uint64_t key, uint64_t *val)
{
	if (!m->cap)
		return false;
	for (size_t i = map_slot(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			if (val)
				*val = m->vals[i];
			return true;
		}
		if (m->keys[i] == TEE_MAP_EMPTY)
			return false;
	}
}

bool tee_map_del(struct tee_map *m, uint64_t key)
{
	size_t i, j;

	if (!m->cap)
		return false;
	for (i = map_slot(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == TEE_MAP_EMPTY)
			return false;
		if (m->keys[i] == key)
			break;
	}
	/* Backward-shift deletion keeps every probe sequence unbroken. */
	for (j = i;;) {
		j = (j + 1) & (m->cap - 1);
		if (m->keys[j] == TEE_MAP_EMPTY)
			break;
		size_t home = map_slot(m, m->keys[j]);
		if (((j - home) & (m->cap - 1)) >= ((j - i) & (m->cap - 1))) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = TEE_MAP_EMPTY;
	m->n--;
	return true;
}

void tee_map_free(struct tee_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

void tee_map_each(const struct tee_map *m, void (*fn)(void *priv, uint64_t key, uint64_t val),
		  void *priv)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i] != TEE_MAP_EMPTY)
			fn(priv, m->keys[i], m->vals[i]);
}

/* ---- records ------------------------------------------------------------------ */

xlat_pa tee_record_addr(const struct tee *t, uint64_t pfn)
{
	return t->rec_base + (xlat_pa)REC_BYTES * pfn;
}

int tee_rec_read(struct tee *t, uint64_t pfn, uint64_t *w0, uint64_t *w1)
{
	xlat_pa a = tee_record_addr(t, pfn);
	int rc = phys_read64(t->mem, a, w0);

	if (rc == 0 && w1)
		rc = phys_read64(t->mem, a + 8, w1);
	return rc;
}

int tee_rec_write(struct tee *t, uint64_t pfn, uint64_t w0, uint64_t w1)
{
	xlat_pa a = tee_record_addr(t, pfn);
	int rc = phys_write64(t->mem, a, w0);

	return rc ? rc : phys_write64(t->mem, a + 8, w1);
}

static void rec_decode(uint64_t w0, uint64_t w1, struct tee_record *r)
{
	memset(r, 0, sizeof *r);
	r->poisoned = (w1 & REC1_POISON) != 0;
	if (w0 & REC_ASSIGNED) {
		r->state = (w0 & REC_VALIDATED) ? TEE_VALIDATED : TEE_ASSIGNED;
		r->owner = (unsigned)((w0 & REC_ASID_MASK) >> REC_ASID_SHIFT);
		r->gpa = w0 & REC_GPA_MASK;
	} else if (w1 & REC1_SHARED) {
		r->state = TEE_SHARED;
		r->owner = (unsigned)((w1 & REC1_OWNER_MASK) >> REC1_OWNER_SHIFT);
	} else {
		r->state = TEE_FREE;
	}
}

int tee_record(struct tee *t, uint64_t pfn, struct tee_record *r)
{
	uint64_t w0, w1;

	if (pfn >= (1ULL << (t->cfg.pa_bits - XLAT_PAGE_SHIFT)))
		return xlat_fail(-EINVAL, "tee: frame %#llx is beyond the %u-bit machine",
				 (unsigned long long)pfn, t->cfg.pa_bits);
	if (pfn >= t->hv_frames) {
		memset(r, 0, sizeof *r);
		r->state = TEE_MONITOR;
		return 0;
	}
	int rc = tee_rec_read(t, pfn, &w0, &w1);
	if (rc)
		return rc;
	rec_decode(w0, w1, r);
	return 0;
}

/* ---- the hypervisor's view ------------------------------------------------------ */

/* A keystream word for frame pfn of VM id: what the rmp model's hypervisor
 * sees instead of the guest's bytes (SEV encrypts each VM's memory with its
 * own key; this stands for AES, it is no cipher). */
uint64_t tee_keystream(uint64_t key, uint64_t a, uint64_t b)
{
	uint64_t z = key ^ (a * 0xff51afd7ed558ccdULL) ^ (b << 1) ^ 0x5eb5eb5eb5eb5eb5ULL;

	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) | 1;   /* never 0: every word differs from the plaintext */
}

/* Fills the cipher frame with frame pfn as the hypervisor reads it. */
static int encrypt_into_cipher(struct tee *t, uint64_t pfn, unsigned id)
{
	const uint8_t *src = phys_frame(t->mem, pfn, false);
	uint8_t *dst = phys_frame(t->mem, t->cipher_pfn, true);

	if (!src || !dst)
		return -ENOMEM;
	for (unsigned i = 0; i < XLAT_PAGE_SIZE / 8; i++) {
		uint64_t w;
		memcpy(&w, src + 8 * i, 8);
		w ^= tee_keystream(id, pfn, i);
		memcpy(dst + 8 * i, &w, 8);
	}
	return 0;
}

/*
 * Every access the hypervisor makes to machine memory, as the model's
 * hardware treats it (docs/tee.md, "the hypervisor's accesses"):
 *   monitor memory: unreachable in every model;
 *   free or shared frames: its own, identity;
 *   a VM's frame: fold, stage3 — not in any translation the monitor lets
 *     the hypervisor have: a fault; gpt — the GPT says realm: a granule
 *     protection fault; rmp — a write is an RMP violation, a read sees
 *     ciphertext; tdx — a read returns zeros, a write poisons the line.
 */
static int resolve_host(void *ctx, xlat_pa pa, bool write, uint64_t *lower_pfn)
{
	struct tee *t = ctx;
	uint64_t pfn = pa >> XLAT_PAGE_SHIFT, w0, w1;
	struct tee_record r;
	int rc;

	if (pfn >= t->hv_frames) {
		t->st.host_denied++;
		return xlat_fail(-EACCES, "tee: %#llx is monitor memory, out of the hypervisor's reach",
				 (unsigned long long)pa);
	}
	if (t->cfg.model == TEE_GPT) {
		unsigned gpi = tee_gpt_lookup(t, pa, false, NULL, NULL);
		if (gpi != GPT_GPI_NS && gpi != GPT_GPI_ANY) {
			t->st.host_denied++;
			return xlat_fail(-EACCES, "tee: granule protection fault: %#llx is %s memory",
					 (unsigned long long)pa, gpi == GPT_GPI_REALM ? "realm" : "root");
		}
		*lower_pfn = pfn;
		return 0;
	}
	if ((rc = tee_rec_read(t, pfn, &w0, &w1)))
		return rc;
	rec_decode(w0, w1, &r);
	if (r.state == TEE_FREE || r.state == TEE_SHARED) {
		*lower_pfn = pfn;
		return 0;
	}
	switch (t->cfg.model) {
	case TEE_RMP:
		if (write) {
			t->st.host_denied++;
			return xlat_fail(-EACCES, "tee: RMP violation: the hypervisor wrote %#llx, assigned to VM %u",
					 (unsigned long long)pa, r.owner);
		}
		if ((rc = encrypt_into_cipher(t, pfn, r.owner)))
			return rc;
		t->st.host_ciphertext++;
		*lower_pfn = t->cipher_pfn;
		return 0;
	case TEE_TDX:
		if (write) {
			/* The line's TD-owner bit (or MAC) no longer matches: the
			 * TD's next read of it is a machine check. The bytes go to
			 * a sink so that nothing the hypervisor wrote can reach the
			 * TD; on hardware they replace the ciphertext, which the TD
			 * can then never read either. */
			if ((rc = tee_rec_write(t, pfn, w0, w1 | REC1_POISON)))
				return rc;
			t->any_poison = true;
			t->st.host_poisoned++;
			*lower_pfn = t->sink_pfn;
			return 0;
		}
		t->st.host_zeros++;
		*lower_pfn = t->zero_pfn;
		return 0;
	default:
		t->st.host_denied++;
		return xlat_fail(-EACCES, "tee: %#llx belongs to VM %u: the monitor maps it in no translation of the hypervisor's",
				 (unsigned long long)pa, r.owner);
	}
}

/* ---- creation -------------------------------------------------------------------- */

struct tee *tee_create(const struct tee_config *cfg)
{
	struct tee *t;
	uint64_t space, npages, pfn;

	if (cfg->model >= TEE_MODEL_COUNT) {
		xlat_fail(-EINVAL, "tee: unknown model %d", (int)cfg->model);
		return NULL;
	}
	if (cfg->pa_bits < 36 || cfg->pa_bits > XLAT_MAX_PA_BITS) {
		xlat_fail(-EINVAL, "tee: machine address width %u is outside 36..52", cfg->pa_bits);
		return NULL;
	}
	space = 1ULL << cfg->pa_bits;
	if (cfg->host_levels != 4 && cfg->host_levels != 5) {
		xlat_fail(-EINVAL, "tee: the host dimension has 4 or 5 levels, not %u", cfg->host_levels);
		return NULL;
	}
	if (cfg->model == TEE_FOLD && cfg->host_levels != 4) {
		xlat_fail(-EINVAL, "tee: fold adds the monitor's level to a 4-level host dimension (5 levels in all); %u host levels would need %u",
			  cfg->host_levels, cfg->host_levels + 1);
		return NULL;
	}
	if (cfg->model == TEE_STAGE3 && cfg->monitor_levels != 4 && cfg->monitor_levels != 5) {
		xlat_fail(-EINVAL, "tee: the monitor's stage has 4 or 5 levels, not %u", cfg->monitor_levels);
		return NULL;
	}
	if (cfg->hv_bytes % XLAT_SIZE_1G || cfg->hv_bytes > space / 2 + space / 4) {
		xlat_fail(-EINVAL, "tee: the hypervisor's memory (%#llx bytes) must be a multiple of 1 GiB and leave the monitor a quarter of the %u-bit machine",
			  (unsigned long long)cfg->hv_bytes, cfg->pa_bits);
		return NULL;
	}
	t = calloc(1, sizeof *t);
	if (!t) {
		xlat_fail(-ENOMEM, "tee: out of memory");
		return NULL;
	}
	t->cfg = *cfg;
	if (!t->cfg.hv_bytes)
		t->cfg.hv_bytes = space / 2;
	t->hv_frames = t->cfg.hv_bytes >> XLAT_PAGE_SHIFT;
	t->mem = phys_create(cfg->pa_bits, 0);
	if (!t->mem)
		goto fail;
	/* The monitor allocates from the machine's allocator, which keeps
	 * its hands off the hypervisor's part. */
	if (phys_reserve(t->mem, 0, t->cfg.hv_bytes))
		goto fail;
	npages = xlat_align_up(t->hv_frames * REC_BYTES, XLAT_PAGE_SIZE) >> XLAT_PAGE_SHIFT;
	if (phys_alloc(t->mem, npages, 1, &pfn)) {
		xlat_fail(-ENOMEM, "tee: no monitor memory for %llu record pages", (unsigned long long)npages);
		goto fail;
	}
	t->rec_base = pfn << XLAT_PAGE_SHIFT;
	if (phys_alloc(t->mem, 1, 1, &t->zero_pfn) || phys_alloc(t->mem, 1, 1, &t->sink_pfn) ||
	    phys_alloc(t->mem, 1, 1, &t->cipher_pfn)) {
		xlat_fail(-ENOMEM, "tee: no monitor memory");
		goto fail;
	}
	t->host = phys_create_view(t->mem, cfg->pa_bits, t->cfg.hv_bytes, resolve_host, t);
	if (!t->host)
		goto fail;
	if (cfg->model == TEE_GPT && tee_gpt_init(t))
		goto fail;
	return t;
fail:
	tee_destroy(t);
	return NULL;
}

void tee_destroy(struct tee *t)
{
	if (!t)
		return;
	for (unsigned i = 1; i <= TEE_MAX_VMS; i++)
		if (t->vms[i])
			XLAT_BUG("VM %u still exists", i);
	free(t->gcache);
	phys_destroy(t->host);
	phys_destroy(t->mem);
	free(t);
}

const struct tee_config *tee_get_config(const struct tee *t)
{
	return &t->cfg;
}

struct phys *tee_machine(struct tee *t)
{
	return t->mem;
}

struct phys *tee_host_space(struct tee *t)
{
	return t->host;
}

const struct tee_stats *tee_get_stats(const struct tee *t)
{
	return &t->st;
}

int tee_monitor_read(struct tee *t, xlat_pa pa, void *buf, size_t len)
{
	return phys_read(t->mem, pa, buf, len);
}

/* ---- the monitor's tables of a VM ------------------------------------------------- */

/*
 * After the host dimension changed for gpa, every table page on its path
 * must be reachable by the VM's walks and only by them: realm memory in the
 * GPT (gpt), mapped by the VM's third stage (stage3). Walks the path by
 * hand (pt says where the leaf is, not where the tables above it are).
 */
int tee_cover_tables(struct tee_vm *v, uint64_t gpa)
{
	struct tee *t = v->t;
	const struct xlat_format *fmt = v->own.fmt;
	xlat_pa table = v->own.root;

	if (t->cfg.model != TEE_GPT && t->cfg.model != TEE_STAGE3)
		return 0;
	for (int level = fmt->levels; level >= 1; level--) {
		uint64_t pfn = table >> XLAT_PAGE_SHIFT, e;
		struct pte_fields f;
		int rc;

		if (t->cfg.model == TEE_GPT) {
			if (tee_gpt_lookup(t, table, false, NULL, NULL) != GPT_GPI_REALM &&
			    (rc = tee_gpt_set(t, pfn, GPT_GPI_REALM)))
				return rc;
		} else if (!pt_range_mapped(&v->s3, table, table + XLAT_PAGE_SIZE) &&
			   (rc = pt_map(&v->s3, table, table, XLAT_PAGE_SIZE,
					XLAT_R | XLAT_W | XLAT_CACHE(FMT_EPT_MT_WB), PT_PAGE_4K))) {
			return rc;
		}
		if ((rc = phys_read64(t->mem, table + 8u * xlat_index(level, gpa), &e)))
			return rc;
		fmt_decode(fmt, level, e, v->own.maxphyaddr, &f);
		if (!f.present || f.leaf)
			return 0;
		table = f.addr;
	}
	return 0;
}

/* stage3: the VM's third stage maps frame hpa (identity). */
int tee_s3_map(struct tee_vm *v, uint64_t hpa)
{
	if (v->t->cfg.model != TEE_STAGE3 || pt_range_mapped(&v->s3, hpa, hpa + XLAT_PAGE_SIZE))
		return 0;
	return pt_map(&v->s3, hpa, hpa, XLAT_PAGE_SIZE, XLAT_RWX | XLAT_CACHE(FMT_EPT_MT_WB), PT_PAGE_4K);
}

int tee_s3_unmap(struct tee_vm *v, uint64_t hpa)
{
	return v->t->cfg.model == TEE_STAGE3 ? pt_unmap(&v->s3, hpa, XLAT_PAGE_SIZE) : 0;
}

/* The host-dimension table the walker uses for v. */
struct pt *tee_vm_host_table(struct tee_vm *v)
{
	return tee_mediated(v->t) ? &v->own : v->cfg.npt;
}

struct pt *tee_vm_stage3(struct tee_vm *v)
{
	return v->t->cfg.model == TEE_STAGE3 ? &v->s3 : NULL;
}

static void flush(struct tee_vm *v)
{
	if (v->cfg.hv.flush)
		v->cfg.hv.flush(v->cfg.hv.ctx, v);
}

/* ---- the guest's software view ---------------------------------------------------- */

int tee_host_lookup(struct tee_vm *v, uint64_t gpa, uint64_t *hpa)
{
	struct pt_leaf leaf;
	int rc = pt_lookup(tee_vm_host_table(v), gpa, &leaf);

	if (rc == 0)
		*hpa = leaf.pa + (gpa - leaf.va);
	return rc;
}

/*
 * The guest's own accesses to its memory (its OS writing page tables): the
 * host dimension translates, the model checks as for the guest, and what a
 * guest does on first touch happens here too: the hypervisor backs the
 * page, the guest accepts it.
 */
static int resolve_guest(void *ctx, xlat_pa gpa, bool write, uint64_t *lower_pfn)
{
	struct tee_vm *v = ctx;
	struct tee *t = v->t;
	uint64_t page = xlat_align_down(gpa, XLAT_PAGE_SIZE);

	if (gpa >= v->cfg.guest_ram)
		return xlat_fail(-EFAULT, "tee: guest-physical %#llx is outside the VM's RAM",
				 (unsigned long long)gpa);
	for (int tries = 0; tries < 4; tries++) {
		uint64_t hpa;
		struct tee_access a = { .site = TEE_SITE_GPA, .write = write, .gpa = gpa };
		struct tee_ref refs[TEE_CHECK_MAX_REFS];
		unsigned nrefs;
		int rc = tee_host_lookup(v, page, &hpa);

		if (rc == -ENOENT) {
			if (tee_mediated(t) && tee_map_get(&v->pending, page >> XLAT_PAGE_SHIFT, NULL))
				rc = tee_guest_accept(v, page);
			else
				rc = v->cfg.hv.back ? v->cfg.hv.back(v->cfg.hv.ctx, v, page)
						    : xlat_fail(-EFAULT, "tee: %#llx is not backed",
								(unsigned long long)gpa);
			if (rc)
				return rc;
			continue;
		}
		if (rc)
			return rc;
		a.pa = hpa + (gpa - page);
		if (t->cfg.model == TEE_STAGE3) {
			struct pt_leaf leaf;
			if (pt_lookup(&v->s3, hpa, &leaf))
				return xlat_fail(-EACCES, "tee: %#llx is not in the VM's third stage",
						 (unsigned long long)hpa);
			a.pa = leaf.pa + (hpa - leaf.va) + (gpa - page);
		}
		a.site = t->cfg.model == TEE_RMP ? TEE_SITE_GPA : TEE_SITE_PHYS;
		rc = tee_check_quiet(t, v, &a, false, refs, &nrefs);
		if (rc == TEE_FAULT_NOT_VALIDATED) {
			if ((rc = tee_guest_accept(v, page)))
				return rc;
			continue;
		}
		if (rc)
			return xlat_fail(rc == TEE_FAULT_POISON ? -EIO : -EACCES,
					 "tee: the guest's access to %#llx: %s", (unsigned long long)gpa,
					 tee_fault_name(rc));
		*lower_pfn = a.pa >> XLAT_PAGE_SHIFT;
		if (write && v->cfg.hv.wrote)
			v->cfg.hv.wrote(v->cfg.hv.ctx, v, page);
		return 0;
	}
	return xlat_fail(-EIO, "tee: guest-physical %#llx could not be made accessible",
			 (unsigned long long)gpa);
}

/* ---- VMs --------------------------------------------------------------------------- */

struct tee_vm *tee_vm_create(struct tee *t, const struct tee_vm_config *cfg)
{
	struct tee_vm *v;
	unsigned id;

	if (cfg->guest_pa_bits < 32 || cfg->guest_pa_bits > t->cfg.pa_bits || cfg->guest_pa_bits > 51 ||
	    !cfg->guest_ram || cfg->guest_ram > (1ULL << cfg->guest_pa_bits) ||
	    !xlat_aligned(cfg->guest_ram, XLAT_PAGE_SIZE)) {
		xlat_fail(-EINVAL, "tee: guest RAM of %llu bytes does not fit %u guest-physical bits (machine %u)",
			  (unsigned long long)cfg->guest_ram, cfg->guest_pa_bits, t->cfg.pa_bits);
		return NULL;
	}
	if ((t->cfg.model == TEE_RMP) != (cfg->npt != NULL)) {
		xlat_fail(-EINVAL, "tee: %s", t->cfg.model == TEE_RMP ?
			  "under rmp the hypervisor owns the NPT: pass it" :
			  "the monitor owns the host dimension: the hypervisor passes no table");
		return NULL;
	}
	for (id = 1; id <= TEE_MAX_VMS && t->vms[id]; id++)
		;
	if (id > TEE_MAX_VMS) {
		xlat_fail(-ENOSPC, "tee: all %u VM ids are in use", TEE_MAX_VMS);
		return NULL;
	}
	v = calloc(1, sizeof *v);
	if (!v) {
		xlat_fail(-ENOMEM, "tee: out of memory");
		return NULL;
	}
	v->t = t;
	v->id = id;
	v->cfg = *cfg;
	if (tee_mediated(t)) {
		const struct xlat_format *fmt = fmt_ept(t->cfg.model == TEE_FOLD ? 5 : (int)t->cfg.host_levels);
		if (pt_init(&v->own, t->mem, fmt, t->cfg.pa_bits))
			goto fail;
		v->own.ctl &= ~(unsigned)FMT_CTL_1G;
	}
	if (t->cfg.model == TEE_STAGE3 &&
	    pt_init(&v->s3, t->mem, fmt_ept((int)t->cfg.monitor_levels), t->cfg.pa_bits))
		goto fail;
	if (tee_mediated(t) && tee_cover_tables(v, 0))
		goto fail;
	v->gpa = phys_create_view(t->mem, cfg->guest_pa_bits, cfg->guest_ram, resolve_guest, v);
	if (!v->gpa)
		goto fail;
	t->vms[id] = v;
	return v;
fail:
	pt_destroy(&v->own);
	pt_destroy(&v->s3);
	free(v);
	return NULL;
}

static void scrub(struct tee *t, uint64_t pfn)
{
	/* A frame of the monitor's own memory: zeroing it cannot fail. */
	if (phys_zero(t->mem, pfn, 1))
		XLAT_BUG("frame %#llx: %s", (unsigned long long)pfn, xlat_error());
	t->st.scrubbed++;
}

/* The frame leaves the VM: free, scrubbed when it was private. */
int tee_frame_leave(struct tee_vm *v, uint64_t pfn, bool shared)
{
	struct tee *t = v->t;
	int rc;

	if (!shared) {
		scrub(t, pfn);
		if (t->cfg.model == TEE_GPT && (rc = tee_gpt_set(t, pfn, GPT_GPI_NS)))
			return rc;
	}
	tee_map_del(&v->owned, pfn);
	return tee_rec_write(t, pfn, 0, 0);
}

struct leave_ctx {
	struct tee_vm *v;
};

static void leave_each(void *priv, uint64_t pfn, uint64_t val)
{
	struct leave_ctx *lc = priv;
	struct tee *t = lc->v->t;

	if (!(val & 1)) {
		scrub(t, pfn);
		if (t->cfg.model == TEE_GPT)
			tee_gpt_set(t, pfn, GPT_GPI_NS);
	}
	tee_rec_write(t, pfn, 0, 0);
	t->st.released++;
}

void tee_vm_destroy(struct tee_vm *v)
{
	struct leave_ctx lc = { v };

	if (!v)
		return;
	tee_map_each(&v->owned, leave_each, &lc);
	phys_destroy(v->gpa);
	pt_destroy(&v->own);
	pt_destroy(&v->s3);
	tee_map_free(&v->owned);
	tee_map_free(&v->pending);
	tee_map_free(&v->accepted);
	tee_map_free(&v->gshared);
	v->t->vms[v->id] = NULL;
	free(v);
}

unsigned tee_vm_id(const struct tee_vm *v)
{
	return v->id;
}

struct tee *tee_vm_tee(struct tee_vm *v)
{
	return v->t;
}

struct phys *tee_vm_gpa_space(struct tee_vm *v)
{
	return v->gpa;
}

/* ---- hypervisor calls -------------------------------------------------------------- */

static int check_args(struct tee_vm *v, const char *fn, uint64_t gpa, uint64_t hpa, bool want_hpa)
{
	if (!xlat_aligned(gpa, XLAT_PAGE_SIZE) || gpa >= v->cfg.guest_ram)
		return xlat_fail(-EINVAL, "%s: guest-physical %#llx is not a page of the VM's RAM", fn,
				 (unsigned long long)gpa);
	if (want_hpa && (!xlat_aligned(hpa, XLAT_PAGE_SIZE) || (hpa >> XLAT_PAGE_SHIFT) >= v->t->hv_frames))
		return xlat_fail(-EINVAL, "%s: %#llx is not a frame of the hypervisor's", fn,
				 (unsigned long long)hpa);
	return 0;
}

/* A monitor call refused: counted, and its reason recorded. */
#define REFUSE(t, ...) ((t)->st.refused++, xlat_fail(__VA_ARGS__))

/* Is gpa mapped or pending in the monitor's host dimension? */
static bool gpa_taken(struct tee_vm *v, uint64_t gpa)
{
	return pt_range_mapped(&v->own, gpa, gpa + XLAT_PAGE_SIZE) ||
	       tee_map_get(&v->pending, gpa >> XLAT_PAGE_SHIFT, NULL);
}

int tee_assign(struct tee_vm *v, uint64_t gpa, uint64_t hpa)
{
	struct tee *t = v->t;
	uint64_t pfn = hpa >> XLAT_PAGE_SHIFT, w0, w1;
	int rc = check_args(v, "tee_assign", gpa, hpa, true);

	if (rc)
		return rc;
	if ((rc = tee_rec_read(t, pfn, &w0, &w1)))
		return rc;
	/* PAMT: the page must be free (PT_NDA); RMP: RMPUPDATE of an assigned
	 * page fails; CCA: only a delegated, unused granule takes data. */
	if ((w0 & REC_ASSIGNED) || (w1 & REC1_SHARED))
		return REFUSE(t, -EBUSY, "tee_assign: frame %#llx is not free (GPA %#llx refused)",
			      (unsigned long long)hpa, (unsigned long long)gpa);
	if (tee_mediated(t) && gpa_taken(v, gpa))
		return REFUSE(t, -EEXIST, "tee_assign: guest-physical %#llx already has a frame (%#llx refused)",
			      (unsigned long long)gpa, (unsigned long long)hpa);
	/* A frame enters a VM zeroed: on TDX the accept initialises it, on CCA
	 * the RMM, on SNP the host (guest_memfd zeroes its pages). */
	if ((rc = phys_zero(t->mem, pfn, 1)))
		return rc;
	if (t->cfg.model == TEE_GPT && (rc = tee_gpt_set(t, pfn, GPT_GPI_REALM)))
		return rc;
	w0 = REC_ASSIGNED | (gpa & REC_GPA_MASK) | ((uint64_t)v->id << REC_ASID_SHIFT);
	if ((rc = tee_rec_write(t, pfn, w0, 0)) || (rc = tee_map_put(&v->owned, pfn, gpa)))
		return rc;
	if (tee_mediated(t) && (rc = tee_map_put(&v->pending, gpa >> XLAT_PAGE_SHIFT, pfn)))
		return rc;
	t->st.assigned++;
	return 0;
}

int tee_share(struct tee_vm *v, uint64_t gpa, uint64_t hpa)
{
	struct tee *t = v->t;
	uint64_t pfn = hpa >> XLAT_PAGE_SHIFT, w0, w1;
	int rc = check_args(v, "tee_share", gpa, hpa, true);

	if (rc)
		return rc;
	if ((rc = tee_rec_read(t, pfn, &w0, &w1)))
		return rc;
	if ((w0 & REC_ASSIGNED) || (w1 & REC1_SHARED))
		return REFUSE(t, -EBUSY, "tee_share: frame %#llx is not free (GPA %#llx refused)",
			      (unsigned long long)hpa, (unsigned long long)gpa);
	if (tee_mediated(t)) {
		if (gpa_taken(v, gpa))
			return REFUSE(t, -EEXIST, "tee_share: guest-physical %#llx already has a frame (%#llx refused)",
				      (unsigned long long)gpa, (unsigned long long)hpa);
		if ((rc = pt_map(&v->own, gpa, hpa, XLAT_PAGE_SIZE, XLAT_RWX | XLAT_CACHE(FMT_EPT_MT_WB), PT_PAGE_4K)) ||
		    (rc = tee_cover_tables(v, gpa)) || (rc = tee_s3_map(v, hpa)))
			return rc;
	}
	w1 = REC1_SHARED | ((uint64_t)v->id << REC1_OWNER_SHIFT);
	if ((rc = tee_rec_write(t, pfn, 0, w1)) || (rc = tee_map_put(&v->owned, pfn, gpa | 1)))
		return rc;
	t->st.shared++;
	return 0;
}

int tee_release(struct tee_vm *v, uint64_t gpa, uint64_t *hpa)
{
	struct tee *t = v->t;
	uint64_t gpfn = gpa >> XLAT_PAGE_SHIFT, pfn = 0, val;
	bool shared;
	int rc = check_args(v, "tee_release", gpa, 0, false);

	if (rc)
		return rc;
	if (tee_mediated(t)) {
		uint64_t h;
		if (tee_map_get(&v->pending, gpfn, &pfn)) {
			tee_map_del(&v->pending, gpfn);
		} else if (tee_host_lookup(v, gpa, &h) == 0) {
			pfn = h >> XLAT_PAGE_SHIFT;
			if ((rc = pt_unmap(&v->own, gpa, XLAT_PAGE_SIZE)) || (rc = tee_s3_unmap(v, h)))
				return rc;
			flush(v);
		} else {
			return REFUSE(t, -ENOENT, "tee_release: nothing at guest-physical %#llx",
				      (unsigned long long)gpa);
		}
	} else {
		/* rmp: the frame the hypervisor's NPT maps there, if it is v's. */
		uint64_t h;
		if (tee_host_lookup(v, gpa, &h))
			return REFUSE(t, -ENOENT, "tee_release: the NPT maps nothing at %#llx",
				      (unsigned long long)gpa);
		pfn = h >> XLAT_PAGE_SHIFT;
		flush(v);
	}
	if (!tee_map_get(&v->owned, pfn, &val) || (val & ~1ULL) != gpa)
		return REFUSE(t, -ENOENT, "tee_release: frame %#llx is not the VM's at %#llx",
			      (unsigned long long)(pfn << XLAT_PAGE_SHIFT), (unsigned long long)gpa);
	shared = val & 1;
	if ((rc = tee_frame_leave(v, pfn, shared)))
		return rc;
	t->st.released++;
	if (hpa)
		*hpa = pfn << XLAT_PAGE_SHIFT;
	return 0;
}

int tee_relocate(struct tee_vm *v, uint64_t gpa, uint64_t new_hpa, uint64_t *old_hpa)
{
	struct tee *t = v->t;
	uint64_t npfn = new_hpa >> XLAT_PAGE_SHIFT, opfn, h, w0, w1, val;
	int rc = check_args(v, "tee_relocate", gpa, new_hpa, true);

	if (rc)
		return rc;
	if ((rc = tee_rec_read(t, npfn, &w0, &w1)))
		return rc;
	if ((w0 & REC_ASSIGNED) || (w1 & REC1_SHARED))
		return REFUSE(t, -EBUSY, "tee_relocate: frame %#llx is not free (GPA %#llx stays)",
			      (unsigned long long)new_hpa, (unsigned long long)gpa);
	if (tee_host_lookup(v, gpa, &h) || !tee_map_get(&v->owned, h >> XLAT_PAGE_SHIFT, &val) || val != gpa)
		return REFUSE(t, -ENOENT, "tee_relocate: no private page of VM %u is mapped at %#llx",
			      v->id, (unsigned long long)gpa);
	opfn = h >> XLAT_PAGE_SHIFT;
	if ((rc = tee_rec_read(t, opfn, &w0, &w1)))
		return rc;
	/* The monitor copies the page (re-encrypting it for the new address
	 * on hardware); the record moves with it. */
	const uint8_t *src = phys_frame(t->mem, opfn, false);
	uint8_t *dst = phys_frame(t->mem, npfn, true);
	if (!src || !dst)
		return -ENOMEM;
	memcpy(dst, src, XLAT_PAGE_SIZE);
	if (t->cfg.model == TEE_GPT && (rc = tee_gpt_set(t, npfn, GPT_GPI_REALM)))
		return rc;
	if ((rc = tee_rec_write(t, npfn, w0, w1 & ~REC1_POISON)) || (rc = tee_map_put(&v->owned, npfn, gpa)))
		return rc;
	if (tee_mediated(t)) {
		if ((rc = pt_unmap(&v->own, gpa, XLAT_PAGE_SIZE)) ||
		    (rc = pt_map(&v->own, gpa, new_hpa, XLAT_PAGE_SIZE, XLAT_RWX | XLAT_CACHE(FMT_EPT_MT_WB), PT_PAGE_4K)) ||
		    (rc = tee_cover_tables(v, gpa)) || (rc = tee_s3_unmap(v, h)) || (rc = tee_s3_map(v, new_hpa)))
			return rc;
	}
	flush(v);
	if ((rc = tee_frame_leave(v, opfn, false)))
		return rc;
	if (old_hpa)
		*old_hpa = opfn << XLAT_PAGE_SHIFT;
	return 0;
}

/* ---- guest calls --------------------------------------------------------------------- */

int tee_validate(struct tee_vm *v, uint64_t gpa)
{
	struct tee *t = v->t;
	uint64_t gpfn = gpa >> XLAT_PAGE_SHIFT, pfn, hpa, w0, w1;
	int rc = check_args(v, "tee_validate", gpa, 0, false);

	if (rc)
		return rc;
	if (tee_mediated(t)) {
		if (!tee_map_get(&v->pending, gpfn, &pfn))
			return pt_range_mapped(&v->own, gpa, gpa + XLAT_PAGE_SIZE) ?
				xlat_fail(-EALREADY, "tee_validate: %#llx is already accepted", (unsigned long long)gpa) :
				xlat_fail(-ENOENT, "tee_validate: no page is pending at %#llx", (unsigned long long)gpa);
		hpa = pfn << XLAT_PAGE_SHIFT;
		if ((rc = pt_map(&v->own, gpa, hpa, XLAT_PAGE_SIZE, XLAT_RWX | XLAT_CACHE(FMT_EPT_MT_WB), PT_PAGE_4K)) ||
		    (rc = tee_cover_tables(v, gpa)) || (rc = tee_s3_map(v, hpa)))
			return rc;
		tee_map_del(&v->pending, gpfn);
	} else {
		/* PVALIDATE translates gpa through the NPT, then checks the RMP. */
		if (tee_host_lookup(v, gpa, &hpa))
			return xlat_fail(-ENOENT, "tee_validate: the NPT maps nothing at %#llx", (unsigned long long)gpa);
		pfn = hpa >> XLAT_PAGE_SHIFT;
	}
	if (pfn >= t->hv_frames || (rc = tee_rec_read(t, pfn, &w0, &w1)))
		return rc ? rc : xlat_fail(-ENOENT, "tee_validate: %#llx is monitor memory", (unsigned long long)hpa);
	if (!(w0 & REC_ASSIGNED) || ((w0 & REC_ASID_MASK) >> REC_ASID_SHIFT) != v->id ||
	    (w0 & REC_GPA_MASK) != gpa)
		return xlat_fail(-ENOENT, "tee_validate: frame %#llx is not assigned to VM %u at %#llx",
				 (unsigned long long)hpa, v->id, (unsigned long long)gpa);
	if (w0 & REC_VALIDATED)
		return xlat_fail(-EALREADY, "tee_validate: %#llx is already validated", (unsigned long long)gpa);
	if ((rc = tee_rec_write(t, pfn, w0 | REC_VALIDATED, w1)))
		return rc;
	t->st.validations++;
	return 0;
}

int tee_guest_accept(struct tee_vm *v, uint64_t gpa)
{
	uint64_t gpfn = gpa >> XLAT_PAGE_SHIFT;
	int rc;

	if (tee_map_get(&v->accepted, gpfn, NULL)) {
		/* Linux does the same: an SNP guest terminates on a #VC for
		 * memory it validated, a TD on a #VE for memory it accepted. */
		v->t->st.integrity_faults++;
		return xlat_fail(-EIO, "tee: VM %u: integrity fault: guest-physical %#llx, which the guest accepted, was replaced",
				 v->id, (unsigned long long)gpa);
	}
	if ((rc = tee_validate(v, xlat_align_down(gpa, XLAT_PAGE_SIZE))))
		return rc;
	return tee_map_put(&v->accepted, gpfn, 1);
}

int tee_guest_share(struct tee_vm *v, uint64_t gpa)
{
	uint64_t gpfn = gpa >> XLAT_PAGE_SHIFT, h;
	int rc = check_args(v, "tee_guest_share", gpa, 0, false);

	if (rc)
		return rc;
	if ((rc = tee_map_put(&v->gshared, gpfn, 1)))
		return rc;
	tee_map_del(&v->accepted, gpfn);
	/* Its private frame there, if any, goes back scrubbed. */
	if (tee_mediated(v->t))
		return gpa_taken(v, gpa) ? tee_release(v, gpa, NULL) : 0;
	uint64_t val;
	if (tee_host_lookup(v, gpa, &h) == 0 && tee_map_get(&v->owned, h >> XLAT_PAGE_SHIFT, &val) && val == gpa)
		return tee_release(v, gpa, NULL);
	return 0;
}

bool tee_guest_is_shared(const struct tee_vm *v, uint64_t gpa)
{
	return tee_map_get(&v->gshared, gpa >> XLAT_PAGE_SHIFT, NULL);
}
