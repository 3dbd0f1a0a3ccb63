/* fault.h - test-only fault points (HARDENING X01): compiled to nothing in production */
/* SPDX-License-Identifier: MIT */
#ifndef LOCALACME_FAULT_H
#define LOCALACME_FAULT_H

#include <stdbool.h>

/*
 * Fault injection exists only in the `localacme-faults` program, which
 * compiles the same sources with -DLOCALACME_FAULT_INJECTION=1 (like
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION). In `localacme` every
 * fault_point() is an empty statement and the write hook is absent.
 *
 * The environment chooses one fault, read once at the first hit:
 *
 *   LOCALACME_FAULT=NAME:kill[:N]
 *	fault_point(NAME) raises SIGKILL at its N-th hit (default 1).
 *	"checkpoint" is a built-in point: a write to a main database file
 *	(*.db), which in WAL mode happens only while SQLite checkpoints
 *	(HARDENING X01 P5).
 *   LOCALACME_FAULT=dbwrite:eio|erofs|enospc
 *	every write to a database file (*.db, *.db-wal, *.db-journal)
 *	fails with that errno (HARDENING X10, X11), while the file named
 *	by LOCALACME_FAULT_GATE exists (always, when that is unset); so a
 *	test switches the fault on and off without a restart.
 */

/* True in the fault-injection build (serve logs it loudly). */
bool	 fault_injection_enabled(void);

#ifdef LOCALACME_FAULT_INJECTION
/* Kill the process here when LOCALACME_FAULT names this point. */
void	 fault_point(const char *name);
#else
#define fault_point(name)	((void)0)
#endif

#endif /* LOCALACME_FAULT_H */
