/*
 * Worker threads for batch issuance: a fixed pool serving jobs of n
 * independent tasks, higher priority first (signing before checking the
 * next group, so the token is never idle while there is something to
 * sign). The thread that waits for a job helps run it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "ca/ca_int.h"

struct ca_job {
	ca_task_fn fn;
	void *arg;
	size_t n;
	size_t next; /* next task to hand out */
	size_t done; /* tasks finished */
	int priority;
	struct ca_job *link;
};

struct ca_pool {
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job was queued, or stop */
	pthread_cond_t done; /* a job finished */
	pthread_t *threads;
	unsigned n;
	int stop;
	struct ca_job *jobs; /* by priority, highest first */
};

/* The first job with a task left to hand out; under the lock. */
static struct ca_job *
pool_pick(struct ca_pool *p)
{
	struct ca_job *j;

	for (j = p->jobs; j != NULL; j = j->link)
		if (j->next < j->n)
			return j;
	return NULL;
}

/* Run task i of j with the lock dropped; returns with the lock held. */
static void
pool_run_one(struct ca_pool *p, struct ca_job *j)
{
	size_t i = j->next++;

	pthread_mutex_unlock(&p->lock);
	j->fn(j->arg, i);
	pthread_mutex_lock(&p->lock);
	if (++j->done == j->n)
		pthread_cond_broadcast(&p->done);
}

static void *
pool_main(void *arg)
{
	struct ca_pool *p = arg;
	struct ca_job *j;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		if ((j = pool_pick(p)) == NULL) {
			pthread_cond_wait(&p->work, &p->lock);
			continue;
		}
		pool_run_one(p, j);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int
ca_pool_new(unsigned n, struct ca_pool **out)
{
	struct ca_pool *p;
	long cpus;

	*out = NULL;
	if (n == 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus > 0 ? (unsigned)cpus : 1;
		if (n > CA_WORKERS_MAX)
			n = CA_WORKERS_MAX;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->threads = calloc(n, sizeof(*p->threads))) == NULL) {
		free(p);
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (p->n = 0; p->n < n; p->n++)
		if (pthread_create(&p->threads[p->n], NULL, pool_main, p) != 0)
			break;
	if (p->n == 0) {
		ca_pool_free(p);
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "cannot start a worker thread");
	}
	*out = p;
	return 0;
}

void
ca_pool_free(struct ca_pool *p)
{
	unsigned i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p->threads);
	free(p);
}

unsigned
ca_pool_size(const struct ca_pool *p)
{
	return p->n;
}

struct ca_job *
ca_pool_start(struct ca_pool *p, ca_task_fn fn, void *arg, size_t n,
    int priority)
{
	struct ca_job *j, **pp;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->fn = fn;
	j->arg = arg;
	j->n = n;
	j->priority = priority;
	pthread_mutex_lock(&p->lock);
	for (pp = &p->jobs; *pp != NULL && (*pp)->priority >= priority;
	     pp = &(*pp)->link)
		;
	j->link = *pp;
	*pp = j;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	return j;
}

void
ca_pool_wait(struct ca_pool *p, struct ca_job *job)
{
	struct ca_job **pp;

	if (job == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	while (job->next < job->n)
		pool_run_one(p, job);
	while (job->done < job->n)
		pthread_cond_wait(&p->done, &p->lock);
	for (pp = &p->jobs; *pp != NULL; pp = &(*pp)->link)
		if (*pp == job) {
			*pp = job->link;
			break;
		}
	pthread_mutex_unlock(&p->lock);
	free(job);
}
