// SPDX-License-Identifier: GPL-2.0
/* quota.c - peers per user */
#include <linux/mutex.h>
#include <linux/xarray.h>
#include <kunit/visibility.h>

#include "ipch.h"
#include "quota.h"

/*
 * Peers of each user, in every namespace and channel together: kuid ->
 * count, as a value entry. Users with no peer have no entry.
 */
static DEFINE_XARRAY(users);
static DEFINE_MUTEX(users_lock);

/* Counts one more peer of @uid; -EDQUOT past max_peers_per_uid. */
int ipch_user_get(kuid_t uid)
{
	unsigned long n;
	int ret;

	mutex_lock(&users_lock);
	n = xa_to_value(xa_load(&users, __kuid_val(uid)) ?: xa_mk_value(0));
	if (n >= READ_ONCE(ipch_max_peers_per_uid))
		ret = -EDQUOT;
	else
		ret = xa_err(xa_store(&users, __kuid_val(uid),
				      xa_mk_value(n + 1), IPCH_GFP));
	mutex_unlock(&users_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ipch_user_get);

void ipch_user_put(kuid_t uid)
{
	unsigned long n;

	mutex_lock(&users_lock);
	n = xa_to_value(xa_load(&users, __kuid_val(uid)) ?: xa_mk_value(0));
	if (WARN_ON_ONCE(!n) || n == 1)
		xa_erase(&users, __kuid_val(uid));
	else
		/* Replacing an entry allocates nothing, so cannot fail. */
		xa_store(&users, __kuid_val(uid), xa_mk_value(n - 1),
			 GFP_NOWAIT);
	mutex_unlock(&users_lock);
}
EXPORT_SYMBOL_IF_KUNIT(ipch_user_put);

/* At unload, when every peer is gone. */
void ipch_users_destroy(void)
{
	WARN_ON_ONCE(!xa_empty(&users));
	xa_destroy(&users);
}
