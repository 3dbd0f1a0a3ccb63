-- schema.sql - localacme database schema, version 1 (applied once by store_migrate.c)
-- SPDX-License-Identifier: MIT
--
-- Statuses are the RFC 8555 wire names, so an operator can read the file
-- with the sqlite3 shell. Times are Unix seconds. IDs are 22-character
-- base64url strings of 128 random bits. Stored errors (error_type) are
-- enum acme_ptype values; NULL means no error. Never edit a shipped
-- version: add a migration in store_migrate.c instead.

CREATE TABLE accounts (
	id		TEXT PRIMARY KEY NOT NULL,
	status		TEXT NOT NULL
			CHECK (status IN ('valid', 'deactivated', 'revoked')),
	jwk		TEXT NOT NULL,
	thumbprint	TEXT NOT NULL UNIQUE,	-- HARDENING I6: one account per key
	contacts	TEXT NOT NULL DEFAULT '',	-- newline-joined URLs
	tos_agreed	INTEGER NOT NULL DEFAULT 0,
	eab_kid		TEXT NOT NULL DEFAULT '',
	created		INTEGER NOT NULL
);

CREATE TABLE authzs (
	id		TEXT PRIMARY KEY NOT NULL,
	account_id	TEXT NOT NULL REFERENCES accounts (id),
	ident_type	TEXT NOT NULL CHECK (ident_type IN ('dns', 'ip')),
	ident_value	TEXT NOT NULL,		-- wildcard label stripped
	wildcard	INTEGER NOT NULL DEFAULT 0,
	status		TEXT NOT NULL
			CHECK (status IN ('pending', 'valid', 'invalid',
			    'deactivated', 'expired', 'revoked')),
	expires		INTEGER NOT NULL
);
-- authz reuse: (account, identifier, status) then the latest expiry
CREATE INDEX authzs_reuse ON authzs
	(account_id, ident_type, ident_value, wildcard, status, expires);
-- pending-authz rate limit per account
CREATE INDEX authzs_account_status ON authzs (account_id, status);
-- expiry sweep
CREATE INDEX authzs_live_expires ON authzs (expires)
	WHERE status IN ('pending', 'valid');

CREATE TABLE challenges (
	id		TEXT PRIMARY KEY NOT NULL,
	authz_id	TEXT NOT NULL REFERENCES authzs (id),
	position	INTEGER NOT NULL,
	type		TEXT NOT NULL
			CHECK (type IN ('http-01', 'dns-01', 'tls-alpn-01')),
	status		TEXT NOT NULL
			CHECK (status IN ('pending', 'processing', 'valid',
			    'invalid')),
	token		TEXT NOT NULL UNIQUE,
	validated	INTEGER NOT NULL DEFAULT 0,
	error_type	INTEGER,
	error_status	INTEGER,
	error_detail	TEXT
);
CREATE INDEX challenges_authz ON challenges (authz_id, position);
-- start-up recovery of validations that died with the process
CREATE INDEX challenges_processing ON challenges (authz_id)
	WHERE status = 'processing';

CREATE TABLE orders (
	id		TEXT PRIMARY KEY NOT NULL,
	account_id	TEXT NOT NULL REFERENCES accounts (id),
	status		TEXT NOT NULL
			CHECK (status IN ('pending', 'ready', 'processing',
			    'valid', 'invalid')),
	created		INTEGER NOT NULL,
	expires		INTEGER NOT NULL,
	not_before	INTEGER NOT NULL DEFAULT 0,
	not_after	INTEGER NOT NULL DEFAULT 0,
	cert_serial	TEXT REFERENCES certificates (serial),	-- NULL until valid
	profile		TEXT NOT NULL DEFAULT '',
	replaces	TEXT NOT NULL DEFAULT '',
	error_type	INTEGER,
	error_status	INTEGER,
	error_detail	TEXT,
	began_processing INTEGER NOT NULL DEFAULT 0	-- time of ready -> processing
);
-- orders list pagination and per-account rate limits
CREATE INDEX orders_account ON orders (account_id, created, id);
-- expiry sweep
CREATE INDEX orders_live_expires ON orders (expires)
	WHERE status IN ('pending', 'ready');
-- start-up recovery sweep (HARDENING I5)
CREATE INDEX orders_processing ON orders (began_processing)
	WHERE status = 'processing';

CREATE TABLE order_identifiers (
	order_id	TEXT NOT NULL REFERENCES orders (id),
	position	INTEGER NOT NULL,
	type		TEXT NOT NULL CHECK (type IN ('dns', 'ip')),
	value		TEXT NOT NULL,		-- as ordered, "*." kept
	authz_id	TEXT NOT NULL REFERENCES authzs (id),
	PRIMARY KEY (order_id, position)
) WITHOUT ROWID;
-- orders of an authz (challenge result -> order status)
CREATE INDEX order_identifiers_authz ON order_identifiers (authz_id, order_id);

-- The issuance intent (HARDENING I2, I3): a serial is recorded before
-- anything is signed with it and is never reused. 'reserved' without a
-- certificate means "may exist" forever.
CREATE TABLE serials (
	serial		TEXT PRIMARY KEY NOT NULL,
	order_id	TEXT REFERENCES orders (id),	-- NULL for CLI issuance
	reserved_at	INTEGER NOT NULL,
	state		TEXT NOT NULL DEFAULT 'reserved'
			CHECK (state IN ('reserved', 'issued', 'failed'))
);
CREATE INDEX serials_order ON serials (order_id)
	WHERE order_id IS NOT NULL;

CREATE TABLE certificates (
	serial		TEXT PRIMARY KEY NOT NULL REFERENCES serials (serial),
	account_id	TEXT REFERENCES accounts (id),	-- NULL if by CLI
	order_id	TEXT REFERENCES orders (id),	-- NULL if by CLI
	status		TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),
	names		TEXT NOT NULL,
	pem		TEXT NOT NULL,
	chain_pem	TEXT NOT NULL DEFAULT '',
	key_thumbprint	TEXT NOT NULL DEFAULT '',
	source		TEXT NOT NULL,
	not_before	INTEGER NOT NULL,
	not_after	INTEGER NOT NULL,
	issued		INTEGER NOT NULL,
	revocation_reason INTEGER,
	revoked_at	INTEGER
);
CREATE INDEX certificates_not_after ON certificates (not_after);
CREATE INDEX certificates_issued ON certificates (issued, serial);

CREATE TABLE meta (
	key		TEXT PRIMARY KEY NOT NULL,
	value		TEXT NOT NULL
) WITHOUT ROWID;
