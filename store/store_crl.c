/* store_crl.c - what the CRL is built from: the revoked certificates, their change stamp and the CRL number counter */
/* SPDX-License-Identifier: MIT */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_internal.h"

enum store_status
store_cert_list_revoked(struct store *st,
    int (*cb)(const struct acme_cert *cert, void *arg), void *arg)
{
	sqlite3_stmt		*q;
	struct acme_cert	 c;
	enum store_status	 rc = STORE_OK;
	int			 s;

	memset(&c, 0, sizeof(c));
	if ((q = store_prepare(st, "SELECT serial, revocation_reason, revoked_at, "
	    "not_before, not_after, pem, chain_pem FROM certificates "
	    "WHERE status = 'revoked' ORDER BY serial", "cert_list_revoked"))
	    == NULL)
		return STORE_ERR;
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		acme_cert_clear(&c);
		c.status = ACME_CERT_REVOKED;
		if (store_col_copy(q, 0, c.serial, sizeof(c.serial)) != 0) {
			rc = store_fail_msg(st, "cert_list_revoked",
			    "malformed row");
			break;
		}
		c.revocation_reason = sqlite3_column_int(q, 1);
		c.revoked_at = (time_t)sqlite3_column_int64(q, 2);
		c.not_before = (time_t)sqlite3_column_int64(q, 3);
		c.not_after = (time_t)sqlite3_column_int64(q, 4);
		if ((c.pem = store_col_dup(q, 5)) == NULL ||
		    (c.chain_pem = store_col_dup(q, 6)) == NULL) {
			rc = store_fail_msg(st, "cert_list_revoked",
			    "out of memory");
			break;
		}
		if (cb(&c, arg) != 0)
			break;
	}
	if (rc == STORE_OK && s != SQLITE_ROW && s != SQLITE_DONE)
		rc = store_fail(st, "cert_list_revoked");
	acme_cert_clear(&c);
	sqlite3_finalize(q);
	return rc;
}

enum store_status
store_revocation_stamp(struct store *st, size_t *count, time_t *latest)
{
	sqlite3_stmt		*q;
	enum store_status	 rc;

	*count = 0;
	*latest = 0;
	if ((q = store_prepare(st, "SELECT count(*), coalesce(max(revoked_at), 0) "
	    "FROM certificates WHERE status = 'revoked'",
	    "revocation_stamp")) == NULL)
		return STORE_ERR;
	if ((rc = store_step_row(st, q, "revocation_stamp")) == STORE_OK) {
		*count = (size_t)sqlite3_column_int64(q, 0);
		*latest = (time_t)sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	return rc;
}

enum store_status
store_counter_next(struct store *st, const char *key, uint64_t *out)
{
	char			*v = NULL, *end, buf[32];
	unsigned long long	 n = 0;
	enum store_status	 rc;

	*out = 0;
	if ((rc = store_txn_begin(st)) != STORE_OK)
		return rc;
	rc = store_meta_get(st, key, &v);
	if (rc == STORE_OK) {
		n = strtoull(v, &end, 10);
		if (*v == '\0' || *end != '\0')
			rc = store_fail_msg(st, "counter_next",
			    "malformed counter");
	} else if (rc == STORE_NOTFOUND)
		rc = STORE_OK;
	free(v);
	if (rc == STORE_OK) {
		n++;
		snprintf(buf, sizeof(buf), "%llu", n);
		rc = store_meta_set(st, key, buf);
	}
	if ((rc = store_txn_end(st, rc)) == STORE_OK)
		*out = (uint64_t)n;
	return rc;
}
