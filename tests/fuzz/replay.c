/*
 * Replays corpus files through a fuzz target's LLVMFuzzerTestOneInput
 * without libFuzzer, so that plain and sanitizer builds (gcc too) run
 * every committed corpus as a test. Arguments are files or directories;
 * a missing one, or no input at all, is a failure.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	uint8_t *data = NULL, *tmp;
	size_t len = 0, cap = 0, n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			if ((tmp = realloc(data, cap)) == NULL) {
				fclose(f);
				free(data);
				return -1;
			}
			data = tmp;
		}
		if ((n = fread(data + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int
name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int
main(int argc, char **argv)
{
	char path[4096];
	struct dirent **list;
	struct stat st;
	long files = 0;
	int i, j, n;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (replay_file(argv[i]) != 0)
				return 1;
			files++;
			continue;
		}
		if ((n = scandir(argv[i], &list, NULL, name_cmp)) < 0) {
			perror(argv[i]);
			return 1;
		}
		for (j = 0; j < n; j++) {
			snprintf(path, sizeof(path), "%s/%s", argv[i],
			    list[j]->d_name);
			if (list[j]->d_name[0] != '.' && stat(path, &st) == 0 &&
			    S_ISREG(st.st_mode)) {
				if (replay_file(path) != 0)
					return 1;
				files++;
			}
			free(list[j]);
		}
		free(list);
	}
	printf("replayed %ld inputs\n", files);
	return files > 0 ? 0 : 1;
}
