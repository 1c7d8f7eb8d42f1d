/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one function every libFuzzer target defines: libFuzzer's driver
 * (make fuzz) or replay_main.c (the corpus replay in make check) calls it
 * with each input. `data` (size bytes) is owned by the caller. */
#ifndef FUZZ_TARGET_H
#define FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
