/*
 * Migration of a confidential VM through its monitors (xlat/tee.h): the
 * source monitor exports private pages encrypted and MAC'd, the destination
 * monitor imports only genuine, newer copies and commits only when it holds
 * the latest copy of every page the source exported. Modelled on Intel
 * TDX's live migration (TDH.EXPORT.MEM / TDH.IMPORT.MEM: per-page MACs,
 * in-order import, a final token ending the session); docs/tee.md says how
 * SNP and CCA compare. The cipher and MAC are keyed mixes of 64-bit words:
 * they stand for AES-GCM and are no cryptography.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tee_int.h"
#include "xlat/phys.h"

struct tee_mig {
	struct tee_vm *v;
	uint64_t key;
	bool exporting;
	uint64_t seq;               /* last sequence number exported */
	struct tee_map latest;      /* gpfn -> seq of the copy exported / held */
};

static uint64_t mix(uint64_t h, uint64_t w)
{
	return tee_keystream(h, w, 0x6d6163);
}

static uint64_t page_mac(uint64_t key, uint64_t gpa, uint64_t seq, const uint8_t *plain)
{
	uint64_t h = mix(mix(key, gpa), seq);

	for (unsigned i = 0; i < XLAT_PAGE_SIZE / 8; i++) {
		uint64_t w;
		memcpy(&w, plain + 8 * i, 8);
		h = mix(h, w ^ i);
	}
	return h;
}

static void blob_crypt(uint64_t key, uint64_t gpa, uint64_t seq, const uint8_t *in, uint8_t *out)
{
	for (unsigned i = 0; i < XLAT_PAGE_SIZE / 8; i++) {
		uint64_t w;
		memcpy(&w, in + 8 * i, 8);
		w ^= tee_keystream(key ^ seq, gpa, i);
		memcpy(out + 8 * i, &w, 8);
	}
}

static struct tee_mig *mig_new(struct tee_vm *v, uint64_t key, bool exporting)
{
	struct tee_mig *m = calloc(1, sizeof *m);

	if (!m) {
		xlat_fail(-ENOMEM, "tee: out of memory");
		return NULL;
	}
	m->v = v;
	m->key = key;
	m->exporting = exporting;
	return m;
}

struct tee_mig *tee_mig_export_begin(struct tee_vm *v, uint64_t key)
{
	return mig_new(v, key, true);
}

struct tee_mig *tee_mig_import_begin(struct tee_vm *v, uint64_t key)
{
	return mig_new(v, key, false);
}

void tee_mig_free(struct tee_mig *m)
{
	if (!m)
		return;
	tee_map_free(&m->latest);
	free(m);
}

int tee_mig_export(struct tee_mig *m, uint64_t gpa, struct tee_blob *out)
{
	struct tee_vm *v = m->v;
	struct tee *t = v->t;
	uint64_t hpa, val, w0;
	const uint8_t *plain;
	int rc;

	if (!m->exporting)
		return xlat_fail(-EINVAL, "tee_mig_export: an import session exports nothing");
	if (!xlat_aligned(gpa, XLAT_PAGE_SIZE) || gpa >= v->cfg.guest_ram)
		return xlat_fail(-EINVAL, "tee_mig_export: %#llx is not a page of the VM's RAM",
				 (unsigned long long)gpa);
	if (tee_host_lookup(v, gpa, &hpa) || !tee_map_get(&v->owned, hpa >> XLAT_PAGE_SHIFT, &val) ||
	    val != gpa || tee_rec_read(t, hpa >> XLAT_PAGE_SHIFT, &w0, NULL) || !(w0 & REC_VALIDATED))
		return xlat_fail(-ENOENT, "tee_mig_export: VM %u has no validated private page at %#llx",
				 v->id, (unsigned long long)gpa);
	plain = phys_frame(t->mem, hpa >> XLAT_PAGE_SHIFT, false);
	if (!plain)
		return -ENOMEM;
	out->gpa = gpa;
	out->seq = ++m->seq;
	out->mac = page_mac(m->key, gpa, out->seq, plain);
	blob_crypt(m->key, gpa, out->seq, plain, out->data);
	if ((rc = tee_map_put(&m->latest, gpa >> XLAT_PAGE_SHIFT, out->seq)))
		return rc;
	return 0;
}

struct digest_ctx {
	uint64_t d;
};

static void digest_each(void *priv, uint64_t gpfn, uint64_t seq)
{
	struct digest_ctx *dc = priv;
	/* Order-free: a sum of per-page terms. */
	dc->d += tee_keystream(gpfn, seq, 0x746f6b);
}

static void token_of(const struct tee_mig *m, struct tee_mig_token *tok)
{
	struct digest_ctx dc = { 0 };

	tee_map_each(&m->latest, digest_each, &dc);
	tok->pages = m->latest.n;
	tok->digest = dc.d;
	tok->mac = mix(mix(m->key, tok->pages), tok->digest);
}

void tee_mig_export_end(struct tee_mig *m, struct tee_mig_token *tok)
{
	token_of(m, tok);
}

int tee_mig_import(struct tee_mig *m, const struct tee_blob *b, uint64_t hpa, uint64_t *old_hpa)
{
	struct tee_vm *v = m->v;
	struct tee *t = v->t;
	uint64_t gpfn = b->gpa >> XLAT_PAGE_SHIFT, npfn = hpa >> XLAT_PAGE_SHIFT, held = 0, w0, w1, oh;
	uint8_t plain[XLAT_PAGE_SIZE];
	uint8_t *dst;
	int rc;

	if (old_hpa)
		*old_hpa = 0;
	if (m->exporting)
		return xlat_fail(-EINVAL, "tee_mig_import: an export session imports nothing");
	if (!xlat_aligned(b->gpa, XLAT_PAGE_SIZE) || b->gpa >= v->cfg.guest_ram)
		return xlat_fail(-EBADMSG, "tee_mig_import: a blob for %#llx, outside the VM's RAM",
				 (unsigned long long)b->gpa);
	blob_crypt(m->key, b->gpa, b->seq, b->data, plain);
	if (page_mac(m->key, b->gpa, b->seq, plain) != b->mac)
		return xlat_fail(-EBADMSG, "tee_mig_import: the blob for %#llx fails its MAC",
				 (unsigned long long)b->gpa);
	if (tee_map_get(&m->latest, gpfn, &held) && held >= b->seq)
		return xlat_fail(-ESTALE, "tee_mig_import: copy %llu of %#llx is not newer than copy %llu",
				 (unsigned long long)b->seq, (unsigned long long)b->gpa,
				 (unsigned long long)held);
	if (!xlat_aligned(hpa, XLAT_PAGE_SIZE) || npfn >= t->hv_frames)
		return xlat_fail(-EINVAL, "tee_mig_import: %#llx is not a frame of the hypervisor's",
				 (unsigned long long)hpa);
	if ((rc = tee_rec_read(t, npfn, &w0, &w1)))
		return rc;
	if ((w0 & REC_ASSIGNED) || (w1 & REC1_SHARED)) {
		t->st.refused++;
		return xlat_fail(-EBUSY, "tee_mig_import: frame %#llx is not free", (unsigned long long)hpa);
	}
	/* The copy held so far leaves. */
	if (held) {
		if (tee_mediated(t)) {
			if (tee_host_lookup(v, b->gpa, &oh) == 0) {
				if ((rc = pt_unmap(&v->own, b->gpa, XLAT_PAGE_SIZE)) || (rc = tee_s3_unmap(v, oh)) ||
				    (rc = tee_frame_leave(v, oh >> XLAT_PAGE_SHIFT, false)))
					return rc;
				if (old_hpa)
					*old_hpa = oh;
			}
		} else {
			uint64_t val;
			for (size_t i = 0; i < v->owned.cap; i++)   /* rmp: find it by its record */
				if (v->owned.keys[i] != TEE_MAP_EMPTY && (val = v->owned.vals[i]) == b->gpa) {
					oh = v->owned.keys[i] << XLAT_PAGE_SHIFT;
					if ((rc = tee_frame_leave(v, v->owned.keys[i], false)))
						return rc;
					if (old_hpa)
						*old_hpa = oh;
					break;
				}
		}
		if (v->cfg.hv.flush)
			v->cfg.hv.flush(v->cfg.hv.ctx, v);
	}
	dst = phys_frame(t->mem, npfn, true);
	if (!dst)
		return -ENOMEM;
	memcpy(dst, plain, sizeof plain);
	if (t->cfg.model == TEE_GPT && (rc = tee_gpt_set(t, npfn, GPT_GPI_REALM)))
		return rc;
	w0 = REC_ASSIGNED | REC_VALIDATED | (b->gpa & REC_GPA_MASK) | ((uint64_t)v->id << REC_ASID_SHIFT);
	if ((rc = tee_rec_write(t, npfn, w0, 0)) || (rc = tee_map_put(&v->owned, npfn, b->gpa)))
		return rc;
	if (tee_mediated(t) &&
	    ((rc = pt_map(&v->own, b->gpa, hpa, XLAT_PAGE_SIZE, XLAT_RWX | XLAT_CACHE(FMT_EPT_MT_WB), PT_PAGE_4K)) ||
	     (rc = tee_cover_tables(v, b->gpa)) || (rc = tee_s3_map(v, hpa))))
		return rc;
	if ((rc = tee_map_put(&v->accepted, gpfn, 1)) || (rc = tee_map_put(&m->latest, gpfn, b->seq)))
		return rc;
	t->st.assigned++;
	return 0;
}

int tee_mig_import_commit(struct tee_mig *m, const struct tee_mig_token *tok)
{
	struct tee_mig_token mine;

	if (mix(mix(m->key, tok->pages), tok->digest) != tok->mac)
		return xlat_fail(-EBADMSG, "tee_mig_import_commit: the source's token fails its MAC");
	token_of(m, &mine);
	if (mine.pages != tok->pages || mine.digest != tok->digest)
		return xlat_fail(-ESTALE, "tee_mig_import_commit: %llu pages imported, the source exported %llu%s",
				 (unsigned long long)mine.pages, (unsigned long long)tok->pages,
				 mine.pages == tok->pages ? " (some not in their latest copy)" : "");
	return 0;
}
