/* store_renewal.c - renewal information (RFC 9773): suggested windows and whether an order replaced a certificate */
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
store_renewal_info_set(struct store *st, const char *serial, time_t start,
    time_t end, const char *explanation_url)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	if ((rc = store_exists(st, STMT_CERT_EXISTS,
	    "SELECT 1 FROM certificates WHERE serial = ?1", serial,
	    "renewal_info_set")) != STORE_OK)
		return rc;
	if ((q = store_prepare(st, "INSERT OR REPLACE INTO renewal_info (serial, "
	    "window_start, window_end, explanation_url) VALUES "
	    "(?1, ?2, ?3, ?4)", "renewal_info_set")) == NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, serial) != 0 ||
	    sqlite3_bind_int64(q, 2, (sqlite3_int64)start) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 3, (sqlite3_int64)end) != SQLITE_OK ||
	    store_bind_text(q, 4, explanation_url != NULL ?
	    explanation_url : "") != 0) {
		rc = store_fail(st, "renewal_info_set");
		goto out;
	}
	rc = store_step_done(st, q, "renewal_info_set");
out:
	sqlite3_finalize(q);
	return rc;
}

enum store_status
store_renewal_info_get(struct store *st, const char *serial, time_t *start,
    time_t *end, char *url, size_t urlsz)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	if (urlsz > 0)
		url[0] = '\0';
	if ((q = store_prepare(st, "SELECT window_start, window_end, explanation_url "
	    "FROM renewal_info WHERE serial = ?1", "renewal_info_get")) ==
	    NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, serial) != 0) {
		rc = store_fail(st, "renewal_info_get");
		goto out;
	}
	if ((rc = store_step_row(st, q, "renewal_info_get")) != STORE_OK)
		goto out;
	*start = (time_t)sqlite3_column_int64(q, 0);
	*end = (time_t)sqlite3_column_int64(q, 1);
	if (store_col_copy(q, 2, url, urlsz) != 0)
		rc = store_fail_msg(st, "renewal_info_get", "URL too long");
out:
	sqlite3_finalize(q);
	return rc;
}

enum store_status
store_order_replaced(struct store *st, const char *certid,
    const char *except_order_id, bool *replaced)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	*replaced = false;
	if ((q = store_prepare(st, "SELECT 1 FROM orders WHERE replaces = ?1 AND "
	    "status = 'valid' AND id <> ?2 LIMIT 1", "order_replaced")) ==
	    NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, certid) != 0 ||
	    store_bind_text(q, 2, except_order_id != NULL ?
	    except_order_id : "") != 0) {
		rc = store_fail(st, "order_replaced");
		goto out;
	}
	rc = store_step_row(st, q, "order_replaced");
	if (rc == STORE_OK)
		*replaced = true;
	if (rc == STORE_NOTFOUND)
		rc = STORE_OK;
out:
	sqlite3_finalize(q);
	return rc;
}
