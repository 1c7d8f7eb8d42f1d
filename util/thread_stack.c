/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A thread with a stated stack size: see thread_stack.h. */
#include "thread_stack.h"

#include <limits.h>

int thread_create_sized(pthread_t *t, size_t stack_bytes, void *(*fn)(void *),
			void *arg)
{
	pthread_attr_t attr;
	size_t size = stack_bytes;
	int rc;

	if (size < (size_t)PTHREAD_STACK_MIN)
		size = (size_t)PTHREAD_STACK_MIN;
	rc = pthread_attr_init(&attr);
	if (rc != 0)
		return rc;
	rc = pthread_attr_setstacksize(&attr, size);
	if (rc == 0)
		rc = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return rc;
}
