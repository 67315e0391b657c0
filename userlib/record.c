// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * record.c - names, send records into iovecs, receive records out of a
 * read buffer; no system calls, so the host tests cover all of it
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

_Static_assert(sizeof(struct ipchannel_send) == 16, "send header layout");
_Static_assert(sizeof(struct ipchannel_recv) == 40, "recv header layout");

static const unsigned char zeros[IPCHANNEL_RECORD_ALIGN];

/*
 * ipch_name_check - the kernel's rule for channel and event names
 * @name: the name
 * @channel: a channel name, which must not hold '/' (events may)
 *
 * Checked here so that a bad name fails before any system call, with the
 * kernel's errno; a name above 63 bytes is -ENAMETOOLONG, which the
 * kernel can only report as -EINVAL for channel names.
 */
int ipch_name_check(const char *name, bool channel)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, IPCHANNEL_NAME_MAX + 1);
	if (len == 0)
		return -EINVAL;
	if (len > IPCHANNEL_NAME_MAX)
		return -ENAMETOOLONG;
	for (; *name; name++) {
		if (*name < 0x21 || *name > 0x7e)
			return -EINVAL;
		if (channel && *name == '/')
			return -EINVAL;
	}
	return 0;
}

/* ipch_out_check - everything the kernel would refuse in one message */
int ipch_out_check(const struct ipch_out *m)
{
	if (m->to == IPCHANNEL_PEER_KERNEL)
		return -EINVAL;
	if (m->flags & ~IPCH_NOSELF)
		return -EINVAL;
	if ((m->flags & IPCH_NOSELF) && m->to != IPCHANNEL_PEER_ALL)
		return -EINVAL;
	if (m->event) {
		int err = ipch_name_check(m->event, false);

		if (err)
			return err;
	}
	if (!m->data && m->len)
		return -EINVAL;
	if (m->len > UINT32_MAX)
		return -EMSGSIZE;
	return 0;
}

/* ipch_record_len - bytes of the send record of @m, without padding */
size_t ipch_record_len(const struct ipch_out *m)
{
	return IPCH_SEND_HDR + (m->event ? strlen(m->event) : 0) + m->len;
}

/*
 * ipch_record_pack - describe one checked message as a send record
 * @hdr: the header to fill; @iov[0] points at it
 * @iov: at least 4 entries: header, event name, payload, padding
 * @m: the message, passed by ipch_out_check()
 * @pad: add the padding (every record but the last of a write needs it)
 *
 * Return: the number of iovec entries used.
 */
size_t ipch_record_pack(struct ipchannel_send *hdr, struct iovec *iov,
			const struct ipch_out *m, bool pad)
{
	size_t len = ipch_record_len(m);
	size_t evlen = len - IPCH_SEND_HDR - m->len;
	size_t n = 0;

	memset(hdr, 0, sizeof(*hdr));
	hdr->target = m->to;
	hdr->flags = (m->flags & IPCH_NOSELF) ? IPCHANNEL_SEND_NOSELF : 0;
	hdr->len = (uint32_t)m->len;
	hdr->event_len = (uint16_t)evlen;

	iov[n].iov_base = hdr;
	iov[n++].iov_len = IPCH_SEND_HDR;
	if (evlen) {
		iov[n].iov_base = (void *)m->event;
		iov[n++].iov_len = evlen;
	}
	if (m->len) {
		iov[n].iov_base = (void *)m->data;
		iov[n++].iov_len = m->len;
	}
	if (pad && IPCHANNEL_ALIGN(len) != len) {
		iov[n].iov_base = (void *)zeros;
		iov[n++].iov_len = IPCHANNEL_ALIGN(len) - len;
	}
	return n;
}

/*
 * ipch_record_next - take the receive record at *@pos of a read buffer
 * @buf: what read() returned
 * @pos: offset of the record; moved past it
 * @fill: bytes in @buf
 * @msg: filled in
 *
 * The header is copied out rather than cast in place, so a record that
 * is not 8-byte aligned cannot fault. The kernel pads every record, but
 * padding missing after the last one is accepted.
 *
 * Return: 1 when a record was taken, 0 when @buf holds no more, -EPROTO
 * for a record that does not fit its own size or the buffer.
 */
int ipch_record_next(const unsigned char *buf, size_t *pos, size_t fill,
		     struct ipch_msg *msg)
{
	struct ipchannel_recv hdr;
	size_t left = fill - *pos;
	const unsigned char *p = buf + *pos;
	size_t need;

	if (left == 0)
		return 0;
	if (left < IPCH_RECV_HDR)
		return -EPROTO;
	memcpy(&hdr, p, sizeof(hdr));
	need = IPCH_RECV_HDR + hdr.event_len + (size_t)hdr.len;
	if (hdr.event_len > IPCHANNEL_NAME_MAX || hdr.size < need ||
	    need > left)
		return -EPROTO;

	msg->seq = hdr.seq;
	msg->sender = hdr.sender;
	msg->flags = hdr.flags;
	msg->pid = hdr.pid;
	msg->uid = hdr.uid;
	msg->type = hdr.type;
	memcpy(msg->event, p + IPCH_RECV_HDR, hdr.event_len);
	msg->event[hdr.event_len] = '\0';
	msg->data = p + IPCH_RECV_HDR + hdr.event_len;
	msg->len = hdr.len;

	*pos += hdr.size < left ? hdr.size : left;
	return 1;
}

/* Is @msg a record of the kernel itself (not a peer's event)? */
static bool from_kernel(const struct ipch_msg *msg)
{
	return msg->sender == IPCHANNEL_PEER_KERNEL &&
	       (msg->flags & IPCHANNEL_RECV_SYSTEM);
}

/* ipch_msg_lost - is @msg the kernel's IPCHANNEL_SYS_MEMBERSHIP_LOST? */
bool ipch_msg_lost(const struct ipch_msg *msg)
{
	return from_kernel(msg) && msg->type == IPCHANNEL_SYS_MEMBERSHIP_LOST;
}

IPCH_EXPORT uint32_t ipch_msg_peer(const struct ipch_msg *msg)
{
	struct ipchannel_membership m;

	if (!msg || !from_kernel(msg) || !msg->data || msg->len < sizeof(m))
		return 0;
	if (msg->type != IPCHANNEL_SYS_PEER_JOINED &&
	    msg->type != IPCHANNEL_SYS_PEER_LEFT)
		return 0;
	memcpy(&m, msg->data, sizeof(m));
	return m.peer_id;
}
