/* store_migrate.c - schema migrations: the version steps, the CHECK rewrite of 2 -> 3, the schema version */
/* SPDX-License-Identifier: MIT */

#include <stddef.h>
#include <stdio.h>

#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_internal.h"

/*
 * 1 -> 2: EAB keys (store_eab.c), renewal information (store_renewal.c),
 * the replacement and revocation indexes (store_renewal.c, store_crl.c).
 */
const char store_migration_v2_sql[] =
	"CREATE TABLE eab_keys ("
	" kid TEXT PRIMARY KEY NOT NULL,"
	" hmac_key BLOB NOT NULL,"
	" single_use INTEGER NOT NULL DEFAULT 0,"
	" uses INTEGER NOT NULL DEFAULT 0,"
	" last_account TEXT NOT NULL DEFAULT '',"
	" created INTEGER NOT NULL"
	");"
	"CREATE TABLE renewal_info ("
	" serial TEXT PRIMARY KEY NOT NULL REFERENCES certificates (serial),"
	" window_start INTEGER NOT NULL,"
	" window_end INTEGER NOT NULL,"
	" explanation_url TEXT NOT NULL DEFAULT ''"
	") WITHOUT ROWID;"
	/* RFC 9773 §5: has this certificate been replaced? */
	"CREATE INDEX orders_replaces ON orders (replaces, status)"
	" WHERE replaces <> '';"
	/* CRL building and its change stamp */
	"CREATE INDEX certificates_revoked ON certificates (serial, revoked_at)"
	" WHERE status = 'revoked';";


/*
 * 2 -> 3, part 1: fewer index pages written per issuance (each index an
 * insert or status change touches is one more WAL frame and checkpoint
 * write). The pending-authz count (account_id, status) is served by the
 * reuse index once status is its second column, so authzs_account_status
 * goes; no query reads certificates by not_after, so
 * certificates_not_after goes.
 */
static const char store_migration_v3_sql[] =
	"DROP INDEX authzs_account_status;"
	"DROP INDEX authzs_reuse;"
	"CREATE INDEX authzs_reuse ON authzs"
	" (account_id, status, ident_type, ident_value, wildcard, expires);"
	"DROP INDEX certificates_not_after;";

/*
 * 3 -> 4: the account's externalAccountBinding as the newAccount request
 * carried it (JSON text; NULL for accounts without one and for every
 * account made before this version, which stored no binding). RFC 8555
 * §7.3.4: the account object echoes it on every read.
 */
static const char store_migration_v4_sql[] =
	"ALTER TABLE accounts ADD COLUMN eab_binding TEXT;";

/*
 * 4 -> 5: renewal health (store_cert_page): the first later certificate
 * for the very same names is one index probe per listed row, not a scan
 * of every certificate.
 */
static const char store_migration_v5_sql[] =
	"CREATE INDEX certificates_names ON certificates (names, issued);";

/*
 * 2 -> 3, part 2: CHECK (x IN (a, b, c)) becomes CHECK (x = a OR x = b OR
 * x = c). SQLite evaluates a constant IN list of three or more values by
 * building an ephemeral b-tree each time the check runs: 17 of them per
 * issuance, 39% of the instructions sqlite3_step spent under the
 * benchmark. The two forms accept exactly the same rows. A CHECK is not
 * stored in any row, so this is the schema-text edit SQLite documents for
 * changing CHECK constraints (lang_altertable.html, "Making Other Kinds
 * Of Table Schema Changes"): writable_schema, the new text, schema_version
 * + 1, then a check that the new schema parses and the rows satisfy it,
 * all before COMMIT. The texts are schema.sql's, which never changes; a
 * table whose text differs is left alone (slower, equally strict).
 */
static const struct in_check {
	const char	*table, *from, *to;
} in_checks[] = {
	{ "accounts",
	  "CHECK (status IN ('valid', 'deactivated', 'revoked'))",
	  "CHECK (status = 'valid' OR status = 'deactivated' OR "
	  "status = 'revoked')" },
	{ "authzs",
	  "CHECK (status IN ('pending', 'valid', 'invalid',\n\t\t\t    "
	  "'deactivated', 'expired', 'revoked'))",
	  "CHECK (status = 'pending' OR status = 'valid' OR "
	  "status = 'invalid' OR\n\t\t\t    status = 'deactivated' OR "
	  "status = 'expired' OR status = 'revoked')" },
	{ "challenges",
	  "CHECK (type IN ('http-01', 'dns-01', 'tls-alpn-01'))",
	  "CHECK (type = 'http-01' OR type = 'dns-01' OR "
	  "type = 'tls-alpn-01')" },
	{ "challenges",
	  "CHECK (status IN ('pending', 'processing', 'valid',\n\t\t\t    "
	  "'invalid'))",
	  "CHECK (status = 'pending' OR status = 'processing' OR "
	  "status = 'valid' OR\n\t\t\t    status = 'invalid')" },
	{ "orders",
	  "CHECK (status IN ('pending', 'ready', 'processing',\n\t\t\t    "
	  "'valid', 'invalid'))",
	  "CHECK (status = 'pending' OR status = 'ready' OR "
	  "status = 'processing' OR\n\t\t\t    status = 'valid' OR "
	  "status = 'invalid')" },
	{ "serials",
	  "CHECK (state IN ('reserved', 'issued', 'failed'))",
	  "CHECK (state = 'reserved' OR state = 'issued' OR "
	  "state = 'failed')" },
};

/* One integer from a single-row statement; 0, or -1 failed as `what`. */
static int
int_query(struct store *st, const char *sql, int *out, const char *what)
{
	sqlite3_stmt	*q = NULL;
	int		 rc = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW) {
		*out = sqlite3_column_int(q, 0);
		rc = 0;
	} else
		store_fail(st, what);
	sqlite3_finalize(q);
	return rc;
}

/* Part 2 of 2 -> 3, inside the migration's transaction; 0 or -1. */
static int
rewrite_in_checks(struct store *st)
{
	sqlite3_stmt	*q = NULL;
	char		 sql[64];
	int		 sv, bad = 1, rc = -1, defensive = 0;
	size_t		 i;

	if (int_query(st, "PRAGMA schema_version", &sv, "migrate") != 0)
		return -1;
	/* A build that defaults to DEFENSIVE would ignore writable_schema. */
	if (sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, -1,
	    &defensive) != SQLITE_OK ||
	    (defensive && sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE,
	    0, NULL) != SQLITE_OK) ||
	    sqlite3_exec(st->db, "PRAGMA writable_schema = ON", NULL, NULL,
	    NULL) != SQLITE_OK) {
		store_fail(st, "migrate");
		goto out;
	}
	if (sqlite3_prepare_v2(st->db, "UPDATE sqlite_schema "
	    "SET sql = replace(sql, ?2, ?3) "
	    "WHERE type = 'table' AND name = ?1 AND instr(sql, ?2) > 0", -1,
	    &q, NULL) != SQLITE_OK) {
		store_fail(st, "migrate");
		goto out;
	}
	for (i = 0; i < sizeof(in_checks) / sizeof(in_checks[0]); i++) {
		if (sqlite3_bind_text(q, 1, in_checks[i].table, -1,
		    SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(q, 2, in_checks[i].from, -1,
		    SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(q, 3, in_checks[i].to, -1,
		    SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_step(q) != SQLITE_DONE) {
			store_fail(st, "migrate");
			goto out;
		}
		sqlite3_reset(q);
	}
	snprintf(sql, sizeof(sql), "PRAGMA schema_version = %d", sv + 1);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, "migrate");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	if (sqlite3_exec(st->db, "PRAGMA writable_schema = OFF", NULL, NULL,
	    NULL) != SQLITE_OK && rc == 0) {
		store_fail(st, "migrate");
		rc = -1;
	}
	if (defensive)
		(void)sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1,
		    NULL);
	/*
	 * The schema is read again from the new text; a row breaking a
	 * constraint or a text that does not parse fails here, and the
	 * caller rolls the whole migration back.
	 */
	if (rc == 0 && int_query(st, "SELECT count(*) FROM "
	    "pragma_integrity_check WHERE integrity_check <> 'ok'", &bad,
	    "migrate") != 0)
		rc = -1;
	else if (rc == 0 && bad != 0) {
		snprintf(st->errmsg, sizeof(st->errmsg), "migrate: integrity "
		    "check failed; the database is unchanged");
		st->errcode = SQLITE_CORRUPT;
		rc = -1;
	}
	return rc;
}

/*
 * Schema migrations: migrations[v] takes a database from user_version v
 * to v + 1: its script, then its C step if any, then the version bump,
 * all in one write transaction. To add a version, append an entry and
 * raise STORE_SCHEMA_VERSION; never edit a shipped entry.
 */
static const struct migration {
	const char	*sql;
	int		(*step)(struct store *);
} migrations[] = {
	/* 0 -> 1: the initial schema */
	{ store_schema_sql, NULL },
	/* 1 -> 2: EAB keys, ARI, CRLs */
	{ store_migration_v2_sql, NULL },
	/* 2 -> 3: fewer index writes, CHECKs without ephemeral tables */
	{ store_migration_v3_sql, rewrite_in_checks },
	/* 3 -> 4: the account's external account binding, echoed (§7.3.4) */
	{ store_migration_v4_sql, NULL },
	/* 4 -> 5: certificates by names (renewal health of the listing) */
	{ store_migration_v5_sql, NULL },
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
    STORE_SCHEMA_VERSION, "one migration per schema version");

static int
user_version(struct store *st, int *v)
{
	return int_query(st, "PRAGMA user_version", v, "user_version");
}

int
store_migrate(struct store *st)
{
	char	 sql[48];
	int	 v, rc = -1;
	size_t	 n = sizeof(migrations) / sizeof(migrations[0]);

	if (user_version(st, &v) != 0)
		return -1;
	if (v == STORE_SCHEMA_VERSION)
		return 0;
	if (v < 0 || v > STORE_SCHEMA_VERSION) {
		snprintf(st->errmsg, sizeof(st->errmsg),
		    "database schema version %d is not one this program "
		    "knows (%d)", v, STORE_SCHEMA_VERSION);
		st->errcode = SQLITE_ERROR;
		return -1;
	}
	while ((size_t)v < n) {
		if (store_begin(st) != STORE_OK)
			return -1;
		/* Another connection may have migrated meanwhile. */
		if (user_version(st, &v) != 0)
			goto out;
		if ((size_t)v >= n) {
			if (store_commit(st) != STORE_OK)
				return -1;
			break;
		}
		if (sqlite3_exec(st->db, migrations[v].sql, NULL, NULL,
		    NULL) != SQLITE_OK) {
			store_fail(st, "migrate");
			goto out;
		}
		if (migrations[v].step != NULL && migrations[v].step(st) != 0)
			goto out;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			store_fail(st, "migrate");
			goto out;
		}
		if (store_commit(st) != STORE_OK)
			return -1;
		v++;
	}
	return 0;
out:
	store_rollback_level(st, false);
	return rc;
}

enum store_status
store_schema_version(struct store *st, int *version)
{
	return user_version(st, version) == 0 ? STORE_OK : STORE_ERR;
}
