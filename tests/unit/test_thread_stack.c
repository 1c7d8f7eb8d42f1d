/* SPDX-License-Identifier: GPL-2.0-or-later */
/* util/thread_stack: the thread runs with the stack it was given (as
 * pthread_getattr_np() reports it, guard page included), a size below
 * PTHREAD_STACK_MIN is raised to it, and the thread's result comes back
 * through pthread_join(). */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>

#include "tap.h"
#include "thread_stack.h"

/* The running thread's stack size, as its result. */
static void *own_stack_size(void *arg)
{
	pthread_attr_t attr;
	size_t size = 0;

	(void)arg;
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstacksize(&attr, &size);
		pthread_attr_destroy(&attr);
	}
	return (void *)(uintptr_t)size;
}

static size_t run_with(size_t stack)
{
	pthread_t t;
	void *ret = NULL;

	if (thread_create_sized(&t, stack, own_stack_size, NULL) != 0)
		return 0;
	pthread_join(t, &ret);
	return (size_t)(uintptr_t)ret;
}

static void stated_size(void)
{
	CHECK_EQ(run_with(256 * 1024), 256 * 1024);
	CHECK_EQ(run_with(1024 * 1024), 1024 * 1024);
}

static void below_the_minimum(void)
{
	CHECK_EQ(run_with(1), PTHREAD_STACK_MIN);
}

int main(void)
{
	RUN(stated_size);
	RUN(below_the_minimum);
	TAP_EXIT();
}
