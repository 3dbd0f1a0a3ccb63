/* acme.h - RFC 8555 protocol objects, status enums and legal transitions */
/* SPDX-License-Identifier: MIT */
#ifndef ACME_ACME_H
#define ACME_ACME_H

/*
 * These structs are the language the WFE, RA, CA, VA and the store speak.
 * Value objects are caller-allocated and zero-initialised; acme_*_clear()
 * frees their heap members and zeroes them again (idempotent, safe on a
 * zeroed struct). Bounded fields are arrays; unbounded ones are heap
 * pointers owned by the struct.
 *
 * This header includes no JSON, SQL or HTTP types so that store/ can use it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * Resource IDs (acme_random_id): a 7-character millisecond stamp that
 * sorts in time, then 128 random bits as 22 base64url characters; every
 * character is URL-safe. Databases of earlier versions hold IDs of only
 * the 22 random characters (ACME_ID_LEGACY_LEN), which stay valid.
 */
#define ACME_ID_STAMP_LEN	7
#define ACME_ID_LEN		(ACME_ID_STAMP_LEN + 22)
#define ACME_ID_LEGACY_LEN	22
#define ACME_ID_SIZE		(ACME_ID_LEN + 1)
/* Challenge tokens: 128 random bits (RFC 8555 §11.3), 22 chars. */
#define ACME_TOKEN_SIZE		(22 + 1)
/* RFC 7638 SHA-256 thumbprint, base64url: 43 chars. */
#define ACME_THUMBPRINT_SIZE	44
/* Serial numbers as lower-case hex, at most 20 octets. */
#define ACME_SERIAL_SIZE	41
#define ACME_IDENT_VALUE_SIZE	256	/* DNS <= 253, IPv6 text <= 45 */
#define ACME_MAX_IDENTIFIERS	100	/* per order (Boulder's maxNames) */
#define ACME_MAX_CONTACTS	8
#define ACME_CONTACT_SIZE	256
#define ACME_PROFILE_SIZE	32

enum acme_ident_type {
	ACME_IDENT_DNS = 0,
	ACME_IDENT_IP
};

struct acme_identifier {
	enum acme_ident_type	 type;
	char			 value[ACME_IDENT_VALUE_SIZE];	/* normalised */
};

/* RFC 8555 §7.1.6 */
enum acme_account_status {
	ACME_ACCOUNT_VALID = 0,
	ACME_ACCOUNT_DEACTIVATED,
	ACME_ACCOUNT_REVOKED
};

enum acme_order_status {
	ACME_ORDER_PENDING = 0,
	ACME_ORDER_READY,
	ACME_ORDER_PROCESSING,
	ACME_ORDER_VALID,
	ACME_ORDER_INVALID
};

enum acme_authz_status {
	ACME_AUTHZ_PENDING = 0,
	ACME_AUTHZ_VALID,
	ACME_AUTHZ_INVALID,
	ACME_AUTHZ_DEACTIVATED,
	ACME_AUTHZ_EXPIRED,
	ACME_AUTHZ_REVOKED
};

enum acme_chall_status {
	ACME_CHALL_PENDING = 0,
	ACME_CHALL_PROCESSING,
	ACME_CHALL_VALID,
	ACME_CHALL_INVALID
};

enum acme_chall_type {
	ACME_CHALL_HTTP01 = 0,
	ACME_CHALL_DNS01,
	ACME_CHALL_TLSALPN01,
	ACME_CHALL__MAX
};

enum acme_cert_status {
	ACME_CERT_VALID = 0,
	ACME_CERT_REVOKED
};

/* A stored error (order or challenge): the problem type and its detail. */
struct acme_error {
	bool	 set;
	int	 type;		/* enum acme_ptype */
	int	 status;
	char	 detail[256];
};

struct acme_account {
	char			 id[ACME_ID_SIZE];
	enum acme_account_status status;
	char			*jwk;		/* canonical public JWK JSON, heap */
	char			 thumbprint[ACME_THUMBPRINT_SIZE];
	char			 contact[ACME_MAX_CONTACTS][ACME_CONTACT_SIZE];
	size_t			 ncontact;
	bool			 tos_agreed;
	char			 eab_kid[64];	/* "" when no binding */
	char			*eab;	/* the binding as sent, JSON, heap; NULL = none (§7.3.4) */
	time_t			 created;
};

struct acme_challenge {
	char			 id[ACME_ID_SIZE];
	char			 authz_id[ACME_ID_SIZE];
	enum acme_chall_type	 type;
	enum acme_chall_status	 status;
	char			 token[ACME_TOKEN_SIZE];
	time_t			 validated;	/* 0 until valid */
	struct acme_error	 error;
};

struct acme_authz {
	char			 id[ACME_ID_SIZE];
	char			 account_id[ACME_ID_SIZE];
	struct acme_identifier	 ident;		/* wildcard stripped (§7.1.4) */
	bool			 wildcard;
	enum acme_authz_status	 status;
	time_t			 expires;
	struct acme_challenge	 chall[ACME_CHALL__MAX];
	size_t			 nchall;
};

struct acme_order {
	char			 id[ACME_ID_SIZE];
	char			 account_id[ACME_ID_SIZE];
	enum acme_order_status	 status;
	time_t			 created;
	time_t			 expires;
	time_t			 not_before;	/* 0 = not requested */
	time_t			 not_after;	/* 0 = not requested */
	struct acme_identifier	*idents;	/* heap, nident entries */
	size_t			 nident;
	char			(*authz_ids)[ACME_ID_SIZE]; /* heap, nident */
	char			 cert_serial[ACME_SERIAL_SIZE]; /* "" until valid */
	char			 profile[ACME_PROFILE_SIZE];
	char			 replaces[128];	/* RFC 9773 certID or "" */
	struct acme_error	 error;
};

struct acme_cert {
	char			 serial[ACME_SERIAL_SIZE];	/* hex */
	char			 account_id[ACME_ID_SIZE];	/* "" if by CLI */
	char			 order_id[ACME_ID_SIZE];	/* "" if by CLI */
	enum acme_cert_status	 status;
	char			*names;		/* "a.test,127.0.0.1", heap */
	char			*pem;		/* leaf only, heap */
	char			*chain_pem;	/* issuer chain at issuance, heap */
	char			 key_thumbprint[ACME_THUMBPRINT_SIZE]; /* leaf SPKI SHA-256 */
	char			 source[16];	/* "acme", "cli", "server" */
	time_t			 not_before;
	time_t			 not_after;
	time_t			 issued;
	int			 revocation_reason;	/* valid iff revoked */
	time_t			 revoked_at;
};

/*
 * Status and type names as they appear on the wire and in the store's
 * columns (static strings; one vocabulary for both). An out-of-range
 * value is a bug and yields "unknown", which no schema CHECK accepts.
 */
const char *acme_account_status_str(enum acme_account_status s);
const char *acme_order_status_str(enum acme_order_status s);
const char *acme_authz_status_str(enum acme_authz_status s);
const char *acme_chall_status_str(enum acme_chall_status s);
const char *acme_chall_type_str(enum acme_chall_type t);
const char *acme_ident_type_str(enum acme_ident_type t);
const char *acme_cert_status_str(enum acme_cert_status s);

/* Parse a name (exact, case-sensitive); 0 on success, -1 if unknown. */
int	 acme_account_status_parse(const char *s,
	    enum acme_account_status *out);
int	 acme_order_status_parse(const char *s, enum acme_order_status *out);
int	 acme_authz_status_parse(const char *s, enum acme_authz_status *out);
int	 acme_chall_status_parse(const char *s, enum acme_chall_status *out);
int	 acme_cert_status_parse(const char *s, enum acme_cert_status *out);
int	 acme_chall_type_parse(const char *s, enum acme_chall_type *out);
int	 acme_ident_type_parse(const char *s, enum acme_ident_type *out);

/*
 * The transition tables (acme/object.c). An edge is drawn in RFC 8555
 * §7.1.6 (ACME_EDGE_RFC) or is one the server adds, named for why:
 * recovery at start-up (HARDENING I5) or the expiry sweep. The RA checks
 * every status change against them (src/ra/ra_state.c).
 */
enum acme_edge {
	ACME_EDGE_RFC = 1 << 0,		/* drawn in the §7.1.6 diagram */
	ACME_EDGE_RECOVERY = 1 << 1,	/* start-up: work in flight died (I5) */
	ACME_EDGE_EXPIRY = 1 << 2	/* the sweep: past "expires" */
};

/* Is from -> to an edge of one of the kinds (a mask of enum acme_edge)? */
bool	 acme_account_edge(enum acme_account_status from,
	    enum acme_account_status to, unsigned kinds);
bool	 acme_order_edge(enum acme_order_status from,
	    enum acme_order_status to, unsigned kinds);
bool	 acme_authz_edge(enum acme_authz_status from,
	    enum acme_authz_status to, unsigned kinds);
bool	 acme_chall_edge(enum acme_chall_status from,
	    enum acme_chall_status to, unsigned kinds);

/* RFC 8555 §7.1.6: is the transition from -> to drawn in the diagram? */
bool	 acme_order_transition_ok(enum acme_order_status from,
	    enum acme_order_status to);
bool	 acme_authz_transition_ok(enum acme_authz_status from,
	    enum acme_authz_status to);
bool	 acme_chall_transition_ok(enum acme_chall_status from,
	    enum acme_chall_status to);
bool	 acme_account_transition_ok(enum acme_account_status from,
	    enum acme_account_status to);

/* Free heap members and zero the struct. NULL-safe and idempotent. */
void	 acme_account_clear(struct acme_account *a);
void	 acme_order_clear(struct acme_order *o);
void	 acme_authz_clear(struct acme_authz *a);
void	 acme_cert_clear(struct acme_cert *c);

/*
 * Allocate o->idents and o->authz_ids for n entries (zeroed), freeing
 * what was there. Returns 0, or -1 on allocation failure.
 */
int	 acme_order_alloc_idents(struct acme_order *o, size_t n);

/* Deep copy of src into *dst (zeroed or cleared). 0, or -1 on ENOMEM. */
int	 acme_account_copy(struct acme_account *dst,
	    const struct acme_account *src);

/*
 * n random bytes from the kernel's CSPRNG (getrandom(2)), served from a
 * per-thread pool so that one system call covers many IDs and tokens
 * (random.c). Returns 0, or -1 if getrandom fails.
 */
int	 acme_random_bytes(void *out, size_t n);

/*
 * A fresh resource ID (accounts, orders, authzs, challenges; ACME_ID_LEN
 * characters and a NUL): the clock's milliseconds as 7 characters of the
 * base64url characters in ASCII order, then 128 random bits as 22
 * base64url characters. The random part makes it unguessable (RFC 8555
 * §10.5, HARDENING Z04); the stamp makes IDs made close in time sort
 * close, so a new row of an index on an ID lands on that index's last
 * pages instead of a random one (ARCHITECTURE §4.6, round 2c).
 * Uniqueness does not rest on the clock. Returns 0, or -1 if the RNG
 * fails (out is then "").
 */
int	 acme_random_id(char out[ACME_ID_SIZE]);

#endif /* ACME_ACME_H */
