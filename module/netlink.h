/* SPDX-License-Identifier: GPL-2.0 */
/* netlink.h - the generic netlink family: dumps and events */
#ifndef IPCH_NETLINK_H
#define IPCH_NETLINK_H

#include <linux/types.h>

struct ipch_channel;
struct ipch_peer;
struct ipch_lock;
struct ipch_request;

int ipch_nl_register(void);
void ipch_nl_unregister(void);

void ipch_nl_peer_event(struct ipch_channel *ch, struct ipch_peer *peer,
			u8 cmd);
void ipch_nl_lock_handover(struct ipch_channel *ch, struct ipch_lock *lock,
			   struct ipch_request *prev,
			   struct ipch_request *next);

#endif /* IPCH_NETLINK_H */
