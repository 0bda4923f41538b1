/*
 * util/file.h batches: every file in place after commit, with its content
 * and mode; nothing at a path before commit; temporaries cleaned up; a
 * failing rename reported for that file only.
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "util/file.h"

static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_batch_places_all(void **state)
{
	struct file_batch *b = NULL;
	char path[4096], want[64];
	const char *err;
	struct stat st;
	size_t i, idx, len;
	uint8_t *got;

	(void)state;
	assert_int_equal(file_mkdir(fx_path("out"), 0755), 0);
	assert_int_equal(file_mkdir(fx_path("out2"), 0755), 0);
	assert_int_equal(file_batch_new(&b), 0);
	for (i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "%s/f%zu.crt",
		    fx_path(i % 2 ? "out" : "out2"), i);
		snprintf(want, sizeof(want), "certificate %zu\n", i);
		assert_int_equal(file_batch_add(b, path, want, strlen(want),
				     0644, &idx),
		    0);
		assert_int_equal(idx, i);
		/* Nothing is at the path before the commit. */
		assert_false(file_exists(path));
	}
	assert_int_equal(file_batch_count(b), 20);
	assert_int_equal(file_batch_commit(b), 0);
	for (i = 0; i < 20; i++) {
		assert_true(file_batch_placed(b, i, &err));
		snprintf(path, sizeof(path), "%s/f%zu.crt",
		    fx_path(i % 2 ? "out" : "out2"), i);
		snprintf(want, sizeof(want), "certificate %zu\n", i);
		got = fx_read(path, &len);
		assert_int_equal(len, strlen(want));
		assert_memory_equal(got, want, len);
		free(got);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0644);
	}
	assert_false(file_batch_placed(b, 99, &err));
	file_batch_free(b);
	/* No temporary is left behind. */
	assert_int_equal(entries(fx_path("out")), 10);
	assert_int_equal(entries(fx_path("out2")), 10);
}

static void
test_batch_free_uncommitted(void **state)
{
	struct file_batch *b = NULL;
	char path[4096];

	(void)state;
	assert_int_equal(file_mkdir(fx_path("gone"), 0755), 0);
	snprintf(path, sizeof(path), "%s/a.crt", fx_path("gone"));
	assert_int_equal(file_batch_new(&b), 0);
	assert_int_equal(file_batch_add(b, path, "x", 1, 0600, NULL), 0);
	/* An unnamed temporary (O_TMPFILE), or a named one. */
	assert_true(entries(fx_path("gone")) <= 1);
	assert_false(file_exists(path));
	file_batch_free(b);
	assert_int_equal(entries(fx_path("gone")), 0);
	file_batch_free(NULL);
}

static void
test_batch_rename_fails(void **state)
{
	struct file_batch *b = NULL;
	char good[4096], bad[4096];
	const char *err;

	(void)state;
	assert_int_equal(file_mkdir(fx_path("mixed"), 0755), 0);
	snprintf(good, sizeof(good), "%s/good.crt", fx_path("mixed"));
	/* A directory in the way: rename(2) of a file over it fails. */
	snprintf(bad, sizeof(bad), "%s/bad.crt", fx_path("mixed"));
	assert_int_equal(file_mkdir(bad, 0755), 0);
	assert_int_equal(file_batch_new(&b), 0);
	assert_int_equal(file_batch_add(b, bad, "b", 1, 0644, NULL), 0);
	assert_int_equal(file_batch_add(b, good, "g", 1, 0644, NULL), 0);
	assert_int_equal(file_batch_commit(b), SIGNET_ERR_IO);
	assert_false(file_batch_placed(b, 0, &err));
	assert_non_null(strstr(err, "bad.crt"));
	assert_true(file_batch_placed(b, 1, &err));
	file_batch_free(b);
	assert_true(file_exists(good));
	/* The failed one's temporary is gone. */
	assert_int_equal(entries(fx_path("mixed")), 2);
}

/* A path that exists gets the new content, atomically, and nothing else. */
static void
test_batch_replaces(void **state)
{
	struct file_batch *b = NULL;
	char path[4096];
	const char *err;
	struct stat st;
	uint8_t *got;
	size_t len;

	(void)state;
	assert_int_equal(file_mkdir(fx_path("again"), 0755), 0);
	snprintf(path, sizeof(path), "%s/a.crt", fx_path("again"));
	assert_int_equal(file_write_atomic(path, "old", 3, 0600), 0);
	assert_int_equal(file_batch_new(&b), 0);
	assert_int_equal(file_batch_add(b, path, "new!", 4, 0644, NULL), 0);
	got = fx_read(path, &len);
	assert_memory_equal(got, "old", 3);
	free(got);
	assert_int_equal(file_batch_commit(b), 0);
	assert_true(file_batch_placed(b, 0, &err));
	file_batch_free(b);
	got = fx_read(path, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(got, "new!", 4);
	free(got);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(entries(fx_path("again")), 1);
}

static void
test_batch_unwritable_dir(void **state)
{
	struct file_batch *b = NULL;
	char path[4096];

	(void)state;
	snprintf(path, sizeof(path), "%s/no/such/dir/a.crt", fx_tmpdir());
	assert_int_equal(file_batch_new(&b), 0);
	assert_int_equal(file_batch_add(b, path, "x", 1, 0644, NULL),
	    SIGNET_ERR_IO);
	assert_non_null(strstr(signet_error_message(), "a.crt"));
	assert_int_equal(file_batch_count(b), 0);
	assert_int_equal(file_batch_commit(b), 0);
	file_batch_free(b);
}

struct thread_arg {
	struct file_batch *b;
	int base;
};

static void *
adder(void *argp)
{
	struct thread_arg *a = argp;
	char path[4096];
	int i;

	for (i = 0; i < 50; i++) {
		snprintf(path, sizeof(path), "%s/t%d.crt", fx_path("threads"),
		    a->base + i);
		if (file_batch_add(a->b, path, "t", 1, 0644, NULL) != 0)
			return (void *)1;
	}
	return NULL;
}

static void
test_batch_threads(void **state)
{
	struct file_batch *b = NULL;
	struct thread_arg args[4];
	pthread_t t[4];
	void *ret;
	int i;

	(void)state;
	assert_int_equal(file_mkdir(fx_path("threads"), 0755), 0);
	assert_int_equal(file_batch_new(&b), 0);
	for (i = 0; i < 4; i++) {
		args[i].b = b;
		args[i].base = i * 50;
		assert_int_equal(pthread_create(&t[i], NULL, adder, &args[i]),
		    0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	assert_int_equal(file_batch_count(b), 200);
	assert_int_equal(file_batch_commit(b), 0);
	file_batch_free(b);
	assert_int_equal(entries(fx_path("threads")), 200);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_places_all),
		cmocka_unit_test(test_batch_free_uncommitted),
		cmocka_unit_test(test_batch_rename_fails),
		cmocka_unit_test(test_batch_replaces),
		cmocka_unit_test(test_batch_unwritable_dir),
		cmocka_unit_test(test_batch_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
