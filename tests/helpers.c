#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "helpers.h"

int run_xlat(const char *args, int merge_stderr, char **output)
{
	const char *bin = getenv("XLAT_BIN");
	if (!bin)
		bin = "./xlat";
	size_t n = strlen(bin) + strlen(args) + 16;
	char *cmd = malloc(n);
	snprintf(cmd, n, "%s %s%s", bin, args, merge_stderr ? " 2>&1" : "");
	FILE *p = popen(cmd, "r");
	free(cmd);
	if (!p)
		return -1;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t got;
	while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += got;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
	buf[len] = 0;
	int st = pclose(p);
	if (output)
		*output = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *test_tmpdir(void)
{
	static char dir[64];
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/xlat-test-XXXXXX");
		if (!mkdtemp(dir))
			return "/tmp";
	}
	return dir;
}

void test_mmu_config(struct mmu_config *mc, unsigned l1_entries, unsigned ways)
{
	memset(mc, 0, sizeof *mc);
	mc->ndtlb = mc->nitlb = 1;
	mc->shared_from = MMU_MAX_TLB_LEVELS;
	struct tlb_config l1 = { "L1", 1, { { l1_entries, ways, TLB_LRU, TLB_ALL_SIZES, false } }, 1 };
	mc->dtlb[0] = mc->itlb[0] = l1;
	mc->pwc.style = PWC_NONE;
	mc->ntlb = (struct tlb_config){ "nested TLB", 1, { { 16, 0, TLB_LRU, TLB_ALL_SIZES, false } }, 1 };
	mc->cache.mem_latency = 100;
	for (unsigned z = 0; z < XLAT_NPSIZES; z++) {
		for (unsigned m = 0; m < MMU_FAULT_MODES; m++)
			mc->costs.fault_cycles[m][z] = 1000;
		mc->costs.host_fault_cycles[z] = 500;
	}
	mc->costs.exit_cycles = 2000;
	mc->costs.base_cycles_per_access = 1;
	mc->costs.ghz = 3;
}
