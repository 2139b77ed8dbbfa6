/*
 * state.c - the state table: one row per internal state, carrying the Cisco state it
 * shows, what the next message must look like, and the handler that takes it.  The
 * dispatcher in engine.c checks a message against its row before any handler runs.
 */
#include <stddef.h>

#include "exchange.h"
#include "ike.h"
#include "state.h"

#define P(t) (1u << (t))

static const struct ike_state_row rows[IKE_ST_COUNT] = {
    /* HDR, SA --> HDR, SA */
    [IKE_ST_MAIN_R0] = {IKE_ST_MAIN_R0, "MAIN_R0", CISCO_MM_NO_STATE, IKE_ROLE_RESPONDER,
                        ISAKMP_XCHG_IDPROT, true, false, P(ISAKMP_NP_SA), "MM1", "",
                        main_inI1_outR1, false, false},
    /* HDR, SA <-- answered by HDR, KE, Ni */
    [IKE_ST_MAIN_I1] = {IKE_ST_MAIN_I1, "MAIN_I1", CISCO_MM_NO_STATE, IKE_ROLE_INITIATOR,
                        ISAKMP_XCHG_IDPROT, true, false, P(ISAKMP_NP_SA), "MM2", "MM1",
                        main_inR1_outI2, false, false},
    /* HDR, KE, Ni --> HDR, KE, Nr */
    [IKE_ST_MAIN_R1] = {IKE_ST_MAIN_R1, "MAIN_R1", CISCO_MM_SA_SETUP, IKE_ROLE_RESPONDER,
                        ISAKMP_XCHG_IDPROT, true, false, P(ISAKMP_NP_KE) | P(ISAKMP_NP_NONCE),
                        "MM3", "MM2", main_inI2_outR2, false, false},
    /* HDR, KE, Nr <-- answered by HDR*, IDii, HASH_I */
    [IKE_ST_MAIN_I2] = {IKE_ST_MAIN_I2, "MAIN_I2", CISCO_MM_SA_SETUP, IKE_ROLE_INITIATOR,
                        ISAKMP_XCHG_IDPROT, true, false, P(ISAKMP_NP_KE) | P(ISAKMP_NP_NONCE),
                        "MM4", "MM3", main_inR2_outI3, false, false},
    /* HDR*, IDii, HASH_I (or [CERT,] SIG_I) --> HDR*, IDir, HASH_R (or [CERT,] SIG_R) */
    [IKE_ST_MAIN_R2] = {IKE_ST_MAIN_R2, "MAIN_R2", CISCO_MM_KEY_EXCH, IKE_ROLE_RESPONDER,
                        ISAKMP_XCHG_IDPROT, true, true, P(ISAKMP_NP_ID), "MM5", "MM4",
                        main_inI3_outR3, true, false},
    /* HDR*, IDir, HASH_R (or [CERT,] SIG_R) <-- */
    [IKE_ST_MAIN_I3] = {IKE_ST_MAIN_I3, "MAIN_I3", CISCO_MM_KEY_EXCH, IKE_ROLE_INITIATOR,
                        ISAKMP_XCHG_IDPROT, true, true, P(ISAKMP_NP_ID), "MM6", "MM5", main_inR3,
                        true, false},
    /* authenticated; becomes QM_IDLE at once */
    [IKE_ST_MAIN_R3] = {IKE_ST_MAIN_R3, "MAIN_R3", CISCO_MM_KEY_AUTH, IKE_ROLE_RESPONDER,
                        ISAKMP_XCHG_IDPROT, false, true, 0, "", "MM6", NULL, false, false},
    [IKE_ST_MAIN_I4] = {IKE_ST_MAIN_I4, "MAIN_I4", CISCO_MM_KEY_AUTH, IKE_ROLE_INITIATOR,
                        ISAKMP_XCHG_IDPROT, false, true, 0, "", "MM5", NULL, false, false},
    /*
     * Aggressive Mode (aggressive.c).  AG_NO_STATE until AM1 is answered, AG_INIT_EXCH
     * while AM2 is on its way or AM3 awaited, AG_AUTH once authenticated.
     */
    /* HDR, SA, KE, Ni, IDii --> HDR, SA, KE, Nr, IDir, HASH_R (or [CERT,] SIG_R) */
    [IKE_ST_AGGR_R0] = {IKE_ST_AGGR_R0, "AGGR_R0", CISCO_AG_NO_STATE, IKE_ROLE_RESPONDER,
                        ISAKMP_XCHG_AGGR, true, false,
                        P(ISAKMP_NP_SA) | P(ISAKMP_NP_KE) | P(ISAKMP_NP_NONCE) | P(ISAKMP_NP_ID),
                        "AM1", "", aggr_inI1_outR1, false, false},
    /* HDR, SA, KE, Nr, IDir, HASH_R (or [CERT,] SIG_R) <-- answered by HDR*, HASH_I (SIG_I) */
    [IKE_ST_AGGR_I1] = {IKE_ST_AGGR_I1, "AGGR_I1", CISCO_AG_INIT_EXCH, IKE_ROLE_INITIATOR,
                        ISAKMP_XCHG_AGGR, true, false,
                        P(ISAKMP_NP_SA) | P(ISAKMP_NP_KE) | P(ISAKMP_NP_NONCE) | P(ISAKMP_NP_ID),
                        "AM2", "AM1", aggr_inR1_outI2, true, false},
    /* HDR*, HASH_I (or [CERT,] SIG_I) --> (encrypted or not) */
    [IKE_ST_AGGR_R1] = {IKE_ST_AGGR_R1, "AGGR_R1", CISCO_AG_INIT_EXCH, IKE_ROLE_RESPONDER,
                        ISAKMP_XCHG_AGGR, true, true, 0, "AM3", "AM2", aggr_inI2, true, true},
    /* authenticated; becomes QM_IDLE at once */
    [IKE_ST_AGGR_I2] = {IKE_ST_AGGR_I2, "AGGR_I2", CISCO_AG_AUTH, IKE_ROLE_INITIATOR,
                        ISAKMP_XCHG_AGGR, false, true, 0, "", "AM3", NULL, false, false},
    [IKE_ST_AGGR_R2] = {IKE_ST_AGGR_R2, "AGGR_R2", CISCO_AG_AUTH, IKE_ROLE_RESPONDER,
                        ISAKMP_XCHG_AGGR, false, true, 0, "", "AM2", NULL, false, false},
    /* phase 1 up: only informational (and later Quick Mode) exchanges */
    [IKE_ST_ESTABLISHED] = {IKE_ST_ESTABLISHED, "ESTABLISHED", CISCO_QM_IDLE, 0, ISAKMP_XCHG_INFO,
                            false, true, 0, "", "", NULL, false, false},
    [IKE_ST_DELETED] = {IKE_ST_DELETED, "DELETED", CISCO_MM_NO_STATE, 0, ISAKMP_XCHG_NONE, false,
                        false, 0, "", "", NULL, false, false},
};

static const char *const cisco_names[] = {
    [CISCO_MM_NO_STATE] = "MM_NO_STATE", [CISCO_MM_SA_SETUP] = "MM_SA_SETUP",
    [CISCO_MM_KEY_EXCH] = "MM_KEY_EXCH", [CISCO_MM_KEY_AUTH] = "MM_KEY_AUTH",
    [CISCO_AG_NO_STATE] = "AG_NO_STATE", [CISCO_AG_INIT_EXCH] = "AG_INIT_EXCH",
    [CISCO_AG_AUTH] = "AG_AUTH",         [CISCO_QM_IDLE] = "QM_IDLE",
};

const char *cisco_state_name(enum cisco_state s)
{
	if (s < CISCO_STATE_MIN || s > CISCO_STATE_MAX)
		return "UNKNOWN";
	return cisco_names[s];
}

const struct ike_state_row *ike_state_row(enum ike_state s)
{
	if ((unsigned)s >= IKE_ST_COUNT)
		return NULL;
	return &rows[s];
}

enum cisco_state ike_state_cisco(enum ike_state s)
{
	const struct ike_state_row *r = ike_state_row(s);

	return r != NULL ? r->cisco : CISCO_MM_NO_STATE;
}

/*
 * Main and Aggressive Mode move one step at a time; an authenticated SA goes on to ESTABLISHED; any
 * live SA may be deleted.  Nothing leaves DELETED.
 */
bool ike_state_transition_ok(enum ike_state from, enum ike_state to)
{
	if ((unsigned)from >= IKE_ST_COUNT || (unsigned)to >= IKE_ST_COUNT)
		return false;
	if (from == IKE_ST_DELETED)
		return false;
	if (to == IKE_ST_DELETED)
		return true;
	switch (from) {
	case IKE_ST_MAIN_R0:
		return to == IKE_ST_MAIN_R1;
	case IKE_ST_MAIN_I1:
		return to == IKE_ST_MAIN_I2;
	case IKE_ST_MAIN_R1:
		return to == IKE_ST_MAIN_R2;
	case IKE_ST_MAIN_I2:
		return to == IKE_ST_MAIN_I3;
	case IKE_ST_MAIN_R2:
		return to == IKE_ST_MAIN_R3;
	case IKE_ST_MAIN_I3:
		return to == IKE_ST_MAIN_I4;
	case IKE_ST_AGGR_R0:
		return to == IKE_ST_AGGR_R1;
	case IKE_ST_AGGR_I1:
		return to == IKE_ST_AGGR_I2;
	case IKE_ST_AGGR_R1:
		return to == IKE_ST_AGGR_R2;
	case IKE_ST_MAIN_R3:
	case IKE_ST_MAIN_I4:
	case IKE_ST_AGGR_I2:
	case IKE_ST_AGGR_R2:
		return to == IKE_ST_ESTABLISHED;
	default:
		return false;
	}
}
