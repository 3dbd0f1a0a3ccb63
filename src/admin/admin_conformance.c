/* admin_conformance.c - GET <admin>/conformance: the client conformance report as JSON */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "admin_conformance.h"
#include "conformance.h"
#include "httpd.h"

void
admin_conformance(struct http_response *resp)
{
	json_t	*j;
	char	*s = NULL, *body = NULL;
	size_t	 n = 0;

	if ((j = conformance_json()) != NULL) {
		s = json_dumps(j, JSON_INDENT(2));
		json_decref(j);
	}
	/* One newline at the end, for a terminal. */
	if (s != NULL && (body = malloc((n = strlen(s)) + 2)) != NULL) {
		memcpy(body, s, n);
		body[n++] = '\n';
		body[n] = '\0';
	}
	free(s);
	if (body == NULL) {
		resp->status = 500;
		return;
	}
	http_response_set_body(resp, 200, "application/json", body, n);
}
