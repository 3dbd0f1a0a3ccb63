/* crl.c - the intermediate's CRL: entries from the store, CRL numbers, periodic and on-revoke refresh */
/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "ca.h"
#include "crl.h"
#include "log.h"

#define DEFAULT_PERIOD_S	86400
#define CRL_NUMBER_KEY		"crl_number"

struct crl {
	struct crl_opts	 opts;
	char		*db_path;
	char		*out_path;
	struct ca	*ca;
	struct store	*st;		/* under mu */
	pthread_mutex_t	 mu;
	unsigned char	*der;		/* current CRL, under mu */
	size_t		 derlen;
	time_t		 this_update;
	size_t		 stamp_count;	/* revocation set it was built from */
	time_t		 stamp_latest;
};

static ASN1_INTEGER *
serial_of(const char *hex)
{
	BIGNUM		*bn = NULL;
	ASN1_INTEGER	*ai = NULL;

	if (BN_hex2bn(&bn, hex) == 0 || (ai = BN_to_ASN1_INTEGER(bn,
	    NULL)) == NULL) {
		BN_free(bn);
		return NULL;
	}
	BN_free(bn);
	return ai;
}

static int
add_entry(X509_CRL *crl, const struct crl_entry *e)
{
	X509_REVOKED	*r = NULL;
	ASN1_INTEGER	*sn = NULL;
	ASN1_TIME	*t = NULL;
	ASN1_ENUMERATED	*reason = NULL;
	int		 rc = -1;

	if ((r = X509_REVOKED_new()) == NULL ||
	    (sn = serial_of(e->serial)) == NULL ||
	    X509_REVOKED_set_serialNumber(r, sn) != 1 ||
	    (t = ASN1_TIME_set(NULL, e->revoked_at)) == NULL ||
	    X509_REVOKED_set_revocationDate(r, t) != 1)
		goto out;
	/* RFC 5280 §5.3.1: unspecified (0) SHOULD be absent. */
	if (e->reason != 0 && ((reason = ASN1_ENUMERATED_new()) == NULL ||
	    ASN1_ENUMERATED_set(reason, e->reason) != 1 ||
	    X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0, 0) != 1))
		goto out;
	if (X509_CRL_add0_revoked(crl, r) != 1)
		goto out;
	r = NULL;
	rc = 0;
out:
	X509_REVOKED_free(r);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(t);
	ASN1_ENUMERATED_free(reason);
	return rc;
}

X509_CRL *
crl_build(struct ca *ca, const struct crl_entry *entries, size_t n,
    uint64_t number, time_t this_update, time_t next_update,
    const char **issuer_pem)
{
	X509_CRL	*crl = NULL;
	ASN1_TIME	*t1 = NULL, *t2 = NULL;
	ASN1_INTEGER	*num = NULL;
	int		 ok = 0;

	if (next_update <= this_update) {
		log_err("crl: nextUpdate must follow thisUpdate");
		return NULL;
	}
	if ((crl = X509_CRL_new()) == NULL ||
	    (t1 = ASN1_TIME_set(NULL, this_update)) == NULL ||
	    (t2 = ASN1_TIME_set(NULL, next_update)) == NULL ||
	    X509_CRL_set1_lastUpdate(crl, t1) != 1 ||
	    X509_CRL_set1_nextUpdate(crl, t2) != 1)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (add_entry(crl, &entries[i]) == -1)
			goto out;
	/* §5.2.3: a monotonically increasing, non-critical CRL number. */
	if ((num = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set_uint64(num, number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
		goto out;
	if (ca_sign_crl(ca, crl, issuer_pem) == -1)
		goto out;
	ok = 1;
out:
	if (!ok) {
		log_openssl(LOG_LVL_ERROR, "crl_build");
		X509_CRL_free(crl);
		crl = NULL;
	}
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	ASN1_INTEGER_free(num);
	return crl;
}

struct collect {
	struct crl_entry	*e;
	size_t			 n, cap;
	const char		*issuer_pem;
	time_t			 now;
	bool			 oom;
};

static int
collect_cb(const struct acme_cert *c, void *arg)
{
	struct collect		*cl = arg;
	struct crl_entry	*ne;

	/* Only what this intermediate issued, and not yet expired. */
	if (c->chain_pem == NULL || strcmp(c->chain_pem, cl->issuer_pem) != 0 ||
	    c->not_after < cl->now)
		return 0;
	if (cl->n == cl->cap) {
		size_t cap = cl->cap == 0 ? 64 : cl->cap * 2;

		if ((ne = realloc(cl->e, cap * sizeof(*ne))) == NULL) {
			cl->oom = true;
			return 1;
		}
		cl->e = ne;
		cl->cap = cap;
	}
	memset(&cl->e[cl->n], 0, sizeof(cl->e[cl->n]));
	snprintf(cl->e[cl->n].serial, sizeof(cl->e[cl->n].serial), "%s",
	    c->serial);
	cl->e[cl->n].revoked_at = c->revoked_at;
	cl->e[cl->n].reason = c->revocation_reason;
	cl->n++;
	return 0;
}

static int
write_file(const char *path, const unsigned char *der, size_t len)
{
	char	 tmp[4096];
	int	 fd, rc = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return -1;
	if (write(fd, der, len) == (ssize_t)len && fsync(fd) == 0)
		rc = 0;
	if (close(fd) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc == -1)
		(void)unlink(tmp);
	return rc;
}

/* Under c->mu. */
static int
refresh_locked(struct crl *c, time_t now)
{
	struct collect	 cl;
	X509_CRL	*crl = NULL;
	unsigned char	*der = NULL, *p;
	const char	*signer = NULL;
	uint64_t	 number;
	size_t		 count;
	time_t		 latest;
	int		 len, rc = -1;

	memset(&cl, 0, sizeof(cl));
	cl.issuer_pem = ca_chain_pem(c->ca);
	cl.now = now;
	if (store_revocation_stamp(c->st, &count, &latest) != STORE_OK ||
	    store_cert_list_revoked(c->st, collect_cb, &cl) != STORE_OK) {
		log_err("crl: reading revocations: %s", store_errmsg(c->st));
		goto out;
	}
	if (cl.oom) {
		log_err("crl: out of memory");
		goto out;
	}
	if (store_counter_next(c->st, CRL_NUMBER_KEY, &number) != STORE_OK) {
		log_err("crl: CRL number: %s", store_errmsg(c->st));
		goto out;
	}
	if ((crl = crl_build(c->ca, cl.e, cl.n, number, now,
	    now + (time_t)c->opts.period_s, &signer)) == NULL)
		goto out;
	if (signer != cl.issuer_pem) {
		/* The intermediate rotated meanwhile: the next refresh fixes it. */
		log_warn("crl: intermediate changed while building the CRL");
	}
	if ((len = i2d_X509_CRL(crl, NULL)) <= 0 ||
	    (der = malloc((size_t)len)) == NULL)
		goto out;
	p = der;
	if (i2d_X509_CRL(crl, &p) != len)
		goto out;
	if (c->out_path != NULL && write_file(c->out_path, der,
	    (size_t)len) == -1)
		log_warn("crl: cannot write %s", c->out_path);
	free(c->der);
	c->der = der;
	c->derlen = (size_t)len;
	der = NULL;
	c->this_update = now;
	c->stamp_count = count;
	c->stamp_latest = latest;
	log_info("crl: number %llu with %zu revoked certificate(s), next "
	    "update in %u s", (unsigned long long)number, cl.n,
	    c->opts.period_s);
	rc = 0;
out:
	free(cl.e);
	free(der);
	X509_CRL_free(crl);
	return rc;
}

struct crl *
crl_new(const struct crl_opts *opts, struct ca *ca, char *err, size_t errsz)
{
	struct crl	*c;
	char		 serr[256];

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	c->opts = *opts;
	if (c->opts.period_s == 0)
		c->opts.period_s = DEFAULT_PERIOD_S;
	c->ca = ca;
	pthread_mutex_init(&c->mu, NULL);
	if ((c->db_path = strdup(opts->db_path)) == NULL ||
	    (opts->out_path != NULL &&
	    (c->out_path = strdup(opts->out_path)) == NULL)) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	if ((c->st = store_open(c->db_path, serr, sizeof(serr))) == NULL) {
		snprintf(err, errsz, "crl: %s: %s", c->db_path, serr);
		goto fail;
	}
	if (crl_refresh(c, time(NULL)) == -1) {
		snprintf(err, errsz, "crl: cannot build the first CRL");
		goto fail;
	}
	return c;
fail:
	crl_free(c);
	return NULL;
}

void
crl_free(struct crl *c)
{
	if (c == NULL)
		return;
	store_close(c->st);
	free(c->der);
	free(c->db_path);
	free(c->out_path);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

int
crl_refresh(struct crl *c, time_t now)
{
	int rc;

	pthread_mutex_lock(&c->mu);
	rc = refresh_locked(c, now);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int
crl_maybe_refresh(struct crl *c, time_t now, bool *refreshed)
{
	size_t	 count;
	time_t	 latest;
	int	 rc = 0;
	bool	 due;

	if (refreshed != NULL)
		*refreshed = false;
	pthread_mutex_lock(&c->mu);
	if (store_revocation_stamp(c->st, &count, &latest) != STORE_OK) {
		log_warn("crl: %s", store_errmsg(c->st));
		rc = -1;
		goto out;
	}
	due = c->der == NULL || count != c->stamp_count ||
	    latest != c->stamp_latest ||
	    now - c->this_update >= (time_t)c->opts.period_s / 2;
	if (due) {
		rc = refresh_locked(c, now);
		if (rc == 0 && refreshed != NULL)
			*refreshed = true;
	}
out:
	pthread_mutex_unlock(&c->mu);
	return rc;
}

void
crl_on_revoke(void *arg)
{
	(void)crl_refresh(arg, time(NULL));
}

unsigned char *
crl_current_der(struct crl *c, size_t *len)
{
	unsigned char *d = NULL;

	*len = 0;
	pthread_mutex_lock(&c->mu);
	if (c->der != NULL && (d = malloc(c->derlen)) != NULL) {
		memcpy(d, c->der, c->derlen);
		*len = c->derlen;
	}
	pthread_mutex_unlock(&c->mu);
	return d;
}

unsigned char *
crl_fetch(void *arg, size_t *len)
{
	return crl_current_der(arg, len);
}
