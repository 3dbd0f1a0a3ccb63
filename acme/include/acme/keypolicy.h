/* keypolicy.h - the process-wide key-size policy switch: the --weak-keys test knob */
/* SPDX-License-Identifier: MIT */
#ifndef ACME_KEYPOLICY_H
#define ACME_KEYPOLICY_H

#include <stdbool.h>

/*
 * Off (the default), account keys (acme/jwk.c) are RSA 2048..4096 or
 * P-256/P-384/P-521 and CSR keys (acme/csr.c) RSA 2048/3072/4096 or
 * P-256/P-384. On (serve --weak-keys, a test mode for ACME client
 * suites), RSA 1024-bit keys are accepted as account and CSR keys and
 * P-521 as a CSR key too. Set once before any thread starts and only
 * read afterwards, like the log level; no lock.
 */
void	 acme_keypolicy_set_weak(bool on);
bool	 acme_keypolicy_weak(void);

/* Smallest RSA modulus accepted with the weak policy on. */
#define ACME_WEAK_RSA_BITS	1024

#endif /* ACME_KEYPOLICY_H */
