/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The slots of the PKCS#11 modules an NSS db registers, as libcacard
 * will see them (vcg_emul_tokens.h); called by vcg_nssdb_survey() while
 * its own NSS context is open. */
#include "vcg_emul_tokens.h"
#include "vcg_nssdb.h"

#include <stdio.h>
#include <string.h>

#include <pk11pub.h>
#include <secmod.h>

/* Objects of one class, counted as libcacard finds them. */
static int count_objects(PK11SlotInfo *slot, CK_OBJECT_CLASS cls)
{
	PK11GenericObject *first = PK11_FindGenericObjects(slot, cls);
	int n = 0;

	for (PK11GenericObject *o = first; o != NULL;
	     o = PK11_GetNextGenericObject(o))
		n++;
	if (first != NULL)
		PK11_DestroyGenericObjects(first);
	return n;
}

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

/* The module's names alone, the rest zero: what is known of a module
 * whose library did not load, and where slot_info() starts. */
static void module_info(SECMODModule *m, struct vcg_token_info *t)
{
	memset(t, 0, sizeof(*t));
	copy(t->module, sizeof(t->module), m->commonName);
	copy(t->library, sizeof(t->library), m->dllName);
}

static void slot_info(SECMODModule *m, PK11SlotInfo *slot,
		      struct vcg_token_info *t)
{
	CK_TOKEN_INFO ti;

	module_info(m, t);
	t->loaded = true;
	copy(t->slot, sizeof(t->slot), PK11_GetSlotName(slot));
	t->removable = PK11_IsRemovable(slot);
	t->hardware = PK11_IsHW(slot);
	t->present = PK11_IsPresent(slot);
	t->keys = -1;
	if (!t->present)
		return;
	copy(t->token, sizeof(t->token), PK11_GetTokenName(slot));
	t->initialized = PK11_GetTokenInfo(slot, &ti) == SECSuccess &&
			 (ti.flags & CKF_TOKEN_INITIALIZED) != 0;
	if (!t->initialized)
		return;
	t->certs = count_objects(slot, CKO_CERTIFICATE);
	if (!PK11_NeedLogin(slot))
		t->keys = count_objects(slot, CKO_PRIVATE_KEY);
}

size_t vcg_nssdb_tokens(struct vcg_token_info *out, size_t max,
			size_t *modules)
{
	SECMODListLock *lock = SECMOD_GetDefaultModuleListLock();
	SECMODModule *internal = SECMOD_GetInternalModule();
	size_t n = 0;

	*modules = 0;
	if (lock == NULL)
		return 0;
	SECMOD_GetReadLock(lock);
	for (SECMODModuleList *l = SECMOD_GetDefaultModuleList(); l != NULL;
	     l = l->next) {
		SECMODModule *m = l->module;

		if (m == NULL || m == internal || m->internal)
			continue;
		(*modules)++;
		if (!m->loaded) {
			if (n < max)
				module_info(m, &out[n++]);
			continue;
		}
		for (int i = 0; i < m->slotCount && n < max; i++) {
			if (m->slots[i] == NULL)
				continue;
			slot_info(m, m->slots[i], &out[n++]);
		}
	}
	/* A module whose library did not load is on NSS's "dead" list
	 * (modutil -list shows it "Not loaded"). */
	for (SECMODModuleList *l = SECMOD_GetDeadModuleList(); l != NULL;
	     l = l->next) {
		SECMODModule *m = l->module;

		if (m == NULL || m->internal)
			continue;
		(*modules)++;
		if (n < max)
			module_info(m, &out[n++]);
	}
	SECMOD_ReleaseReadLock(lock);
	return n;
}
