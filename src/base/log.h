/* log.h - leveled logging to stderr, as text or JSON lines, with request ids */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_LOG_H
#define LOCALACME_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <time.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG
};

enum log_format {
	LOG_FMT_TEXT = 0,
	LOG_FMT_JSON
};

/*
 * Set before any thread starts; read-only afterwards. The level and the
 * format are the log's process-wide state (the request id is per
 * thread), not the program's only one: the metrics counters, the knobs'
 * PRNG streams, the fault points and the store's write_mu are
 * process-wide too.
 */
void	 log_setup(enum log_level level, enum log_format fmt);
/* Parse "error|warn|info|debug" / "text|json"; 0, or -1 if unknown. */
int	 log_level_parse(const char *s, enum log_level *out);
int	 log_format_parse(const char *s, enum log_format *out);
bool	 log_enabled(enum log_level level);

/*
 * The request id of the calling thread ("" when none), included in every
 * line logged by that thread until cleared with NULL.
 */
void	 log_set_request_id(const char *id);

/*
 * t as an RFC 3339 (§5.6) UTC time, "2026-12-06T05:00:00Z", for log and
 * CLI lines that name a moment (never a raw epoch). Returns buf; a time
 * that cannot be written in 20 characters gives "(time out of range)".
 */
#define LOG_TIME_RFC3339_SIZE	21
const char *log_time_rfc3339(time_t t, char buf[static LOG_TIME_RFC3339_SIZE]);

void	 log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A command's error for the person at the terminal: one line
 * "localacme: <message>" on stderr, whatever the message holds (newlines
 * become spaces), whatever the log level or format.
 */
void	 log_cli_error(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	 log_cli_verror(const char *fmt, va_list ap)
	    __attribute__((format(printf, 1, 0)));
void	 log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Log at `level` with the OpenSSL error queue appended (and drained):
 * "<message>: <openssl reason>". The queue never reaches a client.
 */
void	 log_openssl(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * One access-log line per request: method, path, status, duration in
 * microseconds, bytes sent, request id.
 */
void	 log_request(const char *method, const char *path, int status,
	    long duration_us, unsigned long long bytes, const char *reqid);

#endif /* LOCALACME_LOG_H */
