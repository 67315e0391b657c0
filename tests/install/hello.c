// SPDX-License-Identifier: GPL-2.0
/* hello.c - a program built against the installed libipchannel (TAP). */
#include <ipchannel.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	struct ipch_msg msg;
	struct ipch *ipc;
	int err, me, tries;

	printf("TAP version 13\n1..3\n");
	err = ipch_open(&ipc, "install-hello", NULL);
	printf("%sok 1 ipch_open # %d\n", err ? "not " : "", err);
	if (err)
		return 1;

	me = ipch_peer_id(ipc);
	err = ipch_send(ipc, me, "hello", 5);
	printf("%sok 2 ipch_send to myself # %d\n", err ? "not " : "", err);

	/* Skip any system record that may come first. */
	for (tries = 0; tries < 8; tries++) {
		err = ipch_recv(ipc, &msg, 5000);
		if (err || (msg.sender == (unsigned int)me && !msg.event[0]))
			break;
	}
	if (!err && (msg.len != 5 || memcmp(msg.data, "hello", 5)))
		err = -1;
	printf("%sok 3 ipch_recv gets it back # %d\n", err ? "not " : "", err);

	ipch_close(ipc);
	return err ? 1 : 0;
}
