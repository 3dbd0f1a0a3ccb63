/* test_page.c - src/page/page_render.c: the status page escapes what clients chose, pages the table and flags certificates not renewed */
/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "acme/acme.h"
#include "page.h"
#include "ra.h"

#define NOW	((time_t)1800000000)

static struct page_root root = {
	.fingerprint = "AB:CD:EF",
	.subject = "CN=localacme root",
	.not_before = 1700000000,
	.not_after = 2000000000,
};

static void
view(struct page_view *v, const struct page_row *rows, size_t n)
{
	memset(v, 0, sizeof(*v));
	v->base_url = "https://localhost:8555";
	v->root = &root;
	v->root_pem = "-----BEGIN CERTIFICATE-----\n";
	v->rows = rows;
	v->nrows = n;
	v->first = true;
	v->now = NOW;
}

static struct page_row
row(const char *names, const char *serial, time_t issued, time_t not_after,
    enum ra_renewal r)
{
	struct page_row pr;

	memset(&pr, 0, sizeof(pr));
	pr.names = names;
	pr.serial = serial;
	pr.source = "acme";
	pr.profile = "";
	pr.issued = issued;
	pr.not_after = not_after;
	pr.renewal = r;
	return pr;
}

static char *
render(const struct page_view *v)
{
	size_t	 len;
	char	*html = page_render(v, &len);

	assert_non_null(html);
	assert_int_equal(strlen(html), len);
	return html;
}

/* Names come from clients: markup in them is text, never markup. */
static void
test_page_script_in_name_escaped(void **state)
{
	struct page_row	 r[1];
	struct page_view v;
	char		*html;

	(void)state;
	r[0] = row("<script>alert(1)</script>.test,\"x'&", "0a", NOW - 10,
	    NOW + 86400, RA_RENEWAL_CURRENT);
	view(&v, r, 1);
	html = render(&v);
	assert_null(strstr(html, "<script"));
	assert_non_null(strstr(html,
	    "&lt;script&gt;alert(1)&lt;/script&gt;.test,&quot;x&#39;&amp;"));
	free(html);
}

/* The base URL, the CRL and metrics URLs land in attributes: escaped too. */
static void
test_page_urls_in_attributes_escaped(void **state)
{
	struct page_view v;
	char		*html;

	(void)state;
	view(&v, NULL, 0);
	v.crl_url = "https://h/\"><b>crl";
	v.metrics_url = "https://h/<i>m";
	html = render(&v);
	assert_null(strstr(html, "<b>"));
	assert_null(strstr(html, "<i>"));
	assert_non_null(strstr(html, "href=\"https://h/&quot;&gt;&lt;b&gt;crl\""));
	assert_non_null(strstr(html, "id=\"metrics\""));
	free(html);
}

static void
test_page_no_crl_no_metrics_links_absent(void **state)
{
	struct page_view v;
	char		*html;

	(void)state;
	view(&v, NULL, 0);
	html = render(&v);
	assert_null(strstr(html, "id=\"crl\""));
	assert_null(strstr(html, "id=\"metrics\""));
	assert_non_null(strstr(html, "None yet."));
	free(html);
}

/* Keyset paging: "Older" carries the last row's (issued, serial). */
static void
test_page_older_link_is_last_rows_cursor(void **state)
{
	struct page_row	 r[2];
	struct page_view v;
	char		*html;

	(void)state;
	r[0] = row("a.test", "0b", NOW - 5, NOW + 10, RA_RENEWAL_CURRENT);
	r[1] = row("b.test", "0a", NOW - 9, NOW + 10, RA_RENEWAL_CURRENT);
	view(&v, r, 2);
	v.older = true;
	html = render(&v);
	assert_non_null(strstr(html, "id=\"older\" href=\"/?before=1799999991.0a"
	    "#certificates\""));
	assert_null(strstr(html, "id=\"newest\""));
	free(html);
	v.older = false;
	v.first = false;
	html = render(&v);
	assert_null(strstr(html, "id=\"older\""));
	assert_non_null(strstr(html, "id=\"newest\""));
	free(html);
}

static void
test_page_directory_url_and_fingerprint_shown(void **state)
{
	struct page_view v;
	char		*html;

	(void)state;
	view(&v, NULL, 0);
	html = render(&v);
	assert_non_null(strstr(html, "https://localhost:8555/directory"));
	assert_non_null(strstr(html, "<code id=\"fingerprint\">AB:CD:EF</code>"));
	assert_non_null(strstr(html, "--server https://localhost:8555/directory"));
	assert_non_null(strstr(html, "caServer: https://localhost:8555/directory"));
	/* cert-manager's caBundle is the root PEM, base64 */
	assert_non_null(strstr(html, "caBundle: LS0tLS1CRUdJTi"));
	free(html);
}

/* Renewal health: an ended certificate with no replacement is flagged. */
static void
test_page_not_renewed_flagged(void **state)
{
	struct page_row	 r[3];
	struct page_view v;
	char		*html;

	(void)state;
	r[0] = row("gone.test", "03", NOW - 99, NOW - 1, RA_RENEWAL_MISSING);
	r[1] = row("kept.test", "02", NOW - 99, NOW - 1, RA_RENEWAL_RENEWED);
	r[2] = row("late.test", "01", NOW - 99, NOW - 1, RA_RENEWAL_LATE);
	view(&v, r, 3);
	html = render(&v);
	assert_non_null(strstr(html, "gone.test</td><td>acme</td><td>-</td>"));
	assert_non_null(strstr(html, "<td>expired</td><td class=\"flag\">"
	    "not renewed</td>"));
	assert_non_null(strstr(html, "<td class=\"ok\">renewed in time</td>"));
	assert_non_null(strstr(html, "<td class=\"flag\">renewed late</td>"));
	free(html);
}

/* ra_renewal_of: replaced before notAfter, after it, never; revoked apart. */
static void
test_page_renewal_judged(void **state)
{
	struct acme_cert c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.status = ACME_CERT_VALID;
	c.not_after = NOW - 10;
	assert_int_equal(ra_renewal_of(&c, 0, NOW), RA_RENEWAL_MISSING);
	assert_int_equal(ra_renewal_of(&c, NOW - 20, NOW), RA_RENEWAL_RENEWED);
	assert_int_equal(ra_renewal_of(&c, NOW - 10, NOW), RA_RENEWAL_RENEWED);
	assert_int_equal(ra_renewal_of(&c, NOW - 9, NOW), RA_RENEWAL_LATE);
	c.not_after = NOW + 10;
	assert_int_equal(ra_renewal_of(&c, 0, NOW), RA_RENEWAL_CURRENT);
	assert_int_equal(ra_renewal_of(&c, NOW - 1, NOW), RA_RENEWAL_RENEWED);
	c.status = ACME_CERT_REVOKED;
	c.not_after = NOW - 10;
	assert_int_equal(ra_renewal_of(&c, 0, NOW), RA_RENEWAL_REVOKED);
}

/* A full page of rows, as the route renders it: each row once. */
static void
test_page_full_page_rows(void **state)
{
	struct page_row	 r[PAGE_ROWS];
	char		 serial[PAGE_ROWS][8];
	struct page_view v;
	char		*html, *p;
	size_t		 n = 0;

	(void)state;
	for (size_t i = 0; i < PAGE_ROWS; i++) {
		snprintf(serial[i], sizeof(serial[i]), "%02zx", i);
		r[i] = row("a.test", serial[i], NOW - (time_t)i, NOW + 10,
		    RA_RENEWAL_CURRENT);
	}
	view(&v, r, PAGE_ROWS);
	html = render(&v);
	for (p = html; (p = strstr(p, "<tr class=\"cert\">")) != NULL; p++)
		n++;
	assert_int_equal(n, PAGE_ROWS);
	free(html);
}

static void
test_page_mobileconfig_root_payload(void **state)
{
	const unsigned char	 der[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	size_t			 len;
	char			*x;

	(void)state;
	x = page_mobileconfig(der, sizeof(der), &root, &len);
	assert_non_null(x);
	assert_non_null(strstr(x, "<string>com.apple.security.root</string>"));
	assert_non_null(strstr(x, "<data>MAMCAQE=</data>"));
	assert_non_null(strstr(x, "<string>Configuration</string>"));
	free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_script_in_name_escaped),
		cmocka_unit_test(test_page_urls_in_attributes_escaped),
		cmocka_unit_test(test_page_no_crl_no_metrics_links_absent),
		cmocka_unit_test(test_page_older_link_is_last_rows_cursor),
		cmocka_unit_test(test_page_directory_url_and_fingerprint_shown),
		cmocka_unit_test(test_page_not_renewed_flagged),
		cmocka_unit_test(test_page_renewal_judged),
		cmocka_unit_test(test_page_full_page_rows),
		cmocka_unit_test(test_page_mobileconfig_root_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
