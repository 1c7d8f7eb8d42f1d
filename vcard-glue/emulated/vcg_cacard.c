/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libcacard's process-wide state: see vcg_cacard.h. */
#include "vcg_cacard.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libcacard.h>
#include <prlock.h>
#include <nssrwlk.h>
#include <secmod.h>
#include <stdlib.h>
#include <unistd.h>

#include "vcg_nssdb.h"

enum cacard_state {
	CACARD_NONE,      /* vcard_emul_init() never called */
	CACARD_READY,     /* initialised with `options` */
	CACARD_FAILED,    /* vcard_emul_init() failed: final for the process */
};

static pthread_mutex_t cacard_lock = PTHREAD_MUTEX_INITIALIZER;
static enum cacard_state cacard_state = CACARD_NONE;
static bool cacard_in_use;
static char cacard_options[sizeof(((struct vcg_emul_config *)0)->options)];

/* At exit, after an nss-emulated start: libcacard leaves one NSPR thread
 * per PKCS#11 module polling it for slot events (it has no way to stop
 * them), and a C++ module's static objects (SoftHSM2's) are destroyed by
 * exit() under that thread: the daemon died with SIGSEGV inside
 * libsofthsm2.so after a clean shutdown. NSS's simulated wait loop
 * (secmod_HandleWaitForSlotEvent, for modules without
 * C_WaitForSlotEvent) takes the module's refLock before every scan; held
 * here, the thread stops at its next scan. The wait lets a scan already
 * under way end. Registered after vcard_emul_init(), so it runs before
 * the modules' own exit handlers. Never released: the process is ending. */
#define QUIESCE_WAIT_US 100000

static void module_ref_locks(bool hold)
{
	SECMODListLock *lock = SECMOD_GetDefaultModuleListLock();

	if (lock == NULL)
		return;
	SECMOD_GetReadLock(lock);
	for (SECMODModuleList *l = SECMOD_GetDefaultModuleList(); l != NULL;
	     l = l->next)
		if (l->module != NULL && !l->module->internal &&
		    l->module->refLock != NULL) {
			if (hold)
				PR_Lock((PRLock *)l->module->refLock);
			else
				PR_Unlock((PRLock *)l->module->refLock);
		}
	SECMOD_ReleaseReadLock(lock);
}

static void quiesce_modules(void)
{
	module_ref_locks(true);
	usleep(QUIESCE_WAIT_US);
}

/* See vcg_cacard.h for the deadlock this prevents. NSS's module list
 * lock is an NSSRWLock: its write-lock owner may take read locks again,
 * so the worker's own NSS calls inside go through. */
void vcg_cacard_hold_pollers(bool hold)
{
	SECMODListLock *lock = SECMOD_GetDefaultModuleListLock();

	if (lock == NULL)
		return;
	if (hold)
		NSSRWLock_LockWrite(lock);
	else
		NSSRWLock_UnlockWrite(lock);
}

static int init_once(const struct vcg_emul_config *cfg,
		     struct vcg_token_verdict *v, char *why, size_t whylen)
{
	const char *nicks[VCG_EMUL_NCERTS];
	size_t n = 0;
	VCardEmulOptions *opts;
	VCardEmulError err;
	sigset_t all, old;
	int rc;

	if (cfg->backend == VCG_EMUL_CERTIFICATES)
		for (; n < VCG_EMUL_NCERTS; n++)
			nicks[n] = cfg->certs[n];
	if (cfg->backend == VCG_EMUL_NSS_EMULATED)
		rc = vcg_nssdb_survey(cfg->db_dir, cfg->db, cfg->any_removable,
				      v, why, whylen);
	else
		rc = vcg_nssdb_check(cfg->db_dir, cfg->db, nicks, n, why,
				     whylen);
	if (rc < 0)
		return rc;

	/* The string was validated by vcg_emul_config (no ',' or ')' in
	 * nicknames, no '"' in the path), so libcacard's parser cannot fall
	 * back to its defaults or abort. NULL would mean "hardware on
	 * /etc/pki/nssdb" to vcard_emul_init(): never pass it on. */
	opts = vcard_emul_options(cfg->options);
	if (opts == NULL) {
		vcg_nssdb_check_done(false);
		snprintf(why, whylen,
			 "libcacard rejected its options string '%s'",
			 cfg->options);
		return -EINVAL;
	}
	/* nss-emulated: libcacard starts one NSPR thread per PKCS#11 module;
	 * they inherit this mask, so the daemon's signals stay with its loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = vcard_emul_init(opts);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	vcg_nssdb_check_done(err == VCARD_EMUL_OK);
	if (err != VCARD_EMUL_OK) {
		cacard_state = CACARD_FAILED;
		snprintf(why, whylen,
			 "libcacard could not start on %s (vcard_emul_init failed after the db checked out; run with G_MESSAGES_DEBUG=all for its reasons)",
			 cfg->db);
		return -EIO;
	}
	cacard_state = CACARD_READY;
	if (cfg->backend == VCG_EMUL_NSS_EMULATED)
		atexit(quiesce_modules);
	snprintf(cacard_options, sizeof(cacard_options), "%s", cfg->options);
	return 0;
}

int vcg_cacard_acquire(const struct vcg_emul_config *cfg,
		       struct vcg_token_verdict *v, char *why, size_t whylen)
{
	int rc = 0;

	memset(v, 0, sizeof(*v));
	pthread_mutex_lock(&cacard_lock);
	if (cacard_in_use) {
		snprintf(why, whylen,
			 "only one emulated card per process (libcacard has one reader list and event queue; use test cards for the other slots)");
		rc = -EBUSY;
	} else if (cacard_state == CACARD_FAILED) {
		snprintf(why, whylen,
			 "libcacard already failed to start in this process (restart the daemon)");
		rc = -EIO;
	} else if (cacard_state == CACARD_READY) {
		if (strcmp(cacard_options, cfg->options) != 0) {
			snprintf(why, whylen,
				 "libcacard was started in this process with other options (backend, db or certificates); it starts once per process (restart the daemon)");
			rc = -EBUSY;
		}
	} else {
		rc = init_once(cfg, v, why, whylen);
	}
	if (rc == 0)
		cacard_in_use = true;
	pthread_mutex_unlock(&cacard_lock);
	return rc;
}

void vcg_cacard_release(void)
{
	pthread_mutex_lock(&cacard_lock);
	cacard_in_use = false;
	pthread_mutex_unlock(&cacard_lock);
}
