/* fuzz.h - what the libFuzzer targets share: entry point, checks, fixed keys, temp dir */
/* SPDX-License-Identifier: MIT */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/*
 * Each fuzz_<target>.c defines the libFuzzer entry point. It is linked
 * either with libFuzzer (-DLOCALACME_FUZZ=ON, clang) or with replay.c,
 * a plain main() that feeds it every file of a corpus (every build).
 */
int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A property of the code under test failed: print where and abort(), so
 * libFuzzer records the input as a crash and replay fails. Unlike
 * assert() this is never compiled out.
 */
#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);	\
} while (0)
void	 fuzz_fail(const char *file, int line, const char *cond,
	    const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 4, 5)));

/*
 * Fixed, in-binary TEST keys (never used outside tests/fuzz): the seeds
 * in corpus/ carry JWSs signed with them, so the fuzzer starts from
 * requests that verify. Loaded on first use and kept for the process.
 */
enum fuzz_key {
	FUZZ_KEY_P256 = 0,
	FUZZ_KEY_P384,
	FUZZ_KEY_P521,
	FUZZ_KEY_RSA2048,
	FUZZ_KEY_ED25519,
	FUZZ_KEY_P256B,		/* a second P-256 account key */
	FUZZ_KEY_CSR,		/* P-256, for CSRs (never an account key) */
	FUZZ_KEY__MAX
};
/* The account keys are FUZZ_KEY_P256 .. FUZZ_KEY_P256B. */
#define FUZZ_NACCOUNT_KEYS	6

/* Borrowed; valid for the process. Aborts if a key does not load. */
EVP_PKEY	*fuzz_key(enum fuzz_key k);

/*
 * A flattened JWS body {"protected","payload","signature"} over the
 * given protected header text and payload bytes (any bytes, any
 * length), signed by key as a client would (tu_sign). Returns a new
 * NUL-terminated string (caller frees), or NULL on failure.
 */
char		*fuzz_jws_make(EVP_PKEY *key, const char *protected_json,
		    const unsigned char *payload, size_t payload_len);

/*
 * A private directory for this process (under /dev/shm when it is
 * writable, else $TMPDIR or /tmp), created on first call and removed
 * with its files at exit. Aborts if it cannot be made.
 */
const char	*fuzz_tmpdir(void);

/* Copy of data with a NUL after size bytes; caller frees. Aborts on ENOMEM. */
char		*fuzz_strndup(const uint8_t *data, size_t size);

#endif /* FUZZ_FUZZ_H */
