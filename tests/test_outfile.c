/* Safe output files (xlat/outfile.h): what commit, abort and every refusal
 * leave on disk, permissions, symlinks, write errors and stdout. */
#define _GNU_SOURCE   /* O_TMPFILE */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "xlat/outfile.h"

static char *tpath(const char *name)
{
	static char buf[8][512];
	static int k;
	char *p = buf[k++ % 8];
	snprintf(p, 512, "%s/of/%s", test_tmpdir(), name);
	return p;
}

/* Temporary files in the test directory: 0 when they are unnamed. */
static int ntemp;

/* A fresh, empty directory for each test. */
static int setup(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s/of' && mkdir '%s/of'", test_tmpdir(), test_tmpdir());
	return system(cmd) == 0 ? 0 : -1;
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* The whole file as a string ("" if missing: callers check existence). */
static char *slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	if (!f)
		return strcpy(buf, "<missing>");
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* Entries of the test directory, "." and ".." aside. */
static int entries(void)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/of", test_tmpdir());
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void assert_error_has(const char *needle)
{
	if (!strstr(xlat_error(), needle)) {
		print_error("error message \"%s\" lacks \"%s\"\n", xlat_error(), needle);
		fail();
	}
}

static void test_new_file(void **state)
{
	(void)state;
	mode_t old = umask(022);
	struct xlat_outfile *f;
	assert_int_equal(xlat_outfile_open(&f, tpath("new.txt"), NULL), 0);
	/* Nothing at the target until commit; the temporary file is beside it. */
	assert_int_equal(access(tpath("new.txt"), F_OK), -1);
	assert_int_equal(entries(), ntemp);
	assert_int_equal(xlat_outfile_write(f, "hello ", 6), 0);
	assert_int_equal(xlat_outfile_printf(f, "%s %d\n", "world", 42), 0);
	assert_int_equal(xlat_outfile_size(f), 15);
	assert_int_equal(xlat_outfile_pwrite(f, "H", 1, 0), 0);
	assert_false(xlat_outfile_is_stdout(f));
	assert_int_equal(xlat_outfile_commit(f), 0);
	assert_string_equal(slurp(tpath("new.txt")), "Hello world 42\n");
	assert_int_equal(entries(), 1);
	/* The permissions a new file gets: 0666 minus the umask. */
	struct stat st;
	assert_int_equal(stat(tpath("new.txt"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	umask(old);
}

static void test_big_writes(void **state)
{
	(void)state;
	/* Writes and printf larger than the buffer, mixed with small ones. */
	size_t n = 300000;
	char *big = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	big[n] = 0;
	struct xlat_outfile *f;
	assert_int_equal(xlat_outfile_open(&f, tpath("big"), NULL), 0);
	assert_int_equal(xlat_outfile_write(f, "<", 1), 0);
	assert_int_equal(xlat_outfile_write(f, big, n), 0);
	assert_int_equal(xlat_outfile_printf(f, "%s", big), 0);
	assert_int_equal(xlat_outfile_write(f, ">", 1), 0);
	assert_int_equal(xlat_outfile_commit(f), 0);
	struct stat st;
	assert_int_equal(stat(tpath("big"), &st), 0);
	assert_int_equal(st.st_size, 2 * n + 2);
	FILE *fp = fopen(tpath("big"), "r");
	char *back = malloc(2 * n + 3);
	assert_int_equal(fread(back, 1, 2 * n + 2, fp), 2 * n + 2);
	fclose(fp);
	assert_int_equal(back[0], '<');
	assert_memory_equal(back + 1, big, n);
	assert_memory_equal(back + 1 + n, big, n);
	assert_int_equal(back[2 * n + 1], '>');
	free(back);
	free(big);
}

static void test_replace_keeps_mode_abort_keeps_file(void **state)
{
	(void)state;
	const char *p = tpath("precious");
	put_file(p, "old contents\n");
	assert_int_equal(chmod(p, 0600), 0);
	struct xlat_outfile *f;
	/* Abort: the old file is untouched and the temporary file is gone. */
	assert_int_equal(xlat_outfile_open(&f, p, NULL), 0);
	assert_int_equal(xlat_outfile_write(f, "new", 3), 0);
	assert_int_equal(entries(), 1 + ntemp);
	xlat_outfile_abort(f);
	assert_string_equal(slurp(p), "old contents\n");
	assert_int_equal(entries(), 1);
	xlat_outfile_abort(NULL);
	/* Commit: replaced, with the old file's permissions. */
	assert_int_equal(xlat_outfile_open(&f, p, NULL), 0);
	assert_int_equal(xlat_outfile_write(f, "new\n", 4), 0);
	assert_int_equal(xlat_outfile_commit(f), 0);
	assert_string_equal(slurp(p), "new\n");
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(entries(), 1);
}

static void test_same_file_refused(void **state)
{
	(void)state;
	const char *in = tpath("in.xlt");
	put_file(in, "input\n");
	const char *inputs[] = { tpath("other"), in, NULL };
	struct xlat_outfile *f;
	assert_int_equal(xlat_outfile_open(&f, in, inputs), -EEXIST);
	assert_error_has("is the same file as the input");
	assert_int_equal(xlat_outfile_check(in, inputs), -EEXIST);
	/* Through a symbolic link (the output is a link to the input) ... */
	assert_int_equal(symlink(in, tpath("link.xlt")), 0);
	assert_int_equal(xlat_outfile_open(&f, tpath("link.xlt"), inputs), -EEXIST);
	/* ... the input is a link to the output ... */
	const char *via_link[] = { tpath("link.xlt"), NULL };
	assert_int_equal(xlat_outfile_open(&f, in, via_link), -EEXIST);
	/* ... a hard link, and a path spelled differently. */
	assert_int_equal(link(in, tpath("hard.xlt")), 0);
	assert_int_equal(xlat_outfile_open(&f, tpath("hard.xlt"), inputs), -EEXIST);
	char odd[600];
	snprintf(odd, sizeof odd, "%s/of/./../of/in.xlt", test_tmpdir());
	assert_int_equal(xlat_outfile_open(&f, odd, inputs), -EEXIST);
	assert_string_equal(slurp(in), "input\n");
	assert_int_equal(entries(), 3);   /* in, link, hard: no temporary file */
	/* A missing input is not the output's business. */
	const char *missing[] = { tpath("nope"), NULL };
	assert_int_equal(xlat_outfile_open(&f, tpath("fine"), missing), 0);
	xlat_outfile_abort(f);
}

static void test_symlink_followed(void **state)
{
	(void)state;
	put_file(tpath("real"), "old\n");
	assert_int_equal(symlink("real", tpath("alias")), 0);
	struct xlat_outfile *f;
	assert_int_equal(xlat_outfile_open(&f, tpath("alias"), NULL), 0);
	assert_int_equal(xlat_outfile_write(f, "new\n", 4), 0);
	assert_int_equal(xlat_outfile_commit(f), 0);
	/* The file the link names is replaced; the link stays a link. */
	assert_string_equal(slurp(tpath("real")), "new\n");
	struct stat st;
	assert_int_equal(lstat(tpath("alias"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* A dangling link is refused, not replaced or followed into a create. */
	assert_int_equal(symlink("nowhere", tpath("dangling")), 0);
	assert_int_equal(xlat_outfile_open(&f, tpath("dangling"), NULL), -ENOENT);
	assert_error_has("symbolic link to a missing file");
	assert_int_equal(access(tpath("nowhere"), F_OK), -1);
}

static void test_non_regular_refused(void **state)
{
	(void)state;
	struct xlat_outfile *f;
	char dir[512];
	snprintf(dir, sizeof dir, "%s/of", test_tmpdir());
	assert_int_equal(xlat_outfile_open(&f, dir, NULL), -EISDIR);
	assert_error_has("is a directory");
	assert_int_equal(xlat_outfile_open(&f, "/dev/null", NULL), -EINVAL);
	assert_error_has("/dev/null: is a character device");
	assert_int_equal(xlat_outfile_open(&f, "/dev/full", NULL), -EINVAL);
	assert_int_equal(mkfifo(tpath("fifo"), 0600), 0);
	assert_int_equal(xlat_outfile_open(&f, tpath("fifo"), NULL), -EINVAL);
	assert_error_has("is a FIFO");
	assert_int_equal(xlat_outfile_open(&f, "", NULL), -EINVAL);
	assert_int_equal(xlat_outfile_open(&f, tpath("no/such/dir"), NULL), -ENOENT);
	assert_error_has("cannot create a temporary file in");
	assert_int_equal(entries(), 1);   /* the fifo */
	/* The devices are still there. */
	struct stat st;
	assert_int_equal(stat("/dev/full", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

/* A write that fails (the file size limit, as a full disk would): the
 * error is sticky, names the target, and commit leaves the old file. */
static void test_write_error(void **state)
{
	(void)state;
	const char *p = tpath("keep");
	put_file(p, "keep me\n");
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 100000;
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	struct xlat_outfile *f;
	assert_int_equal(xlat_outfile_open(&f, p, NULL), 0);
	char block[4096] = { 1 };
	int rc = 0;
	for (int i = 0; i < 100 && rc == 0; i++)
		rc = xlat_outfile_write(f, block, sizeof block);
	assert_int_equal(rc, -EFBIG);
	assert_error_has("keep: write failed");
	assert_int_equal(xlat_outfile_write(f, "x", 1), -EFBIG);
	assert_int_equal(xlat_outfile_commit(f), -EFBIG);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, prev);
	assert_string_equal(slurp(p), "keep me\n");
	assert_int_equal(entries(), 1);
}

/* Standard output: no temporary file, writes checked (/dev/full). */
static void test_stdout(void **state)
{
	(void)state;
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	int full = open("/dev/full", O_WRONLY);
	assert_true(full >= 0);
	assert_int_equal(dup2(full, STDOUT_FILENO), STDOUT_FILENO);
	struct xlat_outfile *f;
	assert_int_equal(xlat_outfile_open(&f, "-", NULL), 0);
	assert_true(xlat_outfile_is_stdout(f));
	assert_int_equal(xlat_outfile_pwrite(f, "x", 0, 0), -ESPIPE);
	assert_int_equal(xlat_outfile_write(f, "some bytes\n", 11), 0);   /* buffered */
	int rc = xlat_outfile_commit(f);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(full);
	assert_int_equal(rc, -ENOSPC);
	assert_error_has("standard output: write failed");
	/* A standard output that is an input (`>> IN`) is refused. */
	const char *in = tpath("in");
	put_file(in, "x\n");
	int fd = open(in, O_WRONLY | O_APPEND);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	const char *inputs[] = { in, NULL };
	rc = xlat_outfile_open(&f, "-", inputs);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);
	assert_int_equal(rc, -EEXIST);
}

static void test_signal_cleanup(void **state)
{
	(void)state;
	put_file(tpath("t"), "old\n");
	struct xlat_outfile *f, *g;
	assert_int_equal(xlat_outfile_open(&f, tpath("t"), NULL), 0);
	assert_int_equal(xlat_outfile_open(&g, tpath("u"), NULL), 0);
	assert_int_equal(entries(), 1 + 2 * ntemp);
	xlat_outfile_signal_cleanup();
	assert_int_equal(entries(), 1);
	assert_string_equal(slurp(tpath("t")), "old\n");
	/* After the cleanup, commit fails cleanly (a named temporary file is
	 * gone) or succeeds (an unnamed one did not need cleaning); abort is
	 * harmless. */
	int rc = xlat_outfile_commit(f);
	if (ntemp) {
		assert_true(rc < 0);
	} else {
		assert_int_equal(rc, 0);
		assert_string_equal(slurp(tpath("t")), "");
		put_file(tpath("t"), "old\n");
	}
	xlat_outfile_abort(g);
	assert_string_equal(slurp(tpath("t")), "old\n");
	assert_int_equal(entries(), 1);
}

/* abort never removes a file that replaced our temporary file. */
static void test_abort_removes_only_its_own(void **state)
{
	(void)state;
	if (!ntemp)
		skip();   /* unnamed: there is nothing to replace */
	struct xlat_outfile *f;
	assert_int_equal(xlat_outfile_open(&f, tpath("v"), NULL), 0);
	/* Find the temporary file and put another file in its place. */
	char dir[512], tmp[1024] = "";
	snprintf(dir, sizeof dir, "%s/of", test_tmpdir());
	DIR *d = opendir(dir);
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] == '.' && strlen(e->d_name) > 2)
			snprintf(tmp, sizeof tmp, "%s/%s", dir, e->d_name);
	closedir(d);
	assert_true(strstr(tmp, ".v.") != NULL);
	assert_int_equal(unlink(tmp), 0);
	put_file(tmp, "someone else's\n");
	xlat_outfile_abort(f);
	assert_string_equal(slurp(tmp), "someone else's\n");
}

/* SIGKILL before commit leaves nothing, with unnamed temporary files. */
static void test_killed_leaves_nothing(void **state)
{
	(void)state;
	if (ntemp)
		skip();
	put_file(tpath("k"), "old\n");
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct xlat_outfile *f;
		if (xlat_outfile_open(&f, tpath("k"), NULL) == 0 && xlat_outfile_write(f, "new\n", 4) == 0)
			(void)xlat_outfile_fd(f);
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_string_equal(slurp(tpath("k")), "old\n");
	assert_int_equal(entries(), 1);
}

static int run_all(const char *title)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_new_file, setup),
		cmocka_unit_test_setup(test_big_writes, setup),
		cmocka_unit_test_setup(test_replace_keeps_mode_abort_keeps_file, setup),
		cmocka_unit_test_setup(test_same_file_refused, setup),
		cmocka_unit_test_setup(test_symlink_followed, setup),
		cmocka_unit_test_setup(test_non_regular_refused, setup),
		cmocka_unit_test_setup(test_write_error, setup),
		cmocka_unit_test_setup(test_stdout, setup),
		cmocka_unit_test_setup(test_signal_cleanup, setup),
		cmocka_unit_test_setup(test_abort_removes_only_its_own, setup),
		cmocka_unit_test_setup(test_killed_leaves_nothing, setup),
	};
	return cmocka_run_group_tests_name(title, tests, NULL, NULL);
}

int main(void)
{
	/* Both kinds of temporary file: unnamed (O_TMPFILE, if the test
	 * directory's file system has it) and named. */
	unsetenv("XLAT_OUTFILE_NAMED");
	int probe = open(test_tmpdir(), O_TMPFILE | O_WRONLY, 0600);
	ntemp = probe < 0;
	if (probe >= 0)
		close(probe);
	else
		print_message("no O_TMPFILE in %s: named temporary files only\n", test_tmpdir());
	int fails = run_all(ntemp ? "named temporary files (no O_TMPFILE)" : "unnamed temporary files");
	setenv("XLAT_OUTFILE_NAMED", "1", 1);
	ntemp = 1;
	fails += run_all("named temporary files");
	return fails ? 1 : 0;
}
