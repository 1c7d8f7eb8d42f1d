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

/* Debug-level hex dump, one line, elided past 64 bytes. */
void ccid_log_hex(const struct ccid_engine *eng, int slot, int seq,
		  const char *what, const uint8_t *p, size_t len)
{
	char hex[64 * 3 + 8];
	size_t shown = len > 64 ? 64 : len, o = 0;

	if (!eng->log_fn || CCID_LOG_DEBUG > eng->log_max)
		return;
	for (size_t i = 0; i < shown; i++)
		o += (size_t)snprintf(hex + o, sizeof(hex) - o, "%02X ", p[i]);
	if (shown < len)
		snprintf(hex + o, sizeof(hex) - o, "...");
	else if (o > 0)
		hex[o - 1] = '\0';
	else
		hex[0] = '\0';
	ccid_log(eng, CCID_LOG_DEBUG, slot, seq, "%s (%zu bytes): %s", what,
		 len, hex);
}
