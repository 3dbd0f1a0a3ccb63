/* keycache.c - imported account keys by (account id, stored JWK text) */
/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "acme/jwk.h"
#include "acme/jws.h"
#include "acme/problem.h"
#include "keycache.h"

struct slot {
	char		*id;
	char		*jwk;
	EVP_PKEY	*key;
};

struct keycache {
	pthread_mutex_t	 mu;
	struct slot	*slots;
	size_t		 nslots;
};

struct keycache *
keycache_new(size_t nslots)
{
	struct keycache *kc;

	if (nslots == 0)
		nslots = 1024;
	if ((kc = calloc(1, sizeof(*kc))) == NULL)
		return NULL;
	if ((kc->slots = calloc(nslots, sizeof(*kc->slots))) == NULL) {
		free(kc);
		return NULL;
	}
	kc->nslots = nslots;
	pthread_mutex_init(&kc->mu, NULL);
	return kc;
}

static void
slot_clear(struct slot *s)
{
	free(s->id);
	free(s->jwk);
	EVP_PKEY_free(s->key);
	memset(s, 0, sizeof(*s));
}

void
keycache_free(struct keycache *kc)
{
	if (kc == NULL)
		return;
	for (size_t i = 0; i < kc->nslots; i++)
		slot_clear(&kc->slots[i]);
	pthread_mutex_destroy(&kc->mu);
	free(kc->slots);
	free(kc);
}

size_t
keycache_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

EVP_PKEY *
keycache_get(struct keycache *kc, const char *id, const char *jwk)
{
	struct acme_problem	 prob;
	struct slot		*s, fresh = { NULL, NULL, NULL };
	EVP_PKEY		*key = NULL;

	if (kc != NULL) {
		s = &kc->slots[keycache_hash(id) % kc->nslots];
		pthread_mutex_lock(&kc->mu);
		if (s->key != NULL && strcmp(s->id, id) == 0 &&
		    strcmp(s->jwk, jwk) == 0 && EVP_PKEY_up_ref(s->key) == 1)
			key = s->key;
		pthread_mutex_unlock(&kc->mu);
		if (key != NULL)
			return key;
	}
	/* Miss: import outside the lock (the expensive part). */
	if ((key = acme_jwk_import_str(jwk, strlen(jwk), &prob)) == NULL)
		return NULL;
	/* Before any other thread sees it; a failure only costs speed. */
	(void)acme_jws_prepare_key(key);
	if (kc == NULL)
		return key;
	if ((fresh.id = strdup(id)) == NULL ||
	    (fresh.jwk = strdup(jwk)) == NULL ||
	    EVP_PKEY_up_ref(key) != 1) {
		free(fresh.id);
		free(fresh.jwk);
		return key;	/* uncached, still correct */
	}
	fresh.key = key;
	s = &kc->slots[keycache_hash(id) % kc->nslots];
	pthread_mutex_lock(&kc->mu);
	slot_clear(s);
	*s = fresh;
	pthread_mutex_unlock(&kc->mu);
	return key;
}
