/* test_store.c - the SQLite store against real SQLite (files in a temp dir and :memory:) */
/* SPDX-License-Identifier: MIT */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "acme/acme.h"
#include "store/store.h"
#include "store_internal.h"	/* the shipped migration scripts */

#define NOW		((time_t)1700000000)
#define HOUR		((time_t)3600)
#define NRACERS		8

struct fx {
	char		 dir[64];
	char		 path[128];
	struct store	*st;
};

/* --- fixtures and helpers --- */

/* The sweeps' edges as the RA names them (src/ra/ra_state.c). */
static const struct store_expiry expiry = {
	.authz_from = { ACME_AUTHZ_PENDING, ACME_AUTHZ_VALID },
	.authz_to = ACME_AUTHZ_EXPIRED,
	.order_from = { ACME_ORDER_PENDING, ACME_ORDER_READY },
	.order_to = ACME_ORDER_INVALID,
};
static const struct store_recovery recovery = {
	.order_from = ACME_ORDER_PROCESSING,
	.order_to = ACME_ORDER_INVALID,
	.chall_from = ACME_CHALL_PROCESSING,
	.chall_to = ACME_CHALL_PENDING,
};

static void
rm_db(const struct fx *f)
{
	char	 p[160];

	if (f->path[0] == '\0')
		return;
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-journal", f->path);
	unlink(p);
	rmdir(f->dir);
}

static int
setup_mem(void **state)
{
	struct fx	*f;
	char		 err[256];

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if ((f->st = store_open(":memory:", err, sizeof(err))) == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* A temp dir with a path for the DB; the store is not opened. */
static int
setup_dir(void **state)
{
	struct fx	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_store.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/localacme.db", f->dir);
	*state = f;
	return 0;
}

static int
setup_file(void **state)
{
	struct fx	*f;
	char		 err[256];

	if (setup_dir(state) != 0)
		return -1;
	f = *state;
	if ((f->st = store_open(f->path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		rm_db(f);
		free(f);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	store_close(f->st);
	rm_db(f);
	free(f);
	return 0;
}

static int
make_account(struct store *st, const char *tp, struct acme_account *a)
{
	memset(a, 0, sizeof(*a));
	if ((a->jwk = strdup("{\"crv\":\"P-256\",\"kty\":\"EC\"}")) == NULL)
		return STORE_ERR;
	snprintf(a->thumbprint, sizeof(a->thumbprint), "%s", tp);
	snprintf(a->contact[0], sizeof(a->contact[0]), "mailto:a@example.test");
	snprintf(a->contact[1], sizeof(a->contact[1]), "mailto:b@example.test");
	a->ncontact = 2;
	a->tos_agreed = true;
	a->created = NOW;
	return store_account_create(st, a);
}

static void
fill_authz(struct acme_authz *az, const char *name, time_t expires)
{
	static unsigned	 tokn;

	memset(az, 0, sizeof(*az));
	az->ident.type = ACME_IDENT_DNS;
	snprintf(az->ident.value, sizeof(az->ident.value), "%s", name);
	az->status = ACME_AUTHZ_PENDING;
	az->expires = expires;
	az->nchall = 2;
	az->chall[0].type = ACME_CHALL_HTTP01;
	snprintf(az->chall[0].token, sizeof(az->chall[0].token), "tok%08u%d",
	    ++tokn, (int)getpid() % 10000);
	az->chall[1].type = ACME_CHALL_DNS01;
	snprintf(az->chall[1].token, sizeof(az->chall[1].token), "tok%08u%d",
	    ++tokn, (int)getpid() % 10000);
}

/* An order for names[0..n) with new authzs; az must hold n entries. */
static int
make_order(struct store *st, const char *account_id,
    const char *const *names, size_t n, struct acme_order *o,
    struct acme_authz *az)
{
	size_t	 i;

	memset(o, 0, sizeof(*o));
	if (acme_order_alloc_idents(o, n) != 0)
		return STORE_ERR;
	snprintf(o->account_id, sizeof(o->account_id), "%s", account_id);
	o->created = NOW;
	o->expires = NOW + HOUR;
	for (i = 0; i < n; i++) {
		o->idents[i].type = ACME_IDENT_DNS;
		snprintf(o->idents[i].value, sizeof(o->idents[i].value), "%s",
		    names[i]);
		fill_authz(&az[i], names[i], NOW + HOUR);
	}
	return store_order_create(st, o, az, n);
}

/*
 * Account "tp-main" and a one-name order driven to ready, with the
 * compare-and-sets the RA's validation cascade runs (src/ra/ra_state.c;
 * the cascade itself is tested in test_ra_state.c).
 */
static void
ready_order(struct store *st, struct acme_account *a, struct acme_order *o)
{
	static const char *const names[] = { "ready.example.test" };
	struct acme_authz	 az[1];
	struct acme_order	 got = { 0 };
	char			 authz_id[ACME_ID_SIZE];

	if (a->id[0] == '\0')
		assert_int_equal(make_account(st, "tp-main", a), STORE_OK);
	assert_int_equal(make_order(st, a->id, names, 1, o, az), STORE_OK);
	assert_int_equal(store_challenge_begin(st, az[0].chall[0].id), STORE_OK);
	assert_int_equal(store_challenge_set_status(st, az[0].chall[0].id,
	    ACME_CHALL_PROCESSING, ACME_CHALL_VALID, NULL, NOW, authz_id),
	    STORE_OK);
	assert_string_equal(authz_id, az[0].id);
	assert_int_equal(store_authz_set_status(st, az[0].id,
	    ACME_AUTHZ_PENDING, ACME_AUTHZ_VALID), STORE_OK);
	assert_int_equal(store_order_set_status(st, o->id, ACME_ORDER_PENDING,
	    ACME_ORDER_READY), STORE_OK);
	assert_int_equal(store_order_get(st, o->id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ORDER_READY);
	acme_order_clear(&got);
}

static void
fill_cert(struct acme_cert *c, const char *serial)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->serial, sizeof(c->serial), "%s", serial);
	c->names = strdup("ready.example.test");
	c->pem = strdup("-----BEGIN CERTIFICATE-----\nAA==\n"
	    "-----END CERTIFICATE-----\n");
	c->chain_pem = strdup("-----BEGIN CERTIFICATE-----\nBB==\n"
	    "-----END CERTIFICATE-----\n");
	snprintf(c->key_thumbprint, sizeof(c->key_thumbprint), "leafkeytp");
	c->not_before = NOW - HOUR;
	c->not_after = NOW + 90 * 24 * HOUR;
	c->issued = NOW;
}

static size_t
count_rows(const char *path, const char *sql)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*q = NULL;
	size_t		 n = (size_t)-1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		n = (size_t)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static int
raw_exec(const char *path, const char *sql)
{
	sqlite3	*db = NULL;
	int	 rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* --- open, schema, migration --- */

static void
test_store_open_memory_has_current_schema(void **state)
{
	struct fx	*f = *state;
	int		 v = -1;

	assert_int_equal(store_schema_version(f->st, &v), STORE_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
}

/* store_open_readonly: reads an existing database, never writes it. */
static void
test_store_open_readonly_reads_never_writes(void **state)
{
	struct fx	*f = *state;
	struct store	*ro;
	struct stat	 sb;
	char		 err[256], *v = NULL, wal[4200];

	/* No file: refused, nothing created. */
	assert_null(store_open_readonly(f->path, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(stat(f->path, &sb), -1);
	/* A database written and closed (no -wal left). */
	assert_non_null(f->st = store_open(f->path, err, sizeof(err)));
	assert_int_equal(store_meta_set(f->st, "k", "v1"), STORE_OK);
	store_close(f->st);
	f->st = NULL;
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(access(wal, F_OK), -1);
	assert_non_null(ro = store_open_readonly(f->path, err, sizeof(err)));
	assert_int_equal(store_meta_get(ro, "k", &v), STORE_OK);
	assert_string_equal(v, "v1");
	free(v);
	assert_int_equal(store_meta_set(ro, "k", "v2"), STORE_ERR);
	store_close(ro);
	/* A schema this program does not know: refused, not migrated. */
	assert_int_equal(raw_exec(f->path, "PRAGMA user_version = 99"), 0);
	assert_null(store_open_readonly(f->path, err, sizeof(err)));
	assert_non_null(strstr(err, "schema version 99"));
}

static void
test_store_open_new_file_mode_0600(void **state)
{
	struct fx	*f = *state;
	struct stat	 sb;
	mode_t		 old;
	char		 err[256];

	old = umask(0);		/* even a permissive umask must not widen it */
	f->st = store_open(f->path, err, sizeof(err));
	umask(old);
	assert_non_null(f->st);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void
test_store_open_empty_file_migrates_to_version(void **state)
{
	struct fx	*f = *state;
	char		 err[256];
	int		 fd, v = -1;

	fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(count_rows(f->path, "PRAGMA user_version"), 0);
	f->st = store_open(f->path, err, sizeof(err));
	assert_non_null(f->st);
	assert_int_equal(store_schema_version(f->st, &v), STORE_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	assert_int_equal(count_rows(f->path, "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION);
}

/* The detail of the first EXPLAIN QUERY PLAN row of sql, in buf. */
static const char *
query_plan(const char *path, const char *sql, char *buf, size_t len)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*q = NULL;
	char		 eqp[512];

	buf[0] = '\0';
	snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sql);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK &&
	    sqlite3_prepare_v2(db, eqp, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(q, 3));
	sqlite3_finalize(q);
	sqlite3_close(db);
	return buf;
}

/* How many OpenEphemeral opcodes sql compiles to (-1: does not compile). */
static int
ephemeral_tables(const char *path, const char *sql)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*q = NULL;
	char		 x[512];
	int		 n = -1;

	snprintf(x, sizeof(x), "EXPLAIN %s", sql);
	/* Read-write: a read-only connection compiles writes without CHECKs. */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, x, -1, &q, NULL) == SQLITE_OK) {
		n = 0;
		while (sqlite3_step(q) == SQLITE_ROW)
			n += strcmp((const char *)sqlite3_column_text(q, 1),
			    "OpenEphemeral") == 0;
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/*
 * Every status write the issuance path makes. Schema 3's CHECKs compile
 * to comparisons, not to an ephemeral b-tree per row (store_migrate.c
 * in_checks).
 */
static const char *const status_writes[] = {
	"INSERT INTO accounts (id, status, jwk, thumbprint, created) "
	"VALUES ('x', 'valid', '{}', 'x', 1)",
	"INSERT INTO authzs (id, account_id, ident_type, ident_value, status, "
	"expires) VALUES ('x', 'x', 'dns', 'x', 'pending', 1)",
	"INSERT INTO challenges (id, authz_id, position, type, status, token) "
	"VALUES ('x', 'x', 0, 'http-01', 'pending', 'x')",
	"INSERT INTO orders (id, account_id, status, created, expires) "
	"VALUES ('x', 'x', 'pending', 1, 1)",
	"INSERT INTO serials (serial, reserved_at) VALUES ('x', 1)",
	"UPDATE challenges SET status = 'valid' WHERE id = 'x'",
	"UPDATE authzs SET status = 'valid' WHERE id = 'x'",
	"UPDATE orders SET status = 'ready' WHERE id = 'x'",
	"UPDATE serials SET state = 'issued' WHERE serial = 'x'",
};

/* The CHECKs still refuse what they refused: one bad value per table. */
static const char *const bad_writes[] = {
	"INSERT INTO accounts (id, status, jwk, thumbprint, created) "
	"VALUES ('bad', 'pending', '{}', 'bad', 1)",
	"INSERT INTO authzs (id, account_id, ident_type, ident_value, status, "
	"expires) VALUES ('bad', 'x', 'dns', 'x', 'ready', 1)",
	"INSERT INTO authzs (id, account_id, ident_type, ident_value, status, "
	"expires) VALUES ('bad', 'x', 'email', 'x', 'pending', 1)",
	"INSERT INTO challenges (id, authz_id, position, type, status, token) "
	"VALUES ('bad', 'x', 0, 'http-01', 'ready', 'bad')",
	"INSERT INTO challenges (id, authz_id, position, type, status, token) "
	"VALUES ('bad', 'x', 0, 'http-02', 'pending', 'bad')",
	"INSERT INTO orders (id, account_id, status, created, expires) "
	"VALUES ('bad', 'x', 'expired', 1, 1)",
	"INSERT INTO serials (serial, reserved_at, state) "
	"VALUES ('bad', 1, 'valid')",
};

static void
assert_checks_cheap_and_strict(const char *path)
{
	size_t	i;

	for (i = 0; i < sizeof(status_writes) / sizeof(status_writes[0]); i++)
		assert_int_equal(ephemeral_tables(path, status_writes[i]), 0);
	for (i = 0; i < sizeof(bad_writes) / sizeof(bad_writes[0]); i++)
		assert_int_equal(raw_exec(path, bad_writes[i]), -1);
}

static void
test_store_new_database_checks_cheap_and_strict(void **state)
{
	struct fx		*f = *state;
	char			 err[256];

	f->st = store_open(f->path, err, sizeof(err));
	assert_non_null(f->st);
	store_close(f->st);
	f->st = NULL;
	assert_checks_cheap_and_strict(f->path);
	/* The good values still pass: every status_writes insert runs. */
	assert_int_equal(raw_exec(f->path, "BEGIN;"
	    "INSERT INTO accounts (id, status, jwk, thumbprint, created) "
	    "VALUES ('x', 'deactivated', '{}', 'x', 1);"
	    "INSERT INTO authzs (id, account_id, ident_type, ident_value, "
	    "status, expires) VALUES ('x', 'x', 'ip', 'x', 'revoked', 1);"
	    "INSERT INTO challenges (id, authz_id, position, type, status, "
	    "token) VALUES ('x', 'x', 0, 'tls-alpn-01', 'processing', 'x');"
	    "INSERT INTO orders (id, account_id, status, created, expires) "
	    "VALUES ('x', 'x', 'processing', 1, 1);"
	    "INSERT INTO serials (serial, reserved_at, state) "
	    "VALUES ('x', 1, 'failed');"
	    "COMMIT"), 0);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM "
	    "pragma_integrity_check WHERE integrity_check <> 'ok'"), 0);
}

/*
 * A database as schema version 2 left it, from the shipped scripts, with an
 * account and a pending authz, then the statements in extra.
 */
static void
make_v2_database(const char *path, const char *extra)
{
	char	*sql;
	size_t	 len;
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	len = strlen(store_schema_sql) + strlen(store_migration_v2_sql) +
	    strlen(extra) + 512;
	assert_non_null(sql = malloc(len));
	assert_true(snprintf(sql, len, "%s;%s;PRAGMA user_version = 2;"
	    "INSERT INTO accounts (id, status, jwk, thumbprint, created) "
	    "VALUES ('acct', 'valid', '{}', 'tp', 1);"
	    "INSERT INTO authzs (id, account_id, ident_type, ident_value, "
	    "status, expires) VALUES ('az', 'acct', 'dns', 'a.test', "
	    "'pending', 9);%s", store_schema_sql, store_migration_v2_sql,
	    extra) < (int)len);
	assert_int_equal(raw_exec(path, sql), 0);
	free(sql);
}

static int
count_page(const struct acme_cert *c, const struct store_cert_info *info,
    void *arg)
{
	(void)c;
	(void)info;
	(*(int *)arg)++;
	return 0;
}

/*
 * 4 -> 5: an older file gains the names index of the listing's renewal
 * health; its certificates stay and are listed.
 */
static void
test_store_migration_v5_keeps_certificates_adds_names_index(void **state)
{
	struct fx		*f = *state;
	struct store_cert_query	 q;
	char			 err[256];
	int			 n = 0;

	make_v2_database(f->path, "INSERT INTO serials (serial, order_id, "
	    "reserved_at, state) VALUES ('01', NULL, 1, 'issued');"
	    "INSERT INTO certificates (serial, status, names, pem, source, "
	    "not_before, not_after, issued) VALUES ('01', 'valid', 'a.test', "
	    "'P', 'server', 1, 2, 1);");
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM "
	    "sqlite_master WHERE name = 'certificates_names'"), 0);
	f->st = store_open(f->path, err, sizeof(err));
	assert_non_null(f->st);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM "
	    "sqlite_master WHERE name = 'certificates_names'"), 1);
	memset(&q, 0, sizeof(q));
	q.source = "server";
	assert_int_equal(store_cert_page(f->st, &q, count_page, &n), STORE_OK);
	assert_int_equal(n, 1);
}

/*
 * 3 -> 4 (RFC 8555 §7.3.4): an older file gains accounts.eab_binding; its
 * accounts keep every column and read back with no binding; a binding
 * written afterwards reads back byte for byte.
 */
static void
test_store_migration_v4_keeps_accounts_adds_eab_binding(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 }, b = { 0 }, c = { 0 };
	char			 err[256];
	const char		*bind = "{\"protected\":\"p\",\"payload\":\"y\","
				    "\"signature\":\"s\"}";
	int			 v = -1;

	make_v2_database(f->path, "UPDATE accounts SET eab_kid = 'k0', "
	    "contacts = 'mailto:a@example.test' WHERE id = 'acct';");
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM "
	    "pragma_table_info('accounts') WHERE name = 'eab_binding'"), 0);
	f->st = store_open(f->path, err, sizeof(err));
	assert_non_null(f->st);
	assert_int_equal(store_schema_version(f->st, &v), STORE_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	assert_int_equal(store_account_get(f->st, "acct", &a), STORE_OK);
	assert_string_equal(a.thumbprint, "tp");
	assert_string_equal(a.eab_kid, "k0");
	assert_int_equal(a.ncontact, 1);
	assert_string_equal(a.contact[0], "mailto:a@example.test");
	assert_null(a.eab);
	b.status = ACME_ACCOUNT_VALID;
	assert_non_null(b.jwk = strdup("{}"));
	snprintf(b.thumbprint, sizeof(b.thumbprint), "tp2");
	snprintf(b.eab_kid, sizeof(b.eab_kid), "k1");
	assert_non_null(b.eab = strdup(bind));
	assert_int_equal(store_account_create(f->st, &b), STORE_OK);
	assert_int_equal(store_account_get_by_thumbprint(f->st, "tp2", &c),
	    STORE_OK);
	assert_non_null(c.eab);
	assert_string_equal(c.eab, bind);
	acme_account_clear(&a);
	acme_account_clear(&b);
	acme_account_clear(&c);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM "
	    "pragma_integrity_check WHERE integrity_check <> 'ok'"), 0);
}

static void
test_store_failed_migration_changes_nothing(void **state)
{
	struct fx	*f = *state;
	char		 err[256] = "";

	/*
	 * A row that breaks its CHECK (written with the checks switched
	 * off) makes the integrity check after the schema-text edit fail:
	 * the whole 2 -> 3 migration rolls back and the file is as it was.
	 */
	make_v2_database(f->path, "PRAGMA ignore_check_constraints = ON;"
	    "UPDATE authzs SET status = 'bogus';");
	f->st = store_open(f->path, err, sizeof(err));
	assert_null(f->st);
	assert_non_null(strstr(err, "integrity"));
	assert_int_equal(count_rows(f->path, "PRAGMA user_version"), 2);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM "
	    "sqlite_schema WHERE name IN ('authzs_account_status', "
	    "'certificates_not_after')"), 2);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM "
	    "sqlite_schema WHERE name = 'challenges' AND "
	    "sql LIKE '%type IN (%'"), 1);
}

static void
test_store_migrates_v2_database_keeping_rows(void **state)
{
	struct fx	*f = *state;
	char		 err[256], plan[256];
	size_t		 n = 99;
	int		 v = -1;

	/* A database as version 2 left it, with a pending authz in it. */
	make_v2_database(f->path, "");
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM "
	    "sqlite_schema WHERE name = 'authzs_account_status'"), 1);

	f->st = store_open(f->path, err, sizeof(err));
	assert_non_null(f->st);
	assert_int_equal(store_schema_version(f->st, &v), STORE_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	/* The row survived and the pending count still finds it. */
	assert_int_equal(store_authz_count_pending(f->st, "acct", &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM "
	    "sqlite_schema WHERE name IN ('authzs_account_status', "
	    "'certificates_not_after')"), 0);
	/* status is the reuse index's second column, so it serves the count. */
	assert_int_equal(count_rows(f->path, "SELECT seqno FROM "
	    "pragma_index_info('authzs_reuse') WHERE name = 'status'"), 1);
	assert_non_null(strstr(query_plan(f->path, "SELECT count(*) FROM "
	    "authzs WHERE account_id = 'acct' AND status = 'pending'", plan,
	    sizeof(plan)), "authzs_reuse"));
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM "
	    "pragma_integrity_check WHERE integrity_check <> 'ok'"), 0);
	/* Before the rewrite a challenge insert built two ephemeral tables. */
	store_close(f->st);
	f->st = NULL;
	assert_checks_cheap_and_strict(f->path);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM authzs "
	    "WHERE id = 'az' AND status = 'pending'"), 1);
}

static void
test_store_open_newer_schema_refused(void **state)
{
	struct fx	*f = *state;
	char		 err[256] = "";

	f->st = store_open(f->path, err, sizeof(err));
	assert_non_null(f->st);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(raw_exec(f->path, "PRAGMA user_version = 99"), 0);
	f->st = store_open(f->path, err, sizeof(err));
	assert_null(f->st);
	assert_non_null(strstr(err, "99"));
}

static void
test_store_open_missing_dir_fails_with_reason(void **state)
{
	char		 err[256] = "";
	struct store	*st;

	(void)state;
	st = store_open("/nonexistent-dir-localacme/x.db", err, sizeof(err));
	assert_null(st);
	assert_true(err[0] != '\0');
}

static void
test_store_open_reopen_keeps_rows(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a, got = { 0 };
	char			 err[256];

	assert_int_equal(make_account(f->st, "tp-persist", &a), STORE_OK);
	store_close(f->st);
	f->st = store_open(f->path, err, sizeof(err));
	assert_non_null(f->st);
	assert_int_equal(store_account_get(f->st, a.id, &got), STORE_OK);
	assert_string_equal(got.thumbprint, "tp-persist");
	acme_account_clear(&a);
	acme_account_clear(&got);
}

static void
test_store_open_file_is_wal_mode(void **state)
{
	struct fx	*f = *state;

	/* journal_mode is persistent in the file; a fresh connection sees it. */
	assert_int_equal(count_rows(f->path,
	    "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
}

/*
 * Group commit (store_set_group_commit): this binary's fdatasync() wraps
 * libc's and counts the calls made by the store and by SQLite itself (the
 * executable's definition comes first in symbol lookup).
 */
#include <sys/syscall.h>

static _Atomic int	fdatasync_calls;
static _Atomic int	fdatasync_elsewhere;	/* not from test_thread */
static pthread_t	test_thread;

int
fdatasync(int fd)
{
	fdatasync_calls++;
	if (!pthread_equal(pthread_self(), test_thread))
		fdatasync_elsewhere++;
	return (int)syscall(SYS_fdatasync, fd);
}

static void
test_store_full_commit_fsyncs_without_group_commit(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;

	fdatasync_calls = 0;
	assert_int_equal(make_account(f->st, "tp-full", &a), STORE_OK);
	assert_true(fdatasync_calls >= 1);	/* synchronous=FULL */
	fdatasync_calls = 0;
	assert_int_equal(store_sync(f->st), STORE_OK);	/* a no-op here */
	assert_int_equal(fdatasync_calls, 0);
	acme_account_clear(&a);
}

static void
test_store_group_commit_defers_fsync_to_store_sync(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a[3];
	char			 tp[16];

	assert_int_equal(store_set_group_commit(f->st), STORE_OK);
	fdatasync_calls = 0;
	for (int i = 0; i < 3; i++) {
		snprintf(tp, sizeof(tp), "tp-group-%d", i);
		assert_int_equal(make_account(f->st, tp, &a[i]), STORE_OK);
	}
	assert_int_equal(fdatasync_calls, 0);	/* none inside COMMIT */
	/* One fsync of the WAL covers the three durable commits. */
	assert_int_equal(store_sync(f->st), STORE_OK);
	assert_int_equal(fdatasync_calls, 1);
	/* Nothing new: no fsync. */
	assert_int_equal(store_sync(f->st), STORE_OK);
	assert_int_equal(fdatasync_calls, 1);
	for (int i = 0; i < 3; i++)
		acme_account_clear(&a[i]);
}

static void
test_store_group_commit_relaxed_write_needs_no_sync(void **state)
{
	static const char *const names[] = { "relaxed.example.test" };
	struct fx		*f = *state;
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[1];

	assert_int_equal(store_set_group_commit(f->st), STORE_OK);
	assert_int_equal(make_account(f->st, "tp-relaxed", &a), STORE_OK);
	assert_int_equal(store_sync(f->st), STORE_OK);
	fdatasync_calls = 0;
	/* A new order is a relaxed write (store_txn_begin_relaxed). */
	assert_int_equal(make_order(f->st, a.id, names, 1, &o, az), STORE_OK);
	assert_int_equal(store_sync(f->st), STORE_OK);
	assert_int_equal(fdatasync_calls, 0);
	/* A durable one after it (an account) is synced, and the order with it. */
	acme_account_clear(&a);
	assert_int_equal(make_account(f->st, "tp-relaxed-2", &a), STORE_OK);
	assert_int_equal(store_sync(f->st), STORE_OK);
	assert_int_equal(fdatasync_calls, 1);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

/* A WAL past 4000 pages (store_sync.c CKPT_PAGES) is checkpointed by the
 * store's own thread: the checkpoint's fsyncs come from another thread,
 * without any store_sync. */
static void
test_store_group_commit_checkpoints_in_background(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;
	char			 tp[32];

	assert_int_equal(store_set_group_commit(f->st), STORE_OK);
	test_thread = pthread_self();
	fdatasync_calls = fdatasync_elsewhere = 0;
	for (int i = 0; i < 2400; i++) {
		snprintf(tp, sizeof(tp), "tp-ckpt-%d", i);
		assert_int_equal(make_account(f->st, tp, &a), STORE_OK);
		acme_account_clear(&a);
	}
	for (int i = 0; i < 500 && fdatasync_elsewhere == 0; i++)
		usleep(10000);
	/*
	 * The checkpointer's fsyncs (WAL, then database). The committing
	 * thread may fsync too, but only the WAL's new header when a commit
	 * restarts a fully checkpointed WAL (SQLite does that at NORMAL).
	 */
	assert_true(fdatasync_elsewhere > 0);
	/* Everything is still there, and durable after a sync. */
	assert_int_equal(store_sync(f->st), STORE_OK);
	assert_int_equal(count_rows(f->path,
	    "SELECT count(*) FROM accounts WHERE thumbprint LIKE 'tp-ckpt-%'"),
	    2400);
}

/*
 * store_section_read_file: a lock section that read only the pending
 * tier did not read the file (its answer need not wait for an fsync);
 * one that read a row of the file, or wrote, did.
 */
static void
test_store_section_read_file(void **state)
{
	static const char *const names[] = { "section.example.test" };
	struct fx		*f = *state;
	struct acme_account	 a, got = { 0 };
	struct acme_order	 o, go = { 0 };
	struct acme_authz	 az[1];

	assert_int_equal(store_set_group_commit(f->st), STORE_OK);
	assert_int_equal(make_account(f->st, "tp-section", &a), STORE_OK);
	assert_int_equal(make_order(f->st, a.id, names, 1, &o, az), STORE_OK);
	store_section_begin(f->st);
	assert_int_equal(store_read_begin(f->st), STORE_OK);
	assert_int_equal(store_order_get(f->st, o.id, &go), STORE_OK);
	acme_order_clear(&go);
	store_read_end(f->st);
	assert_false(store_section_read_file(f->st));
	assert_int_equal(store_account_get(f->st, a.id, &got), STORE_OK);
	acme_account_clear(&got);
	assert_true(store_section_read_file(f->st));
	/* a write, with no read before it in the section */
	store_section_begin(f->st);
	acme_account_clear(&got);
	assert_int_equal(make_account(f->st, "tp-section-2", &got), STORE_OK);
	assert_true(store_section_read_file(f->st));
	acme_account_clear(&got);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

/*
 * store_vfs.c: the frames of one commit go out in one write, each header
 * with its page. SQLite's unix VFS calls pwrite64 through its system-call
 * table, which a test may replace (xSetSystemCall): count the writes by
 * size (a frame is 24 + 4096 bytes; the WAL header is 32, a database
 * page 4096).
 */
static sqlite3_syscall_ptr	real_pwrite, real_pwrite64;
static _Atomic int		pwrite_hdr_only, pwrite_runs, pwrite_frames;

static void
count_write(size_t n)
{
	if (n == 24)
		pwrite_hdr_only++;
	else if (n % (24 + 4096) == 0) {
		pwrite_runs++;
		pwrite_frames += (int)(n / (24 + 4096));
	}
}

static ssize_t
counting_pwrite(int fd, const void *b, size_t n, off_t off)
{
	count_write(n);
	return ((ssize_t (*)(int, const void *, size_t, off_t))
	    real_pwrite)(fd, b, n, off);
}

static ssize_t
counting_pwrite64(int fd, const void *b, size_t n, off_t off)
{
	count_write(n);
	return ((ssize_t (*)(int, const void *, size_t, off_t))
	    real_pwrite64)(fd, b, n, off);
}

static void
test_store_wal_commit_frames_one_write(void **state)
{
	struct fx		*f = *state;
	sqlite3_vfs		*u = sqlite3_vfs_find("unix");
	struct acme_account	 a;
	char			 tp[32];

	/* SQLite's build uses one of the two; hook both. */
	assert_non_null(u);
	real_pwrite = u->xGetSystemCall(u, "pwrite");
	real_pwrite64 = u->xGetSystemCall(u, "pwrite64");
	if (real_pwrite != NULL)
		(void)u->xSetSystemCall(u, "pwrite",
		    (sqlite3_syscall_ptr)counting_pwrite);
	if (real_pwrite64 != NULL)
		(void)u->xSetSystemCall(u, "pwrite64",
		    (sqlite3_syscall_ptr)counting_pwrite64);
	pwrite_hdr_only = pwrite_runs = pwrite_frames = 0;
	assert_int_equal(store_set_group_commit(f->st), STORE_OK);
	for (int i = 0; i < 20; i++) {
		snprintf(tp, sizeof(tp), "tp-frame-%d", i);
		assert_int_equal(make_account(f->st, tp, &a), STORE_OK);
		acme_account_clear(&a);
	}
	if (real_pwrite != NULL)
		(void)u->xSetSystemCall(u, "pwrite", real_pwrite);
	if (real_pwrite64 != NULL)
		(void)u->xSetSystemCall(u, "pwrite64", real_pwrite64);
	assert_int_equal(pwrite_hdr_only, 0);
	/* One write per commit, each of the account's pages (row, indexes). */
	assert_int_equal(pwrite_runs, 20);
	assert_true(pwrite_frames >= 2 * 20);
}

/*
 * Frames held back are read back right: with a tiny page cache, one long
 * transaction spills pages to the WAL as frames that are not a commit's,
 * so they wait in the VFS's run, and reads the same pages again before it
 * commits. A read that did not write the held frames first would read
 * short or stale pages (SQLITE_IOERR_SHORT_READ, a corrupt b-tree).
 */
static void
test_store_wal_held_frames_read_back(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;
	char			 tp[32];
	bool			 ok = false;

	assert_int_equal(sqlite3_exec(f->st->db, "PRAGMA cache_size = 4",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(store_begin(f->st), STORE_OK);
	for (int i = 0; i < 400; i++) {
		snprintf(tp, sizeof(tp), "tp-spill-%d", i);
		assert_int_equal(make_account(f->st, tp, &a), STORE_OK);
		acme_account_clear(&a);
	}
	assert_int_equal(store_commit(f->st), STORE_OK);
	assert_int_equal(count_rows(f->path,
	    "SELECT count(*) FROM accounts WHERE thumbprint LIKE 'tp-spill-%'"),
	    400);
	assert_int_equal(store_integrity_check(f->st, &ok), STORE_OK);
	assert_true(ok);
}

/* A database and its WAL opened through the store's VFS, as SQLite does. */
struct vpair {
	sqlite3_vfs		*v;
	sqlite3_file		*db, *wal;
	sqlite3_filename	 fn;
	char			 dbpath[160], walpath[168];
};

static void
vpair_open(struct vpair *p, const char *base)
{
	void volatile	*shm = NULL;
	char		 j[168];
	int		 out = 0;

	assert_non_null(p->v = sqlite3_vfs_find(store_vfs()));
	snprintf(p->dbpath, sizeof(p->dbpath), "%s.vfs", base);
	snprintf(j, sizeof(j), "%s-journal", p->dbpath);
	snprintf(p->walpath, sizeof(p->walpath), "%s-wal", p->dbpath);
	assert_non_null(p->fn = sqlite3_create_filename(p->dbpath, j,
	    p->walpath, 0, NULL));
	assert_non_null(p->db = calloc(1, (size_t)p->v->szOsFile));
	assert_non_null(p->wal = calloc(1, (size_t)p->v->szOsFile));
	assert_int_equal(p->v->xOpen(p->v, p->fn, p->db, SQLITE_OPEN_MAIN_DB |
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &out), SQLITE_OK);
	assert_int_equal(p->v->xOpen(p->v, sqlite3_filename_wal(p->fn),
	    p->wal, SQLITE_OPEN_WAL | SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, &out), SQLITE_OK);
	assert_int_equal(p->db->pMethods->xShmMap(p->db, 0, 32768, 1, &shm),
	    SQLITE_OK);
}

static void
vpair_close(struct vpair *p)
{
	assert_int_equal(p->wal->pMethods->xClose(p->wal), SQLITE_OK);
	assert_int_equal(p->db->pMethods->xShmUnmap(p->db, 1), SQLITE_OK);
	assert_int_equal(p->db->pMethods->xClose(p->db), SQLITE_OK);
	free(p->wal);
	free(p->db);
	sqlite3_free_filename(p->fn);
	unlink(p->dbpath);
	unlink(p->walpath);
}

/* The 4096 bytes at off of path, read past the VFS. */
static void
file_page(const char *path, off_t off, unsigned char out[4096])
{
	int	 fd;

	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(pread(fd, out, 4096, off), 4096);
	close(fd);
}

/* Take (lock) or let go of the WAL write lock on p's -shm, as SQLite does. */
static void
vpair_write_lock(struct vpair *p, bool lock)
{
	assert_int_equal(p->db->pMethods->xShmLock(p->db, 0, 1,
	    (lock ? SQLITE_SHM_LOCK : SQLITE_SHM_UNLOCK) |
	    SQLITE_SHM_EXCLUSIVE), SQLITE_OK);
}

/*
 * Append a frame at off as SQLite does (its header, then its page, two
 * writes): a page of fill bytes; commit_pages, the header's "database
 * size after commit", 0 for a frame that is not a commit's.
 */
static void
vpair_frame(struct vpair *p, sqlite3_int64 off, unsigned char commit_pages,
    int fill)
{
	unsigned char	 hdr[24] = { 0 }, page[4096];

	hdr[7] = commit_pages;
	memset(page, fill, sizeof(page));
	assert_int_equal(p->wal->pMethods->xWrite(p->wal, hdr, 24, off),
	    SQLITE_OK);
	assert_int_equal(p->wal->pMethods->xWrite(p->wal, page, 4096,
	    off + 24), SQLITE_OK);
}

/*
 * A commit's frames are in the file when the commit frame's page has
 * been written: SQLite publishes the commit (the wal-index header) right
 * after, while it still holds the write lock, and a reader on another
 * connection may then read them at once.
 */
static void
test_store_vfs_commit_frames_in_file_at_commit(void **state)
{
	struct fx	*f = *state;
	struct vpair	 p;
	unsigned char	 want[4096], got[4096];

	vpair_open(&p, f->path);
	vpair_write_lock(&p, true);
	vpair_frame(&p, 32, 0, 'A');
	vpair_frame(&p, 32 + 24 + 4096, 2, 'C');	/* the commit frame */
	/* no other call on either handle yet: both frames are there */
	memset(want, 'C', sizeof(want));
	file_page(p.walpath, 32 + 2 * 24 + 4096, got);
	assert_memory_equal(got, want, sizeof(want));
	memset(want, 'A', sizeof(want));
	file_page(p.walpath, 32 + 24, got);
	assert_memory_equal(got, want, sizeof(want));
	vpair_write_lock(&p, false);
	vpair_close(&p);
}

/*
 * Frames held for a transaction that then rolls back must not reach the
 * file after its write lock is let go: another connection (in this
 * process, or `localacme issue` beside `serve`) appends its own frames
 * at the same offsets. Call by call, as SQLite would make them: a
 * spilled frame (not a commit's) is held; the connection lets go of the
 * WAL write lock (an unlock on its database's -shm); another writer puts
 * its frame at that offset; then any call on the first WAL handle. The
 * file must keep the other writer's bytes: the held frame went out
 * before the unlock, not after.
 */
static void
test_store_vfs_held_frames_written_before_unlock(void **state)
{
	struct fx	*f = *state;
	struct vpair	 p;
	unsigned char	 page[4096], got[4096];
	int		 fd;

	vpair_open(&p, f->path);
	vpair_write_lock(&p, true);
	vpair_frame(&p, 32, 0, 'A');	/* a frame of a spill: held */
	vpair_write_lock(&p, false);
	/* Another writer's frame page at the same place. */
	memset(page, 'B', sizeof(page));
	assert_true((fd = open(p.walpath, O_WRONLY)) >= 0);
	assert_int_equal(pwrite(fd, page, sizeof(page), 56), 4096);
	close(fd);
	assert_int_equal(p.wal->pMethods->xSync(p.wal, SQLITE_SYNC_NORMAL),
	    SQLITE_OK);
	file_page(p.walpath, 56, got);
	assert_memory_equal(got, page, sizeof(page));
	vpair_close(&p);
}

/*
 * The frames written that way are the frames SQLite would have written: a
 * copy of the database and its WAL, taken before any checkpoint (as a
 * power loss would leave them), recovers every commit from the WAL.
 */
static int
copy_file(const char *from, const char *to)
{
	char	 buf[8192];
	FILE	*in, *out;
	size_t	 n;
	int	 rc = 0;

	if ((in = fopen(from, "rb")) == NULL)
		return -1;
	if ((out = fopen(to, "wb")) == NULL) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	fclose(in);
	if (fclose(out) != 0)
		rc = -1;
	return rc;
}

static void
test_store_wal_copy_recovers_every_commit(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;
	char			 tp[32], dir[64], db[128], from[160], to[160];
	struct store		*st2;
	char			 err[256];

	assert_int_equal(store_set_group_commit(f->st), STORE_OK);
	for (int i = 0; i < 50; i++) {
		snprintf(tp, sizeof(tp), "tp-copy-%d", i);
		assert_int_equal(make_account(f->st, tp, &a), STORE_OK);
		acme_account_clear(&a);
	}
	assert_int_equal(store_sync(f->st), STORE_OK);
	snprintf(dir, sizeof(dir), "/tmp/test_store_copy.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/localacme.db", dir);
	assert_int_equal(copy_file(f->path, db), 0);
	snprintf(from, sizeof(from), "%s-wal", f->path);
	snprintf(to, sizeof(to), "%s-wal", db);
	assert_int_equal(copy_file(from, to), 0);
	/* No -shm: opening rebuilds the index from the frame headers. */
	assert_non_null(st2 = store_open(db, err, sizeof(err)));
	store_close(st2);
	assert_int_equal(count_rows(db,
	    "SELECT count(*) FROM accounts WHERE thumbprint LIKE 'tp-copy-%'"),
	    50);
	unlink(db);
	unlink(to);
	snprintf(to, sizeof(to), "%s-shm", db);
	unlink(to);
	rmdir(dir);
}

/*
 * store_read_begin: the reads that follow share one snapshot; a write
 * (store_begin or an autocommit one) ends it first, and store_read_end
 * lets a checkpoint pass it.
 */
static void
test_store_read_snapshot_ends_at_write_and_read_end(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a, b, got;
	sqlite3			*db = NULL;
	int			 log = -1, done = -1;

	assert_int_equal(make_account(f->st, "tp-snap-a", &a), STORE_OK);
	assert_int_equal(store_read_begin(f->st), STORE_OK);
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_account_get(f->st, a.id, &got), STORE_OK);
	acme_account_clear(&got);
	/* Snapshot open: a full checkpoint cannot pass the reader. */
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "INSERT INTO meta (key, value) VALUES ('snap-test', '1')", NULL,
	    NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_wal_checkpoint_v2(db, "main",
	    SQLITE_CHECKPOINT_PASSIVE, &log, &done), SQLITE_OK);
	assert_true(log > 0 && done < log);
	/* A write ends it: the account is committed and visible at once. */
	assert_int_equal(make_account(f->st, "tp-snap-b", &b), STORE_OK);
	assert_int_equal(count_rows(f->path,
	    "SELECT count(*) FROM accounts WHERE thumbprint = 'tp-snap-b'"), 1);
	/* Again, ended by store_read_end: the checkpoint now gets through. */
	assert_int_equal(store_read_begin(f->st), STORE_OK);
	assert_int_equal(store_account_get(f->st, b.id, &got), STORE_OK);
	acme_account_clear(&got);
	store_read_end(f->st);
	assert_int_equal(sqlite3_wal_checkpoint_v2(db, "main",
	    SQLITE_CHECKPOINT_PASSIVE, &log, &done), SQLITE_OK);
	assert_true(log > 0);
	assert_int_equal(done, log);
	/* A write statement outside store_begin ends it too. */
	assert_int_equal(store_read_begin(f->st), STORE_OK);
	assert_int_equal(store_account_get(f->st, b.id, &got), STORE_OK);
	acme_account_clear(&got);
	assert_int_equal(store_account_set_status(f->st, b.id,
	    ACME_ACCOUNT_VALID, ACME_ACCOUNT_DEACTIVATED), STORE_OK);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM accounts "
	    "WHERE thumbprint = 'tp-snap-b' AND status = 'deactivated'"), 1);
	store_read_end(f->st);
	sqlite3_close(db);
	acme_account_clear(&a);
	acme_account_clear(&b);
}

/* Many threads, each with its own durable commit, then store_sync. */
struct syncer {
	struct store	*st;
	pthread_mutex_t	*mu;		/* the caller's serialization */
	int		 n;
	int		 failures;
};

static void *
syncer_run(void *arg)
{
	struct syncer		*s = arg;
	struct acme_account	 a;
	char			 tp[32];

	for (int i = 0; i < 20; i++) {
		snprintf(tp, sizeof(tp), "tp-sync-%d-%d", s->n, i);
		pthread_mutex_lock(s->mu);
		if (make_account(s->st, tp, &a) != STORE_OK)
			s->failures++;
		pthread_mutex_unlock(s->mu);
		acme_account_clear(&a);
		if (store_sync(s->st) != STORE_OK)
			s->failures++;
	}
	return NULL;
}

static void
test_store_group_commit_threads_share_fsyncs(void **state)
{
	struct fx	*f = *state;
	struct syncer	 s[NRACERS];
	pthread_t	 t[NRACERS];
	pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;

	assert_int_equal(store_set_group_commit(f->st), STORE_OK);
	fdatasync_calls = 0;
	for (int i = 0; i < NRACERS; i++) {
		s[i] = (struct syncer){ .st = f->st, .mu = &mu, .n = i };
		assert_int_equal(pthread_create(&t[i], NULL, syncer_run, &s[i]),
		    0);
	}
	for (int i = 0; i < NRACERS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(s[i].failures, 0);
	}
	/* At most one fsync per commit; every row is there. */
	assert_true(fdatasync_calls >= 1);
	assert_true(fdatasync_calls <= NRACERS * 20);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(count_rows(f->path,
	    "SELECT count(*) FROM accounts WHERE thumbprint LIKE 'tp-sync-%'"),
	    NRACERS * 20);
}

static void
test_store_close_null_is_noop(void **state)
{
	(void)state;
	store_close(NULL);
}

/* --- transactions --- */

static void
test_store_tx_rollback_undoes_writes(void **state)
{
	struct fx	*f = *state;
	char		*v = NULL;

	assert_int_equal(store_begin(f->st), STORE_OK);
	assert_int_equal(store_meta_set(f->st, "k", "v"), STORE_OK);
	assert_int_equal(store_rollback(f->st), STORE_OK);
	assert_int_equal(store_tx_depth(f->st), 0);
	assert_int_equal(store_meta_get(f->st, "k", &v), STORE_NOTFOUND);
	assert_null(v);
}

static void
test_store_tx_nested_rollback_undoes_inner_only(void **state)
{
	struct fx	*f = *state;
	char		*v = NULL;

	assert_int_equal(store_begin(f->st), STORE_OK);
	assert_int_equal(store_meta_set(f->st, "outer", "1"), STORE_OK);
	assert_int_equal(store_begin(f->st), STORE_OK);
	assert_int_equal(store_tx_depth(f->st), 2);
	assert_int_equal(store_meta_set(f->st, "inner", "1"), STORE_OK);
	assert_int_equal(store_rollback(f->st), STORE_OK);
	assert_int_equal(store_commit(f->st), STORE_OK);
	assert_int_equal(store_tx_depth(f->st), 0);
	assert_int_equal(store_meta_get(f->st, "outer", &v), STORE_OK);
	free(v);
	v = NULL;
	assert_int_equal(store_meta_get(f->st, "inner", &v), STORE_NOTFOUND);
}

static void
test_store_tx_failed_call_in_caller_tx_keeps_caller_writes(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a, b;
	char			*v = NULL;

	assert_int_equal(make_account(f->st, "tp-dup", &a), STORE_OK);
	assert_int_equal(store_begin(f->st), STORE_OK);
	assert_int_equal(store_meta_set(f->st, "mine", "1"), STORE_OK);
	assert_int_equal(make_account(f->st, "tp-dup", &b), STORE_CONFLICT);
	assert_int_equal(store_commit(f->st), STORE_OK);
	assert_int_equal(store_meta_get(f->st, "mine", &v), STORE_OK);
	free(v);
	acme_account_clear(&a);
	acme_account_clear(&b);
}

static void
test_store_tx_commit_without_begin_errs(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(store_commit(f->st), STORE_ERR);
	assert_true(store_errmsg(f->st)[0] != '\0');
	assert_int_equal(store_rollback(f->st), STORE_ERR);
}

/* --- accounts --- */

static void
test_store_account_create_fills_random_id(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a, b;
	size_t			 i;

	assert_int_equal(make_account(f->st, "tp-1", &a), STORE_OK);
	assert_int_equal(make_account(f->st, "tp-2", &b), STORE_OK);
	assert_int_equal(strlen(a.id), ACME_ID_LEN);
	for (i = 0; i < ACME_ID_LEN; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_", a.id[i]));
	assert_string_not_equal(a.id, b.id);
	acme_account_clear(&a);
	acme_account_clear(&b);
}

static void
test_store_account_get_returns_stored_fields(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a, got = { 0 };

	assert_int_equal(make_account(f->st, "tp-fields", &a), STORE_OK);
	assert_int_equal(store_account_get(f->st, a.id, &got), STORE_OK);
	assert_string_equal(got.id, a.id);
	assert_int_equal(got.status, ACME_ACCOUNT_VALID);
	assert_string_equal(got.jwk, a.jwk);
	assert_string_equal(got.thumbprint, "tp-fields");
	assert_int_equal(got.ncontact, 2);
	assert_string_equal(got.contact[0], "mailto:a@example.test");
	assert_string_equal(got.contact[1], "mailto:b@example.test");
	assert_true(got.tos_agreed);
	assert_string_equal(got.eab_kid, "");
	assert_int_equal(got.created, NOW);
	acme_account_clear(&a);
	acme_account_clear(&got);
}

static void
test_store_account_create_duplicate_thumbprint_conflicts(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a, b;

	assert_int_equal(make_account(f->st, "tp-same", &a), STORE_OK);
	assert_int_equal(make_account(f->st, "tp-same", &b), STORE_CONFLICT);
	assert_string_equal(b.id, "");
	acme_account_clear(&a);
	acme_account_clear(&b);
}

static void
test_store_account_create_newline_contact_errs(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 };

	a.jwk = strdup("{}");
	snprintf(a.thumbprint, sizeof(a.thumbprint), "tp-nl");
	snprintf(a.contact[0], sizeof(a.contact[0]), "mailto:a@x\nmailto:b@y");
	a.ncontact = 1;
	assert_int_equal(store_account_create(f->st, &a), STORE_ERR);
	acme_account_clear(&a);
}

static void
test_store_account_get_unknown_notfound(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 got = { 0 };

	assert_int_equal(store_account_get(f->st, "AAAAAAAAAAAAAAAAAAAAAA",
	    &got), STORE_NOTFOUND);
	assert_null(got.jwk);
	assert_int_equal(store_account_get_by_thumbprint(f->st, "nope", &got),
	    STORE_NOTFOUND);
}

static void
test_store_account_get_by_thumbprint_finds_it(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a, got = { 0 };

	assert_int_equal(make_account(f->st, "tp-find", &a), STORE_OK);
	assert_int_equal(store_account_get_by_thumbprint(f->st, "tp-find",
	    &got), STORE_OK);
	assert_string_equal(got.id, a.id);
	acme_account_clear(&a);
	acme_account_clear(&got);
}

static void
test_store_account_update_contacts_replaces_list(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a, got = { 0 };
	char			 c[1][ACME_CONTACT_SIZE] = {
		"mailto:new@example.test" };

	assert_int_equal(make_account(f->st, "tp-contacts", &a), STORE_OK);
	assert_int_equal(store_account_update_contacts(f->st, a.id,
	    (const char (*)[ACME_CONTACT_SIZE])c, 1), STORE_OK);
	assert_int_equal(store_account_get(f->st, a.id, &got), STORE_OK);
	assert_int_equal(got.ncontact, 1);
	assert_string_equal(got.contact[0], "mailto:new@example.test");
	assert_int_equal(store_account_update_contacts(f->st,
	    "AAAAAAAAAAAAAAAAAAAAAA", NULL, 0), STORE_NOTFOUND);
	acme_account_clear(&a);
	acme_account_clear(&got);
}

static void
test_store_account_set_status_is_compare_and_swap(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;

	assert_int_equal(make_account(f->st, "tp-status", &a), STORE_OK);
	assert_int_equal(store_account_set_status(f->st, a.id,
	    ACME_ACCOUNT_VALID, ACME_ACCOUNT_DEACTIVATED), STORE_OK);
	assert_int_equal(store_account_set_status(f->st, a.id,
	    ACME_ACCOUNT_VALID, ACME_ACCOUNT_DEACTIVATED), STORE_CONFLICT);
	assert_int_equal(store_account_set_status(f->st,
	    "AAAAAAAAAAAAAAAAAAAAAA", ACME_ACCOUNT_VALID,
	    ACME_ACCOUNT_DEACTIVATED), STORE_NOTFOUND);
	acme_account_clear(&a);
}

static void
test_store_account_set_key_swaps_thumbprint(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a, got = { 0 };

	assert_int_equal(make_account(f->st, "tp-old", &a), STORE_OK);
	assert_int_equal(store_account_set_key(f->st, a.id, "tp-old",
	    "{\"new\":1}", "tp-new"), STORE_OK);
	assert_int_equal(store_account_get_by_thumbprint(f->st, "tp-new",
	    &got), STORE_OK);
	assert_string_equal(got.id, a.id);
	assert_string_equal(got.jwk, "{\"new\":1}");
	assert_int_equal(store_account_get_by_thumbprint(f->st, "tp-old",
	    &got), STORE_NOTFOUND);
	acme_account_clear(&a);
	acme_account_clear(&got);
}

static void
test_store_account_set_key_taken_key_conflicts(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a, b, got = { 0 };

	assert_int_equal(make_account(f->st, "tp-a", &a), STORE_OK);
	assert_int_equal(make_account(f->st, "tp-b", &b), STORE_OK);
	assert_int_equal(store_account_set_key(f->st, a.id, "tp-a", "{}",
	    "tp-b"), STORE_CONFLICT);
	assert_int_equal(store_account_get(f->st, a.id, &got), STORE_OK);
	assert_string_equal(got.thumbprint, "tp-a");
	acme_account_clear(&a);
	acme_account_clear(&b);
	acme_account_clear(&got);
}

static void
test_store_account_set_key_stale_old_key_notfound(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;

	assert_int_equal(make_account(f->st, "tp-r1", &a), STORE_OK);
	assert_int_equal(store_account_set_key(f->st, a.id, "tp-r1", "{}",
	    "tp-r2"), STORE_OK);
	/* HARDENING R13: the second of two racing rollovers loses. */
	assert_int_equal(store_account_set_key(f->st, a.id, "tp-r1", "{}",
	    "tp-r3"), STORE_NOTFOUND);
	acme_account_clear(&a);
}

/* --- orders --- */

static void
test_store_order_create_new_authzs_pending(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test", "b.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[2], got = { 0 };

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(f->st, a.id, names, 2, &o, az), STORE_OK);
	assert_int_equal(strlen(o.id), ACME_ID_LEN);
	assert_int_equal(o.status, ACME_ORDER_PENDING);
	assert_string_equal(o.authz_ids[0], az[0].id);
	assert_string_equal(o.authz_ids[1], az[1].id);
	assert_string_equal(az[0].account_id, a.id);
	assert_int_equal(strlen(az[1].chall[1].id), ACME_ID_LEN);
	assert_string_equal(az[1].chall[1].authz_id, az[1].id);
	assert_int_equal(store_authz_get(f->st, az[1].id, &got), STORE_OK);
	assert_string_equal(got.ident.value, "b.test");
	assert_int_equal(got.status, ACME_AUTHZ_PENDING);
	assert_int_equal(got.nchall, 2);
	assert_int_equal(got.chall[0].type, ACME_CHALL_HTTP01);
	assert_string_equal(got.chall[1].token, az[1].chall[1].token);
	acme_account_clear(&a);
	acme_order_clear(&o);
}

static void
test_store_order_get_returns_identifiers(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "x.test", "y.test", "z.test" };
	struct acme_account	 a;
	struct acme_order	 o, got = { 0 };
	struct acme_authz	 az[3];

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(f->st, a.id, names, 3, &o, az), STORE_OK);
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_OK);
	assert_string_equal(got.account_id, a.id);
	assert_int_equal(got.status, ACME_ORDER_PENDING);
	assert_int_equal(got.created, NOW);
	assert_int_equal(got.expires, NOW + HOUR);
	assert_int_equal(got.nident, 3);
	assert_string_equal(got.idents[2].value, "z.test");
	assert_string_equal(got.authz_ids[2], az[2].id);
	assert_string_equal(got.cert_serial, "");
	assert_false(got.error.set);
	acme_account_clear(&a);
	acme_order_clear(&o);
	acme_order_clear(&got);
}

static void
test_store_order_get_unknown_notfound(void **state)
{
	struct fx		*f = *state;
	struct acme_order	 got = { 0 };

	assert_int_equal(store_order_get(f->st, "AAAAAAAAAAAAAAAAAAAAAA", &got),
	    STORE_NOTFOUND);
	assert_null(got.idents);
}

static void
test_store_order_create_reusing_valid_authz_is_ready(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 };
	struct acme_order	 o1 = { 0 }, o2 = { 0 };
	struct acme_authz	 az;
	struct acme_identifier	 id = { ACME_IDENT_DNS, "ready.example.test" };

	ready_order(f->st, &a, &o1);
	assert_int_equal(store_authz_find_valid(f->st, a.id, &id, false, NOW,
	    &az), STORE_OK);
	assert_int_equal(acme_order_alloc_idents(&o2, 1), 0);
	snprintf(o2.account_id, sizeof(o2.account_id), "%s", a.id);
	o2.expires = NOW + HOUR;
	o2.idents[0] = id;
	assert_int_equal(store_order_create(f->st, &o2, &az, 1), STORE_OK);
	assert_int_equal(o2.status, ACME_ORDER_READY);
	assert_string_equal(o2.authz_ids[0], o1.authz_ids[0]);
	assert_int_equal(az.status, ACME_AUTHZ_VALID);
	acme_account_clear(&a);
	acme_order_clear(&o1);
	acme_order_clear(&o2);
}

static void
test_store_order_create_other_accounts_authz_notfound(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 }, b;
	struct acme_order	 o1 = { 0 }, o2 = { 0 };
	struct acme_authz	 az = { 0 };

	ready_order(f->st, &a, &o1);
	assert_int_equal(make_account(f->st, "tp-other", &b), STORE_OK);
	assert_int_equal(acme_order_alloc_idents(&o2, 1), 0);
	snprintf(o2.account_id, sizeof(o2.account_id), "%s", b.id);
	o2.expires = NOW + HOUR;
	snprintf(o2.idents[0].value, sizeof(o2.idents[0].value),
	    "ready.example.test");
	snprintf(az.id, sizeof(az.id), "%s", o1.authz_ids[0]);
	assert_int_equal(store_order_create(f->st, &o2, &az, 1),
	    STORE_NOTFOUND);
	assert_string_equal(o2.id, "");
	acme_account_clear(&a);
	acme_account_clear(&b);
	acme_order_clear(&o1);
	acme_order_clear(&o2);
}

static void
test_store_order_create_deactivated_account_conflicts(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[1];

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(store_account_set_status(f->st, a.id,
	    ACME_ACCOUNT_VALID, ACME_ACCOUNT_DEACTIVATED), STORE_OK);
	/* HARDENING X22: no order after the deactivation commit. */
	assert_int_equal(make_order(f->st, a.id, names, 1, &o, az),
	    STORE_CONFLICT);
	assert_string_equal(az[0].id, "");
	acme_account_clear(&a);
	acme_order_clear(&o);
}

static void
test_store_order_create_unknown_account_notfound(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test" };
	struct acme_order	 o;
	struct acme_authz	 az[1];

	assert_int_equal(make_order(f->st, "AAAAAAAAAAAAAAAAAAAAAA", names, 1,
	    &o, az), STORE_NOTFOUND);
	acme_order_clear(&o);
}

static void
test_store_order_create_duplicate_token_leaves_nothing(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test", "b.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[2];
	size_t			 n = 99;

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	memset(&o, 0, sizeof(o));
	assert_int_equal(acme_order_alloc_idents(&o, 2), 0);
	snprintf(o.account_id, sizeof(o.account_id), "%s", a.id);
	o.expires = NOW + HOUR;
	fill_authz(&az[0], names[0], NOW + HOUR);
	fill_authz(&az[1], names[1], NOW + HOUR);
	memcpy(az[1].chall[0].token, az[0].chall[0].token, ACME_TOKEN_SIZE);
	assert_int_equal(store_order_create(f->st, &o, az, 2), STORE_CONFLICT);
	assert_int_equal(store_tx_depth(f->st), 0);
	assert_int_equal(store_authz_count_pending(f->st, a.id, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_order_count_since(f->st, a.id, 0, &n), STORE_OK);
	assert_int_equal(n, 0);
	acme_account_clear(&a);
	acme_order_clear(&o);
}

static void
test_store_order_list_pages_in_creation_order(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test" };
	struct acme_account	 a;
	struct acme_order	 o[5];
	struct acme_authz	 az[1];
	char			 ids[2][ACME_ID_SIZE], cursor[ACME_ID_SIZE] = "";
	char			 seen[5][ACME_ID_SIZE];
	size_t			 i, n, total = 0, pages = 0;

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	for (i = 0; i < 5; i++) {
		assert_int_equal(make_order(f->st, a.id, names, 1, &o[i], az),
		    STORE_OK);
	}
	do {
		assert_int_equal(store_order_list(f->st, a.id, cursor, 2, ids,
		    &n, cursor, sizeof(cursor)), STORE_OK);
		for (i = 0; i < n; i++)
			memcpy(seen[total++], ids[i], ACME_ID_SIZE);
		pages++;
	} while (cursor[0] != '\0' && pages < 10);
	assert_int_equal(pages, 3);
	assert_int_equal(total, 5);
	/* Same created time: (created, id) order, so sorted by id. */
	for (i = 1; i < 5; i++)
		assert_true(strcmp(seen[i - 1], seen[i]) < 0);
	for (i = 0; i < 5; i++)
		acme_order_clear(&o[i]);
	acme_account_clear(&a);
}

static void
test_store_order_list_bad_cursor_notfound(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;
	char			 ids[2][ACME_ID_SIZE], next[ACME_ID_SIZE];
	size_t			 n;

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(store_order_list(f->st, a.id,
	    "AAAAAAAAAAAAAAAAAAAAAA", 2, ids, &n, next, sizeof(next)),
	    STORE_NOTFOUND);
	acme_account_clear(&a);
}

static void
test_store_order_count_since_counts_window(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[1];
	size_t			 n;

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(f->st, a.id, names, 1, &o, az), STORE_OK);
	assert_int_equal(store_order_count_since(f->st, a.id, NOW, &n),
	    STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_order_count_since(f->st, a.id, NOW + 1, &n),
	    STORE_OK);
	assert_int_equal(n, 0);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

static void
test_store_order_set_status_is_compare_and_swap(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[1];

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(f->st, a.id, names, 1, &o, az), STORE_OK);
	assert_int_equal(store_order_set_status(f->st, o.id, ACME_ORDER_READY,
	    ACME_ORDER_PROCESSING), STORE_CONFLICT);
	assert_int_equal(store_order_set_status(f->st, o.id,
	    ACME_ORDER_PENDING, ACME_ORDER_INVALID), STORE_OK);
	assert_int_equal(store_order_set_status(f->st,
	    "AAAAAAAAAAAAAAAAAAAAAA", ACME_ORDER_PENDING, ACME_ORDER_INVALID),
	    STORE_NOTFOUND);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

static void
test_store_order_set_error_records_error(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test" };
	struct acme_account	 a;
	struct acme_order	 o, got = { 0 };
	struct acme_authz	 az[1];
	struct acme_error	 e = { true, 5, 400, "bad CSR" };

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(f->st, a.id, names, 1, &o, az), STORE_OK);
	assert_int_equal(store_order_set_error(f->st, o.id, ACME_ORDER_INVALID,
	    &e), STORE_OK);
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ORDER_INVALID);
	assert_true(got.error.set);
	assert_int_equal(got.error.type, 5);
	assert_int_equal(got.error.status, 400);
	assert_string_equal(got.error.detail, "bad CSR");
	/* A final order keeps its state. */
	assert_int_equal(store_order_set_error(f->st, o.id, ACME_ORDER_PENDING,
	    NULL), STORE_CONFLICT);
	acme_order_clear(&o);
	acme_order_clear(&got);
	acme_account_clear(&a);
}

/* --- crash-safe issuance --- */

static void
test_store_begin_processing_ready_order_moves_to_processing(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 };
	struct acme_order	 o, got = { 0 };
	bool			 sc = true;

	ready_order(f->st, &a, &o);
	assert_int_equal(store_order_begin_processing(f->st, o.id, "01aa", &sc),
	    STORE_OK);
	assert_false(sc);
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ORDER_PROCESSING);
	/* The serial is recorded: it can never be reserved again (I3). */
	assert_int_equal(store_serial_reserve(f->st, "01aa", NULL),
	    STORE_CONFLICT);
	acme_order_clear(&o);
	acme_order_clear(&got);
	acme_account_clear(&a);
}

static void
test_store_begin_processing_twice_conflicts(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 };
	struct acme_order	 o;
	bool			 sc = true;

	ready_order(f->st, &a, &o);
	assert_int_equal(store_order_begin_processing(f->st, o.id, "01aa", &sc),
	    STORE_OK);
	assert_int_equal(store_order_begin_processing(f->st, o.id, "01bb", &sc),
	    STORE_CONFLICT);
	assert_false(sc);
	/* The loser's serial was not recorded. */
	assert_int_equal(store_serial_reserve(f->st, "01bb", NULL), STORE_OK);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

static void
test_store_begin_processing_used_serial_conflicts_order_stays_ready(
    void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 };
	struct acme_order	 o, got = { 0 };
	bool			 sc = false;

	ready_order(f->st, &a, &o);
	assert_int_equal(store_serial_reserve(f->st, "01cc", NULL), STORE_OK);
	assert_int_equal(store_order_begin_processing(f->st, o.id, "01cc", &sc),
	    STORE_CONFLICT);
	assert_true(sc);
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ORDER_READY);
	acme_order_clear(&o);
	acme_order_clear(&got);
	acme_account_clear(&a);
}

/*
 * RFC 8555 §11.1 in the reservation's transaction: a key an account has
 * conflicts (key_is_account), and nothing changes: the order stays
 * ready, the serial unused; another key reserves as before.
 */
static void
test_store_begin_processing_key_of_an_account_conflicts(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 }, b;
	struct acme_order	 o, got = { 0 };
	bool			 sc = true, ka = false;

	ready_order(f->st, &a, &o);
	assert_int_equal(make_account(f->st, "tp-other", &b), STORE_OK);
	assert_int_equal(store_order_begin_processing_key(f->st, o.id, "01ee",
	    "tp-other", &sc, &ka), STORE_CONFLICT);
	assert_true(ka);
	assert_false(sc);
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ORDER_READY);
	acme_order_clear(&got);
	assert_int_equal(store_order_begin_processing_key(f->st, o.id, "01ee",
	    "tp-no-account", &sc, &ka), STORE_OK);
	assert_false(ka);
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ORDER_PROCESSING);
	acme_order_clear(&o);
	acme_order_clear(&got);
	acme_account_clear(&a);
	acme_account_clear(&b);
}

static void
test_store_begin_processing_pending_order_conflicts(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[1];
	bool			 sc = true;

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(f->st, a.id, names, 1, &o, az), STORE_OK);
	assert_int_equal(store_order_begin_processing(f->st, o.id, "01dd", &sc),
	    STORE_CONFLICT);
	assert_false(sc);
	assert_int_equal(store_order_begin_processing(f->st,
	    "AAAAAAAAAAAAAAAAAAAAAA", "01ee", NULL), STORE_NOTFOUND);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

static void
test_store_order_finish_stores_cert_and_validates(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 };
	struct acme_order	 o, got = { 0 };
	struct acme_cert	 c, gc = { 0 };

	ready_order(f->st, &a, &o);
	assert_int_equal(store_order_begin_processing(f->st, o.id, "01aa",
	    NULL), STORE_OK);
	fill_cert(&c, "01aa");
	assert_int_equal(store_order_finish(f->st, o.id, &c), STORE_OK);
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ORDER_VALID);
	assert_string_equal(got.cert_serial, "01aa");
	assert_int_equal(store_cert_get(f->st, "01aa", &gc), STORE_OK);
	assert_string_equal(gc.order_id, o.id);
	assert_string_equal(gc.account_id, a.id);
	assert_string_equal(gc.pem, c.pem);
	assert_string_equal(gc.chain_pem, c.chain_pem);
	assert_string_equal(gc.names, "ready.example.test");
	assert_string_equal(gc.source, "acme");
	assert_int_equal(gc.status, ACME_CERT_VALID);
	assert_int_equal(gc.not_after, c.not_after);
	/* The serial is issued, no longer reserved. */
	assert_int_equal(store_serial_fail(f->st, "01aa"), STORE_CONFLICT);
	acme_cert_clear(&c);
	acme_cert_clear(&gc);
	acme_order_clear(&o);
	acme_order_clear(&got);
	acme_account_clear(&a);
}

static void
test_store_order_finish_other_serial_conflicts(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 };
	struct acme_order	 o, got = { 0 };
	struct acme_cert	 c;
	size_t			 n = 9;

	ready_order(f->st, &a, &o);
	assert_int_equal(store_order_begin_processing(f->st, o.id, "01aa",
	    NULL), STORE_OK);
	assert_int_equal(store_serial_reserve(f->st, "01ff", NULL), STORE_OK);
	fill_cert(&c, "01ff");
	assert_int_equal(store_order_finish(f->st, o.id, &c), STORE_CONFLICT);
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ORDER_PROCESSING);
	assert_int_equal(store_cert_count(f->st, &n), STORE_OK);
	assert_int_equal(n, 0);
	acme_cert_clear(&c);
	acme_order_clear(&o);
	acme_order_clear(&got);
	acme_account_clear(&a);
}

static void
test_store_order_fail_invalidates_and_fails_serial(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 };
	struct acme_order	 o, got = { 0 };
	struct acme_error	 e = { true, 1, 500, "signing failed" };

	ready_order(f->st, &a, &o);
	assert_int_equal(store_order_begin_processing(f->st, o.id, "01aa",
	    NULL), STORE_OK);
	assert_int_equal(store_order_fail(f->st, o.id, &e, false), STORE_OK);
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ORDER_INVALID);
	assert_string_equal(got.error.detail, "signing failed");
	assert_int_equal(store_serial_fail(f->st, "01aa"), STORE_CONFLICT);
	assert_int_equal(store_order_fail(f->st, o.id, &e, false),
	    STORE_CONFLICT);
	acme_order_clear(&o);
	acme_order_clear(&got);
	acme_account_clear(&a);
}

static void
test_store_order_fail_may_exist_keeps_serial_reserved(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 };
	struct acme_order	 o;
	struct acme_error	 e = { true, 1, 500, "store failed" };

	ready_order(f->st, &a, &o);
	assert_int_equal(store_order_begin_processing(f->st, o.id, "01aa",
	    NULL), STORE_OK);
	assert_int_equal(store_order_fail(f->st, o.id, &e, true), STORE_OK);
	/* Still reserved: this call can move it on, and only this once. */
	assert_int_equal(store_serial_fail(f->st, "01aa"), STORE_OK);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

static void
test_store_recover_processing_invalidates_stuck_orders(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 };
	struct acme_order	 o, got = { 0 };
	struct acme_error	 e = { true, 24, 500, "server restarted" };
	char			 err[256];
	size_t			 n = 0;

	ready_order(f->st, &a, &o);
	assert_int_equal(store_order_begin_processing(f->st, o.id, "01aa",
	    NULL), STORE_OK);
	/* "Crash": drop the connection, as a restart would. */
	store_close(f->st);
	f->st = store_open(f->path, err, sizeof(err));
	assert_non_null(f->st);
	assert_int_equal(store_recover_processing(f->st, time(NULL), &recovery,
	    &e, &n),
	    STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ORDER_INVALID);
	assert_true(got.error.set);
	assert_int_equal(got.error.type, 24);
	assert_string_equal(got.error.detail, "server restarted");
	/* HARDENING I2: the serial "may exist", so it stays reserved. */
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM serials "
	    "WHERE serial = '01aa' AND state = 'reserved'"), 1);
	acme_order_clear(&o);
	acme_order_clear(&got);
	acme_account_clear(&a);
}

static void
test_store_recover_processing_resets_processing_challenges(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[1];
	struct acme_challenge	 c;
	struct acme_error	 e = { true, 24, 500, "restart" };

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(f->st, a.id, names, 1, &o, az), STORE_OK);
	assert_int_equal(store_challenge_begin(f->st, az[0].chall[0].id),
	    STORE_OK);
	assert_int_equal(store_recover_processing(f->st, NOW, &recovery, &e,
	    NULL),
	    STORE_OK);
	assert_int_equal(store_challenge_get(f->st, az[0].chall[0].id, &c,
	    NULL), STORE_OK);
	assert_int_equal(c.status, ACME_CHALL_PENDING);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

static void
test_store_order_finish_trigger_failure_keeps_intent(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 };
	struct acme_order	 o, got = { 0 };
	struct acme_cert	 c;
	bool			 ok = false;

	ready_order(f->st, &a, &o);
	assert_int_equal(store_order_begin_processing(f->st, o.id, "01aa",
	    NULL), STORE_OK);
	/* HARDENING X13 (Boulder's TestIssuanceCertStorageFailed). */
	assert_int_equal(raw_exec(f->path, "CREATE TRIGGER nocert BEFORE "
	    "INSERT ON certificates BEGIN SELECT RAISE(ABORT, 'no'); END"), 0);
	fill_cert(&c, "01aa");
	assert_int_equal(store_order_finish(f->st, o.id, &c), STORE_ERR);
	assert_true(store_errmsg(f->st)[0] != '\0');
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ORDER_PROCESSING);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM serials "
	    "WHERE serial = '01aa' AND state = 'reserved'"), 1);
	assert_int_equal(store_integrity_check(f->st, &ok), STORE_OK);
	assert_true(ok);
	acme_cert_clear(&c);
	acme_order_clear(&o);
	acme_order_clear(&got);
	acme_account_clear(&a);
}

struct race {
	const char		*path;
	const char		*order_id;
	const char		*thumbprint;	/* account race when set */
	pthread_barrier_t	*barrier;
	int			 idx;
	enum store_status	 rc;
	bool			 serial_conflict;
};

static void *
racer(void *arg)
{
	struct race		*r = arg;
	struct store		*st;
	struct acme_account	 a;
	char			 err[256], serial[ACME_SERIAL_SIZE];

	r->rc = STORE_ERR;
	st = store_open(r->path, err, sizeof(err));
	pthread_barrier_wait(r->barrier);
	if (st == NULL)
		return NULL;
	if (r->thumbprint != NULL) {
		r->rc = make_account(st, r->thumbprint, &a);
		acme_account_clear(&a);
	} else {
		snprintf(serial, sizeof(serial), "02%02x", r->idx);
		r->rc = store_order_begin_processing(st, r->order_id, serial,
		    &r->serial_conflict);
	}
	store_close(st);
	return NULL;
}

static void
run_race(struct race *r)
{
	pthread_t		 t[NRACERS];
	pthread_barrier_t	 barrier;
	int			 i;

	assert_int_equal(pthread_barrier_init(&barrier, NULL, NRACERS), 0);
	for (i = 0; i < NRACERS; i++) {
		r[i].barrier = &barrier;
		r[i].idx = i;
		assert_int_equal(pthread_create(&t[i], NULL, racer, &r[i]), 0);
	}
	for (i = 0; i < NRACERS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&barrier);
}

static void
test_store_begin_processing_racing_threads_one_wins(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 };
	struct acme_order	 o;
	struct race		 r[NRACERS];
	int			 i, won = 0, lost = 0;

	ready_order(f->st, &a, &o);
	/*
	 * A ready order lives in its connection's memory (store_pending.c);
	 * the racers are other connections, so put it in the file first, as
	 * an older version's database holds it.
	 */
	assert_int_equal(store_begin(f->st), STORE_OK);
	assert_int_equal(store_pending_move(f->st, o.id), STORE_OK);
	assert_int_equal(store_commit(f->st), STORE_OK);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM orders "
	    "WHERE status = 'ready'"), 1);
	memset(r, 0, sizeof(r));
	for (i = 0; i < NRACERS; i++) {
		r[i].path = f->path;
		r[i].order_id = o.id;
	}
	run_race(r);
	for (i = 0; i < NRACERS; i++) {
		if (r[i].rc == STORE_OK)
			won++;
		else if (r[i].rc == STORE_CONFLICT && !r[i].serial_conflict)
			lost++;
	}
	/* HARDENING X18: exactly one finalize, one serial. */
	assert_int_equal(won, 1);
	assert_int_equal(lost, NRACERS - 1);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM serials"),
	    1);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

static void
test_store_account_create_racing_threads_one_row(void **state)
{
	struct fx		*f = *state;
	struct race		 r[NRACERS];
	int			 i, won = 0, lost = 0;

	memset(r, 0, sizeof(r));
	for (i = 0; i < NRACERS; i++) {
		r[i].path = f->path;
		r[i].thumbprint = "tp-race";
	}
	run_race(r);
	for (i = 0; i < NRACERS; i++) {
		won += r[i].rc == STORE_OK;
		lost += r[i].rc == STORE_CONFLICT;
	}
	/* HARDENING X19, I6. */
	assert_int_equal(won, 1);
	assert_int_equal(lost, NRACERS - 1);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM accounts"),
	    1);
}

/* --- authorizations and challenges --- */

static void
test_store_challenge_get_fills_authz(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[1], gaz = { 0 };
	struct acme_challenge	 c;

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(f->st, a.id, names, 1, &o, az), STORE_OK);
	assert_int_equal(store_challenge_get(f->st, az[0].chall[1].id, &c,
	    &gaz), STORE_OK);
	assert_string_equal(c.token, az[0].chall[1].token);
	assert_int_equal(c.type, ACME_CHALL_DNS01);
	assert_int_equal(c.status, ACME_CHALL_PENDING);
	assert_string_equal(gaz.id, az[0].id);
	assert_int_equal(gaz.nchall, 2);
	assert_int_equal(store_challenge_get(f->st, "AAAAAAAAAAAAAAAAAAAAAA",
	    &c, NULL), STORE_NOTFOUND);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

static void
test_store_challenge_begin_claims_once_per_authz(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[1];

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(f->st, a.id, names, 1, &o, az), STORE_OK);
	assert_int_equal(store_challenge_begin(f->st, az[0].chall[0].id),
	    STORE_OK);
	/* HARDENING X20: the same challenge and its sibling both refuse. */
	assert_int_equal(store_challenge_begin(f->st, az[0].chall[0].id),
	    STORE_CONFLICT);
	assert_int_equal(store_challenge_begin(f->st, az[0].chall[1].id),
	    STORE_CONFLICT);
	assert_int_equal(store_challenge_begin(f->st, "AAAAAAAAAAAAAAAAAAAAAA"),
	    STORE_NOTFOUND);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

/*
 * The challenge's compare-and-set alone: it writes status, validated and
 * error, names the authz, and changes nothing else (the authz and the
 * orders follow in the RA: test_ra_state.c).
 */
static void
test_store_challenge_set_status_records_result_only(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test", "b.test" };
	struct acme_account	 a;
	struct acme_order	 o, got = { 0 };
	struct acme_authz	 az[2], gaz = { 0 };
	struct acme_challenge	 c;
	struct acme_error	 e = { true, 19, 403, "wrong key authorization" };
	char			 authz_id[ACME_ID_SIZE];

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(f->st, a.id, names, 2, &o, az), STORE_OK);
	assert_int_equal(store_challenge_begin(f->st, az[1].chall[1].id),
	    STORE_OK);
	assert_int_equal(store_challenge_set_status(f->st, az[1].chall[1].id,
	    ACME_CHALL_PROCESSING, ACME_CHALL_VALID, NULL, NOW + 5, authz_id),
	    STORE_OK);
	assert_string_equal(authz_id, az[1].id);
	assert_int_equal(store_authz_get(f->st, az[1].id, &gaz), STORE_OK);
	assert_int_equal(gaz.status, ACME_AUTHZ_PENDING);
	assert_int_equal(gaz.chall[1].status, ACME_CHALL_VALID);
	assert_int_equal(gaz.chall[1].validated, NOW + 5);
	assert_false(gaz.chall[1].error.set);
	assert_int_equal(gaz.chall[0].status, ACME_CHALL_PENDING);
	assert_int_equal(store_challenge_begin(f->st, az[0].chall[0].id),
	    STORE_OK);
	assert_int_equal(store_challenge_set_status(f->st, az[0].chall[0].id,
	    ACME_CHALL_PROCESSING, ACME_CHALL_INVALID, &e, 0, NULL), STORE_OK);
	assert_int_equal(store_challenge_get(f->st, az[0].chall[0].id, &c,
	    NULL), STORE_OK);
	assert_int_equal(c.status, ACME_CHALL_INVALID);
	assert_int_equal(c.validated, 0);
	assert_true(c.error.set);
	assert_string_equal(c.error.detail, "wrong key authorization");
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ORDER_PENDING);
	acme_order_clear(&o);
	acme_order_clear(&got);
	acme_account_clear(&a);
}

static void
test_store_challenge_set_status_not_processing_conflicts(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test" };
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 az[1];

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(f->st, a.id, names, 1, &o, az), STORE_OK);
	assert_int_equal(store_challenge_set_status(f->st, az[0].chall[0].id,
	    ACME_CHALL_PROCESSING, ACME_CHALL_VALID, NULL, NOW, NULL),
	    STORE_CONFLICT);
	assert_int_equal(store_challenge_set_status(f->st,
	    "AAAAAAAAAAAAAAAAAAAAAA", ACME_CHALL_PROCESSING, ACME_CHALL_VALID,
	    NULL, NOW, NULL), STORE_NOTFOUND);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

static void
test_store_authz_get_unknown_notfound(void **state)
{
	struct fx		*f = *state;
	struct acme_authz	 az;

	assert_int_equal(store_authz_get(f->st, "AAAAAAAAAAAAAAAAAAAAAA", &az),
	    STORE_NOTFOUND);
}

/* The authz's compare-and-set alone: its orders keep their status. */
static void
test_store_authz_set_status_is_compare_and_swap(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 };
	struct acme_order	 o, got = { 0 };

	ready_order(f->st, &a, &o);
	assert_int_equal(store_authz_set_status(f->st, o.authz_ids[0],
	    ACME_AUTHZ_VALID, ACME_AUTHZ_DEACTIVATED), STORE_OK);
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ORDER_READY);
	assert_int_equal(store_authz_set_status(f->st, o.authz_ids[0],
	    ACME_AUTHZ_VALID, ACME_AUTHZ_DEACTIVATED), STORE_CONFLICT);
	assert_int_equal(store_authz_set_status(f->st,
	    "AAAAAAAAAAAAAAAAAAAAAA", ACME_AUTHZ_VALID,
	    ACME_AUTHZ_DEACTIVATED), STORE_NOTFOUND);
	acme_order_clear(&o);
	acme_order_clear(&got);
	acme_account_clear(&a);
}

/* The typed read of the cascade: each order, its status, all authzs valid. */
static void
test_store_orders_of_authz_reports_status_and_all_valid(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test", "b.test" };
	struct acme_account	 a;
	struct acme_order	 o, o2 = { 0 };
	struct acme_authz	 az[2], reuse;
	struct store_authz_order *v = NULL;
	size_t			 n = 9, i;
	bool			 seen[2] = { false, false };

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(f->st, a.id, names, 2, &o, az), STORE_OK);
	assert_int_equal(store_orders_of_authz(f->st, az[0].id, &v, &n),
	    STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, o.id);
	assert_int_equal(v[0].status, ACME_ORDER_PENDING);
	assert_false(v[0].all_authzs_valid);
	free(v);
	assert_int_equal(store_authz_set_status(f->st, az[0].id,
	    ACME_AUTHZ_PENDING, ACME_AUTHZ_VALID), STORE_OK);
	/* A second order reusing the valid authz: both are reported. */
	assert_int_equal(store_authz_get(f->st, az[0].id, &reuse), STORE_OK);
	assert_int_equal(acme_order_alloc_idents(&o2, 1), 0);
	snprintf(o2.account_id, sizeof(o2.account_id), "%s", a.id);
	o2.expires = NOW + HOUR;
	o2.idents[0] = o.idents[0];
	assert_int_equal(store_order_create(f->st, &o2, &reuse, 1), STORE_OK);
	assert_int_equal(store_orders_of_authz(f->st, az[0].id, &v, &n),
	    STORE_OK);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].id, o.id) == 0) {
			seen[0] = true;
			assert_int_equal(v[i].status, ACME_ORDER_PENDING);
			assert_false(v[i].all_authzs_valid);
		} else {
			assert_string_equal(v[i].id, o2.id);
			seen[1] = true;
			assert_int_equal(v[i].status, ACME_ORDER_READY);
			assert_true(v[i].all_authzs_valid);
		}
	}
	assert_true(seen[0] && seen[1]);
	free(v);
	assert_int_equal(store_orders_of_authz(f->st,
	    "AAAAAAAAAAAAAAAAAAAAAA", &v, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_null(v);
	acme_order_clear(&o);
	acme_order_clear(&o2);
	acme_account_clear(&a);
}

static void
test_store_authz_find_valid_skips_expired_and_wildcard(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 };
	struct acme_order	 o;
	struct acme_authz	 az;
	struct acme_identifier	 id = { ACME_IDENT_DNS, "ready.example.test" };

	ready_order(f->st, &a, &o);
	assert_int_equal(store_authz_find_valid(f->st, a.id, &id, false, NOW,
	    &az), STORE_OK);
	assert_string_equal(az.id, o.authz_ids[0]);
	assert_int_equal(store_authz_find_valid(f->st, a.id, &id, true, NOW,
	    &az), STORE_NOTFOUND);
	assert_int_equal(store_authz_find_valid(f->st, a.id, &id, false,
	    NOW + HOUR, &az), STORE_NOTFOUND);
	assert_int_equal(store_authz_find_pending(f->st, a.id, &id, false, NOW,
	    &az), STORE_NOTFOUND);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

static void
test_store_authz_count_pending_counts_account(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test", "b.test", "c.test" };
	struct acme_account	 a, b;
	struct acme_order	 o;
	struct acme_authz	 az[3];
	size_t			 n = 0;

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(make_account(f->st, "tp2", &b), STORE_OK);
	assert_int_equal(make_order(f->st, a.id, names, 3, &o, az), STORE_OK);
	assert_int_equal(store_authz_count_pending(f->st, a.id, &n), STORE_OK);
	assert_int_equal(n, 3);
	assert_int_equal(store_authz_count_pending(f->st, b.id, &n), STORE_OK);
	assert_int_equal(n, 0);
	acme_order_clear(&o);
	acme_account_clear(&a);
	acme_account_clear(&b);
}

static void
test_store_expire_marks_authzs_and_orders(void **state)
{
	struct fx		*f = *state;
	static const char *const names[] = { "a.test", "b.test" };
	struct acme_account	 a;
	struct acme_order	 o, got = { 0 };
	struct acme_authz	 az[2], gaz = { 0 };
	size_t			 na = 0, no = 0;

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	assert_int_equal(make_order(f->st, a.id, names, 2, &o, az), STORE_OK);
	assert_int_equal(store_expire(f->st, NOW + HOUR - 1, &expiry, &na,
	    &no), STORE_OK);
	assert_int_equal(na, 0);
	assert_int_equal(no, 0);
	assert_int_equal(store_expire(f->st, NOW + HOUR, &expiry, &na, &no),
	    STORE_OK);
	assert_int_equal(na, 2);
	assert_int_equal(no, 1);
	assert_int_equal(store_authz_get(f->st, az[0].id, &gaz), STORE_OK);
	assert_int_equal(gaz.status, ACME_AUTHZ_EXPIRED);
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ORDER_INVALID);
	acme_order_clear(&o);
	acme_order_clear(&got);
	acme_account_clear(&a);
}

/* --- serials and certificates --- */

static void
test_store_serial_reserve_twice_conflicts(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(store_serial_reserve(f->st, "03aa", NULL), STORE_OK);
	assert_int_equal(store_serial_reserve(f->st, "03aa", NULL),
	    STORE_CONFLICT);
}

static void
test_store_cert_insert_unreserved_serial_notfound(void **state)
{
	struct fx		*f = *state;
	struct acme_cert	 c;

	fill_cert(&c, "03bb");
	assert_int_equal(store_cert_insert(f->st, &c), STORE_NOTFOUND);
	acme_cert_clear(&c);
}

static void
test_store_cert_insert_cli_cert_readable(void **state)
{
	struct fx		*f = *state;
	struct acme_cert	 c, got = { 0 };

	assert_int_equal(store_serial_reserve(f->st, "03cc", NULL), STORE_OK);
	fill_cert(&c, "03cc");
	assert_int_equal(store_cert_insert(f->st, &c), STORE_OK);
	assert_int_equal(store_cert_get(f->st, "03cc", &got), STORE_OK);
	assert_string_equal(got.source, "cli");
	assert_string_equal(got.account_id, "");
	assert_string_equal(got.order_id, "");
	assert_string_equal(got.key_thumbprint, "leafkeytp");
	assert_int_equal(got.issued, NOW);
	/* Issued now: a second insert finds it not reserved. */
	assert_int_equal(store_cert_insert(f->st, &c), STORE_CONFLICT);
	acme_cert_clear(&c);
	acme_cert_clear(&got);
}

static void
test_store_cert_get_unknown_notfound(void **state)
{
	struct fx		*f = *state;
	struct acme_cert	 got = { 0 };

	assert_int_equal(store_cert_get(f->st, "ffff", &got), STORE_NOTFOUND);
	assert_null(got.pem);
}

struct listed {
	char	 serials[4][ACME_SERIAL_SIZE];
	size_t	 n;
	size_t	 stop_after;
	bool	 had_pem;
};

static int
list_cb(const struct acme_cert *c, void *arg)
{
	struct listed	*l = arg;

	if (l->n < 4)
		snprintf(l->serials[l->n], ACME_SERIAL_SIZE, "%s", c->serial);
	if (c->pem != NULL)
		l->had_pem = true;
	l->n++;
	return l->n == l->stop_after;
}

static void
insert_cli_cert(struct store *st, const char *serial, time_t issued)
{
	struct acme_cert	 c;

	assert_int_equal(store_serial_reserve(st, serial, NULL), STORE_OK);
	fill_cert(&c, serial);
	c.issued = issued;
	assert_int_equal(store_cert_insert(st, &c), STORE_OK);
	acme_cert_clear(&c);
}

static void
test_store_cert_list_newest_first(void **state)
{
	struct fx	*f = *state;
	struct listed	 l;
	size_t		 n = 0;

	insert_cli_cert(f->st, "04aa", NOW);
	insert_cli_cert(f->st, "04bb", NOW + 20);
	insert_cli_cert(f->st, "04cc", NOW + 10);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_cert_list(f->st, false, list_cb, &l), STORE_OK);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.serials[0], "04bb");
	assert_string_equal(l.serials[1], "04cc");
	assert_string_equal(l.serials[2], "04aa");
	assert_false(l.had_pem);
	assert_int_equal(store_cert_count(f->st, &n), STORE_OK);
	assert_int_equal(n, 3);
}

static void
test_store_cert_list_callback_stops_walk(void **state)
{
	struct fx	*f = *state;
	struct listed	 l;

	insert_cli_cert(f->st, "05aa", NOW);
	insert_cli_cert(f->st, "05bb", NOW + 1);
	memset(&l, 0, sizeof(l));
	l.stop_after = 1;
	assert_int_equal(store_cert_list(f->st, true, list_cb, &l), STORE_OK);
	assert_int_equal(l.n, 1);
	assert_true(l.had_pem);
}

static void
test_store_cert_revoke_twice_conflicts(void **state)
{
	struct fx		*f = *state;
	struct acme_cert	 got = { 0 };

	insert_cli_cert(f->st, "06aa", NOW);
	assert_int_equal(store_cert_revoke(f->st, "06aa", 4, NOW + 5),
	    STORE_OK);
	/* HARDENING V06, X21: alreadyRevoked. */
	assert_int_equal(store_cert_revoke(f->st, "06aa", 1, NOW + 6),
	    STORE_CONFLICT);
	assert_int_equal(store_cert_get(f->st, "06aa", &got), STORE_OK);
	assert_int_equal(got.status, ACME_CERT_REVOKED);
	assert_int_equal(got.revocation_reason, 4);
	assert_int_equal(got.revoked_at, NOW + 5);
	assert_int_equal(store_cert_revoke(f->st, "ffff", 0, NOW),
	    STORE_NOTFOUND);
	acme_cert_clear(&got);
}

/* --- meta, integrity, faults --- */

static void
test_store_meta_set_overwrites(void **state)
{
	struct fx	*f = *state;
	char		*v = NULL;

	assert_int_equal(store_meta_get(f->st, "ca.rotated", &v),
	    STORE_NOTFOUND);
	assert_int_equal(store_meta_set(f->st, "ca.rotated", "1"), STORE_OK);
	assert_int_equal(store_meta_set(f->st, "ca.rotated", "2"), STORE_OK);
	assert_int_equal(store_meta_get(f->st, "ca.rotated", &v), STORE_OK);
	assert_string_equal(v, "2");
	free(v);
}

static void
test_store_integrity_check_fresh_db_ok(void **state)
{
	struct fx	*f = *state;
	bool		 ok = false;

	assert_int_equal(store_integrity_check(f->st, &ok), STORE_OK);
	assert_true(ok);
}

static void
test_store_integrity_check_dangling_reference_not_ok(void **state)
{
	struct fx	*f = *state;
	bool		 ok = true;

	/* Another writer without foreign keys leaves an orphan authz. */
	assert_int_equal(raw_exec(f->path, "INSERT INTO authzs (id, "
	    "account_id, ident_type, ident_value, status, expires) VALUES "
	    "('x', 'nobody', 'dns', 'a.test', 'pending', 0)"), 0);
	assert_int_equal(store_integrity_check(f->st, &ok), STORE_OK);
	assert_false(ok);
}

static void
test_store_full_disk_errs_and_recovers(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a = { 0 };
	char			 tp[32];
	size_t			 i, n = 0;
	bool			 ok = false, full = false;
	enum store_status	 rc = STORE_OK;

	/* HARDENING X10 via max_page_count: SQLITE_FULL. */
	assert_int_equal(store_set_size_limit(f->st, 64 * 1024), STORE_OK);
	for (i = 0; i < 10000 && rc == STORE_OK; i++) {
		snprintf(tp, sizeof(tp), "tp-full-%zu", i);
		rc = make_account(f->st, tp, &a);
		acme_account_clear(&a);
	}
	assert_int_equal(rc, STORE_ERR);
	full = store_err_is_full(f->st);
	assert_true(full);
	assert_int_equal(store_tx_depth(f->st), 0);
	assert_int_equal(store_integrity_check(f->st, &ok), STORE_OK);
	assert_true(ok);
	/* Reads still work, and once space is back, writes do too. */
	assert_int_equal(store_cert_count(f->st, &n), STORE_OK);
	assert_int_equal(store_set_size_limit(f->st, 0), STORE_OK);
	assert_int_equal(make_account(f->st, "tp-after-full", &a), STORE_OK);
	acme_account_clear(&a);
}

/*
 * HARDENING X10 on the path that writes an order to the file: the move
 * of a ready order with a hundred authorizations out of the pending tier
 * (store_pending.c) meets a full disk. Nothing of it reaches the file,
 * the order stays ready in memory, and once space is back it proceeds.
 */
static void
test_store_full_disk_mid_move_leaves_no_partial_rows(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;
	struct acme_order	 o, got = { 0 };
	struct acme_authz	 az[ACME_MAX_IDENTIFIERS];
	const char		*names[ACME_MAX_IDENTIFIERS];
	char			 buf[ACME_MAX_IDENTIFIERS][64];
	size_t			 i;
	bool			 ok = false, sc = true;

	assert_int_equal(make_account(f->st, "tp", &a), STORE_OK);
	memset(&o, 0, sizeof(o));
	assert_int_equal(acme_order_alloc_idents(&o, ACME_MAX_IDENTIFIERS), 0);
	snprintf(o.account_id, sizeof(o.account_id), "%s", a.id);
	o.created = NOW;
	o.expires = NOW + HOUR;
	for (i = 0; i < ACME_MAX_IDENTIFIERS; i++) {
		snprintf(buf[i], sizeof(buf[i]),
		    "host-%03zu.a-rather-long-name.example.test", i);
		names[i] = buf[i];
		o.idents[i].type = ACME_IDENT_DNS;
		snprintf(o.idents[i].value, sizeof(o.idents[i].value), "%s",
		    names[i]);
		fill_authz(&az[i], names[i], NOW + HOUR);
		az[i].status = ACME_AUTHZ_VALID;	/* a ready order */
	}
	assert_int_equal(store_order_create(f->st, &o, az,
	    ACME_MAX_IDENTIFIERS), STORE_OK);
	assert_int_equal(o.status, ACME_ORDER_READY);
	/* Room for a few authzs, not for a hundred with their challenges. */
	assert_int_equal(store_set_size_limit(f->st,
	    (uint64_t)count_rows(f->path, "PRAGMA page_count") *
	    (uint64_t)count_rows(f->path, "PRAGMA page_size") + 8192),
	    STORE_OK);
	assert_int_equal(store_order_begin_processing(f->st, o.id, "03aa",
	    &sc), STORE_ERR);
	assert_true(store_err_is_full(f->st));
	assert_int_equal(store_tx_depth(f->st), 0);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM authzs"), 0);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM orders"), 0);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM serials"), 0);
	assert_int_equal(store_integrity_check(f->st, &ok), STORE_OK);
	assert_true(ok);
	assert_int_equal(store_order_get(f->st, o.id, &got), STORE_OK);
	assert_int_equal(got.status, ACME_ORDER_READY);
	acme_order_clear(&got);
	/* Space back: the same order moves, whole. */
	assert_int_equal(store_set_size_limit(f->st, 0), STORE_OK);
	assert_int_equal(store_order_begin_processing(f->st, o.id, "03aa",
	    &sc), STORE_OK);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM authzs"),
	    ACME_MAX_IDENTIFIERS);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM "
	    "order_identifiers"), ACME_MAX_IDENTIFIERS);
	acme_order_clear(&o);
	acme_account_clear(&a);
}

static void
test_store_locked_db_errs_busy_then_recovers(void **state)
{
	struct fx		*f = *state;
	struct store		*other;
	struct acme_account	 a;
	char			 err[256];

	other = store_open(f->path, err, sizeof(err));
	assert_non_null(other);
	assert_int_equal(store_begin(other), STORE_OK);
	/* HARDENING X12: a held write lock; no waiting in the test. */
	assert_int_equal(store_set_busy_timeout(f->st, 0), STORE_OK);
	assert_int_equal(make_account(f->st, "tp-locked", &a), STORE_ERR);
	assert_true(store_err_is_busy(f->st));
	acme_account_clear(&a);
	assert_int_equal(store_rollback(other), STORE_OK);
	store_close(other);
	assert_int_equal(make_account(f->st, "tp-locked", &a), STORE_OK);
	acme_account_clear(&a);
}

/*
 * HARDENING X11. Root ignores file modes, so the check runs in a child
 * that drops to nobody when we are root. Exit codes: 0 pass, 1 open
 * failed, 2 write did not fail, 3 read failed, 4 setup failed.
 */
static int
readonly_child(const char *path)
{
	struct store		*st;
	struct acme_account	 a, got = { 0 };
	char			 err[256];
	int			 rc;

	if (getuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
		return 4;
	if ((st = store_open(path, err, sizeof(err))) == NULL)
		return 1;
	rc = make_account(st, "tp-ro-2", &a);
	acme_account_clear(&a);
	if (rc != STORE_ERR) {
		store_close(st);
		return 2;
	}
	rc = store_account_get_by_thumbprint(st, "tp-ro", &got);
	acme_account_clear(&got);
	store_close(st);
	return rc == STORE_OK ? 0 : 3;
}

static void
test_store_readonly_db_write_errs(void **state)
{
	struct fx		*f = *state;
	struct acme_account	 a;
	char			 err[256];
	pid_t			 pid;
	int			 status = -1;

	f->st = store_open(f->path, err, sizeof(err));
	assert_non_null(f->st);
	assert_int_equal(make_account(f->st, "tp-ro", &a), STORE_OK);
	acme_account_clear(&a);
	store_close(f->st);
	f->st = NULL;
	if (getuid() == 0) {
		assert_int_equal(chown(f->dir, 65534, 65534), 0);
		assert_int_equal(chown(f->path, 65534, 65534), 0);
	}
	assert_int_equal(chmod(f->path, 0400), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(readonly_child(f->path));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define MEM(t)	cmocka_unit_test_setup_teardown(t, setup_mem, teardown)
#define DIR(t)	cmocka_unit_test_setup_teardown(t, setup_dir, teardown)
#define FILE_(t) cmocka_unit_test_setup_teardown(t, setup_file, teardown)
		MEM(test_store_open_memory_has_current_schema),
		DIR(test_store_open_new_file_mode_0600),
		DIR(test_store_open_readonly_reads_never_writes),
		DIR(test_store_open_empty_file_migrates_to_version),
		DIR(test_store_migrates_v2_database_keeping_rows),
		DIR(test_store_migration_v4_keeps_accounts_adds_eab_binding),
		DIR(test_store_migration_v5_keeps_certificates_adds_names_index),
		DIR(test_store_failed_migration_changes_nothing),
		DIR(test_store_new_database_checks_cheap_and_strict),
		DIR(test_store_open_newer_schema_refused),
		cmocka_unit_test(test_store_open_missing_dir_fails_with_reason),
		FILE_(test_store_open_reopen_keeps_rows),
		FILE_(test_store_open_file_is_wal_mode),
		FILE_(test_store_full_commit_fsyncs_without_group_commit),
		FILE_(test_store_group_commit_defers_fsync_to_store_sync),
		FILE_(test_store_group_commit_relaxed_write_needs_no_sync),
		FILE_(test_store_group_commit_threads_share_fsyncs),
		FILE_(test_store_group_commit_checkpoints_in_background),
		FILE_(test_store_section_read_file),
		FILE_(test_store_wal_commit_frames_one_write),
		FILE_(test_store_wal_held_frames_read_back),
		FILE_(test_store_vfs_commit_frames_in_file_at_commit),
		FILE_(test_store_vfs_held_frames_written_before_unlock),
		FILE_(test_store_wal_copy_recovers_every_commit),
		FILE_(test_store_read_snapshot_ends_at_write_and_read_end),
		cmocka_unit_test(test_store_close_null_is_noop),
		MEM(test_store_tx_rollback_undoes_writes),
		MEM(test_store_tx_nested_rollback_undoes_inner_only),
		MEM(test_store_tx_failed_call_in_caller_tx_keeps_caller_writes),
		MEM(test_store_tx_commit_without_begin_errs),
		MEM(test_store_account_create_fills_random_id),
		MEM(test_store_account_get_returns_stored_fields),
		MEM(test_store_account_create_duplicate_thumbprint_conflicts),
		MEM(test_store_account_create_newline_contact_errs),
		MEM(test_store_account_get_unknown_notfound),
		MEM(test_store_account_get_by_thumbprint_finds_it),
		MEM(test_store_account_update_contacts_replaces_list),
		MEM(test_store_account_set_status_is_compare_and_swap),
		MEM(test_store_account_set_key_swaps_thumbprint),
		MEM(test_store_account_set_key_taken_key_conflicts),
		MEM(test_store_account_set_key_stale_old_key_notfound),
		MEM(test_store_order_create_new_authzs_pending),
		MEM(test_store_order_get_returns_identifiers),
		MEM(test_store_order_get_unknown_notfound),
		MEM(test_store_order_create_reusing_valid_authz_is_ready),
		MEM(test_store_order_create_other_accounts_authz_notfound),
		MEM(test_store_order_create_deactivated_account_conflicts),
		MEM(test_store_order_create_unknown_account_notfound),
		MEM(test_store_order_create_duplicate_token_leaves_nothing),
		MEM(test_store_order_list_pages_in_creation_order),
		MEM(test_store_order_list_bad_cursor_notfound),
		MEM(test_store_order_count_since_counts_window),
		MEM(test_store_order_set_status_is_compare_and_swap),
		MEM(test_store_order_set_error_records_error),
		MEM(test_store_begin_processing_ready_order_moves_to_processing),
		MEM(test_store_begin_processing_twice_conflicts),
		MEM(test_store_begin_processing_used_serial_conflicts_order_stays_ready),
		MEM(test_store_begin_processing_pending_order_conflicts),
		MEM(test_store_begin_processing_key_of_an_account_conflicts),
		FILE_(test_store_begin_processing_key_of_an_account_conflicts),
		MEM(test_store_order_finish_stores_cert_and_validates),
		MEM(test_store_order_finish_other_serial_conflicts),
		MEM(test_store_order_fail_invalidates_and_fails_serial),
		MEM(test_store_order_fail_may_exist_keeps_serial_reserved),
		FILE_(test_store_recover_processing_invalidates_stuck_orders),
		MEM(test_store_recover_processing_resets_processing_challenges),
		FILE_(test_store_order_finish_trigger_failure_keeps_intent),
		FILE_(test_store_begin_processing_racing_threads_one_wins),
		FILE_(test_store_account_create_racing_threads_one_row),
		MEM(test_store_challenge_get_fills_authz),
		MEM(test_store_challenge_begin_claims_once_per_authz),
		MEM(test_store_challenge_set_status_records_result_only),
		MEM(test_store_challenge_set_status_not_processing_conflicts),
		MEM(test_store_authz_get_unknown_notfound),
		MEM(test_store_authz_set_status_is_compare_and_swap),
		MEM(test_store_orders_of_authz_reports_status_and_all_valid),
		MEM(test_store_authz_find_valid_skips_expired_and_wildcard),
		MEM(test_store_authz_count_pending_counts_account),
		MEM(test_store_expire_marks_authzs_and_orders),
		MEM(test_store_serial_reserve_twice_conflicts),
		MEM(test_store_cert_insert_unreserved_serial_notfound),
		MEM(test_store_cert_insert_cli_cert_readable),
		MEM(test_store_cert_get_unknown_notfound),
		MEM(test_store_cert_list_newest_first),
		MEM(test_store_cert_list_callback_stops_walk),
		MEM(test_store_cert_revoke_twice_conflicts),
		MEM(test_store_meta_set_overwrites),
		MEM(test_store_integrity_check_fresh_db_ok),
		FILE_(test_store_integrity_check_dangling_reference_not_ok),
		FILE_(test_store_full_disk_errs_and_recovers),
		FILE_(test_store_full_disk_mid_move_leaves_no_partial_rows),
		FILE_(test_store_locked_db_errs_busy_then_recovers),
		DIR(test_store_readonly_db_write_errs),
#undef MEM
#undef DIR
#undef FILE_
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
