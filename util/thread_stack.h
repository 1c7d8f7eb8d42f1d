/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A thread with a stack of a stated size. Without one, glibc gives every
 * thread the RLIMIT_STACK soft limit (8 MiB on Debian) of address space:
 * mostly never touched, but a 32-bit board has 3 GiB of it, and with
 * transparent huge pages on 'always' khugepaged may back a 2 MiB piece
 * of a stack that used a few kB (the daemon turns THP off for that:
 * gadget/daemon/main.c). Each caller states its size beside the call,
 * and how it was chosen (a measured peak, valgrind --tool=drd
 * --show-stack-usage=yes, and a margin).
 *
 * The new thread inherits the caller's signal mask, as with
 * pthread_create(). */
#ifndef THREAD_STACK_H
#define THREAD_STACK_H

#include <pthread.h>
#include <stddef.h>

/* pthread_create(t, NULL, fn, arg) with a stack of stack_bytes (raised
 * to PTHREAD_STACK_MIN), glibc's guard page included. 0 or an errno
 * value, as pthread_create(). */
int thread_create_sized(pthread_t *t, size_t stack_bytes, void *(*fn)(void *),
			void *arg);

#endif
