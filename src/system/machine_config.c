/*
 * The machine's configuration space (xlat/machine.h): its own keys in one
 * table, the CPU's keys delegated to the cpu module, one listing for both.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "system/machine_int.h"
#include "xlat/parse.h"

enum ktype { K_MODE, K_LEVELS, K_POLICY, K_PABITS, K_SIZE, K_BOOL, K_TLB, K_ITLB, K_TEE };

/* Which modes a key applies to. */
#define M_NATIVE (1u << MACHINE_NATIVE)
#define M_NESTED (1u << MACHINE_NESTED)
#define M_SHADOW (1u << MACHINE_SHADOW)
#define M_SECURE (1u << MACHINE_SECURE)
#define M_VM     (M_NESTED | M_SHADOW)
#define M_GUEST  (M_VM | M_SECURE)     /* a guest OS under a hypervisor */
#define M_ALL    (M_NATIVE | M_GUEST)

struct mkey {
	const char *key;
	enum ktype type;
	size_t off;               /* of the value in struct machine_config (K_TLB/K_ITLB: unused) */
	unsigned modes;           /* where it applies; elsewhere it is refused */
	const char *desc;         /* for help texts */
	const char *why_default;  /* the listing's source while the user has not set it */
};

#define K(k, t, field, modes, desc, why) { k, t, offsetof(struct machine_config, field), modes, desc, why }

static const struct mkey mkeys[] = {
	K("mode", K_MODE, mode, M_ALL, "native, nested (EPT/NPT), shadow paging, or secure (a confidential VM)",
	  "default: native"),
	K("levels", K_LEVELS, levels, M_ALL, "paging levels of the native or guest tables: 4 or 5",
	  "default: 4-level paging (5 needs CR4.LA57; Linux uses it only where more than 47 bits are wanted)"),
	K("host_levels", K_LEVELS, host_levels, M_GUEST, "levels of the EPT (or the shadow memslot table): 4 or 5",
	  "default: 4-level EPT"),
	K("page_policy", K_POLICY, page_policy, M_ALL, "native or guest OS pages: 4k, thp or 1g",
	  "default: 4 KiB pages only"),
	K("host_page_policy", K_POLICY, host_page_policy, M_VM, "host pages backing guest memory: 4k, thp or 1g",
	  "default: 4 KiB host pages"),
	K("host_pa_bits", K_PABITS, host_pa_bits, M_ALL, "host physical-address width (MAXPHYADDR), 32..52",
	  "default: 46 bits, as Intel Xeon Scalable parts report"),
	K("host_ram", K_SIZE, host_ram, M_NATIVE, "simulated RAM of a native machine; exhausting it ends the run",
	  "default: 64 GiB"),
	K("guest_ram", K_SIZE, guest_ram, M_GUEST, "guest-physical RAM of the VM",
	  "default: 64 GiB"),
	K("pcid", K_BOOL, pcid, M_ALL, "tag TLB entries by process (PCID): no flush on a switch",
	  "default: on, as Linux uses PCID where the CPU has it (since 4.14)"),
	K("ept_ad", K_BOOL, ept_ad, M_NESTED, "EPT accessed/dirty flags (EPTP bit 6)",
	  "default: off (KVM turns them on where the CPU has them: kvm_intel.eptad)"),
	K("unsync", K_BOOL, unsync, M_SHADOW, "shadow paging: KVM's unsync leaf shadow pages",
	  "default: on, as KVM's shadow MMU does"),
	K("fetch", K_BOOL, fetch, M_ALL, "translate instruction fetches (0: drop them, data side only)",
	  "default: on"),
	K("tee", K_TEE, tee, M_SECURE, "secure: fold, stage3, rmp (AMD SEV-SNP), gpt (Arm CCA) or tdx (Intel TDX)",
	  "default: rmp (AMD SEV-SNP)"),
	K("monitor_levels", K_LEVELS, monitor_levels, M_SECURE, "secure, stage3: levels of the monitor's HPA -> MPA stage",
	  "default: 4"),
	K("tlb", K_TLB, fetch, M_ALL, "the data side's TLB levels as one spec (cpu_tlb_spec.c)",
	  NULL),
	K("itlb", K_ITLB, fetch, M_ALL, "the fetch side's TLB levels as one spec; ',shared' ends one whose L1 misses into the STLB",
	  NULL),
};

#define NKEYS (sizeof mkeys / sizeof mkeys[0])
_Static_assert(NKEYS <= 63, "machine_config.set has a bit per key and one for the cpu");
#define SET_CPU (1ULL << 63)      /* `cpu` set, or any CPU key */

static const char *const mode_names[] = { "native", "nested", "shadow", "secure" };
static const char *const policy_names[] = { "4k", "thp", "1g" };

const char *machine_mode_name(enum machine_mode m)
{
	return (unsigned)m < sizeof mode_names / sizeof mode_names[0] ? mode_names[m] : "?";
}

void machine_config_init(struct machine_config *c)
{
	memset(c, 0, sizeof *c);
	c->cpu = *cpu_preset_default();
	c->mode = MACHINE_NATIVE;
	c->levels = 4;
	c->host_levels = 4;
	c->page_policy = OS_PAGE_4K;
	c->host_page_policy = OS_PAGE_4K;
	c->host_pa_bits = 46;
	c->host_ram = 64ULL << 30;
	c->guest_ram = 64ULL << 30;
	c->pcid = true;
	c->ept_ad = false;
	c->unsync = true;
	c->fetch = true;
	c->tee = TEE_RMP;
	c->monitor_levels = 4;
}

static const struct mkey *find_key(const char *key)
{
	for (unsigned i = 0; i < NKEYS; i++)
		if (!strcasecmp(key, mkeys[i].key))
			return &mkeys[i];
	return NULL;
}

static int parse_choice(const char *key, const char *v, const char *const *names, unsigned n,
			unsigned *out)
{
	for (unsigned i = 0; i < n; i++)
		if (v && !strcasecmp(v, names[i])) {
			*out = i;
			return 0;
		}
	char known[96] = "";
	for (unsigned i = 0, at = 0; i < n; i++)
		at += (unsigned)snprintf(known + at, sizeof known - at, "%s%s", i ? ", " : "", names[i]);
	return xlat_fail(-EINVAL, "%s: unknown value '%s' (%s)", key, v ? v : "", known);
}

int machine_mode_parse(const char *name, enum machine_mode *m)
{
	unsigned u;
	int rc = parse_choice("mode", name, mode_names, 4, &u);
	if (rc == 0)
		*m = (enum machine_mode)u;
	return rc;
}

static int set_machine_key(struct machine_config *c, const struct mkey *k, const char *v)
{
	void *field = (char *)c + k->off;
	unsigned u;
	uint64_t x;
	bool b = false;
	int rc;

	switch (k->type) {
	case K_MODE:
		if ((rc = parse_choice(k->key, v, mode_names, 4, &u)))
			return rc;
		*(enum machine_mode *)field = (enum machine_mode)u;
		return 0;
	case K_LEVELS:
		if (!v || (strcmp(v, "4") && strcmp(v, "5")))
			return xlat_fail(-EINVAL, "%s: 4 or 5, not '%s'", k->key, v ? v : "");
		*(unsigned *)field = (unsigned)(v[0] - '0');
		return 0;
	case K_POLICY:
		if (v && !strcasecmp(v, "2m"))
			v = "thp";
		if ((rc = parse_choice(k->key, v, policy_names, 3, &u)))
			return rc;
		*(enum os_page_policy *)field = (enum os_page_policy)u;
		return 0;
	case K_PABITS:
		if (xlat_parse_count(v, &x) || x < 32 || x > XLAT_MAX_PA_BITS)
			return xlat_fail(-EINVAL, "%s: '%s' is not a width of 32 to %d bits", k->key, v ? v : "",
					 XLAT_MAX_PA_BITS);
		*(unsigned *)field = (unsigned)x;
		return 0;
	case K_SIZE: {
		char sz[48], lim[48];
		if (xlat_parse_size(v, &x))
			return xlat_fail(-EINVAL, "%s: %s", k->key, xlat_error());
		xlat_parse_size_str(x, sz, sizeof sz);
		if (!xlat_aligned(x, XLAT_PAGE_SIZE))
			return xlat_fail(-EINVAL, "%s: %s is not a multiple of 4 KiB", k->key, sz);
		if (x < MACHINE_MIN_RAM) {
			xlat_parse_size_str(MACHINE_MIN_RAM, lim, sizeof lim);
			return xlat_fail(-EINVAL, "%s: %s is too small: at least %s (the first 1 MiB is "
					 "firmware's, as on a PC)", k->key, sz, lim);
		}
		*(uint64_t *)field = x;
		return 0;
	}
	case K_BOOL:
		if (xlat_parse_bool(v, &b))
			return xlat_fail(-EINVAL, "%s: %s", k->key, xlat_error());
		*(bool *)field = b;
		return 0;
	case K_TEE: {
		enum tee_model t;
		if (!v || tee_model_parse(v, &t))
			return xlat_fail(-EINVAL, "%s: unknown model '%s' (fold, stage3, rmp, gpt or tdx)",
					 k->key, v ? v : "");
		*(enum tee_model *)field = t;
		return 0;
	}
	case K_TLB:
		return cpu_set_tlb_spec(&c->cpu, 0, v);
	case K_ITLB: {
		size_t n = v ? strlen(v) : 0;
		if ((rc = cpu_set_tlb_spec(&c->cpu, 1, v)))
			return rc;
		c->itlb_shared_said = n >= 7 && !strcasecmp(v + n - 7, ",shared");
		return 0;
	}
	}
	XLAT_BUG("key type %d", (int)k->type);
}

int machine_config_set_cpu(struct machine_config *c, const struct cpu_preset *p)
{
	if (c->set & SET_CPU)
		return xlat_fail(-EINVAL, "cpu: choose the preset before setting CPU parameters or TLB specs (it replaces them)");
	c->cpu = *p;
	c->set |= SET_CPU;
	return 0;
}

int machine_config_set(struct machine_config *c, const char *key, const char *value)
{
	if (!key || !*key)
		return xlat_fail(-EINVAL, "empty parameter name");
	if (!strcasecmp(key, "cpu")) {
		const struct cpu_preset *p = cpu_preset_by_name(value);
		if (!p)
			return xlat_fail(-EINVAL, "cpu: %s", xlat_error());
		return machine_config_set_cpu(c, p);
	}
	const struct mkey *k = find_key(key);
	if (k) {
		int rc = set_machine_key(c, k, value);
		if (rc)
			return rc;
		c->set |= 1ULL << (k - mkeys);
		c->from_file &= ~(1ULL << (k - mkeys));
		if (k->type == K_TLB || k->type == K_ITLB)
			c->set |= SET_CPU;
		return 0;
	}
	int rc = cpu_override(&c->cpu, key, value);
	if (rc)
		return rc;
	c->set |= SET_CPU;
	return 0;
}

int machine_config_set_spec(struct machine_config *c, const char *spec)
{
	const char *eq = spec ? strchr(spec, '=') : NULL;
	char key[64];

	if (!eq)
		return xlat_fail(-EINVAL, "'%s': expected KEY=VALUE", spec ? spec : "");
	if ((size_t)(eq - spec) >= sizeof key)
		return xlat_fail(-EINVAL, "'%.40s...': key too long", spec);
	memcpy(key, spec, (size_t)(eq - spec));
	key[eq - spec] = 0;
	return machine_config_set(c, key, eq + 1);
}

static void fmt_machine_key(const struct machine_config *c, const struct mkey *k, char *buf, size_t len)
{
	const void *field = (const char *)c + k->off;

	switch (k->type) {
	case K_MODE: snprintf(buf, len, "%s", machine_mode_name(*(const enum machine_mode *)field)); return;
	case K_LEVELS:
	case K_PABITS: snprintf(buf, len, "%u", *(const unsigned *)field); return;
	case K_POLICY: snprintf(buf, len, "%s", policy_names[*(const enum os_page_policy *)field]); return;
	case K_SIZE: {
		/* Re-parseable: xlat_parse_size_str writes "64 GiB"; drop the space. */
		char tmp[32];
		xlat_parse_size_str(*(const uint64_t *)field, tmp, sizeof tmp);
		char *sp = strchr(tmp, ' ');
		if (sp)
			memmove(sp, sp + 1, strlen(sp));
		snprintf(buf, len, "%s", tmp);
		return;
	}
	case K_BOOL: snprintf(buf, len, "%d", *(const bool *)field ? 1 : 0); return;
	case K_TEE: snprintf(buf, len, "%s", tee_model_name(*(const enum tee_model *)field)); return;
	case K_TLB:
	case K_ITLB:
		if (cpu_tlb_spec(&c->cpu, k->type == K_ITLB, buf, len))
			snprintf(buf, len, "?");
		return;
	}
}

int machine_config_get(const struct machine_config *c, const char *key, char *buf, size_t len)
{
	if (key && !strcasecmp(key, "cpu")) {
		snprintf(buf, len, "%s", c->cpu.name);
		return 0;
	}
	const struct mkey *k = key ? find_key(key) : NULL;
	if (k) {
		fmt_machine_key(c, k, buf, len);
		return 0;
	}
	return cpu_get(&c->cpu, key, buf, len);
}

/* The fault costs of the OS that takes the faults here (the machine
 * chooses the row, machine.c), and the host's where a hypervisor backs
 * guest memory. */
static bool fault_key_applies(const struct machine_config *c, const char *key)
{
	bool guest = c->mode != MACHINE_NATIVE;
	const char *row = c->mode == MACHINE_SHADOW ? "fault.shadow." :
			  c->mode == MACHINE_NATIVE ? NULL : "fault.nested.";

	if (!strncmp(key, "host_fault.", 11))
		return guest;
	if (strncmp(key, "fault.", 6))
		return true;
	if (!strncmp(key, "fault.nested.", 13) || !strncmp(key, "fault.shadow.", 13))
		return row && !strncmp(key, row, strlen(row));
	return !guest;
}

/* Does a CPU key describe something this configuration uses? */
static bool cpu_key_applies(const struct machine_config *c, const char *key)
{
	if (!c->fetch && (!strncmp(key, "l1i.", 4) || !strncmp(key, "l2i.", 4) || !strcmp(key, "stlb.shared")))
		return false;
	if (c->mode == MACHINE_NATIVE && !strncmp(key, "ntlb.", 5))
		return false;
	if (c->mode == MACHINE_NATIVE && !strcmp(key, "exit_cycles"))
		return false;
	if (!fault_key_applies(c, key))
		return false;
	return strcmp(key, "preset") != 0;   /* listed as `cpu` */
}

struct cpu_filter {
	const struct machine_config *c;
	machine_param_fn fn;
	void *ctx;
};

static int filter_cpu_param(void *ctx, const char *key, const char *value, const char *source)
{
	struct cpu_filter *f = ctx;
	return cpu_key_applies(f->c, key) ? f->fn(f->ctx, key, value, source) : 0;
}

int machine_config_foreach(const struct machine_config *c, machine_param_fn fn, void *ctx)
{
	char val[512];
	int rc;

	if ((rc = fn(ctx, "cpu", c->cpu.name, c->set & SET_CPU && c->cpu.source ? c->cpu.source :
		     c->cpu.source ? c->cpu.source : "")))
		return rc;
	for (unsigned i = 0; i < NKEYS; i++) {
		const struct mkey *k = &mkeys[i];
		if (!(k->modes & (1u << c->mode)))
			continue;
		if (k->type == K_ITLB && !c->fetch)
			continue;
		fmt_machine_key(c, k, val, sizeof val);
		const char *src = c->from_file >> i & 1 ? "preset file" : c->set >> i & 1 ? "override" :
				  k->why_default ? k->why_default :
				  c->cpu.src_tlb ? c->cpu.src_tlb : "preset";
		if ((rc = fn(ctx, k->key, val, src)))
			return rc;
	}
	struct cpu_filter f = { c, fn, ctx };
	return cpu_foreach_param(&c->cpu, filter_cpu_param, &f);
}

int machine_config_foreach_key(machine_key_fn fn, void *ctx)
{
	int rc;

	if ((rc = fn(ctx, "cpu", "the CPU preset (xlat sim --list-cpus); set it before CPU parameters")))
		return rc;
	for (unsigned i = 0; i < NKEYS; i++)
		if ((rc = fn(ctx, mkeys[i].key, mkeys[i].desc)))
			return rc;
	static const char *const cpu_keys[][2] = {
		{ "ghz", "core clock, to turn cycles into seconds" },
		{ "LEVEL[.SIZE].entries|ways|repl|sizes", "a TLB array: LEVEL l1d, stlb (l2d), l1i, l2i; SIZE 4k, 2m or 1g" },
		{ "LEVEL.latency", "extra cycles for a hit at that TLB level" },
		{ "stlb.shared", "1: the ITLB misses into the STLB" },
		{ "pwc.style", "paging-structure caches: none, split, unified or amd (PDEs in the L2 DTLB)" },
		{ "pwc.pde|pdpte|pml4e|pml5e", "split PWC entries per level" },
		{ "pwc.entries|ways", "unified (or amd: the page directory cache) PWC geometry" },
		{ "ntlb.entries|ways|repl|sizes", "nested TLB (entries 0: none)" },
		{ "cache.l1d|l2|llc.size|ways|latency", "the line cache model's levels (size 0: absent)" },
		{ "cache.line", "cache line bytes" },
		{ "cache.data", "1: every access's line goes through the cache model too (0: page-table lines only)" },
		{ "mem_latency", "DRAM cycles" },
		{ "walk_cycles", "fixed cycles per walk beyond its references" },
		{ "walk_ref_cycles", "cycles per walk reference beyond its cache latency" },
		{ "fault.4k|2m|1g", "cycles per fault that maps a page of that size, natively (fault_cycles: fault.4k)" },
		{ "fault.nested|shadow.4k|2m|1g", "the same for a guest OS under nested (and secure) or shadow paging" },
		{ "host_fault.4k|2m|1g", "cycles per host page the hypervisor backs guest memory with" },
		{ "exit_cycles", "cycles per VM exit + entry" },
		{ "base_cycles_per_access", "non-translation cycles per access, for the translation share" },
	};
	for (unsigned i = 0; i < sizeof cpu_keys / sizeof cpu_keys[0]; i++)
		if ((rc = fn(ctx, cpu_keys[i][0], cpu_keys[i][1])))
			return rc;
	return 0;
}

void machine_config_drop_inapplicable(struct machine_config *c)
{
	for (unsigned i = 0; i < NKEYS; i++)
		if (!(mkeys[i].modes & (1u << c->mode)))
			c->set &= ~(1ULL << i);
	if (!c->fetch)
		c->set &= ~(1ULL << (find_key("itlb") - mkeys));
}

/* A preset file's machine keys (machine_int.h), like a preset's own
 * values, are not refused in a mode they do not apply to: a file for a
 * VM may be run natively. */
void machine_config_mark_file_keys(struct machine_config *c, uint64_t before)
{
	uint64_t mine = (c->set & ~before) & ~SET_CPU;
	c->from_file |= mine;
	c->set &= ~mine;
}

int machine_config_check(const struct machine_config *c)
{
	int rc = cpu_check(&c->cpu);
	if (rc)
		return rc;
	/* A key set for a mode it does not apply to is a mistake worth a
	 * line: `host_levels` natively would be silently ignored. */
	for (unsigned i = 0; i < NKEYS; i++)
		if (c->set >> i & 1 && !(mkeys[i].modes & (1u << c->mode)))
			return xlat_fail(-EINVAL, "%s: does not apply to %s mode", mkeys[i].key,
					 machine_mode_name(c->mode));
	if (c->set >> (find_key("itlb") - mkeys) & 1 && !c->fetch)
		return xlat_fail(-EINVAL, "itlb: does not apply with fetch=0 (fetches are not translated)");
	if (c->itlb_shared_said && c->fetch && c->cpu.data.nlevels <= c->cpu.inst.nlevels)
		return xlat_fail(-EINVAL, "itlb: ',shared' but the fetch side would share the data side's level %u, "
				 "and the data side has %u level%s (see tlb)", c->cpu.inst.nlevels + 1,
				 c->cpu.data.nlevels, c->cpu.data.nlevels == 1 ? "" : "s");
	if (c->mode == MACHINE_SECURE && c->monitor_levels != 4 && c->tee != TEE_STAGE3)
		return xlat_fail(-EINVAL, "monitor_levels: applies to tee=stage3 (the other models have no monitor stage)");
	char b[48], lim[48];
	uint64_t ram = c->mode == MACHINE_NATIVE ? c->host_ram : c->guest_ram;
	if (ram > 1ULL << c->host_pa_bits) {
		xlat_parse_size_str(ram, b, sizeof b);
		xlat_parse_size_str(1ULL << c->host_pa_bits, lim, sizeof lim);
		return xlat_fail(-EINVAL, "%s: %s is too large: at most %s (%u-bit physical addresses)",
				 c->mode == MACHINE_NATIVE ? "host_ram" : "guest_ram", b, lim, c->host_pa_bits);
	}
	return 0;
}
