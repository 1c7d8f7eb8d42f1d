/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CCID 1.1 wire constants: message types, status and error codes, feature
 * bits. Values only; the layouts (field offsets) are in ccid_wire.h.
 * References are to "Specification for Integrated Circuit(s) Cards
 * Interface Devices", revision 1.1, April 22nd 2005. */
#ifndef CCID_PROTO_H
#define CCID_PROTO_H

/* Section 6.1, Table 6.1-1: Bulk-OUT messages (PC_to_RDR_*) */
#define CCID_PC_ICC_POWER_ON       0x62  /* 6.1.1 */
#define CCID_PC_ICC_POWER_OFF      0x63  /* 6.1.2 */
#define CCID_PC_GET_SLOT_STATUS    0x65  /* 6.1.3 */
#define CCID_PC_XFR_BLOCK          0x6F  /* 6.1.4 */
#define CCID_PC_GET_PARAMETERS     0x6C  /* 6.1.5 */
#define CCID_PC_RESET_PARAMETERS   0x6D  /* 6.1.6 */
#define CCID_PC_SET_PARAMETERS     0x61  /* 6.1.7 */
#define CCID_PC_ESCAPE             0x6B  /* 6.1.8 */
#define CCID_PC_ICC_CLOCK          0x6E  /* 6.1.9 */
#define CCID_PC_T0_APDU            0x6A  /* 6.1.10 */
#define CCID_PC_SECURE             0x69  /* 6.1.11 */
#define CCID_PC_MECHANICAL         0x71  /* 6.1.12 */
#define CCID_PC_ABORT              0x72  /* 6.1.13 */
#define CCID_PC_SET_RATE_AND_CLOCK 0x73  /* 6.1.14 */

/* Section 6.2, Table 6.2-1: Bulk-IN messages (RDR_to_PC_*) */
#define CCID_RDR_DATA_BLOCK        0x80  /* 6.2.1 */
#define CCID_RDR_SLOT_STATUS       0x81  /* 6.2.2 */
#define CCID_RDR_PARAMETERS        0x82  /* 6.2.3 */
#define CCID_RDR_ESCAPE            0x83  /* 6.2.4 */
#define CCID_RDR_RATE_AND_CLOCK    0x84  /* 6.2.5 */

/* Section 6.3: Interrupt-IN messages */
#define CCID_RDR_NOTIFY_SLOT_CHANGE 0x50 /* 6.3.1 */
#define CCID_RDR_HARDWARE_ERROR     0x51 /* 6.3.2 */
#define CCID_HW_ERROR_OVERCURRENT   0x01 /* 6.3.2, bHardwareErrorCode */

/* Section 6.2.6, Table 6.2-3: bStatus = bmICCStatus | bmCommandStatus << 6 */
#define CCID_ICC_STATUS_ACTIVE     0x00
#define CCID_ICC_STATUS_INACTIVE   0x01
#define CCID_ICC_STATUS_ABSENT     0x02
#define CCID_CMD_STATUS_OK         0x00
#define CCID_CMD_STATUS_FAILED     0x01
#define CCID_CMD_STATUS_TIME_EXT   0x02
#define CCID_STATUS(icc, cmd)      ((uint8_t)((icc) | ((cmd) << 6)))

/* Section 6.2.6, Table 6.2-2: slot error register (bError) when failed.
 * 1..127 name the offset of the offending field in the command. */
#define CCID_ERR_CMD_ABORTED              0xFF
#define CCID_ERR_ICC_MUTE                 0xFE
#define CCID_ERR_XFR_PARITY_ERROR         0xFD
#define CCID_ERR_XFR_OVERRUN              0xFC
#define CCID_ERR_HW_ERROR                 0xFB
#define CCID_ERR_BAD_ATR_TS               0xF8
#define CCID_ERR_BAD_ATR_TCK              0xF7
#define CCID_ERR_ICC_PROTOCOL_NOT_SUPPORTED 0xF6
#define CCID_ERR_ICC_CLASS_NOT_SUPPORTED  0xF5
#define CCID_ERR_PROCEDURE_BYTE_CONFLICT  0xF4
#define CCID_ERR_DEACTIVATED_PROTOCOL     0xF3
#define CCID_ERR_BUSY_WITH_AUTO_SEQUENCE  0xF2
#define CCID_ERR_PIN_TIMEOUT              0xF0
#define CCID_ERR_PIN_CANCELLED            0xEF
#define CCID_ERR_CMD_SLOT_BUSY            0xE0
#define CCID_ERR_CMD_NOT_SUPPORTED        0x00
/* Offsets used as bError (Table 6.2-2, "index of the bad parameter") */
#define CCID_ERR_BAD_LENGTH               0x01  /* dwLength */
#define CCID_ERR_BAD_SLOT                 0x05  /* bSlot */

/* Section 6.2.2: bClockStatus of RDR_to_PC_SlotStatus */
#define CCID_CLOCK_RUNNING         0x00
#define CCID_CLOCK_STOPPED_UNKNOWN 0x03

/* Section 6.1.4, Table 6.1-4 (wLevelParameter of PC_to_RDR_XfrBlock) and
 * Section 6.2.1 (bChainParameter of RDR_to_PC_DataBlock), extended APDU
 * level: */
#define CCID_CHAIN_BEGIN_END       0x00  /* begins and ends here */
#define CCID_CHAIN_BEGIN_MORE      0x01  /* begins, continues in the next */
#define CCID_CHAIN_CONT_END        0x02  /* continues and ends here */
#define CCID_CHAIN_CONT_MORE       0x03  /* continues, another block follows */
#define CCID_CHAIN_EMPTY_CONTINUE  0x10  /* empty abData, continuation next */

/* Section 6.1.1: bPowerSelect */
#define CCID_POWER_SELECT_MAX      0x03  /* 0 auto, 1 5V, 2 3V, 3 1.8V */

/* Section 6.1.9: bClockCommand */
#define CCID_CLOCK_CMD_RESTART     0x00
#define CCID_CLOCK_CMD_STOP        0x01

/* Section 5.1, Table 5.1-1: the class descriptor */
#define CCID_DESC_TYPE             0x21
#define CCID_BCD_CCID              0x0110
#define CCID_VOLTAGE_5V_3V_1V8     0x07
#define CCID_PROTOCOLS_T0_T1       0x00000003
/* dwFeatures bits (Table 5.1-1) */
#define CCID_FEAT_AUTO_ATR_CONFIG  0x00000002
#define CCID_FEAT_AUTO_ACTIVATION  0x00000004
#define CCID_FEAT_AUTO_VOLTAGE     0x00000008
#define CCID_FEAT_AUTO_CLOCK       0x00000010
#define CCID_FEAT_AUTO_BAUD        0x00000020
#define CCID_FEAT_AUTO_PARAM_NEG   0x00000040
#define CCID_FEAT_AUTO_PPS         0x00000080
#define CCID_FEAT_EXTENDED_APDU    0x00040000
#define CCID_FEATURES (CCID_FEAT_AUTO_ATR_CONFIG | CCID_FEAT_AUTO_ACTIVATION | \
		       CCID_FEAT_AUTO_VOLTAGE | CCID_FEAT_AUTO_CLOCK | \
		       CCID_FEAT_AUTO_BAUD | CCID_FEAT_AUTO_PARAM_NEG | \
		       CCID_FEAT_AUTO_PPS | CCID_FEAT_EXTENDED_APDU)
#define CCID_CLASS_ANY             0xFF  /* bClassGetResponse/bClassEnvelope:
					    echo the class of the APDU */

/* Table 5.1-1, dwMaxCCIDMessageLength: "For extended APDU level the value
 * shall be between 261 + 10 (header) and 65544 + 10". */
#define CCID_MSG_LEN_MIN           (261u + 10u)
#define CCID_MSG_LEN_MAX           (65544u + 10u)

/* ISO/IEC 7816-4 extended APDUs: the largest command is
 * CLA INS P1 P2 (4) + 00 Lc1 Lc2 (3) + 65535 data + Le1 Le2 (2) = 65544,
 * bounded here with one spare byte as 4 + 3 + 65535 + 3 = 65545; the
 * largest response is 65536 data + SW1 SW2. */
#define CCID_APDU_CMD_MAX          65545u
#define CCID_APDU_RSP_MAX          (65536u + 2u)
/* ISO/IEC 7816-3 8.2.1: an ATR is at most 32 bytes after TS. */
#define CCID_ATR_MAX               33u

#endif
