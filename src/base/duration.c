/* duration.c - "N", "Ns", "Nm", "Nh", "Nd": the one duration syntax of profiles and test knobs */
/* SPDX-License-Identifier: MIT */
#include "duration.h"

int
duration_parse(const char *s, size_t n, unsigned long long max_s,
    unsigned long long *out)
{
	unsigned long long	 v = 0, unit = 86400;
	size_t			 i;

	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > max_s)
			return -1;	/* too many digits; no overflow */
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	if (i == 0)
		return -1;
	if (i + 1 == n) {
		switch (s[i]) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: return -1;
		}
	} else if (i != n)
		return -1;
	if (v > max_s / unit)
		return -1;
	*out = v * unit;
	return 0;
}
