/* SPDX-License-Identifier: GPL-2.0 */
/* quota.h - peers per user */
#ifndef IPCH_QUOTA_H
#define IPCH_QUOTA_H

#include <linux/uidgid.h>

int ipch_user_get(kuid_t uid);
void ipch_user_put(kuid_t uid);
void ipch_users_destroy(void);

#endif /* IPCH_QUOTA_H */
