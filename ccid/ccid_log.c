/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging: one line per event through the engine's hook, with a
 * "(slot, seq)" prefix and message types by name. */
#include <stdarg.h>
#include <stdio.h>

#include "ccid_internal.h"
#include "ccid_proto.h"

static const struct {
	uint8_t type;
	const char *name;
} msg_names[] = {
	{ CCID_PC_ICC_POWER_ON, "PC_to_RDR_IccPowerOn" },
	{ CCID_PC_ICC_POWER_OFF, "PC_to_RDR_IccPowerOff" },
	{ CCID_PC_GET_SLOT_STATUS, "PC_to_RDR_GetSlotStatus" },
	{ CCID_PC_XFR_BLOCK, "PC_to_RDR_XfrBlock" },
	{ CCID_PC_GET_PARAMETERS, "PC_to_RDR_GetParameters" },
	{ CCID_PC_RESET_PARAMETERS, "PC_to_RDR_ResetParameters" },
	{ CCID_PC_SET_PARAMETERS, "PC_to_RDR_SetParameters" },
	{ CCID_PC_ESCAPE, "PC_to_RDR_Escape" },
	{ CCID_PC_ICC_CLOCK, "PC_to_RDR_IccClock" },
	{ CCID_PC_T0_APDU, "PC_to_RDR_T0APDU" },
	{ CCID_PC_SECURE, "PC_to_RDR_Secure" },
	{ CCID_PC_MECHANICAL, "PC_to_RDR_Mechanical" },
	{ CCID_PC_ABORT, "PC_to_RDR_Abort" },
	{ CCID_PC_SET_RATE_AND_CLOCK, "PC_to_RDR_SetDataRateAndClockFrequency" },
	{ CCID_RDR_DATA_BLOCK, "RDR_to_PC_DataBlock" },
	{ CCID_RDR_SLOT_STATUS, "RDR_to_PC_SlotStatus" },
	{ CCID_RDR_PARAMETERS, "RDR_to_PC_Parameters" },
	{ CCID_RDR_ESCAPE, "RDR_to_PC_Escape" },
	{ CCID_RDR_RATE_AND_CLOCK, "RDR_to_PC_DataRateAndClockFrequency" },
	{ CCID_RDR_NOTIFY_SLOT_CHANGE, "RDR_to_PC_NotifySlotChange" },
	{ CCID_RDR_HARDWARE_ERROR, "RDR_to_PC_HardwareError" },
};

const char *ccid_msg_name(uint8_t type)
{
	for (size_t i = 0; i < sizeof(msg_names) / sizeof(msg_names[0]); i++)
		if (msg_names[i].type == type)
			return msg_names[i].name;
	return "unknown";
}

void ccid_log(const struct ccid_engine *eng, int level, int slot, int seq,
	      const char *fmt, ...)
{
	char line[256];
	int n;
	va_list ap;

	if (!eng->log_fn || level > eng->log_max)
		return;
	if (slot >= 0 && seq >= 0)
		n = snprintf(line, sizeof(line), "(%d, %d) ", slot, seq);
	else if (slot >= 0)
		n = snprintf(line, sizeof(line), "(%d, -) ", slot);
	else
		n = 0;
	if (n < 0)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	eng->log_fn(eng->log_ctx, level, line);
}

/* Debug-level hex dump, one line: the first `head` bytes (elided past
 * 64), then, if bytes are left out in the middle, "[N bytes masked]",
 * then the last `tail` bytes. */
static void hex_line(const struct ccid_engine *eng, int slot, int seq,
		     const char *what, const uint8_t *p, size_t len,
		     size_t head, size_t tail)
{
	char hex[64 * 3 + 64];
	size_t shown = head > 64 ? 64 : head, o = 0;

	for (size_t i = 0; i < shown; i++)
		o += (size_t)snprintf(hex + o, sizeof(hex) - o, "%02X ", p[i]);
	if (shown < head)
		o += (size_t)snprintf(hex + o, sizeof(hex) - o, "... ");
	if (head + tail < len)
		o += (size_t)snprintf(hex + o, sizeof(hex) - o,
				      "[%zu bytes masked] ", len - head - tail);
	for (size_t i = len - tail; i < len; i++)
		o += (size_t)snprintf(hex + o, sizeof(hex) - o, "%02X ", p[i]);
	if (o > 0 && hex[o - 1] == ' ')
		o--;
	hex[o] = '\0';
	ccid_log(eng, CCID_LOG_DEBUG, slot, seq, "%s (%zu bytes): %s", what,
		 len, hex);
}

static bool dumps_on(const struct ccid_engine *eng)
{
	return eng->log_fn && CCID_LOG_DEBUG <= eng->log_max;
}

void ccid_log_hex(const struct ccid_engine *eng, int slot, int seq,
		  const char *what, const uint8_t *p, size_t len)
{
	if (dumps_on(eng))
		hex_line(eng, slot, seq, what, p, len, len, 0);
}

/* ISO/IEC 7816-4:2005 7.5.6 to 7.5.10: the data field of VERIFY (20, 21),
 * CHANGE REFERENCE DATA (24, 25), DISABLE and ENABLE VERIFICATION
 * REQUIREMENT (26, 28) and RESET RETRY COUNTER (2C, 2D) is verification
 * data: PINs, PUKs. */
static bool carries_pin(uint8_t ins)
{
	switch (ins) {
	case 0x20: case 0x21: case 0x24: case 0x25:
	case 0x26: case 0x28: case 0x2C: case 0x2D:
		return true;
	default:
		return false;
	}
}

void ccid_log_command_apdu(const struct ccid_engine *eng, int slot, int seq,
			   const uint8_t *apdu, size_t len)
{
	size_t head = len;

	if (!dumps_on(eng))
		return;
	if (len > 4 && carries_pin(apdu[1]) && eng->log_max < CCID_LOG_SECRETS)
		head = 4;   /* CLA INS P1 P2 */
	hex_line(eng, slot, seq, "C-APDU", apdu, len, head, 0);
}

void ccid_log_response_apdu(const struct ccid_engine *eng, int slot, int seq,
			    const uint8_t *rsp, size_t len)
{
	if (!dumps_on(eng))
		return;
	if (eng->log_max >= CCID_LOG_SECRETS || len <= 2)
		hex_line(eng, slot, seq, "R-APDU", rsp, len, len, 0);
	else   /* the data may be decrypted or private: SW1 SW2 only */
		hex_line(eng, slot, seq, "R-APDU", rsp, len, 0, 2);
}
