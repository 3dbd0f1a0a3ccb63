/* log.c - leveled logs to stderr (text or JSON lines); one write per line */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "log.h"

static enum log_level	 g_level = LOG_LVL_INFO;
static enum log_format	 g_format = LOG_FMT_TEXT;
static _Thread_local char tl_reqid[40];

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
log_setup(enum log_level level, enum log_format fmt)
{
	g_level = level;
	g_format = fmt;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

int
log_format_parse(const char *s, enum log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LOG_FMT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FMT_JSON;
	else
		return -1;
	return 0;
}

bool
log_enabled(enum log_level level)
{
	return level <= g_level;
}

void
log_set_request_id(const char *id)
{
	if (id == NULL)
		tl_reqid[0] = '\0';
	else
		snprintf(tl_reqid, sizeof(tl_reqid), "%s", id);
}

const char *
log_time_rfc3339(time_t t, char buf[static LOG_TIME_RFC3339_SIZE])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 ||
	    strftime(buf, LOG_TIME_RFC3339_SIZE, "%Y-%m-%dT%H:%M:%SZ",
	    &tm) != LOG_TIME_RFC3339_SIZE - 1)
		snprintf(buf, LOG_TIME_RFC3339_SIZE, "(time out of range)");
	return buf;
}

/* "2026-11-28T06:58:37.577Z" (UTC, milliseconds). */
static void
timestamp(char *ts, size_t sz)
{
	struct timespec	 now;
	struct tm	 tm;
	size_t		 n;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = strftime(ts, sz, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sz - n, ".%03dZ", (int)(now.tv_nsec / 1000000));
}

/*
 * Length of the valid UTF-8 sequence starting at s (1 to 4), or 0 when s
 * does not start one: RFC 3629 §4 excludes overlong forms, UTF-16
 * surrogates (ED A0..BF) and anything above U+10FFFF. s is NUL-terminated,
 * and NUL is never a continuation byte, so a cut sequence stops early.
 */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char	 c = s[0], lo = 0x80, hi = 0xbf;
	size_t		 n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;	/* 80..C1 (continuation, overlong), F5..FF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Append s to buf as a JSON string body (no quotes). RFC 8259 §8.1: JSON
 * text is UTF-8, so a byte that is not part of a valid UTF-8 sequence (a
 * client's path or header may hold anything) is written as \u00XX, its
 * value as a code point: the line parses, and the byte stays visible,
 * since valid non-ASCII text is never escaped. Output stops before a
 * sequence or escape that would not fit whole, so truncation never
 * cuts one.
 */
static size_t
json_escape(char *buf, size_t cap, size_t off, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		size_t	 n = utf8_len(p), need;
		bool	 esc = n == 0 || *p < 0x20 || *p == 0x7f;
		bool	 quote = *p == '"' || *p == '\\';

		need = esc ? 6 : quote ? 2 : n;
		if (off + need >= cap)
			break;
		if (esc)
			off += (size_t)snprintf(buf + off, cap - off,
			    "\\u%04x", *p);
		else if (quote) {
			buf[off++] = '\\';
			buf[off++] = (char)*p;
		} else {
			memcpy(buf + off, p, n);
			off += n;
		}
		p += n == 0 ? 1 : n;
	}
	return off;
}

/*
 * Make a text log line safe to print (Z06): it stays one line, and it is
 * valid UTF-8 with no terminal controls. Each C0 or C1 control character,
 * DEL, and each byte that does not belong to a valid UTF-8 sequence (a
 * request path or header is raw attacker bytes) becomes one '?'; valid
 * UTF-8 text passes unchanged. In place: the result is never longer.
 */
static void
sanitize(char *s)
{
	unsigned char	*r = (unsigned char *)s, *w = r;
	size_t		 n;

	while (*r != '\0') {
		n = utf8_len(r);
		if (n == 0 || *r < 0x20 || *r == 0x7f ||
		    (n == 2 && r[0] == 0xc2 && r[1] < 0xa0)) {	/* C1 */
			*w++ = '?';
			r += n == 0 ? 1 : n;
			continue;
		}
		while (n-- > 0)
			*w++ = *r++;
	}
	*w = '\0';
}

static void
emit(enum log_level level, const char *msg)
{
	char		 line[4096], ts[40];
	size_t		 off;

	timestamp(ts, sizeof(ts));
	if (g_format == LOG_FMT_JSON) {
		off = (size_t)snprintf(line, sizeof(line),
		    "{\"ts\":\"%s\",\"level\":\"%s\",", ts, level_names[level]);
		if (tl_reqid[0] != '\0')
			off += (size_t)snprintf(line + off, sizeof(line) - off,
			    "\"req\":\"%s\",", tl_reqid);
		off += (size_t)snprintf(line + off, sizeof(line) - off, "\"msg\":\"");
		off = json_escape(line, sizeof(line) - 3, off, msg);
		line[off++] = '"';
		line[off++] = '}';
		line[off++] = '\n';
	} else {
		char tmp[3800];
		snprintf(tmp, sizeof(tmp), "%s", msg);
		sanitize(tmp);
		off = (size_t)snprintf(line, sizeof(line), "%s %-5s %s%s%s%s\n",
		    ts, level_names[level], tl_reqid[0] != '\0' ? "[" : "",
		    tl_reqid, tl_reqid[0] != '\0' ? "] " : "", tmp);
		if (off >= sizeof(line)) {
			off = sizeof(line) - 1;
			line[off - 1] = '\n';
		}
	}
	/* One write(2) per line, so lines from threads never interleave. */
	(void)!write(STDERR_FILENO, line, off);
}

static void __attribute__((format(printf, 2, 0)))
vlog(enum log_level level, const char *fmt, va_list ap)
{
	char msg[3800];

	if (!log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	emit(level, msg);
}

#define DEFINE_LOG(fn, lvl)					\
void								\
fn(const char *fmt, ...)					\
{								\
	va_list ap;						\
	va_start(ap, fmt);					\
	vlog(lvl, fmt, ap);					\
	va_end(ap);						\
}
DEFINE_LOG(log_err, LOG_LVL_ERROR)
DEFINE_LOG(log_warn, LOG_LVL_WARN)
DEFINE_LOG(log_info, LOG_LVL_INFO)
DEFINE_LOG(log_debug, LOG_LVL_DEBUG)

void
log_openssl(enum log_level level, const char *fmt, ...)
{
	char		 msg[3800];
	va_list		 ap;
	size_t		 off;
	unsigned long	 e;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	off = strlen(msg);
	while ((e = ERR_get_error()) != 0) {
		char reason[256];
		ERR_error_string_n(e, reason, sizeof(reason));
		if (off + 3 < sizeof(msg))
			off += (size_t)snprintf(msg + off, sizeof(msg) - off,
			    ": %s", reason);
	}
	if (log_enabled(level))
		emit(level, msg);
}

void
log_request(const char *method, const char *path, int status,
    long duration_us, unsigned long long bytes, const char *reqid)
{
	char msg[1200];

	if (!log_enabled(LOG_LVL_INFO))
		return;
	if (g_format == LOG_FMT_JSON) {
		char		 line[1600], ts[40];
		size_t		 off;

		timestamp(ts, sizeof(ts));
		off = (size_t)snprintf(line, sizeof(line),
		    "{\"ts\":\"%s\",\"level\":\"info\",\"req\":\"%s\","
		    "\"method\":\"", ts, reqid != NULL ? reqid : "");
		off = json_escape(line, sizeof(line) - 200, off, method);
		off += (size_t)snprintf(line + off, sizeof(line) - off,
		    "\",\"path\":\"");
		off = json_escape(line, sizeof(line) - 120, off, path);
		off += (size_t)snprintf(line + off, sizeof(line) - off,
		    "\",\"status\":%d,\"us\":%ld,\"bytes\":%llu}\n",
		    status, duration_us, bytes);
		if (off >= sizeof(line))
			off = sizeof(line) - 1;
		(void)!write(STDERR_FILENO, line, off);
		return;
	}
	snprintf(msg, sizeof(msg), "%s %s %d %ld.%03ldms %lluB", method, path,
	    status, duration_us / 1000, duration_us % 1000, bytes);
	(void)reqid;
	emit(LOG_LVL_INFO, msg);
}

void
log_cli_verror(const char *fmt, va_list ap)
{
	char	 msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (char *p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "localacme: %s\n", msg);
}

void
log_cli_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_cli_verror(fmt, ap);
	va_end(ap);
}
