/* gen_corpus.c - writes the seed corpora of tests/fuzz/corpus/<target>/ (run by hand, not a test) */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/b64url.h"
#include "acme/jwk.h"
#include "fuzz.h"
#include "fuzz_request.h"
#include "testutil.h"

/*
 * Usage: fuzz_gen_corpus DIR   (normally tests/fuzz/corpus)
 * Writes DIR/<target>/seed-<name> files: well-formed inputs signed with
 * the fixed keys of fuzzutil.c (so the fuzzer starts past the signature
 * check), RFC examples, and the HARDENING §3 adversarial shapes. Files
 * the fuzzer found are kept beside them (crash-*, or libFuzzer's hash
 * names after a -merge=1); this program never deletes anything.
 */

#define URL	"https://acme.fuzz"

static const char	*outdir;
static int		 nwritten;

static void
put(const char *target, const char *name, const void *data, size_t len)
{
	char	 path[4096];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/seed-%s", outdir, target, name);
	if ((fp = fopen(path, "wb")) == NULL ||
	    (len > 0 && fwrite(data, 1, len, fp) != len)) {
		perror(path);
		exit(1);
	}
	fclose(fp);
	nwritten++;
}

static void
puts_(const char *target, const char *name, const char *s)
{
	put(target, name, s, strlen(s));
}

/* A selector byte followed by text. */
static void
put_sel(const char *target, const char *name, unsigned char sel,
    const void *data, size_t len)
{
	unsigned char *b = malloc(len + 1);

	if (b == NULL)
		exit(1);
	b[0] = sel;
	memcpy(b + 1, data, len);
	put(target, name, b, len + 1);
	free(b);
}

static char *
jwk_text(int key)
{
	return acme_jwk_export_str(fuzz_key((enum fuzz_key)key));
}

static const char *
alg_of(int key)
{
	const char *alg = "none";

	acme_jwk_alg_for_key(fuzz_key((enum fuzz_key)key), &alg);
	return alg;
}

/* ---------- b64url ---------- */

static void
gen_b64url(void)
{
	static const char *const s[] = { "", "A", "AA", "AB", "AAA", "AAB",
	    "AAAA", "YQ", "YQ==", "Y Q", "YWJj", "_-_-", "+/+/", "YWJjZA",
	    "YWJjZB", "eyJhbGciOiJFUzI1NiJ9", "AAAAAAAAAAAAAAAAAAAAAA" };
	char name[32];

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		snprintf(name, sizeof(name), "%zu", i);
		puts_("b64url", name, s[i]);
	}
	put("b64url", "nul", "YQ\0A", 4);
}

/* ---------- jwk ---------- */

static void
gen_jwk(void)
{
	static const char *const names[] = { "p256", "p384", "p521", "rsa2048",
	    "ed25519", "p256b", "csr" };
	char	*j, buf[4096];

	for (int k = 0; k < FUZZ_KEY__MAX; k++) {
		j = jwk_text(k);
		puts_("jwk", names[k], j);
		/* With the optional members a client may add. */
		snprintf(buf, sizeof(buf), "{\"use\":\"sig\",\"alg\":\"%s\","
		    "\"kid\":\"x\",%s", alg_of(k), j + 1);
		{
			char n2[64];
			snprintf(n2, sizeof(n2), "%s-members", names[k]);
			puts_("jwk", n2, buf);
		}
		free(j);
	}
	/* RFC 7638 §3.1 example key. */
	puts_("jwk", "rfc7638", "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9"
	    "nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
	    "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0"
	    "h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQ"
	    "vRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XP"
	    "ksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\","
	    "\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}");
	puts_("jwk", "oct", "{\"kty\":\"oct\",\"k\":\"AAAA\"}");
	puts_("jwk", "x25519", "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":"
	    "\"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo\"}");
	puts_("jwk", "ec-short-x", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
	    "\"AA\",\"y\":\"AA\"}");
	puts_("jwk", "ec-private", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
	    "\"GuU_ce-4ZqMJ4lnwVRImzeKEDDhRy7Q8G1Mj1TxMFQ4\",\"y\":"
	    "\"MwdVvaNCPPwVKkVgEpfAboUazeGu9z2qfYMx5fI9D3k\",\"d\":\"AA\"}");
	puts_("jwk", "rsa-e3", "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"Aw\"}");
	puts_("jwk", "dup", "{\"kty\":\"EC\",\"kty\":\"RSA\"}");
	puts_("jwk", "not-object", "[1,2,3]");
}

/* ---------- jws ---------- */

static void
gen_jws(void)
{
	static const char inner[] = "{\"account\":\"" URL "/acme/acct/A\","
	    "\"oldKey\":{}}";
	char	*j, hdr[4096], *body, name[64];
	const unsigned char *pl = (const unsigned char *)
	    "{\"termsOfServiceAgreed\":true}";
	size_t	 pllen = strlen((const char *)pl);

	for (int k = 0; k < FUZZ_NACCOUNT_KEYS; k++) {
		j = jwk_text(k);
		/* newAccount: embedded jwk */
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"jwk\":%s,"
		    "\"nonce\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"url\":\"" URL
		    "/acme/new-account\"}", alg_of(k), j);
		body = fuzz_jws_make(fuzz_key((enum fuzz_key)k), hdr, pl, pllen);
		snprintf(name, sizeof(name), "jwk-%d", k);
		put_sel("jws", name, (unsigned char)k, body, strlen(body));
		free(body);
		/* kid, POST-as-GET, verified with key k */
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"" URL
		    "/acme/acct/AAAAAAAAAAAAAAAAAAAAAA\",\"nonce\":\"AAAA\","
		    "\"url\":\"" URL "/acme/order/x\"}", alg_of(k));
		body = fuzz_jws_make(fuzz_key((enum fuzz_key)k), hdr, NULL, 0);
		snprintf(name, sizeof(name), "kid-%d", k);
		put_sel("jws", name, (unsigned char)k, body, strlen(body));
		free(body);
		/* inner key-change JWS */
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"jwk\":%s,"
		    "\"url\":\"" URL "/acme/key-change\"}", alg_of(k), j);
		body = fuzz_jws_make(fuzz_key((enum fuzz_key)k), hdr,
		    (const unsigned char *)inner, strlen(inner));
		snprintf(name, sizeof(name), "inner-%d", k);
		put_sel("jws", name, (unsigned char)(0x08 | k), body,
		    strlen(body));
		free(body);
		free(j);
	}
	/* Adversarial headers (HARDENING §3.2, §3.3), signed with P-256. */
	{
		static const char *const bad[] = {
		    "{\"alg\":\"none\",\"kid\":\"k\",\"nonce\":\"AA\",\"url\":\"u\"}",
		    "{\"alg\":\"HS256\",\"kid\":\"k\",\"nonce\":\"AA\",\"url\":\"u\"}",
		    "{\"alg\":\"ES256\",\"kid\":\"k\",\"crit\":[\"b64\"],\"b64\":false,\"url\":\"u\"}",
		    "{\"alg\":\"ES256\",\"kid\":\"k\",\"kid\":\"j\",\"url\":\"u\"}",
		    "{\"alg\":\"ES256\",\"kid\":\"k\",\"x5c\":[\"AA\"],\"url\":\"u\"}",
		    "{\"alg\":\"ES256\",\"kid\":\"\",\"url\":\"u\"}",
		    "{\"alg\":\"ES256\",\"kid\":\"k\",\"nonce\":\"a=b\",\"url\":\"u\"}",
		    "{\"alg\":\"RS256\",\"kid\":\"k\",\"nonce\":\"AA\",\"url\":\"u\"}",
		    "{\"alg\":\"ES256\",\"kid\":\"k\",\"nonce\":\"AA\"}",
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			body = fuzz_jws_make(fuzz_key(FUZZ_KEY_P256), bad[i],
			    pl, pllen);
			snprintf(name, sizeof(name), "bad-%zu", i);
			put_sel("jws", name, 0, body, strlen(body));
			free(body);
		}
	}
	put_sel("jws", "header-member", 0, "{\"protected\":\"e30\",\"header\":"
	    "{},\"payload\":\"\",\"signature\":\"AA\"}", 60);
	put_sel("jws", "general", 0, "{\"payload\":\"\",\"signatures\":[]}", 30);
}

/* ---------- payload ---------- */

static void
gen_payload(void)
{
	static const struct { unsigned char sel; const char *name, *json; } p[] = {
	    { 0, "acct", "{\"termsOfServiceAgreed\":true,\"contact\":"
		"[\"mailto:a@example.test\",\"MAILTO:b@c.example\"]}" },
	    { 0, "acct-existing", "{\"onlyReturnExisting\":true}" },
	    { 0, "acct-eab", "{\"externalAccountBinding\":{\"protected\":"
		"\"e30\",\"payload\":\"\",\"signature\":\"\"}}" },
	    { 0, "acct-badcontact", "{\"contact\":[\"tel:+1\","
		"\"mailto:a@b?subject=x\",\"mailto:%40@x\"]}" },
	    { 1, "update", "{\"contact\":[]}" },
	    { 1, "deactivate", "{\"status\":\"deactivated\"}" },
	    { 1, "update-bad", "{\"status\":\"valid\",\"contact\":\"x\"}" },
	    { 2, "order", "{\"identifiers\":[{\"type\":\"dns\",\"value\":"
		"\"b.example\"},{\"type\":\"ip\",\"value\":\"127.0.0.1\"},"
		"{\"type\":\"dns\",\"value\":\"*.w.localhost\"},{\"type\":"
		"\"ip\",\"value\":\"::1\"},{\"type\":\"dns\",\"value\":"
		"\"xn--bcher-kva.example\"}],\"notBefore\":"
		"\"2030-01-01T00:00:00Z\",\"notAfter\":"
		"\"2030-02-01T00:00:00.5+02:00\",\"profile\":\"tls\","
		"\"replaces\":\"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE\"}" },
	    { 2, "order-dup", "{\"identifiers\":[{\"type\":\"dns\",\"value\":"
		"\"A.test\"},{\"type\":\"dns\",\"value\":\"a.test\"}]}" },
	    { 2, "order-bad", "{\"identifiers\":[{\"type\":\"email\",\"value\":"
		"\"a@b\"},{\"type\":\"ip\",\"value\":\"127.1\"},{\"type\":"
		"\"dns\",\"value\":\"-a.test\"}]}" },
	    { 2, "order-empty", "{\"identifiers\":[]}" },
	    { 3, "finalize", "{\"csr\":\"MIIBAA\"}" },
	    { 3, "finalize-bad", "{\"csr\":1}" },
	    { 4, "revoke", "{\"certificate\":\"MIIBAA\",\"reason\":4}" },
	    { 4, "revoke-bad", "{\"certificate\":\"MIIBAA\",\"reason\":\"1\"}" },
	    { 4, "revoke-8", "{\"certificate\":\"AA\",\"reason\":8}" },
	    { 5, "keychange", "{\"account\":\"" URL "/acme/acct/A\","
		"\"oldKey\":{\"kty\":\"EC\"}}" },
	    { 5, "keychange-bad", "{\"account\":\"\",\"oldKey\":[]}" },
	    { 6, "authz", "{\"status\":\"deactivated\"}" },
	    { 6, "authz-bad", "{\"status\":\"valid\"}" },
	};

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		put_sel("payload", p[i].name, p[i].sel, p[i].json,
		    strlen(p[i].json));
}

/* ---------- ident ---------- */

static void
gen_ident(void)
{
	static const struct { unsigned char mode; const char *name, *v; } p[] = {
	    { 0, "dns", "Example.TEST" },
	    { 0, "wild", "*.a.example.test" },
	    { 0, "wild-tld", "*.test" },
	    { 0, "idn", "xn--bcher-kva.example" },
	    { 0, "rldh", "ab--cd.test" },
	    { 0, "ipv4-as-dns", "127.0.0.1" },
	    { 0, "trailing-dot", "a.test." },
	    { 0, "long-label", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaa.test" },
	    { 1, "ipv4", "192.168.1.1" },
	    { 1, "ipv6", "2001:DB8:0:0:0:0:0:1" },
	    { 1, "mapped", "::ffff:127.0.0.1" },
	    { 1, "short", "127.1" },
	    { 1, "zone", "fe80::1%eth0" },
	    { 2, "typed", "dns\nlocalhost" },
	    { 2, "typed-ip", "ip\n::1" },
	    { 2, "typed-bad", "email\na@b" },
	    { 3, "cli-bracket", "[::1]" },
	    { 3, "cli-dns", "*.localhost" },
	    { 4, "list", "b.test\na.test\n127.0.0.1\nA.TEST\n::1\n*.x.test" },
	};

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		put_sel("ident", p[i].name, p[i].mode, p[i].v, strlen(p[i].v));
}

/* ---------- csr ---------- */

static void
put_csr(const char *name, unsigned char mode, int key,
    const char *const *names, size_t n, const char *cn)
{
	X509_REQ	*req = tu_csr_make(fuzz_key((enum fuzz_key)key), names,
			    n, cn);
	unsigned char	*der = NULL;
	char		*b64;
	int		 len;

	if (req == NULL || (len = i2d_X509_REQ(req, &der)) <= 0)
		exit(1);
	if (mode & 1) {
		b64 = acme_b64url_encode(der, (size_t)len);
		put_sel("csr", name, mode, b64, strlen(b64));
		free(b64);
	} else
		put_sel("csr", name, mode, der, (size_t)len);
	OPENSSL_free(der);
	X509_REQ_free(req);
}

/*
 * A CSR for a.test (SAN, CN) carrying one more extension given in
 * OpenSSL config syntax: the extension allow-list (RFC 8555 §7.4).
 */
static void
put_csr_ext(const char *name, const char *ext, const char *value)
{
	EVP_PKEY			*key = fuzz_key(FUZZ_KEY_CSR);
	X509_REQ			*req = X509_REQ_new();
	STACK_OF(X509_EXTENSION)	*sk = sk_X509_EXTENSION_new_null();
	X509_EXTENSION			*san, *e;
	unsigned char			*der = NULL;
	int				 len;

	san = X509V3_EXT_conf(NULL, NULL, "subjectAltName", "DNS:a.test");
	e = X509V3_EXT_conf(NULL, NULL, ext, value);
	if (req == NULL || sk == NULL || san == NULL || e == NULL ||
	    X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1 ||
	    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
	    MBSTRING_ASC, (const unsigned char *)"a.test", -1, -1, 0) != 1 ||
	    sk_X509_EXTENSION_push(sk, san) == 0 ||
	    sk_X509_EXTENSION_push(sk, e) == 0 ||
	    X509_REQ_add_extensions(req, sk) != 1 ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
	    (len = i2d_X509_REQ(req, &der)) <= 0)
		exit(1);
	put_sel("csr", name, 0, der, (size_t)len);
	OPENSSL_free(der);
	sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
	X509_REQ_free(req);
}

static void
gen_csr(void)
{
	static const char *const one[] = { "a.test" };
	static const char *const many[] = { "b.example", "127.0.0.1",
	    "*.w.localhost", "::1", "A.Test" };
	static const char *const bad[] = { "a.test", "bad_name.test" };

	put_csr("one", 0, FUZZ_KEY_CSR, one, 1, NULL);
	put_csr("one-cn", 2, FUZZ_KEY_CSR, one, 1, "a.test");
	put_csr("many-reversed", 2, FUZZ_KEY_CSR, many, 5, "b.example");
	put_csr("many-drop", 4, FUZZ_KEY_CSR, many, 5, NULL);
	put_csr("many-add", 6, FUZZ_KEY_P384, many, 5, NULL);
	put_csr("forbidden", 8, FUZZ_KEY_CSR, one, 1, NULL);
	put_csr("rsa", 0, FUZZ_KEY_RSA2048, one, 1, NULL);
	put_csr("p521", 0, FUZZ_KEY_P521, one, 1, NULL);
	put_csr("ed25519", 0, FUZZ_KEY_ED25519, one, 1, NULL);
	put_csr("cn-only", 0, FUZZ_KEY_CSR, NULL, 0, "cn.test");
	put_csr("cn-ip", 0, FUZZ_KEY_CSR, many + 1, 1, "127.0.0.1");
	put_csr("bad-name", 0, FUZZ_KEY_CSR, bad, 2, NULL);
	put_csr("text", 1, FUZZ_KEY_CSR, one, 1, NULL);
	put_sel("csr", "pem-text", 1, "-----BEGIN CERTIFICATE REQUEST-----", 35);
	put_csr_ext("ext-must-staple", "tlsfeature", "status_request");
	put_csr_ext("ext-ca-true", "basicConstraints", "critical,CA:TRUE");
	put_csr_ext("ext-ca-false", "basicConstraints", "critical,CA:FALSE");
	put_csr_ext("ext-ku", "keyUsage", "critical,digitalSignature,"
	    "keyEncipherment");
	put_csr_ext("ext-ku-certsign", "keyUsage", "keyCertSign");
	put_csr_ext("ext-eku", "extendedKeyUsage", "serverAuth,clientAuth");
	put_csr_ext("ext-eku-codesigning", "extendedKeyUsage", "codeSigning");
	put_csr_ext("ext-ski", "subjectKeyIdentifier", "0102030405");
}

/* ---------- config ---------- */

static void
gen_config(void)
{
	puts_("config", "empty-object", "{}");
	puts_("config", "full", "{\n"
	    "  \"state_dir\": \"/tmp/x\",\n"
	    "  \"log_level\": \"debug\",\n"
	    "  \"log_format\": \"json\",\n"
	    "  \"listen\": [\"127.0.0.1:8555\", \"[::1]:8555\"],\n"
	    "  \"base_url\": \"https://localhost:8555/\",\n"
	    "  \"hostnames\": [\"acme.test\"],\n"
	    "  \"leaf_days\": 30,\n"
	    "  \"validation\": \"skip\",\n"
	    "  \"http01_port\": 5002,\n"
	    "  \"tlsalpn01_port\": 5001,\n"
	    "  \"dns_resolver\": \"127.0.0.1:53\",\n"
	    "  \"resolve\": [\"a.test=127.0.0.1\"],\n"
	    "  \"va_timeout_s\": 5,\n"
	    "  \"va_workers\": 2,\n"
	    "  \"max_body\": 65536,\n"
	    "  \"conn_timeout_s\": 10,\n"
	    "  \"request_deadline_s\": 20,\n"
	    "  \"per_ip_conn_limit\": 16,\n"
	    "  \"max_connections\": 128,\n"
	    "  \"threads\": 2,\n"
	    "  \"tos_url\": \"https://example.test/tos\",\n"
	    "  \"website\": \"https://example.test/\",\n"
	    "  \"caa_identities\": [\"localacme.test\"],\n"
	    "  \"eab_required\": false\n"
	    "}\n");
	puts_("config", "unknown", "{\"listen\": [\"127.0.0.1:1\"],\n \"nope\": 1}");
	puts_("config", "types", "{\"leaf_days\": \"30\"}");
	puts_("config", "range", "{\"leaf_days\": 9999}");
	puts_("config", "bool", "{\"eab_required\": 1}");
	puts_("config", "listen-bad", "{\"listen\": [\"localhost:80\"]}");
	puts_("config", "base-url-bad", "{\"base_url\": \"http://x\"}");
	puts_("config", "dup", "{\"threads\": 1, \"threads\": 2}");
	puts_("config", "syntax", "{\"threads\": 1,\n\n  }");
	puts_("config", "array", "[]");
	puts_("config", "newline-value",
	    "{\"listen\": [\"1.2.3.4\\n:80\"]}");
	puts_("config", "escaped-key", "{\"li\\u0073ten\": [\"127.0.0.1:1\"],"
	    " \"x\\\"y\": 1}");
}

/* ---------- request sequences ---------- */

struct seq {
	unsigned char	*b;
	size_t		 len;
};

static void
rec(struct seq *s, int op, int mut, int arg, const char *data)
{
	size_t	 dlen = data != NULL ? strlen(data) : 0;
	size_t	 add = (s->len > 0 ? strlen(FUZZ_REQ_SEP) : 0) + 3 + dlen;

	if ((s->b = realloc(s->b, s->len + add)) == NULL)
		exit(1);
	if (s->len > 0) {
		memcpy(s->b + s->len, FUZZ_REQ_SEP, strlen(FUZZ_REQ_SEP));
		s->len += strlen(FUZZ_REQ_SEP);
	}
	s->b[s->len++] = (unsigned char)op;
	s->b[s->len++] = (unsigned char)mut;
	s->b[s->len++] = (unsigned char)arg;
	if (dlen > 0)
		memcpy(s->b + s->len, data, dlen);
	s->len += dlen;
}

static void
done(struct seq *s, const char *name)
{
	put("request", name, s->b, s->len);
	free(s->b);
	s->b = NULL;
	s->len = 0;
}

/* Account, one-name order, its challenge, finalize, download. */
static void
issue(struct seq *s, int key, int order, int nauthz, int csrarg)
{
	rec(s, OP_NEW_ACCOUNT, 0, key, NULL);
	rec(s, OP_NEW_ORDER, 0, order, NULL);
	for (int i = 0; i < nauthz; i++) {
		rec(s, OP_AUTHZ, 0, i, NULL);
		rec(s, OP_CHALLENGE, 0, i == 2 ? 0 : 1, NULL);
	}
	rec(s, OP_ORDER, 0, 0, NULL);
	rec(s, OP_FINALIZE, 0, csrarg, NULL);
	rec(s, OP_ORDER, 0, 0, NULL);
	rec(s, OP_CERT, 0, 0, NULL);
}

static void
gen_request(void)
{
	struct seq	 s = { 0 };
	char		 name[32];

	for (int k = 0; k < FUZZ_NACCOUNT_KEYS; k++) {
		issue(&s, k, 0, 1, k == 0 ? 4 : 0);	/* k 0: with a CN */
		rec(&s, OP_REVOKE, 0, 1, NULL);
		rec(&s, OP_REVOKE, 0, 1, NULL);		/* alreadyRevoked */
		snprintf(name, sizeof(name), "issue-revoke-%d", k);
		done(&s, name);
	}
	issue(&s, 1, 1, 3, 0);
	rec(&s, OP_ORDERS, 0, 0, NULL);
	done(&s, "issue-three-names");
	issue(&s, 0, 2, 1, 0);
	rec(&s, OP_REVOKE, 0x10, 11, NULL);		/* by the cert key */
	done(&s, "issue-ip-revoke-by-key");
	issue(&s, 0, 3, 2, 0);
	done(&s, "issue-folded-names");
	/* Profiles (draft-ietf-acme-profiles): shortlived, tlsserver. */
	issue(&s, 1, 4, 1, 0);
	done(&s, "issue-profile-shortlived");
	issue(&s, 2, 5, 1, 0);
	done(&s, "issue-profile-tlsserver");
	/* ARI (RFC 9773): renewalInfo, a replacing order, a second one. */
	issue(&s, 0, 0, 1, 0);
	rec(&s, OP_RENEWAL, 0, 0, NULL);
	rec(&s, OP_RENEWAL, 0, 0, "AAAA.AQ");		/* unknown certID */
	rec(&s, OP_RENEWAL, 0, 0, "not-a-certid");
	rec(&s, OP_RENEWAL, 0, 1, NULL);		/* replaces it */
	rec(&s, OP_AUTHZ, 0, 1, NULL);			/* its new authz */
	rec(&s, OP_CHALLENGE, 0, 0, NULL);
	rec(&s, OP_FINALIZE, 0, 0, NULL);
	rec(&s, OP_ORDER, 0, 0, NULL);
	rec(&s, OP_CERT, 0, 0, NULL);
	rec(&s, OP_RENEWAL, 0, 0, NULL);
	rec(&s, OP_RENEWAL, 0, 1, NULL);	/* and replaces the new one */
	done(&s, "ari-renewal");
	/* Finalize refusals: account key, missing name, extra name, DER. */
	issue(&s, 0, 0, 1, 2);
	rec(&s, OP_FINALIZE, 0, 8, NULL);
	rec(&s, OP_FINALIZE, 0, 12, NULL);
	rec(&s, OP_FINALIZE, 0, 0, "0\x82");
	rec(&s, OP_FINALIZE, 0, 0, "{\"csr\":\"\"}");
	rec(&s, OP_FINALIZE, 0, 0, NULL);
	rec(&s, OP_FINALIZE, 0, 0, NULL);		/* orderNotReady */
	done(&s, "finalize-refusals");
	/* Key rollover, then the old key is unknown; conflicts. */
	rec(&s, OP_NEW_ACCOUNT, 0, 0, NULL);
	rec(&s, OP_NEW_ACCOUNT, 0, 5, NULL);
	rec(&s, OP_SWITCH, 0, 0, NULL);
	rec(&s, OP_KEY_CHANGE, 0, 5, NULL);		/* key in use: 409 */
	rec(&s, OP_KEY_CHANGE, 0, 1, NULL);
	rec(&s, OP_ACCOUNT, 0, 0, NULL);
	rec(&s, OP_KEY_CHANGE, 0x40, 2, NULL);		/* wrong oldKey */
	rec(&s, OP_KEY_CHANGE, 0x50, 2, NULL);		/* inner url */
	rec(&s, OP_KEY_CHANGE, 0x70, 2, NULL);		/* inner signature */
	rec(&s, OP_KEY_CHANGE, 0x40 | 0x00, 2, NULL);
	rec(&s, OP_KEY_CHANGE, 0, 2, NULL);
	rec(&s, OP_NEW_ORDER, 0, 0, NULL);
	done(&s, "key-change");
	/* Account update and deactivation; then everything is 401. */
	rec(&s, OP_NEW_ACCOUNT, 0, 4, NULL);
	rec(&s, OP_ACCOUNT, 0, 0, "{\"contact\":[\"mailto:x@example.test\"]}");
	rec(&s, OP_ACCOUNT, 0, 0, "{\"contact\":[\"tel:1\"]}");
	rec(&s, OP_ACCOUNT, 0, 0, "{\"status\":\"valid\"}");
	rec(&s, OP_NEW_ORDER, 0, 0, NULL);
	rec(&s, OP_AUTHZ, 0, 0, "{\"status\":\"deactivated\"}");
	rec(&s, OP_ORDER, 0, 0, NULL);
	rec(&s, OP_DEACTIVATE, 0, 0, NULL);
	rec(&s, OP_NEW_ORDER, 0, 0, NULL);
	rec(&s, OP_NEW_ACCOUNT, 0, 4, NULL);
	done(&s, "deactivate");
	/* Two accounts: the second cannot see or finalize the first's order. */
	issue(&s, 0, 0, 1, 0);
	rec(&s, OP_NEW_ACCOUNT, 0, 3, NULL);
	rec(&s, OP_ORDER, 0, 0, NULL);
	rec(&s, OP_AUTHZ, 0, 0, NULL);
	rec(&s, OP_CHALLENGE, 0, 0, NULL);
	rec(&s, OP_FINALIZE, 0, 0, NULL);
	rec(&s, OP_CERT, 0, 0, NULL);
	rec(&s, OP_REVOKE, 0, 0, NULL);
	rec(&s, OP_ORDERS, 0, 0, NULL);
	done(&s, "two-accounts");
	/* Every mutation on a kid request and on newAccount. */
	for (int m = M_STALE_NONCE; m <= M_SWAP_AUTH; m++) {
		rec(&s, OP_NEW_ACCOUNT, m, 0, NULL);
		rec(&s, OP_NEW_ACCOUNT, 0, 0, NULL);
		rec(&s, OP_NEW_ORDER, m, 0, NULL);
		rec(&s, OP_NEW_ORDER, m, 1, NULL);
		rec(&s, OP_NEW_ORDER, 0, 0, NULL);
		rec(&s, OP_AUTHZ, m, 0, NULL);
		rec(&s, OP_CHALLENGE, m, 0, NULL);
		snprintf(name, sizeof(name), "mutation-%d", m);
		done(&s, name);
	}
	/* newAccount edge cases and raw bodies. */
	rec(&s, OP_NEW_ACCOUNT, 0, 0, "{\"onlyReturnExisting\":true}");
	rec(&s, OP_NEW_ACCOUNT, 0, 0, "{\"contact\":\"mailto:a@b.test\"}");
	rec(&s, OP_NEW_ACCOUNT, 0, 0, "[]");
	rec(&s, OP_NEW_ACCOUNT, 0, 0, "");
	rec(&s, OP_NONCE, 0, 0, NULL);
	rec(&s, OP_NONCE, 0, 1, NULL);
	rec(&s, OP_NONCE, 0, 2, NULL);
	rec(&s, OP_NONCE, 0, 3, NULL);
	rec(&s, OP_RAW, 1, 0, "{\"protected\":\"e30\",\"payload\":\"\","
	    "\"signature\":\"AA\"}");
	rec(&s, OP_RAW, 2, 4, NULL);
	rec(&s, OP_RAW, 4, 7, NULL);
	rec(&s, OP_RAW, 6, 8, NULL);
	rec(&s, OP_RAW, 8, 5, NULL);
	rec(&s, OP_RAW, 1, 6, "{}");
	done(&s, "raw");
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_gen_corpus DIR\n");
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);
	gen_b64url();
	gen_jwk();
	gen_jws();
	gen_payload();
	gen_ident();
	gen_csr();
	gen_config();
	gen_request();
	printf("%d seed files written under %s\n", nwritten, outdir);
	return 0;
}
