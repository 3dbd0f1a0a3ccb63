/* page_render.c - the status page's HTML and the Apple profile, from a view; escapes every text it is given */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "page.h"

/* A growing string; after a failed allocation every append is a no-op. */
struct buf {
	char	*p;
	size_t	 n, cap;
	int	 oom;
};

static void
putn(struct buf *b, const char *s, size_t n)
{
	char	*np;
	size_t	 cap;

	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		cap = b->cap != 0 ? b->cap : 16384;
		while (cap < b->n + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
put(struct buf *b, const char *s)
{
	putn(b, s, strlen(s));
}

/* Only for our own text and numbers: never a string from the view. */
static void __attribute__((format(printf, 2, 3)))
putf(struct buf *b, const char *fmt, ...)
{
	char	 tmp[512];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->oom = 1;
		return;
	}
	putn(b, tmp, (size_t)n);
}

/* HTML text and attribute values alike: the five characters that matter. */
static void
esc(struct buf *b, const char *s)
{
	const char	*run = s;

	if (s == NULL)
		return;
	for (; *s != '\0'; s++) {
		const char *e;

		switch (*s) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: continue;
		}
		putn(b, run, (size_t)(s - run));
		put(b, e);
		run = s + 1;
	}
	put(b, run);
}

static void
date(struct buf *b, time_t t)
{
	struct tm	tm;
	char		s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M UTC", &tm);
	put(b, s);
}

/* <pre><code> with the text escaped: the recipes carry the base URL. */
static void
code(struct buf *b, const char *id, const char *title)
{
	putf(b, "<h3 id=\"%s\">", id);
	put(b, title);
	put(b, "</h3>\n<pre><code>");
}

static void
endcode(struct buf *b)
{
	put(b, "</code></pre>\n");
}

static const char style[] =
	"body{font-family:system-ui,sans-serif;max-width:70em;margin:1em auto;"
	"padding:0 1em;color:#222;line-height:1.4}"
	"code,pre{font-family:ui-monospace,monospace;font-size:.92em}"
	"pre{background:#f4f4f4;padding:.6em;overflow-x:auto}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{border-bottom:1px solid #ddd;padding:.25em .4em;text-align:left;"
	"vertical-align:top}"
	"td.names{word-break:break-all}"
	".flag{color:#a00;font-weight:bold}.ok{color:#060}"
	"nav a{margin-right:1em}";

static void
head(struct buf *b, const struct page_view *v)
{
	put(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>localacme: ");
	esc(b, v->base_url);
	put(b, "</title>\n<style>");
	put(b, style);
	put(b, "</style>\n</head>\n<body>\n<h1>localacme</h1>\n");
	if (v->weak_keys)
		put(b, "<p class=\"flag\" id=\"weak-keys\">WEAK KEYS ACCEPTED "
		    "(--weak-keys): RSA 1024-bit and P-521 account and CSR "
		    "keys are certified. A test mode for ACME client suites, "
		    "never for real use.</p>\n");
	put(b, "<p>A local certificate authority speaking ACME (RFC 8555). "
	    "ACME directory: <code id=\"directory\">");
	esc(b, v->base_url);
	put(b, "/directory</code></p>\n<nav><a href=\"#root\">Root</a>"
	    "<a href=\"#trust\">Trust it</a><a href=\"#recipes\">Clients</a>"
	    "<a href=\"#certificates\">Certificates</a></nav>\n");
}

static void
root(struct buf *b, const struct page_view *v)
{
	const struct page_root *r = v->root;

	put(b, "<h2 id=\"root\">Root certificate</h2>\n<table>\n"
	    "<tr><th scope=\"row\">SHA-256 fingerprint</th>"
	    "<td><code id=\"fingerprint\">");
	esc(b, r->fingerprint);
	put(b, "</code></td></tr>\n<tr><th scope=\"row\">Subject</th>"
	    "<td id=\"subject\">");
	esc(b, r->subject);
	put(b, "</td></tr>\n<tr><th scope=\"row\">Valid</th><td>");
	date(b, r->not_before);
	put(b, " to ");
	date(b, r->not_after);
	put(b, "</td></tr>\n</table>\n<p>Download: "
	    "<a id=\"dl-pem\" href=\"/root.pem\">root.pem</a> (PEM) · "
	    "<a id=\"dl-der\" href=\"/root.der\">root.der</a> (DER, for "
	    "Windows and Android) · <a id=\"dl-mobileconfig\" "
	    "href=\"/root.mobileconfig\">root.mobileconfig</a> (iOS, "
	    "macOS). Compare the fingerprint above with "
	    "<code>openssl x509 -in root.pem -noout -fingerprint "
	    "-sha256</code> before you trust the file.</p>\n");
}

static void
trust(struct buf *b, const struct page_view *v)
{
	put(b, "<h2 id=\"trust\">Trust the root</h2>\n"
	    "<p>Fetch it first (the fingerprint is your check):</p>\n"
	    "<pre><code>curl -k -o root.pem ");
	esc(b, v->base_url);
	put(b, "/root.pem\ncurl -k -o root.der ");
	esc(b, v->base_url);
	put(b, "/root.der</code></pre>\n");
	code(b, "trust-here", "This machine (every store localacme knows)");
	put(b, "localacme trust install\nlocalacme trust status");
	endcode(b);
	code(b, "trust-debian", "Debian, Ubuntu");
	put(b, "sudo cp root.pem /usr/local/share/ca-certificates/"
	    "localacme.crt\nsudo update-ca-certificates");
	endcode(b);
	code(b, "trust-fedora", "Fedora, RHEL");
	put(b, "sudo cp root.pem /etc/pki/ca-trust/source/anchors/"
	    "localacme.pem\nsudo update-ca-trust");
	endcode(b);
	code(b, "trust-macos", "macOS");
	put(b, "sudo security add-trusted-cert -d -r trustRoot "
	    "-k /Library/Keychains/System.keychain root.pem");
	endcode(b);
	code(b, "trust-windows", "Windows (an administrator's prompt)");
	put(b, "certutil -addstore -f Root root.der\n"
	    "rem or for your user only:\ncertutil -user -addstore Root "
	    "root.der");
	endcode(b);
	code(b, "trust-firefox", "Firefox (its own store)");
	put(b, "certutil -A -n localacme -t C,, -i root.pem "
	    "-d sql:$HOME/.mozilla/firefox/PROFILE\n"
	    "# or: Settings, Privacy &amp; Security, Certificates, "
	    "View Certificates, Authorities, Import");
	endcode(b);
	put(b, "<h3 id=\"trust-phone\">iPhone, iPad, Android</h3>\n<p>iOS: "
	    "open <a href=\"/root.mobileconfig\">root.mobileconfig</a> in "
	    "Safari, install it under Settings, Profile Downloaded, then "
	    "turn on full trust under Settings, General, About, Certificate "
	    "Trust Settings. Android: Settings, Security, Encryption &amp; "
	    "credentials, Install a certificate, CA certificate, and pick "
	    "<a href=\"/root.der\">root.der</a>.</p>\n");
}

/* base64 of the root PEM, for cert-manager's caBundle. */
static void
b64(struct buf *b, const char *s)
{
	size_t		 n = strlen(s), cap = 4 * ((n + 2) / 3) + 1;
	unsigned char	*o;

	if ((o = malloc(cap)) == NULL) {
		b->oom = 1;
		return;
	}
	EVP_EncodeBlock(o, (const unsigned char *)s, (int)n);
	put(b, (const char *)o);
	free(o);
}

static void
recipes(struct buf *b, const struct page_view *v)
{
	const char *u = v->base_url;

	put(b, "<h2 id=\"recipes\">Clients</h2>\n<p>Each uses this "
	    "server's directory and needs the root trusted (above) or "
	    "named, as shown. <code>example.localhost</code> stands for "
	    "your name.</p>\n");
	code(b, "certbot", "certbot");
	put(b, "sudo REQUESTS_CA_BUNDLE=$PWD/root.pem certbot certonly "
	    "--standalone \\\n  --server ");
	esc(b, u);
	put(b, "/directory \\\n  -d example.localhost --agree-tos "
	    "--register-unsafely-without-email");
	endcode(b);
	code(b, "lego", "lego");
	put(b, "LEGO_CA_CERTIFICATES=$PWD/root.pem lego --server ");
	esc(b, u);
	put(b, "/directory \\\n  --email you@example.com --domains "
	    "example.localhost --http run");
	endcode(b);
	code(b, "caddy", "Caddy (Caddyfile)");
	put(b, "example.localhost {\n\ttls {\n\t\tca ");
	esc(b, u);
	put(b, "/directory\n\t\tca_root /path/to/root.pem\n\t}\n"
	    "\trespond \"hello\"\n}");
	endcode(b);
	code(b, "traefik", "Traefik (traefik.yml; run with "
	    "LEGO_CA_CERTIFICATES=/path/to/root.pem)");
	put(b, "certificatesResolvers:\n  localacme:\n    acme:\n"
	    "      caServer: ");
	esc(b, u);
	put(b, "/directory\n      email: you@example.com\n"
	    "      storage: /data/acme.json\n      httpChallenge:\n"
	    "        entryPoint: web");
	endcode(b);
	code(b, "nginx", "nginx + certbot");
	put(b, "sudo REQUESTS_CA_BUNDLE=$PWD/root.pem certbot --nginx "
	    "--server ");
	esc(b, u);
	put(b, "/directory \\\n  -d example.localhost --agree-tos "
	    "--register-unsafely-without-email");
	endcode(b);
	code(b, "compose", "docker compose (Caddy in a container, "
	    "compose.yaml)");
	put(b, "# serve must be reachable from the container: run it with\n"
	    "# --listen 0.0.0.0:PORT and a --base-url whose host the\n"
	    "# container resolves (--hostname adds it to serve's certificate)"
	    "\nservices:\n  web:\n    image: caddy:2\n"
	    "    ports: [\"80:80\", \"443:443\"]\n"
	    "    extra_hosts: [\"host.docker.internal:host-gateway\"]\n"
	    "    environment:\n      ACME_CA: ");
	esc(b, u);
	put(b, "/directory\n    volumes:\n"
	    "      - ./root.pem:/etc/localacme/root.pem:ro\n"
	    "      - ./Caddyfile:/etc/caddy/Caddyfile:ro\n"
	    "# Caddyfile:\n# example.localhost {\n"
	    "#\ttls {\n#\t\tca {$ACME_CA}\n"
	    "#\t\tca_root /etc/localacme/root.pem\n#\t}\n"
	    "#\treverse_proxy app:8080\n# }");
	endcode(b);
	code(b, "cert-manager", "cert-manager (ClusterIssuer)");
	put(b, "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\n"
	    "metadata:\n  name: localacme\nspec:\n  acme:\n    server: ");
	esc(b, u);
	put(b, "/directory\n    caBundle: ");
	if (v->root_pem != NULL)
		b64(b, v->root_pem);
	put(b, "\n    privateKeySecretRef:\n      name: localacme-account\n"
	    "    solvers:\n    - http01:\n        ingress:\n"
	    "          ingressClassName: nginx");
	endcode(b);
}

static const char *
renewal_text(enum ra_renewal r, const char **cls)
{
	*cls = "";
	switch (r) {
	case RA_RENEWAL_RENEWED:
		*cls = "ok";
		return "renewed in time";
	case RA_RENEWAL_LATE:
		*cls = "flag";
		return "renewed late";
	case RA_RENEWAL_MISSING:
		*cls = "flag";
		return "not renewed";
	case RA_RENEWAL_REVOKED:
		return "-";
	default:
		return "not due";
	}
}

static void
row(struct buf *b, const struct page_row *r, time_t now)
{
	const char	*cls, *txt = renewal_text(r->renewal, &cls);
	const char	*status = r->revoked ? "revoked" :
			    r->not_after < now ? "expired" : "valid";

	put(b, "<tr class=\"cert\"><td class=\"names\">");
	esc(b, r->names);
	put(b, "</td><td>");
	esc(b, r->source);
	put(b, "</td><td>");
	esc(b, r->profile != NULL && r->profile[0] != '\0' ? r->profile : "-");
	put(b, "</td><td>");
	date(b, r->not_after);
	putf(b, "</td><td>%s</td><td", status);
	if (cls[0] != '\0')
		putf(b, " class=\"%s\"", cls);
	putf(b, ">%s</td><td><code>", txt);
	esc(b, r->serial);
	put(b, "</code></td></tr>\n");
}

static void
certs(struct buf *b, const struct page_view *v)
{
	const struct page_row *last;

	put(b, "<h2 id=\"certificates\">Certificates issued</h2>\n");
	if (v->nrows == 0) {
		put(b, v->first ? "<p>None yet.</p>\n" :
		    "<p>No older certificates.</p>\n");
	} else {
		putf(b, "<p>Newest first, %d a page. <span class=\"flag\">"
		    "not renewed</span>: it reached its end and no "
		    "certificate for the same names was issued.</p>\n"
		    "<table id=\"certs\">\n<thead><tr><th>Names</th>"
		    "<th>Source</th><th>Profile</th><th>Not after</th>"
		    "<th>Status</th><th>Renewal</th><th>Serial</th></tr>"
		    "</thead>\n<tbody>\n", PAGE_ROWS);
		for (size_t i = 0; i < v->nrows; i++)
			row(b, &v->rows[i], v->now);
		put(b, "</tbody>\n</table>\n");
	}
	put(b, "<nav id=\"pages\">");
	if (!v->first)
		put(b, "<a id=\"newest\" href=\"/#certificates\">Newest</a>");
	if (v->older && v->nrows > 0) {
		last = &v->rows[v->nrows - 1];
		/* Keyset cursor: the last row's (issued, serial). */
		putf(b, "<a id=\"older\" href=\"/?before=%lld.",
		    (long long)last->issued);
		esc(b, last->serial);
		put(b, "#certificates\">Older</a>");
	}
	put(b, "</nav>\n");
}

static void
foot(struct buf *b, const struct page_view *v)
{
	put(b, "<h2 id=\"more\">More</h2>\n<ul>\n<li><a href=\"/directory\">"
	    "ACME directory</a> (JSON)</li>\n");
	if (v->crl_url != NULL) {
		put(b, "<li><a id=\"crl\" href=\"");
		esc(b, v->crl_url);
		put(b, "\">CRL</a> of the intermediate</li>\n");
	}
	if (v->metrics_url != NULL) {
		put(b, "<li><a id=\"metrics\" href=\"");
		esc(b, v->metrics_url);
		put(b, "\">Metrics</a> (management API; its token)</li>\n");
	}
	put(b, "</ul>\n<p>Rendered ");
	date(b, v->now);
	put(b, ".</p>\n</body>\n</html>\n");
}

char *
page_render(const struct page_view *v, size_t *len)
{
	struct buf b;

	memset(&b, 0, sizeof(b));
	head(&b, v);
	root(&b, v);
	trust(&b, v);
	recipes(&b, v);
	certs(&b, v);
	foot(&b, v);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.n;
	return b.p;
}

/* A UUID-shaped string from 32 hex digits of the fingerprint. */
static void
uuid_from(const char *fp, char tag, char out[37])
{
	char	 hex[33];
	size_t	 n = 0;

	for (; *fp != '\0' && n < 32; fp++)
		if (*fp != ':')
			hex[n++] = *fp;
	while (n < 32)
		hex[n++] = '0';
	hex[0] = tag;
	hex[32] = '\0';
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
	    hex + 12, hex + 16, hex + 20);
}

char *
page_mobileconfig(const unsigned char *der, size_t derlen,
    const struct page_root *r, size_t *len)
{
	struct buf	 b;
	unsigned char	*o;
	char		 u1[37], u2[37];

	memset(&b, 0, sizeof(b));
	if ((o = malloc(4 * ((derlen + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock(o, der, (int)derlen);
	uuid_from(r->fingerprint, 'A', u1);
	uuid_from(r->fingerprint, 'B', u2);
	put(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
	    "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
	    "<plist version=\"1.0\">\n<dict>\n"
	    "<key>PayloadContent</key>\n<array>\n<dict>\n"
	    "<key>PayloadCertificateFileName</key>"
	    "<string>localacme-root.cer</string>\n"
	    "<key>PayloadContent</key><data>");
	put(&b, (const char *)o);
	put(&b, "</data>\n<key>PayloadDisplayName</key><string>");
	esc(&b, r->subject);
	put(&b, "</string>\n<key>PayloadIdentifier</key>"
	    "<string>localacme.root.");
	put(&b, u1);
	put(&b, "</string>\n<key>PayloadType</key>"
	    "<string>com.apple.security.root</string>\n"
	    "<key>PayloadUUID</key><string>");
	put(&b, u1);
	put(&b, "</string>\n<key>PayloadVersion</key><integer>1</integer>\n"
	    "</dict>\n</array>\n"
	    "<key>PayloadDisplayName</key><string>localacme root CA"
	    "</string>\n<key>PayloadIdentifier</key>"
	    "<string>localacme.profile.");
	put(&b, u2);
	put(&b, "</string>\n<key>PayloadType</key><string>Configuration"
	    "</string>\n<key>PayloadUUID</key><string>");
	put(&b, u2);
	put(&b, "</string>\n<key>PayloadVersion</key><integer>1</integer>\n"
	    "</dict>\n</plist>\n");
	free(o);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.n;
	return b.p;
}
