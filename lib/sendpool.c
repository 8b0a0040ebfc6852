#include "sendpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"

#define POOL_MAX	32

struct worker {
	struct sendpool *p;
	pthread_t thread;
	struct dest *dest;	/* this worker's connection, or NULL */
	unsigned seed;		/* backoff jitter (rand_r: no shared state) */
	struct log lg;		/* the run's, without a progress bar */
};

struct sendpool {
	const struct job *job;
	const struct log *lg;
	int connections;
	pthread_mutex_t mu;
	pthread_cond_t work;	/* an item was queued, or stop */
	pthread_cond_t done;	/* an item is done */
	struct pool_item *head, *tail;	/* deliveries */
	struct pool_item *thead, *ttail;	/* tasks: taken first */
	int queued;
	int idle;		/* workers waiting for work */
	int stop;
	int cannot_start;	/* pthread_create failed: no more tries */
	int nthreads;
	struct worker w[POOL_MAX];
	/* Deliveries in the caller's thread, before any thread started. */
	struct dest *caller_dest;
	unsigned caller_seed;
};

/*
 * Exponential backoff with jitter: retry_delay * 2^i, +-25%, at most a
 * minute; never shorter than a server's Retry-After (up to 10 minutes).
 */
static void
backoff(const struct job *job, int attempt, long retry_after_s,
    unsigned *seed)
{
	long long ms = job->upload.retry_delay_ms;
	int i;

	for (i = 0; i < attempt && ms < 3600 * 1000; i++)
		ms *= 2;
	if (ms > 0) {
		long long j = ms / 4;
		ms += j > 0 ? (long long)(rand_r(seed) % (2 * j + 1)) - j : 0;
	}
	if (ms > 60000)
		ms = 60000;
	if (retry_after_s > 0 && ms < retry_after_s * 1000LL)
		ms = retry_after_s > 600 ? 600000 : retry_after_s * 1000LL;
	if (ms > 0)
		usleep((useconds_t)ms * 1000);
}

/* One batch over *d (opened, or reopened after a broken connection). */
static void
deliver(const struct job *job, struct dest **d, unsigned *seed,
    const struct log *lg, struct pool_item *it)
{
	struct xerr *err = &it->err;
	long long t0 = mono_ms();
	int try;

	it->rc = -1;
	it->uploaded = 0;
	for (try = 0; ; try++) {
		xerr_clear(err);
		/* Another node may have taken the batch over while it
		 * waited in the queue or between tries. */
		if (it->still_ours != NULL &&
		    !it->still_ours(it->still_ours_arg)) {
			xerr_set(err, XERR_STALE, 0, "the claim of the batch "
			    "was lost before %s", try == 0 ? "its upload" :
			    "another try");
			return;
		}
		if (*d == NULL)
			(void)dest_open(job, d, lg, err);
		if (*d != NULL && dest_deliver(*d, it->dir, &it->m, it->date,
		    lg, &it->uploaded, err) == 0)
			break;
		if (*d != NULL && err->cls == XERR_TEMP) {
			/* A broken connection is not reused. */
			dest_close(*d);
			*d = NULL;
		}
		if (err->cls != XERR_TEMP || try >= job->upload.retries)
			return;
		log_event(lg, LOG_WARN, job->name, it->date, "retry", NULL,
		    "try %d of %d failed: %s", try + 1,
		    job->upload.retries + 1, err->msg);
		backoff(job, try, err->retry_after_s, seed);
	}
	it->ms = mono_ms() - t0;
	it->rc = 0;
}

/* With p->mu held: the first task, else the first delivery. */
static struct pool_item *
pop(struct sendpool *p)
{
	struct pool_item *it;

	if ((it = p->thead) != NULL) {
		p->thead = it->next;
		if (p->thead == NULL)
			p->ttail = NULL;
	} else if ((it = p->head) != NULL) {
		p->head = it->next;
		if (p->head == NULL)
			p->tail = NULL;
	}
	if (it != NULL)
		p->queued--;
	return it;
}

/* it, popped: a task or a delivery over *d. */
static void
run_item(struct sendpool *p, struct dest **d, unsigned *seed,
    const struct log *lg, struct pool_item *it)
{
	if (it->task != NULL)
		it->task(it->task_arg);
	else
		deliver(p->job, d, seed, lg, it);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct sendpool *p = w->p;
	struct pool_item *it;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->queued == 0) {
			p->idle++;
			pthread_cond_wait(&p->work, &p->mu);
			p->idle--;
		}
		if (p->stop)
			break;
		it = pop(p);
		pthread_mutex_unlock(&p->mu);
		run_item(p, &w->dest, &w->seed, &w->lg, it);
		pthread_mutex_lock(&p->mu);
		it->done = 1;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct sendpool *
sendpool_new(const struct job *job, const struct log *lg, int connections)
{
	struct sendpool *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->job = job;
	p->lg = lg;
	p->connections = connections < 1 ? 1 : connections > POOL_MAX ?
	    POOL_MAX : connections;
	/* Threads would switch TZ under each other's feet (tz.h). */
	if (lg == NULL || lg->pinned_zone == NULL)
		p->connections = 1;
	p->caller_seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return NULL;
	}
	if (pthread_cond_init(&p->work, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	if (pthread_cond_init(&p->done, NULL) != 0) {
		pthread_cond_destroy(&p->work);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	if (p->connections > 1)
		FAULT_INIT();
	return p;
}

/* With p->mu held: one more worker; -1 if none could be started. */
static int
start_worker(struct sendpool *p)
{
	struct worker *w = &p->w[p->nthreads];

	w->p = p;
	w->lg = *p->lg;
	w->lg.no_progress = 1;
	w->seed = p->caller_seed + (unsigned)p->nthreads + 1;
	/* The first worker takes over the caller's connection. */
	w->dest = p->nthreads == 0 ? p->caller_dest : NULL;
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		w->dest = NULL;
		p->cannot_start = 1;
		return -1;
	}
	if (p->nthreads == 0)
		p->caller_dest = NULL;
	p->nthreads++;
	return 0;
}

static void
enqueue(struct sendpool *p, struct pool_item *it, struct pool_item **head,
    struct pool_item **tail)
{
	it->done = 0;
	it->rc = -1;
	it->next = NULL;
	xerr_clear(&it->err);
	pthread_mutex_lock(&p->mu);
	if (*tail != NULL)
		(*tail)->next = it;
	else
		*head = it;
	*tail = it;
	p->queued++;
	/* Threads only once two batches wait: a run of one batch stays in
	 * the caller's thread. */
	while (p->connections > 1 && !p->cannot_start &&
	    p->nthreads < p->connections && p->idle < p->queued &&
	    (p->nthreads > 0 || p->queued >= 2))
		if (start_worker(p) == -1)
			break;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

void
sendpool_submit(struct sendpool *p, struct pool_item *it)
{
	it->task = NULL;
	enqueue(p, it, &p->head, &p->tail);
}

void
sendpool_submit_task(struct sendpool *p, struct pool_item *it,
    void (*task)(void *arg), void *arg)
{
	it->task = task;
	it->task_arg = arg;
	enqueue(p, it, &p->thead, &p->ttail);
}

void
sendpool_wait(struct sendpool *p, struct pool_item *it)
{
	struct pool_item *next;

	pthread_mutex_lock(&p->mu);
	while (!it->done) {
		if (p->nthreads > 0) {
			pthread_cond_wait(&p->done, &p->mu);
			continue;
		}
		if ((next = pop(p)) == NULL)
			break;	/* never submitted: nothing to wait for */
		pthread_mutex_unlock(&p->mu);
		run_item(p, &p->caller_dest, &p->caller_seed, p->lg, next);
		pthread_mutex_lock(&p->mu);
		next->done = 1;
	}
	pthread_mutex_unlock(&p->mu);
}

int
sendpool_threads(const struct sendpool *p)
{
	return p->nthreads;
}

void
sendpool_free(struct sendpool *p)
{
	int i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++) {
		pthread_join(p->w[i].thread, NULL);
		dest_close(p->w[i].dest);
	}
	dest_close(p->caller_dest);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
