/* url.c - the URL layout: building ACME URLs and routing request paths (RFC 8555 §7.1) */
/* SPDX-License-Identifier: MIT */

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "acme/url.h"

/* Path of each kind: prefix, and suffix after "<id>" (NULL = no id). */
static const struct {
	const char	*prefix;
	const char	*suffix;
} layout[ACME_URL__MAX] = {
	[ACME_URL_DIRECTORY] = { ACME_PATH_DIRECTORY, NULL },
	[ACME_URL_NEW_NONCE] = { ACME_PATH_NEW_NONCE, NULL },
	[ACME_URL_NEW_ACCOUNT] = { ACME_PATH_NEW_ACCOUNT, NULL },
	[ACME_URL_NEW_ORDER] = { ACME_PATH_NEW_ORDER, NULL },
	[ACME_URL_REVOKE_CERT] = { ACME_PATH_REVOKE_CERT, NULL },
	[ACME_URL_KEY_CHANGE] = { ACME_PATH_KEY_CHANGE, NULL },
	[ACME_URL_RENEWAL_INFO] = { ACME_PATH_RENEWAL_INFO, NULL },
	[ACME_URL_ACCOUNT] = { ACME_PATH_ACCOUNT, "" },
	[ACME_URL_ACCOUNT_ORDERS] = { ACME_PATH_ACCOUNT, "/orders" },
	[ACME_URL_ORDER] = { ACME_PATH_ORDER, "" },
	[ACME_URL_FINALIZE] = { ACME_PATH_ORDER, "/finalize" },
	[ACME_URL_AUTHZ] = { ACME_PATH_AUTHZ, "" },
	[ACME_URL_CHALLENGE] = { ACME_PATH_CHALLENGE, "" },
	[ACME_URL_CERT] = { ACME_PATH_CERT, "" },
	[ACME_URL_CERT_ALT] = { ACME_PATH_CERT, NULL },	/* by hand: two ids */
};

#define CERT_ALT_MID	"/alt/"

static bool
id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static bool
id_ok(const char *id, size_t len)
{
	size_t i;

	if (len == 0 || len > ACME_URL_ID_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!id_char(id[i]))
			return false;
	/* "." and ".." would be path segments, not ids */
	if (id[0] == '.' && (len == 1 || (len == 2 && id[1] == '.')))
		return false;
	return true;
}

int
acme_url_build(const char *base, enum acme_url_kind k, const char *id,
    char *out, size_t outsz)
{
	size_t	 blen;
	int	 r;

	if (out == NULL || outsz == 0)
		return -1;
	out[0] = '\0';
	if (base == NULL || (int)k < 0 || k >= ACME_URL__MAX)
		return -1;
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (blen > (size_t)ACME_URL_SIZE)
		return -1;
	if (k == ACME_URL_CERT_ALT) {
		/* id "<serial>/<k>" */
		const char *sl = id != NULL ? strchr(id, '/') : NULL;

		if (sl == NULL || !id_ok(id, (size_t)(sl - id)) ||
		    sl[1] < '1' || sl[1] > '9' || sl[2] != '\0')
			return -1;
		r = snprintf(out, outsz, "%.*s%s%.*s%s%c", (int)blen, base,
		    layout[k].prefix, (int)(sl - id), id, CERT_ALT_MID, sl[1]);
	} else if (layout[k].suffix != NULL) {
		if (id == NULL || !id_ok(id, strlen(id)))
			return -1;
		r = snprintf(out, outsz, "%.*s%s%s%s", (int)blen, base,
		    layout[k].prefix, id, layout[k].suffix);
	} else if (k == ACME_URL_RENEWAL_INFO && id != NULL && id[0] != '\0') {
		if (!id_ok(id, strlen(id)))
			return -1;
		r = snprintf(out, outsz, "%.*s%s/%s", (int)blen, base,
		    layout[k].prefix, id);
	} else {
		r = snprintf(out, outsz, "%.*s%s", (int)blen, base,
		    layout[k].prefix);
	}
	if (r < 0 || (size_t)r >= outsz) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

static int
copy_id(const char *s, size_t len, char *id, size_t idsz)
{
	if (!id_ok(s, len) || len >= idsz)
		return -1;
	memcpy(id, s, len);
	id[len] = '\0';
	return 0;
}

int
acme_url_parse_path(const char *path, enum acme_url_kind *k, char *id,
    size_t idsz)
{
	const char	*rest, *slash;
	size_t		 plen, len;
	int		 i;

	if (path == NULL || k == NULL || id == NULL || idsz == 0)
		return -1;
	id[0] = '\0';
	/* Fixed paths: exact match. */
	for (i = 0; i < ACME_URL__MAX; i++) {
		if (layout[i].suffix == NULL && i != ACME_URL_CERT_ALT &&
		    strcmp(path, layout[i].prefix) == 0) {
			*k = (enum acme_url_kind)i;
			return 0;
		}
	}
	plen = strlen(ACME_PATH_RENEWAL_INFO);
	if (strncmp(path, ACME_PATH_RENEWAL_INFO, plen) == 0 &&
	    path[plen] == '/') {
		if (copy_id(path + plen + 1, strlen(path + plen + 1), id,
		    idsz) == -1)
			return -1;
		*k = ACME_URL_RENEWAL_INFO;
		return 0;
	}
	/* "/acme/cert/<serial>/alt/<k>", k one digit 1-9 (RFC 8555 §7.4.2). */
	plen = strlen(ACME_PATH_CERT);
	if (strncmp(path, ACME_PATH_CERT, plen) == 0 &&
	    (slash = strchr(path + plen, '/')) != NULL &&
	    strncmp(slash, CERT_ALT_MID, strlen(CERT_ALT_MID)) == 0) {
		rest = slash + strlen(CERT_ALT_MID);
		len = (size_t)(slash - (path + plen));
		if (rest[0] < '1' || rest[0] > '9' || rest[1] != '\0' ||
		    !id_ok(path + plen, len) || len + 3 > idsz)
			return -1;
		memcpy(id, path + plen, len);
		id[len] = '/';
		id[len + 1] = rest[0];
		id[len + 2] = '\0';
		*k = ACME_URL_CERT_ALT;
		return 0;
	}
	/* "<prefix><id><suffix>"; the suffix-less kind comes first. */
	for (i = 0; i < ACME_URL__MAX; i++) {
		if (layout[i].suffix == NULL || i == ACME_URL_CERT_ALT)
			continue;
		plen = strlen(layout[i].prefix);
		if (strncmp(path, layout[i].prefix, plen) != 0)
			continue;
		rest = path + plen;
		slash = strchr(rest, '/');
		len = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
		if (strcmp(rest + len, layout[i].suffix) != 0)
			continue;
		if (copy_id(rest, len, id, idsz) == -1)
			return -1;
		*k = (enum acme_url_kind)i;
		return 0;
	}
	return -1;
}

int
acme_url_directory(const char *base, char *out, size_t outsz)
{
	return acme_url_build(base, ACME_URL_DIRECTORY, NULL, out, outsz);
}

int
acme_url_new_nonce(const char *base, char *out, size_t outsz)
{
	return acme_url_build(base, ACME_URL_NEW_NONCE, NULL, out, outsz);
}

int
acme_url_new_account(const char *base, char *out, size_t outsz)
{
	return acme_url_build(base, ACME_URL_NEW_ACCOUNT, NULL, out, outsz);
}

int
acme_url_new_order(const char *base, char *out, size_t outsz)
{
	return acme_url_build(base, ACME_URL_NEW_ORDER, NULL, out, outsz);
}

int
acme_url_revoke_cert(const char *base, char *out, size_t outsz)
{
	return acme_url_build(base, ACME_URL_REVOKE_CERT, NULL, out, outsz);
}

int
acme_url_key_change(const char *base, char *out, size_t outsz)
{
	return acme_url_build(base, ACME_URL_KEY_CHANGE, NULL, out, outsz);
}

int
acme_url_account(const char *base, const char *id, char *out, size_t outsz)
{
	return acme_url_build(base, ACME_URL_ACCOUNT, id, out, outsz);
}

int
acme_url_account_orders(const char *base, const char *id, char *out,
    size_t outsz)
{
	return acme_url_build(base, ACME_URL_ACCOUNT_ORDERS, id, out, outsz);
}

int
acme_url_order(const char *base, const char *id, char *out, size_t outsz)
{
	return acme_url_build(base, ACME_URL_ORDER, id, out, outsz);
}

int
acme_url_finalize(const char *base, const char *id, char *out, size_t outsz)
{
	return acme_url_build(base, ACME_URL_FINALIZE, id, out, outsz);
}

int
acme_url_authz(const char *base, const char *id, char *out, size_t outsz)
{
	return acme_url_build(base, ACME_URL_AUTHZ, id, out, outsz);
}

int
acme_url_challenge(const char *base, const char *id, char *out,
    size_t outsz)
{
	return acme_url_build(base, ACME_URL_CHALLENGE, id, out, outsz);
}

int
acme_url_cert(const char *base, const char *serial, char *out, size_t outsz)
{
	return acme_url_build(base, ACME_URL_CERT, serial, out, outsz);
}

int
acme_url_cert_alt(const char *base, const char *serial, unsigned k, char *out,
    size_t outsz)
{
	char id[ACME_URL_ID_MAX + 3];

	if (serial == NULL || k < 1 || k > 9 ||
	    snprintf(id, sizeof(id), "%s/%u", serial, k) >= (int)sizeof(id)) {
		if (out != NULL && outsz > 0)
			out[0] = '\0';
		return -1;
	}
	return acme_url_build(base, ACME_URL_CERT_ALT, id, out, outsz);
}
