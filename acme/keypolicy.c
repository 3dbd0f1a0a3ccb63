/* keypolicy.c - the process-wide key-size policy switch (the --weak-keys test knob) */
/* SPDX-License-Identifier: MIT */
#include <stdbool.h>

#include "acme/keypolicy.h"

static bool	 weak;

void
acme_keypolicy_set_weak(bool on)
{
	weak = on;
}

bool
acme_keypolicy_weak(void)
{
	return weak;
}
