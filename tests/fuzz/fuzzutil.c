/* fuzzutil.c - shared harness code: property failures, fixed test keys, JWS making, temp dir */
/* SPDX-License-Identifier: MIT */
#define _XOPEN_SOURCE 700	/* nftw */
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "acme/b64url.h"
#include "fuzz.h"
#include "testutil.h"

/*
 * TEST KEYS ONLY. Generated once with `openssl genpkey` for the fuzz
 * corpus; they protect nothing and must never be used for anything else.
 */
static const char *const key_pem[FUZZ_KEY__MAX] = {
	[FUZZ_KEY_P256] =
	    "-----BEGIN PRIVATE KEY-----\n"
	    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg+1n1IXwmyLie3sx7\n"
	    "ScUYOYpBXs/PQOi7h4ewx5l97LyhRANCAAQa5T9x77hmowniWfBVEibN4oQMOFHL\n"
	    "tDwbUyPVPEwVDjMHVb2jQjz8FSpFYBKXwG6FGs3hrvc9qn2DMeXyPQ95\n"
	    "-----END PRIVATE KEY-----\n",
	[FUZZ_KEY_P384] =
	    "-----BEGIN PRIVATE KEY-----\n"
	    "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDDqfm26aojdHM9WHbW7\n"
	    "b55CDzr1OcbIE1ugG828DtWNDHGIddj39jpWt+A7AtQl62ahZANiAASqBG5WGQlE\n"
	    "VHJ8qJpxZy5a9+SWH7iSA0b5+GLX7Y3f8UoEhhsuwIEmTV9RGt1wq5oMWvg6OBWO\n"
	    "mNj+ssTXAmKLJ3Hj9x2zbBeiNmM4+3XU1oi2tvDzRatUyOqCzgWLFfw=\n"
	    "-----END PRIVATE KEY-----\n",
	[FUZZ_KEY_P521] =
	    "-----BEGIN PRIVATE KEY-----\n"
	    "MIHuAgEAMBAGByqGSM49AgEGBSuBBAAjBIHWMIHTAgEBBEIBXho/fxMHMOiYUAmM\n"
	    "ZkysE+NQl6t3vYWkVhHq0gLa4q+b/3YbL+o5wFwmi0Cd3c/mbodN9MJ/L81fkYeP\n"
	    "4yyR+oihgYkDgYYABAEWqv5RSufgzNgA1+JPo3rEwuXn70esTh50RQD9QdbxWK6q\n"
	    "5z1vwb7Y72qweOWYjLgv6mB4U2eCx6GDRweNexBRUQH0G17350WBp5TBlAqOi5Ij\n"
	    "s9VUYXhj3VumvqcvYYn1or5Pao37JXnXH/VnK2E/cfcs3sd3Eyip33MRcMfplpP5\n"
	    "9g==\n"
	    "-----END PRIVATE KEY-----\n",
	[FUZZ_KEY_RSA2048] =
	    "-----BEGIN PRIVATE KEY-----\n"
	    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCBdtfwdByTLmka\n"
	    "NY+EK6eLgSeGFKFbMXCba4Y5ce1k/sxf/EbPsn/9/5EZxCCViUzWyRGQmcwzjBDd\n"
	    "Hev/S2VEJ/om9kUcDw96gVyhy8y9pWGdI4Bug3VUR9A7ReYHg8+wMY4x7T6KbB2q\n"
	    "xwLBcX1CDgi09jwZMDr/21dnL9GXhFTVA83Xq7HYOJKkc0mSgn8rbq8Y7AzWyo80\n"
	    "5Z5g0Vonmb9cAq7L6M/rGLumZFOdaynDBmEnBX4Kp+f+O3W7XSZdZ0LXhjqqSy2s\n"
	    "mFGgldQkONhSkYJb5jb3JFTPrgk817yBqxbEV+QUB4apMTEh91ql8jlnes92xSJP\n"
	    "KISvpm5dAgMBAAECggEAOLa8qxfaarlyjmo3OCG9kFXgYBLKir3yRAuK7cBUTCF4\n"
	    "m3XS+WqLOlRKFrz9vzQ6Bn9no+5T76LkwlC40QoQzxYqNgY9SSjp0XM5BqHWS5/W\n"
	    "zrU+LmuFKwoYlNauic063scesQ1qj84EAwuST/as9hJayxdxRWGE/w9xzwC6MsLE\n"
	    "u6VUb2daFbfjhwABZKYWzn1AR5bKkCwv0BsR8lnO7no5cZ0oLiUbXvonm9cPjwFh\n"
	    "0caNZmHi28HBBTZbW3W1wzcWBqjw25kHfGjaVfIfOIxZ/0hA6ZkO+oT2uO0nmxdS\n"
	    "RYSFjQi8OBCXy409GFXGg+GQgyyzy4SK5sWgXV3SmwKBgQC2uQ6HwipiNEdStoPs\n"
	    "pioPZARZity8stTfuGaXLBSpUu8LJcDQWItnn6c6jxMYjdV092Uj7lFiIq/pG7Ed\n"
	    "AoB4+pphUJ/MnLwXrrQ2abywO/KuvCFL6Fn7wmmM3b7f/1WA4ku2s7dIk+S1P/3U\n"
	    "vNH3GBJEJMqbdN32LyFuFj+/SwKBgQC1YhNeG8jWkyyje7asuCH1jLuQmYNQ88U/\n"
	    "vKwX/0u3J5xKXFqY7WGckJtuSQ3njIm4EQgCaR2IDtvcPjdcWTWxW+0+I+aCjpr+\n"
	    "YoGkw4ohaLi0Ro3QqonirHrRYU/dXBFPdauGaV/z/4iXp6LzRL9jwylc7SV/Fx4n\n"
	    "nWPoWgt39wKBgQCZAHpfSUGuO7JhWz06gqUDgC94PyO4ylIgB0u4WAvxAOXzQqii\n"
	    "jRImMfSYv0cxL0rHB4VkQeFZuEvueOaksPyc0NNGm3lDnxaNChgS3BVIyNncYOHM\n"
	    "qwH2IwO5FdEHxcl2A4d8tB3MIzLGZpAIfBegvUJGVzxkUcaupyZqBS1Z4wKBgC69\n"
	    "bzA5CLACjOYz4wbvDBEyisLgTC54IsQh4lbsup4f3u5qjg4KXbTyrprkyGh6lqKQ\n"
	    "APheDfYZnh5LCgkKFAP4JFJ2/dd22AnlaHME0Ht7eN07sR+sUovO1ndOFD5+kxde\n"
	    "wyyHyuodVx19XUhC1u7mQ6pmkdsGIgcjT7N4QKxRAoGBAIUX/eobk1r5o+u7x9Rx\n"
	    "uUVvK3UFqXLx+GU7ROqgp/bkMYZxuzcgQlOwYbgEeh1G+mChdpu4nyMCppR1+mIT\n"
	    "6FXo+c49gGCWd5IuGKjYRjrt6YMXNPm0kAMhuE2QDeVC9aMmPiDf5knzgb4NutDe\n"
	    "TeewiVYjAZxaSf0ANPod7nnW\n"
	    "-----END PRIVATE KEY-----\n",
	[FUZZ_KEY_ED25519] =
	    "-----BEGIN PRIVATE KEY-----\n"
	    "MC4CAQAwBQYDK2VwBCIEII0eZRE783r6ujVWaQ/RGY8A1a/kR3HIEcSe4fCwN3Nh\n"
	    "-----END PRIVATE KEY-----\n",
	[FUZZ_KEY_P256B] =
	    "-----BEGIN PRIVATE KEY-----\n"
	    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVh/o2BsfKcjFkPRO\n"
	    "GzQbvb0jfBny7ZdxqAhR8YS2ZaKhRANCAASwU2qwbzAe4uVDvPcbeYCDz3bMQDqX\n"
	    "sAuiFlc6C54UoVyVGqesifs4rydvBTCayDD62i7bL1jBbdihV9tm2etp\n"
	    "-----END PRIVATE KEY-----\n",
	[FUZZ_KEY_CSR] =
	    "-----BEGIN PRIVATE KEY-----\n"
	    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgflefTU1+sS3gZMED\n"
	    "/bT5kgoX6T2SqNfqHdbcJf6ZAa2hRANCAAQmEe5eJNFsxiCXL5DipE5dEPVO8o37\n"
	    "ngECUgjkWXZ+ZQOi3ngPasY9hgtlBBuvC7TR+RpijOkthRVkaEtun436\n"
	    "-----END PRIVATE KEY-----\n",
};

static EVP_PKEY	*keys[FUZZ_KEY__MAX];
static char	 tmpdir[4096];

void
fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: property failed: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

EVP_PKEY *
fuzz_key(enum fuzz_key k)
{
	BIO *b;

	if ((int)k < 0 || k >= FUZZ_KEY__MAX)
		fuzz_fail(__FILE__, __LINE__, "k < FUZZ_KEY__MAX", "%d", (int)k);
	if (keys[k] != NULL)
		return keys[k];
	if ((b = BIO_new_mem_buf(key_pem[k], -1)) == NULL ||
	    (keys[k] = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL)
		fuzz_fail(__FILE__, __LINE__, "key loads", "key %d", (int)k);
	BIO_free(b);
	return keys[k];
}

char *
fuzz_jws_make(EVP_PKEY *key, const char *protected_json,
    const unsigned char *payload, size_t payload_len)
{
	char		*p64 = NULL, *y64 = NULL, *s64 = NULL, *in = NULL;
	char		*body = NULL;
	unsigned char	*sig = NULL;
	size_t		 n, siglen = 0;

	if ((p64 = tu_b64url_str(protected_json)) == NULL ||
	    (y64 = acme_b64url_encode(payload, payload_len)) == NULL)
		goto out;
	n = strlen(p64) + 1 + strlen(y64) + 1;
	if ((in = malloc(n)) == NULL)
		goto out;
	snprintf(in, n, "%s.%s", p64, y64);
	if ((sig = tu_sign(key, in, n - 1, &siglen)) == NULL ||
	    (s64 = tu_b64url(sig, siglen)) == NULL)
		goto out;
	body = tu_jws_body(p64, y64, s64);
out:
	free(p64);
	free(y64);
	free(s64);
	free(in);
	free(sig);
	return body;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
rm_tmpdir(void)
{
	if (tmpdir[0] != '\0')
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
fuzz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir[0] != '\0')
		return tmpdir;
	if (access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	else if (base == NULL || base[0] == '\0')
		base = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/localacme-fuzz.XXXXXX", base);
	if (mkdtemp(tmpdir) == NULL)
		fuzz_fail(__FILE__, __LINE__, "mkdtemp", "%s", tmpdir);
	atexit(rm_tmpdir);
	return tmpdir;
}

char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		fuzz_fail(__FILE__, __LINE__, "malloc", "%zu bytes", size);
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
