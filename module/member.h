/* SPDX-License-Identifier: GPL-2.0 */
/* member.h - join and leave records for the peers that subscribe */
#ifndef IPCH_MEMBER_H
#define IPCH_MEMBER_H

#include <linux/types.h>

struct ipch_channel;
struct ipch_peer;

void ipch_member_notify(struct ipch_channel *ch, struct ipch_peer *subject,
			u16 type);
void ipch_member_leave(struct ipch_channel *ch, struct ipch_peer *peer);
void ipch_member_disarm(struct ipch_peer *peer);
int ipch_peer_subscribe(struct ipch_peer *peer, u32 flags);

#endif /* IPCH_MEMBER_H */
