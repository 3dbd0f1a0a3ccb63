/* fuzz_csr.c - libFuzzer target: CSR decode, checks against an order, and signing (RFC 8555 §7.4) */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/b64url.h"
#include "acme/csr.h"
#include "acme/ident.h"
#include "ca.h"
#include "fuzz.h"
#include "log.h"
#include "policy.h"

/*
 * Input: a mode byte, then a DER CSR (mode bit 0 clear; base64url-encoded
 * here as a client would) or the "csr" text itself (bit 0 set). The
 * order's identifiers are derived from the input: the CSR's own names
 * (acme_csr_names), then changed as the mode's upper bits say (kept,
 * reversed, one dropped, one added, or the CSR's key made an account
 * key). Properties:
 *  - acme_csr_check accepts only when the order's set equals the CSR's
 *    SANs plus its CN (an extra or a missing name, a CN that is not an
 *    order name, or a forbidden key, is badCSR; RFC 8555 §7.4), and
 *    only a CSR whose extensions are all ones the profile carries;
 *  - an accepted CSR is signed by a throwaway CA (unconstrained policy)
 *    into a leaf that passes our own profile check (ca_sign_leaf runs
 *    ca_check_leaf) and whose SANs are exactly the order's names.
 */

enum variant { V_SAME, V_REVERSED, V_DROP, V_ADD, V_FORBIDDEN, V__MAX };

static struct ca *ca;

static void
setup(void)
{
	struct ca_create_opts	 o;
	static struct policy	 pol;
	char			 err[512];

	if (ca != NULL)
		return;
	log_setup(LOG_LVL_ERROR, LOG_FMT_TEXT);
	policy_init_unconstrained(&pol);
	memset(&o, 0, sizeof(o));
	o.key_type = KEYS_EC256;
	o.policy = &pol;
	if ((ca = ca_open(fuzz_tmpdir(), true, &o, NULL, err,
	    sizeof(err))) == NULL)
		fuzz_fail(__FILE__, __LINE__, "ca_open", "%s", err);
}

/* Is id in ids[0..n)? */
static bool
has(const struct acme_identifier *ids, size_t n,
    const struct acme_identifier *id)
{
	for (size_t i = 0; i < n; i++)
		if (acme_ident_equal(&ids[i], id))
			return true;
	return false;
}

/* The certificate's SANs must be exactly ids[0..n), in that order. */
static void
check_leaf_sans(X509 *leaf, const struct acme_identifier *ids, size_t n)
{
	GENERAL_NAMES	*gens;
	char		 ip[64];
	int		 num;

	gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	FUZZ_CHECK(gens != NULL, "leaf without SAN");
	num = sk_GENERAL_NAME_num(gens);
	FUZZ_CHECK(num >= 0 && (size_t)num == n, "%d SANs for %zu names",
	    num, n);
	for (int i = 0; i < num; i++) {
		GENERAL_NAME		*g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char	*d;
		int			 len;

		if (ids[i].type == ACME_IDENT_DNS) {
			FUZZ_CHECK(g->type == GEN_DNS, "SAN %d type", i);
			d = ASN1_STRING_get0_data(g->d.dNSName);
			len = ASN1_STRING_length(g->d.dNSName);
		} else {
			FUZZ_CHECK(g->type == GEN_IPADD, "SAN %d type", i);
			len = ASN1_STRING_length(g->d.iPAddress);
			FUZZ_CHECK(len == 4 || len == 16, "IP SAN length");
			inet_ntop(len == 4 ? AF_INET : AF_INET6,
			    ASN1_STRING_get0_data(g->d.iPAddress), ip,
			    sizeof(ip));
			d = (const unsigned char *)ip;
			len = (int)strlen(ip);
		}
		FUZZ_CHECK((size_t)len == strlen(ids[i].value) &&
		    memcmp(d, ids[i].value, (size_t)len) == 0,
		    "SAN %d is not \"%s\"", i, ids[i].value);
	}
	GENERAL_NAMES_free(gens);
}

/* The CSR's CN as an identifier, read independently; false if none. */
static bool
csr_cn(X509_REQ *req, struct acme_identifier *id)
{
	const X509_NAME		*subj = X509_REQ_get_subject_name(req);
	struct acme_problem	 prob;
	unsigned char		*utf8 = NULL;
	char			 text[ACME_IDENT_VALUE_SIZE];
	int			 idx, len;

	if ((idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1)) < 0)
		return false;
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(subj, idx)));
	FUZZ_CHECK(len > 0 && (size_t)len < sizeof(text) &&
	    memchr(utf8, '\0', (size_t)len) == NULL, "bad CN accepted");
	memcpy(text, utf8, (size_t)len);
	text[len] = '\0';
	OPENSSL_free(utf8);
	FUZZ_CHECK(acme_ident_parse(acme_ident_is_ip(text) ? ACME_IDENT_IP :
	    ACME_IDENT_DNS, text, id, NULL, &prob) == 0, "accepted a bad CN");
	return true;
}

/*
 * Read the CSR's SANs and CN independently of acme/csr.c: every SAN,
 * normalised, is an order name, so is the CN, and every order name is
 * one of them.
 */
static void
check_csr_sans(X509_REQ *req, const struct acme_identifier *ids, size_t n)
{
	STACK_OF(X509_EXTENSION)	*exts;
	GENERAL_NAMES			*gens = NULL;
	struct acme_identifier		 id;
	struct acme_problem		 prob;
	bool				*seen;
	char				 text[ACME_IDENT_VALUE_SIZE];
	size_t				 k;
	int				 i;

	if ((seen = calloc(n + 1, sizeof(*seen))) == NULL)
		fuzz_fail(__FILE__, __LINE__, "calloc", "%zu", n);
	exts = X509_REQ_get_extensions(req);
	if (exts != NULL)
		gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	if (csr_cn(req, &id)) {
		for (k = 0; k < n && !acme_ident_equal(&ids[k], &id); k++)
			;
		FUZZ_CHECK(k < n, "CN %s is not an order name", id.value);
		seen[k] = true;
	} else
		FUZZ_CHECK(gens != NULL, "accepted a CSR without SAN or CN");
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME		*g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING	*a;
		enum acme_ident_type	 t;

		if (g->type == GEN_DNS) {
			a = g->d.dNSName;
			FUZZ_CHECK((size_t)ASN1_STRING_length(a) < sizeof(text),
			    "long SAN accepted");
			memcpy(text, ASN1_STRING_get0_data(a),
			    (size_t)ASN1_STRING_length(a));
			text[ASN1_STRING_length(a)] = '\0';
			t = ACME_IDENT_DNS;
		} else {
			FUZZ_CHECK(g->type == GEN_IPADD, "SAN type %d accepted",
			    g->type);
			a = g->d.iPAddress;
			FUZZ_CHECK(ASN1_STRING_length(a) == 4 ||
			    ASN1_STRING_length(a) == 16, "IP SAN length");
			inet_ntop(ASN1_STRING_length(a) == 4 ? AF_INET :
			    AF_INET6, ASN1_STRING_get0_data(a), text,
			    sizeof(text));
			t = ACME_IDENT_IP;
		}
		FUZZ_CHECK(acme_ident_parse(t, text, &id, NULL, &prob) == 0,
		    "accepted a bad SAN");
		for (k = 0; k < n && !acme_ident_equal(&ids[k], &id); k++)
			;
		FUZZ_CHECK(k < n, "SAN %s is not an order name", id.value);
		seen[k] = true;
	}
	for (k = 0; k < n; k++)
		FUZZ_CHECK(seen[k], "order name %s is neither SAN nor CN",
		    ids[k].value);
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	free(seen);
}

/*
 * RFC 8555 §7.4, issue #12 item 9: an accepted CSR requests only
 * extensions the profile carries (SAN, keyUsage without CA bits,
 * serverAuth/clientAuth EKU, CA:FALSE, SKI).
 */
static void
check_csr_exts(X509_REQ *req)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);

	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION		*e = sk_X509_EXTENSION_value(exts, i);
		int			 nid = OBJ_obj2nid(
		    X509_EXTENSION_get_object(e));
		BASIC_CONSTRAINTS	*bc;
		EXTENDED_KEY_USAGE	*eku;
		ASN1_BIT_STRING		*ku;

		switch (nid) {
		case NID_subject_alt_name:
		case NID_subject_key_identifier:
			break;
		case NID_basic_constraints:
			bc = X509V3_EXT_d2i(e);
			FUZZ_CHECK(bc != NULL && !bc->ca && bc->pathlen == NULL,
			    "accepted basicConstraints beyond CA:FALSE");
			BASIC_CONSTRAINTS_free(bc);
			break;
		case NID_key_usage:
			ku = X509V3_EXT_d2i(e);
			FUZZ_CHECK(ku != NULL && !ASN1_BIT_STRING_get_bit(ku,
			    5) && !ASN1_BIT_STRING_get_bit(ku, 6),
			    "accepted keyCertSign or cRLSign");
			ASN1_BIT_STRING_free(ku);
			break;
		case NID_ext_key_usage:
			eku = X509V3_EXT_d2i(e);
			FUZZ_CHECK(eku != NULL, "accepted an undecodable EKU");
			for (int j = 0; j < sk_ASN1_OBJECT_num(eku); j++) {
				int p = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku,
				    j));

				FUZZ_CHECK(p == NID_server_auth ||
				    p == NID_client_auth, "accepted EKU %d", p);
			}
			EXTENDED_KEY_USAGE_free(eku);
			break;
		default:
			FUZZ_CHECK(0, "accepted extension nid %d", nid);
		}
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

static void
sign_and_check(X509_REQ *req, const struct acme_identifier *ids, size_t n)
{
	struct ca_leaf_req	 lr;
	X509			*leaf = NULL;
	char			 serial[ACME_SERIAL_SIZE];

	FUZZ_CHECK(ca_new_serial(serial) == 0, "serial");
	memset(&lr, 0, sizeof(lr));
	FUZZ_CHECK((lr.pubkey = acme_csr_pubkey(req)) != NULL,
	    "an accepted CSR has no key");
	lr.spki = X509_REQ_get_X509_PUBKEY(req);
	lr.idents = ids;
	lr.nident = n;
	lr.lifetime = 90 * 86400;
	lr.serial = serial;
	FUZZ_CHECK(ca_sign_leaf(ca, &lr, &leaf, NULL) == 0,
	    "an accepted CSR could not be signed (profile check)");
	check_leaf_sans(leaf, ids, n);
	X509_free(leaf);
	EVP_PKEY_free(lr.pubkey);
}

static void
check_order(X509_REQ *req, struct acme_identifier *names, size_t n,
    unsigned mode)
{
	struct acme_identifier	*ids;
	struct acme_problem	 prob;
	EVP_PKEY		*forbidden[1] = { NULL };
	enum variant		 v = (enum variant)((mode >> 1) % V__MAX);
	size_t			 nids = n;
	bool			 accepted, same_set = true;
	int			 rc;

	if ((ids = calloc(n + 1, sizeof(*ids))) == NULL)
		fuzz_fail(__FILE__, __LINE__, "calloc", "%zu", n);
	memcpy(ids, names, n * sizeof(*ids));
	switch (v) {
	case V_REVERSED:
		for (size_t i = 0; i < n / 2; i++) {
			struct acme_identifier t = ids[i];
			ids[i] = ids[n - 1 - i];
			ids[n - 1 - i] = t;
		}
		break;
	case V_DROP:
		if (n > 1) {
			ids[(mode >> 4) % n] = ids[n - 1];
			nids = n - 1;
			same_set = false;
		}
		break;
	case V_ADD:
		ids[n].type = ACME_IDENT_DNS;
		snprintf(ids[n].value, sizeof(ids[n].value),
		    "extra-fuzz-name.example");
		if (!has(ids, n, &ids[n])) {
			nids = n + 1;
			same_set = false;
		}
		break;
	case V_FORBIDDEN:
		forbidden[0] = acme_csr_pubkey(req);
		same_set = false;	/* refused for the key instead */
		break;
	default:
		break;
	}
	memset(&prob, 0, sizeof(prob));
	rc = acme_csr_check(req, ids, nids, forbidden, forbidden[0] ? 1 : 0,
	    &prob);
	accepted = rc == 0;
	if (!same_set)
		FUZZ_CHECK(!accepted, "variant %d accepted: the CSR's names "
		    "differ from the order's", (int)v);
	else if (rc == -1)
		FUZZ_CHECK(prob.type == ACME_P_BADCSR ||
		    prob.type == ACME_P_SERVERINTERNAL, "type %d",
		    (int)prob.type);
	if (accepted) {
		check_csr_sans(req, ids, nids);
		check_csr_exts(req);
		sign_and_check(req, ids, nids);
	}
	EVP_PKEY_free(forbidden[0]);
	free(ids);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_problem	 prob;
	struct acme_identifier	*names = NULL;
	X509_REQ		*req;
	char			*b64;
	size_t			 n = 0;

	if (size < 1)
		return 0;
	setup();
	if (data[0] & 1)
		b64 = fuzz_strndup(data + 1, size - 1);
	else if ((b64 = acme_b64url_encode(data + 1, size - 1)) == NULL)
		return 0;
	memset(&prob, 0, sizeof(prob));
	if ((req = acme_csr_decode(b64, &prob)) == NULL) {
		FUZZ_CHECK(prob.type == ACME_P_MALFORMED ||
		    prob.type == ACME_P_BADCSR ||
		    prob.type == ACME_P_SERVERINTERNAL, "type %d",
		    (int)prob.type);
		free(b64);
		return 0;
	}
	if (acme_csr_names(req, &names, &n, &prob) == 0) {
		FUZZ_CHECK(n >= 1 && n <= ACME_CSR_MAX_NAMES + 1, "%zu names",
		    n);
		for (size_t i = 1; i < n; i++)
			FUZZ_CHECK(acme_ident_cmp(&names[i - 1], &names[i]) < 0,
			    "names not sorted and unique");
		check_order(req, names, n, data[0]);
		free(names);
	} else
		FUZZ_CHECK(names == NULL || n == 0, "names on failure");
	X509_REQ_free(req);
	free(b64);
	return 0;
}
