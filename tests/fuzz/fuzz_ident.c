/* fuzz_ident.c - libFuzzer target: identifier syntax and normalisation (RFC 8555 §7.1.4, RFC 8738) */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "acme/ident.h"
#include "fuzz.h"

/*
 * Input: a mode byte, then text. Modes: DNS value, IP value, typed
 * ("type\nvalue"), the CLI form, and a list of CLI names one per line
 * (normalised as an order's identifiers are). Properties: an accepted
 * name re-parses to itself (normalisation is idempotent) with the same
 * wildcard flag; DNS names are lower-case LDH/A-label text, at most 253
 * octets, "*." only in front; IPs are addresses with a reverse name; a
 * normalised list is strictly sorted.
 */
static void
check_accepted(const struct acme_identifier *id, bool wildcard)
{
	struct acme_identifier	 again;
	struct acme_problem	 prob;
	char			 rev[ACME_REVERSE_NAME_SIZE];
	const char		*v = id->value;
	bool			 w2 = false;
	size_t			 len = strlen(v);

	FUZZ_CHECK(len > 0 && len < sizeof(id->value), "length %zu", len);
	if (id->type == ACME_IDENT_DNS) {
		const char *base = wildcard ? v + 2 : v;

		FUZZ_CHECK(wildcard == (strncmp(v, "*.", 2) == 0),
		    "wildcard flag for \"%s\"", v);
		FUZZ_CHECK(strlen(v) <= ACME_DNS_NAME_MAX, "too long: %zu", len);
		FUZZ_CHECK(strspn(base, "abcdefghijklmnopqrstuvwxyz0123456789-.") ==
		    strlen(base), "not LDH: \"%s\"", v);
		FUZZ_CHECK(base[0] != '.' && base[0] != '-' &&
		    strstr(base, "..") == NULL && base[strlen(base) - 1] != '.',
		    "bad label: \"%s\"", v);
		FUZZ_CHECK(!acme_ident_is_ip(base), "IP as DNS: \"%s\"", v);
	} else {
		FUZZ_CHECK(!wildcard, "wildcard IP");
		FUZZ_CHECK(acme_ident_is_ip(v), "not an IP: \"%s\"", v);
		FUZZ_CHECK(acme_ident_reverse_name(id, rev, sizeof(rev)) == 0,
		    "no reverse name for \"%s\"", v);
	}
	memset(&prob, 0, sizeof(prob));
	FUZZ_CHECK(acme_ident_parse(id->type, v, &again, &w2, &prob) == 0,
	    "\"%s\" does not re-parse: %s", v, prob.detail);
	FUZZ_CHECK(again.type == id->type && strcmp(again.value, v) == 0 &&
	    w2 == wildcard, "\"%s\" re-parses to \"%s\"", v, again.value);
	FUZZ_CHECK(acme_ident_equal(&again, id), "not equal to itself");
}

static void
check_list(char *text)
{
	static struct acme_identifier	 ids[ACME_MAX_IDENTIFIERS];
	struct acme_problem		 prob;
	size_t				 n = 0;
	bool				 w;
	char				*line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line != NULL &&
	    n < ACME_MAX_IDENTIFIERS; line = strtok_r(NULL, "\n", &save)) {
		if (acme_ident_from_cli(line, &ids[n], &w, &prob) == 0)
			n++;
	}
	FUZZ_CHECK(acme_ident_list_normalize(ids, &n) == 0, "normalize");
	for (size_t i = 1; i < n; i++)
		FUZZ_CHECK(acme_ident_cmp(&ids[i - 1], &ids[i]) < 0,
		    "not strictly sorted at %zu", i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_identifier	 id;
	struct acme_problem	 prob;
	char			*text, *nl;
	bool			 wildcard = false;
	int			 rc = -1;

	if (size < 1)
		return 0;
	text = fuzz_strndup(data + 1, size - 1);
	memset(&prob, 0, sizeof(prob));
	switch (data[0] % 5) {
	case 0:
		rc = acme_ident_parse(ACME_IDENT_DNS, text, &id, &wildcard, &prob);
		break;
	case 1:
		rc = acme_ident_parse(ACME_IDENT_IP, text, &id, &wildcard, &prob);
		break;
	case 2:
		if ((nl = strchr(text, '\n')) != NULL) {
			*nl = '\0';
			rc = acme_ident_parse_typed(text, nl + 1, &id,
			    &wildcard, &prob);
		}
		break;
	case 3:
		rc = acme_ident_from_cli(text, &id, &wildcard, &prob);
		break;
	default:
		check_list(text);
		break;
	}
	if (rc == 0)
		check_accepted(&id, wildcard);
	else if (data[0] % 5 != 4 && prob.status != 0)
		FUZZ_CHECK(prob.status == 400 && (prob.type == ACME_P_MALFORMED ||
		    prob.type == ACME_P_REJECTEDIDENTIFIER ||
		    prob.type == ACME_P_UNSUPPORTEDIDENTIFIER),
		    "type %d status %d", (int)prob.type, prob.status);
	free(text);
	return 0;
}
