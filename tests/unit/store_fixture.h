/* store_fixture.h - a fresh in-memory store for the store's unit tests, and a certificate row in it */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_STORE_FIXTURE_H
#define LOCALACME_STORE_FIXTURE_H

struct store;

/* cmocka setup/teardown: *state is a store_open(":memory:") store. */
int	 store_fixture_setup(void **state);
int	 store_fixture_teardown(void **state);

/* Reserve serial and insert a valid certificate for "a.test" under it. */
void	 store_fixture_cert(struct store *st, const char *serial);

#endif /* LOCALACME_STORE_FIXTURE_H */
