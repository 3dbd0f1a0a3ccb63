/* serial.c - certificate serial numbers as people type them, to the one form the store keys by */
/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "acme/serial.h"

/* RFC 5280 §4.1.2.2: "Conforming CAs MUST NOT use serialNumber values longer than 20 octets." */
#define SERIAL_MAX_OCTETS	20

int
acme_serial_normalize(const char *in, char out[ACME_SERIAL_SIZE], char *err,
    size_t errsz)
{
	size_t	 n = 0, pos = 0;
	bool	 lead = true, prev_digit = false;

	out[0] = '\0';
	if (in == NULL || *in == '\0') {
		snprintf(err, errsz, "empty serial number");
		return -1;
	}
	/*
	 * Keep one leading '0' slot free: an odd count of significant
	 * digits is padded to whole octets below, so the digits are written
	 * from out + 1 and moved when no pad is needed.
	 */
	for (const char *p = in; *p != '\0'; p++, pos++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == ':') {
			if (!prev_digit || p[1] == '\0' || p[1] == ':') {
				snprintf(err, errsz, "not a serial number: "
				    "':' at position %zu is not between two "
				    "hex digits", pos + 1);
				return -1;
			}
			prev_digit = false;
			continue;
		}
		if (!isxdigit(ch)) {
			if (isprint(ch))
				snprintf(err, errsz, "not a serial number: "
				    "'%c' at position %zu is not a hex digit "
				    "(0-9, a-f, ':' between octets)", ch,
				    pos + 1);
			else
				snprintf(err, errsz, "not a serial number: "
				    "byte 0x%02x at position %zu is not a hex "
				    "digit", ch, pos + 1);
			return -1;
		}
		prev_digit = true;
		/* Leading zeros do not change the number: drop them. */
		if (lead && ch == '0')
			continue;
		lead = false;
		if (n >= 2 * SERIAL_MAX_OCTETS) {
			snprintf(err, errsz, "not a serial number: more than "
			    "%d octets (RFC 5280 §4.1.2.2)", SERIAL_MAX_OCTETS);
			return -1;
		}
		out[1 + n++] = (char)tolower(ch);
	}
	if (n == 0) {
		snprintf(err, errsz, "not a serial number: zero is never "
		    "issued (RFC 5280 §4.1.2.2: positive)");
		return -1;
	}
	if (n % 2 == 1)
		out[0] = '0';		/* 0x510caf0 -> "0510caf0" */
	else
		memmove(out, out + 1, n);
	out[n + (n % 2)] = '\0';
	return 0;
}
