/* acctcache.c - account rows by id, kept coherent with this process's account writes */
/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "acctcache.h"
#include "keycache.h"

struct acctcache {
	pthread_mutex_t		  mu;
	struct acme_account	**slots;	/* NULL: empty */
	size_t			  nslots;
};

struct acctcache *
acctcache_new(size_t nslots)
{
	struct acctcache *ac;

	if (nslots == 0)
		nslots = 1024;
	if ((ac = calloc(1, sizeof(*ac))) == NULL)
		return NULL;
	if ((ac->slots = calloc(nslots, sizeof(*ac->slots))) == NULL) {
		free(ac);
		return NULL;
	}
	ac->nslots = nslots;
	pthread_mutex_init(&ac->mu, NULL);
	return ac;
}

static void
slot_drop(struct acme_account **s)
{
	if (*s == NULL)
		return;
	acme_account_clear(*s);
	free(*s);
	*s = NULL;
}

void
acctcache_free(struct acctcache *ac)
{
	if (ac == NULL)
		return;
	for (size_t i = 0; i < ac->nslots; i++)
		slot_drop(&ac->slots[i]);
	pthread_mutex_destroy(&ac->mu);
	free(ac->slots);
	free(ac);
}

static struct acme_account **
slot_of(struct acctcache *ac, const char *id)
{
	return &ac->slots[keycache_hash(id) % ac->nslots];
}

bool
acctcache_get(struct acctcache *ac, const char *id, struct acme_account *out)
{
	struct acme_account	**s;
	bool			  hit = false;

	if (ac == NULL)
		return false;
	s = slot_of(ac, id);
	pthread_mutex_lock(&ac->mu);
	if (*s != NULL && strcmp((*s)->id, id) == 0)
		hit = acme_account_copy(out, *s) == 0;
	pthread_mutex_unlock(&ac->mu);
	return hit;
}

void
acctcache_put(struct acctcache *ac, const struct acme_account *a)
{
	struct acme_account	**s, *fresh, *old;

	if (ac == NULL || a->jwk == NULL)
		return;
	/* Copy outside the lock; a failed copy only costs speed. */
	if ((fresh = calloc(1, sizeof(*fresh))) == NULL)
		return;
	if (acme_account_copy(fresh, a) == -1) {
		free(fresh);
		return;
	}
	s = slot_of(ac, a->id);
	pthread_mutex_lock(&ac->mu);
	old = *s;
	*s = fresh;
	pthread_mutex_unlock(&ac->mu);
	slot_drop(&old);
}

void
acctcache_forget(struct acctcache *ac, const char *id)
{
	struct acme_account	**s, *old = NULL;

	if (ac == NULL)
		return;
	s = slot_of(ac, id);
	pthread_mutex_lock(&ac->mu);
	if (*s != NULL && strcmp((*s)->id, id) == 0) {
		old = *s;
		*s = NULL;
	}
	pthread_mutex_unlock(&ac->mu);
	slot_drop(&old);
}
