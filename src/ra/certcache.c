/* certcache.c - the certificates this process last issued to orders, for their downloads */
/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "certcache.h"

#define CERTCACHE_DEFAULT	64

/* One certificate: the leaf and the chain in one allocation. */
struct cc_entry {
	char	 serial[ACME_SERIAL_SIZE];	/* "": empty */
	char	 account_id[ACME_ID_SIZE];
	char	*pem;		/* "leaf\0chain\0", heap */
	size_t	 pemlen;	/* strlen of the leaf */
};

struct certcache {
	pthread_mutex_t	 mu;
	struct cc_entry	*ring;
	size_t		 n;
	size_t		 next;	/* the oldest entry, replaced by the next put */
};

struct certcache *
certcache_new(size_t n)
{
	struct certcache *cc;

	if (n == 0)
		n = CERTCACHE_DEFAULT;
	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		return NULL;
	if ((cc->ring = calloc(n, sizeof(*cc->ring))) == NULL) {
		free(cc);
		return NULL;
	}
	cc->n = n;
	pthread_mutex_init(&cc->mu, NULL);
	return cc;
}

void
certcache_free(struct certcache *cc)
{
	if (cc == NULL)
		return;
	for (size_t i = 0; i < cc->n; i++)
		free(cc->ring[i].pem);
	pthread_mutex_destroy(&cc->mu);
	free(cc->ring);
	free(cc);
}

void
certcache_put(struct certcache *cc, const struct acme_cert *c)
{
	struct cc_entry	 e;
	char		*old;
	size_t		 a, b;

	if (cc == NULL || c->pem == NULL || c->chain_pem == NULL ||
	    c->serial[0] == '\0')
		return;
	/* Build outside the lock; a failed copy only costs speed. */
	memset(&e, 0, sizeof(e));
	a = strlen(c->pem);
	b = strlen(c->chain_pem);
	if ((e.pem = malloc(a + b + 2)) == NULL)
		return;
	memcpy(e.pem, c->pem, a + 1);
	memcpy(e.pem + a + 1, c->chain_pem, b + 1);
	e.pemlen = a;
	memcpy(e.serial, c->serial, sizeof(e.serial));
	memcpy(e.account_id, c->account_id, sizeof(e.account_id));
	pthread_mutex_lock(&cc->mu);
	old = cc->ring[cc->next].pem;
	cc->ring[cc->next] = e;
	cc->next = (cc->next + 1) % cc->n;
	pthread_mutex_unlock(&cc->mu);
	free(old);
}

bool
certcache_get(struct certcache *cc, const char *serial, struct acme_cert *out)
{
	const struct cc_entry	*e = NULL;
	bool			 hit = false;

	if (cc == NULL || serial[0] == '\0')
		return false;
	pthread_mutex_lock(&cc->mu);
	for (size_t i = 0; i < cc->n && e == NULL; i++)
		if (strcmp(cc->ring[i].serial, serial) == 0)
			e = &cc->ring[i];
	if (e != NULL &&
	    (out->pem = strdup(e->pem)) != NULL &&
	    (out->chain_pem = strdup(e->pem + e->pemlen + 1)) != NULL) {
		memcpy(out->serial, e->serial, sizeof(out->serial));
		memcpy(out->account_id, e->account_id,
		    sizeof(out->account_id));
		hit = true;
	}
	pthread_mutex_unlock(&cc->mu);
	if (!hit) {
		free(out->pem);
		out->pem = NULL;
	}
	return hit;
}
