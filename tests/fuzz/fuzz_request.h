/* fuzz_request.h - the record format of the fuzz_request target (shared with gen_corpus.c) */
/* SPDX-License-Identifier: MIT */
#ifndef FUZZ_REQUEST_H
#define FUZZ_REQUEST_H

/* Records are separated by this; each is [op] [mutation] [arg] data... */
#define FUZZ_REQ_SEP	"\n--\n"

enum op {
	OP_NEW_ACCOUNT = 0,	/* arg: key index */
	OP_ACCOUNT,		/* data: update payload; empty: POST-as-GET */
	OP_ORDERS,
	OP_NEW_ORDER,		/* arg: canned order when data is empty */
	OP_ORDER,
	OP_AUTHZ,		/* arg: which authz; data: payload */
	OP_CHALLENGE,		/* arg: 0 = latest challenge; data: payload ({}) */
	OP_FINALIZE,		/* arg: CSR key and names; data: payload/DER */
	OP_CERT,
	OP_REVOKE,		/* arg: reason; mutation bit 4: by cert key */
	OP_KEY_CHANGE,		/* arg: new key; mutation bits 4-6: inner */
	OP_DEACTIVATE,
	OP_RAW,			/* arg: path; data: the body verbatim */
	OP_SWITCH,		/* arg: which known account is current */
	OP_NONCE,		/* arg: directory / newNonce, GET/HEAD/POST */
	OP_RENEWAL,		/* arg bit 0: newOrder replacing the last
				   certificate; else GET its renewalInfo
				   (data: the certID verbatim instead) */
	OP__MAX
};

enum mutation {
	M_NONE = 0,		/* 0-7: a valid request */
	M_STALE_NONCE = 8,
	M_NO_NONCE,
	M_WRONG_URL,
	M_CONTENT_TYPE,		/* or a Replay-Nonce request header */
	M_WRONG_KEY,
	M_WRONG_ALG,
	M_FLIP,
	M_SWAP_AUTH		/* jwk instead of kid, or both */
};

#endif /* FUZZ_REQUEST_H */
