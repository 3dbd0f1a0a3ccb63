/* serial.h - certificate serial numbers as people type them, to the one form the store keys by */
/* SPDX-License-Identifier: MIT */
#ifndef ACME_SERIAL_H
#define ACME_SERIAL_H

#include <stddef.h>

#include "acme/acme.h"

/*
 * Normalise a serial number typed by a person (`localacme revoke SERIAL`,
 * the management API's cert-status-by-serial/<hex>) to the form the
 * store keys certificates by: the magnitude as lower-case hex, two digits
 * per octet, no leading zero octet (as acme_ari_certid_serial_hex and
 * ca_serial_hex write it). Serials are compared as numbers: either
 * case, ':' between octets (`05:10:CA:F0`, as openssl -text prints) and
 * any number of leading zeros (certbot prints `510caf0` for 0x0510caf0)
 * all name the same serial.
 *
 * Returns 0 with out filled, or -1 with a one-line reason in err (which
 * never quotes the input) and out "": empty, a byte that is not a hex
 * digit or ':', a ':' that is not between two digits, zero, or more than
 * 20 octets (RFC 5280 §4.1.2.2).
 */
int	 acme_serial_normalize(const char *in, char out[ACME_SERIAL_SIZE],
	    char *err, size_t errsz);

#endif /* ACME_SERIAL_H */
