/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tap.h - a few TAP (Test Anything Protocol) helpers for the host tests
 */
#ifndef IPCHANNEL_TAP_H
#define IPCHANNEL_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_count;
static int tap_failed;

static inline int tap_ok(int pass, int line, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass)
		printf("#   failed at line %d\n", line);
	return pass;
}

/* ok(cond, name...): one test point. */
#define ok(cond, ...)	tap_ok(!!(cond), __LINE__, __VA_ARGS__)

/* is(got, want, name...): integers, both printed on failure. */
#define is(got, want, ...)						\
	do {								\
		long long g_ = (long long)(got), w_ = (long long)(want);\
		if (!tap_ok(g_ == w_, __LINE__, __VA_ARGS__))		\
			printf("#   got %lld, want %lld\n", g_, w_);	\
	} while (0)

/* Print the plan and give the exit status. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_count);
	return tap_failed ? 1 : 0;
}

#endif /* IPCHANNEL_TAP_H */
