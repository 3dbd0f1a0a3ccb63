/* doctor_report.c - the findings of `localacme doctor`: collected, printed as lines or as JSON */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "doctor.h"

void
doctor_add(struct doctor_report *r, const char *check,
    enum doctor_status status, const char *fix, const char *fmt, ...)
{
	struct doctor_finding	*f;
	va_list			 ap;

	if (r->n == r->cap) {
		size_t	 cap = r->cap == 0 ? 16 : 2 * r->cap;
		void	*v = realloc(r->v, cap * sizeof(*r->v));

		if (v == NULL) {
			r->oom = true;
			return;
		}
		r->v = v;
		r->cap = cap;
	}
	f = &r->v[r->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->check, sizeof(f->check), "%s", check);
	f->status = status;
	snprintf(f->fix, sizeof(f->fix), "%s", fix != NULL ? fix : "");
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

void
doctor_fmt(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
}

void
doctor_report_clear(struct doctor_report *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

enum doctor_status
doctor_worst(const struct doctor_report *r)
{
	enum doctor_status w = r->oom ? DOCTOR_FAIL : DOCTOR_OK;

	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].status > w)
			w = r->v[i].status;
	return w;
}

const char *
doctor_status_str(enum doctor_status s)
{
	switch (s) {
	case DOCTOR_OK:
		return "ok";
	case DOCTOR_WARN:
		return "warn";
	case DOCTOR_FAIL:
		break;
	}
	return "fail";
}

void
doctor_print_text(const struct doctor_report *r, FILE *fp)
{
	size_t count[3] = { 0, 0, 0 };

	for (size_t i = 0; i < r->n; i++) {
		const struct doctor_finding *f = &r->v[i];

		count[f->status]++;
		fprintf(fp, "%-5s %s: %s\n", doctor_status_str(f->status),
		    f->check, f->message);
		if (f->fix[0] != '\0')
			fprintf(fp, "      fix: %s\n", f->fix);
	}
	if (r->oom)
		fprintf(fp, "fail  doctor: out of memory, findings are "
		    "missing\n");
	fprintf(fp, "%zu ok, %zu warning%s, %zu failure%s\n", count[0],
	    count[1], count[1] == 1 ? "" : "s", count[2],
	    count[2] == 1 ? "" : "s");
}

int
doctor_print_json(const struct doctor_report *r, FILE *fp)
{
	json_t	*doc = NULL, *arr;
	int	 rc = -1;

	if ((arr = json_array()) == NULL)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		const struct doctor_finding *f = &r->v[i];
		json_t *o;

		o = json_pack("{s:s, s:s, s:s}", "check", f->check,
		    "status", doctor_status_str(f->status),
		    "message", f->message);
		if (o == NULL || (f->fix[0] != '\0' && json_object_set_new(o,
		    "fix", json_string(f->fix)) == -1) ||
		    json_array_append_new(arr, o) == -1) {
			json_decref(o);
			goto out;
		}
	}
	if ((doc = json_pack("{s:b, s:s, s:O}", "ok",
	    doctor_worst(r) != DOCTOR_FAIL, "worst",
	    doctor_status_str(doctor_worst(r)), "findings", arr)) == NULL ||
	    json_dumpf(doc, fp, JSON_INDENT(2)) == -1)
		goto out;
	fputc('\n', fp);
	rc = 0;
out:
	json_decref(arr);
	json_decref(doc);
	return rc;
}

void
doctor_shell_quote(const char *s, char *buf, size_t sz)
{
	size_t	 o = 0;
	bool	 plain = *s != '\0';

	for (const char *p = s; *p != '\0'; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789@%+=:,./-_", *p) == NULL)
			plain = false;
	if (plain) {
		snprintf(buf, sz, "%s", s);
		return;
	}
	if (sz == 0)
		return;
#define PUT(c)	do { if (o + 1 < sz) buf[o++] = (c); } while (0)
	PUT('\'');
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '\'') {
			PUT('\'');
			PUT('\\');
			PUT('\'');
			PUT('\'');
		} else
			PUT(*p);
	}
	PUT('\'');
#undef PUT
	buf[o] = '\0';
}
