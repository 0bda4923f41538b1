/* Fault points: compiled only into test builds (see fault.h). */
#ifdef SIGNET_TEST_HOOKS
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signet/error.h"
#include "util/fault.h"

#define FAULT_MAX 16

struct fault {
	char name[96];
	int kill;
	unsigned long at;
	unsigned long hits;
};

static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fault faults[FAULT_MAX];
static size_t nfaults;
static int parsed;

static void
fault_parse(void)
{
	const char *env = getenv("SIGNET_FAULT");
	char *copy, *spec, *save = NULL, *at;
	struct fault *f;

	parsed = 1;
	if (env == NULL || (copy = strdup(env)) == NULL)
		return;
	for (spec = strtok_r(copy, ",", &save);
	     spec != NULL && nfaults < FAULT_MAX;
	     spec = strtok_r(NULL, ",", &save)) {
		f = &faults[nfaults];
		f->kill = 1;
		f->at = 1;
		if (strncmp(spec, "kill:", 5) == 0)
			spec += 5;
		else if (strncmp(spec, "fail:", 5) == 0) {
			f->kill = 0;
			spec += 5;
		}
		if ((at = strchr(spec, '@')) != NULL) {
			*at++ = '\0';
			f->at = strtoul(at, NULL, 10);
		}
		snprintf(f->name, sizeof(f->name), "%s", spec);
		nfaults++;
	}
	free(copy);
}

int
fault_point(const char *name)
{
	size_t i;
	int fire = 0, kill_it = 0;

	pthread_mutex_lock(&fault_lock);
	if (!parsed)
		fault_parse();
	for (i = 0; i < nfaults; i++) {
		if (strcmp(faults[i].name, name) != 0)
			continue;
		if (++faults[i].hits == faults[i].at) {
			fire = 1;
			kill_it = faults[i].kill;
		}
	}
	pthread_mutex_unlock(&fault_lock);
	if (!fire)
		return 0;
	if (kill_it)
		kill(getpid(), SIGKILL);
	return signet_error_set(SIGNET_ERR_IO, "fault injected at %s", name);
}
#else
/* ISO C forbids an empty translation unit. */
typedef int signet_fault_unused;
#endif
