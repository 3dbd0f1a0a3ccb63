/* problem.h - ACME problem documents (RFC 8555 §6.7, RFC 7807) */
/* SPDX-License-Identifier: MIT */
#ifndef ACME_PROBLEM_H
#define ACME_PROBLEM_H

#include <stddef.h>

#include <jansson.h>

/*
 * One value per problem type we emit. The default HTTP status of each
 * follows Pebble's acme/problems.go; a caller may override the status
 * (404/405/413/415 malformed, 409 for a key already in use, ...).
 */
enum acme_ptype {
	ACME_P_MALFORMED = 0,		/* 400 */
	ACME_P_BADNONCE,		/* 400; clients retry on this */
	ACME_P_UNAUTHORIZED,		/* 403 */
	ACME_P_ACCOUNTDOESNOTEXIST,	/* 400 */
	ACME_P_ORDERNOTREADY,		/* 403 */
	ACME_P_BADCSR,			/* 400 */
	ACME_P_REJECTEDIDENTIFIER,	/* 400 */
	ACME_P_UNSUPPORTEDIDENTIFIER,	/* 400 */
	ACME_P_BADSIGNATUREALGORITHM,	/* 400; body carries "algorithms" */
	ACME_P_BADPUBLICKEY,		/* 400 */
	ACME_P_BADREVOCATIONREASON,	/* 400 */
	ACME_P_ALREADYREVOKED,		/* 400 */
	ACME_P_INVALIDCONTACT,		/* 400 */
	ACME_P_UNSUPPORTEDCONTACT,	/* 400 */
	ACME_P_EXTERNALACCOUNTREQUIRED,	/* 403 */
	ACME_P_USERACTIONREQUIRED,	/* 403 */
	ACME_P_RATELIMITED,		/* 429 */
	ACME_P_CONNECTION,		/* 400 (challenge errors) */
	ACME_P_DNS,			/* 400 */
	ACME_P_INCORRECTRESPONSE,	/* 403 */
	ACME_P_TLS,			/* 400 */
	ACME_P_CAA,			/* 403 */
	ACME_P_COMPOUND,		/* 403 */
	ACME_P_ALREADYREPLACED,		/* 409 (RFC 9773 §5) */
	ACME_P_INVALIDPROFILE,		/* 400 (draft-ietf-acme-profiles) */
	ACME_P_SERVERINTERNAL,		/* 500; detail is always generic */
	ACME_P__MAX
};

#define ACME_PROBLEM_DETAIL_MAX	256
#define ACME_PROBLEM_SUB_MAX	16	/* further subproblems are counted, not kept */

/* Identifier carried by a subproblem (RFC 8555 §6.7.1). */
struct acme_problem_ident {
	int	 type;		/* enum acme_ident_type of acme.h */
	char	 value[256];
};

struct acme_subproblem {
	enum acme_ptype			 type;
	struct acme_problem_ident	 ident;
	char				 detail[128];
};

/*
 * A problem the client should hear. Fixed size and caller-allocated, so
 * reporting an error never allocates. `detail` never holds internal text
 * (paths, SQL, OpenSSL errors): that goes to the log, once, where known.
 */
struct acme_problem {
	enum acme_ptype		 type;
	int			 status;	/* HTTP status */
	char			 detail[ACME_PROBLEM_DETAIL_MAX];
	size_t			 nsub;		/* subproblems kept (<= SUB_MAX) */
	size_t			 nsub_dropped;	/* subproblems beyond SUB_MAX */
	struct acme_subproblem	 sub[ACME_PROBLEM_SUB_MAX];
};

/*
 * Fill *p with type t, its default status and a printf-style detail
 * (truncated to fit; control characters are replaced by '?').
 * Clears any subproblems. Always returns -1, so callers can write
 * `return acme_problem_set(prob, ACME_P_MALFORMED, "...")`.
 */
int	 acme_problem_set(struct acme_problem *p, enum acme_ptype t,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* As acme_problem_set with an explicit HTTP status. Returns -1. */
int	 acme_problem_setx(struct acme_problem *p, enum acme_ptype t,
	    int status, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/*
 * Append a subproblem for identifier (itype, value). Beyond
 * ACME_PROBLEM_SUB_MAX it only counts. Returns 0.
 */
int	 acme_problem_add_sub(struct acme_problem *p, enum acme_ptype t,
	    int itype, const char *value, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* Default HTTP status of a type. */
int	 acme_problem_status(enum acme_ptype t);

/* "urn:ietf:params:acme:error:<name>"; static string, never NULL. */
const char *acme_problem_type_urn(enum acme_ptype t);

/* Short name ("badNonce"); static string, never NULL. */
const char *acme_problem_type_name(enum acme_ptype t);

/*
 * The application/problem+json body: type, detail, status, subproblems
 * (with identifier), and for badSignatureAlgorithm the "algorithms" array
 * (RFC 8555 §6.2). Returns a new reference; NULL on allocation failure.
 */
json_t	*acme_problem_json(const struct acme_problem *p);

#endif /* ACME_PROBLEM_H */
