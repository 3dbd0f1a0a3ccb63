/* crl.c - the intermediate's CRL: entries and CRL numbers through the RA, periodic and on-revoke refresh */
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
#include "ca.h"
#include "crl.h"
#include "log.h"
#include "ra.h"

#define DEFAULT_PERIOD_S	86400

struct crl {
	struct crl_opts			 opts;
	char				*out_path;
	struct ra			*ra;
	struct ca			*ca;
	pthread_mutex_t			 mu;	/* never held while calling the RA */
	unsigned char			*der;	/* current CRL, under mu */
	size_t				 derlen;
	uint64_t			 number;	/* its CRL number */
	time_t				 this_update;
	struct ra_revocation_stamp	 stamp;	/* revocation set it was built from */
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

struct crl *
crl_new(const struct crl_opts *opts, struct ra *ra, struct ca *ca, char *err,
    size_t errsz)
{
	struct crl	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	c->opts = *opts;
	if (c->opts.period_s == 0)
		c->opts.period_s = DEFAULT_PERIOD_S;
	c->ra = ra;
	c->ca = ca;
	pthread_mutex_init(&c->mu, NULL);
	if (opts->out_path != NULL &&
	    (c->out_path = strdup(opts->out_path)) == NULL) {
		snprintf(err, errsz, "out of memory");
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
	free(c->der);
	free(c->out_path);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/*
 * The RA's lock is taken (ra_crl_snapshot) and let go before c->mu, never
 * inside it: a revocation may run this with the RA's lock held.
 */
int
crl_refresh(struct crl *c, time_t now)
{
	struct ra_crl_snapshot	 snap;
	struct crl_entry	*e = NULL;
	X509_CRL		*crl = NULL;
	unsigned char		*der = NULL, *p;
	const char		*issuer, *signer = NULL;
	char			 err[512];
	bool			 newer;
	int			 len, rc = -1;

	memset(&snap, 0, sizeof(snap));
	issuer = ca_chain_pem(c->ca);
	if (ra_crl_snapshot(c->ra, issuer, now, &snap, err, sizeof(err)) !=
	    RA_OK) {
		log_err("crl: %s", err);
		goto out;
	}
	if (snap.n > 0 && (e = calloc(snap.n, sizeof(*e))) == NULL) {
		log_err("crl: out of memory");
		goto out;
	}
	for (size_t i = 0; i < snap.n; i++) {
		snprintf(e[i].serial, sizeof(e[i].serial), "%s",
		    snap.entries[i].serial);
		e[i].revoked_at = snap.entries[i].revoked_at;
		e[i].reason = snap.entries[i].reason;
	}
	if ((crl = crl_build(c->ca, e, snap.n, snap.number, now,
	    now + (time_t)c->opts.period_s, &signer)) == NULL)
		goto out;
	if (signer != issuer) {
		/* The intermediate rotated meanwhile: the next refresh fixes it. */
		log_warn("crl: intermediate changed while building the CRL");
	}
	if ((len = i2d_X509_CRL(crl, NULL)) <= 0 ||
	    (der = malloc((size_t)len)) == NULL)
		goto out;
	p = der;
	if (i2d_X509_CRL(crl, &p) != len)
		goto out;
	pthread_mutex_lock(&c->mu);
	/* A refresh that began later may have published first: keep its CRL. */
	if ((newer = c->der == NULL || snap.number > c->number)) {
		if (c->out_path != NULL && write_file(c->out_path, der,
		    (size_t)len) == -1)
			log_warn("crl: cannot write %s", c->out_path);
		free(c->der);
		c->der = der;
		c->derlen = (size_t)len;
		der = NULL;
		c->number = snap.number;
		c->this_update = now;
		c->stamp = snap.stamp;
	}
	pthread_mutex_unlock(&c->mu);
	if (newer)
		log_info("crl: number %llu with %zu revoked certificate(s), "
		    "next update in %u s", (unsigned long long)snap.number,
		    snap.n, c->opts.period_s);
	rc = 0;
out:
	ra_crl_snapshot_clear(&snap);
	free(e);
	free(der);
	X509_CRL_free(crl);
	return rc;
}

int
crl_maybe_refresh(struct crl *c, time_t now, bool *refreshed)
{
	struct ra_revocation_stamp	 st;
	char				 err[512];
	int				 rc = 0;
	bool				 due;

	if (refreshed != NULL)
		*refreshed = false;
	if (ra_revocation_stamp(c->ra, &st, err, sizeof(err)) != RA_OK) {
		log_warn("crl: %s", err);
		return -1;
	}
	pthread_mutex_lock(&c->mu);
	due = c->der == NULL || st.count != c->stamp.count ||
	    st.latest != c->stamp.latest ||
	    now - c->this_update >= (time_t)c->opts.period_s / 2;
	pthread_mutex_unlock(&c->mu);
	if (due) {
		rc = crl_refresh(c, now);
		if (rc == 0 && refreshed != NULL)
			*refreshed = true;
	}
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
