/* nonce.c - Replay-Nonce issue and single-use redemption (RFC 8555 §6.5) */
/* SPDX-License-Identifier: MIT */

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "acme/b64url.h"
#include "log.h"
#include "nonce.h"

#define BLOCK		16
#define MAX_CAPACITY	((size_t)1 << 24)

/* nonce_new's calloc stands for atomic_init(0): a plain 64-bit word. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 &&
    sizeof(_Atomic uint64_t) == sizeof(uint64_t),
    "the nonce table needs lock-free 64-bit atomics");

struct nonce_table {
	EVP_CIPHER_CTX		*enc;	/* AES-256-ECB, no padding */
	EVP_CIPHER_CTX		*dec;
	pthread_mutex_t		 enclk;	/* one AES block under each */
	pthread_mutex_t		 declk;
	unsigned char		 tag[8];	/* secret second half of each block */
	_Atomic uint64_t	 next;	/* next counter to issue */
	size_t			 cap;
	_Atomic uint64_t	*slot;	/* last counter + 1 redeemed per slot */
};

static void
put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static EVP_CIPHER_CTX *
cipher_ctx(const EVP_CIPHER *c, const unsigned char *key, int enc)
{
	EVP_CIPHER_CTX *ctx;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return NULL;
	if (EVP_CipherInit_ex2(ctx, c, key, NULL, enc, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

struct nonce_table *
nonce_new(size_t capacity)
{
	struct nonce_table *t = NULL, *rv = NULL;
	EVP_CIPHER *aes = NULL;
	unsigned char key[32];

	if (capacity == 0 || capacity > MAX_CAPACITY) {
		log_err("nonce: capacity %zu out of range", capacity);
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		log_err("nonce: out of memory");
		return NULL;
	}
	pthread_mutex_init(&t->enclk, NULL);
	pthread_mutex_init(&t->declk, NULL);
	t->cap = capacity;
	atomic_init(&t->next, 0);
	/*
	 * calloc, not a loop of atomic_init: the table (512 KiB by default)
	 * is mostly pages the kernel has not made resident yet, and they
	 * stay so until a nonce lands in them (idle memory, issue #17). A
	 * lock-free 64-bit atomic is its integer's bytes, so zero bytes are
	 * the value 0.
	 */
	if ((t->slot = calloc(capacity, sizeof(*t->slot))) == NULL) {
		log_err("nonce: out of memory");
		goto out;
	}
	if (RAND_priv_bytes(key, sizeof(key)) != 1 ||
	    RAND_bytes(t->tag, sizeof(t->tag)) != 1) {
		log_openssl(LOG_LVL_ERROR, "nonce: RNG");
		goto out;
	}
	if ((aes = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL)) == NULL ||
	    (t->enc = cipher_ctx(aes, key, 1)) == NULL ||
	    (t->dec = cipher_ctx(aes, key, 0)) == NULL) {
		log_openssl(LOG_LVL_ERROR, "nonce: AES-256-ECB");
		goto out;
	}
	rv = t;
	t = NULL;
out:
	OPENSSL_cleanse(key, sizeof(key));
	EVP_CIPHER_free(aes);
	nonce_free(t);
	return rv;
}

void
nonce_free(struct nonce_table *t)
{
	if (t == NULL)
		return;
	EVP_CIPHER_CTX_free(t->enc);	/* wipes the key schedule */
	EVP_CIPHER_CTX_free(t->dec);
	OPENSSL_cleanse(t->tag, sizeof(t->tag));
	pthread_mutex_destroy(&t->enclk);
	pthread_mutex_destroy(&t->declk);
	free(t->slot);
	free(t);
}

int
nonce_issue(struct nonce_table *t, char out[NONCE_SIZE])
{
	unsigned char in[BLOCK], ct[BLOCK];
	uint64_t ctr;
	int len = 0, ok;

	ctr = atomic_fetch_add(&t->next, 1);
	put64(in, ctr);
	memcpy(in + 8, t->tag, sizeof(t->tag));
	pthread_mutex_lock(&t->enclk);
	ok = EVP_EncryptUpdate(t->enc, ct, &len, in, BLOCK);
	pthread_mutex_unlock(&t->enclk);
	OPENSSL_cleanse(in, sizeof(in));
	if (ok != 1 || len != BLOCK) {
		log_openssl(LOG_LVL_ERROR, "nonce: encrypt");
		out[0] = '\0';
		return -1;
	}
	acme_b64url_encode_buf(ct, BLOCK, out);
	return 0;
}

bool
nonce_redeem(struct nonce_table *t, const char *nonce)
{
	unsigned char *ct = NULL, pt[BLOCK];
	_Atomic uint64_t *s;
	uint64_t ctr, next, seen;
	size_t ctlen = 0;
	int len = 0, ok;
	bool rv = false;

	if (nonce == NULL || strlen(nonce) != NONCE_LEN)
		return false;
	/* Strict decode: one encoding per nonce, so no aliases to replay. */
	if ((ct = acme_b64url_decode(nonce, NONCE_LEN, &ctlen)) == NULL ||
	    ctlen != BLOCK)
		goto out;
	pthread_mutex_lock(&t->declk);
	ok = EVP_DecryptUpdate(t->dec, pt, &len, ct, BLOCK);
	pthread_mutex_unlock(&t->declk);
	if (ok != 1 || len != BLOCK) {
		log_openssl(LOG_LVL_ERROR, "nonce: decrypt");
		goto out;
	}
	/* A block we did not encrypt fails here: RFC 8555 §6.5 (N03). */
	if (CRYPTO_memcmp(pt + 8, t->tag, sizeof(t->tag)) != 0)
		goto out;
	ctr = get64(pt);
	next = atomic_load(&t->next);
	if (ctr >= next || next - ctr > t->cap)
		goto out;	/* evicted: older than the window (N12) */
	s = &t->slot[ctr % t->cap];
	seen = atomic_load(s);
	for (;;) {
		/* Same counter: replay (N02). Larger: slot reused, evicted. */
		if (seen >= ctr + 1)
			goto out;
		if (atomic_compare_exchange_weak(s, &seen, ctr + 1))
			break;
	}
	rv = true;
out:
	OPENSSL_cleanse(pt, sizeof(pt));
	free(ct);
	return rv;
}

bool
nonce_is_wellformed(const char *nonce)
{
	const char *p;

	if (nonce == NULL || *nonce == '\0')
		return false;
	/* RFC 8555 §6.5.1: base64url = ALPHA / DIGIT / "-" / "_" */
	for (p = nonce; *p != '\0'; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	}
	return true;
}
