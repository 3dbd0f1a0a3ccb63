/* store_cert.c - serial reservations (the issuance intent) and certificate rows */
/* SPDX-License-Identifier: MIT */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_internal.h"

#define CERT_COLS_HEAD \
	"serial, account_id, order_id, status, names, "
#define CERT_COLS_TAIL \
	", key_thumbprint, source, not_before, not_after, issued, " \
	"revocation_reason, revoked_at"

enum store_status
store_serial_lookup(struct store *st, const char *serial,
    char order_id[ACME_ID_SIZE], char state[16])
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	if ((q = store_prep(st, STMT_SERIAL_GET,
	    "SELECT order_id, state FROM serials WHERE serial = ?1")) == NULL)
		goto out;
	if (store_bind_text(q, 1, serial) != 0) {
		rc = store_fail(st, "serial_lookup");
		goto out;
	}
	if ((rc = store_step_row(st, q, "serial_lookup")) != STORE_OK)
		goto out;
	if (store_col_copy(q, 0, order_id, ACME_ID_SIZE) != 0 ||
	    store_col_copy(q, 1, state, 16) != 0)
		rc = store_fail_msg(st, "serial_lookup", "malformed row");
out:
	store_reset(q);
	return rc;
}

enum store_status
store_serial_issue(struct store *st, const char *serial)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	if ((q = store_prep(st, STMT_SERIAL_ISSUE,
	    "UPDATE serials SET state = 'issued' "
	    "WHERE serial = ?1 AND state = 'reserved'")) == NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, serial) != 0) {
		rc = store_fail(st, "serial_issue");
		goto out;
	}
	if ((rc = store_step_done(st, q, "serial_issue")) != STORE_OK)
		goto out;
	if (sqlite3_changes(st->db) != 1)
		rc = STORE_CONFLICT;
out:
	store_reset(q);
	return rc;
}

enum store_status
store_cert_row_insert(struct store *st, const struct acme_cert *c,
    const char *account_id, const char *order_id, const char *default_source)
{
	sqlite3_stmt		*q = NULL;
	enum store_status	 rc = STORE_ERR;
	time_t			 issued = c->issued != 0 ? c->issued : time(NULL);
	bool			 revoked = c->status == ACME_CERT_REVOKED;

	if (c->names == NULL || c->pem == NULL) {
		rc = store_fail_msg(st, "cert_insert", "no names or PEM");
		goto out;
	}
	if ((q = store_prep(st, STMT_CERT_INSERT,
	    "INSERT INTO certificates (" CERT_COLS_HEAD "pem, chain_pem"
	    CERT_COLS_TAIL ") VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"))
	    == NULL)
		goto out;
	if (store_bind_text(q, 1, c->serial) != 0 ||
	    store_bind_text_or_null(q, 2, account_id) != 0 ||
	    store_bind_text_or_null(q, 3, order_id) != 0 ||
	    store_bind_text(q, 4, acme_cert_status_str(c->status)) != 0 ||
	    store_bind_text(q, 5, c->names) != 0 ||
	    store_bind_text(q, 6, c->pem) != 0 ||
	    store_bind_text(q, 7, c->chain_pem != NULL ? c->chain_pem : "") !=
	    0 ||
	    store_bind_text(q, 8, c->key_thumbprint) != 0 ||
	    store_bind_text(q, 9, c->source[0] != '\0' ? c->source :
	    default_source) != 0 ||
	    sqlite3_bind_int64(q, 10, (sqlite3_int64)c->not_before) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(q, 11, (sqlite3_int64)c->not_after) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(q, 12, (sqlite3_int64)issued) != SQLITE_OK ||
	    (revoked ? sqlite3_bind_int(q, 13, c->revocation_reason) :
	    sqlite3_bind_null(q, 13)) != SQLITE_OK ||
	    (revoked ? sqlite3_bind_int64(q, 14,
	    (sqlite3_int64)c->revoked_at) : sqlite3_bind_null(q, 14)) !=
	    SQLITE_OK) {
		rc = store_fail(st, "cert_insert");
		goto out;
	}
	rc = store_step_done(st, q, "cert_insert");
out:
	store_reset(q);
	return rc;
}

enum store_status
store_serial_reserve(struct store *st, const char *serial,
    const char *order_id)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	if (serial == NULL || serial[0] == '\0')
		return store_fail_msg(st, "serial_reserve", "empty serial");
	if ((q = store_prep(st, STMT_SERIAL_INSERT,
	    "INSERT INTO serials (serial, order_id, reserved_at, state) "
	    "VALUES (?1, ?2, ?3, 'reserved')")) == NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, serial) != 0 ||
	    store_bind_text_or_null(q, 2, order_id) != 0 ||
	    sqlite3_bind_int64(q, 3, (sqlite3_int64)time(NULL)) != SQLITE_OK) {
		rc = store_fail(st, "serial_reserve");
		goto out;
	}
	/* HARDENING I3: the PRIMARY KEY refuses a serial ever used. */
	rc = store_step_done(st, q, "serial_reserve");
out:
	store_reset(q);
	return rc;
}

enum store_status
store_serial_fail(struct store *st, const char *serial)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;
	char			 order_id[ACME_ID_SIZE], state[16];
	int			 changed;

	if ((q = store_prep(st, STMT_SERIAL_FAIL,
	    "UPDATE serials SET state = 'failed' "
	    "WHERE serial = ?1 AND state = 'reserved'")) == NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, serial) != 0) {
		rc = store_fail(st, "serial_fail");
		goto out;
	}
	rc = store_step_done(st, q, "serial_fail");
	changed = sqlite3_changes(st->db);
	store_reset(q);
	if (rc == STORE_OK && changed == 0) {
		rc = store_serial_lookup(st, serial, order_id, state);
		if (rc == STORE_OK)
			rc = STORE_CONFLICT;
	}
out:
	store_reset(q);
	return rc;
}

enum store_status
store_cert_insert(struct store *st, const struct acme_cert *cert)
{
	enum store_status	 rc;
	char			 order_id[ACME_ID_SIZE], state[16];

	if ((rc = store_txn_begin(st)) != STORE_OK)
		return rc;
	if ((rc = store_serial_lookup(st, cert->serial, order_id, state)) !=
	    STORE_OK)
		goto out;
	if (strcmp(state, "reserved") != 0 ||
	    (order_id[0] != '\0' && strcmp(order_id, cert->order_id) != 0)) {
		rc = STORE_CONFLICT;
		goto out;
	}
	if ((rc = store_cert_row_insert(st, cert, cert->account_id,
	    cert->order_id, "cli")) != STORE_OK)
		goto out;
	rc = store_serial_issue(st, cert->serial);
out:
	return store_txn_end(st, rc);
}

/* Fill *out from a certificate row; pem columns may be NULL (not loaded). */
static enum store_status
read_cert(struct store *st, sqlite3_stmt *q, struct acme_cert *out)
{
	if (store_col_copy(q, 0, out->serial, sizeof(out->serial)) != 0 ||
	    store_col_copy(q, 1, out->account_id, sizeof(out->account_id)) != 0 ||
	    store_col_copy(q, 2, out->order_id, sizeof(out->order_id)) != 0 ||
	    acme_cert_status_parse((const char *)sqlite3_column_text(q, 3),
	    &out->status) != 0 ||
	    store_col_copy(q, 7, out->key_thumbprint,
	    sizeof(out->key_thumbprint)) != 0 ||
	    store_col_copy(q, 8, out->source, sizeof(out->source)) != 0)
		return store_fail_msg(st, "cert", "malformed row");
	out->not_before = (time_t)sqlite3_column_int64(q, 9);
	out->not_after = (time_t)sqlite3_column_int64(q, 10);
	out->issued = (time_t)sqlite3_column_int64(q, 11);
	out->revocation_reason = sqlite3_column_int(q, 12);
	out->revoked_at = (time_t)sqlite3_column_int64(q, 13);
	if ((out->names = store_col_dup(q, 4)) == NULL)
		return store_fail_msg(st, "cert", "out of memory");
	if (sqlite3_column_type(q, 5) != SQLITE_NULL &&
	    ((out->pem = store_col_dup(q, 5)) == NULL ||
	    (out->chain_pem = store_col_dup(q, 6)) == NULL))
		return store_fail_msg(st, "cert", "out of memory");
	return STORE_OK;
}

enum store_status
store_cert_get(struct store *st, const char *serial, struct acme_cert *out)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	acme_cert_clear(out);
	if ((q = store_prep(st, STMT_CERT_GET,
	    "SELECT " CERT_COLS_HEAD "pem, chain_pem" CERT_COLS_TAIL
	    " FROM certificates WHERE serial = ?1")) == NULL)
		goto out;
	if (store_bind_text(q, 1, serial) != 0) {
		rc = store_fail(st, "cert_get");
		goto out;
	}
	if ((rc = store_step_row(st, q, "cert_get")) != STORE_OK)
		goto out;
	rc = read_cert(st, q, out);
out:
	store_reset(q);
	if (rc != STORE_OK)
		acme_cert_clear(out);
	return rc;
}

enum store_status
store_cert_list(struct store *st, bool with_pem,
    int (*cb)(const struct acme_cert *cert, void *arg), void *arg)
{
	sqlite3_stmt		*q;
	struct acme_cert	 c;
	enum store_status	 rc = STORE_ERR;
	int			 stop = 0;

	memset(&c, 0, sizeof(c));
	if (with_pem)
		q = store_prep(st, STMT_CERT_LIST_PEM,
		    "SELECT " CERT_COLS_HEAD "pem, chain_pem" CERT_COLS_TAIL
		    " FROM certificates ORDER BY issued DESC, serial DESC");
	else
		q = store_prep(st, STMT_CERT_LIST,
		    "SELECT " CERT_COLS_HEAD "NULL, NULL" CERT_COLS_TAIL
		    " FROM certificates ORDER BY issued DESC, serial DESC");
	if (q == NULL)
		goto out;
	while (stop == 0 &&
	    (rc = store_step_row(st, q, "cert_list")) == STORE_OK) {
		if ((rc = read_cert(st, q, &c)) != STORE_OK)
			goto out;
		stop = cb(&c, arg);
		acme_cert_clear(&c);
	}
	if (rc == STORE_NOTFOUND || stop != 0)
		rc = STORE_OK;
out:
	acme_cert_clear(&c);
	store_reset(q);
	return rc;
}

enum store_status
store_cert_revoke(struct store *st, const char *serial, int reason,
    time_t revoked_at)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;
	int			 changed;

	/* HARDENING V06, X21: compare-and-swap, one revocation wins. */
	if ((q = store_prep(st, STMT_CERT_REVOKE,
	    "UPDATE certificates SET status = ?5, "
	    "revocation_reason = ?2, revoked_at = ?3 "
	    "WHERE serial = ?1 AND status = ?4")) == NULL)
		return STORE_ERR;
	if (store_bind_text(q, 1, serial) != 0 ||
	    sqlite3_bind_int(q, 2, reason) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 3, (sqlite3_int64)revoked_at) != SQLITE_OK ||
	    store_bind_text(q, 4, acme_cert_status_str(ACME_CERT_VALID)) != 0 ||
	    store_bind_text(q, 5, acme_cert_status_str(ACME_CERT_REVOKED)) !=
	    0) {
		rc = store_fail(st, "cert_revoke");
		goto out;
	}
	rc = store_step_done(st, q, "cert_revoke");
	changed = sqlite3_changes(st->db);
	store_reset(q);
	if (rc == STORE_OK && changed == 0) {
		rc = store_exists(st, STMT_CERT_EXISTS,
		    "SELECT 1 FROM certificates WHERE serial = ?1", serial,
		    "cert_exists");
		if (rc == STORE_OK)
			rc = STORE_CONFLICT;
	}
out:
	store_reset(q);
	return rc;
}

enum store_status
store_cert_count(struct store *st, size_t *n)
{
	sqlite3_stmt		*q;
	enum store_status	 rc = STORE_ERR;

	*n = 0;
	if ((q = store_prep(st, STMT_CERT_COUNT,
	    "SELECT count(*) FROM certificates")) == NULL)
		return STORE_ERR;
	if ((rc = store_step_row(st, q, "cert_count")) != STORE_OK) {
		if (rc == STORE_NOTFOUND)
			rc = store_fail_msg(st, "cert_count", "no row");
		goto out;
	}
	*n = (size_t)sqlite3_column_int64(q, 0);
out:
	store_reset(q);
	return rc;
}

enum store_status
store_cert_page(struct store *st, const struct store_cert_query *qy,
    int (*cb)(const struct acme_cert *cert,
    const struct store_cert_info *info, void *arg), void *arg)
{
	sqlite3_stmt		*q;
	struct acme_cert	 c;
	struct store_cert_info	 info;
	enum store_status	 rc = STORE_ERR;
	int			 stop = 0;

	memset(&c, 0, sizeof(c));
	/*
	 * The columns of read_cert, then the order's profile and the first
	 * later certificate for the same names (certificates_names). The
	 * cursor is a row value, so certificates_issued serves the order.
	 */
	if ((q = store_prep(st, STMT_CERT_PAGE,
	    "SELECT c.serial, c.account_id, c.order_id, c.status, c.names, "
	    "NULL, NULL, c.key_thumbprint, c.source, c.not_before, "
	    "c.not_after, c.issued, c.revocation_reason, c.revoked_at, "
	    "coalesce(o.profile, ''), "
	    "(SELECT min(r.issued) FROM certificates r "
	    " WHERE r.names = c.names AND r.issued > c.issued) "
	    "FROM certificates c LEFT JOIN orders o ON o.id = c.order_id "
	    "WHERE (?1 IS NULL OR c.source = ?1) "
	    "AND (?2 = 0 OR (c.status = ?7 AND c.not_after >= ?3 "
	    " AND c.not_after < ?2)) "
	    "AND (c.issued, c.serial) < (?4, ?5) "
	    "ORDER BY c.issued DESC, c.serial DESC LIMIT ?6")) == NULL)
		goto out;
	if (store_bind_text_or_null(q, 1, qy->source) != 0 ||
	    sqlite3_bind_int64(q, 2, (sqlite3_int64)qy->expiring_before) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(q, 3, (sqlite3_int64)qy->now) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 4, qy->before_serial != NULL ?
	    (sqlite3_int64)qy->before_issued : INT64_MAX) != SQLITE_OK ||
	    store_bind_text(q, 5, qy->before_serial != NULL ?
	    qy->before_serial : "") != 0 ||
	    sqlite3_bind_int64(q, 6, qy->limit > 0 &&
	    qy->limit < (size_t)INT64_MAX ? (sqlite3_int64)qy->limit : -1) !=
	    SQLITE_OK ||
	    store_bind_text(q, 7, acme_cert_status_str(ACME_CERT_VALID)) != 0) {
		rc = store_fail(st, "cert_page");
		goto out;
	}
	while (stop == 0 &&
	    (rc = store_step_row(st, q, "cert_page")) == STORE_OK) {
		if ((rc = read_cert(st, q, &c)) != STORE_OK)
			goto out;
		memset(&info, 0, sizeof(info));
		if (store_col_copy(q, 14, info.profile,
		    sizeof(info.profile)) != 0) {
			rc = store_fail_msg(st, "cert_page", "malformed row");
			goto out;
		}
		info.next_issued = (time_t)sqlite3_column_int64(q, 15);
		stop = cb(&c, &info, arg);
		acme_cert_clear(&c);
	}
	if (rc == STORE_NOTFOUND || stop != 0)
		rc = STORE_OK;
out:
	acme_cert_clear(&c);
	store_reset(q);
	return rc;
}
